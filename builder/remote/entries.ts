// What crosses the wire, checked entry by entry before anything of it is used.
//
// An install (thousands of files) travels as one zip: its manifest.json and
// site-packages/<file> for every file the manifest lists, nothing else. On
// the way in, every name must be one the manifest lists (and the manifest's
// names plain relative paths: no "..", no absolute path, no backslash), and
// every file must inflate to the size and sha256 the manifest gives; files
// are written with 644 or 755 only, never over anything.
//
// A finished archive travels as it is, and is judged against what the build
// planned (the build key is the hash of that plan): the same entries in the
// same order, the same modes and sizes, every file's content hashing to the
// planned sha256, local headers agreeing with the central directory. Its
// manifest (offsets, hashes, credentials found) is then made here from what
// was checked, not taken from the remote.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as zlib from "zlib";
import { SCAN_FILE_BYTES, secretsInHead } from "../../policies/inspect/secrets";
import { openZipFile, UNIX_OS, ZipEntry, ZipReader } from "../../policies/zip/reader";
import { INSTALL_MANIFEST } from "../cache";
import { DeflateJob, DeflateJobError, DeflatePool } from "../deflate-pool";
import { BAD_ENTRY } from "../deflate-worker";
import type { InstalledFile } from "../install/installed-file";
import { ManifestEntry, ReuseSource, writeZip, ZipInputEntry } from "../zip-writer";

const inflateRaw = promisify(zlib.inflateRaw);

/** Why a remote entry was not used: names what is wrong with it. */
export class BadEntryError extends Error {}

/** Entries of a downloaded archive inflated at a time (its check; installs unpack on the deflate pool): zlib's thread pool has four threads. */
const IN_FLIGHT = 4;
/** A manifest is JSON of a few hundred bytes per file. */
const MAX_MANIFEST_BYTES = 64 << 20;
const LOCAL_SIG = 0x04034b50;

/**
 * The install folder (`manifest.json` + `site-packages/`) as one zip at
 * `target`, compressed at the archives' level with the archives' compressor,
 * so that archives built from it elsewhere copy its bytes instead of
 * compressing (`reuse`: an archive of this build that holds them already).
 */
export async function packInstall(installDir: string, files: InstalledFile[], target: string, level: number, reuse?: ReuseSource): Promise<{ sha256: string; bytes: number }> {
    const manifest = fs.readFileSync(path.join(installDir, INSTALL_MANIFEST));
    const entries: ZipInputEntry[] = [
        { name: INSTALL_MANIFEST, isDirectory: false, executable: false, size: manifest.length, sha256: crypto.createHash("sha256").update(manifest).digest("hex"), data: manifest },
        ...files.map((f) => ({ name: `site-packages/${f.rel}`, isDirectory: false, executable: f.executable, size: f.size, sha256: f.sha256, path: path.join(installDir, "site-packages", f.rel) })),
    ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const written = await writeZip(target, entries, { level, reuse });
    return { sha256: written.sha256, bytes: written.zippedBytes };
}

/** A relative path that stays inside the folder it is joined to. */
export function isPlainRelativePath(rel: unknown): rel is string {
    if (typeof rel !== "string" || rel.length === 0 || rel.length > 4096) return false;
    if (rel.startsWith("/") || rel.includes("\\") || rel.includes("\0")) return false;
    return rel.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

/** The manifest of a pack, checked: the files it lists, each with a plain relative path, a size and a sha256. */
function checkedManifest(text: string): InstalledFile[] {
    let m: { files?: unknown };
    try {
        m = JSON.parse(text);
    } catch {
        throw new BadEntryError("its manifest.json is not JSON");
    }
    if (!m || !Array.isArray(m.files)) throw new BadEntryError("its manifest.json lists no files");
    const seen = new Set<string>();
    for (const f of m.files as InstalledFile[]) {
        if (!f || !isPlainRelativePath(f.rel)) throw new BadEntryError(`its manifest.json lists ${JSON.stringify(f?.rel)}, not a plain relative path`);
        if (seen.has(f.rel)) throw new BadEntryError(`its manifest.json lists ${f.rel} twice`);
        seen.add(f.rel);
        if (!Number.isSafeInteger(f.size) || f.size < 0 || typeof f.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(f.sha256) || typeof f.executable !== "boolean") {
            throw new BadEntryError(`its manifest.json describes ${f.rel} wrongly (size, sha256, executable)`);
        }
    }
    return m.files as InstalledFile[];
}

/**
 * Unpacks a downloaded install into `work` (a fresh folder): manifest.json
 * and site-packages/. Throws BadEntryError naming what is wrong; `work` may
 * then hold part of it (the caller removes it).
 */
export async function unpackInstall(pack: string, work: string): Promise<ManifestEntry[]> {
    const reader = openZip(pack);
    try {
        checkStructure(reader);
        const byName = new Map(reader.entries.map((e) => [e.name, e]));
        if (byName.size !== reader.entries.length) throw new BadEntryError("it names one file twice");
        const manifestEntry = byName.get(INSTALL_MANIFEST);
        if (!manifestEntry) throw new BadEntryError("it has no manifest.json");
        const manifestBytes = await inflate(reader, manifestEntry, MAX_MANIFEST_BYTES);
        const files = checkedManifest(manifestBytes.toString("utf8"));
        if (reader.entries.length !== files.length + 1) throw new BadEntryError(`it holds ${reader.entries.length - 1} files where its manifest lists ${files.length}`);
        const site = path.join(work, "site-packages");
        fs.mkdirSync(site, { recursive: true, mode: 0o755 });
        const made = new Set<string>([site]);
        // Each file is read from the pack, inflated, checked and written by the deflate pool's workers
        // (deflate-worker.ts `unpacked`): two cores' worth, none of it on this thread, which runs the program.
        const jobs: DeflateJob[] = files.map((f) => {
            const entry = byName.get(`site-packages/${f.rel}`);
            if (!entry) throw new BadEntryError(`its manifest lists ${f.rel}, which it does not hold`);
            if (entry.uncompressedSize !== f.size) throw new BadEntryError(`${entry.name} is not the file its manifest describes (size or sha256 differ)`);
            const at = checkedDataStart(reader, entry);
            const file = path.join(site, f.rel);
            const dir = path.dirname(file);
            if (!made.has(dir)) {
                fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
                made.add(dir);
            }
            const unpack = { pack, name: entry.name, at, packed: entry.compressedSize, method: entry.method as 0 | 8, size: f.size, sha256: f.sha256, crc32: entry.crc32, out: file, executable: f.executable };
            return { unpack, hash: false, level: null };
        });
        const packed: ManifestEntry[] = new Array(jobs.length);
        await DeflatePool.shared().runEach(jobs, (i, r, error) => {
            if (error) throw error instanceof DeflateJobError && error.code === BAD_ENTRY ? new BadEntryError(error.message) : error;
            const u = jobs[i].unpack!;
            packed[i] = { name: u.name, sha256: u.sha256, method: u.method, crc32: u.crc32 >>> 0, size: u.size, compressedSize: u.packed, dataOffset: u.at, ...(r!.secrets?.length ? { secrets: r!.secrets } : {}) };
        });
        fs.writeFileSync(path.join(work, INSTALL_MANIFEST), manifestBytes, { flag: "wx", mode: 0o644 });
        return packed;
    } finally {
        reader.close();
    }
}

/** An entry the build planned: what a downloaded archive must hold, in this order. */
export interface PlannedEntry {
    name: string;
    isDirectory: boolean;
    executable: boolean;
    size: number;
    sha256: string;
}

/**
 * Checks a downloaded archive against the build's plan and returns the
 * manifest this cache keeps beside an archive (as the zip writer makes it).
 * Throws BadEntryError naming the first entry that differs.
 */
export async function verifyArchive(zip: string, planned: readonly PlannedEntry[]): Promise<ManifestEntry[]> {
    const reader = openZip(zip);
    try {
        checkStructure(reader);
        const { entries } = reader;
        if (entries.length !== planned.length) throw new BadEntryError(`it holds ${entries.length} entries where this build has ${planned.length}`);
        const manifest: ManifestEntry[] = new Array(entries.length);
        await forEach(
            entries.map((e, i) => [e, planned[i], i] as const),
            async ([e, p, i]) => {
                if (e.name !== p.name) throw new BadEntryError(`entry ${i + 1} is ${JSON.stringify(e.name)} where this build has ${p.name}`);
                const mode = p.isDirectory ? 0o040755 : p.executable ? 0o100755 : 0o100644;
                if (e.madeByOs !== UNIX_OS || e.unixMode !== mode) throw new BadEntryError(`${e.name} has mode ${(e.unixMode ?? 0).toString(8)} where this build has ${mode.toString(8)}`);
                if (e.uncompressedSize !== p.size) throw new BadEntryError(`${e.name} declares ${e.uncompressedSize} bytes where this build has ${p.size}`);
                const data = await inflate(reader, e, p.size);
                if (!p.isDirectory && sha256(data) !== p.sha256) throw new BadEntryError(`${e.name} is not the file this build has (its sha256 differs)`);
                const secrets = p.isDirectory ? [] : secretsInHead(data.subarray(0, SCAN_FILE_BYTES));
                manifest[i] = {
                    name: e.name,
                    sha256: p.sha256,
                    method: e.method as 0 | 8,
                    crc32: e.crc32,
                    size: e.uncompressedSize,
                    compressedSize: e.compressedSize,
                    dataOffset: reader.dataStart(e),
                    ...(secrets.length ? { secrets } : {}),
                };
            },
        );
        return manifest;
    } finally {
        reader.close();
    }
}

function openZip(file: string): ZipReader {
    try {
        return openZipFile(file);
    } catch (e) {
        throw new BadEntryError(`it is not a readable zip (${(e as Error).message})`);
    }
}

/** What no entry of ours ever has: problems the reader noticed (overlaps, truncation), encryption, data descriptors, other methods. */
function checkStructure(reader: ZipReader): void {
    if (reader.problems.length) throw new BadEntryError(reader.problems[0]);
    for (const e of reader.entries) {
        if ((e.flags & 0x9) !== 0 || (e.method !== 0 && e.method !== 8)) throw new BadEntryError(`${e.name} is encrypted, uses a data descriptor or compression method ${e.method}`);
    }
}

/**
 * An entry's content, after its local header is checked against the central
 * directory (name, method, CRC, sizes) and the content against its declared
 * size and CRC. Never inflates more than `maxBytes`.
 */
async function inflate(reader: ZipReader, e: ZipEntry, maxBytes: number): Promise<Buffer> {
    if (e.uncompressedSize > maxBytes) throw new BadEntryError(`${e.name} declares ${e.uncompressedSize} bytes, more than expected`);
    const start = checkedDataStart(reader, e);
    const raw = reader.readRaw(start, e.compressedSize);
    if (raw.length !== e.compressedSize) throw new BadEntryError(`${e.name}: its data runs past the end of the file (truncated)`);
    let data = raw;
    if (e.method === 8) {
        try {
            data = await inflateRaw(raw, { maxOutputLength: Math.max(1, e.uncompressedSize) });
        } catch (err) {
            throw new BadEntryError(`${e.name}: its compressed data is damaged (${(err as Error).message})`);
        }
    }
    if (data.length !== e.uncompressedSize || zlib.crc32(data) >>> 0 !== e.crc32) throw new BadEntryError(`${e.name}: its data does not match its size and CRC-32`);
    return data;
}

/** Where an entry's data starts, after its local header is checked against the central directory (name, CRC, sizes). */
function checkedDataStart(reader: ZipReader, e: ZipEntry): number {
    let start: number;
    try {
        start = reader.dataStart(e);
    } catch (err) {
        throw new BadEntryError((err as Error).message);
    }
    const header = reader.readRaw(e.localHeaderOffset, 30);
    const zip64 = header.readUInt32LE(18) === 0xffffffff || header.readUInt32LE(22) === 0xffffffff;
    if (header.readUInt32LE(0) !== LOCAL_SIG || header.readUInt32LE(14) !== e.crc32 || (!zip64 && (header.readUInt32LE(18) !== e.compressedSize || header.readUInt32LE(22) !== e.uncompressedSize))) {
        throw new BadEntryError(`${e.name}: its local header and the central directory disagree on its CRC or sizes`);
    }
    return start;
}

function sha256(data: Buffer): string {
    return crypto.createHash("sha256").update(data).digest("hex");
}

/** Runs `fn` on every item, IN_FLIGHT at a time; the first failure stops the rest. */
async function forEach<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    let failed: unknown;
    const lane = async () => {
        while (failed === undefined && next < items.length) {
            const item = items[next++];
            try {
                await fn(item);
            } catch (e) {
                failed ??= e;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, lane));
    if (failed !== undefined) throw failed;
}
