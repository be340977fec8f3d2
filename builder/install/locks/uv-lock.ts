// uv.lock, through uv itself: `uv export --locked --format pylock.toml`
// refuses a lock that no longer matches its pyproject (uv's own check,
// offline), applies uv's workspaces, sources and forks, and writes the
// chosen groups' and extras' packages as a PEP 751 lock, which pylock.ts
// reads like any other. Dev and default groups are left out unless chosen.
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../../../shared/errors";
import { run, tail } from "../../../shared/process";
import { LambdaTarget } from "../../../policies/target";
import { withoutIndexEnvironment } from "../indexes";
import { LockReading } from "./locked";
import { dependencyGroups, projectExtras } from "./pyproject";
import { readPylock } from "./pylock";
import { checkChosen, Selection } from "./selection";
import { parseToml, readText, str, table } from "./toml";

/**
 * uv needs an interpreter the project's requires-python admits before it
 * checks a lock (astral-sh/uv#8634): its words when it found none, with the
 * requirement it names and an interpreter it could not run (a pyenv shim of
 * a version not selected exits 127).
 */
function noInterpreter(stderr: string): { requirement?: string; broken?: string } | undefined {
    const missing = /No interpreter found for Python (\S+) in/.exec(stderr);
    const incompatible = /incompatible with the project's Python requirement: `([^`]+)`/.exec(stderr);
    const broken = /Failed to inspect Python interpreter from [^`]*`([^`]+)`/.exec(stderr);
    if (!missing && !incompatible && !broken) return undefined;
    return { requirement: missing?.[1] ?? incompatible?.[1], broken: broken?.[1] };
}

export async function readUvLock(lock: string, pyproject: string, pyprojectText: string, target: LambdaTarget, chosen: Selection, uv: string | undefined, work: string): Promise<LockReading> {
    const data = parseToml(pyprojectText, pyproject, "project file");
    checkChosen("group", chosen.groups, [...dependencyGroups(data, pyproject).keys()], pyproject, "Name one of those (--group), or add the group and run `uv lock`.");
    checkChosen("extra", chosen.extras, projectExtras(data), pyproject, "Name one of those (--extra), or add the extra and run `uv lock`.");
    if (!uv) throw new UserError(`${lock} is read with uv (\`uv export\`), which is not installed. Install it (pip install uv, or lambda-python setup), or export requirements.txt yourself.`);
    // uv names the output pylock.toml (or pylock.<name>.toml) and writes its paths relative to it.
    const out = path.join(work, "uv-export", "pylock.toml");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const args = ["export", "--locked", "--format", "pylock.toml", "--no-default-groups", "--no-header", "--quiet"];
    for (const g of chosen.groups) args.push("--group", g);
    for (const x of chosen.extras) args.push("--extra", x);
    const r = await run(uv, [...args, "--project", path.dirname(pyproject), "-o", out], { env: { ...withoutIndexEnvironment(), UV_PYTHON_DOWNLOADS: "never", UV_OFFLINE: "1" } });
    if (r.code !== 0) {
        if (/needs to be updated, but `--locked` was provided/.test(r.stderr)) {
            throw new UserError(`${lock} is out of date: it was not made from the dependencies ${pyproject} (or a workspace member or path dependency it names) declares now, as \`uv lock --check\` reports. Run \`uv lock\` and build again.`);
        }
        const noPython = noInterpreter(r.stderr);
        if (noPython) {
            const wanted = noPython.requirement ?? str(table(data, "project")["requires-python"]) ?? "any";
            const version = target.python.join(".");
            throw new UserError(
                `${lock} is read with uv, which checks it against ${pyproject} (\`uv export --locked\`) with a Python interpreter that requires-python admits (${wanted}), and uv found none on this machine${noPython.broken ? ` (it could not run ${noPython.broken})` : ""}. ` +
                    `Install Python ${version}, the function's runtime, where uv finds it (python${version} on PATH, or \`uv python install ${version}\`), and build again.`,
            );
        }
        throw new UserError(`uv could not export ${lock}: ${tail(r.stderr, 6)}`);
    }
    return readPylock(out, readText(out, "uv's export"), target, { groups: [], extras: [] }, lock);
}
