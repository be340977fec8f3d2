// The cached archives (archives/<key>.zip with its record and manifest, cache.ts): a record written only
// after the facts and manifest, checked against the zip's bytes on every read; the previous archive a build
// copies unchanged entries from; and the unchanged-inputs shortcut (slots/<…>.json), which answers a
// build whose inputs are the same as last time's without planning it again.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ArchiveFacts, inspectSource } from "../policies/inspect";
import { KnownNative, zipFileSource } from "../policies/inspect/source";
import { commitTemp, removeQuietly, writeFileAtomic } from "../shared/atomic";
import { BuildCache, fileCrc32, FORMAT_VERSION, keyOf, markUsed, sha256Hex } from "./cache";
import { statIsSettled } from "./content-hash";
import { DEFLATE_ENGINE } from "./deflate-pool";
import { LocatedDependencies } from "./dependencies";
import { ResolvedOptions } from "./options";
import { Planned } from "./plan";
import { RemoteSession } from "./remote";
import { SlimReport } from "./slim";
import { WalkResult } from "./walk";
import { ManifestEntry, PreviousArchive, WriteResult } from "./zip-writer";

/** A cached archive's record (archives/<key>.json): what a hit needs without reading the zip. */
export interface ArchiveRecord {
    format: number;
    key: string;
    sha256: string;
    /** CRC-32 of the whole zip file, checked before every use (readRecord): 15 ms for 73.5 MB, where sha256 took 42 ms. */
    crc32: number;
    /** sha256 of its manifest (entry offsets): a damaged one would make a rebuild copy the wrong byte ranges. */
    manifestSha256: string;
    zippedBytes: number;
    /** The cached zip's mtime when written: a different one means someone modified it in place. */
    mtimeMs: number;
    facts: ArchiveFacts;
    compressionLevel: number;
    compressedEntries: number;
    reusedEntries: number;
}

/** The modules that decide what goes into an archive and how (the build's own, walking, normalising, writing). */
const BUILDER_FILES = [
    "index",
    "pipeline",
    "source",
    "dependencies",
    "plan",
    "write-archive",
    "archive-cache",
    "donors",
    "checks",
    "walk",
    "normalize",
    "credentials",
    "zip-writer",
    "deflate-worker",
    "options",
    "target-bytecode",
    "slim/index",
    "slim/rules",
    "slim/compact",
    "tools/strip",
].map((m) => path.join(__dirname, m + path.extname(__filename)));

/**
 * Everything an archive is made from, by identity rather than content: the
 * options, the install (its folder is named by the hash of its inputs) and
 * each source file's stat — the trust the hash memo already gives a file
 * whose size, times and inode are unchanged. Undefined (no shortcut) for a
 * site-packages folder, which has no install key, and while any source file
 * was changed within the memo's racy window.
 */
export function inputsOf(options: ResolvedOptions, walked: WalkResult | undefined, located: LocatedDependencies | undefined): string | undefined {
    if (options.dependencies.kind === "site-packages") return undefined;
    const now = Date.now();
    if (!(walked ?? []).every((f) => statIsSettled(f, now))) return undefined;
    const { kind, target, source, dependencies, include, exclude, defaultExcludes, installer, python, uv, installerArgs, prefix, compressionLevel, cacheDir, slim } = options;
    const { bytecode } = options;
    return keyOf({
        format: FORMAT_VERSION,
        compressors: DEFLATE_ENGINE,
        // This code's own version: a fixed builder must not keep serving what the previous one made.
        builder: BUILDER_FILES.map((f) => {
            const st = fs.statSync(f, { throwIfNoEntry: false });
            return st ? [f, st.size, st.mtimeMs] : [f];
        }),
        options: { kind, runtime: target.runtime, architecture: target.architecture, source, dependencies, include, exclude, defaultExcludes, installer, python, uv, installerArgs, prefix, compressionLevel, cacheDir, bytecode, slim },
        install: located?.roots ?? "none",
        source: (walked ?? []).map((f) => [f.rel, f.size, f.mtimeMs, f.ctimeMs, f.ino, f.mode]),
        leftOut: walked?.leftOut ?? 0,
    });
}

/** The last build's archive when it was made from exactly these inputs and is still as written. */
export function unchangedSince(slotPath: string, inputs: string, cache: BuildCache): { key: string; record: ArchiveRecord; slim?: SlimReport } | undefined {
    try {
        const slot = JSON.parse(fs.readFileSync(slotPath, "utf8")) as { key: string; inputs?: string; slim?: SlimReport };
        if (slot.inputs !== inputs) return undefined;
        const record = readRecord(cache.archiveRecordPath(slot.key), cache.archivePath(slot.key));
        if (record) markUsed(slotPath); // the shortcut rewrites nothing: kept by the cache's sweep for another month
        return record && { key: slot.key, record, slim: slot.slim };
    } catch {
        return undefined;
    }
}

/**
 * Puts a written archive (`temp`) into the cache under `key`: its facts, read
 * back from the zip, its manifest, then its record, and last the archive under
 * its name. A build killed in between leaves a record whose archive is missing
 * (not used: readRecord), never an archive without its record.
 */
export function recordArchive(options: ResolvedOptions, cache: BuildCache, key: string, temp: string, written: WriteResult, label: string, lap: (phase: string) => void): ArchiveRecord {
    const src = zipFileSource(temp);
    // The workers judged every entry's content for credentials as they compressed it (or an earlier build
    // did, for reused entries: the manifest keeps what they found), so the read-back need not read them all.
    // Every entry of the zip is one of the manifest's; only those with findings are kept by name.
    const found = new Map(written.manifest.filter((m) => m.secrets?.length).map((m) => [m.name, m.secrets!]));
    src.knownSecrets = (e) => found.get(e.name) ?? [];
    const natives = new NativesByContent(written.manifest);
    src.knownNative = (e) => natives.known(e.name);
    let facts: ArchiveFacts;
    try {
        facts = inspectSource(src).facts;
    } finally {
        src.close();
    }
    natives.learn(facts);
    facts.label = label;
    lap("  inspect");
    const manifestSha256 = writeManifest(cache.archiveManifestPath(key), options.compressionLevel, written.manifest);
    const record: ArchiveRecord = {
        format: FORMAT_VERSION,
        key,
        sha256: written.sha256,
        crc32: written.crc32,
        manifestSha256,
        zippedBytes: written.zippedBytes,
        mtimeMs: fs.statSync(temp).mtimeMs, // rename keeps it
        facts,
        compressionLevel: options.compressionLevel,
        compressedEntries: written.compressedEntries,
        reusedEntries: written.reusedEntries,
    };
    const recordPath = cache.archiveRecordPath(key);
    writeFileAtomic(recordPath, JSON.stringify(record));
    try {
        commitTemp(temp, cache.archivePath(key));
    } catch (e) {
        removeQuietly(recordPath);
        throw e;
    }
    return record;
}

/** What the files that may be native libraries were found to be, by sha256 of their content, in this process. */
const nativeMemo = new Map<string, KnownNative | null>();
/** Distinct contents remembered at most (a few hundred bytes each); past it, forgotten and learnt again. */
const NATIVE_MEMO_MAX = 50_000;

/**
 * The native libraries of an archive, from the same content inspected in an
 * earlier archive of this process. The ten functions of one dependency set
 * hold the same numpy: each archive's read-back inflated the head of every
 * `.so` again to learn its machine and glibc (half of a cold stack's
 * read-back). A file's sha256 is the builder's own (the manifest of what it
 * wrote), and what is learnt depends on the content alone.
 */
export class NativesByContent {
    private shaByName: Map<string, string> | undefined;
    /** Names asked about and not known: learnt from the inspection's facts. */
    private readonly asked: string[] = [];

    constructor(private readonly manifest: readonly ManifestEntry[]) {}

    known(name: string): KnownNative | null | undefined {
        // Made on the first question: an archive without a candidate (20,000 .py files) asks none.
        this.shaByName ??= new Map(this.manifest.map((m) => [m.name, m.sha256]));
        const sha = this.shaByName.get(name);
        const known = sha === undefined ? undefined : nativeMemo.get(sha);
        if (known === undefined && sha !== undefined) this.asked.push(name);
        // A copy: each archive's facts are its own to change.
        return known && structuredClone(known);
    }

    learn(facts: ArchiveFacts): void {
        // A read that failed is a problem of this archive, not a fact of the content.
        if (!this.asked.length || facts.problems.length) return;
        if (nativeMemo.size > NATIVE_MEMO_MAX) nativeMemo.clear();
        const found = new Map(facts.natives.map((n) => [n.name, n]));
        for (const name of this.asked) {
            const n = found.get(name);
            // A copy too: the memo shares nothing with this archive's facts.
            nativeMemo.set(this.shaByName!.get(name)!, n ? structuredClone({ format: n.format, arch: n.arch, ...(n.glibc ? { glibc: n.glibc } : {}) }) : null);
        }
    }
}

/**
 * Writes an archive's manifest (JSON: `{ level, compressors, manifest: [...] }`, the text JSON.stringify
 * gives) a few hundred entries at a time, and returns its sha256: 20,000 entries make 4 MB of text, which
 * as one string cost ~6 MB of a small-files build's peak.
 */
export function writeManifest(file: string, level: number, entries: readonly ManifestEntry[]): string {
    const hash = crypto.createHash("sha256");
    const hashed = (piece: string) => {
        hash.update(piece);
        return piece;
    };
    writeFileAtomic(
        file,
        (function* () {
            yield hashed(`{"level":${JSON.stringify(level)},"compressors":${JSON.stringify(DEFLATE_ENGINE)},"manifest":[`);
            for (let i = 0; i < entries.length; i += 512) {
                yield hashed(
                    entries
                        .slice(i, i + 512)
                        .map((e, k) => (i + k ? "," : "") + JSON.stringify(e))
                        .join(""),
                );
            }
            yield hashed("]}");
        })(),
    );
    return hash.digest("hex");
}

/** The archive from the remote cache, checked against this build's plan (remote/entries.ts) and recorded as a built one is. */
export async function fetchArchive(remote: RemoteSession, options: ResolvedOptions, cache: BuildCache, planned: Planned[], key: string, label: string): Promise<ArchiveRecord | undefined> {
    const fetched = await remote.fetchArchive(key, planned, cache);
    if (!fetched) return undefined;
    try {
        const written = { manifest: fetched.manifest, sha256: fetched.sha256, crc32: fileCrc32(fetched.temp), zippedBytes: fetched.bytes, compressedEntries: 0, reusedEntries: 0 };
        return recordArchive(options, cache, key, fetched.temp, written, label, () => {});
    } catch (e) {
        removeQuietly(fetched.temp);
        throw e;
    }
}

/** The previous build of the same source and options, if it is still cached. */
export function previousArchive(cache: BuildCache, slotPath: string, level: number): PreviousArchive | undefined {
    try {
        const { key } = JSON.parse(fs.readFileSync(slotPath, "utf8"));
        // Only an archive still exactly as written (its bytes, checked: readRecord), with the manifest written with it.
        const record = readRecord(cache.archiveRecordPath(key), cache.archivePath(key));
        const text = record && fs.readFileSync(cache.archiveManifestPath(key), "utf8");
        if (!text || sha256Hex(text) !== record.manifestSha256) return undefined;
        const previous = JSON.parse(text) as { level: number; compressors?: string; manifest: ManifestEntry[] };
        // Entries made by another compressor (another libdeflate build) would make this build's bytes differ from a cold build's.
        if (previous.level !== level || previous.compressors !== DEFLATE_ENGINE) return undefined;
        markUsed(slotPath); // a donor's slot is read, not rewritten, by the builds that copy from it: kept by the sweep
        return new PreviousArchive(cache.archivePath(key), previous.manifest);
    } catch {
        return undefined;
    }
}

/**
 * A cached archive's record, when the archive is still exactly what was
 * written: the same size and mtime (cheap, catches an edit in place through
 * a linked --out) and the same CRC-32 of its bytes (catches what rotted on
 * disk or was edited with its mtime set back). Every archive handed out or
 * reused passes here. An archive whose bytes changed is removed with its
 * record, so it is built again rather than shipped again.
 */
export function readRecord(recordPath: string, zipPath: string): ArchiveRecord | undefined {
    const found = recordOf(recordPath, zipPath);
    if (!found) return undefined;
    const { record, state } = found;
    if (checkedHere.get(zipPath) === state) return record;
    if (fileCrc32(zipPath) === record.crc32) {
        checkedHere.set(zipPath, state);
        return record;
    }
    checkedHere.delete(zipPath);
    for (const f of [zipPath, recordPath, recordPath.replace(/\.json$/, ".manifest.json")]) removeQuietly(f);
    return undefined;
}

/**
 * Archives whose bytes this process has checked (readRecord), with their size, mtime, ctime and inode then. The
 * ctime changes with any write to the file and with any setting of its mtime, so an archive with the same four is
 * the one checked: not checked again. The ten functions of a stack that share a dependency set each copy from the
 * first one's archive (previousArchive), which was read whole ten times (~80 ms of a cold preview's thread).
 */
const checkedHere = new Map<string, string>();

/** The record of this format beside a zip of the same size and mtime (its bytes not yet checked), and the zip's state. */
function recordOf(recordPath: string, zipPath: string): { record: ArchiveRecord; state: string } | undefined {
    try {
        const record = JSON.parse(fs.readFileSync(recordPath, "utf8")) as ArchiveRecord;
        const st = fs.statSync(zipPath);
        const state = `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
        return record.format === FORMAT_VERSION && st.size === record.zippedBytes && st.mtimeMs === record.mtimeMs ? { record, state } : undefined;
    } catch {
        return undefined;
    }
}

/**
 * The facts of a zip at `zipPath` when it is an archive of a build cache
 * (`…/archives/<key>.zip`) that its record still vouches for, by readRecord's
 * rule: a cache hit hands the archive out on exactly this check, with these
 * facts. Read only: an archive that fails it is left where it is, for the
 * caller to inspect as any zip (and find what is wrong with it). Used where
 * the archives were built in another process: the offline preview's Python
 * and Go programs, whose components the provider plugin builds.
 */
export function cachedArchiveFacts(zipPath: string): ArchiveFacts | undefined {
    const m = /^([0-9a-f]{40})\.zip$/.exec(path.basename(zipPath));
    if (!m || path.basename(path.dirname(zipPath)) !== "archives") return undefined;
    const record = recordOf(path.join(path.dirname(zipPath), `${m[1]}.json`), zipPath)?.record;
    return record && record.key === m[1] && fileCrc32(zipPath) === record.crc32 ? record.facts : undefined;
}
