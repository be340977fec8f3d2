// The external tools the CLI can use, installed at pinned versions into a
// folder of the build cache (never into the user's Python): uv, which
// installs dependencies faster and evaluates environment markers for the
// target instead of this machine.
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../errors";
import { run, tail } from "../process";
import { defaultToolsDir } from "../build/cache";
import { findUv } from "../build/install/installers";

export const UV_VERSION = "0.13.8";

/** A virtualenv of our own for Python tools. */
async function toolsVenv(dir: string, python = "python3"): Promise<string> {
    const venv = path.join(dir, "venv");
    if (!fs.existsSync(path.join(venv, "bin", "python"))) {
        fs.mkdirSync(dir, { recursive: true });
        const r = await run(python, ["-m", "venv", venv]);
        if (r.code !== 0) throw new UserError(`could not create a virtualenv for lambda-python's tools in ${venv}: ${tail(r.stderr, 4)}`);
    }
    return venv;
}

async function pipInstall(venv: string, requirement: string): Promise<void> {
    const r = await run(path.join(venv, "bin", "python"), ["-m", "pip", "install", "--disable-pip-version-check", "-q", requirement]);
    if (r.code !== 0) throw new UserError(`could not install ${requirement} from PyPI into ${venv}: ${tail(r.stdout + r.stderr, 6)}`);
}

/** uv on PATH or in the tools folder; installs the pinned version there when missing. */
export async function ensureUv(dir = defaultToolsDir()): Promise<string> {
    const found = await findUv(undefined, dir);
    if (found) return found;
    const venv = await toolsVenv(dir);
    await pipInstall(venv, `uv==${UV_VERSION}`);
    return path.join(venv, "bin", "uv");
}
