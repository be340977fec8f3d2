// Where a function's dependencies are declared, found the way Python's tools
// find them: from the source folder up through its parents (Poetry, PDM, uv
// and Pipenv all look upwards for their project file) to the nearest folder
// that holds one, never above the repository (a folder with .git) or the home
// folder. A requirements.txt counts only in the source folder itself (pip
// does not look upwards).
//
// Never silent: a folder that declares dependencies in a form the build does
// not read (pip-tools' requirements.in, rye's requirements.lock, conda, a
// setup.py's install_requires, dependencies a build backend computes), in
// two ways at once, or with a Pipfile or Poetry dependencies but no lock, is
// refused with one paragraph that names the file and what to do. When there
// is nothing to install, the build says why in its report.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import picomatch from "picomatch";
import { UserError } from "../../shared/errors";
import type { DependencySpec } from "./dependencies";
import type { LockKind, ProjectSpec } from "./locks/plan";
import { declaresDependencies, poetryDependencies, projectPackage } from "./locks/pyproject";
import type { Selection } from "./locks/selection";
import { parseToml, readText, strings, table, TomlTable } from "./locks/toml";

/** What a folder's dependencies resolve to: a spec, or nothing with the reason why. */
export type Detected = { spec: DependencySpec } | { spec: undefined; note: string };

const LOCKS: [RegExp, LockKind][] = [
    [/^poetry\.lock$/, "poetry-lock"],
    [/^Pipfile\.lock$/, "pipfile-lock"],
    [/^pdm\.lock$/, "pdm-lock"],
    [/^uv\.lock$/, "uv-lock"],
    [/^pylock(\.[^.]+)?\.toml$/, "pylock"],
];

/** Files that declare dependencies in a form the build does not read, and what each is. */
const UNREAD: [RegExp, string, string][] = [
    [/^requirements\.in$/, "pip-tools' input", "compile it (`pip-compile requirements.in` writes requirements.txt)"],
    [/^requirements(-[\w-]+)?\.lock$/, "a lock written by rye", "pass it with --requirements (it is a requirements file)"],
    [/^(environment\.ya?ml|conda-lock\.ya?ml)$/, "a conda environment", "write the PyPI packages it needs into a requirements.txt"],
    [/^pixi\.(lock|toml)$/, "a pixi project", "write the PyPI packages it needs into a requirements.txt"],
];

export function lockKindOf(file: string): LockKind | undefined {
    return LOCKS.find(([re]) => re.test(path.basename(file)))?.[1];
}

/** The project file a lock is read with, when it is there. */
function projectFileOf(kind: LockKind, dir: string): string | undefined {
    const name = kind === "pipfile-lock" ? "Pipfile" : kind === "pylock" ? undefined : "pyproject.toml";
    const file = name && path.join(dir, name);
    return file && fs.existsSync(file) ? file : undefined;
}

/** The spec for an explicit lock file (--lock). */
export function lockSpec(lock: string, chosen: Selection): ProjectSpec {
    const kind = lockKindOf(lock);
    if (!kind) throw new UserError(`${lock} is not a lock lambda-python build reads: give poetry.lock, Pipfile.lock, pdm.lock, uv.lock, pylock.toml or pylock.<name>.toml.`);
    const project = projectFileOf(kind, path.dirname(lock));
    if (!project && kind !== "pipfile-lock" && kind !== "pylock") throw new UserError(`${lock} has no pyproject.toml beside it: it is read with the project file it was made from.`);
    if (project && kind !== "pipfile-lock" && kind !== "poetry-lock") refusePoetryWithoutItsLock(project, path.basename(lock));
    return { kind, file: lock, project, ...chosen };
}

/** The spec for an explicit pyproject.toml (--pyproject): with the lock beside it that reads it, or resolved without one. */
export function pyprojectSpec(pyproject: string, chosen: Selection): ProjectSpec {
    const dir = path.dirname(pyproject);
    const locks = fs.readdirSync(dir).filter((n) => lockKindOf(n) && lockKindOf(n) !== "pipfile-lock");
    if (locks.length > 1) throw new UserError(`${dir} holds ${listOf(locks)}: say which lock to build from with --lock (the component's \`lock\`), or remove the others.`);
    if (locks.length === 1) return lockSpec(path.join(dir, locks[0]), chosen);
    const workspace = uvWorkspaceLock(dir, ceiling(dir));
    if (workspace) return memberSpec(workspace, pyproject, chosen);
    refusePoetryWithoutItsLock(pyproject, undefined);
    return { kind: "pyproject", file: pyproject, ...chosen };
}

/** Finds the dependencies of a source folder (see the module comment). */
export function detectDependencies(source: string, chosen: Selection): Detected {
    const top = ceiling(source);
    for (let dir = source; ; dir = path.dirname(dir)) {
        const found = decide(dir, dir === source, chosen, top);
        if (found) return found;
        if (dir === top || path.dirname(dir) === dir) break;
    }
    const where = top === source ? source : `${source} or the folders above it up to ${top}`;
    return { spec: undefined, note: `no requirements.txt, pyproject.toml, Pipfile or lock file in ${where}` };
}

/**
 * The uv.lock of the uv workspace `dir` is a member of, found as uv finds it:
 * the nearest folder above with a pyproject.toml that has a
 * [tool.uv.workspace] decides; `dir` is a member when one of its `members`
 * globs matches it and no `exclude` glob does. A member of a workspace
 * without a lock is refused.
 */
function uvWorkspaceLock(dir: string, top: string): string | undefined {
    if (dir === top) return undefined;
    for (let root = path.dirname(dir); ; root = path.dirname(root)) {
        const pyproject = path.join(root, "pyproject.toml");
        // Only a file that mentions uv's settings is parsed.
        if (fs.existsSync(pyproject) && /tool\.uv\b|^\s*\[tool\]/m.test(readText(pyproject, "project file"))) {
            const workspace = table(readPyprojectData(pyproject), "tool", "uv", "workspace");
            if (Object.keys(workspace).length) {
                const rel = path.relative(root, dir).split(path.sep).join("/");
                const matches = (globs: string[]) => globs.length > 0 && picomatch(globs.map((g) => g.replace(/^\.\//, "").replace(/\/+$/, "")))(rel);
                if (!matches(strings(workspace.members)) || matches(strings(workspace.exclude))) return undefined;
                const lock = path.join(root, "uv.lock");
                if (!fs.existsSync(lock)) {
                    throw new UserError(`${dir} is a member of the uv workspace of ${pyproject}, which has no uv.lock: run \`uv lock\` in ${root} and build again (a member is locked with its workspace).`);
                }
                return lock;
            }
        }
        if (root === top || path.dirname(root) === root) return undefined;
    }
}

/** A workspace member built from its workspace's lock: uv exports the member's dependencies (locks/uv-lock.ts). */
function memberSpec(lock: string, pyproject: string, chosen: Selection): ProjectSpec {
    refusePoetryWithoutItsLock(pyproject, "uv.lock");
    return { kind: "uv-lock", file: lock, project: pyproject, ...chosen };
}

/** The highest folder the search looks in: the repository around the source (a folder with .git), else the home folder, else the root. */
function ceiling(source: string): string {
    const home = os.homedir();
    for (let dir = source; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, ".git")) || dir === home || path.dirname(dir) === dir) return dir;
    }
}

function listOf(names: string[]): string {
    return names.length <= 2 ? names.join(" and ") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

function readPyprojectData(file: string): TomlTable {
    return parseToml(readText(file, "project file"), file, "project file");
}

/** Dependencies in [tool.poetry] are Poetry's dialect: only poetry.lock pins them, whatever other lock is there. */
function refusePoetryWithoutItsLock(pyproject: string, otherLock: string | undefined): void {
    const text = readText(pyproject, "project file");
    if (!/tool\.poetry/.test(text)) return;
    const deps = poetryDependencies(parseToml(text, pyproject, "project file"));
    if (!deps.length) return;
    throw new UserError(
        `${pyproject} declares dependencies in [tool.poetry] (${listOf(deps.slice(0, 3))}${deps.length > 3 ? ", …" : ""}), which only a poetry.lock pins${otherLock ? `, not ${otherLock}` : ""}. Run \`poetry lock\` and build again${otherLock ? `, or move them to [project].dependencies for the tool that wrote ${otherLock}` : ""}.`,
    );
}

/** What one folder declares, or undefined when it declares nothing and the search goes on upwards. */
function decide(dir: string, isSource: boolean, chosen: Selection, top: string): Detected | undefined {
    let names: string[];
    try {
        names = fs.readdirSync(dir);
    } catch {
        return undefined;
    }
    const has = (n: string) => names.includes(n);
    const locks = names.filter((n) => lockKindOf(n)).sort();
    const requirements = isSource && has("requirements.txt");
    const pyproject = has("pyproject.toml") ? path.join(dir, "pyproject.toml") : undefined;
    const pipfile = has("Pipfile");
    const unread = names.flatMap((n) => {
        const u = UNREAD.find(([re]) => re.test(n));
        if (!u || (n === "requirements.in" && requirements)) return [];
        return [{ name: n, what: u[1], fix: u[2] }];
    });
    const setupPy = ["setup.py", "setup.cfg"].filter((n) => has(n) && /install_requires/.test(readText(path.join(dir, n), "setup file")));
    if (!locks.length && !requirements && !pyproject && !pipfile && !unread.length && !setupPy.length) return undefined;

    const where = (n: string) => path.join(dir, n);
    if (unread.length) {
        const u = unread[0];
        throw new UserError(`${where(u.name)} is ${u.what}, a way of declaring dependencies lambda-python build does not read: ${u.fix}, or give the dependencies with --requirements, --pyproject or --lock (--no-detect builds without them).`);
    }
    if (setupPy.length) {
        throw new UserError(
            `${where(setupPy[0])} declares install_requires, which lambda-python build does not read (it would have to run the file): list the dependencies in a requirements.txt or in [project].dependencies of a pyproject.toml, or give them with --requirements (--no-detect builds without them).`,
        );
    }
    if (pipfile && !has("Pipfile.lock")) {
        throw new UserError(`${where("Pipfile")} has no Pipfile.lock beside it: run \`pipenv lock\` and build again (a Pipfile's versions are only fixed by its lock).`);
    }
    const projectLocks = locks.filter((n) => lockKindOf(n) !== "pipfile-lock");
    const workspace = pyproject && !projectLocks.length && !requirements ? uvWorkspaceLock(dir, top) : undefined;
    if (workspace) return { spec: memberSpec(workspace, pyproject!, chosen) };
    // With a lock that reads it, the pyproject's dependencies are the lock's business (no need to read it here).
    const data = pyproject && !projectLocks.length ? readPyprojectData(pyproject) : undefined;
    if (data && strings(table(data, "project").dynamic).includes("dependencies")) {
        throw new UserError(
            `${pyproject} declares its dependencies as dynamic ([project] dynamic = ["dependencies"]): its build backend computes them, and lambda-python build cannot read them. List them in [project].dependencies or a requirements.txt, or give them with --requirements.`,
        );
    }
    const declared = [...(requirements ? ["requirements.txt"] : []), ...locks, ...(data && declaresDependencies(data) ? ["pyproject.toml"] : [])];
    if (declared.length > 1) {
        const described = declared.map((n) => (n === "pyproject.toml" ? "pyproject.toml (dependencies without a lock)" : n));
        throw new UserError(
            `${dir} declares dependencies in several ways: ${listOf(described)}. Say which one the function uses with --requirements FILE, --lock FILE or --pyproject FILE (the components' \`requirements\`, \`lock\`, \`pyproject\`), or remove the others.`,
        );
    }
    const only = declared[0] ?? (data && projectPackage(pyproject!, data).install ? "pyproject.toml" : undefined);
    if (!only) return { spec: undefined, note: pyproject ? `${pyproject} declares no dependencies` : `no dependency file in ${dir}` };
    if (only === "requirements.txt") {
        if (chosen.groups.length || chosen.extras.length) {
            throw new UserError(`--group and --extra choose among a project's dependency groups and extras; ${where(only)} is a requirements file. Give a pyproject.toml or a lock, or leave them out.`);
        }
        return { spec: { kind: "requirements", file: where(only) } };
    }
    if (only === "pyproject.toml") {
        refusePoetryWithoutItsLock(pyproject!, undefined);
        return { spec: { kind: "pyproject", file: pyproject!, ...chosen } };
    }
    return { spec: lockSpec(where(only), chosen) };
}
