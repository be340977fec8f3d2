// A deterministic zip writer built for speed on the machines that run
// `pulumi up`.
//
// - Every header field is fixed by the entry alone: DOS time 1980-01-01
//   00:00, Unix "made by", mode 0644/0755 (folders 0755), no extra fields,
//   no data descriptors, entries in the order given (the caller sorts).
// - Files are deflated in parallel on libuv's thread pool (zlib's async API),
//   largest first so the long ones do not finish last; the main thread only
//   computes CRCs and assembles headers.
// - Entries whose compressed bytes are already known (same content hash in
//   the previous build) are copied, not recompressed.
// - The sha256 of the archive is computed while it is written.
import * as crypto from "crypto";
import * as fs from "fs";
import * as zlib from "zlib";
import { UserError } from "../errors";

export interface ZipInputEntry {
    /** "/"-separated; folders end with "/". */
    name: string;
    isDirectory: boolean;
    executable: boolean;
    size: number;
    /** Content hash (hex); the key for reusing compressed bytes. */
    sha256: string;
    read?: () => Promise<Buffer>;
}

export interface CompressedData {
    method: 0 | 8;
    crc32: number;
    size: number;
    data: Buffer;
}

/** Where already-compressed bytes can come from. */
export interface ReuseSource {
    lookup(sha256: string, size: number): CompressedData | undefined;
}

/** One entry of a written archive, enough to reuse its bytes later. */
export interface ManifestEntry {
    name: string;
    sha256: string;
    method: 0 | 8;
    crc32: number;
    size: number;
    compressedSize: number;
    /** Offset of the compressed data in the archive. */
    dataOffset: number;
}

export interface WriteResult {
    manifest: ManifestEntry[];
    zippedBytes: number;
    sha256: string;
    compressedEntries: number;
    reusedEntries: number;
}

export interface WriteOptions {
    level: number;
    reuse?: ReuseSource;
    onProgress?: (done: number, total: number) => void;
}

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const DOS_TIME_MIDNIGHT = 0;
const MADE_BY_UNIX_2_0 = (3 << 8) | 20;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const MAX_PARALLEL = 8;
const MAX_IN_FLIGHT_BYTES = 256 * 1024 * 1024;
const U32 = 0xffffffff;

export async function writeZip(target: string, entries: ZipInputEntry[], options: WriteOptions): Promise<WriteResult> {
    const compressed = await compressAll(entries, options);
    return writeArchive(target, entries, compressed);
}

async function compressAll(entries: ZipInputEntry[], options: WriteOptions): Promise<{ data: CompressedData[]; compressedEntries: number; reusedEntries: number }> {
    const data: CompressedData[] = new Array(entries.length);
    const jobs: number[] = [];
    let reusedEntries = 0;
    entries.forEach((e, i) => {
        if (e.isDirectory || e.size === 0) {
            data[i] = { method: 0, crc32: 0, size: 0, data: Buffer.alloc(0) };
            return;
        }
        const hit = options.reuse?.lookup(e.sha256, e.size);
        if (hit) {
            data[i] = hit;
            reusedEntries++;
        } else jobs.push(i);
    });
    jobs.sort((a, b) => entries[b].size - entries[a].size || a - b);

    let next = 0;
    let done = 0;
    let inFlight = 0;
    const waiting: (() => void)[] = [];
    const worker = async () => {
        while (next < jobs.length) {
            const i = jobs[next++];
            const e = entries[i];
            // Bound memory: wait while big files are in flight (one file always proceeds).
            while (inFlight > 0 && inFlight + e.size > MAX_IN_FLIGHT_BYTES) await new Promise<void>((r) => waiting.push(r));
            inFlight += e.size;
            try {
                data[i] = await compressOne(await e.read!(), options.level);
            } finally {
                inFlight -= e.size;
                waiting.splice(0).forEach((r) => r());
            }
            options.onProgress?.(++done, jobs.length);
        }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_PARALLEL, jobs.length) }, worker));
    return { data, compressedEntries: jobs.length, reusedEntries };
}

async function compressOne(raw: Buffer, level: number): Promise<CompressedData> {
    const crc32 = zlib.crc32(raw) >>> 0;
    if (level === 0) return { method: 0, crc32, size: raw.length, data: raw };
    // One output chunk per file: zlib's default 16 KiB chunks cost a main-thread round trip each.
    const deflated = await new Promise<Buffer>((resolve, reject) =>
        zlib.deflateRaw(raw, { level, chunkSize: Math.max(64 * 1024, raw.length + 1024) }, (err, out) => (err ? reject(err) : resolve(out))),
    );
    return deflated.length < raw.length ? { method: 8, crc32, size: raw.length, data: deflated } : { method: 0, crc32, size: raw.length, data: raw };
}

function writeArchive(target: string, entries: ZipInputEntry[], compressed: { data: CompressedData[]; compressedEntries: number; reusedEntries: number }): WriteResult {
    const hash = crypto.createHash("sha256");
    const fd = fs.openSync(target, "w");
    const manifest: ManifestEntry[] = [];
    const central: Buffer[] = [];
    let offset = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const flush = () => {
        if (!batch.length) return;
        let written = 0;
        while (written < batchBytes) {
            const n = fs.writevSync(fd, written === 0 ? batch : remaining(batch, written));
            written += n;
        }
        batch = [];
        batchBytes = 0;
    };
    const emit = (buf: Buffer) => {
        if (!buf.length) return;
        hash.update(buf);
        batch.push(buf);
        batchBytes += buf.length;
        offset += buf.length;
        if (batch.length >= 512 || batchBytes >= 8 * 1024 * 1024) flush();
    };
    try {
        entries.forEach((e, i) => {
            const c = compressed.data[i];
            if (c.size > U32 - 1 || c.data.length > U32 - 1) {
                throw new UserError(`${e.name} is ${c.size} bytes; files of 4 GiB or more cannot go into a Lambda package.`);
            }
            const name = Buffer.from(e.name, "utf8");
            const flags = /^[\x20-\x7e]*$/.test(e.name) ? 0 : 0x800;
            const headerOffset = offset;
            const local = Buffer.alloc(30);
            local.writeUInt32LE(0x04034b50, 0);
            local.writeUInt16LE(20, 4);
            local.writeUInt16LE(flags, 6);
            local.writeUInt16LE(c.method, 8);
            local.writeUInt16LE(DOS_TIME_MIDNIGHT, 10);
            local.writeUInt16LE(DOS_DATE_1980_01_01, 12);
            local.writeUInt32LE(c.crc32, 14);
            local.writeUInt32LE(c.data.length, 18);
            local.writeUInt32LE(c.size, 22);
            local.writeUInt16LE(name.length, 26);
            local.writeUInt16LE(0, 28);
            emit(local);
            emit(name);
            const dataOffset = offset;
            emit(c.data);
            if (!e.isDirectory) {
                manifest.push({ name: e.name, sha256: e.sha256, method: c.method, crc32: c.crc32, size: c.size, compressedSize: c.data.length, dataOffset });
            }
            central.push(centralRecord(e, c, name, flags, headerOffset));
        });
        const cdOffset = offset;
        for (const record of central) emit(record);
        emit(endRecords(entries.length, offset - cdOffset, cdOffset));
        flush();
    } finally {
        fs.closeSync(fd);
    }
    return { manifest, zippedBytes: offset, sha256: hash.digest("hex"), compressedEntries: compressed.compressedEntries, reusedEntries: compressed.reusedEntries };
}

function centralRecord(e: ZipInputEntry, c: CompressedData, name: Buffer, flags: number, headerOffset: number): Buffer {
    const zip64 = headerOffset >= U32;
    const extra = zip64 ? Buffer.alloc(12) : Buffer.alloc(0);
    if (zip64) {
        extra.writeUInt16LE(0x0001, 0);
        extra.writeUInt16LE(8, 2);
        extra.writeBigUInt64LE(BigInt(headerOffset), 4);
    }
    const mode = e.isDirectory ? S_IFDIR | 0o755 : S_IFREG | (e.executable ? 0o755 : 0o644);
    const rec = Buffer.alloc(46);
    rec.writeUInt32LE(0x02014b50, 0);
    rec.writeUInt16LE(MADE_BY_UNIX_2_0, 4);
    rec.writeUInt16LE(zip64 ? 45 : 20, 6);
    rec.writeUInt16LE(flags, 8);
    rec.writeUInt16LE(c.method, 10);
    rec.writeUInt16LE(DOS_TIME_MIDNIGHT, 12);
    rec.writeUInt16LE(DOS_DATE_1980_01_01, 14);
    rec.writeUInt32LE(c.crc32, 16);
    rec.writeUInt32LE(c.data.length, 20);
    rec.writeUInt32LE(c.size, 24);
    rec.writeUInt16LE(name.length, 28);
    rec.writeUInt16LE(extra.length, 30);
    rec.writeUInt16LE(0, 32); // comment
    rec.writeUInt16LE(0, 34); // disk
    rec.writeUInt16LE(0, 36); // internal attributes
    rec.writeUInt32LE(((mode << 16) | (e.isDirectory ? 0x10 : 0)) >>> 0, 38);
    rec.writeUInt32LE(zip64 ? U32 : headerOffset, 42);
    return Buffer.concat([rec, name, extra]);
}

function endRecords(count: number, cdSize: number, cdOffset: number): Buffer {
    const needs64 = count > 0xffff || cdSize >= U32 || cdOffset >= U32;
    const parts: Buffer[] = [];
    if (needs64) {
        const z = Buffer.alloc(56);
        z.writeUInt32LE(0x06064b50, 0);
        z.writeBigUInt64LE(44n, 4);
        z.writeUInt16LE(MADE_BY_UNIX_2_0, 12);
        z.writeUInt16LE(45, 14);
        z.writeUInt32LE(0, 16);
        z.writeUInt32LE(0, 20);
        z.writeBigUInt64LE(BigInt(count), 24);
        z.writeBigUInt64LE(BigInt(count), 32);
        z.writeBigUInt64LE(BigInt(cdSize), 40);
        z.writeBigUInt64LE(BigInt(cdOffset), 48);
        const locator = Buffer.alloc(20);
        locator.writeUInt32LE(0x07064b50, 0);
        locator.writeUInt32LE(0, 4);
        locator.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
        locator.writeUInt32LE(1, 16);
        parts.push(z, locator);
    }
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(needs64 ? 0xffff : count, 8);
    eocd.writeUInt16LE(needs64 ? 0xffff : count, 10);
    eocd.writeUInt32LE(needs64 ? U32 : cdSize, 12);
    eocd.writeUInt32LE(needs64 ? U32 : cdOffset, 16);
    parts.push(eocd);
    return Buffer.concat(parts);
}

function remaining(buffers: Buffer[], skip: number): Buffer[] {
    const out: Buffer[] = [];
    for (const b of buffers) {
        if (skip >= b.length) {
            skip -= b.length;
            continue;
        }
        out.push(skip ? b.subarray(skip) : b);
        skip = 0;
    }
    return out;
}

/** Reuses compressed bytes from a previously written archive and its manifest. */
export function reuseFromArchive(zipBytes: Buffer, manifest: ManifestEntry[]): ReuseSource {
    const bySha = new Map<string, ManifestEntry>();
    for (const m of manifest) bySha.set(m.sha256, m);
    return {
        lookup(sha256, size) {
            const m = bySha.get(sha256);
            if (!m || m.size !== size || m.dataOffset + m.compressedSize > zipBytes.length) return undefined;
            return { method: m.method, crc32: m.crc32, size: m.size, data: zipBytes.subarray(m.dataOffset, m.dataOffset + m.compressedSize) };
        },
    };
}
