// A pool of worker threads that read, hash and deflate files in a single
// pass over their bytes (the worker's code: deflate-worker.ts). Jobs are
// sent in batches of up to BATCH_BYTES, two batches in flight per worker, so
// a tree of 20,000 small files costs a few hundred messages, not 20,000
// round trips with idle workers in between.
//
// A file is compressed whole in a worker's WebAssembly heap, which grows to
// fit the file and its output and never shrinks. So files of BIG_JOB bytes or
// more are compressed a few at a time (BIG_IN_FLIGHT), preferably by a worker
// whose heap has already grown, and a worker whose heap grew is retired when
// it goes idle, before the archive is written and inspected.
//
// Why libdeflate (WASM) instead of Node's zlib, measured on the benchmark
// corpus (docs/BENCHMARKS.md, builder/DESIGN.md): at level 6 it
// writes 0.9% less than Info-ZIP's `zip -6` where Node's zlib writes 1.0% more,
// it is faster per core, and our pinned WASM build (builder/libdeflate) gives the same bytes on every
// machine and Node version, which Node's bundled zlib does not promise.
// Files of STREAM_THRESHOLD bytes or more are deflated in chunks by the same
// libdeflate, joined into one stream (deflate-worker.ts).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import type { UnpackJob, WorkerJob, WorkerResult } from "./deflate-worker";
import { DEFLATE_WORKER, STREAM_THRESHOLD, unpacked, whole } from "./deflate-worker";
import { describeThrown } from "../shared/errors";
import { LIBDEFLATE, Libdeflate } from "./libdeflate";
import { SpillFile } from "./spill";

export { STREAM_THRESHOLD };

export interface DeflateJob {
    /** A file of a remote install's pack to check and write (deflate-worker.ts `unpacked`); then the fields below are unused. */
    unpack?: UnpackJob;
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
    /** The file's size, when the caller knows it (saves a stat). */
    size?: number;
    /** A file under STREAM_THRESHOLD: leave its bytes for the archive in a spill file in this folder rather than in memory (spill.ts). */
    spillTo?: string;
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
    /** A spilled job's bytes for the archive (compressed or stored): held in `file` until released. */
    spilled?: { file: SpillFile; at: number; bytes: number; release(): void };
    /** Credentials found in the file's first bytes (deflate-worker.ts). */
    secrets?: string[];
}

/** Codes only a write can fail with: a full disk, a quota, a read-only file system. */
const WRITE_ONLY_CODES = new Set(["ENOSPC", "EDQUOT", "EFBIG", "EROFS"]);

/** A job that failed: reading its input (`file`), or writing its compressed bytes (a spill or spool file in the build cache). */
export class DeflateJobError extends Error {
    constructor(
        message: string,
        readonly code: string | undefined,
        readonly file: string | undefined,
        /** The path the failing call named, when it named one. */
        readonly path?: string,
    ) {
        super(message);
    }

    /**
     * Whether writing the compressed bytes failed rather than reading the
     * input: the build cache's fault (a full disk), which must not be
     * reported as an unreadable source file.
     */
    get onWriteSide(): boolean {
        return WRITE_ONLY_CODES.has(this.code ?? "") || (this.path !== undefined && this.path !== this.file);
    }
}

/** Part of every archive key: a different engine or version writes different bytes. */
export const DEFLATE_ENGINE = LIBDEFLATE;

interface Pending {
    id: number;
    job: DeflateJob;
    /** Bytes the worker will read (the job's file size, or its data's length). */
    bytes: number;
    /** Called once, with the result or the error. */
    done: (error: Error | undefined, result?: DeflateResult) => void;
    /** Where the worker appends the job's bytes (spillTo). */
    spillFile?: SpillFile;
    /** The runEach call it came from: only its jobs' outputs share a buffer. */
    group: number;
}

interface Slot {
    worker: Worker;
    /** Jobs sent and not yet answered, by id. */
    running: Map<number, Pending>;
    batches: number;
    /** The biggest file this worker read whole: its WebAssembly heap grew to fit it. */
    grown: number;
    /** The spill file this worker appends to, by folder. */
    spills: Map<string, SpillFile>;
}

/** Batches in flight per worker: one being worked on, one waiting, so a worker never waits for the main thread. */
const PER_WORKER = 2;
/** A batch holds files up to this many bytes in all (a bigger file goes alone), and at most MAX_BATCH files. */
const BATCH_BYTES = 1024 * 1024;
const MAX_BATCH = 64;
/** Files read whole of this size or more are big: see the module header. */
const BIG_JOB = 4 * 1024 * 1024;
/** Bytes of big files being compressed at once (one file always may, however big). */
const BIG_IN_FLIGHT = 32 * 1024 * 1024;
/** A worker that read a file this big whole is retired once idle. */
const RETIRE_GROWN = 16 * 1024 * 1024;
/**
 * Work this small is done on the calling thread when no worker is running:
 * starting one costs 60-100 ms of CPU, more than the work (a rebuild after one
 * edited handler compresses one file). libdeflate at level 6, its output
 * checked, takes ~4 ms for 1 MB of Python source and ~7 ms for 2 MB here; the
 * file count bounds the reads done on this thread. In a cold preview of a
 * stack of many functions, a dependency set's rewritten metadata (a few
 * hundred KB) started two or three workers at a time, each living ~0.1 s.
 */
const INLINE_BYTES = 2 * 1024 * 1024;
const INLINE_FILES = 64;
/**
 * A worker's V8 young generation. Its files live in WebAssembly memory, so its
 * heap holds only small, short-lived objects; V8's default (16 MB and more)
 * only kept ~5 MB more resident per worker. Corpus build peak RSS 171-179 →
 * 167-171 MB, 20,000 small files no slower (builder/DESIGN.md, Memory).
 */
const WORKER_YOUNG_GENERATION_MB = 2;

/** A first-in first-out queue whose take() does not shift the array (quadratic on 20,000 jobs). */
class Fifo<T> {
    private items: T[] = [];
    private head = 0;

    get length(): number {
        return this.items.length - this.head;
    }

    push(item: T): void {
        this.items.push(item);
    }

    peek(): T | undefined {
        return this.items[this.head];
    }

    waiting(): T[] {
        return this.items.slice(this.head);
    }

    take(): T {
        const item = this.items[this.head++];
        if (this.head === this.items.length) {
            this.items = [];
            this.head = 0;
        } else if (this.head > 4096 && this.head * 2 > this.items.length) {
            this.items = this.items.slice(this.head);
            this.head = 0;
        }
        return item;
    }
}

/** The worker's module: compiled JavaScript beside this file, or its TypeScript source under ts-node (tests). */
function workerModule(): { file: string; execArgv: string[]; env?: NodeJS.ProcessEnv } {
    const js = path.join(__dirname, "deflate-worker.js");
    if (fs.existsSync(js)) return { file: js, execArgv: [] };
    // ts-node in the worker compiles with this package's tsconfig, not one found from the current folder
    // (a user program's, or none: ts-node's defaults do not compile this code).
    const env = { ...process.env, TS_NODE_PROJECT: path.join(__dirname, "..", "tsconfig.json") };
    return { file: path.join(__dirname, "deflate-worker.ts"), execArgv: ["--require", require.resolve("ts-node/register/transpile-only")], env };
}

export class DeflatePool {
    private static instance: DeflatePool | undefined;
    private readonly slots: Slot[] = [];
    /** Waiting jobs: big files (read whole, BIG_JOB or more) and the rest. */
    private readonly big = new Fifo<Pending>();
    private readonly small = new Fifo<Pending>();
    /** Bytes of the big files sent and not yet answered. */
    private bigInFlight = 0;
    private nextId = 0;
    private nextGroup = 0;
    private scheduled = false;
    /** libdeflate on this thread, for little work (INLINE_BYTES); made on first use. */
    private here: Libdeflate | undefined;

    /** The process-wide pool, started on first use; idle workers do not keep the process alive. */
    static shared(): DeflatePool {
        DeflatePool.instance ??= new DeflatePool(Math.max(1, Math.min(os.availableParallelism(), 8)));
        return DeflatePool.instance;
    }

    constructor(private readonly size: number) {}

    /** Worker threads alive now. */
    get workers(): number {
        return this.slots.length;
    }

    /**
     * Runs every job, `window` at a time, calling `each` with its index and
     * result (or error) as each one comes back, in any order. Settles once all
     * have come back: rejected with the first error `each` threw. No promise
     * per job: on 20,000 small files those were a tenth of the main thread's time.
     */
    runEach(jobs: DeflateJob[], each: (index: number, result: DeflateResult | undefined, error: Error | undefined) => void, window = 1024): Promise<void> {
        const group = this.nextGroup++;
        return new Promise((resolve, reject) => {
            let next = 0;
            let finished = 0;
            let failure: { error: unknown } | undefined;
            const submitMore = () => {
                while (next < jobs.length && next - finished < window) {
                    const i = next++;
                    this.submit(jobs[i], group, (error, result) => {
                        finished++;
                        try {
                            each(i, result, error);
                        } catch (e) {
                            failure ??= { error: e };
                        }
                        if (finished === jobs.length) return failure ? reject(failure.error) : resolve();
                        submitMore();
                    });
                }
            };
            if (!jobs.length) return resolve();
            submitMore();
        });
    }

    private submit(job: DeflateJob, group: number, done: Pending["done"]): void {
        const bytes = job.unpack?.size ?? job.data?.length ?? job.size ?? fileSize(job.path!);
        const pending = { id: this.nextId++, job, bytes, done, group };
        (isBig(pending) ? this.big : this.small).push(pending);
        // Jobs submitted together are batched together: dispatch once the caller's loop is done.
        if (!this.scheduled) {
            this.scheduled = true;
            queueMicrotask(() => {
                this.scheduled = false;
                this.dispatch();
            });
        }
    }

    private dispatch(): void {
        if (this.slots.length === 0 && this.big.length === 0 && this.small.length > 0 && this.small.length <= INLINE_FILES) {
            const jobs = this.small.waiting();
            if (jobs.every((p) => p.bytes < STREAM_THRESHOLD) && jobs.reduce((n, p) => n + p.bytes, 0) <= INLINE_BYTES) {
                for (let i = 0; i < jobs.length; i++) this.runHere(this.small.take());
                return;
            }
        }
        while (this.big.length + this.small.length > 0) {
            // The least busy worker, or a new one while none is idle.
            let slot = this.slots.reduce<Slot | undefined>((a, s) => (!a || s.batches < a.batches ? s : a), undefined);
            if ((!slot || slot.batches > 0) && this.slots.length < this.size) slot = this.spawn();
            if (!slot || slot.batches >= PER_WORKER) break;
            const batch = this.nextBatch(slot);
            if (!batch.length) break;
            this.send(slot, batch);
        }
    }

    /**
     * A big file alone, when one may start and no other worker with room has
     * a bigger heap already; else the waiting small files up to BATCH_BYTES,
     * fewer when the queue is short, so every worker gets some.
     */
    private nextBatch(slot: Slot): Pending[] {
        const big = this.big.peek();
        if (big && (this.bigInFlight === 0 || this.bigInFlight + big.bytes <= BIG_IN_FLIGHT)) {
            const better = this.slots.some((s) => s !== slot && s.batches < PER_WORKER && s.grown > slot.grown);
            if (!better || !this.small.length) {
                this.bigInFlight += big.bytes;
                slot.grown = Math.max(slot.grown, big.bytes);
                return [this.big.take()];
            }
        }
        const share = Math.max(1, Math.ceil(this.small.length / (this.size * PER_WORKER)));
        const batch: Pending[] = [];
        let bytes = 0;
        while (this.small.length && batch.length < Math.min(MAX_BATCH, share)) {
            const next = this.small.peek()!;
            if (batch.length > 0 && bytes + next.bytes > BATCH_BYTES) break;
            batch.push(this.small.take());
            bytes += next.bytes;
        }
        return batch;
    }

    /** One job run on this thread as a worker runs it (its bytes come back in memory, never spilled: they are few). */
    private runHere(p: Pending): void {
        this.here ??= new Libdeflate();
        const { path: file, data, hash, level, spool, unpack } = p.job;
        try {
            const r = unpack ? unpacked(unpack, this.here) : whole({ id: p.id, path: file, data, hash, level, spool, stream: false }, this.here);
            p.done(undefined, { sha256: r.sha256, crc32: r.crc32, size: r.size, method: r.method, data: r.data && Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength), secrets: r.secrets });
        } catch (e) {
            const err = e as NodeJS.ErrnoException;
            p.done(new DeflateJobError(err.message, err.code, file, err.path));
        }
    }

    private send(slot: Slot, batch: Pending[]): void {
        slot.batches++;
        slot.worker.ref();
        const jobs: WorkerJob[] = batch.map((p) => {
            slot.running.set(p.id, p);
            const { path: file, data, hash, level, spool, spillTo, unpack } = p.job;
            const stream = file !== undefined && p.bytes >= STREAM_THRESHOLD;
            if (spillTo !== undefined && !stream && level !== null) p.spillFile = this.spillFile(slot, spillTo);
            return { id: p.id, unpack, path: file, data, hash, level, spool, spill: p.spillFile?.path, stream, group: p.group };
        });
        slot.worker.postMessage(jobs);
    }

    private spillFile(slot: Slot, dir: string): SpillFile {
        let file = slot.spills.get(dir);
        if (!file) {
            file = new SpillFile(dir);
            slot.spills.set(dir, file);
        }
        return file;
    }

    /** A worker with nothing in flight appends to new files next time, so these can go once their entries are released. */
    private sealSpills(slot: Slot): void {
        for (const f of slot.spills.values()) f.seal();
        slot.spills.clear();
    }

    private spawn(): Slot {
        const { file, execArgv, env } = workerModule();
        const worker = new Worker(file, { execArgv, env, workerData: { role: DEFLATE_WORKER }, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
        const slot: Slot = { worker, running: new Map(), batches: 0, grown: 0, spills: new Map() };
        worker.on("message", (results: WorkerResult[]) => {
            slot.batches--;
            for (const m of results) {
                const p = slot.running.get(m.id);
                if (!p) continue;
                slot.running.delete(m.id);
                if (isBig(p)) this.bigInFlight -= p.bytes;
                if (m.error) p.done(new DeflateJobError(m.error.message, m.error.code, p.job.path, m.error.path));
                else {
                    const data = m.data && Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
                    const file = p.spillFile;
                    const spilled = m.spilled && file ? { file, ...m.spilled, ...file.hold(m.spilled.at, m.spilled.bytes) } : undefined;
                    p.done(undefined, { sha256: m.sha256, crc32: m.crc32, size: m.size, method: m.method, data, spooledBytes: m.spooledBytes, spilled, secrets: m.secrets });
                }
            }
            if (slot.batches === 0) {
                worker.unref();
                this.sealSpills(slot);
                if (slot.grown >= RETIRE_GROWN) this.retire(slot);
            }
            this.dispatch();
        });
        // A worker that cannot start may report something that is not an Error; keep its text.
        worker.on("error", (e: unknown) => this.fail(slot, e instanceof Error ? e : new Error(`the deflate worker failed: ${describeThrown(e)}`)));
        worker.on("exit", (code) => this.fail(slot, new Error(`deflate worker exited with code ${code}`)));
        this.slots.push(slot);
        return slot;
    }

    /**
     * Ends the workers with nothing to do. The archive writer calls this once
     * every file is compressed: a worker costs ~20 MB (its isolate, heap and
     * malloc arena), and the archive is then written and inspected on the
     * main thread. The next build starts new ones (60-100 ms each on a busy
     * 2-core machine, in parallel with its first files).
     */
    retireIdle(): void {
        for (const slot of [...this.slots]) if (slot.batches === 0) this.retire(slot);
    }

    /** Ends an idle worker (its WebAssembly heap with it); a new one starts when there is work. */
    private retire(slot: Slot): void {
        const i = this.slots.indexOf(slot);
        if (i < 0) return;
        this.slots.splice(i, 1);
        slot.worker.removeAllListeners("exit");
        slot.worker.on("error", () => {});
        void slot.worker.terminate();
    }

    private fail(slot: Slot, e: Error): void {
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        this.sealSpills(slot);
        for (const p of slot.running.values()) {
            if (isBig(p)) this.bigInFlight -= p.bytes;
            p.done(e);
        }
        slot.running.clear();
        this.dispatch();
    }
}

/** A file read whole into a worker's heap that grows it past the heap's usual size (see the module header). */
function isBig(p: Pending): boolean {
    return p.bytes >= BIG_JOB && !(p.job.path !== undefined && p.bytes >= STREAM_THRESHOLD);
}

function fileSize(p: string): number {
    try {
        return fs.statSync(p).size;
    } catch {
        return 0; // the worker reports the error when it opens the file
    }
}
