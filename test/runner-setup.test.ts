// lambda-python setup: what it reports, and that an interrupted install
// leaves nothing half-made.
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { defaultToolsDir } from "../shared/cache-dirs";
import { QEMU_VERSION } from "../target-python/qemu";
import pinnedQemu from "../target-python/debian-qemu.json";
import { emulatorPath } from "../runner/tools";
import { CLI, cli, cliAsync, ROOT, tmpDir } from "./helpers";

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

    it("names the pinned qemu it installed for the other architecture", () => {
        const r = cli(["setup", "--runtime", "python3.13", "--arch", "arm64"]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.split("\n").includes(`qemu ${QEMU_VERSION} (runs arm64): ${path.join(defaultToolsDir(), "runner", `qemu-${QEMU_VERSION}-on-x86_64`, "qemu-aarch64")}`), r.stdout);
    });

    it("says where the pinned qemu could not be downloaded from and how to fix it, and keeps nothing of a file with the wrong hash", async () => {
        // A mirror that has no such file, then one that serves something else under its name.
        let answer = (res: http.ServerResponse) => res.writeHead(404).end();
        const requested: string[] = [];
        const mirror = http.createServer((req, res) => {
            requested.push(req.url ?? "");
            answer(res);
        });
        await new Promise<void>((resolve) => mirror.listen(0, "127.0.0.1", resolve));
        const url = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/debian`;
        try {
            // A tools folder of its own that already has the emulator, so the qemu is the first thing to fetch.
            const tools = tmpDir("lp-tools-");
            fs.mkdirSync(path.join(tools, "runner"));
            fs.symlinkSync(path.dirname(emulatorPath()), path.join(tools, "runner", path.basename(path.dirname(emulatorPath()))));
            const env = { ...process.env, LAMBDA_PYTHON_TOOLS_DIR: tools, LAMBDA_PYTHON_DEBIAN_MIRROR: url };
            const args = ["invoke", path.join(ROOT, "test", "fixtures", "runner", "qemu-probe"), "--runtime", "python3.13", "--arch", "arm64"];

            const missing = await cliAsync(args, env).done;
            assert.equal(missing.code, 2, missing.stderr);
            assert.deepEqual(requested, [`/debian/${pinnedQemu.debs.x86_64.filename}`]);
            assert.match(missing.stderr, new RegExp(`could not download the pinned qemu \\(qemu-user 1:${QEMU_VERSION}\\S*, which runs the other architecture's Python\\) from ${url}/pool/main/q/qemu/qemu-user_\\S+_amd64\\.deb: HTTP 404`));
            assert.match(
                missing.stderr,
                /HTTP 404, the mirror does not have it .*Check your network .*, or set LAMBDA_PYTHON_DEBIAN_MIRROR .*, or run lambda-python setup on a machine with network into a tools folder this one reads \(LAMBDA_PYTHON_TOOLS_DIR\)\.$/m,
            );

            answer = (res) => res.writeHead(200).end("not qemu");
            const wrong = await cliAsync(args, env).done;
            assert.equal(wrong.code, 2, wrong.stderr);
            assert.match(wrong.stderr, /_amd64\.deb has sha256 \w+, not the pinned \w+ \(target-python\/debian-qemu\.json\): refusing to use it/);
            assert.deepEqual(
                fs.readdirSync(path.join(tools, "runner")).filter((n) => n.startsWith("qemu") || n.startsWith(".qemu")),
                [],
                "neither a qemu folder nor a temporary one is left",
            );
        } finally {
            mirror.close();
        }
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
