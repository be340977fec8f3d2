// A Python or Go program whose interpreter or binary cannot be started
// (not executable, gone): a Go binary named in Pulumi.yaml is refused before
// the run (exit 2); one that fails at the spawn all the same (changed in
// between, a Python interpreter gone) reaches the preview's program host
// (grpc-host.ts) in an event of the turn after the spawn, which says so in
// one paragraph instead of ending on Node's "Unhandled 'error' event" trace.
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

/** A request for the program in `dir`, as program.ts makes it, without its language. */
function request(dir: string): Omit<HostRequest, "python" | "go"> {
    return { programDir: dir, main: ".", project: "orders", stack: "dev", organization: "organization", quiet: true, analyze: false, invokeResults: {}, stackOutputs: {} };
}

/** The host's report of the run. */
function ran(r: { messages: HostMessage[]; stderr: string }): Extract<HostMessage, { kind: "ran" }> {
    const m = r.messages.find((x) => x.kind === "ran");
    assert.ok(m && m.kind === "ran", `the host reported the run: ${JSON.stringify(r.messages)} ${r.stderr}`);
    return m;
}

describe("lambda-python preview of a program that cannot be started", () => {
    it("refuses a Go program's runtime.options.binary that is not executable, in one paragraph (exit 2)", () => {
        const dir = writeFiles(tmpDir("lp-gostart-"), {
            "Pulumi.yaml": "name: orders\nruntime:\n  name: go\n  options:\n    binary: ./bin/orders\n",
            // Copied without its mode, as an archive or a sync tool can leave it.
            "bin/orders": "\x7fELF not really a program\n",
        });
        fs.chmodSync(path.join(dir, "bin", "orders"), 0o644);
        const r = cli(["preview", dir], { cwd: tmpDir("lp-gostart-cwd-") });
        // After the preview's "running … under the Pulumi mock monitor", one paragraph.
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, "");
        assert.doesNotMatch(r.stderr, /Unhandled|\n\s+at /);
        const said = r.stderr.trim().split("\n").pop()!;
        assert.match(
            said,
            /^lambda-python: error: \S+: Pulumi\.yaml's runtime\.options\.binary \.\/bin\/orders is not an executable file \(no permission to run it\)\. Build it \(go build -o \.\/bin\/orders\), or make it executable \(chmod \+x \.\/bin\/orders\)/,
        );
    });

    it("reports a Go binary that cannot be run when started as the program's error, and the host ends normally", async () => {
        // Checked executable before the host starts, it can still change before the spawn (a rebuild under way).
        const dir = writeFiles(tmpDir("lp-gostart-"), { "Pulumi.yaml": "name: orders\nruntime:\n  name: go\n  options:\n    binary: ./bin/orders\n", "bin/orders": "\x7fELF not really a program\n" });
        const binary = path.join(dir, "bin", "orders");
        fs.chmodSync(binary, 0o644);
        const r = await runHost({ ...request(dir), go: { binary, from: "the program's binary ./bin/orders (runtime.options.binary)" } } as HostRequest);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /Unhandled|\n\s+at /);
        assert.deepEqual(ran(r).errors, [
            {
                kind: "program",
                message: `the Go program could not be started: its binary ${binary} cannot be run: it is not an executable file (permission denied), so there is no preview. Build it for this machine (go build -o bin/orders), or remove runtime.options.binary from Pulumi.yaml to have the preview build the program.`,
            },
        ]);
    });

    it("reports a Python interpreter that is gone as the program's error, and the host ends normally", async () => {
        const dir = writeFiles(tmpDir("lp-pystart-"), { "Pulumi.yaml": "name: orders\nruntime: python\n", "__main__.py": "import pulumi\n" });
        const python = path.join(dir, "venv", "bin", "python");
        const r = await runHost({ ...request(dir), python: { python, pythonPath: [], from: "the program's virtualenv venv" } } as HostRequest);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /Unhandled|\n\s+at /);
        assert.deepEqual(ran(r).errors, [
            {
                kind: "program",
                message: `the Python program could not be started: its Python ${python} cannot be run: it does not exist, so there is no preview. Recreate the program's virtualenv (python3 -m venv ${path.join(dir, "venv")}, then ${path.join(dir, "venv", "bin", "pip")} install -r requirements.txt).`,
            },
        ]);
    });
});
