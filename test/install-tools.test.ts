// Finding the installers cheaply and wherever the build cache is: the pinned
// uv lives in a tools folder that does not follow the build cache, and an
// installer's identity is asked once per binary file, then remembered on disk.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { defaultToolsDir } from "../shared/cache-dirs";
import { cli, ROOT, tmpDir, writeFiles } from "./helpers";

/** Runs probe() in a fresh Node process (so nothing is remembered in memory), with its store in `tools`. */
function probeInNewProcess(command: string, tools: string): string {
    const script = `require(${JSON.stringify(path.join(ROOT, "dist", "builder", "install", "probes.js"))}).probe(process.argv[1], ["--version"]).then((a) => process.stdout.write(a ? a.stdout : "not found"))`;
    const r = spawnSync(process.execPath, ["-e", script, command], { encoding: "utf8", env: { ...process.env, LAMBDA_PYTHON_TOOLS_DIR: tools } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
}

describe("installer identities probed once", () => {
    it("asks a binary for its version once, until that file changes", () => {
        const dir = tmpDir("probe-");
        const calls = path.join(dir, "calls.log");
        const fake = writeFiles(dir, { "fake-uv": `#!/bin/sh\necho call >> ${calls}\necho "uv 9.9.9"\n` });
        fs.chmodSync(path.join(fake, "fake-uv"), 0o755);
        const tools = path.join(dir, "tools");
        const count = () => fs.readFileSync(calls, "utf8").split("\n").filter(Boolean).length;

        assert.equal(probeInNewProcess(path.join(dir, "fake-uv"), tools), "uv 9.9.9\n");
        assert.equal(probeInNewProcess(path.join(dir, "fake-uv"), tools), "uv 9.9.9\n");
        assert.equal(count(), 1, "the second process used the remembered answer");

        fs.appendFileSync(path.join(dir, "fake-uv"), "# upgraded\n");
        assert.equal(probeInNewProcess(path.join(dir, "fake-uv"), tools), "uv 9.9.9\n");
        assert.equal(count(), 2, "a changed binary is asked again");
    });

    it("tells a virtualenv's python from the interpreter it links to (its own site-packages, its own pip)", async () => {
        const venv = path.join(tmpDir("venv-"), "v");
        const made = spawnSync("python3", ["-m", "venv", "--without-pip", venv], { encoding: "utf8" });
        assert.equal(made.status, 0, made.stderr);
        const script = `const { hostPython } = require(${JSON.stringify(path.join(ROOT, "dist", "builder", "install", "host-tools.js"))});
            (async () => { const base = await hostPython("python3"); const inVenv = await hostPython(process.argv[1]); process.stdout.write(JSON.stringify([base.pipVersion ?? null, inVenv.pipVersion ?? null, inVenv.prefix])); })();`;
        const r = spawnSync(process.execPath, ["-e", script, path.join(venv, "bin", "python")], { encoding: "utf8", env: { ...process.env, LAMBDA_PYTHON_TOOLS_DIR: tmpDir("tools-") } });
        assert.equal(r.status, 0, r.stderr);
        const [base, inVenv, prefix] = JSON.parse(r.stdout);
        assert.ok(base, "python3 on this machine has pip");
        assert.equal(inVenv, null, "the virtualenv made --without-pip has none, whatever python3 answered first");
        assert.equal(prefix, venv);
    });

    it("spawns nothing for a name that is not on PATH", () => {
        assert.equal(probeInNewProcess("lp-no-such-tool", tmpDir("probe-")), "not found");
    });
});

describe("uv found whatever the cache folder", () => {
    it("builds with the pinned uv from the tools folder when the build cache is new", function () {
        const uv = path.join(defaultToolsDir(), "venv", "bin", "uv");
        if (!fs.existsSync(uv)) this.skip(); // `lambda-python setup` has not run on this machine
        const app = writeFiles(tmpDir("fresh-cache-"), { "app.py": "def handler(event, context):\n    return 1\n", "requirements.txt": "six==1.17.0\n" });
        const env: NodeJS.ProcessEnv = { ...process.env, LAMBDA_PYTHON_CACHE_DIR: tmpDir("cache-"), PATH: noUvPath() };
        delete env.LAMBDA_PYTHON_UV;
        const r = cli(["build", app, "--runtime", "python3.12", "--out", path.join(tmpDir("out-"), "fn.zip"), "--json"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.match(JSON.parse(r.stdout).dependencies.installer, /^uv /);
        assert.doesNotMatch(r.stderr, /installing uv|using pip/, "neither installed again nor replaced by pip");
    });
});

/** PATH without any folder holding a uv, so only the tools folder can supply it. */
function noUvPath(): string {
    return (process.env.PATH ?? "")
        .split(path.delimiter)
        .filter((d) => !fs.existsSync(path.join(d, "uv")))
        .join(path.delimiter);
}
