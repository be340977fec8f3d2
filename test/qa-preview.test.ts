// Outsider's programs given to lambda-python preview: one that leaves a timer
// running, one whose exported output never settles. Each ends, with a preview
// or one clear message, instead of hanging or ending silently.
import * as assert from "assert";
import * as path from "path";
import { cli, tmpDir, writeFiles } from "./helpers";

function program(name: string, source: string): string {
    const dir = path.join(tmpDir("lp-qa-preview-"), name);
    writeFiles(dir, { "Pulumi.yaml": `name: ${name}\nruntime: nodejs\n`, "index.ts": source });
    return dir;
}

describe("qa: preview of programs that never finish on their own", () => {
    it("ends after the preview when the program leaves a timer running", () => {
        const dir = program("timer", "setInterval(() => undefined, 1000);\nexport const answer = 42;\n");
        // The spawn's timeout only guards the test run against the hang this pins.
        const r = cli(["preview", dir], { timeout: 120_000 });
        assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
        assert.match(r.stdout, /0 resources; policy violations: 0 mandatory, 0 advisory\./);
        assert.match(r.stdout, /answer: 42/);
    });

    it("ends with the program's error when it throws after starting a timer", () => {
        const dir = program("timerthrow", 'setInterval(() => undefined, 1000);\nthrow new Error("boom after the timer");\n');
        const r = cli(["preview", dir], { timeout: 120_000 });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /the program timerthrow failed:\n {2}boom after the timer/);
    });

    it("says the program never finished when an exported output never settles", () => {
        const dir = program("pending", "export const never = new Promise(() => undefined);\n");
        const r = cli(["preview", dir], { timeout: 120_000 });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /the program pending failed:\n {2}the program never finished: Node\.js ran out of work while it was still waiting/);
        assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
    });

    it("says so when the program ends the process with process.exit()", () => {
        const dir = program("exits", "process.exit(3);\n");
        const r = cli(["preview", dir], { timeout: 120_000 });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /the program exits failed:\n {2}it ended the process with process\.exit\(3\) before it finished, so there is no preview\./);
    });

    it("tells a Python program's author what to run instead, in one paragraph", () => {
        const dir = path.join(tmpDir("lp-qa-preview-"), "py");
        writeFiles(dir, { "Pulumi.yaml": "name: py\nruntime:\n  name: python\n", "__main__.py": "import pulumi\n" });
        for (const command of ["preview", "serve"]) {
            const r = cli([command, dir], { timeout: 120_000 });
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, /^lambda-python: error: .*Pulumi\.yaml is a python program; the offline preview and serve run Node\.js \(TypeScript\/JavaScript\) programs only\. Preview it with `pulumi preview`/m);
            // Not every Python program uses this package's components: the refusal does not assume it does.
            assert.doesNotMatch(r.stderr, /PythonFunction|PythonLayer/);
            assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
        }
    });

    it("reports a Pulumi.yaml that is not YAML in one paragraph", () => {
        const dir = path.join(tmpDir("lp-qa-preview-"), "bad");
        writeFiles(dir, { "Pulumi.yaml": "name: x\nruntime: [nodejs\n  : :\n" });
        const r = cli(["preview", dir], { timeout: 120_000 });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /^lambda-python: error: .*Pulumi\.yaml is not valid YAML: /m);
    });
});
