// A Python or Go program whose interpreter or binary cannot be started
// (not executable, gone): the preview's program host (grpc-host.ts) hears of
// it in an event of the turn after the spawn, and says so in one paragraph
// instead of ending on Node's "Unhandled 'error' event" stack trace.
import * as assert from "assert";
import { fork } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { HostMessage, HostRequest } from "../preview/program";
import { cli, ROOT, tmpDir, writeFiles } from "./helpers";

/** Runs the compiled host as program.ts does, and collects what it reports. */
function runHost(request: HostRequest): Promise<{ code: number | null; messages: HostMessage[]; stderr: string }> {
    return new Promise((resolve) => {
        const child = fork(path.join(ROOT, "dist", "preview", "grpc-host.js"), [JSON.stringify(request)], { cwd: request.programDir, stdio: ["ignore", "pipe", "pipe", "ipc"] });
        const messages: HostMessage[] = [];
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        child.on("message", (m: HostMessage) => messages.push(m));
        child.on("exit", (code) => resolve({ code, messages, stderr }));
    });
}

describe("lambda-python preview of a program that cannot be started", () => {
    it("says a Go program's runtime.options.binary that is not executable cannot be run, in one paragraph", () => {
        const dir = writeFiles(tmpDir("lp-gostart-"), {
            "Pulumi.yaml": "name: orders\nruntime:\n  name: go\n  options:\n    binary: ./bin/orders\n",
            // Copied without its mode, as an archive or a sync tool can leave it.
            "bin/orders": "\x7fELF not really a program\n",
        });
        fs.chmodSync(path.join(dir, "bin", "orders"), 0o644);
        const r = cli(["preview", dir], { cwd: tmpDir("lp-gostart-cwd-") });
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stdout, "");
        assert.doesNotMatch(r.stderr, /Unhandled|\n\s+at |process\.exit\(/);
        assert.match(
            r.stderr,
            /lambda-python: the program orders failed:\n {2}the Go program could not be started: its binary \S+\/bin\/orders cannot be run: it is not an executable file \(permission denied\), so there is no preview\. Build it for this machine \(go build -o bin\/orders\)/,
        );
    });

    it("reports a Python interpreter that is gone as the program's error, and the host ends normally", async () => {
        const dir = writeFiles(tmpDir("lp-pystart-"), { "Pulumi.yaml": "name: orders\nruntime: python\n", "__main__.py": "import pulumi\n" });
        const python = path.join(dir, "venv", "bin", "python");
        const r = await runHost({
            programDir: dir,
            main: ".",
            project: "orders",
            stack: "dev",
            organization: "organization",
            quiet: true,
            analyze: false,
            invokeResults: {},
            stackOutputs: {},
            python: { python, pythonPath: [], from: "the program's virtualenv venv" },
        } as HostRequest);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /Unhandled|\n\s+at /);
        const ran = r.messages.find((m) => m.kind === "ran");
        assert.ok(ran && ran.kind === "ran", `the host reported the run: ${JSON.stringify(r.messages)} ${r.stderr}`);
        assert.deepEqual(ran.errors, [
            {
                kind: "program",
                message: `the Python program could not be started: its Python ${python} cannot be run: it does not exist, so there is no preview. Recreate the program's virtualenv (python3 -m venv ${path.join(dir, "venv")}, then ${path.join(dir, "venv", "bin", "pip")} install -r requirements.txt).`,
            },
        ]);
    });
});
