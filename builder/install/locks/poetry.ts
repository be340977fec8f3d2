// poetry.lock, read as Poetry reads it (poetry/packages/locker.py) and as
// poetry-plugin-export picks what to export (walker.py), without Poetry.
//
// - Fresh or stale: `[metadata] content-hash` is the sha256 of a JSON dump of
//   the pyproject's dependency tables (Locker._get_content_hash: `[project]`
//   requires-python, dependencies, optional-dependencies when present, and
//   `[tool.poetry]` dependencies, source, extras, dev-dependencies, group).
// - Lock 2.1 (Poetry 2) records each package's groups and markers: the
//   packages of the chosen groups whose marker holds on the target.
// - Lock 2.0 and older (Poetry 1.x) do not: walk from the pyproject's
//   dependencies through each package's `[package.dependencies]`, following
//   optional ones only for activated extras, judging markers and Python
//   constraints for the target.
import { createHash } from "crypto";
import { UserError } from "../../../shared/errors";
import { LambdaTarget } from "../../../policies/target";
import { normalizeName } from "../requirements";
import { besideLock, LockedFile, LockedPackage, LockReading, PackageSource } from "./locked";
import { MarkerSelection, markerEnvironment, markerHolds } from "./markers";
import { dependencyGroups, projectExtras } from "./pyproject";
import { checkChosen, Selection } from "./selection";
import { pythonJsonDumps } from "./python-json";
import { parseToml, str, strings, table, tables, TomlTable } from "./toml";
import { compareVersions, parseVersion, satisfiesPoetryConstraint } from "./versions";
import { pythonAllows } from "./python-range";

const LEGACY_KEYS = ["dependencies", "source", "extras", "dev-dependencies"];
const RELEVANT_KEYS = [...LEGACY_KEYS, "group"];
const PROJECT_KEYS = ["requires-python", "dependencies", "optional-dependencies"];

/**
 * Poetry's content-hash of a pyproject (Locker._get_content_hash of Poetry
 * 2.x, which gives Poetry 1.x's when there is no [project] content). Since
 * Poetry 2.3 it covers PEP 735 [dependency-groups] too; `withDependencyGroups`
 * false gives the hash of earlier releases.
 */
export function poetryContentHash(pyproject: TomlTable, withDependencyGroups = true): string {
    const project = table(pyproject, "project");
    const poetry = table(pyproject, "tool", "poetry");
    const groups = withDependencyGroups ? table(pyproject, "dependency-groups") : {};
    const hasGroups = Object.keys(groups).length > 0;
    const relevantProject: TomlTable = {};
    for (const k of PROJECT_KEYS) if (project[k] !== undefined) relevantProject[k] = project[k];
    const hasProject = Object.keys(relevantProject).length > 0;
    const relevantPoetry: TomlTable = {};
    for (const k of RELEVANT_KEYS) {
        const v = poetry[k];
        if (v === undefined && (!LEGACY_KEYS.includes(k) || hasProject || hasGroups)) continue;
        relevantPoetry[k] = v ?? null;
    }
    let content: TomlTable = relevantPoetry;
    if (hasProject || hasGroups) {
        content = { ...(hasProject ? { project: relevantProject } : {}), ...(hasGroups ? { "dependency-groups": groups } : {}), tool: { poetry: relevantPoetry } };
    }
    return createHash("sha256").update(pythonJsonDumps(content)).digest("hex");
}

/**
 * Whether the lock was made from this pyproject, as Locker.is_fresh decides:
 * the current formula, or, for a lock whose first line says Poetry older than
 * 2.3 wrote it, the formula without [dependency-groups].
 */
function poetryLockIsFresh(recorded: string | undefined, lockText: string, pyproject: TomlTable): boolean {
    if (!recorded) return false;
    if (recorded === poetryContentHash(pyproject)) return true;
    const firstLine = lockText.split("\n", 1)[0];
    const writer = parseVersion(/Poetry ([^ ]+)/.exec(firstLine)?.[1] ?? "");
    const before23 = writer !== undefined && compareVersions(writer, parseVersion("2.3.0")!) < 0;
    return before23 && recorded === poetryContentHash(pyproject, false);
}

/** One dependency as Poetry writes it: a constraint string, a table, or several tables (multiple constraints). */
interface PoetryDependency {
    name: string;
    constraint?: string;
    python?: string;
    platform?: string;
    markers?: string;
    optional: boolean;
    extras: string[];
}

function dependenciesOf(deps: TomlTable): PoetryDependency[] {
    const out: PoetryDependency[] = [];
    for (const [name, spec] of Object.entries(deps)) {
        for (const s of Array.isArray(spec) ? spec : [spec]) {
            if (typeof s === "string") out.push({ name, constraint: s, optional: false, extras: [] });
            else if (s && typeof s === "object") {
                const t = s as TomlTable;
                out.push({ name, constraint: str(t.version), python: str(t.python), platform: str(t.platform), markers: str(t.markers), optional: t.optional === true, extras: strings(t.extras) });
            }
        }
    }
    return out;
}

export function readPoetryLock(lock: string, lockText: string, pyproject: string, pyprojectText: string, target: LambdaTarget, chosen: Selection): LockReading {
    const data = parseToml(pyprojectText, pyproject, "project file");
    const locked = parseToml(lockText, lock, "Poetry lock file");
    const metadata = table(locked, "metadata");
    const relock = "Run `poetry lock` (Poetry 1.x: `poetry lock --no-update`) and build again.";
    const recorded = str(metadata["content-hash"]);
    if (!poetryLockIsFresh(recorded, lockText, data)) {
        throw new UserError(`${lock} is out of date: it was not made from the dependencies ${pyproject} declares now (its content-hash differs, as \`poetry check --lock\` would report). ${relock}`);
    }
    const python = str(metadata["python-versions"]);
    if (python && !pythonAllows(target, (v) => satisfiesPoetryConstraint(v, python))) {
        throw new UserError(`${lock} was made for Python ${python}, which ${target.runtime} is not. Build for a runtime in that range, or change the project's Python requirement and run \`poetry lock\`.`);
    }

    const poetry = table(data, "tool", "poetry");
    const groups = ["main", ...Object.keys(table(poetry, "group")), ...(Object.keys(table(poetry, "dev-dependencies")).length ? ["dev"] : []), ...dependencyGroups(data, pyproject).keys()];
    checkChosen("group", chosen.groups, groups, pyproject, "Name one of those (--group), or add the group and run `poetry lock`.");
    checkChosen("extra", chosen.extras, projectExtras(data), pyproject, "Name one of those (--extra), or add the extra and run `poetry lock`.");
    const selection: MarkerSelection = { extras: new Set(chosen.extras.map(normalizeName)), groups: new Set(["main", ...chosen.groups].map(normalizeName)) };
    const env = markerEnvironment(target);
    const entries = tables(locked.package);
    const version = Number(str(metadata["lock-version"]) ?? "1.0");
    const picked = version >= 2.1 ? pickByGroups(entries, selection, env, lock) : walk(entries, rootDependencies(data, selection, env, target), env, target, lock, pyproject);

    const packages = picked.map((e) => lockedPackage(e, metadata, lock));
    // Packages from a source of the project's (priority primary, supplemental or explicit) name its URL in the lock;
    // the others come from PyPI, or from the index in force.
    const sources = [...new Set(packages.flatMap((p) => (p.source.kind === "index" && p.source.index ? [p.source.index] : [])))];
    const allFromSources = packages.every((p) => p.source.kind !== "index" || p.source.index);
    const indexArgs = sources.flatMap((url, i) => [i === 0 && allFromSources ? "--index-url" : "--extra-index-url", url]);
    return { lock, packages, indexArgs, notes: [] };
}

/** Lock 2.1: the packages of a chosen group whose marker (for that group) holds on the target. */
function pickByGroups(entries: TomlTable[], selection: MarkerSelection, env: Record<string, string>, lock: string): TomlTable[] {
    return entries.filter((e) => {
        const markers = e.markers;
        return strings(e.groups).some((g) => {
            if (!selection.groups.has(normalizeName(g))) return false;
            const marker = typeof markers === "string" ? markers : str(table(markers)[g]);
            return holds(marker, env, selection, lock, str(e.name) ?? "?");
        });
    });
}

function holds(marker: string | undefined, env: Record<string, string>, selection: MarkerSelection, lock: string, name: string): boolean {
    try {
        return markerHolds(marker, env, selection);
    } catch (e) {
        throw new UserError(`${lock}: the marker of ${name} cannot be read (${(e as Error).message}). Lock again with a current Poetry.`);
    }
}

/** Whether a Poetry dependency applies on the target (its python, platform and markers). */
function applies(d: PoetryDependency, env: Record<string, string>, target: LambdaTarget, selection: MarkerSelection, where: string): boolean {
    if (d.python && !pythonAllows(target, (v) => satisfiesPoetryConstraint(v, d.python!))) return false;
    if (d.platform && !d.platform.split(/\s*\|\|?\s*/).includes(env.sys_platform)) return false;
    return holds(d.markers, env, selection, where, d.name);
}

/** The pyproject's dependencies a lock 2.0 walk starts from: the main ones and the chosen groups', optional ones only for a chosen extra. */
function rootDependencies(data: TomlTable, selection: MarkerSelection, env: Record<string, string>, target: LambdaTarget): PoetryDependency[] {
    const poetry = table(data, "tool", "poetry");
    const main = dependenciesOf(table(poetry, "dependencies")).filter((d) => d.name.toLowerCase() !== "python");
    const inExtras = new Set(
        Object.entries(table(poetry, "extras"))
            .filter(([extra]) => selection.extras.has(normalizeName(extra)))
            .flatMap(([, names]) => strings(names).map(normalizeName)),
    );
    const roots = main.filter((d) => !d.optional || inExtras.has(normalizeName(d.name)));
    for (const [group, g] of Object.entries(table(poetry, "group"))) if (selection.groups.has(normalizeName(group))) roots.push(...dependenciesOf(table(g, "dependencies")));
    if (selection.groups.has("dev")) roots.push(...dependenciesOf(table(poetry, "dev-dependencies")));
    return roots.filter((d) => applies(d, env, target, selection, "pyproject.toml"));
}

/** Lock 2.0 and older: everything reachable from the roots on the target. */
function walk(entries: TomlTable[], roots: PoetryDependency[], env: Record<string, string>, target: LambdaTarget, lock: string, pyproject: string): TomlTable[] {
    const byName = new Map<string, TomlTable[]>();
    for (const e of entries) {
        const n = normalizeName(str(e.name) ?? "");
        byName.set(n, [...(byName.get(n) ?? []), e]);
    }
    const picked = new Map<TomlTable, Set<string>>();
    const queue: { dep: PoetryDependency; from: string }[] = roots.map((dep) => ({ dep, from: pyproject }));
    while (queue.length) {
        const { dep, from } = queue.shift()!;
        const entry = choose(byName.get(normalizeName(dep.name)) ?? [], dep, target);
        if (!entry) throw new UserError(`${lock} has no entry of ${dep.name}${dep.constraint ? ` ${dep.constraint}` : ""} for ${target.runtime}, which ${from} requires. Run \`poetry lock\` and build again.`);
        const extras = picked.get(entry) ?? new Set<string>();
        const added = dep.extras.map(normalizeName).filter((x) => !extras.has(x));
        if (picked.has(entry) && !added.length) continue;
        for (const x of added) extras.add(x);
        picked.set(entry, extras);
        const name = str(entry.name) ?? dep.name;
        // Optional dependencies come in through the package's extras: `socks = ["PySocks (>=1.5.6)"]`.
        const fromExtras = new Set(
            Object.entries(table(entry, "extras"))
                .filter(([x]) => extras.has(normalizeName(x)))
                .flatMap(([, reqs]) => strings(reqs).map((r) => normalizeName(/^[A-Za-z0-9._-]+/.exec(r)?.[0] ?? r))),
        );
        const selection: MarkerSelection = { extras, groups: new Set() };
        for (const d of dependenciesOf(table(entry, "dependencies"))) {
            if (d.optional && !fromExtras.has(normalizeName(d.name))) continue;
            if (applies(d, env, target, selection, lock)) queue.push({ dep: d, from: `${name} ${str(entry.version) ?? ""}`.trim() });
        }
    }
    return [...picked.keys()];
}

/** Of the lock's entries for a name (several when versions differ by Python), the one for the target and constraint. */
function choose(candidates: TomlTable[], dep: PoetryDependency, target: LambdaTarget): TomlTable | undefined {
    if (candidates.length <= 1) return candidates[0];
    const fits = candidates.filter((c) => {
        const py = str(c["python-versions"]);
        const v = str(c.version) ?? "";
        return (!py || pythonAllows(target, (x) => satisfiesPoetryConstraint(x, py))) && (!dep.constraint || satisfiesPoetryConstraint(v, dep.constraint) !== false);
    });
    return fits[0];
}

function lockedPackage(e: TomlTable, metadata: TomlTable, lock: string): LockedPackage {
    const name = str(e.name)!;
    const s = table(e, "source");
    const type = str(s.type);
    const url = str(s.url) ?? "";
    // Lock 2.x keeps files per package; 1.x under [metadata.files].
    const files: LockedFile[] = tables(e.files ?? table(metadata, "files")[name]).map((f) => ({ name: str(f.file) ?? "", hash: str(f.hash) }));
    let source: PackageSource = { kind: "index" };
    if (type === "legacy") source = { kind: "index", index: url.replace(/\/+$/, "") };
    else if (type === "directory") source = { kind: "directory", path: besideLock(lock, url) };
    else if (type === "file") source = { kind: "file", path: besideLock(lock, url) };
    else if (type === "url") source = { kind: "url", url };
    else if (type === "git" || type === "hg") source = { kind: "vcs", url: `${type}+${url}@${str(s.resolved_reference) ?? str(s.reference) ?? ""}` };
    return {
        name,
        version: str(e.version),
        hashes: files.flatMap((f) => (f.hash ? [f.hash] : [])),
        files: source.kind === "index" ? files.filter((f) => f.name) : undefined,
        source,
    };
}
