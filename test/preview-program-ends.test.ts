// Programs given to lambda-python preview that would not end on their own or
// cannot run: a timer left running, an output that never settles, a
// process.exit(), a loop that ignores Ctrl-C, a .NET or Go program it cannot
// run, a Pulumi.yaml that is not YAML. Each ends, with a preview or one clear
// message, instead of hanging or ending silently; the program's console output
// stays off stdout.
import * as assert from "assert";
import { spawn } from "child_process";
import * as path from "path";
import { CLI, cli, tmpDir, writeFiles } from "./helpers";

/**
 * Starts a preview, sends `signal` once the program has said `ready` (on stderr, where a program's output goes),
 * and resolves with how the CLI ended. A guard ends a CLI that does not stop (the hang this pins) after 60 s.
 */
function interrupt(dir: string, ready: RegExp, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; guarded: boolean }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, "preview", dir], { stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        let sent = false;
        let guarded = false;
        const guard = setTimeout(() => {
            guarded = true;
            child.kill("SIGKILL");
        }, 60_000);
        child.stderr.on("data", (d) => {
            stderr += d;
            if (!sent && ready.test(stderr)) {
                sent = true;
                child.kill(signal);
            }
        });
        child.on("exit", (code, sig) => {
            clearTimeout(guard);
            resolve({ code, signal: sig, stderr, guarded });
        });
    });
}

function program(name: string, source: string): string {
    const dir = path.join(tmpDir("lp-preview-ends-"), name);
    writeFiles(dir, { "Pulumi.yaml": `name: ${name}\nruntime: nodejs\n`, "index.ts": source });
    return dir;
}

describe("lambda-python preview of programs that never finish on their own, or cannot run", () => {
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

    it("tells a .NET program's author what to run instead, in one paragraph", () => {
        const dir = path.join(tmpDir("lp-preview-ends-"), "dotnet");
        writeFiles(dir, { "Pulumi.yaml": "name: dotnet\nruntime:\n  name: dotnet\n", "Program.cs": "return 0;\n" });
        for (const command of ["preview", "serve"]) {
            const r = cli([command, dir], { timeout: 120_000 });
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, /^lambda-python: error: .*Pulumi\.yaml is a dotnet program; the offline preview and serve run Node\.js \(TypeScript\/JavaScript\), Python and Go programs\. Preview it with `pulumi preview`/m);
            // Not every such program uses this package's components: the refusal does not assume it does.
            assert.doesNotMatch(r.stderr, /PythonFunction|PythonLayer/);
            assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
        }
    });

    it("says a Go program without go.mod, or one that does not build, in one paragraph", () => {
        const bare = path.join(tmpDir("lp-preview-ends-"), "go");
        writeFiles(bare, { "Pulumi.yaml": "name: go\nruntime:\n  name: go\n", "main.go": "package main\n" });
        const r = cli(["preview", bare], { timeout: 120_000 });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /^lambda-python: error: .*go has no go\.mod \(in it or a folder above\): a Go Pulumi program is a module\. Run `go mod init/m);
        const broken = path.join(tmpDir("lp-preview-ends-"), "broken");
        writeFiles(broken, { "Pulumi.yaml": "name: broken\nruntime: go\n", "go.mod": "module broken\n\ngo 1.22\n", "main.go": "package main\n\nfunc main() {\n\tundefinedCall()\n}\n" });
        const b = cli(["preview", broken], { timeout: 300_000 });
        assert.equal(b.code, 2, b.stderr);
        assert.match(b.stderr, /^lambda-python: error: .*broken: the Go program does not build \(go build\): .*main\.go:4:2: undefined: undefinedCall/m);
        assert.doesNotMatch(b.stderr, /\n\s+at |internal error/);
    });

    it("reports a Pulumi.yaml that is not YAML in one paragraph", () => {
        const dir = path.join(tmpDir("lp-preview-ends-"), "bad");
        writeFiles(dir, { "Pulumi.yaml": "name: x\nruntime: [nodejs\n  : :\n" });
        const r = cli(["preview", dir], { timeout: 120_000 });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /^lambda-python: error: .*Pulumi\.yaml is not valid YAML: /m);
    });

    for (const [signal, code] of [
        ["SIGTERM", 143],
        ["SIGINT", 130],
    ] as const) {
        it(`${signal} ends a preview whose program is stuck in a synchronous loop and ignores Ctrl-C`, async () => {
            const dir = path.join(tmpDir("lp-preview-ends-"), "stuck");
            writeFiles(dir, {
                "Pulumi.yaml": "name: stuck\nruntime: nodejs\n",
                "package.json": '{ "name": "stuck", "main": "index.js" }\n',
                "index.js": 'process.on("SIGINT", () => console.log("not now"));\nprocess.on("SIGTERM", () => console.log("not now"));\nconsole.log("looping now");\nwhile (true) {}\n',
            });
            const r = await interrupt(dir, /looping now/, signal);
            assert.equal(r.guarded, false, `the preview did not end on ${signal}:\n${r.stderr}`);
            assert.equal(r.code, code, r.stderr);
        });
    }

    it("keeps the program's console output off stdout, so --json stays one JSON object", () => {
        const dir = program("chatty", 'console.log("hello from the program");\nexport const answer = 42;\n');
        const r = cli(["preview", dir, "--json", "--quiet"], { timeout: 120_000 });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(JSON.parse(r.stdout).outputs.answer, 42);
        assert.match(r.stderr, /hello from the program/);
    });
});
