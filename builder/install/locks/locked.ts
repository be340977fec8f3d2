// What every lock reader produces, and how it becomes the installers' input.
//
// A reader (poetry.ts, pipenv.ts, pdm.ts, pylock.ts) picks the packages the
// chosen groups and extras need on the target (markers judged for it) and
// lists each with its version, hashes and source. Here that list becomes a
// requirements file the existing pip/uv paths install for the target — the
// same platform ladder, indexes and checks as a requirements.txt — with every
// package pinned (`name==version`) and hash-checked (`--require-hashes`,
// every hash the lock records): a download whose hash differs stops the
// install. Local projects (path dependencies, the project's own package) have
// no hash to check; they are built and installed separately (`--no-deps`).
import * as path from "path";
import { UserError } from "../../../shared/errors";
import { LambdaTarget } from "../../../policies/target";
import { wheelMismatch } from "../../../policies/inspect/wheel-tags";
import { bestWheel } from "../wheel-rank";
import { normalizeName } from "../requirements";

export type PackageSource =
    /** From a package index: the lock's own for this package, else the indexes in force. */
    | { kind: "index"; index?: string }
    /** An archive at a URL (PEP 751 files, Poetry `url` sources). */
    | { kind: "url"; url: string }
    /** A wheel or source archive on this machine (absolute). */
    | { kind: "file"; path: string }
    /** A project folder on this machine (absolute), built into a wheel. */
    | { kind: "directory"; path: string }
    /** A version-control checkout. */
    | { kind: "vcs"; url: string };

export interface LockedFile {
    name: string;
    url?: string;
    /** "sha256:…" */
    hash?: string;
}

export interface LockedPackage {
    name: string;
    version?: string;
    /** "sha256:…" digests of the files the lock allows. */
    hashes: string[];
    /** The files the lock names, when it names them (checked against the target before installing). */
    files?: LockedFile[];
    source: PackageSource;
}

export interface LockReading {
    /** The lock file, for messages. */
    lock: string;
    packages: LockedPackage[];
    /** Index options the lock or its project names (`--extra-index-url URL` …), joining the indexes in force. */
    indexArgs: string[];
    /** Things the report should say (a lock read without its project file, a project not installed …). */
    notes: string[];
}

export interface PinnedInstall {
    /** A requirements file: index options, then one pinned, hashed line per package. */
    requirements: string;
    /** Project folders to build and install without their dependencies (the lock pins those). */
    localProjects: string[];
    /** name==version of every package, for the report. */
    packages: string[];
    notes: string[];
}

const ARCHIVE = /\.(whl|tar\.gz|zip|tar\.bz2|tar\.xz|tgz|tar)$/i;

/** Wheel tag of a wheel file name (`name-ver[-build]-py-abi-plat.whl`). */
function wheelTag(file: string): string | undefined {
    const parts = file.replace(/\.whl$/i, "").split("-");
    return file.toLowerCase().endsWith(".whl") && parts.length >= 5 ? parts.slice(-3).join("-") : undefined;
}

function describeTarget(target: LambdaTarget): string {
    return `${target.runtime} ${target.architecture}`;
}

/** When the lock names a package's files and no wheel among them installs on the target: what it has instead, and what to do. */
function noWheelForTarget(p: LockedPackage, lock: string, target: LambdaTarget): UserError {
    const [major, minor] = target.python;
    const wheels = (p.files ?? []).filter((f) => wheelTag(f.name));
    // The example shown is the nearest miss: the target's architecture on Linux, its CPython if there is one.
    const nearness = (f: LockedFile) => (f.name.includes(target.wheelArch) ? 4 : 0) + (f.name.includes("linux") ? 2 : 0) + (f.name.includes(`-cp${major}${minor}-`) ? 1 : 0);
    const example = wheels.reduce<LockedFile | undefined>((best, f) => (!best || nearness(f) > nearness(best) ? f : best), undefined);
    const sdist = (p.files ?? []).find((f) => !f.name.toLowerCase().endsWith(".whl") && ARCHIVE.test(f.name));
    const others = example ? `${wheels.length === 1 ? "its wheel" : `${wheels.length} wheels for other targets`} (${wheels.length === 1 ? example.name : `e.g. ${example.name}`}: ${wheelMismatch([wheelTag(example.name)!], target)})` : "";
    if (sdist) {
        const fix = others
            ? `Lock a version of ${p.name} that publishes a wheel for CPython ${major}.${minor} on ${target.wheelArch} Linux with glibc ${target.glibc.join(".")} or older (change its constraint and lock again), or build for a runtime or architecture it has wheels for.`
            : `If it is pure Python, build its wheel once (\`pip wheel --no-deps ${p.name}==${p.version ?? ""}\`) and depend on that file; otherwise choose a package or version with wheels for ${target.wheelArch} Linux.`;
        return new UserError(`${lock} lists no wheel of ${p.name} ${p.version ?? ""} for ${describeTarget(target)}: only ${others ? `${others} and ` : ""}its source distribution ${sdist.name}, which would have to be compiled here. ${fix}`);
    }
    return new UserError(
        `${lock} lists no file of ${p.name} ${p.version ?? ""} that installs on ${describeTarget(target)}: only ${others || "no file"}${others ? " and no source distribution" : ""}. ` +
            `Lock again for the function's runtime and architecture (a lock made with \`pip lock\` holds the files of the machine that ran it; \`uv export --format pylock.toml\`, Poetry, PDM and Pipenv record every platform's), or choose a version of ${p.name} with a wheel for ${describeTarget(target)}.`,
    );
}

function hashArgs(hashes: string[]): string {
    return [...new Set(hashes)]
        .sort()
        .map((h) => ` --hash=${h}`)
        .join("");
}

/** The requirements and local projects that install a lock's packages for the target, pinned and hash-checked. */
export function pinnedInstall(reading: LockReading, target: LambdaTarget): PinnedInstall {
    const lines: string[] = [];
    const localProjects: string[] = [];
    const packages: string[] = [];
    const notes = [...reading.notes];
    const seen = new Map<string, LockedPackage>();
    const unhashed: string[] = [];
    for (const p of reading.packages) {
        const key = normalizeName(p.name);
        const twin = seen.get(key);
        if (twin) {
            throw new UserError(
                `${reading.lock} gives ${p.name} twice for ${describeTarget(target)} (${twin.version ?? "a local copy"} and ${p.version ?? "a local copy"}): their markers both hold there. Lock again; if the lock is right, report it with the two entries.`,
            );
        }
        seen.set(key, p);
        if (p.source.kind === "vcs") {
            throw new UserError(
                `${reading.lock} installs ${p.name} from the repository ${p.source.url}: lambda-python build installs only what it can check against the lock's hashes, and a checkout has none. ` +
                    `Build a wheel of ${p.name} and depend on it from a package index or as a file (or on its folder by path), then lock again.`,
            );
        }
        if (p.source.kind === "directory") {
            localProjects.push(p.source.path);
            packages.push(`${p.name} (${p.source.path})`);
            continue;
        }
        packages.push(`${p.name}==${p.version}`);
        if (!p.hashes.length) unhashed.push(p.name);
        if (p.source.kind === "file") {
            lines.push(`${p.name} @ file://${p.source.path}${hashArgs(p.hashes)}`);
            continue;
        }
        const file = p.files?.length ? bestWheel(p.files, target) : undefined;
        if (p.files?.length && !file) throw noWheelForTarget(p, reading.lock, target);
        if (p.source.kind === "url") {
            lines.push(`${p.name} @ ${p.source.url}${hashArgs(p.hashes)}`);
        } else if (file?.url) {
            // PEP 751: the lock names the very file; it is installed from there, checked against its hash.
            lines.push(`${p.name} @ ${file.url}${hashArgs(file.hash ? [file.hash] : p.hashes)}`);
        } else {
            if (!p.version) throw new UserError(`${reading.lock} names ${p.name} without a version; lock again.`);
            lines.push(`${p.name}==${p.version}${hashArgs(p.hashes)}`);
        }
    }
    let requirements = lines;
    if (unhashed.length) {
        // pip checks hashes for every line or for none: a package the lock gives no hash for turns checking off.
        requirements = lines.map((l) => l.replace(/ --hash=\S+/g, ""));
        notes.push(`not hash-checked: ${reading.lock} records no hash for ${unhashed.join(", ")}`);
    }
    const header = [...optionLines(reading.indexArgs), ...(requirements.length && !unhashed.length ? ["--require-hashes"] : [])];
    return { requirements: `${[...header, ...requirements.sort()].join("\n")}\n`, localProjects, packages: packages.sort(), notes };
}

/** Index options as requirement-file lines (`--extra-index-url URL`). */
function optionLines(args: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
        if (args[i].startsWith("--") && args[i + 1] !== undefined && !args[i + 1].startsWith("--")) out.push(`${args[i]} ${args[++i]}`);
        else out.push(args[i]);
    }
    return out;
}

/** A path the lock gives relative to its own folder, made absolute. */
export function besideLock(lock: string, p: string): string {
    return path.resolve(path.dirname(lock), p.replace(/^file:\/\//, ""));
}
