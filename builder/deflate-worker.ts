// The code each thread of the deflate pool runs (deflate-pool.ts starts it
// from this file: compiled dist/…/deflate-worker.js, or this .ts under
// ts-node). One message carries a batch of jobs — thousands of small files
// would otherwise cost a message round trip each — and one message answers
// them all, the compressed buffers transferred rather than copied.
//
// Each file is read once: sha256 (the cache key), CRC-32 (the zip header)
// and raw deflate by libdeflate (the zip data; builder/libdeflate) are computed from the same
// bytes. Every libdeflate stream is inflated again and its length and CRC
// compared before it is accepted (builder/libdeflate), so a fault in the
// WASM wrapper cannot corrupt an archive.
//
// Files of STREAM_THRESHOLD bytes or more are never held whole: they are read
// in 4 MiB chunks, and (libdeflate takes whole buffers only) each chunk is
// deflated by Node's zlib ending in a sync flush so the chunks join into one
// stream (as pigz does), closed by an empty final block, into a spool file.
import * as crypto from "crypto";
import * as fs from "fs";
import { parentPort, workerData } from "worker_threads";
import * as zlib from "zlib";
import { Libdeflate } from "./libdeflate";

export interface WorkerJob {
    id: number;
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
}

export interface WorkerResult {
    id: number;
    sha256?: string;
    crc32: number;
    size: number;
    method: 0 | 8;
    data?: Uint8Array;
    spooledBytes?: number;
    error?: { message: string; code?: string };
}

/** The pool marks its threads with this, so that loading this module anywhere else does nothing. */
export const DEFLATE_WORKER = "lambda-python deflate worker";

/** Files this big or bigger are streamed in chunks instead of being read whole (see the module header). */
export const STREAM_THRESHOLD = 64 * 1024 * 1024;
const CHUNK = 4 * 1024 * 1024;

function streamed(job: WorkerJob & { path: string }): Omit<WorkerResult, "id"> {
    const fd = fs.openSync(job.path, "r");
    const hash = job.hash ? crypto.createHash("sha256") : undefined;
    const level = job.level ?? 0;
    const compress = level > 0 && job.spool !== undefined;
    const out = compress ? fs.openSync(job.spool!, "w") : undefined;
    const buf = Buffer.allocUnsafe(CHUNK);
    let crc32 = 0;
    let size = 0;
    let packed = 0;
    const put = (b: Buffer) => {
        for (let done = 0; done < b.length; ) done += fs.writeSync(out!, b, done, b.length - done, packed + done);
        packed += b.length;
    };
    try {
        for (;;) {
            let n = 0;
            while (n < CHUNK) {
                const r = fs.readSync(fd, buf, n, CHUNK - n, size + n);
                if (r === 0) break;
                n += r;
            }
            if (n === 0) break;
            const chunk = buf.subarray(0, n);
            hash?.update(chunk);
            crc32 = zlib.crc32(chunk, crc32);
            size += n;
            if (compress) {
                const z = zlib.deflateRawSync(chunk, { level: Math.min(level, 9), finishFlush: zlib.constants.Z_SYNC_FLUSH });
                const back = zlib.inflateRawSync(z, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
                if (!back.equals(chunk)) throw new Error("deflate output failed verification");
                put(z);
            }
            if (n < CHUNK) break;
        }
        if (compress) put(zlib.deflateRawSync(Buffer.alloc(0))); // the empty final block
    } finally {
        fs.closeSync(fd);
        if (out !== undefined) fs.closeSync(out);
    }
    crc32 >>>= 0;
    const sha256 = hash?.digest("hex");
    // Not smaller: stored, read from the file itself when the archive is written.
    if (!compress || packed >= size) {
        if (job.spool !== undefined) fs.rmSync(job.spool, { force: true });
        return { sha256, crc32, size, method: 0 };
    }
    return { sha256, crc32, size, method: 8, spooledBytes: packed };
}

function whole(job: WorkerJob, lib: Libdeflate): Omit<WorkerResult, "id"> {
    const raw = job.path !== undefined ? fs.readFileSync(job.path) : Buffer.from(job.data!.buffer, job.data!.byteOffset, job.data!.byteLength);
    const sha256 = job.hash ? crypto.createHash("sha256").update(raw).digest("hex") : undefined;
    const crc32 = zlib.crc32(raw) >>> 0;
    let method: 0 | 8 = 0;
    let data: Uint8Array | undefined = job.level === null ? undefined : raw;
    if (job.level !== null && job.level > 0 && raw.length > 0) {
        const packed = lib.deflate(raw, job.level, crc32); // checked against raw's length and CRC before it returns
        if (packed.length < raw.length) {
            method = 8;
            data = packed;
        }
    }
    return { sha256, crc32, size: raw.length, method, data };
}

/** A buffer that is the whole of its ArrayBuffer can be transferred instead of copied. */
function owns(b: Uint8Array): boolean {
    return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
}

function serve(lib: Libdeflate): void {
    parentPort!.on("message", (jobs: WorkerJob[]) => {
        const results: WorkerResult[] = [];
        const transfer: ArrayBuffer[] = [];
        for (const job of jobs) {
            try {
                const r = job.path !== undefined && job.stream ? streamed(job as WorkerJob & { path: string }) : whole(job, lib);
                if (r.data && owns(r.data) && !transfer.includes(r.data.buffer as ArrayBuffer)) transfer.push(r.data.buffer as ArrayBuffer);
                results.push({ id: job.id, ...r });
            } catch (e) {
                const err = e as NodeJS.ErrnoException;
                results.push({ id: job.id, crc32: 0, size: 0, method: 0, error: { message: err.message, code: err.code } });
            }
        }
        parentPort!.postMessage(results, transfer);
    });
}

if (parentPort && workerData?.role === DEFLATE_WORKER) {
    serve(new Libdeflate());
}
