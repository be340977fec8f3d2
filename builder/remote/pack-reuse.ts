// An install that came from the remote cache keeps its pack (the zip it came
// in, checked entry by entry when it was unpacked) as installs/<key>/pack.zip,
// with pack.json: where each file's compressed bytes are, at which level and
// by which compressor. Every archive built from that install then copies
// those bytes instead of compressing the files again, as an archive built
// just after a fresh install copies what was compressed while it was listed.
import * as fs from "fs";
import * as path from "path";
import { fileCrc32 } from "../cache";
import { DEFLATE_ENGINE } from "../deflate-pool";
import { CompressedData, ManifestEntry, PreviousArchive } from "../zip-writer";

export const PACK_FILE = "pack.zip";
const PACK_INDEX = "pack.json";

interface PackIndex {
    level: number;
    compressors: string;
    /** The pack as written: a different size, mtime or CRC-32 means it changed on disk. */
    bytes: number;
    mtimeMs: number;
    crc32: number;
    entries: ManifestEntry[];
}

/** Writes pack.json beside a pack that was just checked (remote/entries.ts unpackInstall). */
export function writePackIndex(dir: string, level: number, compressors: string, entries: ManifestEntry[]): void {
    const pack = path.join(dir, PACK_FILE);
    const st = fs.statSync(pack);
    const index: PackIndex = { level, compressors, bytes: st.size, mtimeMs: st.mtimeMs, crc32: fileCrc32(pack), entries };
    fs.writeFileSync(path.join(dir, PACK_INDEX), JSON.stringify(index), { mode: 0o644 });
}

/** Packs whose bytes were checked in this process (path, size and mtime): the CRC-32 is computed once. */
const checked = new Set<string>();

/**
 * The compressed bytes an install's pack holds, by content hash, when they
 * were made at `level` by this compressor (other bytes would make another
 * archive than a build without the remote makes) and the pack is still as
 * it was checked. Empty otherwise.
 */
export function packReuse(installDir: string, level: number | undefined): Map<string, CompressedData> {
    const out = new Map<string, CompressedData>();
    if (level === undefined || level === 0) return out;
    let index: PackIndex;
    try {
        index = JSON.parse(fs.readFileSync(path.join(installDir, PACK_INDEX), "utf8"));
    } catch {
        return out; // not an install that came from the remote cache
    }
    const pack = path.join(installDir, PACK_FILE);
    try {
        if (index.level !== level || index.compressors !== DEFLATE_ENGINE || !Array.isArray(index.entries)) return out;
        const st = fs.statSync(pack);
        if (st.size !== index.bytes || st.mtimeMs !== index.mtimeMs) return out;
        const id = `${pack}\0${st.size}\0${st.mtimeMs}`;
        if (!checked.has(id)) {
            if (fileCrc32(pack) !== index.crc32) return out;
            checked.add(id);
        }
    } catch {
        return out;
    }
    const archive = new PreviousArchive(pack, index.entries);
    // Every entry's data is released with the others once the archive is written (the build discards them all).
    const spool = { discard: () => archive.close() };
    for (const e of index.entries) {
        const c = archive.lookup(e.sha256, e.size);
        if (c) out.set(e.sha256, { ...c, spool });
    }
    return out;
}
