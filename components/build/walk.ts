// Lists the files of a folder that go into an archive: default excludes for
// things that never belong in a Lambda package, the user's include/exclude
// globs, symbolic links followed only while they stay inside the folder.
import * as fs from "fs";
import * as path from "path";
import picomatch from "picomatch";
import { UserError } from "../errors";

export interface WalkedFile {
    /** Path relative to the walked folder, "/"-separated. */
    rel: string;
    abs: string;
    size: number;
    mtimeMs: number;
    ctimeMs: number;
    ino: number;
    mode: number;
}

export interface WalkOptions {
    /** Only files matching one of these globs are kept (default: all). */
    include?: string[];
    /** Files and folders matching these globs are left out. */
    exclude?: string[];
    /** Leave out VCS folders, virtualenvs, node_modules, caches, .env files … (default true). */
    defaultExcludes?: boolean;
    /** Absolute paths never to include (e.g. the output zip itself). */
    skip?: string[];
    /** How to name the folder in errors: "source folder", "site-packages folder". */
    what: string;
}

/** Folders that never belong in a Lambda package, by name. */
export const DEFAULT_EXCLUDED_FOLDERS = [
    ".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".ipynb_checkpoints",
    ".idea", ".vscode", ".pulumi", ".lambda-python", ".aws-sam", "cdk.out",
];

/** Files that never belong in a Lambda package, by name … */
export const DEFAULT_EXCLUDED_FILES = [".env", ".DS_Store", "Thumbs.db", ".coverage", ".python-version"];
/** … and by ending (plus any `.env.*`). */
export const DEFAULT_EXCLUDED_SUFFIXES = [".pyc", ".pyo", ".swp"];

const GLOB_OPTIONS = { dot: true, basename: true };

export interface PathFilter {
    keepFolder(rel: string): boolean;
    keepFile(rel: string): boolean;
    /** For flat listings: the file and every folder above it. */
    keepPath(rel: string): boolean;
}

// The defaults are plain name checks (they run for every file of big trees); globs only for the user's patterns.
function isDefaultExcludedFile(name: string): boolean {
    return DEFAULT_EXCLUDED_FILES.includes(name) || name.startsWith(".env.") || DEFAULT_EXCLUDED_SUFFIXES.some((s) => name.endsWith(s));
}

export function makeFilter(options: Pick<WalkOptions, "include" | "exclude" | "defaultExcludes">): PathFilter {
    const defaults = options.defaultExcludes !== false;
    const excludedFolder = new Set(defaults ? DEFAULT_EXCLUDED_FOLDERS : []);
    const excludeUser = options.exclude?.length ? picomatch(options.exclude, GLOB_OPTIONS) : () => false;
    const include = options.include?.length ? picomatch(options.include, GLOB_OPTIONS) : () => true;
    const keepFolder = (rel: string) => !excludedFolder.has(rel.slice(rel.lastIndexOf("/") + 1)) && !excludeUser(rel);
    const keepFile = (rel: string) => !(defaults && isDefaultExcludedFile(rel.slice(rel.lastIndexOf("/") + 1))) && !excludeUser(rel) && include(rel);
    return {
        keepFolder,
        keepFile,
        keepPath(rel) {
            for (let i = rel.indexOf("/"); i >= 0; i = rel.indexOf("/", i + 1)) if (!keepFolder(rel.slice(0, i))) return false;
            return keepFile(rel);
        },
    };
}

/** The files of a folder that go into an archive; `leftOut` counts files and folders the filters dropped. */
export function walkTree(root: string, options: WalkOptions): WalkedFile[] & { leftOut: number } {
    let rootReal: string;
    try {
        rootReal = fs.realpathSync(root);
    } catch {
        throw new UserError(`${options.what} ${root} does not exist.`);
    }
    if (!fs.statSync(rootReal).isDirectory()) throw new UserError(`${options.what} ${root} is a file; expected a folder.`);

    const filter = makeFilter(options);
    const skip = new Set((options.skip ?? []).map((p) => path.resolve(p)));
    const visited = new Set<string>([rootReal]);
    const out = [] as unknown as WalkedFile[] & { leftOut: number };
    out.leftOut = 0;

    const walk = (dir: string, rel: string): void => {
        let dirents: fs.Dirent[];
        try {
            dirents = fs.readdirSync(dir, { withFileTypes: true });
        } catch (e) {
            throw new UserError(`cannot list ${options.what} ${path.join(root, rel)}: ${(e as Error).message}`);
        }
        for (const dirent of dirents) {
            const name = dirent.name;
            const abs = path.join(dir, name);
            const relName = rel ? `${rel}/${name}` : name;
            const shown = path.join(root, relName);
            if (dirent.isDirectory()) {
                // A real folder: no lstat needed.
                if (!filter.keepFolder(relName) || (options.defaultExcludes !== false && fs.existsSync(path.join(abs, "pyvenv.cfg")))) {
                    out.leftOut++;
                    continue;
                }
                walk(abs, relName);
                continue;
            }
            let st = fs.lstatSync(abs);
            if (st.isSymbolicLink()) {
                let real: string;
                try {
                    real = fs.realpathSync(abs);
                } catch {
                    throw new UserError(`${shown} is a broken symbolic link (${fs.readlinkSync(abs)}). Remove it or exclude it.`);
                }
                if (real !== rootReal && !real.startsWith(rootReal + path.sep)) {
                    throw new UserError(
                        `${shown} is a symbolic link to ${real}, outside the ${options.what} ${root}. ` +
                            `Archives only take files from inside the folder: copy the file in, or exclude the link.`,
                    );
                }
                st = fs.statSync(real);
                if (st.isDirectory()) {
                    if (visited.has(real)) continue; // a link cycle
                    visited.add(real);
                }
            }
            if (st.isDirectory()) {
                // A symbolic link to a folder inside the tree (a virtualenv is any folder with pyvenv.cfg).
                if (!filter.keepFolder(relName) || (options.defaultExcludes !== false && fs.existsSync(path.join(abs, "pyvenv.cfg")))) {
                    out.leftOut++;
                    continue;
                }
                walk(abs, relName);
            } else if (st.isFile()) {
                if (!filter.keepFile(relName) || skip.has(abs)) {
                    out.leftOut++;
                    continue;
                }
                out.push({ rel: relName, abs, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, mode: st.mode });
            } else {
                throw new UserError(`${shown} is not a regular file (a socket, pipe or device) and cannot go into an archive. Exclude it.`);
            }
        }
    };
    walk(rootReal, "");
    return out;
}
