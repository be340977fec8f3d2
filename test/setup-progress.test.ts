// lambda-python setup says what it downloads: each step that has something to install says so as it
// starts, and once done its size on disk and the time it took; nothing when everything is there with
// --progress-only (what npm start and npm test run), nothing at all with --quiet. Lines are checked
// for their shape, never their figures.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { defaultToolsDir } from "../shared/cache-dirs";
import { PIP_VERSION, UV_VERSION } from "../builder/tools";
import { emulatorPath } from "../runner/tools";
import { cli, tmpDir } from "./helpers";

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
        const tools = toolsWith([]);
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

    it("says each runtime's root and runtime client with their size and time, and --quiet says nothing", () => {
        // The roots and the emulator are shared (minutes to make); the runtime client is installed anew.
        const emulator = path.relative(defaultToolsDir(), path.dirname(emulatorPath()));
        const keep = ["venv", "runner/roots", emulator];
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
