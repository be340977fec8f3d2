// pdm.lock, read as PDM reads it (pdm/project/lockfile, project_file.py),
// without PDM.
//
// - Fresh or stale: `[metadata] content_hash` is "sha256:" and the sha256 of
//   a JSON dump of the pyproject's sources, dependencies, dev-dependencies
//   (PEP 735 groups and `[tool.pdm.dev-dependencies]`), optional
//   dependencies, requires-python and resolution settings
//   (PyProject.content_hash).
// - Locks written with the `inherit_metadata` strategy (PDM 2.11 and later,
//   the default) record each package's groups and marker: the packages of
//   the chosen groups whose marker holds. In PDM, extras are groups too, and
//   a group is only in the lock if it was locked (`pdm lock -G name`).
// - A lock made for named targets (`[[metadata.targets]]`: requires_python,
//   platform, implementation) holds what those need; the function's must be
//   among them, as `pdm sync` refuses a lock none of whose targets matches
//   its environment ("No compatible lock target found").
import { createHash } from "crypto";
import { UserError } from "../../../shared/errors";
import { LambdaTarget } from "../../../policies/target";
import { normalizeName } from "../requirements";
import { besideLock, LockedFile, LockedPackage, LockReading, PackageSource } from "./locked";
import { MarkerSelection, markerEnvironment, markerHolds } from "./markers";
import { pythonAllows } from "./python-range";
import { pythonJsonDumps } from "./python-json";
import { checkChosen, Selection } from "./selection";
import { parseToml, str, strings, table, tables, TomlTable } from "./toml";
import { satisfiesSpecifierSet } from "./versions";

/** PDM's content hash of a pyproject (without the "sha256:" prefix). */
export function pdmContentHash(data: TomlTable): string {
    const project = table(data, "project");
    const pdm = table(data, "tool", "pdm");
    const dev: Record<string, unknown[]> = {};
    for (const [g, deps] of Object.entries(table(data, "dependency-groups"))) dev[normalizeName(g)] = [...(Array.isArray(deps) ? deps : [])];
    for (const [g, deps] of Object.entries(table(pdm, "dev-dependencies"))) (dev[normalizeName(g)] ??= []).push(...(Array.isArray(deps) ? deps : []));
    const dump = {
        sources: pdm.source ?? [],
        dependencies: project.dependencies ?? [],
        "dev-dependencies": dev,
        "optional-dependencies": project["optional-dependencies"] ?? {},
        "requires-python": project["requires-python"] ?? "",
        resolution: pdm.resolution ?? {},
    };
    return createHash("sha256").update(pythonJsonDumps(dump)).digest("hex");
}

export function readPdmLock(lock: string, lockText: string, pyproject: string, pyprojectText: string, target: LambdaTarget, chosen: Selection): LockReading {
    const data = parseToml(pyprojectText, pyproject, "project file");
    const locked = parseToml(lockText, lock, "PDM lock file");
    const metadata = table(locked, "metadata");
    if (Object.keys(table(data, "tool", "pdm", "workspace")).length) {
        throw new UserError(`${pyproject} is a PDM workspace: lambda-python build does not read workspace locks. Export the function's dependencies (\`pdm export -o requirements.txt\`) and build with --requirements.`);
    }
    const recorded = str(metadata.content_hash);
    if (!recorded || recorded !== `sha256:${pdmContentHash(data)}`) {
        throw new UserError(`${lock} is out of date: it was not made from the dependencies ${pyproject} declares now (its content_hash differs, as \`pdm lock --check\` would report). Run \`pdm lock\` and build again.`);
    }
    if (!strings(metadata.strategy).includes("inherit_metadata")) {
        throw new UserError(`${lock} does not record which groups and markers each package belongs to (it was written by PDM before 2.11, or with --strategy no_inherit_metadata). Run \`pdm lock\` with a current PDM and build again.`);
    }
    const targets = tables(metadata.targets);
    const ranges = targets.map((t) => str(t.requires_python) ?? "");
    const admits = (range: string) => pythonAllows(target, (v) => satisfiesSpecifierSet(v, range));
    if (ranges.length && !ranges.some(admits)) {
        throw new UserError(`${lock} was made for Python ${ranges.join(" or ")}, which ${target.runtime} is not. Build for a runtime in that range, or change requires-python and run \`pdm lock\`.`);
    }
    // A lock for named platforms (`pdm lock --platform`) judged its markers for those only: another platform's packages are not in it.
    if (targets.length && !targets.some((t) => admits(str(t.requires_python) ?? "") && platformFits(t, target))) {
        const made = targets.map((t) => `Python ${str(t.requires_python) ?? "any"}${str(t.platform) ? ` on ${str(t.platform)}` : ""}${str(t.implementation) ? ` (${str(t.implementation)})` : ""}`).join(", ");
        const python = `==${target.python.join(".")}.*`;
        throw new UserError(
            `${lock} was locked for ${made}, and ${target.runtime} ${target.architecture} is not among its targets: PDM judged its markers for those platforms only, so packages Lambda needs may be missing. ` +
                `Add the function's platform (\`pdm lock --append --platform manylinux_2_17_${target.wheelArch} --python "${python}"\`), or lock without --platform, and build again.`,
        );
    }
    const lockedGroups = strings(metadata.groups).map(normalizeName);
    const wanted = [...chosen.groups, ...chosen.extras];
    checkChosen("group", wanted, lockedGroups, lock, "Lock it too (`pdm lock -G name`; extras are groups in PDM) and build again.");

    const selection: MarkerSelection = { extras: new Set(chosen.extras.map(normalizeName)), groups: new Set(["default", ...wanted].map(normalizeName)) };
    const env = markerEnvironment(target);
    const packages: LockedPackage[] = [];
    for (const e of tables(locked.package)) {
        if (!strings(e.groups).some((g) => selection.groups.has(normalizeName(g)))) continue;
        let applies: boolean;
        try {
            applies = markerHolds(str(e.marker), env, selection);
        } catch (err) {
            throw new UserError(`${lock}: the marker of ${str(e.name)} cannot be read (${(err as Error).message}). Run \`pdm lock\` again.`);
        }
        if (applies) packages.push(lockedPackage(e, lock));
    }
    // PDM searches PyPI and every [[tool.pdm.source]]; a source named "pypi" replaces PyPI.
    const indexArgs = tables(table(data, "tool", "pdm").source).flatMap((s) => {
        const url = (str(s.url) ?? "").replace(/\/+$/, "");
        if (!url) return [];
        if (str(s.type) === "find_links") return ["--find-links", url];
        return [str(s.name) === "pypi" ? "--index-url" : "--extra-index-url", url];
    });
    return { lock, packages, indexArgs, notes: [] };
}

/**
 * Whether a lock target's platform and implementation are the Lambda
 * target's: none named, or a manylinux platform of its architecture (glibc
 * aside: the files are checked against the target's when installed), or
 * PDM's alias `linux` (manylinux x86_64; dep_logic's Platform.parse).
 */
function platformFits(t: TomlTable, target: LambdaTarget): boolean {
    const implementation = str(t.implementation);
    if (implementation && implementation !== "cpython") return false;
    const platform = str(t.platform);
    if (!platform) return true;
    if (platform === "linux") return target.wheelArch === "x86_64";
    const m = /^manylinux_\d+_\d+_(.+)$/.exec(platform);
    return !!m && (m[1] === target.wheelArch || (m[1] === "arm64" && target.wheelArch === "aarch64"));
}

function lockedPackage(e: TomlTable, lock: string): LockedPackage {
    const name = str(e.name)!;
    const files: LockedFile[] = tables(e.files).map((f) => ({ name: str(f.file) ?? (str(f.url) ?? "").split("/").pop() ?? "", url: str(f.url), hash: str(f.hash) }));
    const hashes = files.flatMap((f) => (f.hash ? [f.hash] : []));
    let source: PackageSource = { kind: "index" };
    if (str(e.git)) source = { kind: "vcs", url: `git+${str(e.git)}@${str(e.revision) ?? str(e.ref) ?? ""}` };
    else if (str(e.path)) source = /\.(whl|tar\.gz|zip)$/i.test(str(e.path)!) ? { kind: "file", path: besideLock(lock, str(e.path)!) } : { kind: "directory", path: besideLock(lock, str(e.path)!) };
    else if (str(e.url)) source = { kind: "url", url: str(e.url)! };
    return { name, version: str(e.version), hashes, files: source.kind === "index" ? files.filter((f) => f.name) : undefined, source };
}
