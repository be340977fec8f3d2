// lambda-python setup says what it downloads: each step that has something to install says so as it
// starts, and once done its size on disk and the time it took; nothing when everything is there with
// --progress-only (what npm start and npm test run), nothing at all with --quiet. Lines are checked
// for their shape, never their figures.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { defaultToolsDir } from "../shared/cache-dirs";
import { PIP_VERSION, UV_VERSION } from "../builder/tools";
import { hostArchitecture } from "../target-python/host";
import { emulatorPath } from "../runner/tools";
import { stripDir, STRIPPER_PACKAGE } from "../builder/tools/strip";
import { cli, tmpDir, writeFiles } from "./helpers";
import { closedEndpoint } from "./s3-server";

/** The pinned stripper's folder in the tools folder (build --slim's). */
const STRIPPER = path.relative(defaultToolsDir(), stripDir());

const SIZE_AND_TIME = String.raw`\d+(\.\d+)? (B|KB|MB) in (\d+\.\d s|\d+ min \d+ s)`;

/** A tools folder of its own holding what `keep` names from the shared one (symbolic links), so only the rest is installed. */
function toolsWith(keep: string[]): string {
    const tools = tmpDir("lp-tools-");
    for (const rel of keep) {
        fs.mkdirSync(path.dirname(path.join(tools, rel)), { recursive: true });
        fs.symlinkSync(path.join(defaultToolsDir(), rel), path.join(tools, rel));
    }
    return tools;
}

describe("lambda-python setup: progress for what it downloads", () => {
    it("says uv and pip are being installed, then their size and time; --progress-only prints no list of what is ready", () => {
        const tools = toolsWith([STRIPPER]);
        const env = { ...process.env, LAMBDA_PYTHON_TOOLS_DIR: tools };
        const first = cli(["setup", "--no-runner", "--progress-only"], { env });
        assert.equal(first.code, 0, first.stderr);
        assert.equal(first.stdout, "");
        const lines = first.stderr.trimEnd().split("\n");
        assert.equal(lines[0], `lambda-python: installing uv ${UV_VERSION} and pip ${PIP_VERSION} into ${path.join(tools, "venv")} (from PyPI)`);
        assert.match(lines[lines.length - 1], new RegExp(`^lambda-python: uv ${UV_VERSION} and pip ${PIP_VERSION}: ${SIZE_AND_TIME}$`));

        const again = cli(["setup", "--no-runner", "--progress-only"], { env });
        assert.deepEqual([again.code, again.stdout, again.stderr], [0, "", ""], "nothing to install: silent");
        const listed = cli(["setup", "--no-runner"], { env });
        assert.equal(listed.stderr, "");
        assert.match(listed.stdout, new RegExp(`^uv: ${path.join(tools, "venv", "bin", "uv")}\n`));
    });

    it("installs build --slim's stripper, saying so with its size and time, so that a slim build after it needs no network", () => {
        const tools = toolsWith(["venv"]);
        const env = { ...process.env, LAMBDA_PYTHON_TOOLS_DIR: tools };
        const first = cli(["setup", "--no-runner"], { env });
        assert.equal(first.code, 0, first.stderr);
        const what = `strip \\(Debian ${STRIPPER_PACKAGE.suite} binutils-multiarch ${STRIPPER_PACKAGE.version.replace(/\./g, "\\.")}\\)`;
        assert.match(first.stderr, new RegExp(`^lambda-python: downloading binutils-multiarch ${STRIPPER_PACKAGE.version.replace(/\./g, "\\.")} .* from http\\S+\\.deb$`, "m"));
        assert.match(first.stderr, new RegExp(`^lambda-python: ${what}: ${SIZE_AND_TIME}$`, "m"));
        assert.match(first.stdout, new RegExp(`^${what}, for build --slim: ${path.join(tools, STRIPPER, "strip")}$`, "m"));
        assert.ok(!fs.lstatSync(path.join(tools, STRIPPER)).isSymbolicLink(), "installed here, not the shared one");
        const again = cli(["setup", "--no-runner", "--progress-only"], { env });
        assert.deepEqual([again.code, again.stdout, again.stderr], [0, "", ""], "nothing to install: silent");

        // A slim build with no network at all (its own network namespace): a shared object stripped by what setup
        // installed. The dependencies are an installed folder (no index to ask) and the proof is left out (it runs
        // the function, which the runner's tests cover offline).
        const site = writeFiles(tmpDir("lp-slim-offline-site-"), {
            "fastsum/__init__.py": "from ._speed import add\n",
            "fastsum/_speed.c": "int add(int a, int b) { return a + b; }\n",
            "fastsum-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: fastsum\nVersion: 1.0\n",
            "fastsum-1.0.dist-info/RECORD": "fastsum/__init__.py,,\nfastsum/_speed.abi3.so,,\nfastsum-1.0.dist-info/METADATA,,\nfastsum-1.0.dist-info/RECORD,,\n",
        });
        // Debug information, as a package built from source has it: what strip removes.
        const cc = spawnSync("gcc", ["-g", "-O1", "-shared", "-fPIC", "-o", path.join(site, "fastsum", "_speed.abi3.so"), path.join(site, "fastsum", "_speed.c")], { encoding: "utf8" });
        assert.equal(cc.status, 0, cc.stderr);
        fs.rmSync(path.join(site, "fastsum", "_speed.c"));
        const app = writeFiles(tmpDir("lp-slim-offline-app-"), { "app.py": "import fastsum\n\n\ndef lambda_handler(event, context):\n    return fastsum.add(1, 2)\n" });
        const args = ["build", app, "--slim", "--no-prove", "--site-packages", site, "--runtime", "python3.13", "--arch", hostArchitecture()!, "--out", path.join(tmpDir(), "app.zip"), "--json"];
        const cacheDir = () => ["--cache-dir", tmpDir("lp-slim-offline-cache-")];
        const offline = { env, prefix: ["bwrap", "--unshare-net", "--dev-bind", "/", "/"] };
        const r = cli([...args, ...cacheDir()], offline);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /downloading/);
        assert.deepEqual(
            JSON.parse(r.stdout).slim.packages.map((p: { name: string; strippedFiles: number }) => [p.name, p.strippedFiles]),
            [["fastsum", 1]],
        );
        // Without setup's stripper, the same build (in a new cache: nothing stripped yet) would have to download it, and cannot.
        fs.rmSync(path.join(tools, STRIPPER), { recursive: true });
        const without = cli([...args, ...cacheDir()], offline);
        assert.equal(without.code, 2, without.stderr);
        assert.match(without.stderr, /could not download the pinned stripper/);
    });

    it("says, without failing, when the stripper cannot be had: only slim builds need it", async () => {
        const tools = toolsWith(["venv"]);
        const env = { ...process.env, LAMBDA_PYTHON_TOOLS_DIR: tools, LAMBDA_PYTHON_DEBIAN_MIRROR: `${await closedEndpoint()}/debian` };
        const r = cli(["setup", "--no-runner"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /^lambda-python: warning: could not download the pinned stripper .*\nBuilds without --slim do not need it; build --slim tries again\.$/m);
        assert.doesNotMatch(r.stdout, /for build --slim/);
        assert.ok(!fs.existsSync(path.join(tools, STRIPPER)));
    });

    it("says each runtime's root and runtime client with their size and time, and --quiet says nothing", () => {
        // The roots and the emulator are shared (minutes to make); the runtime client is installed anew.
        const emulator = path.relative(defaultToolsDir(), path.dirname(emulatorPath()));
        const keep = ["venv", STRIPPER, "runner/roots", emulator];
        const args = ["setup", "--runtime", "python3.13", "--arch", "x86_64"];
        const quiet = cli([...args, "--quiet"], { env: { ...process.env, LAMBDA_PYTHON_TOOLS_DIR: toolsWith(keep) } });
        assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, "", ""]);

        const env = { ...process.env, LAMBDA_PYTHON_TOOLS_DIR: toolsWith(keep) };
        const r = cli(args, { env });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /^lambda-python: installing awslambdaric==\S+ for python3\.13 on x86_64$/m);
        assert.match(r.stderr, new RegExp(`^lambda-python: python3\\.13 x86_64 \\(Debian python3\\.13 root and awslambdaric==\\S+\\): ${SIZE_AND_TIME}$`, "m"));
        assert.doesNotMatch(r.stderr, /uv .* and pip|Runtime Interface Emulator/, "what was there is not said");
        assert.match(r.stdout, /^python3\.13 x86_64: CPython 3\.13\.\S+ from Debian trixie$/m);
    });
});
