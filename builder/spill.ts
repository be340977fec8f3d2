// Compressed bytes waiting for the archive writer. A cold build compresses
// every file before the archive is laid out (the key is only known once all
// are hashed), so holding them all made memory grow with the archive (~1.5 MB
// per MB of input). Up to IN_MEMORY_BYTES of input, smallest files first,
// come back to the main thread in memory; the bytes of every other file are
// appended by the worker that compressed them to a spill file in the cache's
// tmp folder, and the writer copies them from there as ranges, as it copies a
// previous archive's entries. The budget is process-wide on purpose: several
// builds of one Pulumi program share the process and its memory.
//
// A spill file is a tracked temporary (atomic.ts), one per worker and busy
// spell: removed once its worker has gone idle and every entry in it is
// released, or on the way out of an interrupted process.
import * as fs from "fs";
import * as path from "path";
import { removeQuietly, tempPathFor, trackTemp } from "../shared/atomic";

/** Input bytes whose compressed bytes may be held in memory, across all builds of the process. */
const IN_MEMORY_BYTES = 16 * 1024 * 1024;

let budget = IN_MEMORY_BYTES;
let reserved = 0;

/**
 * For files of these sizes, whether each one's compressed bytes may come back
 * in memory (the smallest first, while the budget lasts) or go to a spill
 * file. Every `true` must be given back with returnMemory(size).
 */
export function reserveMemory(sizes: number[]): boolean[] {
    const out = sizes.map(() => false);
    const order = sizes.map((_, i) => i).sort((a, b) => sizes[a] - sizes[b]);
    for (const i of order) {
        if (reserved + sizes[i] > budget) break;
        reserved += sizes[i];
        out[i] = true;
    }
    return out;
}

export function returnMemory(size: number): void {
    reserved -= size;
}

/** Input bytes reserved now (for tests). */
export function reservedMemory(): number {
    return reserved;
}

/** Sets the in-memory budget; returns the previous one. Tests use 0 to spill everything. */
export function setInMemoryBudget(bytes: number): number {
    const before = budget;
    budget = bytes;
    return before;
}

/**
 * An append-only file of compressed entries, written by one worker thread
 * and read here by the archive writer.
 */
export class SpillFile {
    readonly path: string;
    /** Bytes the worker reported appended. */
    size = 0;
    private fd: number | undefined;
    private live = 0;
    private sealed = false;

    constructor(dir: string) {
        fs.mkdirSync(dir, { recursive: true });
        this.path = trackTemp(tempPathFor(path.join(dir, "spill")));
        fs.writeFileSync(this.path, "");
    }

    /** An entry the worker appended: held until released. */
    hold(at: number, bytes: number): { release(): void } {
        this.size = Math.max(this.size, at + bytes);
        this.live++;
        let held = true;
        return {
            release: () => {
                if (!held) return;
                held = false;
                this.live--;
                this.removeWhenDone();
            },
        };
    }

    /** No more entries will be appended. */
    seal(): void {
        this.sealed = true;
        this.removeWhenDone();
    }

    read(buf: Buffer, length: number, position: number): number {
        this.fd ??= fs.openSync(this.path, "r");
        return readAt(this.fd, buf, length, position);
    }

    private removeWhenDone(): void {
        if (!this.sealed || this.live > 0) return;
        if (this.fd !== undefined) fs.closeSync(this.fd);
        this.fd = undefined;
        removeQuietly(this.path);
    }
}

/** Reads `length` bytes at `position` into the start of `buf` (fewer only at the end of the file); returns how many. */
export function readAt(fd: number, buf: Buffer, length: number, position: number): number {
    let done = 0;
    while (done < length) {
        const n = fs.readSync(fd, buf, done, length - done, position + done);
        if (n === 0) break;
        done += n;
    }
    return done;
}
