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

/** Files that never belong in a Lambda package (globs, matched on the file name). */
export const DEFAULT_EXCLUDED_FILES = ["*.pyc", "*.pyo", ".env", ".env.*", ".DS_Store", "Thumbs.db", "*.swp", ".coverage", ".python-version"];

const GLOB_OPTIONS = { dot: true, basename: true };

export interface PathFilter {
    keepFolder(rel: string): boolean;
    keepFile(rel: string): boolean;
    /** For flat listings: the file and every folder above it. */
    keepPath(rel: string): boolean;
}

export function makeFilter(options: Pick<WalkOptions, "include" | "exclude" | "defaultExcludes">): PathFilter {
    const defaults = options.defaultExcludes !== false;
    const excludedFolder = new Set(defaults ? DEFAULT_EXCLUDED_FOLDERS : []);
    const excludeFile = picomatch([...(defaults ? DEFAULT_EXCLUDED_FILES : []), ...(options.exclude ?? [])], GLOB_OPTIONS);
    const excludeUser = options.exclude?.length ? picomatch(options.exclude, GLOB_OPTIONS) : () => false;
    const include = options.include?.length ? picomatch(options.include, GLOB_OPTIONS) : () => true;
    const keepFolder = (rel: string) => !excludedFolder.has(rel.slice(rel.lastIndexOf("/") + 1)) && !excludeUser(rel);
    const keepFile = (rel: string) => !excludeFile(rel) && include(rel);
    return {
        keepFolder,
        keepFile,
        keepPath(rel) {
            for (let i = rel.indexOf("/"); i >= 0; i = rel.indexOf("/", i + 1)) if (!keepFolder(rel.slice(0, i))) return false;
            return keepFile(rel);
        },
    };
}

export function walkTree(root: string, options: WalkOptions): WalkedFile[] {
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
    const out: WalkedFile[] = [];

    const walk = (dir: string, rel: string): void => {
        let names: string[];
        try {
            names = fs.readdirSync(dir);
        } catch (e) {
            throw new UserError(`cannot list ${options.what} ${path.join(root, rel)}: ${(e as Error).message}`);
        }
        for (const name of names) {
            const abs = path.join(dir, name);
            const relName = rel ? `${rel}/${name}` : name;
            const shown = path.join(root, relName);
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
                if (!filter.keepFolder(relName)) continue;
                if (options.defaultExcludes !== false && fs.existsSync(path.join(abs, "pyvenv.cfg"))) continue; // a virtualenv
                walk(abs, relName);
            } else if (st.isFile()) {
                if (!filter.keepFile(relName) || skip.has(abs)) continue;
                out.push({ rel: relName, abs, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, mode: st.mode });
            } else {
                throw new UserError(`${shown} is not a regular file (a socket, pipe or device) and cannot go into an archive. Exclude it.`);
            }
        }
    };
    walk(rootReal, "");
    return out;
}
