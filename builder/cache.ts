// Where the builder keeps what it can reuse, all keyed by content:
//
//   installs/<install key>/    dependencies installed for one target (complete once present)
//   archives/<build key>.zip   finished archives
//   archives/<build key>.json  its record: sha256, sizes and the facts the checks judge
//   archives/<build key>.manifest.json  per-entry offsets and hashes, for reuse
//   slots/<slot key>.json      the last build of one source+options, for entry reuse
//   hashes/<root hash>.json    content hashes of a folder's files, by stat
//   tmp/                       work in progress, never read by another build
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { ownerTag } from "../shared/owner";
import { removeQuietly } from "../shared/atomic";

/** Bumped whenever the archive layout, any normalisation or the recorded facts change (2: uv_cache.json left out, ELF glibc needs; 3: credentials found in the archive's own files). */
export const FORMAT_VERSION = 3;

export function sha256Hex(data: string | Buffer): string {
    return crypto.createHash("sha256").update(data).digest("hex");
}

/** Read buffer of fileCrc32, kept between calls (a no-change rebuild reads the whole archive through it). */
let crcBuffer: Buffer | undefined;

/**
 * CRC-32 of a whole file: what a cached archive's record holds of its bytes.
 * A checksum against damage (any burst up to 32 bits, anything else missed
 * with probability 2^-32), not against someone who can write the cache (they
 * could rewrite the record too). zlib's CRC runs at several GB/s here, so a
 * no-change rebuild of the 73.5 MB benchmark archive pays ~15 ms for it.
 */
export function fileCrc32(file: string): number {
    crcBuffer ??= Buffer.allocUnsafe(4 << 20);
    const fd = fs.openSync(file, "r");
    try {
        let crc = 0;
        for (let position = 0; ; ) {
            const n = fs.readSync(fd, crcBuffer, 0, crcBuffer.length, position);
            if (n === 0) return crc >>> 0;
            crc = zlib.crc32(crcBuffer.subarray(0, n), crc);
            position += n;
        }
    } finally {
        fs.closeSync(fd);
    }
}

/** A short, stable key for a JSON-able value. */
export function keyOf(value: unknown): string {
    return sha256Hex(JSON.stringify(value)).slice(0, 40);
}

export class BuildCache {
    constructor(readonly root: string) {}

    archivePath(key: string): string {
        return path.join(this.root, "archives", `${key}.zip`);
    }

    archiveRecordPath(key: string): string {
        return path.join(this.root, "archives", `${key}.json`);
    }

    /** Per-entry offsets and hashes of an archive, for reusing its compressed bytes. */
    archiveManifestPath(key: string): string {
        return path.join(this.root, "archives", `${key}.manifest.json`);
    }

    installDir(key: string): string {
        return path.join(this.root, "installs", key);
    }

    slotPath(slot: string): string {
        return path.join(this.root, "slots", `${slot}.json`);
    }

    hashMemoPath(folder: string): string {
        return path.join(this.root, "hashes", `${keyOf(folder)}.json`);
    }

    /** A fresh folder for one build's work in progress. */
    makeTempDir(label: string): string {
        const dir = path.join(this.root, "tmp");
        fs.mkdirSync(dir, { recursive: true });
        return fs.mkdtempSync(path.join(dir, `${label}-${ownerTag()}-`));
    }

    /**
     * Removes leftovers of interrupted builds (older than a day, so that
     * builds running right now keep theirs) and archives unused for a month.
     */
    sweep(): void {
        const now = Date.now();
        const oldTemp = now - 24 * 3600_000;
        const oldUse = now - 30 * 24 * 3600_000;
        const listing = (dir: string) => {
            try {
                return fs.readdirSync(dir).map((n) => path.join(dir, n));
            } catch {
                return [];
            }
        };
        const mtime = (p: string) => {
            try {
                return fs.statSync(p).mtimeMs;
            } catch {
                return now;
            }
        };
        for (const p of listing(path.join(this.root, "tmp"))) if (mtime(p) < oldTemp) removeQuietly(p);
        for (const p of listing(path.join(this.root, "archives"))) {
            const base = path.basename(p);
            if (base.startsWith(".") && base.includes(".tmp-") && mtime(p) < oldTemp) removeQuietly(p);
            else if (/^[0-9a-f]+\.json$/.test(base) && mtime(p) < oldUse) {
                const key = base.slice(0, -".json".length);
                for (const f of [this.archiveRecordPath(key), this.archivePath(key), this.archiveManifestPath(key)]) removeQuietly(f);
            }
        }
    }
}
