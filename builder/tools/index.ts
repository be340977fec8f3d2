// The external tools the CLI can use, installed at pinned versions into a
// folder of the build cache (never into the user's Python): uv, which
// installs dependencies faster and evaluates environment markers for the
// target instead of this machine, and a pinned pip beside it, which resolves
// for targets uv has no platform for (installers.ts) — the same pip on every
// machine, and about twice as fast at it as an older pip the machine may have.
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../../shared/errors";
import { run, tail } from "../../shared/process";
import { defaultToolsDir } from "../../shared/cache-dirs";
import { findUv, hostPython, HostPython } from "../install/host-tools";
import { ownerTag } from "../../shared/owner";
import { removeQuietly, renameFolderIntoPlace, trackTemp } from "../../shared/atomic";

export const UV_VERSION = "0.13.8";
export const PIP_VERSION = "26.3";

/** A virtualenv of our own for Python tools. */
async function toolsVenv(dir: string, python = "python3", venv = path.join(dir, "venv")): Promise<string> {
    if (!fs.existsSync(path.join(venv, "bin", "python"))) {
        fs.mkdirSync(dir, { recursive: true });
        const r = await run(python, ["-m", "venv", venv]);
        if (r.code !== 0) throw new UserError(`could not create a virtualenv for lambda-python's tools in ${venv}: ${tail(r.stderr, 4)}`);
    }
    return venv;
}

async function pipInstall(venv: string, ...requirements: string[]): Promise<void> {
    const r = await run(path.join(venv, "bin", "python"), ["-m", "pip", "install", "--disable-pip-version-check", "-q", ...requirements]);
    if (r.code !== 0) throw new UserError(`could not install ${requirements.join(" ")} from PyPI into ${venv}: ${tail(r.stdout + r.stderr, 6)}`);
}

// Kept for the process: once installed, the pinned uv stays where it is (a failed install is not kept).
const installing = new Map<string, Promise<string>>();

/**
 * uv on PATH or in the tools folder; installs the pinned version there when
 * missing. Builds that start together (the functions of one Pulumi program,
 * two CLI runs) must not install into the same folder at once — one would
 * run a half-written binary — so within a process there is one install per
 * folder, and across processes the virtualenv is made beside its final name
 * and renamed into place (uv is a native binary; it does not mind the move).
 */
export function ensureUv(dir = defaultToolsDir()): Promise<string> {
    let pending = installing.get(dir);
    if (!pending) {
        pending = installUv(dir);
        installing.set(dir, pending);
        pending.catch(() => installing.delete(dir));
    }
    return pending;
}

async function installUv(dir: string): Promise<string> {
    const found = await findUv(undefined, dir);
    if (found) return found;
    const venv = path.join(dir, "venv");
    const uv = path.join(venv, "bin", "uv");
    if (fs.existsSync(path.join(venv, "bin", "python"))) {
        // A tools virtualenv from before (or from setup) without uv: add it there, with the resolver pip.
        await pipInstall(venv, `uv==${UV_VERSION}`, `pip==${PIP_VERSION}`);
        return uv;
    }
    // Tagged with this process (a killed build's is removed by the next one: leftovers.ts) and removed if interrupted.
    const temp = trackTemp(path.join(dir, `venv.tmp-${ownerTag()}-${Date.now()}`));
    try {
        await toolsVenv(dir, "python3", temp);
        await pipInstall(temp, `uv==${UV_VERSION}`, `pip==${PIP_VERSION}`);
        // Another build may finish first; its uv is the same pinned version (whether it is whole, uv itself says).
        if (!renameFolderIntoPlace(temp, venv, () => true)) {
            if (!(await findUv(undefined, dir))) throw new UserError(`could not put uv into ${venv}: another process left it incomplete; remove ${venv} and try again.`);
        }
        return uv;
    } finally {
        removeQuietly(temp);
    }
}

/** The tools virtualenv's Python when its pip is the pinned resolver, else undefined (builds then resolve with the machine's pip). */
export async function resolverPython(dir = defaultToolsDir()): Promise<HostPython | undefined> {
    const python = path.join(dir, "venv", "bin", "python");
    if (!fs.existsSync(python)) return undefined;
    const py = await hostPython(python).catch(() => undefined);
    return py?.pipVersion === PIP_VERSION ? py : undefined;
}

/** Puts the pinned pip into the tools virtualenv (made if missing); setup and the first uv install call it. */
export async function ensureResolverPip(dir = defaultToolsDir()): Promise<void> {
    if (await resolverPython(dir)) return;
    await pipInstall(await toolsVenv(dir), `pip==${PIP_VERSION}`);
}
