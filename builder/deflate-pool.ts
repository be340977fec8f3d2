// A pool of worker threads that read, hash and deflate files, one file per
// job, in a single pass over its bytes: sha256 (the cache key), CRC-32 (the
// zip header) and raw deflate by libdeflate (the zip data). Results come back
// as transferred buffers, so the main thread only assembles the archive.
//
// Why libdeflate (WASM) instead of Node's zlib, measured on the benchmark
// corpus (docs/BENCHMARKS.md, builder/DESIGN.md): at level 6 it
// writes 0.9% less than Info-ZIP's `zip -6` where Node's zlib writes 1.0% more,
// it is faster per core, and a pinned WASM build gives the same bytes on every
// machine and Node version, which Node's bundled zlib does not promise.
// Every stream it produces is inflated again by Node's zlib and its CRC
// compared before it is accepted, so a fault in the wrapper cannot corrupt an
// archive.
//
// Files of STREAM_THRESHOLD bytes or more are never held in memory: they are
// read in 4 MiB chunks, and (libdeflate takes whole buffers only) each chunk
// is deflated by Node's zlib on its own, ended with a sync flush so that the
// chunks join into one valid stream (as pigz does), closed by an empty final
// block. The compressed bytes go to a spool file, not back to the main thread.
// Output then depends on the zlib version too, so it is part of the archive key.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";
import { Worker } from "worker_threads";

export interface DeflateJob {
    /** Read the content from this file … */
    path?: string;
    /** … or take it from here. */
    data?: Buffer;
    /** Compute the sha256 of the content. */
    hash: boolean;
    /** Deflate level 1-12, 0 to store, or null for no output at all (hashing only). */
    level: number | null;
    /** For a file of STREAM_THRESHOLD bytes or more: where to write its compressed bytes. */
    spool?: string;
}

export interface DeflateResult {
    sha256?: string;
    crc32: number;
    size: number;
    method: 0 | 8;
    /** Compressed (or stored) bytes; absent for hashing-only jobs and streamed files. */
    data?: Buffer;
    /** A streamed file's compressed size; its bytes are in the job's spool file (method 8 only). */
    spooledBytes?: number;
}

/** Files this big or bigger are streamed in chunks instead of being read whole. */
export const STREAM_THRESHOLD = 64 * 1024 * 1024;

export class DeflateJobError extends Error {
    constructor(message: string, readonly code: string | undefined, readonly file: string | undefined) {
        super(message);
    }
}

const libdeflatePath = require.resolve("libdeflate");

/** Part of every archive key: a different engine or version writes different bytes. */
export const DEFLATE_ENGINE = `libdeflate ${JSON.parse(fs.readFileSync(path.join(path.dirname(libdeflatePath), "package.json"), "utf8")).version}`;

const WORKER_SOURCE = `
const { parentPort, workerData } = require("worker_threads");
const crypto = require("crypto");
const fs = require("fs");
const zlib = require("zlib");
const { deflate } = require(workerData.libdeflate);
const owns = (b) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
const CHUNK = 4 * 1024 * 1024;
// Bounded memory whatever the file's size; see the module header.
function streamed(job) {
    const fd = fs.openSync(job.path, "r");
    const hash = job.hash ? crypto.createHash("sha256") : undefined;
    const compress = job.level > 0 && job.spool !== undefined;
    const out = compress ? fs.openSync(job.spool, "w") : undefined;
    const buf = Buffer.allocUnsafe(CHUNK);
    let crc32 = 0, size = 0, packed = 0;
    const put = (b) => {
        for (let done = 0; done < b.length; ) done += fs.writeSync(out, b, done, b.length - done, packed + done);
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
                const z = zlib.deflateRawSync(chunk, { level: Math.min(job.level, 9), finishFlush: zlib.constants.Z_SYNC_FLUSH });
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
parentPort.on("message", (job) => {
    try {
        if (job.path !== undefined && job.stream) {
            parentPort.postMessage({ id: job.id, ...streamed(job) });
            return;
        }
        const raw = job.path !== undefined ? fs.readFileSync(job.path) : Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength);
        const sha256 = job.hash ? crypto.createHash("sha256").update(raw).digest("hex") : undefined;
        const crc32 = zlib.crc32(raw) >>> 0;
        let method = 0;
        let out = job.level === null ? undefined : raw;
        if (job.level > 0 && raw.length > 0) {
            const packed = deflate(raw, job.level);
            if (packed.length < raw.length) {
                const back = zlib.inflateRawSync(packed, { maxOutputLength: raw.length });
                if (back.length !== raw.length || (zlib.crc32(back) >>> 0) !== crc32) throw new Error("deflate output failed verification");
                method = 8;
                out = packed;
            }
        }
        parentPort.postMessage({ id: job.id, sha256, crc32, size: raw.length, method, data: out }, out && owns(out) ? [out.buffer] : []);
    } catch (e) {
        parentPort.postMessage({ id: job.id, error: { message: e.message, code: e.code } });
    }
});
`;

interface Pending {
    job: DeflateJob;
    resolve: (r: DeflateResult) => void;
    reject: (e: Error) => void;
}

interface Slot {
    worker: Worker;
    running: Map<number, Pending>;
}

const PER_WORKER = 2;

export class DeflatePool {
    private static instance: DeflatePool | undefined;
    private readonly slots: Slot[] = [];
    private readonly queue: (Pending & { id: number })[] = [];
    private nextId = 0;

    /** The process-wide pool, started on first use; idle workers do not keep the process alive. */
    static shared(): DeflatePool {
        if (!DeflatePool.instance) {
            // Big files are deflated in one WASM call, and WASM has no on-stack replacement: code
            // started in V8's baseline tier (Liftoff) stays there for the whole file. Compiling
            // straight to the optimising tier made the corpus build steady at 2.1 s instead of
            // 2.1-3.0 s. The flag only affects WebAssembly compiled from now on.
            v8.setFlagsFromString("--no-liftoff");
            DeflatePool.instance = new DeflatePool(Math.max(1, Math.min(os.availableParallelism(), 8)));
        }
        return DeflatePool.instance;
    }

    constructor(private readonly size: number) {}

    run(job: DeflateJob): Promise<DeflateResult> {
        return new Promise((resolve, reject) => {
            this.queue.push({ id: this.nextId++, job, resolve, reject });
            this.dispatch();
        });
    }

    private dispatch(): void {
        while (this.queue.length) {
            // An idle worker first, then a new one, then one with room in its queue.
            let slot = this.slots.find((s) => s.running.size === 0);
            if (!slot && this.slots.length < this.size) slot = this.spawn();
            slot ??= this.slots.find((s) => s.running.size < PER_WORKER);
            if (!slot) return;
            const next = this.queue.shift()!;
            slot.running.set(next.id, next);
            slot.worker.ref();
            const stream = next.job.path !== undefined && fileSize(next.job.path) >= STREAM_THRESHOLD;
            slot.worker.postMessage({ id: next.id, path: next.job.path, data: next.job.data, hash: next.job.hash, level: next.job.level, spool: next.job.spool, stream });
        }
    }

    private spawn(): Slot {
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { libdeflate: libdeflatePath } });
        const slot: Slot = { worker, running: new Map() };
        worker.on("message", (m: { id: number; error?: { message: string; code?: string }; sha256?: string; crc32: number; size: number; method: 0 | 8; data?: Uint8Array; spooledBytes?: number }) => {
            const p = slot.running.get(m.id);
            if (!p) return;
            slot.running.delete(m.id);
            if (slot.running.size === 0) worker.unref();
            if (m.error) p.reject(new DeflateJobError(m.error.message, m.error.code, p.job.path));
            else {
                const data = m.data && Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
                p.resolve({ sha256: m.sha256, crc32: m.crc32, size: m.size, method: m.method, data, spooledBytes: m.spooledBytes });
            }
            this.dispatch();
        });
        worker.on("error", (e) => this.fail(slot, e));
        worker.on("exit", (code) => this.fail(slot, new Error(`deflate worker exited with code ${code}`)));
        this.slots.push(slot);
        return slot;
    }

    private fail(slot: Slot, e: Error): void {
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        for (const p of slot.running.values()) p.reject(e);
        slot.running.clear();
        this.dispatch();
    }
}

function fileSize(p: string): number {
    try {
        return fs.statSync(p).size;
    } catch {
        return 0; // the worker reports the error when it opens the file
    }
}
