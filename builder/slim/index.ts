// Slimming an installed dependency tree (the builder's `slim` option): which
// files stay out (rules.ts), the target's shared objects stripped of symbols
// and debug sections (tools/strip.ts, cached by content), and a report per
// package. The proof that the result still imports is runner/slim-proof.ts's, run by
// the CLI and the components. See DESIGN.md, "Slimming".
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../../shared/errors";
import { commitTemp, removeQuietly, tempPathFor, trackTemp, writeFileAtomic } from "../../shared/atomic";
import { ensureStripper, STRIPPER, Stripper } from "../tools/strip";
import { BuildCache, markUsed } from "../cache";
import { compactElf, verifyCompacted } from "./compact";
import { elfKind, importsFolder, isMetadataFolder, mentionsImportOf, isTestOrDocFolder, isSharedObjectName, LoadSegment, loadSegments, removedFolderOf, SlimReason, slimReason, strippedSegmentsDiffer } from "./rules";

/** The builder's `slim` option when given as an object; `true` is all defaults. */
export interface SlimOptions {
    /** Keep `py.typed` markers and `.pyi` stubs (for type-checking against the archive). @default false */
    keepTyped?: boolean;
    /** Distributions to keep whole (not slimmed, not stripped), by name as pip knows them, e.g. ["scipy"]. @default none */
    keepWhole?: string[];
}

export interface ResolvedSlim {
    keepTyped: boolean;
    /** Normalised distribution names (PEP 503). */
    keepWhole: string[];
}

/** The `slim` option checked: undefined when off. */
export function resolveSlim(slim: boolean | SlimOptions | undefined): ResolvedSlim | undefined {
    if (slim === undefined || slim === false) return undefined;
    if (slim === true) return { keepTyped: false, keepWhole: [] };
    if (typeof slim !== "object" || slim === null || Array.isArray(slim)) throw new UserError(`slim must be true, false or { keepTyped, keepWhole }; got ${JSON.stringify(slim)}.`);
    const keepWhole = slim.keepWhole ?? [];
    if (!Array.isArray(keepWhole) || keepWhole.some((n) => !isDistributionName(n))) {
        throw new UserError(`slim.keepWhole must be a list of distribution names (e.g. ["scipy"]); got ${JSON.stringify(slim.keepWhole)}.`);
    }
    if (slim.keepTyped !== undefined && typeof slim.keepTyped !== "boolean") throw new UserError(`slim.keepTyped must be true or false; got ${JSON.stringify(slim.keepTyped)}.`);
    return { keepTyped: slim.keepTyped ?? false, keepWhole: [...new Set(keepWhole.map(normalizeName))].sort() };
}

/** A distribution's name as pip takes it (PEP 508: letters, digits, ".", "_", "-"). */
export function isDistributionName(name: unknown): boolean {
    return typeof name === "string" && /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name.trim());
}

/** PEP 503 name: what "PyYAML", "pyyaml" and "py_yaml" have in common with their dist-info folder's name. */
export function normalizeName(name: string): string {
    return name
        .trim()
        .toLowerCase()
        .replace(/[-_.]+/g, "-");
}

export interface PackageSlimming {
    /** The distribution (from its .dist-info), or the top-level folder for files no RECORD lists. */
    name: string;
    removedFiles: number;
    removedBytes: number;
    strippedFiles: number;
    /** Bytes saved by stripping its shared objects. */
    strippedBytes: number;
    byReason: Partial<Record<SlimReason, number>>;
}

export interface SlimReport {
    removedFiles: number;
    removedBytes: number;
    strippedFiles: number;
    strippedBytes: number;
    /** Per distribution, most bytes saved first. */
    packages: PackageSlimming[];
    /** Distributions kept whole: asked for, or put back because an import broke without them (runner/slim-proof.ts). */
    keptWhole: string[];
    /** Test or docs folders kept because a module of their package imports them. */
    keptFolders: string[];
    /** Shared objects shipped as they were, and why: not ELF, another architecture, strip refused them. */
    notStripped: { file: string; why: string }[];
    /** The packages and extension modules the dependencies ship (importableModules), with their distribution: what the proof imports. */
    modules: { module: string; package: string }[];
    stripper: string;
}

/** The report of a slim build with no dependencies to slim. */
export function emptySlimReport(keptWhole: string[] = []): SlimReport {
    return { removedFiles: 0, removedBytes: 0, strippedFiles: 0, strippedBytes: 0, packages: [], keptWhole, keptFolders: [], notStripped: [], modules: [], stripper: STRIPPER };
}

// The import proof's outcome (the proof itself runs the archive, so it lives in runner/slim-proof.ts).

/** "auto": prove when the runner is set up for the target (lambda-python setup), else say it was not; "always": set it up if needed; "never". */
export type ProveMode = "auto" | "always" | "never";

export interface ImportFailure {
    module: string;
    package: string;
    error: string;
}

export interface SlimProof {
    /** Whether the proof ran. */
    ran: boolean;
    /** Why it did not run. */
    skipped?: string;
    /** Modules imported by the final archive. */
    imported: string[];
    /** Modules that do not import even without slimming (a missing optional dependency, a layer they expect): not slimming's doing. */
    failingAnyway: ImportFailure[];
    /** Packages put back whole because an import broke without them, with the failure that named them. */
    keptWhole: ImportFailure[];
    /** Set when even keeping those whole did not help and the archive was built without slimming. */
    gaveUp?: string;
}

export interface SlimFile {
    rel: string;
    size: number;
    executable: boolean;
    /** Where the file is. */
    abs: string;
    sha256?: string;
}

export interface SlimResult {
    drop: Set<string>;
    /** Shared objects replaced by their stripped copy (in the build cache). */
    stripped: Map<string, { path: string; size: number; sha256: string }>;
    report: SlimReport;
}

/** Slims a dependency tree for `architecture`; files are relative to site-packages. */
export async function slimTree(files: SlimFile[], architecture: string, slim: ResolvedSlim, cacheDir: string, say: (m: string) => void): Promise<SlimResult> {
    const byRelAbs = new Map(files.map((f) => [f.rel, f.abs]));
    const { packageOf } = distributionsOf(
        files.map((f) => f.rel),
        (rel) => {
            try {
                return fs.readFileSync(byRelAbs.get(rel)!, "utf8");
            } catch {
                return undefined;
            }
        },
    );
    const keepWhole = new Set(slim.keepWhole);
    const drop = new Set<string>();
    const reasons = new Map<string, SlimReason>();
    const whole = (rel: string) => keepWhole.has(normalizeName(packageOf(rel)));
    for (const f of files) {
        if (whole(f.rel)) continue;
        const reason = slimReason(f.rel, slim.keepTyped);
        if (reason) {
            reasons.set(f.rel, reason);
            drop.add(f.rel);
        }
    }
    const keptFolders = keepImportedFolders(files, drop, reasons);
    const candidates = files.filter((f) => !drop.has(f.rel) && !whole(f.rel) && isSharedObjectName(f.rel));
    const { stripped, notStripped } = await stripAll(candidates, architecture, cacheDir, say);

    const packages = new Map<string, PackageSlimming>();
    const entry = (rel: string) => {
        const name = packageOf(rel);
        let p = packages.get(name);
        if (!p) packages.set(name, (p = { name, removedFiles: 0, removedBytes: 0, strippedFiles: 0, strippedBytes: 0, byReason: {} }));
        return p;
    };
    const byRel = new Map(files.map((f) => [f.rel, f]));
    for (const rel of drop) {
        const p = entry(rel);
        const size = byRel.get(rel)!.size;
        p.removedFiles++;
        p.removedBytes += size;
        const reason = reasons.get(rel)!;
        p.byReason[reason] = (p.byReason[reason] ?? 0) + size;
    }
    for (const [rel, s] of stripped) {
        const p = entry(rel);
        p.strippedFiles++;
        p.strippedBytes += byRel.get(rel)!.size - s.size;
    }
    const list = [...packages.values()].sort((a, b) => b.removedBytes + b.strippedBytes - (a.removedBytes + a.strippedBytes) || (a.name < b.name ? -1 : 1));
    const sum = (k: keyof PackageSlimming) => list.reduce((n, p) => n + (p[k] as number), 0);
    return {
        drop,
        stripped,
        report: {
            removedFiles: sum("removedFiles"),
            removedBytes: sum("removedBytes"),
            strippedFiles: sum("strippedFiles"),
            strippedBytes: sum("strippedBytes"),
            packages: list,
            keptWhole: slim.keepWhole,
            keptFolders,
            notStripped,
            modules: importableModules(files.filter((f) => !drop.has(f.rel)).map((f) => f.rel)).map((module) => ({ module, package: packageOf(module.split(".")[0]) })),
            stripper: STRIPPER,
        },
    };
}

/**
 * Which distribution each file belongs to, from the RECORD of every
 * top-level .dist-info (`numpy.libs/` is numpy's, `yaml/` PyYAML's); a file
 * no RECORD lists counts under its top-level folder's name. `isListed`
 * says whether a RECORD lists the file's top level (a dependency's, not the
 * handler's own code).
 */
function distributionsOf(rels: string[], read: (rel: string) => string | undefined): { packageOf: (rel: string) => string; isListed: (rel: string) => boolean } {
    const byTop = new Map<string, string>();
    for (const rel of rels) {
        const m = /^([^/]+)-[^-/]+\.dist-info\/RECORD$/.exec(rel);
        const text = m ? read(rel) : undefined;
        if (!m || text === undefined) continue;
        for (const line of text.split("\n")) {
            const first = line.split(",")[0].replace(/^"/, "");
            const top = first.split("/")[0];
            if (!top || top === ".." || isMetadataFolder(top) || top === "bin") continue;
            byTop.set(top, m[1]);
            // A single-file module (six.py, _cffi_backend.cpython-313-x86_64-linux-gnu.so) by its module name too.
            if (!first.includes("/")) byTop.set(top.split(".")[0], m[1]);
        }
    }
    const metaOf = (top: string) => /^([^/]+)-[^-/]+\.(dist|egg)-info$/.exec(top)?.[1];
    return {
        packageOf: (rel) => {
            const top = rel.split("/")[0];
            return metaOf(top) ?? byTop.get(top) ?? top.split(".")[0];
        },
        isListed: (rel) => {
            const top = rel.split("/")[0];
            return metaOf(top) !== undefined || byTop.has(top);
        },
    };
}

/** What slimming's rules would remove from an archive's files (`inspect`): stripping is not counted, it is measured by a build. */
export function slimmable(files: { name: string; size: number }[], prefix: string, read: (name: string) => string | undefined): { files: number; bytes: number; packages: PackageSlimming[] } {
    const rels = files.filter((f) => f.name.startsWith(prefix)).map((f) => ({ rel: f.name.slice(prefix.length), size: f.size }));
    const { packageOf, isListed } = distributionsOf(
        rels.map((f) => f.rel),
        (rel) => read(prefix + rel),
    );
    const packages = new Map<string, PackageSlimming>();
    let count = 0;
    let bytes = 0;
    for (const f of rels) {
        // Only dependencies' files: a function archive's own code is never slimmed.
        const reason = isListed(f.rel) ? slimReason(f.rel) : undefined;
        if (!reason) continue;
        const name = packageOf(f.rel);
        let p = packages.get(name);
        if (!p) packages.set(name, (p = { name, removedFiles: 0, removedBytes: 0, strippedFiles: 0, strippedBytes: 0, byReason: {} }));
        p.removedFiles++;
        p.removedBytes += f.size;
        p.byReason[reason] = (p.byReason[reason] ?? 0) + f.size;
        count++;
        bytes += f.size;
    }
    return { files: count, bytes, packages: [...packages.values()].sort((a, b) => b.removedBytes - a.removedBytes || (a.name < b.name ? -1 : 1)) };
}

/**
 * Test and docs folders (and test extension modules) a module of their
 * package imports go back in (the import check is textual; the proof is the
 * real one) — unless every module importing them is in a developer-only
 * folder, which then goes with the tests: a private folder of the package
 * (`scipy/special/_precompute`, its name starts with "_") holding only
 * Python modules, that no module outside it imports (any line importing its
 * name counts). scipy's data-generation scripts import its test suite that
 * way, and nothing imports them at run time.
 */
function keepImportedFolders(files: SlimFile[], drop: Set<string>, reasons: Map<string, SlimReason>): string[] {
    const folders = new Set<string>();
    for (const rel of drop) {
        const folder = removedFolderOf(rel);
        if (folder) folders.add(folder);
    }
    if (!folders.size) return [];
    const byTop = new Map<string, string[]>();
    for (const folder of folders) {
        const top = folder.split("/")[0];
        byTop.set(top, [...(byTop.get(top) ?? []), folder]);
    }
    const folderNames = new Set<string>();
    for (const f of files) for (let i = f.rel.indexOf("/"); i > 0; i = f.rel.indexOf("/", i + 1)) folderNames.add(f.rel.slice(0, i));
    const isFolder = (c: string) => folderNames.has(c);
    const texts = new Map<string, string>();
    for (const f of files) {
        if (!f.rel.endsWith(".py") || drop.has(f.rel) || !byTop.has(f.rel.split("/")[0])) continue;
        try {
            texts.set(f.rel, fs.readFileSync(f.abs, "utf8"));
        } catch {
            // unreadable: imports nothing we can see
        }
    }
    const importers = new Map<string, string[]>();
    for (const [rel, text] of texts) {
        const moduleFolder = path.posix.dirname(rel);
        for (const c of byTop.get(rel.split("/")[0]) ?? []) {
            const imports = isFolder(c) ? importsFolder(text, moduleFolder, c) : mentionsImportOf(text, c.slice(c.lastIndexOf("/") + 1));
            if (imports) importers.set(c, [...(importers.get(c) ?? []), rel]);
        }
    }
    const developerOnly = new Map<string, boolean>();
    const isDeveloperOnly = (folder: string): boolean => {
        let known = developerOnly.get(folder);
        if (known !== undefined) return known;
        const name = folder.slice(folder.lastIndexOf("/") + 1);
        const inside = files.filter((f) => f.rel.startsWith(`${folder}/`));
        known =
            folder.includes("/") &&
            name.startsWith("_") &&
            !name.startsWith("__") &&
            inside.length > 0 &&
            inside.every((f) => f.rel.endsWith(".py")) &&
            ![...texts].some(([rel, text]) => !rel.startsWith(`${folder}/`) && rel.split("/")[0] === folder.split("/")[0] && mentionsImportOf(text, name));
        developerOnly.set(folder, known);
        return known;
    };
    const kept = new Set<string>();
    const developerFolders = new Set<string>();
    for (const [c, rels] of importers) {
        const homes = [...new Set(rels.map((r) => path.posix.dirname(r)))];
        if (homes.every((h) => !c.startsWith(`${h}/`) && isDeveloperOnly(h))) for (const h of homes) developerFolders.add(h);
        else kept.add(c);
    }
    for (const rel of [...drop]) {
        const folder = removedFolderOf(rel);
        if (folder && [...kept].some((k) => folder === k || folder.startsWith(`${k}/`))) {
            drop.delete(rel);
            reasons.delete(rel);
        }
    }
    for (const f of files) {
        if ([...developerFolders].some((d) => f.rel.startsWith(`${d}/`))) {
            drop.add(f.rel);
            reasons.set(f.rel, "tests");
        }
    }
    return [...kept].sort();
}

/**
 * The modules the proof imports: every package (a folder with `__init__.py`)
 * and every extension module the tree ships, at any depth, plus top-level
 * single-file modules; one level into namespace packages. Test and docs
 * folders a package kept are test code (they import pytest): not imported.
 * Packages and extension modules are where slimming can break an import:
 * a package's `__init__` loads its extension modules, and those load the
 * shared libraries stripping touched (an `import scipy` alone loads none of
 * scipy's OpenBLAS; `import scipy.linalg` does).
 */
export function importableModules(rels: string[]): string[] {
    const out = new Set<string>();
    const packages = new Set<string>();
    for (const rel of rels) if (rel.endsWith("/__init__.py")) packages.add(rel.slice(0, -"/__init__.py".length));
    const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
    const skip = (parts: string[]) => isMetadataFolder(parts[0]) || parts[0] === "bin" || parts[0].startsWith("__editable__") || parts[0].startsWith("_distutils_hack") || parts.slice(1, -1).some(isTestOrDocFolder);
    /** Whether every folder above `depth` is a package (the top one may be a namespace package). */
    const importable = (parts: string[], depth: number) => parts.slice(0, depth).every((p, i) => identifier.test(p) && (i === 0 || packages.has(parts.slice(0, i + 1).join("/"))));
    for (const rel of rels) {
        const parts = rel.split("/");
        if (skip(parts)) continue;
        const base = parts[parts.length - 1];
        if (base === "__init__.py") {
            const folders = parts.slice(0, -1);
            if (!importable(folders, folders.length)) continue;
            // A namespace package's top (google/) is no module of its own: its packages are.
            out.add(folders.join("."));
            continue;
        }
        const ext = /^([A-Za-z_][A-Za-z0-9_]*)\.(?:[A-Za-z0-9_-]+\.)?so$/.exec(base);
        const py = parts.length === 1 ? /^([A-Za-z_][A-Za-z0-9_]*)\.py$/.exec(base) : null;
        const m = ext ?? py;
        if (!m) continue;
        const folders = parts.slice(0, -1);
        if (folders.length && !(importable(folders, folders.length) && packages.has(folders.join("/")))) continue;
        out.add([...folders, m[1]].join("."));
    }
    return [...out].sort();
}

async function sha256File(file: string): Promise<string> {
    const hash = crypto.createHash("sha256");
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
    return hash.digest("hex");
}

/** The loadable segments of an ELF file on disk (undefined if its program headers cannot be read). */
function segmentsOf(file: string): LoadSegment[] | undefined {
    const fd = fs.openSync(file, "r");
    try {
        return loadSegments((position, length) => {
            const b = Buffer.alloc(length);
            if (fs.readSync(fd, b, 0, length, position) !== length) throw new Error("short read");
            return b;
        });
    } catch {
        return undefined;
    } finally {
        fs.closeSync(fd);
    }
}

/** Whether a file holds only zero bytes in [offset, offset + length). */
function zerosAt(file: string, offset: number, length: number): boolean {
    if (length > 1 << 20) return false;
    const fd = fs.openSync(file, "r");
    try {
        const b = Buffer.alloc(length);
        return fs.readSync(fd, b, 0, length, offset) === length && b.every((x) => x === 0);
    } finally {
        fs.closeSync(fd);
    }
}

/**
 * Writes `input` stripped by compact.ts to `output` when the copy passes its
 * checks (verifyCompacted and the same loadable-segment check as GNU strip's
 * copies); undefined when written, "not smaller", "nothing to strip", or why not.
 */
function compactTo(input: string, output: string): string | undefined {
    const original = fs.readFileSync(input);
    const r = compactElf(original);
    if ("why" in r) return r.why === "not smaller" ? "not smaller" : r.why === "it has no sections to strip" ? "nothing to strip" : `the stripped copy would not load, and keeping its layout failed: ${r.why}`;
    const why = verifyCompacted(original, r.output);
    if (why) return `the stripped copy would not load, and keeping its layout failed: ${why}`;
    fs.writeFileSync(output, r.output);
    fs.chmodSync(output, fs.statSync(input).mode & 0o777);
    const again = strippedSegmentsDiffer(segmentsOf(input)!, segmentsOf(output) ?? [], (offset, length) => zerosAt(input, offset, length));
    return again ? `the stripped copy would not load, and keeping its layout failed: ${again}` : undefined;
}

function readHead(file: string): Buffer {
    const fd = fs.openSync(file, "r");
    try {
        const head = Buffer.alloc(20);
        const n = fs.readSync(fd, head, 0, 20, 0);
        return head.subarray(0, n);
    } finally {
        fs.closeSync(fd);
    }
}

interface StripRecord {
    sha256?: string;
    size?: number;
    /** strip's complaint, or "not smaller". */
    why?: string;
}

/** Strips the target's shared objects, two at a time, each result cached under slim/ by the input's sha256. */
async function stripAll(candidates: SlimFile[], architecture: string, cacheDir: string, say: (m: string) => void): Promise<{ stripped: SlimResult["stripped"]; notStripped: SlimReport["notStripped"] }> {
    const stripped: SlimResult["stripped"] = new Map();
    const notStripped: SlimReport["notStripped"] = [];
    const targets: SlimFile[] = [];
    for (const f of candidates) {
        const kind = elfKind(readHead(f.abs), architecture);
        if (kind === "target") targets.push(f);
        else notStripped.push({ file: f.rel, why: kind === "not ELF" ? "not an ELF file" : `an ELF file for another architecture than ${architecture}` });
    }
    if (!targets.length) return { stripped, notStripped };
    const dir = new BuildCache(cacheDir).slimDir();
    fs.mkdirSync(dir, { recursive: true });
    let stripper: Stripper | undefined;
    const queue = [...targets];
    let done = 0;
    const worker = async () => {
        for (let f = queue.shift(); f; f = queue.shift()) {
            const input = f.sha256 ?? (await sha256File(f.abs));
            const key = crypto.createHash("sha256").update(`${STRIPPER}\0${input}`).digest("hex");
            const out = path.join(dir, `${key}.so`);
            const recordPath = path.join(dir, `${key}.json`);
            let record: StripRecord | undefined;
            try {
                record = JSON.parse(fs.readFileSync(recordPath, "utf8")) as StripRecord;
                if (record.sha256 && fs.statSync(out).size !== record.size) record = undefined;
                // Used by this build: kept by the cache's sweep for another month (cache.ts).
                else markUsed(recordPath, fs.statSync(recordPath).mtimeMs);
            } catch {
                record = undefined;
            }
            if (!record) {
                stripper ??= await ensureStripper(say);
                const temp = trackTemp(tempPathFor(out));
                try {
                    let why = await stripper.strip(f.abs, temp);
                    if (!why) {
                        const before = segmentsOf(f.abs);
                        const after = segmentsOf(temp);
                        why = !before || !after ? "its program headers cannot be read" : strippedSegmentsDiffer(before, after, (offset, length) => zerosAt(f.abs, offset, length));
                        if (why) why = `the stripped copy would not load: ${why}`;
                    }
                    if (why?.startsWith("the stripped copy would not load")) {
                        // A library patchelf rewrote: strip it keeping every segment in place (compact.ts), checked byte for byte.
                        const compacted = compactTo(f.abs, temp);
                        why =
                            compacted === "not smaller"
                                ? "GNU strip would move its segments (a layout patchelf wrote), and stripping it with its segments in place saves nothing (none can move down by a whole alignment)"
                                : compacted === "nothing to strip"
                                  ? "GNU strip would move its segments (a layout patchelf wrote), and it has no symbol table or debug sections to strip in place"
                                  : compacted;
                    }
                    const size = why ? 0 : fs.statSync(temp).size;
                    if (why || size >= f.size) {
                        record = { why: why ?? "not smaller" };
                    } else {
                        record = { sha256: await sha256File(temp), size };
                        commitTemp(temp, out);
                    }
                    writeFileAtomic(recordPath, JSON.stringify(record));
                } finally {
                    removeQuietly(temp);
                }
            }
            if (record.sha256 && record.size !== undefined) stripped.set(f.rel, { path: out, size: record.size, sha256: record.sha256 });
            else if (record.why !== "not smaller") notStripped.push({ file: f.rel, why: /^(the stripped copy|GNU strip would)/.test(record.why!) ? record.why! : `strip refused it: ${record.why}` });
            if (++done % 50 === 0) say(`stripped ${done}/${targets.length} shared objects`);
        }
    };
    say(`stripping ${targets.length} shared objects (${architecture})`);
    await Promise.all([worker(), worker()]);
    notStripped.sort((a, b) => (a.file < b.file ? -1 : 1));
    return { stripped, notStripped };
}
