// Content hashes of a folder's files, remembered by stat (size, mtime, ctime,
// inode) the way git's index does, so an unchanged file is hashed once.
// Files modified within the last few seconds are not remembered: a write in
// the same timestamp tick could otherwise go unnoticed.
import * as fs from "fs";
import { describeFsError } from "../shared/errors";
import { removeQuietly, writeFileAtomic } from "../shared/atomic";
import { markUsed } from "./cache";
import { DeflateJobError, DeflatePool } from "./deflate-pool";
import { WalkedFile } from "./walk";
import { CompressedData, compressedData, placesFor, spoolFor } from "./zip-writer";

type MemoRow = [size: number, mtimeMs: number, ctimeMs: number, ino: number, sha256: string];

export const RACY_MS = 3000;

/** Whether a file's stat can stand for its content: not changed (mtime or ctime) within the last RACY_MS. */
export function statIsSettled(f: Pick<WalkedFile, "mtimeMs" | "ctimeMs">, now = Date.now()): boolean {
    return now - Math.max(f.mtimeMs, f.ctimeMs) >= RACY_MS;
}

export class HashMemo {
    private rows: Record<string, MemoRow>;
    private dirty = false;
    /** Whether the memo held rows when loaded. */
    private readonly loadedRows: boolean;

    private constructor(
        private readonly file: string,
        rows: Record<string, MemoRow>,
    ) {
        this.rows = rows;
        this.loadedRows = hasKeys(rows);
    }

    static load(file: string): HashMemo {
        try {
            const data = JSON.parse(fs.readFileSync(file, "utf8"));
            markUsed(file); // a build that changes nothing does not save it: kept by the cache's sweep for another month
            return new HashMemo(file, data.rows ?? {});
        } catch {
            return new HashMemo(file, {});
        }
    }

    lookup(f: WalkedFile): string | undefined {
        if (!this.loadedRows && !this.dirty) return undefined; // a cold build's memo: nothing to find
        const row = this.rows[f.rel];
        if (row && row[0] === f.size && row[1] === f.mtimeMs && row[2] === f.ctimeMs && row[3] === f.ino) return row[4];
        return undefined;
    }

    remember(f: WalkedFile, sha256: string): void {
        if (!statIsSettled(f)) return;
        this.rows[f.rel] = [f.size, f.mtimeMs, f.ctimeMs, f.ino, sha256];
        this.dirty = true;
    }

    /** Forgets files that are gone, and saves. */
    save(present: WalkedFile[]): void {
        // A memo that started empty (a cold build) holds only rows of present files: nothing to forget.
        if (this.loadedRows) {
            const keep = new Set(present.map((f) => f.rel));
            for (const rel of Object.keys(this.rows)) {
                if (!keep.has(rel)) {
                    delete this.rows[rel];
                    this.dirty = true;
                }
            }
        }
        if (!this.dirty) return;
        writeFileAtomic(this.file, JSON.stringify({ rows: this.rows }));
        this.dirty = false;
    }
}

function hasKeys(o: object): boolean {
    for (const _ in o) return true;
    return false;
}

export interface HashedFiles {
    /** sha256 (hex) by relative path. */
    hashes: Map<string, string>;
    /** Compressed bytes produced along the way, by sha256 (when a level was given). */
    compressed: Map<string, CompressedData>;
    /** How many files had to be read and hashed. */
    hashedCount: number;
}

/**
 * Hashes every file the memo does not know, on the deflate pool. With a
 * level, each of those files is compressed in the same pass, so a cold build
 * reads every byte once; the result is wasted only when the archive then
 * turns out to be cached already.
 */
export async function hashFiles(files: WalkedFile[], memo: HashMemo, what: string, level: number | null, spoolDir?: string): Promise<HashedFiles> {
    const hashes = new Map<string, string>();
    const compressed = new Map<string, CompressedData>();
    const todo: WalkedFile[] = [];
    for (const f of files) {
        const known = memo.lookup(f);
        if (known) hashes.set(f.rel, known);
        else todo.push(f);
    }
    todo.sort((a, b) => b.size - a.size);
    // Where the compressed bytes wait for the archive: memory within a budget, else spill files (spill.ts).
    const places =
        level === null
            ? undefined
            : placesFor(
                  todo.map((f) => f.size),
                  spoolDir,
              );
    const spools = todo.map((f) => (level === null ? undefined : spoolFor(f.size, spoolDir)));
    const jobs = todo.map((f, i) => ({ path: f.abs, hash: true, level, spool: spools[i], size: f.size, spillTo: places?.[i].spillTo }));
    await DeflatePool.shared()
        .runEach(jobs, (i, r, error) => {
            const f = todo[i];
            if (error || !r) {
                places?.[i].release();
                if (spools[i]) removeQuietly(spools[i]!);
                // A full build cache is the cache's failure, said as such by the build (index.ts), not an unreadable file.
                if (error instanceof DeflateJobError && error.onWriteSide) throw error;
                throw describeFsError(error, f.abs, `file in the ${what}`);
            }
            hashes.set(f.rel, r.sha256!);
            memo.remember(f, r.sha256!);
            const c = level === null ? undefined : compressedData(r, f.abs, spools[i], true, places?.[i]);
            if (c && compressed.has(r.sha256!))
                c.spool?.discard(); // the same content twice: one copy is enough
            else if (c) compressed.set(r.sha256!, c);
        })
        .catch((e) => {
            for (const c of compressed.values()) c.spool?.discard();
            throw e;
        });
    return { hashes, compressed, hashedCount: todo.length };
}
