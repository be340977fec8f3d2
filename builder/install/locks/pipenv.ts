// Pipfile.lock, read as Pipenv reads it, without Pipenv.
//
// - Fresh or stale: `_meta.hash.sha256` is the sha256 of a compact JSON dump
//   of the Pipfile's sources, requires, packages, dev-packages and other
//   package categories (plette's Pipfile.get_hash; Pipenv 2024+ writes the
//   package names in their PEP 503 form first, older releases as written:
//   either is a lock of this Pipfile).
// - The lock is already flat: each category maps every package Pipenv
//   resolved to its pinned version, hashes and marker. The build takes
//   `default` and the categories asked for (`develop` is dev-packages), and
//   the packages whose marker holds on the target.
// - Pipenv resolves with the Python that runs it, so a lock is for the
//   Python version of `[requires]`; another runtime is refused, as
//   `pipenv install --deploy` refuses another Python.
// - A package whose marker does not hold for that Python is left unpinned
//   (`"version": "*"`). Pipenv 2026 also drops the marker when the Pipfile
//   gives it with its shorthand keys (`pywin32 = {version = "*",
//   sys_platform = "== 'win32'"}`), so `pipenv sync` on Linux then tries to
//   install pywin32; for such an entry the Pipfile's marker (its keys, as
//   Pipenv's own PipenvMarkers reads them, and `markers`) is judged instead.
import { createHash } from "crypto";
import * as path from "path";
import { UserError } from "../../../shared/errors";
import { LambdaTarget } from "../../../policies/target";
import { normalizeName } from "../requirements";
import { besideLock, LockedPackage, LockReading } from "./locked";
import { MarkerSelection, markerEnvironment, markerHolds } from "./markers";
import { checkChosen, Selection } from "./selection";
import { pythonJsonDumps } from "./python-json";
import { parseToml, str, strings, table, tables, TomlTable } from "./toml";

// Pipenv's shorthand marker keys of a Pipfile entry (pipenv/utils/markers.py, PipenvMarkers).
const MARKER_KEYS = [
    "os_name",
    "sys_platform",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_version",
    "python_full_version",
    "implementation_name",
    "implementation_version",
];
const PYPI = /^https?:\/\/(pypi\.org|pypi\.python\.org)\/simple\/?$/;
const PIPFILE_SECTIONS = new Set(["source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"]);
const DEFAULT_SOURCE = { name: "pypi", url: "https://pypi.org/simple", verify_ssl: true };

/** The hashes Pipenv may have written for this Pipfile: names in PEP 503 form (Pipenv 2024+) and as written (earlier). */
export function pipfileHashes(pipfile: TomlTable): string[] {
    return [true, false].map((canonical) => {
        const section = (t: unknown) => Object.fromEntries(Object.entries(table(t)).map(([k, v]) => [canonical ? normalizeName(k) : k, v]));
        const data: TomlTable = {
            _meta: { sources: Array.isArray(pipfile.source) ? pipfile.source : [DEFAULT_SOURCE], requires: table(pipfile, "requires") },
            default: section(pipfile.packages),
            develop: section(pipfile["dev-packages"]),
        };
        for (const [category, values] of Object.entries(pipfile)) {
            if (PIPFILE_SECTIONS.has(category) || category === "default" || category === "develop") continue;
            data[category] = section(values);
        }
        return createHash("sha256")
            .update(pythonJsonDumps(data, [",", ":"]))
            .digest("hex");
    });
}

/** Category names as a build may ask for them: `develop` also answers to dev-packages and dev. */
function categoryOf(group: string): string {
    const g = normalizeName(group);
    return g === "dev-packages" || g === "dev" ? "develop" : g;
}

export function readPipfileLock(lock: string, lockText: string, pipfile: string | undefined, pipfileText: string | undefined, target: LambdaTarget, chosen: Selection): LockReading {
    let locked: TomlTable;
    try {
        locked = JSON.parse(lockText);
    } catch (e) {
        throw new UserError(`${lock} is not valid JSON (${(e as Error).message}). Run \`pipenv lock\` to write it again.`);
    }
    const meta = table(locked, "_meta");
    const notes: string[] = [];
    let pipfileData: TomlTable | undefined;
    if (pipfile && pipfileText !== undefined) {
        const data = parseToml(pipfileText, pipfile, "Pipfile");
        pipfileData = data;
        const recorded = str(table(meta, "hash").sha256);
        if (!recorded || !pipfileHashes(data).includes(recorded)) {
            throw new UserError(`${lock} is out of date: it was not made from ${pipfile} as it is now (its _meta.hash differs, as \`pipenv install --deploy\` would report). Run \`pipenv lock\` and build again.`);
        }
    } else {
        notes.push(`${lock} was read without a Pipfile beside it: whether it is up to date was not checked`);
    }
    const requires = table(meta, "requires");
    const wanted = str(requires.python_full_version)?.split(".").slice(0, 2).join(".") ?? str(requires.python_version);
    const runtime = target.python.join(".");
    if (wanted && wanted !== runtime) {
        throw new UserError(
            `${lock} was made for Python ${wanted} ([requires] in the Pipfile), and the function's runtime is ${target.runtime}: Pipenv resolves markers for the Python it runs with, so the lock may lack what ${target.runtime} needs. ` +
                `Build for python${wanted} (--runtime), or set python_version = "${runtime}" under [requires] and run \`pipenv lock\` with Python ${runtime}.`,
        );
    }

    const categories = Object.keys(locked).filter((k) => k !== "_meta");
    checkChosen("group", chosen.groups.map(categoryOf), categories, lock, "Name one of those package categories (--group develop for dev-packages), or add the category to the Pipfile and run `pipenv lock`.");
    if (chosen.extras.length) throw new UserError(`${lock} has no extras: Pipenv pins extras' packages into the categories. Choose categories with --group.`);
    const sources = tables(meta.sources);
    const urlOf = new Map(sources.map((s) => [str(s.name) ?? "", (str(s.url) ?? "").replace(/\/+$/, "")]));
    const selection: MarkerSelection = { extras: new Set(), groups: new Set() };
    const env = markerEnvironment(target);
    const packages: LockedPackage[] = [];
    const taken = new Set<string>();
    const holds = (marker: string | undefined, name: string, where: string) => {
        try {
            return markerHolds(marker, env, selection);
        } catch (err) {
            throw new UserError(`${where}: the marker of ${name} cannot be read (${(err as Error).message}). Correct it and run \`pipenv lock\` again.`);
        }
    };
    for (const category of ["default", ...chosen.groups.map(categoryOf)]) {
        const declared = pipfileSection(pipfileData, category);
        for (const [name, raw] of Object.entries(table(locked, category))) {
            const e = table(raw);
            if (!holds(str(e.markers), name, lock) || taken.has(normalizeName(name))) continue;
            if (!pinnedVersion(e)) {
                const marker = pipfileMarker(declared.get(normalizeName(name)));
                if (marker && !holds(marker, name, pipfile ?? lock)) {
                    notes.push(`${name} is left out: ${path.basename(lock)} does not pin it, and its marker in the Pipfile (${marker}) does not hold on ${target.runtime} ${target.architecture}`);
                    continue;
                }
            }
            taken.add(normalizeName(name));
            packages.push(lockedPackage(name, e, lock, urlOf, target));
        }
    }
    // The Pipfile's first source is the primary index, the others extra ones; PyPI as primary is left to the indexes in force.
    const indexArgs = sources.flatMap((s, i) => {
        const url = (str(s.url) ?? "").replace(/\/+$/, "");
        if (!url || (i === 0 && PYPI.test(url))) return [];
        return [i === 0 ? "--index-url" : "--extra-index-url", url];
    });
    return { lock, packages, indexArgs, notes };
}

/** The Pipfile's entries of a lock category (`default` is [packages], `develop` [dev-packages]), by normalised name. */
function pipfileSection(pipfile: TomlTable | undefined, category: string): Map<string, unknown> {
    const section = category === "default" ? "packages" : category === "develop" ? "dev-packages" : category;
    return new Map(Object.entries(table(pipfile ?? {}, section)).map(([k, v]) => [normalizeName(k), v]));
}

/** The marker a Pipfile entry gives: its shorthand keys (`sys_platform = "== 'win32'"`) and `markers`, joined with "and". */
function pipfileMarker(entry: unknown): string | undefined {
    if (!entry || typeof entry !== "object") return undefined;
    const e = entry as TomlTable;
    const parts = MARKER_KEYS.flatMap((k) => (str(e[k]) ? [`${k} ${str(e[k])}`] : []));
    if (str(e.markers)) parts.push(str(e.markers)!);
    return parts.length ? parts.map((p) => (parts.length > 1 ? `(${p})` : p)).join(" and ") : undefined;
}

/** `==1.2.3`, the only form of a pinned version in a Pipfile.lock. */
function pinnedVersion(e: TomlTable): string | undefined {
    const version = str(e.version);
    return version && /^==[^=*<>!~]+$/.test(version) ? version.slice(2) : undefined;
}

function lockedPackage(name: string, e: TomlTable, lock: string, urlOf: Map<string, string>, target: LambdaTarget): LockedPackage {
    const hashes = strings(e.hashes);
    if (str(e.git)) return { name, hashes, source: { kind: "vcs", url: `git+${str(e.git)}@${str(e.ref) ?? ""}` } };
    if (str(e.path)) {
        const p = besideLock(lock, str(e.path)!);
        return { name, hashes, source: /\.(whl|tar\.gz|zip)$/i.test(p) ? { kind: "file", path: p } : { kind: "directory", path: p } };
    }
    if (str(e.file)) return { name, hashes, source: { kind: "url", url: str(e.file)! } };
    const version = pinnedVersion(e);
    if (!version) {
        const marker = str(e.markers);
        throw new UserError(
            `${lock} does not pin ${name} (version "${str(e.version) ?? ""}"), which ${target.runtime} needs ${marker ? `by its marker "${marker}"` : "(no marker leaves it out)"}: Pipenv pins only what the Python and machine running \`pipenv lock\` need. ` +
                `Run \`pipenv lock\` with Python ${target.python.join(".")} on Linux${marker ? "" : `, or, if the function does not need ${name}, give it a marker in the Pipfile (markers = "sys_platform == 'win32'") and lock again`}.`,
        );
    }
    const index = str(e.index);
    return { name, version, hashes, source: { kind: "index", index: index ? urlOf.get(index) : undefined } };
}
