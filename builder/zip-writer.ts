// A deterministic zip writer built for speed on the machines that run
// `pulumi up`.
//
// - Every header field is fixed by the entry alone: DOS time 1980-01-01
//   00:00, Unix "made by", mode 0644/0755 (folders 0755), no extra fields,
//   no data descriptors, entries in the order given (the caller sorts).
// - Files are read, checksummed and deflated on the worker pool
//   (deflate-pool.ts), largest first so the long ones do not finish last.
// - Entries whose compressed bytes are already known are not compressed
//   again. Because headers are deterministic, a run of entries unchanged
//   since the previous build is byte-for-byte a range of the previous
//   archive, headers included; such runs are streamed from that file through
//   two small buffers instead of being rebuilt in memory.
// - Compressed bytes wait for the layout in memory up to a budget and in
//   spill files beyond it (spill.ts); ranges copied from files (spill files,
//   a previous archive) are read into two staging buffers and written with
//   the buffers around them, so neither memory nor the number of writes grows
//   with the number of entries.
// - The archive's sha256 is computed on this thread while the thread pool
//   writes.
import * as crypto from "crypto";
import * as fs from "fs";
import * as zlib from "zlib";
import * as path from "path";
import { UserError } from "../shared/errors";
import { removeQuietly, tempPathFor, trackTemp } from "../shared/atomic";
import { DeflateJobError, DeflatePool, DeflateResult, STREAM_THRESHOLD } from "./deflate-pool";
import { readAt, reserveMemory, returnMemory } from "./spill";

/** A file's content is not what was hashed when the archive was planned (edited meanwhile, or a damaged cache). */
export class ChangedFileError extends UserError {
    constructor(readonly file: string) {
        super(`${file} changed while the archive was being built. Build again.`);
    }
}

export interface ZipInputEntry {
    /** "/"-separated; folders end with "/". */
    name: string;
    isDirectory: boolean;
    executable: boolean;
    size: number;
    /** Content hash (hex); the key for reusing compressed bytes. */
    sha256: string;
    /** Where the content is: a file … */
    path?: string;
    /** … or these bytes. */
    data?: Buffer;
}

/** A file whose byte ranges the writer copies: a previous archive, a spill or spool file, a large stored file. */
export interface ByteSource {
    readonly path: string;
    read(buf: Buffer, length: number, position: number): number;
}

/** An entry's compressed bytes: in memory, or at a place in a file (a previous archive, a spill or spool file). */
export interface CompressedData {
    method: 0 | 8;
    crc32: number;
    size: number;
    compressedSize: number;
    data?: Buffer;
    from?: { archive: ByteSource; entry: ManifestEntry };
    /** Compressed by this build (as opposed to reused from an earlier one). */
    fresh?: boolean;
    /** What holds bytes this build compressed (memory budget, spill or spool file): released with discard() once the archive is written. */
    spool?: { discard(): void };
    /** Credentials in the content (judged by the worker that read it, or recorded in the manifest it is reused from). */
    secrets?: string[];
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
    /** Credentials found in the content when it was compressed; absent when none (format 3 on: every entry was judged). */
    secrets?: string[];
}

export interface WriteResult {
    manifest: ManifestEntry[];
    zippedBytes: number;
    sha256: string;
    /** CRC-32 of the whole archive, computed as it was written (the cache's record keeps it). */
    crc32: number;
    /** Entries compressed by this build. */
    compressedEntries: number;
    /** Entries whose compressed bytes came from the previous archive. */
    reusedEntries: number;
}

export interface WriteOptions {
    level: number;
    reuse?: ReuseSource;
    /** The previous build of the same source, whose unchanged runs are copied as they are. */
    previous?: PreviousArchive;
    /** After each entry compressed: how many of the archive's entries are ready, of how many. */
    onProgress?: (done: number, total: number) => void;
}

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const DOS_TIME_MIDNIGHT = 0;
const MADE_BY_UNIX_2_0 = (3 << 8) | 20;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const U32 = 0xffffffff;
const COPY_CHUNK = 1024 * 1024;
const WRITE_BATCH_BYTES = 8 * 1024 * 1024;
/** Buffers up to this size are copied into the staging buffers rather than written on their own. */
const SMALL_SEGMENT = 64 * 1024;

export async function writeZip(target: string, entries: ZipInputEntry[], options: WriteOptions): Promise<WriteResult> {
    const spoolDir = path.dirname(target);
    const created: CompressedData[] = [];
    try {
        const { data, compressedEntries, reusedEntries } = await compressAll(entries, options, spoolDir, created);
        // Nothing more to compress in this build: the workers' memory is better given back before the layout.
        DeflatePool.shared().retireIdle();
        const { manifest, size, sha256, crc32 } = await layOutAndWrite(target, entries, data, options.previous);
        return { manifest, zippedBytes: size, sha256, crc32, compressedEntries, reusedEntries };
    } finally {
        for (const c of created) c.spool?.discard();
    }
}

/** A spool file for a large file's compressed bytes, or undefined when the file is read whole. */
export function spoolFor(size: number, dir: string | undefined): string | undefined {
    if (size < STREAM_THRESHOLD || !dir) return undefined;
    fs.mkdirSync(dir, { recursive: true });
    return trackTemp(tempPathFor(path.join(dir, "spool")));
}

/** Where a file's bytes for the archive are to be kept until it is written: see placesFor. */
export interface Place {
    /** The pool's spillTo, or undefined to get them in memory. */
    spillTo?: string;
    /** Gives back the memory reserved for them (once; does nothing after the first call). */
    release(): void;
    /** The same as release: a place is what holds the bytes until the archive is written (CompressedData.spool). */
    discard(): void;
}

const noop = () => {};
/** Nothing held: no budget (no `dir`), or a streamed file's own spool file. */
const NOTHING_HELD: Place = { release: noop, discard: noop };

/** Bytes held in memory against the budget until released; one object per file (closures were three). */
class HeldInMemory implements Place {
    private held = true;
    constructor(private readonly size: number) {}

    release(): void {
        if (this.held) returnMemory(this.size);
        this.held = false;
    }

    discard(): void {
        this.release();
    }
}

/**
 * Where each of these files' compressed bytes wait for the archive: in memory
 * while the process-wide budget lasts (smallest files first, spill.ts), else
 * in a spill file in `dir` (no `dir`: in memory). Files of STREAM_THRESHOLD
 * or more always go to spool files of their own.
 */
export function placesFor(sizes: number[], dir: string | undefined): Place[] {
    const inMemory = dir ? reserveMemory(sizes.map((s) => (s < STREAM_THRESHOLD ? s : 0))) : sizes.map(() => false);
    const spilled: Place | undefined = dir === undefined ? undefined : { spillTo: dir, release: noop, discard: noop };
    return sizes.map((size, i) => {
        if (!dir || size >= STREAM_THRESHOLD) return NOTHING_HELD;
        if (!inMemory[i]) return spilled!;
        return new HeldInMemory(size);
    });
}

/**
 * What the pool made of a file. A streamed file's bytes are not in memory: they are
 * in its spool file (compressed) or in the file itself (stored); a spilled one's are
 * in a spill file.
 */
export function compressedData(r: DeflateResult, file: string | undefined, spool: string | undefined, fresh?: boolean, place?: Place): CompressedData | undefined {
    const c = placeOf(r, file, spool, fresh, place);
    if (c && r.secrets) c.secrets = r.secrets;
    return c;
}

/** Where a job's compressed bytes are (compressedData without what the worker found in them). */
function placeOf(r: DeflateResult, file: string | undefined, spool: string | undefined, fresh?: boolean, place?: Place): CompressedData | undefined {
    const at = (p: string, compressedSize: number): NonNullable<CompressedData["from"]> & { archive: PreviousArchive } => {
        const entry: ManifestEntry = { name: p, sha256: r.sha256 ?? "", method: r.method, crc32: r.crc32, size: r.size, compressedSize, dataOffset: 0 };
        return { archive: new PreviousArchive(p, [entry]), entry };
    };
    if (r.spooledBytes !== undefined && spool) {
        place?.release();
        const from = at(spool, r.spooledBytes);
        return {
            method: 8,
            crc32: r.crc32,
            size: r.size,
            compressedSize: r.spooledBytes,
            from,
            fresh,
            spool: {
                discard: () => {
                    from.archive.close();
                    removeQuietly(spool);
                },
            },
        };
    }
    if (spool) removeQuietly(spool);
    if (r.spilled) {
        place?.release();
        const { file: spill, at: dataOffset, bytes } = r.spilled;
        const entry: ManifestEntry = { name: spill.path, sha256: r.sha256 ?? "", method: r.method, crc32: r.crc32, size: r.size, compressedSize: bytes, dataOffset };
        return { method: r.method, crc32: r.crc32, size: r.size, compressedSize: bytes, from: { archive: spill, entry }, fresh, spool: { discard: r.spilled.release } };
    }
    if (r.data) return { method: r.method, crc32: r.crc32, size: r.size, compressedSize: r.data.length, data: r.data, fresh, spool: place };
    place?.release();
    if (r.method === 0 && file && r.size >= STREAM_THRESHOLD) {
        const from = at(file, r.size);
        return { method: 0, crc32: r.crc32, size: r.size, compressedSize: r.size, from, fresh, spool: { discard: () => from.archive.close() } };
    }
    return undefined;
}

async function compressAll(entries: ZipInputEntry[], options: WriteOptions, spoolDir: string, created: CompressedData[]) {
    const data: CompressedData[] = new Array(entries.length);
    const jobs: number[] = [];
    let compressedEntries = 0;
    let reusedEntries = 0;
    entries.forEach((e, i) => {
        if (e.isDirectory || e.size === 0) {
            data[i] = { method: 0, crc32: 0, size: 0, compressedSize: 0, data: Buffer.alloc(0) };
            return;
        }
        const hit = options.reuse?.lookup(e.sha256, e.size);
        if (!hit) jobs.push(i);
        else {
            data[i] = hit;
            if (hit.fresh) compressedEntries++;
            else reusedEntries++;
        }
    });
    jobs.sort((a, b) => entries[b].size - entries[a].size || a - b);
    const places = placesFor(
        jobs.map((i) => entries[i].size),
        spoolDir,
    );
    // Progress counts every entry of the archive (as the build's summary does): those needing no compression are done.
    let done = entries.length - jobs.length;
    const spools = jobs.map((i) => (entries[i].path ? spoolFor(entries[i].size, spoolDir) : undefined));
    const deflateJobs = jobs.map((i, j) => {
        const e = entries[i];
        // Hashed again while compressed (it costs ~2% of a cold build): the bytes written are the ones the key names.
        return { path: e.path, data: e.data, hash: e.path !== undefined, level: options.level, spool: spools[j], size: e.size, spillTo: places[j].spillTo };
    });
    await DeflatePool.shared().runEach(deflateJobs, (j, r, err) => {
        const i = jobs[j];
        const e = entries[i];
        const spool = spools[j];
        if (err || !r) {
            places[j].release();
            if (spool) removeQuietly(spool);
            if (err instanceof DeflateJobError && err.onWriteSide) throw err; // the build cache's failure (index.ts says so)
            throw new UserError(`${e.path ?? e.name} changed or disappeared while the archive was being built (${err?.message}). Build again.`);
        }
        const c = compressedData(r, e.path, spool, false, places[j]);
        if (c) created.push(c);
        if (e.path !== undefined && r.sha256 !== e.sha256) throw new ChangedFileError(e.path);
        if (!c) throw new UserError(`${e.path ?? e.name} changed while the archive was being built. Build again.`);
        data[i] = c;
        options.onProgress?.(++done, entries.length);
    });
    return { data, compressedEntries: compressedEntries + jobs.length, reusedEntries };
}

/**
 * Decides every byte's place and writes it, in one pass: new headers straight
 * into the staging buffers (ArchiveOutput), entries' data from memory or as
 * ranges of files (a spill file, a spool, the previous archive: a run of
 * entries unchanged since the previous build is one range, headers
 * included), the central directory into one buffer written last. No object
 * per header or piece: on 20,000 entries a buffer per local header and a
 * list of pieces (the layout before this) all outlived young-generation
 * collections, and V8 grew the young generation for them.
 */
async function layOutAndWrite(target: string, entries: ZipInputEntry[], data: CompressedData[], previous?: PreviousArchive): Promise<{ manifest: ManifestEntry[]; size: number; sha256: string; crc32: number }> {
    const manifest: ManifestEntry[] = [];
    // Room for every central record with its name and a zip64 extra field (12 bytes), trimmed at the end.
    const directory = Buffer.allocUnsafe(entries.reduce((n, e) => n + 46 + Buffer.byteLength(e.name, "utf8") + 12, 0));
    let cdBytes = 0;
    let offset = 0;
    const out = await ArchiveOutput.open(target);
    try {
        // A range of a file not yet copied: the next contiguous range of the same file joins it. These and the
        // output's header() and bytes() give a promise only when there is something to wait for: an await per
        // entry and piece was ~60,000 promises and turns on 20,000 small files.
        let run: { archive: ByteSource; start: number; end: number } | undefined;
        const range = (archive: ByteSource, start: number, end: number): Promise<void> | undefined => {
            offset += end - start;
            if (run && run.archive === archive && run.end === start) {
                run.end = end;
                return undefined;
            }
            const before = run;
            run = { archive, start, end };
            return before && out.copy(before.archive, before.start, before.end);
        };
        const endRun = (): Promise<void> | undefined => {
            const before = run;
            run = undefined;
            return before && out.copy(before.archive, before.start, before.end);
        };
        for (let i = 0; i < entries.length; i++) {
            const e = entries[i];
            const c = data[i];
            if (c.size > U32 - 1 || c.compressedSize > U32 - 1) {
                throw new UserError(`${e.name} is ${c.size} bytes; files of 4 GiB or more cannot go into a Lambda package.`);
            }
            const nameLength = Buffer.byteLength(e.name, "utf8");
            const flags = /^[\x20-\x7e]*$/.test(e.name) ? 0 : 0x800;
            const headerOffset = offset;
            const same = previous?.unchanged(e, c);
            if (same) {
                // Same name, same bytes: the previous archive's header is the one we would write.
                const copied = range(previous!, same.dataOffset - 30 - nameLength, same.dataOffset + same.compressedSize);
                if (copied) await copied;
            } else {
                const copied = endRun();
                if (copied) await copied;
                const staged = out.header(c, nameLength, flags, e.name);
                if (staged) await staged;
                offset += 30 + nameLength;
                if (c.from) {
                    const joined = range(c.from.archive, c.from.entry.dataOffset, c.from.entry.dataOffset + c.compressedSize);
                    if (joined) await joined;
                } else if (c.data!.length) {
                    const written = out.bytes(c.data!);
                    if (written) await written;
                    offset += c.data!.length;
                }
            }
            const entry: ManifestEntry = { name: e.name, sha256: e.sha256, method: c.method, crc32: c.crc32, size: c.size, compressedSize: c.compressedSize, dataOffset: headerOffset + 30 + nameLength };
            if (c.secrets?.length) entry.secrets = c.secrets;
            manifest.push(entry);
            cdBytes = centralRecord(e, c, nameLength, flags, headerOffset, directory, cdBytes);
        }
        await endRun();
        const cdOffset = offset;
        await out.bytes(directory.subarray(0, cdBytes));
        const end = endRecords(entries.length, cdBytes, cdOffset);
        await out.bytes(end);
        offset += cdBytes + end.length;
        const { sha256, crc32 } = await out.finish();
        return { manifest, size: offset, sha256, crc32 };
    } finally {
        await out.close();
    }
}

/**
 * The archive's file, written in order on the thread pool and hashed here
 * meanwhile. Small pieces (headers, small entries' data) are copied into two
 * staging buffers in turn, as are ranges of files, and each run of staged
 * bytes is hashed, checksummed and written as one: on 20,000 small entries,
 * a sha256 update and a CRC-32 call per header and per entry's data had cost
 * ~120 ms of this thread (Node's `zlib.crc32` has a few µs of overhead per
 * call). Big buffers are written as they are. A staging buffer is refilled
 * only once the write that used it has finished.
 */
class ArchiveOutput {
    private readonly hash = crypto.createHash("sha256");
    private crc = 0;
    private readonly stages = [Buffer.allocUnsafeSlow(COPY_CHUNK), Buffer.allocUnsafeSlow(COPY_CHUNK)];
    private readonly lastUse: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
    private stage = 0;
    private fill = 0;
    /** Where the staged bytes not yet in the batch start. */
    private staged = 0;
    private pendingWrite: Promise<void> = Promise.resolve();
    private position = 0;
    private batch: Buffer[] = [];
    private batchBytes = 0;

    private constructor(private readonly file: fs.promises.FileHandle) {}

    static async open(target: string): Promise<ArchiveOutput> {
        return new ArchiveOutput(await fs.promises.open(target, "w"));
    }

    /** A local file header (APPNOTE 4.3.7) with its name; a promise only when it waits for a staging buffer. */
    header(c: CompressedData, nameLength: number, flags: number, name: string): Promise<void> | undefined {
        if (!this.fits(30 + nameLength)) return this.nextStage().then(() => this.stageHeader(c, nameLength, flags, name));
        this.stageHeader(c, nameLength, flags, name);
        return undefined;
    }

    private stageHeader(c: CompressedData, nameLength: number, flags: number, name: string): void {
        const at = localHeader(c, nameLength, flags, this.stages[this.stage], this.fill);
        this.fill = at + this.stages[this.stage].write(name, at, "utf8");
    }

    /** Bytes to write next; a promise only when they wait for a staging buffer. */
    bytes(b: Buffer): Promise<void> | undefined {
        if (b.length > SMALL_SEGMENT) {
            this.closeStaged();
            this.add(b);
            return undefined;
        }
        if (!this.fits(b.length)) return this.nextStage().then(() => this.stageBytes(b));
        this.stageBytes(b);
        return undefined;
    }

    private stageBytes(b: Buffer): void {
        b.copy(this.stages[this.stage], this.fill);
        this.fill += b.length;
    }

    async copy(archive: ByteSource, start: number, end: number): Promise<void> {
        for (let p = start; p < end; ) {
            const n = Math.min(COPY_CHUNK, end - p);
            if (!this.fits(n)) await this.nextStage();
            if (archive.read(this.stages[this.stage].subarray(this.fill, this.fill + n), n, p) !== n) throw new UserError(`${archive.path} became shorter while the archive was being built. Build again.`);
            this.fill += n;
            p += n;
        }
    }

    /** Writes what is left; the archive's sha256 and CRC-32. */
    async finish(): Promise<{ sha256: string; crc32: number }> {
        this.closeStaged();
        this.flush();
        await this.pendingWrite;
        return { sha256: this.hash.digest("hex"), crc32: this.crc >>> 0 };
    }

    async close(): Promise<void> {
        await this.pendingWrite.catch(() => {});
        await this.file.close();
    }

    private fits(n: number): boolean {
        return this.fill + n <= COPY_CHUNK;
    }

    private async nextStage(): Promise<void> {
        this.closeStaged();
        this.flush();
        this.stage ^= 1;
        this.fill = 0;
        this.staged = 0;
        await this.lastUse[this.stage];
    }

    /** The staged bytes not yet in the batch join it, as one buffer. */
    private closeStaged(): void {
        if (this.fill > this.staged) this.add(this.stages[this.stage].subarray(this.staged, this.fill));
        this.staged = this.fill;
    }

    private add(b: Buffer): void {
        this.batch.push(b);
        this.batchBytes += b.length;
        if (this.batch.length >= 1024 || this.batchBytes >= WRITE_BATCH_BYTES) this.flush();
    }

    private flush(): void {
        if (!this.batch.length) return;
        const [buffers, bytes, at] = [this.batch, this.batchBytes, this.position];
        this.position += bytes;
        const file = this.file;
        this.pendingWrite = this.pendingWrite.then(() => writeFully(file, buffers, bytes, at));
        for (const b of buffers) {
            this.hash.update(b);
            this.crc = zlib.crc32(b, this.crc);
        }
        this.lastUse[this.stage] = this.pendingWrite;
        this.batch = [];
        this.batchBytes = 0;
    }
}

async function writeFully(file: fs.promises.FileHandle, batch: Buffer[], bytes: number, position: number): Promise<void> {
    let done = 0;
    while (done < bytes) {
        const { bytesWritten } = await file.writev(done === 0 ? batch : remaining(batch, done), position + done);
        done += bytesWritten;
    }
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

/** Writes a record of little-endian fields, each named as in APPNOTE.TXT (PKWARE's zip specification), into `out` from `at`. */
class Fields {
    constructor(
        private readonly out: Buffer,
        private at: number,
    ) {}

    /** Where the record ends. */
    get end(): number {
        return this.at;
    }

    u16(_name: string, value: number): this {
        this.at = this.out.writeUInt16LE(value, this.at);
        return this;
    }

    u32(_name: string, value: number): this {
        this.at = this.out.writeUInt32LE(value, this.at);
        return this;
    }

    u64(_name: string, value: number | bigint): this {
        this.at = this.out.writeBigUInt64LE(BigInt(value), this.at);
        return this;
    }
}

/** 30 bytes: local file header (APPNOTE 4.3.7) at `at` in `out`; returns where the name goes. */
function localHeader(c: CompressedData, nameLength: number, flags: number, out: Buffer, at: number): number {
    return new Fields(out, at)
        .u32("local file header signature", 0x04034b50)
        .u16("version needed to extract", 20)
        .u16("general purpose bit flag", flags)
        .u16("compression method", c.method)
        .u16("last mod file time", DOS_TIME_MIDNIGHT)
        .u16("last mod file date", DOS_DATE_1980_01_01)
        .u32("crc-32", c.crc32)
        .u32("compressed size", c.compressedSize)
        .u32("uncompressed size", c.size)
        .u16("file name length", nameLength)
        .u16("extra field length", 0).end;
}

/**
 * Central directory file header (APPNOTE 4.3.12) with its name, and a zip64
 * extra field when the local header lies beyond 4 GiB, written into `out` at
 * `at`; returns where it ends.
 */
function centralRecord(e: ZipInputEntry, c: CompressedData, nameLength: number, flags: number, headerOffset: number, out: Buffer, at: number): number {
    const zip64 = headerOffset >= U32;
    const mode = e.isDirectory ? S_IFDIR | 0o755 : S_IFREG | (e.executable ? 0o755 : 0o644);
    const name = new Fields(out, at)
        .u32("central file header signature", 0x02014b50)
        .u16("version made by", MADE_BY_UNIX_2_0)
        .u16("version needed to extract", zip64 ? 45 : 20)
        .u16("general purpose bit flag", flags)
        .u16("compression method", c.method)
        .u16("last mod file time", DOS_TIME_MIDNIGHT)
        .u16("last mod file date", DOS_DATE_1980_01_01)
        .u32("crc-32", c.crc32)
        .u32("compressed size", c.compressedSize)
        .u32("uncompressed size", c.size)
        .u16("file name length", nameLength)
        .u16("extra field length", zip64 ? 12 : 0)
        .u16("file comment length", 0)
        .u16("disk number start", 0)
        .u16("internal file attributes", 0)
        // Unix mode in the high 16 bits (made by Unix); MS-DOS directory bit in the low ones.
        .u32("external file attributes", ((mode << 16) | (e.isDirectory ? 0x10 : 0)) >>> 0)
        .u32("relative offset of local header", zip64 ? U32 : headerOffset).end;
    const extra = name + out.write(e.name, name, "utf8");
    if (!zip64) return extra;
    return new Fields(out, extra).u16("zip64 extended information extra field tag", 0x0001).u16("size of this extra field", 8).u64("relative header offset", headerOffset).end;
}

/** End of central directory record (APPNOTE 4.3.16), preceded by the zip64 end record and locator when needed. */
function endRecords(count: number, cdSize: number, cdOffset: number): Buffer {
    const needs64 = count > 0xffff || cdSize >= U32 || cdOffset >= U32;
    const out = Buffer.alloc((needs64 ? 56 + 20 : 0) + 22);
    let at = 0;
    if (needs64) {
        at = new Fields(out, at)
            .u32("zip64 end of central dir signature", 0x06064b50)
            .u64("size of zip64 end of central directory record", 44)
            .u16("version made by", MADE_BY_UNIX_2_0)
            .u16("version needed to extract", 45)
            .u32("number of this disk", 0)
            .u32("number of the disk with the start of the central directory", 0)
            .u64("total number of entries in the central directory on this disk", count)
            .u64("total number of entries in the central directory", count)
            .u64("size of the central directory", cdSize)
            .u64("offset of start of central directory", cdOffset)
            .u32("zip64 end of central dir locator signature", 0x07064b50)
            .u32("number of the disk with the start of the zip64 end of central directory", 0)
            .u64("relative offset of the zip64 end of central directory record", cdOffset + cdSize)
            .u32("total number of disks", 1).end;
    }
    new Fields(out, at)
        .u32("end of central dir signature", 0x06054b50)
        .u16("number of this disk", 0)
        .u16("number of the disk with the start of the central directory", 0)
        .u16("total number of entries in the central directory on this disk", needs64 ? 0xffff : count)
        .u16("total number of entries in the central directory", needs64 ? 0xffff : count)
        .u32("size of the central directory", needs64 ? U32 : cdSize)
        .u32("offset of start of central directory", needs64 ? U32 : cdOffset)
        .u16(".ZIP file comment length", 0);
    return out;
}

/** A finished archive whose compressed entries can be copied into a new one. */
export class PreviousArchive implements ReuseSource {
    private readonly bySha = new Map<string, ManifestEntry>();
    private readonly byName = new Map<string, ManifestEntry>();
    private fd: number | undefined;

    constructor(
        readonly path: string,
        manifest: ManifestEntry[],
    ) {
        for (const m of manifest) {
            if (m.size > 0) this.bySha.set(m.sha256, m);
            this.byName.set(m.name, m);
        }
    }

    /** The previous archive's record of this entry if its local header and data are what we would write now. */
    unchanged(e: ZipInputEntry, c: CompressedData): ManifestEntry | undefined {
        const m = this.byName.get(e.name);
        if (!m || m.size !== c.size || m.crc32 !== c.crc32 || m.method !== c.method || m.compressedSize !== c.compressedSize) return undefined;
        // Same content, and the compressor is deterministic: the bytes stored there are the ones we would write.
        return c.size === 0 || m.sha256 === e.sha256 ? m : undefined;
    }

    lookup(sha256: string, size: number): CompressedData | undefined {
        const m = this.bySha.get(sha256);
        if (!m || m.size !== size) return undefined;
        return { method: m.method, crc32: m.crc32, size: m.size, compressedSize: m.compressedSize, from: { archive: this, entry: m }, ...(m.secrets ? { secrets: m.secrets } : {}) };
    }

    read(buf: Buffer, length: number, position: number): number {
        this.fd ??= fs.openSync(this.path, "r");
        return readAt(this.fd, buf, length, position);
    }

    close(): void {
        if (this.fd !== undefined) fs.closeSync(this.fd);
        this.fd = undefined;
    }
}

/** Tries each source in turn. */
export function reuseFrom(...sources: (ReuseSource | undefined)[]): ReuseSource {
    return {
        lookup(sha256, size) {
            for (const s of sources) {
                const hit = s?.lookup(sha256, size);
                if (hit) return hit;
            }
            return undefined;
        },
    };
}

/** Bytes compressed earlier in this build (while hashing), by sha256. */
export function reuseFromMap(bySha: Map<string, CompressedData>): ReuseSource {
    return {
        lookup(sha256, size) {
            const hit = bySha.get(sha256);
            return hit && hit.size === size ? hit : undefined;
        },
    };
}
