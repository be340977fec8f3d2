// A pool of worker threads that read, hash and deflate files, one file per
// job, in a single pass over its bytes: sha256 (the cache key), CRC-32 (the
// zip header) and raw deflate by libdeflate (the zip data). Results come back
// as transferred buffers, so the main thread only assembles the archive.
//
// Why libdeflate (WASM) instead of Node's zlib, measured on the benchmark
// corpus (docs/BENCHMARKS.md, components/build/DESIGN.md): at level 6 it
// writes 0.9% less than Info-ZIP's `zip -6` where Node's zlib writes 1.0% more,
// it is faster per core, and a pinned WASM build gives the same bytes on every
// machine and Node version, which Node's bundled zlib does not promise.
// Every stream it produces is inflated again by Node's zlib and its CRC
// compared before it is accepted, so a fault in the wrapper cannot corrupt an
// archive.
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
}

export interface DeflateResult {
    sha256?: string;
    crc32: number;
    size: number;
    method: 0 | 8;
    /** Compressed (or stored) bytes; absent for hashing-only jobs. */
    data?: Buffer;
}

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
parentPort.on("message", (job) => {
    try {
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
            slot.worker.postMessage({ id: next.id, path: next.job.path, data: next.job.data, hash: next.job.hash, level: next.job.level });
        }
    }

    private spawn(): Slot {
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { libdeflate: libdeflatePath } });
        const slot: Slot = { worker, running: new Map() };
        worker.on("message", (m: { id: number; error?: { message: string; code?: string }; sha256?: string; crc32: number; size: number; method: 0 | 8; data?: Uint8Array }) => {
            const p = slot.running.get(m.id);
            if (!p) return;
            slot.running.delete(m.id);
            if (slot.running.size === 0) worker.unref();
            if (m.error) p.reject(new DeflateJobError(m.error.message, m.error.code, p.job.path));
            else {
                const data = m.data && Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
                p.resolve({ sha256: m.sha256, crc32: m.crc32, size: m.size, method: m.method, data });
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
