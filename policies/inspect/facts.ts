// One pass over an archive's listing that gathers what the rules judge:
// sizes, native binaries and their instruction sets, wheel tags, bytecode
// caches and unsafe entries. The result is plain JSON, so the builder can
// keep it next to a cached zip and re-run the rules without re-reading.
import { BINARY_PROBE_BYTES, BinaryFormat, classifyBinary, isInertWindowsProgram, mayBeNative } from "./binary";
import { GlibcNeed, glibcNeeded } from "./elf-glibc";
import { ArchiveEntry, ArchiveSource } from "./source";
import { BINARY_SNIFF_BYTES, SCAN_FILE_BYTES, secretsInHead } from "./secrets";
import { parseWheelFile } from "./wheel-tags";
import { ZipFormatError } from "../zip/reader";

export interface NativeFact {
    name: string;
    format: BinaryFormat;
    arch: string;
    /** ELF only: the newest GLIBC_x.y symbol version it needs, from its version-needs table. */
    glibc?: GlibcNeed;
}

export interface WheelFact {
    /** e.g. "numpy-2.1.3.dist-info" with its folder prefix. */
    distInfo: string;
    tags: string[];
}

export interface UnsafeFact {
    name: string;
    reason: string;
}

export interface SecretFact {
    name: string;
    /** "an AWS secret access key", … */
    what: string[];
}

export interface FileFact {
    name: string;
    size: number;
    mode?: number;
    /** A symbolic link's target, as the entry spells it. */
    link?: string;
    /** A .pyc file's header (PEP 552): the CPython magic number (its first two bytes), and the flags word (0 timestamp-based, 1 unchecked hash, 3 checked hash). */
    pyc?: { magic: number; flags: number };
}

export interface ArchiveFacts {
    format: "zip" | "folder" | "assets";
    label: string;
    zippedBytes?: number;
    unzippedBytes: number;
    /** Number of entries, folders included (for a zip: its central directory records). */
    entries: number;
    /** Regular files, sorted by name. */
    files: FileFact[];
    natives: NativeFact[];
    /** Distinct instruction sets of the loadable native binaries (not Windows programs), sorted. */
    nativeArchitectures: string[];
    wheels: WheelFact[];
    /** __pycache__ folders and .pyc/.pyo files (at most MAX_LISTED). */
    pycache: string[];
    pycacheCount: number;
    unsafe: UnsafeFact[];
    /** Files of the archive's own (not an installed distribution's) holding credentials, and what kinds (never the values). */
    secrets: SecretFact[];
    /** Corruption or zip-bomb signs: the archive cannot be trusted. */
    problems: string[];
    /** Parts that could not be looked into. */
    notInspected: string[];
}

/** An archive's facts, plus lazy access to a file's text for rules that need it. */
export interface InspectedArchive {
    facts: ArchiveFacts;
    readText(name: string, maxBytes?: number): string | undefined;
}

const MAX_LISTED = 50;
/** A .pyc's header: magic (4 bytes), flags (4), then a source hash or timestamp and size (8). */
const PYC_HEADER_BYTES = 16;
const WHEEL_FILE_MAX = 64 * 1024;
/** How much of a file readText reads unless told (a bigger file reads as undefined). */
export const DEFAULT_TEXT_MAX = 4 * 1024 * 1024;
const MAX_LINK_BYTES = 4096;
/** Links followed at most from one name (Linux's limit, MAXSYMLINKS). */
const MAX_LINK_HOPS = 40;
/** Credential scanning (scanForSecrets): at most this much of the whole archive (Lambda's unzipped limit is 250 MB). */
const SCAN_TOTAL_BYTES = 256 * 1024 * 1024;
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Synchronous work between two turns of the event loop (gatherFactsAsync). */
const YIELD_MS = 20;

/** Facts of an archive with nothing in it yet. */
export function emptyFacts(format: ArchiveFacts["format"], label: string, zippedBytes?: number): ArchiveFacts {
    return {
        format,
        label,
        zippedBytes,
        unzippedBytes: 0,
        entries: 0,
        files: [],
        natives: [],
        nativeArchitectures: [],
        wheels: [],
        pycache: [],
        pycacheCount: 0,
        unsafe: [],
        secrets: [],
        problems: [],
        notInspected: [],
    };
}

export function gatherFacts(src: ArchiveSource): ArchiveFacts {
    const gather = new FactGatherer(src);
    for (const e of src.entries) gather.add(e);
    for (const _ of gather.finish());
    return gather.facts;
}

/**
 * gatherFacts in slices of at most YIELD_MS, with turns of the event loop
 * between them: a million entries take seconds, and a CLI busy that long
 * would not answer Ctrl-C (its handler runs between slices).
 */
export async function gatherFactsAsync(src: ArchiveSource): Promise<ArchiveFacts> {
    const gather = new FactGatherer(src);
    let slice = Date.now();
    const breathe = async () => {
        if (Date.now() - slice < YIELD_MS) return;
        await new Promise((r) => setImmediate(r));
        slice = Date.now();
    };
    for (const e of src.entries) {
        gather.add(e);
        await breathe();
    }
    for (const _ of gather.finish()) await breathe();
    return gather.facts;
}

/** One entry at a time, then the steps that need them all: what gatherFacts and gatherFactsAsync share. */
class FactGatherer {
    readonly facts: ArchiveFacts;
    /** Names as extraction resolves them ("./a//b" is "a/b"): two spellings of one path are one path twice. */
    private readonly seen = new Set<string>();
    /** Symbolic links and regular files, by resolved name: an entry beneath one of them cannot be extracted where it says. */
    private readonly links = new Set<string>();
    private readonly plainFiles = new Set<string>();
    /** Every entry's name, in order, for checkBeneath (its extracted path is computed again there: most are the name itself). */
    private readonly names: string[] = [];
    private readonly records: ArchiveEntry[] = [];
    private readonly scanned: ArchiveEntry[] = [];
    private readonly binaries = new Set<ArchiveEntry>();

    constructor(private readonly src: ArchiveSource) {
        this.facts = emptyFacts(src.format, src.label, src.zippedBytes);
        this.facts.entries = src.entries.length;
        this.facts.problems.push(...src.problems);
        this.facts.notInspected.push(...src.notInspected);
    }

    add(e: ArchiveEntry): void {
        const { facts } = this;
        this.checkPlace(e);
        if (isBytecode(e.name)) {
            facts.pycacheCount++;
            if (facts.pycache.length < MAX_LISTED) facts.pycache.push(e.name);
        }
        if (e.isDirectory) {
            // Nothing reads a folder's data, here or in the runner; an extractor that did would make a file of it.
            if (e.size > 0 || (e.compressedSize ?? 0) > 0) this.unsafe(e.name, "is a folder that holds data");
            return;
        }
        facts.unzippedBytes += e.size;
        const file: FileFact = { name: e.name, size: e.size, mode: e.mode };
        facts.files.push(file);
        if (/\.dist-info\/RECORD$/.test(e.name)) this.records.push(e);
        else if (mayHoldSecrets(e)) this.scanned.push(e);
        if (e.encrypted) {
            this.unsafe(e.name, "is encrypted; Lambda cannot extract it");
            return;
        }
        if (e.method !== undefined && e.method !== 0 && e.method !== 8) {
            this.unsafe(e.name, `uses compression method ${e.method}; Lambda extracts only stored and deflated entries`);
            return;
        }
        // Data that failed verification is not read again: its problem is already listed, and nothing it says can be believed.
        if (this.src.damaged?.has(e)) return;
        this.readData(e, file);
    }

    *finish(): Generator<void> {
        const { facts } = this;
        yield* this.checkBeneath();
        yield* scanForSecrets(
            this.src,
            this.records,
            this.scanned.filter((e) => !this.binaries.has(e)),
            facts,
        );
        facts.files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        facts.nativeArchitectures = [...new Set(facts.natives.filter((n) => !isInertWindowsProgram(n.name, n)).map((n) => n.arch))].sort();
    }

    private unsafe(name: string, reason: string): void {
        if (this.facts.unsafe.length < MAX_LISTED) this.facts.unsafe.push({ name, reason });
    }

    /** Where the entry would be extracted: once only, with a name, a safe one, readable. */
    private checkPlace(e: ArchiveEntry): void {
        const resolved = extractedPath(e.name);
        if (this.seen.has(resolved))
            this.unsafe(
                e.name,
                resolved === e.name.replace(/\/$/, "") ? "appears twice in the archive; which copy Lambda extracts is undefined" : `is ${resolved} spelled another way, which the archive also holds; which copy Lambda extracts is undefined`,
            );
        this.seen.add(resolved);
        this.names.push(e.name);
        if (!e.isDirectory && resolved === "") this.unsafe(e.name, "is a file without a name (nothing but slashes and dots)");
        if (!e.isDirectory) (isSymlink(e.mode) ? this.links : this.plainFiles).add(resolved);
        const nameProblem = unsafeName(e.name);
        if (nameProblem) this.unsafe(e.name, nameProblem);
        const accessProblem = unreadable(e);
        if (accessProblem) this.unsafe(e.name, accessProblem);
    }

    /** What a file's data says, for the kinds of file that matter: a link's target, a .pyc's header, a WHEEL's tags, a binary's machine. */
    private readData(e: ArchiveEntry, file: FileFact): void {
        const { src, facts } = this;
        if (isSymlink(e.mode)) {
            const target = readSafely(src, (s) => s.readAll(e, MAX_LINK_BYTES), facts.problems);
            const link = target?.toString("utf8") ?? "?";
            file.link = link;
            // No file system can make such a link (the kernel takes a NUL-terminated, non-empty target).
            if (link === "" || link.includes("\0")) this.unsafe(e.name, "is a symbolic link with an empty target or a NUL byte in it");
            else if (resolveLink(e.name, link) === undefined) this.unsafe(e.name, `is a symbolic link to ${link}, outside the archive`);
            return;
        }
        if (e.name.endsWith(".pyc") && e.size >= PYC_HEADER_BYTES) {
            const head = readSafely(src, (s) => s.readPrefix(e, PYC_HEADER_BYTES), facts.problems);
            // Magic numbers end in \r\n; anything else is not CPython bytecode and keeps no header.
            if (head && head.length >= PYC_HEADER_BYTES && head[2] === 0x0d && head[3] === 0x0a) file.pyc = { magic: head.readUInt16LE(0), flags: head.readUInt32LE(4) };
            return;
        }
        if (/(^|\/)[^/]+\.dist-info\/WHEEL$/.test(e.name)) {
            const text = readSafely(src, (s) => s.readAll(e, WHEEL_FILE_MAX), facts.problems);
            if (text) facts.wheels.push({ distInfo: e.name.slice(0, -"/WHEEL".length), tags: parseWheelFile(text.toString("utf8")) });
            return;
        }
        if (e.size >= 20 && mayBeNative(e.name, e.mode)) {
            const known = src.knownNative?.(e);
            if (known !== undefined) {
                if (known) {
                    facts.natives.push({ name: e.name, ...known });
                    this.binaries.add(e);
                }
                return;
            }
            const head = readSafely(src, (s) => s.readPrefix(e, BINARY_PROBE_BYTES), facts.problems);
            const kind = head && classifyBinary(head);
            if (!kind) return;
            const glibc = kind.format === "elf" ? readSafely(src, (s) => glibcOf(s, e), facts.problems) : undefined;
            facts.natives.push({ name: e.name, format: kind.format, arch: kind.arch, ...(glibc ? { glibc } : {}) });
            this.binaries.add(e);
        }
    }

    /**
     * An entry beneath a symbolic link of the archive would be written through the link (each link lexically
     * inside the archive, "a/b -> .." then "a/b/c -> ..", can still climb out of it one level at a time), and
     * one beneath a file cannot be made at all. Archives made by zip never hold either: zip stores a link
     * and does not descend into it.
     */
    private *checkBeneath(): Generator<void> {
        const { names, links, plainFiles } = this;
        for (let i = 0; i < names.length; i++) {
            const name = names[i];
            const resolved = extractedPath(name);
            for (let cut = resolved.indexOf("/"); cut > 0; cut = resolved.indexOf("/", cut + 1)) {
                const above = resolved.slice(0, cut);
                if (links.has(above)) this.unsafe(name, `lies beneath the symbolic link ${above}; extracting it would write through the link`);
                else if (plainFiles.has(above)) this.unsafe(name, `lies beneath ${above}, which the archive holds as a file`);
                else continue;
                break;
            }
            if ((i & 4095) === 4095) yield;
        }
    }
}

/**
 * Files of the archive's own that hold credentials (secrets.ts), for the
 * lambda-package-secrets rule. Files an installed distribution lists in its
 * RECORD are the package authors', not the user's, and are not scanned
 * (botocore's documentation carries AWS's example keys); nor are binaries.
 * Bounded: the first SCAN_FILE_BYTES of each file, SCAN_TOTAL_BYTES in all
 * (what is left is said in notInspected). One step per file.
 */
function* scanForSecrets(src: ArchiveSource, records: ArchiveEntry[], candidates: ArchiveEntry[], facts: ArchiveFacts): Generator<void> {
    const owned = new Set<string>();
    const readRecords = function* (): Generator<void> {
        for (const record of records) {
            if (src.damaged?.has(record)) continue;
            const text = readSafely(src, (s) => s.readAll(record, MAX_RECORD_BYTES), facts.problems)?.toString("utf8");
            // RECORD paths are relative to the folder holding the .dist-info (site-packages, or python/ of a layer).
            const base = record.name.slice(0, record.name.lastIndexOf("/"));
            const root = base.includes("/") ? base.slice(0, base.lastIndexOf("/") + 1) : "";
            for (const line of text?.split(/\r?\n/) ?? []) {
                const file = line.startsWith('"') ? line.slice(1, line.indexOf('"', 1)) : line.slice(0, line.indexOf(",") < 0 ? line.length : line.indexOf(","));
                const inArchive = file && resolveLink(`${root}x`, file);
                if (inArchive) owned.add(inArchive);
            }
            yield;
        }
    };
    const found = (name: string, what: string[]) => {
        if (what.length && facts.secrets.length < MAX_LISTED) facts.secrets.push({ name, what });
    };
    const knownSecrets = src.knownSecrets;
    if (knownSecrets) {
        // Judged already by whoever wrote the archive (the builder's workers, as they compressed it): the RECORDs
        // are read only when something was found (a rebuild of numpy, pandas and botocore reads none).
        const hits: { e: ArchiveEntry; what: string[] }[] = [];
        const unknown: ArchiveEntry[] = [];
        for (const e of candidates) {
            const what = knownSecrets(e);
            if (what === undefined) unknown.push(e);
            else if (what.length) hits.push({ e, what });
        }
        if (hits.length || unknown.length) yield* readRecords();
        for (const h of hits) if (!owned.has(h.e.name)) found(h.e.name, h.what);
        candidates = unknown;
    } else {
        yield* readRecords();
    }
    let budget = SCAN_TOTAL_BYTES;
    let skipped = 0;
    for (const e of candidates) {
        if (owned.has(e.name) || src.damaged?.has(e)) continue;
        if (budget <= 0) {
            skipped++;
            continue;
        }
        // A binary is told by its first 8 KB, and that is all that is read of one.
        const start = readSafely(src, (s) => s.readPrefix(e, Math.min(e.size, BINARY_SNIFF_BYTES)), facts.problems);
        if (!start || start.includes(0)) continue;
        const head = e.size <= BINARY_SNIFF_BYTES ? start : readSafely(src, (s) => s.readPrefix(e, Math.min(e.size, SCAN_FILE_BYTES)), facts.problems);
        if (!head) continue;
        budget -= head.length;
        found(e.name, secretsInHead(head));
        yield;
    }
    if (skipped) facts.notInspected.push(`${skipped} files not scanned for credentials (the first ${SCAN_TOTAL_BYTES / 1048576} MB of the archive's own files were)`);
}

/** Files worth scanning for credentials: the archive's own files, not metadata, bytecode or dependencies of other languages. */
function mayHoldSecrets(e: ArchiveEntry): boolean {
    return e.size > 0 && !isSymlink(e.mode) && !isBytecode(e.name) && !/(^|\/)(node_modules|[^/]+\.(dist|egg)-info)\//.test(e.name);
}

/** Gathers facts and keeps the source open for rules that read files. */
export function inspectSource(src: ArchiveSource): InspectedArchive {
    const facts = gatherFacts(src);
    return { facts, readText: textReader(src, facts.problems) };
}

/**
 * Reads one file of an archive as text, following symbolic links inside the
 * archive as the file system would after extraction (a link's own text is
 * never taken for the file's); damage found on the way is added to `problems`.
 */
export function textReader(src: ArchiveSource, problems: string[] = []): InspectedArchive["readText"] {
    const byName = new Map(src.entries.map((e) => [e.name, e]));
    const linkOf = (name: string): string | undefined => {
        const e = byName.get(name);
        if (!e || !isSymlink(e.mode) || src.damaged?.has(e)) return undefined;
        return readSafely(src, (s) => s.readAll(e, MAX_LINK_BYTES), problems)?.toString("utf8") ?? "";
    };
    return (name, maxBytes = DEFAULT_TEXT_MAX) => {
        const resolved = followLinks(name, linkOf, (n) => byName.has(n));
        const e = "name" in resolved ? byName.get(resolved.name) : undefined;
        if (!e || e.isDirectory || src.damaged?.has(e)) return undefined;
        return readSafely(src, (s) => s.readAll(e, maxBytes), problems)?.toString("utf8");
    };
}

/**
 * Where a name of an archive leads once its symbolic links are followed:
 * the file it ends at, or why it ends nowhere (outside the archive, at a
 * name the archive lacks, or in a loop). `linkOf` gives a link's target
 * text, undefined for anything that is not a link.
 */
export function followLinks(name: string, linkOf: (name: string) => string | undefined, exists: (name: string) => boolean): { name: string } | { problem: string } {
    let current = name;
    for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
        if (!exists(current)) return { problem: hop === 0 ? "is not in the archive" : `is a symbolic link to ${current}, which the archive does not hold` };
        const link = linkOf(current);
        if (link === undefined) return { name: current };
        const next = resolveLink(current, link);
        if (next === undefined) return { problem: `is a symbolic link to ${link}, outside the archive` };
        current = next;
    }
    return { problem: "is a symbolic link in a loop" };
}

/** The path an entry is extracted to, relative to the extraction's root: empty and "." segments dropped ("./a//b/" is "a/b"). */
export function extractedPath(name: string): string {
    // Most names are already so (20,000 of them: no copy, no garbage).
    if (PLAIN_PATH.test(name)) return name;
    return name
        .split("/")
        .filter((s) => s !== "" && s !== ".")
        .join("/");
}

/** A name without an empty or "." segment, so its own extracted path. */
const PLAIN_PATH = /^(?!\.?\/|\.$)(?!.*\/\/)(?!.*\/\.(?:\/|$))(?!.*\/$).+$/s;

/** The archive path a link at `entryName` points to, or undefined when it leaves the archive (absolute, or too many ".."). */
export function resolveLink(entryName: string, link: string): string | undefined {
    if (link.startsWith("/")) return undefined;
    const parts = entryName.split("/").slice(0, -1);
    for (const seg of link.split("/")) {
        if (seg === "..") {
            if (parts.length === 0) return undefined;
            parts.pop();
        } else if (seg && seg !== ".") parts.push(seg);
    }
    return parts.join("/");
}

export function isSymlink(mode: number | undefined): boolean {
    return mode !== undefined && (mode & 0o170000) === 0o120000;
}

/** The glibc an ELF entry needs, reading as little of it as the tables allow. */
function glibcOf(src: ArchiveSource, e: ArchiveEntry): GlibcNeed | undefined {
    return glibcNeeded((n) => src.readPrefix(e, n), e.size);
}

function readSafely<T = Buffer>(src: ArchiveSource, read: (s: ArchiveSource) => T | undefined, problems: string[]): T | undefined {
    try {
        return read(src);
    } catch (err) {
        if (err instanceof ZipFormatError) {
            if (problems.length < MAX_LISTED) problems.push(err.message);
            return undefined;
        }
        throw err;
    }
}

export function isBytecode(name: string): boolean {
    return /(^|\/)__pycache__(\/|$)/.test(name) || /\.py[co]$/.test(name);
}

/** Why an entry's name cannot be extracted where it says (absolute, climbing, NUL …), or undefined. */
export function unsafeName(name: string): string | undefined {
    if (name.includes("\0")) return "has a NUL byte in its name";
    if (name.startsWith("/")) return "has an absolute path; extraction would write outside /var/task";
    if (/^[A-Za-z]:/.test(name)) return "starts with a Windows drive letter";
    if (name.includes("\\")) return "uses backslashes; Lambda would extract a file with a literal backslash in its name instead of a folder";
    if (name.split("/").includes("..")) return "climbs out of the archive with '..' (path traversal)";
    return undefined;
}

function unreadable(e: ArchiveEntry): string | undefined {
    if (e.mode === undefined) return undefined;
    const type = e.mode & 0o170000;
    const perms = (e.mode & 0o777).toString(8).padStart(3, "0");
    if (e.isDirectory || type === 0o040000) {
        if ((e.mode & 0o005) !== 0o005) return `folder mode ${perms}: Lambda's runtime user cannot list or enter it (needs 755)`;
    } else if (type === 0o100000 || type === 0) {
        if ((e.mode & 0o004) === 0) return `file mode ${perms}: Lambda's runtime user cannot read it (needs 644, or 755 for executables)`;
    }
    return undefined;
}
