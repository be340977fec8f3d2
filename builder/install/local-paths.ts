// Relative paths in requirement files, made absolute against the file's own
// folder before the installer sees them.
//
// pip and uv both resolve a local requirement such as `./localpkg` against
// the current folder, not the requirement file's (pip documents `-r` paths as
// relative to the including file, but not plain paths), so a build started
// from another folder installed the wrong thing or failed, while the install
// key hashed the folder beside the file. The builder takes the requirement
// file's folder for both: the installer gets a copy of each file (and of the
// files it includes with -r/-c) in which every relative path is absolute.
//
// A local folder that is a Python project (pyproject.toml, setup.py) is not
// built where it lies: pip and uv build in place, and setuptools then leaves
// `build/` and `*.egg-info` in the user's folder — and a stale `build/lib`
// from an earlier build can put deleted modules back into the wheel. So the
// line points at a snapshot of the project's sources in the install's work
// folder, made without those outputs (localProjectFiles, which the install
// key hashes too). Except a project that takes its version from version
// control (setuptools-scm, hatch-vcs, …): it needs the repository around it,
// so it is built in place as before. `-e` before a local project is dropped:
// an editable install in an archive points at a folder of the build machine
// (uv already installed those lines plainly; pip now does too).
import * as fs from "fs";
import * as path from "path";
import { describeFsError } from "../../shared/errors";
import { WalkedFile, walkTree } from "../walk";

/** Beside each snapshot (never inside the project, where a build backend could package it): the folder it was copied from, for messages. */
const ORIGIN = "origin";

const INCLUDE = /^(-r|--requirement|-c|--constraint)(\s+|=)(\S+)(.*)$/;
const PATH_OPTION = /^(-e|--editable|-f|--find-links)(\s+|=)(\S+)(.*)$/;
const LOCAL = /^(\.{1,2}\/[^\s[;#]*|\.{1,2}(?=$|[\s[;#]))(.*)$/;

/** Copies of local projects' sources in `workDir`, made once per folder; a folder that cannot be copied is given as is. */
function snapshotter(workDir: string): (folder: string) => string {
    const snapshots = new Map<string, string>();
    return (folder) => {
        if (!buildsFromSnapshot(folder)) return folder;
        let copy = snapshots.get(folder);
        if (!copy) {
            copy = path.join(workDir, LOCAL_SOURCES, String(snapshots.size), path.basename(folder));
            for (const f of localProjectFiles(folder)) {
                const to = path.join(copy, f.rel);
                fs.mkdirSync(path.dirname(to), { recursive: true });
                fs.copyFileSync(f.abs, to);
                fs.chmodSync(to, f.mode & 0o777);
            }
            fs.writeFileSync(path.join(path.dirname(copy), ORIGIN), folder);
            snapshots.set(folder, copy);
        }
        return copy;
    };
}

/** A requirements file in `workDir` installing these project folders (path dependencies of a lock, the project's own package) from snapshots. */
export function withProjectSnapshots(folders: string[], workDir: string): string {
    const snapshot = snapshotter(workDir);
    const file = path.join(workDir, "requirements", "local-projects.txt");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${folders.map(snapshot).join("\n")}\n`);
    return file;
}

/** Writes the absolute-path copy of `file` (and what it includes) into `workDir`; returns the copy's path. */
export function withAbsolutePaths(file: string, workDir: string): string {
    const copies = new Map<string, string>();
    const snapshot = snapshotter(workDir);
    const outDir = path.join(workDir, "requirements");
    fs.mkdirSync(outDir, { recursive: true });
    const visit = (f: string): string => {
        const abs = path.resolve(f);
        const known = copies.get(abs);
        if (known) return known;
        const copy = path.join(outDir, `${copies.size}-${path.basename(abs)}`);
        copies.set(abs, copy);
        let text: string;
        try {
            text = fs.readFileSync(abs, "utf8");
        } catch (e) {
            throw describeFsError(e, abs, "requirements file");
        }
        const dir = path.dirname(abs);
        const lines = text.split(/\r?\n/).map((raw) => {
            const line = raw.trim();
            const include = INCLUDE.exec(line);
            if (include) return `${include[1]} ${visit(path.resolve(dir, include[3]))}${include[4]}`;
            const option = PATH_OPTION.exec(line);
            if (option && isRelativePath(option[3])) {
                const target = path.resolve(dir, option[3]);
                // An editable install in a Lambda archive points back at this machine's folder: install it as uv does, plainly.
                if (/^(-e|--editable)$/.test(option[1]) && isProject(target)) return `${snapshot(target)}${option[4]}`;
                return `${option[1]} ${target}${option[4]}`;
            }
            const local = LOCAL.exec(line);
            if (local) return `${snapshot(path.resolve(dir, local[1]))}${local[2]}`;
            return raw;
        });
        fs.writeFileSync(copy, lines.join("\n"));
        return copy;
    };
    return visit(file);
}

function isRelativePath(value: string): boolean {
    return !path.isAbsolute(value) && !/^[a-z][a-z0-9+.-]*:/i.test(value);
}

/** Where the snapshots of local projects go inside an install's work folder (removed once installed). */
export const LOCAL_SOURCES = "local-src";

/** A folder pip and uv build as a Python project. */
export function isProject(dir: string): boolean {
    return ["pyproject.toml", "setup.py"].some((f) => fs.existsSync(path.join(dir, f)));
}

const VERSION_FROM_VCS = /setuptools[_-]scm|hatch-vcs|versioningit|dunamai|poetry-dynamic-versioning|uv-dynamic-versioning|source\s*=\s*["']vcs["']/i;

/** A project built from a snapshot: one that does not read its version from the repository it sits in. */
export function buildsFromSnapshot(dir: string): boolean {
    if (!isProject(dir)) return false;
    const declared = ["pyproject.toml", "setup.py", "setup.cfg"].map((f) => {
        try {
            return fs.readFileSync(path.join(dir, f), "utf8");
        } catch {
            return "";
        }
    });
    return !declared.some((text) => VERSION_FROM_VCS.test(text));
}

/**
 * A local project's source files: the walk's default exclusions (.git,
 * virtualenvs, caches) and what building it leaves behind — `build/`,
 * `dist/` and `*.egg-info` at its top or under `src/`.
 */
export function localProjectFiles(dir: string): WalkedFile[] {
    const output = /^(?:src\/)?(?:build|dist|[^/]+\.egg-info)\//;
    return walkTree(dir, { what: "local requirement folder" }).filter((f) => !output.test(f.rel));
}

/** The user's folder a snapshot was made from (the path itself when it is not a snapshot). */
export function originOf(dir: string): string {
    try {
        return path.basename(path.dirname(path.dirname(dir))) === LOCAL_SOURCES ? fs.readFileSync(path.join(path.dirname(dir), ORIGIN), "utf8") : dir;
    } catch {
        return dir;
    }
}
