// lambda-python setup: what it reports, and that an interrupted install
// leaves nothing half-made.
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { defaultToolsDir } from "../builder/cache";
import { CLI, cli, tmpDir } from "./helpers";

function listTree(dir: string, depth = 3): string[] {
    if (depth === 0 || !fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).flatMap((n) => {
        const p = path.join(dir, n);
        return fs.statSync(p).isDirectory() ? [p, ...listTree(p, depth - 1)] : [p];
    });
}

describe("lambda-python setup", () => {
    it("says which CPython runs a runtime Debian lacks", () => {
        const r = cli(["setup", "--runtime", "python3.12", "--arch", "x86_64"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^python3\.12 x86_64: CPython 3\.13\.\S+ from Debian trixie \(no Debian CPython for python3\.12: pure-Python code runs on python3\.13\)$/m);
        assert.match(r.stdout, /^emulator: .*aws-lambda-rie-x86_64$/m);
    });

    it("refuses a runtime Lambda does not have, in one paragraph", () => {
        const r = cli(["setup", "--runtime", "python3.99", "--no-runner"]);
        assert.equal(r.code, 0, "--no-runner installs only uv");
        const bad = cli(["setup", "--runtime", "python2.7"]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /^lambda-python: error: runtime "python2\.7" is retired: Lambda no longer creates or updates functions on it\. Use one of python3\.8, .*python3\.14/);
        assert.equal(bad.stdout, "", "refused before anything is installed or printed");
        const unknown = cli(["setup", "--runtime", "python3.99"]);
        assert.equal(unknown.code, 2);
        assert.equal(unknown.stdout, "");
        assert.match(unknown.stderr, /^lambda-python: error: unknown runtime "python3\.99"/);
    });

    it("leaves no half-made root when interrupted while downloading Debian", async () => {
        const tools = tmpDir("lp-tools-");
        // A tools folder of its own, with the uv already installed (this test is about the runner's tools).
        const env = { ...process.env, LAMBDA_PYTHON_TOOLS_DIR: tools, LAMBDA_PYTHON_UV: path.join(defaultToolsDir(), "venv", "bin", "uv") };
        // Its own process group, so that SIGINT reaches it and what it started, as Ctrl-C in a terminal does.
        const child = spawn(process.execPath, [CLI, "setup", "--runtime", "python3.14", "--arch", "x86_64"], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        const done = new Promise<number>((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : -1))));
        await new Promise<void>((resolve) => {
            child.stderr.on("data", (d) => {
                stderr += d;
                if (/downloading Debian sid/.test(stderr)) resolve();
            });
            child.on("close", () => resolve());
        });
        assert.match(stderr, /downloading Debian sid python3\.14 for amd64/);
        process.kill(-child.pid!, "SIGINT");
        assert.equal(await done, 130);
        const roots = path.join(tools, "runner", "roots");
        const left = listTree(roots, 1);
        assert.ok(
            left.every((p) => path.basename(p).startsWith(".")),
            `only a temporary folder may remain: ${left.join(", ")}`,
        );
        assert.ok(!left.some((p) => /sid-amd64-python3\.14-v\d+$/.test(p)), "no root under its final name");
        // The emulator was finished before the interruption: complete, with its licence.
        const emulator = fs.readdirSync(path.join(tools, "runner")).find((n) => n.startsWith("emulator-"))!;
        assert.deepEqual(fs.readdirSync(path.join(tools, "runner", emulator)).sort(), ["LICENSE", "NOTICE", "aws-lambda-rie-x86_64"]);
    });
});
