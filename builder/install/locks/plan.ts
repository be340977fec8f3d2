// From a project's dependency declaration (a lock and its project file, or a
// pyproject.toml without a lock) to what the installers take: a requirements
// file, and the local projects to build and install beside it.
import { UserError } from "../../../shared/errors";
import { LambdaTarget } from "../../../policies/target";
import { normalizeName } from "../requirements";
import { pinnedInstall } from "./locked";
import { readPdmLock } from "./pdm";
import { readPipfileLock } from "./pipenv";
import { readPoetryLock } from "./poetry";
import { dependencyGroups, poetryDependencies, projectExtras } from "./pyproject";
import { readPylock } from "./pylock";
import { checkChosen } from "./selection";
import { parseToml, strings, table } from "./toml";
import { readUvLock } from "./uv-lock";

import type { ProjectSpec } from "./project-spec";

export type { LockKind, ProjectSpec } from "./project-spec";

export interface InstallPlan {
    requirements: string;
    /** Folders of path dependencies, installed without their dependencies. */
    localProjects: string[];
    notes: string[];
    /** Every version fixed by a lock (false: resolved at build time). */
    pinned: boolean;
}

/** `texts`: the files' contents by path, as read for the install key. `uv`: the uv that exports uv.lock. */
export async function planInstall(spec: ProjectSpec, texts: Record<string, string>, target: LambdaTarget, work: string, uv: string | undefined): Promise<InstallPlan> {
    const lockText = texts[spec.file];
    const projectText = spec.project ? texts[spec.project] : undefined;
    const need = (what: string) => {
        if (!spec.project || projectText === undefined) throw new UserError(`${spec.file} has no ${what} beside it: it is read with the project file it was made from.`);
        return [spec.project, projectText] as const;
    };
    let reading;
    switch (spec.kind) {
        case "pyproject":
            return unlocked(spec, lockText, target);
        case "poetry-lock":
            reading = readPoetryLock(spec.file, lockText, ...need("pyproject.toml"), target, spec);
            break;
        case "pdm-lock":
            reading = readPdmLock(spec.file, lockText, ...need("pyproject.toml"), target, spec);
            break;
        case "pipfile-lock":
            reading = readPipfileLock(spec.file, lockText, spec.project, projectText, target, spec);
            break;
        case "pylock":
            reading = readPylock(spec.file, lockText, target, spec);
            break;
        case "uv-lock":
            reading = await readUvLock(spec.file, ...need("pyproject.toml"), target, spec, uv, work);
            break;
    }
    const pinned = pinnedInstall(reading, target);
    return { requirements: pinned.requirements, localProjects: pinned.localProjects, notes: pinned.notes, pinned: true };
}

/** A PEP 621 project without a lock: its dependencies (and the chosen extras' and groups'), resolved for the target now. */
function unlocked(spec: ProjectSpec, text: string, target: LambdaTarget): InstallPlan {
    const data = parseToml(text, spec.file, "project file");
    if (poetryDependencies(data).length) {
        throw new UserError(`${spec.file} declares dependencies in [tool.poetry], which only a poetry.lock pins: run \`poetry lock\` and build again.`);
    }
    // uv's sources (a path, a workspace member, a named index, a git URL) apply only through uv's lock: resolved
    // without them, `shared = { path = "../libs/shared" }` would be looked up on the package index by its name.
    const sourced = Object.keys(table(data, "tool", "uv", "sources"));
    if (sourced.length) {
        throw new UserError(
            `${spec.file} gives ${sourced.slice(0, 3).join(", ")}${sourced.length > 3 ? ", …" : ""} ${sourced.length === 1 ? "its source" : "their sources"} in [tool.uv.sources], which only uv applies, through a uv.lock: resolved without it, ${sourced.length === 1 ? "that package" : "those packages"} would be looked up on the package index by name. Run \`uv lock\` beside it and build again.`,
        );
    }
    const groups = dependencyGroups(data, spec.file);
    checkChosen("group", spec.groups, [...groups.keys()], spec.file, "Name one of those (--group), or add the group under [dependency-groups].");
    checkChosen("extra", spec.extras, projectExtras(data), spec.file, "Name one of those (--extra), or add it under [project.optional-dependencies].");
    const optional = table(data, "project", "optional-dependencies");
    const lines = [
        ...strings(table(data, "project").dependencies),
        ...Object.entries(optional)
            .filter(([x]) => spec.extras.map(normalizeName).includes(normalizeName(x)))
            .flatMap(([, reqs]) => strings(reqs)),
        ...spec.groups.flatMap((g) => groups.get(normalizeName(g)) ?? []),
    ];
    return {
        requirements: `${lines.join("\n")}\n`,
        localProjects: [],
        notes: lines.length === 0 ? [] : [`not pinned: ${spec.file} has no lock, so its dependencies were resolved for ${target.runtime} ${target.architecture} when installed (lock them with uv lock, pdm lock or poetry lock)`],
        pinned: false,
    };
}
