// Content hashes of a folder's files, remembered by stat (size, mtime, ctime,
// inode) the way git's index does, so an unchanged file is hashed once.
// Files modified within the last few seconds are not remembered: a write in
// the same timestamp tick could otherwise go unnoticed.
import * as crypto from "crypto";
import * as fs from "fs";
import { describeFsError } from "../errors";
import { writeFileAtomic } from "./atomic";
import { WalkedFile } from "./walk";

type MemoRow = [size: number, mtimeMs: number, ctimeMs: number, ino: number, sha256: string];

const RACY_MS = 3000;
const READ_CONCURRENCY = 16;

export class HashMemo {
    private rows: Record<string, MemoRow>;
    private dirty = false;

    private constructor(private readonly file: string, rows: Record<string, MemoRow>) {
        this.rows = rows;
    }

    static load(file: string): HashMemo {
        try {
            const data = JSON.parse(fs.readFileSync(file, "utf8"));
            return new HashMemo(file, data.rows ?? {});
        } catch {
            return new HashMemo(file, {});
        }
    }

    lookup(f: WalkedFile): string | undefined {
        const row = this.rows[f.rel];
        if (row && row[0] === f.size && row[1] === f.mtimeMs && row[2] === f.ctimeMs && row[3] === f.ino) return row[4];
        return undefined;
    }

    remember(f: WalkedFile, sha256: string): void {
        if (Date.now() - Math.max(f.mtimeMs, f.ctimeMs) < RACY_MS) return;
        this.rows[f.rel] = [f.size, f.mtimeMs, f.ctimeMs, f.ino, sha256];
        this.dirty = true;
    }

    /** Forgets files that are gone, and saves. */
    save(present: WalkedFile[]): void {
        const keep = new Set(present.map((f) => f.rel));
        for (const rel of Object.keys(this.rows)) {
            if (!keep.has(rel)) {
                delete this.rows[rel];
                this.dirty = true;
            }
        }
        if (!this.dirty) return;
        writeFileAtomic(this.file, JSON.stringify({ rows: this.rows }));
        this.dirty = false;
    }
}

export interface HashedFiles {
    /** sha256 (hex) by relative path. */
    hashes: Map<string, string>;
    /** Contents read while hashing, kept for compression (within a memory budget). */
    contents: Map<string, Buffer>;
    /** How many files had to be read and hashed. */
    hashedCount: number;
}

/**
 * Hashes every file the memo does not know. Contents read along the way are
 * kept, up to `keepBytes` in total, so a build that goes on to compress them
 * does not read them twice.
 */
export async function hashFiles(files: WalkedFile[], memo: HashMemo, what: string, keepBytes: number): Promise<HashedFiles> {
    const hashes = new Map<string, string>();
    const contents = new Map<string, Buffer>();
    const todo: WalkedFile[] = [];
    for (const f of files) {
        const known = memo.lookup(f);
        if (known) hashes.set(f.rel, known);
        else todo.push(f);
    }
    let kept = 0;
    let next = 0;
    const worker = async () => {
        while (next < todo.length) {
            const f = todo[next++];
            let data: Buffer;
            try {
                data = await fs.promises.readFile(f.abs);
            } catch (e) {
                throw describeFsError(e, f.abs, `file in the ${what}`);
            }
            const sha = crypto.createHash("sha256").update(data).digest("hex");
            hashes.set(f.rel, sha);
            memo.remember(f, sha);
            if (kept + data.length <= keepBytes) {
                contents.set(f.rel, data);
                kept += data.length;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, todo.length) }, worker));
    return { hashes, contents, hashedCount: todo.length };
}
