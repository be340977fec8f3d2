// pylock.toml (PEP 751: written by `pip lock`, `uv export --format
// pylock.toml`, `uv pip compile --format pylock.toml`, `pdm export`).
//
// The format is the installer's contract: a flat list of packages, each with
// a marker and the exact files (URL or path, hashes) it may be installed
// from. The build takes the packages whose marker holds on the target, with
// `extras` and `dependency_groups` the ones chosen (and the lock's
// `default-groups`), and installs for each the best of its wheels for the
// target (its sdist when no wheel fits) from the URL the lock names, checked
// against the lock's hash. A lock that names `environments` must include the
// target's. uv.lock goes through here too: `uv export --format pylock.toml`
// (uv-lock.ts).
import { UserError } from "../../../shared/errors";
import { LambdaTarget } from "../../../policies/target";
import { normalizeName } from "../requirements";
import { besideLock, LockedFile, LockedPackage, LockReading, PackageSource } from "./locked";
import { MarkerSelection, markerEnvironment, markerHolds } from "./markers";
import { pythonAllows } from "./python-range";
import { checkChosen, Selection } from "./selection";
import { parseToml, str, strings, table, tables, TomlTable } from "./toml";
import { satisfiesSpecifierSet } from "./versions";

function hashOf(t: TomlTable): string | undefined {
    const hashes = table(t, "hashes");
    for (const algo of ["sha256", "sha384", "sha512"]) if (str(hashes[algo])) return `${algo}:${str(hashes[algo])!.toLowerCase()}`;
    return undefined;
}

function fileOf(t: TomlTable, lock: string): LockedFile {
    const url = str(t.url) ?? (str(t.path) ? `file://${besideLock(lock, str(t.path)!)}` : undefined);
    return { name: str(t.name) ?? (url ?? "").split("/").pop() ?? "", url, hash: hashOf(t) };
}

/** `readable`: the file to name in messages (uv.lock when it came from `uv export`). */
export function readPylock(lock: string, lockText: string, target: LambdaTarget, chosen: Selection, readable = lock): LockReading {
    const data = parseToml(lockText, readable, "lock file");
    const version = str(data["lock-version"]) ?? "";
    if (!/^1(\.\d+)*$/.test(version)) {
        throw new UserError(`${readable} has lock-version "${version}"; lambda-python build reads PEP 751 locks of version 1. Write it again with a current pip or uv.`);
    }
    checkChosen("group", chosen.groups, strings(data["dependency-groups"]), readable, "Name one of those (--group), or lock again with the group.");
    checkChosen("extra", chosen.extras, strings(data.extras), readable, "Name one of those (--extra), or lock again with the extra.");
    const env = markerEnvironment(target);
    const selection: MarkerSelection = {
        extras: new Set(chosen.extras.map(normalizeName)),
        groups: new Set([...strings(data["default-groups"]), ...chosen.groups].map(normalizeName)),
    };
    const holds = (marker: string | undefined, what: string) => {
        try {
            return markerHolds(marker, env, selection);
        } catch (e) {
            throw new UserError(`${readable}: ${what} cannot be read (${(e as Error).message}). Write the lock again.`);
        }
    };
    const environments = strings(data.environments);
    if (environments.length && !environments.some((m) => holds(m, "an environment marker"))) {
        throw new UserError(`${readable} was locked for the environments ${environments.map((m) => `"${m}"`).join(", ")}, and ${target.runtime} ${target.architecture} on Linux is none of them. Lock again for it.`);
    }
    const python = str(data["requires-python"]);
    if (python && !pythonAllows(target, (v) => satisfiesSpecifierSet(v, python))) {
        throw new UserError(`${readable} was made for Python ${python}, which ${target.runtime} is not. Build for a runtime in that range, or lock again for it.`);
    }
    const packages: LockedPackage[] = [];
    for (const p of tables(data.packages)) {
        const name = str(p.name) ?? "";
        if (!holds(str(p.marker), `the marker of ${name}`)) continue;
        packages.push(lockedPackage(p, lock, readable));
    }
    // Each file is installed from the URL the lock names; an index is only where it was found.
    return { lock: readable, packages, indexArgs: [], notes: [] };
}

function lockedPackage(p: TomlTable, lock: string, readable: string): LockedPackage {
    const name = str(p.name) ?? "";
    const vcs = table(p, "vcs");
    const directory = table(p, "directory");
    const archive = table(p, "archive");
    let source: PackageSource = { kind: "index", index: str(p.index) };
    if (Object.keys(vcs).length) source = { kind: "vcs", url: `${str(vcs.type) ?? "git"}+${str(vcs.url) ?? str(vcs.path) ?? ""}@${str(vcs["commit-id"]) ?? ""}` };
    else if (Object.keys(directory).length) source = { kind: "directory", path: besideLock(lock, str(directory.path) ?? ".") };
    else if (Object.keys(archive).length) {
        const hash = hashOf(archive);
        const at: PackageSource = str(archive.path) ? { kind: "file", path: besideLock(lock, str(archive.path)!) } : { kind: "url", url: str(archive.url) ?? "" };
        return { name, version: str(p.version), hashes: hash ? [hash] : [], source: at };
    }
    const files = [...tables(p.wheels).map((w) => fileOf(w, lock)), ...(Object.keys(table(p, "sdist")).length ? [fileOf(table(p, "sdist"), lock)] : [])];
    if (source.kind === "index" && !files.length) {
        throw new UserError(`${readable} names no file for ${name} ${str(p.version) ?? ""}: a PEP 751 lock gives the wheels or source archive to install. Write the lock again.`);
    }
    return { name, version: str(p.version), hashes: files.flatMap((f) => (f.hash ? [f.hash] : [])), files: source.kind === "index" ? files : undefined, source };
}
