// The code each thread of the deflate pool runs (deflate-pool.ts starts it
// from this file: compiled dist/…/deflate-worker.js, or this .ts under
// ts-node). One message carries a batch of jobs — thousands of small files
// would otherwise cost a message round trip each — and one message answers
// them all, the compressed buffers transferred rather than copied.
//
// Each file is read once: sha256 (the cache key), CRC-32 (the zip header)
// and raw deflate by libdeflate (the zip data) are computed from the same
// bytes. Every libdeflate stream is inflated again and its length and CRC
// compared before it is accepted (builder/libdeflate), so a fault in the
// WASM wrapper cannot corrupt an archive.
//
// Files of STREAM_THRESHOLD bytes or more are never held whole: they are read
// in 4 MiB chunks straight into libdeflate's input area, and each chunk but
// the last is deflated so that the next one continues its stream (no final
// block, ending byte-aligned with an empty stored block, as pigz joins zlib's
// chunks: builder/libdeflate/chunk-mode.patch), into a spool file. The bytes
// depend on libdeflate alone, so they are the same on every machine, and a
// worker's WebAssembly memory stays at about a chunk in and a chunk out.
//
// Memory: a smaller file is read straight into the WebAssembly memory that
// libdeflate compresses from, checked there (libdeflate's decompressor), and
// when the job says so its output is appended from there to a spill file
// (spill.ts) rather than copied into a Buffer and sent. Every Buffer Node's
// zlib API returns would be garbage until the next collection, and that
// garbage (an inflated copy of every file) kept this thread's glibc arena at
// ~55 MB on the benchmark corpus.
import * as crypto from "crypto";
import * as fs from "fs";
import { parentPort, workerData } from "worker_threads";
import * as zlib from "zlib";
import { Libdeflate } from "./libdeflate";
import { secretsInHead } from "../policies/inspect/secrets";

/** One file of an install's pack from the remote cache (remote/entries.ts): read from the pack, inflated, checked and written. */
export interface UnpackJob {
    /** The pack, and the entry's name in it (for messages). */
    pack: string;
    name: string;
    /** Where the entry's data starts in the pack (its local header checked), and how many bytes it has there. */
    at: number;
    packed: number;
    method: 0 | 8;
    /** What the data must be: its size and sha256 (the manifest's), its CRC-32 (the central directory's). */
    size: number;
    sha256: string;
    crc32: number;
    /** The file to create (never over anything: O_EXCL), and whether it is executable (0755, else 0644). */
    out: string;
    executable: boolean;
}

/** The error code of an unpack job whose data is not what its pack and manifest say (a bad remote entry). */
export const BAD_ENTRY = "EBADENTRY";

export interface WorkerJob {
    id: number;
    /** A file of a pack to check and write instead of a file to hash and compress. */
    unpack?: UnpackJob;
    /** Read the content from this file … */
    path?: string;
    /** … or take it from here. */
    data?: Uint8Array;
    hash: boolean;
    /** Deflate level 1-12, 0 to store, or null for no output at all (hashing only). */
    level: number | null;
    /** A large file (STREAM_THRESHOLD or more): read in chunks … */
    stream: boolean;
    /** … its compressed bytes written here (none: hashed only). */
    spool?: string;
    /** A smaller file: append its bytes for the archive (compressed or stored) to this file instead of returning them. */
    spill?: string;
    /** Jobs of one caller's call share this number: only their small outputs share a buffer (BatchOutputs). */
    group?: number;
}

export interface WorkerResult {
    id: number;
    sha256?: string;
    crc32: number;
    size: number;
    method: 0 | 8;
    data?: Uint8Array;
    spooledBytes?: number;
    /** Where the bytes of a job with `spill` were appended. */
    spilled?: { at: number; bytes: number };
    /** Credentials in the file's first bytes (policies/inspect/secrets.ts), for the archive's checks; only when found. */
    secrets?: string[];
    error?: { message: string; code?: string; path?: string };
}

/** The pool marks its threads with this, so that loading this module anywhere else does nothing. */
export const DEFLATE_WORKER = "lambda-python deflate worker";

/** Files this big or bigger are read and deflated in chunks instead of whole (see the module header). */
export const STREAM_THRESHOLD = 8 * 1024 * 1024;
const CHUNK = 4 * 1024 * 1024;

function streamed(job: WorkerJob & { path: string }, lib: Libdeflate): Omit<WorkerResult, "id"> {
    const fd = fs.openSync(job.path, "r");
    const hash = job.hash ? crypto.createHash("sha256") : undefined;
    const level = job.level ?? 0;
    const compress = level > 0 && job.spool !== undefined;
    let out: number | undefined;
    let crc32 = 0;
    let size = 0;
    let packed = 0;
    let secrets: string[] = [];
    const put = (b: Uint8Array) => {
        writeAt(out!, b, packed);
        packed += b.length;
    };
    try {
        out = compress ? fs.openSync(job.spool!, "w") : undefined;
        const total = fs.fstatSync(fd).size;
        while (size < total) {
            // Each chunk straight into libdeflate's input area: its memory stays at one chunk in, one out.
            const want = Math.min(CHUNK, total - size);
            const chunk = lib.inputArea(want);
            let n = 0;
            while (n < want) {
                const r = fs.readSync(fd, chunk, n, want - n, size + n);
                if (r === 0) throw new Error(`${job.path} changed while it was being read`);
                n += r;
            }
            hash?.update(chunk);
            if (size === 0 && job.level !== null) secrets = secretsInHead(chunk); // the first megabyte, as for any file
            const chunkCrc = zlib.crc32(chunk) >>> 0;
            crc32 = zlib.crc32(chunk, crc32);
            size += n;
            // The last chunk ends the stream; the others join it (no final block, byte-aligned).
            if (compress) put(size < total ? lib.deflateChunk(n, level, chunkCrc) : lib.deflateInput(n, level, chunkCrc));
        }
        // Longer than its size a moment ago: it is being written.
        if (fs.readSync(fd, Buffer.alloc(1), 0, 1, size) !== 0) throw new Error(`${job.path} changed while it was being read`);
    } finally {
        fs.closeSync(fd);
        if (out !== undefined) fs.closeSync(out);
    }
    crc32 >>>= 0;
    const sha256 = hash?.digest("hex");
    // Not smaller: stored, read from the file itself when the archive is written.
    const found = secrets.length ? { secrets } : {};
    if (!compress || packed >= size) {
        if (job.spool !== undefined) fs.rmSync(job.spool, { force: true });
        return { sha256, crc32, size, method: 0, ...found };
    }
    return { sha256, crc32, size, method: 8, spooledBytes: packed, ...found };
}

/** Where a batch's small spilled outputs wait to be written in one go (one per thread, reused by every batch: no garbage). */
const stage = Buffer.allocUnsafeSlow(256 * 1024);

/**
 * What a batch appends to spill files (only this thread appends to its files).
 * Small outputs are gathered in `stage` and written together — a write and a
 * stat per small file cost more than compressing it; a big one is written
 * straight from libdeflate's memory, never copied.
 */
export class SpillAppends {
    private readonly files = new Map<string, { fd: number; end: number }>();
    /** The file whose bytes wait in `stage`: where they go, and how many. */
    private staged: { fd: number; at: number; bytes: number } | undefined;

    /** Appends `bytes` (now, or when the stage is written) to `file`; returns where they start. */
    add(file: string, bytes: Uint8Array): number {
        let f = this.files.get(file);
        if (!f) {
            const fd = fs.openSync(file, "r+");
            f = { fd, end: 0 };
            this.files.set(file, f);
            f.end = fs.fstatSync(fd).size;
        }
        const at = f.end;
        f.end += bytes.length;
        const s = this.staged;
        if (s && (s.fd !== f.fd || s.bytes + bytes.length > stage.length || bytes.length > stage.length / 4)) this.flush();
        if (bytes.length > stage.length / 4) writeAt(f.fd, bytes, at);
        else {
            this.staged ??= { fd: f.fd, at, bytes: 0 };
            stage.set(bytes, this.staged.bytes);
            this.staged.bytes += bytes.length;
        }
        return at;
    }

    /** Writes what waits and closes the files; throws if a file cannot take the bytes (a full disk). */
    close(): void {
        try {
            this.flush();
        } finally {
            for (const f of this.files.values()) fs.closeSync(f.fd);
            this.files.clear();
            this.staged = undefined;
        }
    }

    private flush(): void {
        const s = this.staged;
        this.staged = undefined;
        if (s) writeAt(s.fd, stage.subarray(0, s.bytes), s.at);
    }
}

function writeAt(fd: number, bytes: Uint8Array, position: number): void {
    for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** A file read, hashed and compressed whole (also run on the main thread for a little work: deflate-pool.ts). */
export function whole(job: WorkerJob, lib: Libdeflate, spills?: SpillAppends, outputs?: BatchOutputs): Omit<WorkerResult, "id"> {
    const size = job.path !== undefined ? readIntoInput(lib, job.path) : copyIntoInput(lib, job.data!);
    const raw = lib.inputArea(size);
    const sha256 = job.hash ? crypto.hash("sha256", raw) : undefined;
    const crc32 = zlib.crc32(raw) >>> 0;
    const result: Omit<WorkerResult, "id"> = { sha256, crc32, size, method: 0 };
    if (job.level === null) return result;
    // Judged here, where the bytes already are: the archive's read-back need not read every file again (secrets.ts).
    const secrets = secretsInHead(raw);
    if (secrets.length) result.secrets = secrets;
    let bytes: Uint8Array | undefined;
    if (job.level > 0 && size > 0) {
        const packed = lib.deflateInput(size, job.level, crc32); // checked against the length and CRC before it returns
        if (packed.length < size) {
            result.method = 8;
            bytes = packed;
        }
    }
    // Stored: the input itself (a new view: the memory may have grown while compressing).
    bytes ??= lib.inputArea(size);
    if (job.spill !== undefined && spills) result.spilled = { at: spills.add(job.spill, bytes), bytes: bytes.length };
    // Gathered with the batch's other small outputs into one buffer (BatchOutputs) …
    else if (outputs && bytes.length <= PACKED_OUTPUT) outputs.add(job.group ?? -1, result, bytes);
    // … or a copy of its own (transferable), out of the memory that the next file reuses.
    else result.data = bytes.slice();
    return result;
}

/** Outputs up to this size share one buffer per batch. */
const PACKED_OUTPUT = 64 * 1024;

/**
 * The small outputs of one batch, handed back as views of one buffer per
 * group (the jobs of one `runEach` call, so of one build): on 20,000 small
 * files, a buffer of its own per file was 20,000 allocations here, 20,000
 * transferred buffers for the main thread to take in and its garbage
 * collector to track; packed, ~600. A buffer lives until the last of its
 * entries is released; all belong to the same build, which releases them
 * together once its archive is written, so the process-wide memory budget
 * (spill.ts) still holds.
 */
export class BatchOutputs {
    /** Reused by every batch of this thread; grows to the largest batch's outputs. */
    private static stage = Buffer.allocUnsafeSlow(256 * 1024);
    private readonly waiting: { group: number; result: Omit<WorkerResult, "id">; at: number; length: number }[] = [];
    private bytes = 0;

    add(group: number, result: Omit<WorkerResult, "id">, data: Uint8Array): void {
        if (this.bytes + data.length > BatchOutputs.stage.length) {
            const grown = Buffer.allocUnsafeSlow(Math.max(BatchOutputs.stage.length * 2, this.bytes + data.length));
            BatchOutputs.stage.copy(grown, 0, 0, this.bytes);
            BatchOutputs.stage = grown;
        }
        BatchOutputs.stage.set(data, this.bytes);
        this.waiting.push({ group, result, at: this.bytes, length: data.length });
        this.bytes += data.length;
    }

    /** Gives every waiting result its view; returns the buffers to transfer, one per group. */
    finish(): ArrayBuffer[] {
        const byGroup = new Map<number, typeof this.waiting>();
        for (const w of this.waiting) {
            const list = byGroup.get(w.group);
            if (list) list.push(w);
            else byGroup.set(w.group, [w]);
        }
        const out: ArrayBuffer[] = [];
        for (const list of byGroup.values()) {
            const all = new Uint8Array(list.reduce((n, w) => n + w.length, 0));
            let at = 0;
            for (const w of list) {
                all.set(BatchOutputs.stage.subarray(w.at, w.at + w.length), at);
                w.result.data = all.subarray(at, at + w.length);
                at += w.length;
            }
            out.push(all.buffer);
        }
        this.waiting.length = 0;
        this.bytes = 0;
        return out;
    }
}

/**
 * One file of a pack: its data read from the pack straight into libdeflate's
 * memory, inflated there (or taken as stored), checked against its size,
 * CRC-32 and sha256, judged for credentials like any file, and written to a
 * new file. Throws an error with code BAD_ENTRY naming what is wrong.
 */
export function unpacked(u: UnpackJob, lib: Libdeflate): Omit<WorkerResult, "id"> {
    const bad = (message: string) => Object.assign(new Error(message), { code: BAD_ENTRY });
    const stored = u.method === 0;
    // What a pack declares may not fit this thread's WebAssembly memory (4 GB at most): a bad entry, not a failed build.
    const room = <T>(make: () => T): T => {
        try {
            return make();
        } catch (e) {
            throw bad(`${u.name}: its ${u.size} bytes cannot be unpacked here (${(e as Error).message})`);
        }
    };
    const area = room(() => (stored ? lib.inputArea(u.packed) : lib.packedArea(u.packed)));
    const fd = fs.openSync(u.pack, "r");
    try {
        for (let n = 0; n < u.packed; ) {
            const r = fs.readSync(fd, area, n, u.packed - n, u.at + n);
            if (r === 0) throw bad(`${u.name}: its data runs past the end of the file (truncated)`);
            n += r;
        }
    } finally {
        fs.closeSync(fd);
    }
    const data = stored ? area : room(() => lib.inflatePacked(u.packed, u.size));
    if (!data) throw bad(`${u.name}: its compressed data is damaged`);
    const crc32 = zlib.crc32(data) >>> 0;
    if (data.length !== u.size || crc32 !== u.crc32 >>> 0) throw bad(`${u.name}: its data does not match its size and CRC-32`);
    if (crypto.hash("sha256", data) !== u.sha256) throw bad(`${u.name} is not the file its manifest describes (size or sha256 differ)`);
    const secrets = secretsInHead(data);
    // "wx": never over a file that is there already, never through a link.
    const out = fs.openSync(u.out, "wx", u.executable ? 0o755 : 0o644);
    try {
        writeAt(out, data, 0);
    } finally {
        fs.closeSync(out);
    }
    return { crc32, size: u.size, method: u.method, ...(secrets.length ? { secrets } : {}) };
}

function copyIntoInput(lib: Libdeflate, data: Uint8Array): number {
    lib.inputArea(data.byteLength).set(data);
    return data.byteLength;
}

/**
 * Reads the file into libdeflate's input area; returns its size. One byte more
 * than its size is asked for: a regular file's read comes back short only at
 * its end, so a short read is the end of a file that was not written to since
 * its stat, without a read of its own.
 */
function readIntoInput(lib: Libdeflate, file: string): number {
    const fd = fs.openSync(file, "r");
    try {
        const size = fs.fstatSync(fd).size;
        const area = lib.inputArea(size + 1);
        let n = 0;
        for (;;) {
            const want = size + 1 - n;
            const r = fs.readSync(fd, area, n, want, n);
            n += r;
            // The end (nothing more, or short exactly at the size), or longer than its size.
            if (r === 0 || n > size || (n === size && r < want)) break;
        }
        // Shorter or longer than its size a moment ago: it is being written.
        if (n !== size) throw new Error(`${file} changed while it was being read`);
        return size;
    } finally {
        fs.closeSync(fd);
    }
}

/** A buffer that is the whole of its ArrayBuffer can be transferred instead of copied. */
function owns(b: Uint8Array): boolean {
    return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
}

function serve(lib: Libdeflate): void {
    parentPort!.on("message", (jobs: WorkerJob[]) => {
        const results: WorkerResult[] = [];
        const transfer: ArrayBuffer[] = [];
        const spills = new SpillAppends();
        const outputs = new BatchOutputs();
        for (const job of jobs) {
            try {
                const r = job.unpack ? unpacked(job.unpack, lib) : job.path !== undefined && job.stream ? streamed(job as WorkerJob & { path: string }, lib) : whole(job, lib, spills, outputs);
                if (r.data && owns(r.data) && !transfer.includes(r.data.buffer as ArrayBuffer)) transfer.push(r.data.buffer as ArrayBuffer);
                results.push(Object.assign(r, { id: job.id }));
            } catch (e) {
                results.push({ id: job.id, crc32: 0, size: 0, method: 0, error: errorOf(e) });
            }
        }
        try {
            spills.close();
        } catch (e) {
            // A full disk: every job whose bytes were to be appended fails with it.
            for (const r of results) if (r.spilled) Object.assign(r, { spilled: undefined, error: errorOf(e) });
        }
        transfer.push(...outputs.finish());
        parentPort!.postMessage(results, transfer);
    });
}

function errorOf(e: unknown): WorkerResult["error"] {
    const err = e as NodeJS.ErrnoException;
    return { message: err.message, code: err.code, path: err.path };
}

if (parentPort && workerData?.role === DEFLATE_WORKER) {
    serve(new Libdeflate());
}
