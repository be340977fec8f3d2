// Where the builder keeps what it can reuse, all keyed by content:
//
//   installs/<install key>/    dependencies installed for one target (complete once present)
//   archives/<build key>.zip   finished archives
//   archives/<build key>.json  its record: sha256, sizes and the facts the checks judge
//   archives/<build key>.manifest.json  per-entry offsets and hashes, for reuse
//   slots/<slot key>.json      the last build of one source+options, for entry reuse
//   hashes/<root hash>.json    content hashes of a folder's files, by stat
//   slim/<key>.json, <key>.so  one shared object stripped (slim/index.ts): its record, the stripped copy
//   bytecode/<CPython>/<key>.pyc  one module compiled for the target (target-bytecode.ts)
//   preview/typescript/        a program file's transpiled TypeScript (preview/typescript-cache.ts)
//   tmp/                       work in progress, never read by another build
//   .swept                     its mtime: when sweep() last ran
//
// sweep() bounds everything that grows with use (installs, archives, slots,
// hash memos, stripped objects, bytecode, transpiled TypeScript) by age of
// last use; each build marks what it uses (markUsed). See DESIGN.md, "The
// cache and its keys".
import * as crypto from "crypto";
import * as fs from "fs";
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

    /** An install's list of files: written last, it says the install is complete, and its mtime when a build last used it. */
    installManifestPath(key: string): string {
        return path.join(this.installDir(key), INSTALL_MANIFEST);
    }

    slotPath(slot: string): string {
        return path.join(this.root, "slots", `${slot}.json`);
    }

    hashMemoPath(folder: string): string {
        return path.join(this.root, "hashes", `${keyOf(folder)}.json`);
    }

    /** Stripped shared objects (`slim`): `<key>.json` records one, `<key>.so` is the stripped copy. */
    slimDir(): string {
        return path.join(this.root, "slim");
    }

    /** Modules compiled by one CPython (`bytecode`): `<key>.pyc`, an empty one for a module that does not compile. */
    bytecodeDir(store: string): string {
        return path.join(this.root, "bytecode", store);
    }

    /** The folders where a build killed outright may leave temporaries (leftovers.ts sweeps them at each build's start). */
    leftoverFolders(): string[] {
        const bytecode = path.join(this.root, "bytecode");
        return [...["tmp", "archives", "slots", "hashes", "installs", "slim"].map((d) => path.join(this.root, d)), ...listing(bytecode)];
    }

    /** A fresh folder for one build's work in progress. */
    makeTempDir(label: string): string {
        const dir = path.join(this.root, "tmp");
        fs.mkdirSync(dir, { recursive: true });
        return fs.mkdtempSync(path.join(dir, `${label}-${ownerTag()}-`));
    }

    /**
     * Removes leftovers of interrupted builds (older than a day, so that
     * builds running right now keep theirs), and installs, archives, slots,
     * hash memos, stripped shared objects, compiled modules and the preview's
     * transpiled TypeScript unused for a month: an entry is used when a build
     * reads it (markUsed, or a fresh write), so one that a build is about to
     * use is a day old at most and never swept. At most once an hour per
     * cache (the mtime of `.swept` says when it last ran): a stack's fifty
     * builds would otherwise each stat every entry.
     */
    sweep(options: { evenIfRecent?: boolean } = {}): void {
        const now = Date.now();
        const oldTemp = now - 24 * 3600_000;
        const oldUse = now - UNUSED_FOR_MS;
        const mtime = (p: string, missing = now) => {
            try {
                return fs.statSync(p).mtimeMs;
            } catch {
                return missing;
            }
        };
        const marker = path.join(this.root, ".swept");
        if (!options.evenIfRecent && now - mtime(marker, 0) < SWEEP_EVERY_MS) return;
        try {
            fs.writeFileSync(marker, "");
        } catch {
            // a cache that cannot be written: the build says so where it writes
        }
        const temporary = (p: string) => {
            const base = path.basename(p);
            return base.startsWith(".") && base.includes(".tmp-");
        };
        for (const p of listing(path.join(this.root, "tmp"))) if (mtime(p) < oldTemp) removeQuietly(p);
        /** In `dir`: old temporaries, and each entry whose use mark (`<key><marked>`) is a month old, with its companions. */
        const sweepEntries = (dir: string, marked: string, companions: string[]) => {
            for (const p of listing(dir)) {
                const base = path.basename(p);
                if (temporary(p)) {
                    if (mtime(p) < oldTemp) removeQuietly(p);
                } else if (base.endsWith(marked) && /^[0-9a-f]+$/.test(base.slice(0, -marked.length)) && mtime(p) < oldUse) {
                    const key = base.slice(0, -marked.length);
                    for (const suffix of [marked, ...companions]) removeQuietly(path.join(dir, key + suffix));
                }
            }
        };
        sweepEntries(path.join(this.root, "archives"), ".json", [".zip", ".manifest.json"]);
        // A slot or a hash memo gone costs the next build of its folder speed, not correctness.
        sweepEntries(path.join(this.root, "slots"), ".json", []);
        sweepEntries(path.join(this.root, "hashes"), ".json", []);
        sweepEntries(this.slimDir(), ".json", [".so"]);
        for (const store of listing(path.join(this.root, "bytecode"))) sweepEntries(store, ".pyc", []);
        // The preview's transpiled program files: `<path hash>-<input hash>.js`, marked when a preview reads one.
        for (const p of listing(path.join(this.root, "preview", "typescript"))) if (/^[0-9a-f]{16}-[0-9a-f]{32}\.js$/.test(path.basename(p)) && mtime(p) < oldUse) removeQuietly(p);
        // An install is a folder, judged by its manifest's mark. It leaves installs/ in one rename, into tmp/,
        // so that no build finds it half removed; one without a manifest is not an install and is left alone.
        for (const dir of listing(path.join(this.root, "installs"))) {
            const key = path.basename(dir);
            if (!/^[0-9a-f]+$/.test(key) || mtime(this.installManifestPath(key), now) >= oldUse) continue;
            try {
                const gone = this.makeTempDir("swept");
                try {
                    fs.renameSync(dir, path.join(gone, key));
                } finally {
                    removeQuietly(gone);
                }
            } catch {
                // taken by another sweep, or a cache that cannot be written
            }
        }
    }
}

/** The file in an install's folder that lists its files (BuildCache.installManifestPath). */
export const INSTALL_MANIFEST = "manifest.json";

/** How often a cache is swept at most. */
export const SWEEP_EVERY_MS = 3600_000;

/** How long an install, an archive, a slot, a hash memo, a stripped shared object or a compiled module stays in the cache unused. */
export const UNUSED_FOR_MS = 30 * 24 * 3600_000;

/**
 * Marks a cache entry used (its mtime, what sweep() judges by), given the
 * mtime the caller's stat found: at most once a day, so that a build reading
 * thousands of compiled modules writes almost none of them.
 */
export function markUsed(file: string, mtimeMs: number = mtimeOf(file)): void {
    const now = Date.now();
    if (now - mtimeMs < 24 * 3600_000) return;
    try {
        fs.utimesSync(file, new Date(now), new Date(now));
    } catch {
        // gone meanwhile: the reader finds it missing and makes it again
    }
}

function mtimeOf(file: string): number {
    try {
        return fs.statSync(file).mtimeMs;
    } catch {
        return Date.now(); // gone: nothing to mark
    }
}

function listing(dir: string): string[] {
    try {
        return fs.readdirSync(dir).map((n) => path.join(dir, n));
    } catch {
        return [];
    }
}
