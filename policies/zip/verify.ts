// Verifying a zip's entry data against its central directory: every entry
// must inflate to exactly the size it declares, with the CRC-32 it declares.
// The reader itself only parses the directory and reads the few bytes the
// rules look at, so without this a handler with a wrong CRC, or an entry that
// declares 1,000 bytes and inflates to 10 GiB, passed every check (an outside
// review accepted 293 of 3,000 fuzzed archives with damaged data).
//
// A declared size is checked, never trusted: inflation stops one byte past
// it, so a lying entry costs at most its declared size. Memory stays bounded
// whatever the archive holds: small entries are inflated in one call into at
// most SMALL_ENTRY bytes, bigger ones are streamed through zlib's thread pool
// a chunk at a time and only counted and CRC'd. The work is asynchronous and
// yields to the event loop at least every YIELD_MS, so a process verifying a
// big archive still answers SIGINT and SIGTERM at once.
import * as zlib from "zlib";
import { withCommas } from "../rules/format";
import { freeNow, ZipEntry, ZipFormatError, ZipReader } from "./reader";

/** Entries no bigger than this (declared and compressed) are verified in one synchronous call. */
const SMALL_ENTRY = 1 << 18;
/** Compressed bytes read at a time from a big entry. */
const CHUNK = 1 << 20;
/** Big entries streamed at once: a second stream uses an idle core (zlib runs on its thread pool); more gained nothing on two busy cores. */
const IN_FLIGHT = 2;
/** Synchronous work between two turns of the event loop. */
const YIELD_MS = 20;
/** Problems listed at most (the rest are counted as one). */
const MAX_PROBLEMS = 20;

export interface VerifyResult {
    /** One sentence per damaged entry, naming it. */
    problems: string[];
    /** Entries whose data was checked. */
    verified: number;
    /** Uncompressed bytes inflated and checked. */
    bytes: number;
    /** The entries whose data is damaged. */
    damaged: ZipEntry[];
}

/**
 * Checks the data of `entries` (default: all of the reader's) and resolves
 * with what is wrong. Entries that are encrypted or use a method Lambda
 * cannot extract are left to the safety rule, which reports them anyway.
 */
export async function verifyEntries(reader: ZipReader, entries: readonly ZipEntry[] = reader.entries): Promise<VerifyResult> {
    const result: VerifyResult = { problems: [], verified: 0, bytes: 0, damaged: [] };
    const note = (entry: ZipEntry, problem: string | undefined) => {
        result.verified++;
        if (problem === undefined) {
            result.bytes += entry.uncompressedSize;
            return;
        }
        result.damaged.push(entry);
        if (result.problems.length < MAX_PROBLEMS) result.problems.push(`${entry.name}: ${problem}`);
    };
    const inFlight = new Set<Promise<void>>();
    // Records that share one entry's data and declare the same (an overlapping zip bomb, already a problem of the
    // layout) are verified once: a thousand records of one 1 GiB stream must not cost a thousand inflations.
    const firstAt = new Map<number, ZipEntry>();
    let slice = Date.now();
    for (const entry of entries) {
        if (Date.now() - slice >= YIELD_MS) {
            await new Promise((r) => setImmediate(r));
            slice = Date.now();
        }
        if ((entry.flags & 1) !== 0 || (entry.method !== 0 && entry.method !== 8)) continue;
        const first = firstAt.get(entry.localHeaderOffset);
        if (first && first.method === entry.method && first.compressedSize === entry.compressedSize && first.uncompressedSize === entry.uncompressedSize && first.crc32 === entry.crc32) continue;
        if (!first) firstAt.set(entry.localHeaderOffset, entry);
        if (entry.compressedSize === 0 && entry.uncompressedSize === 0 && entry.method === 0) {
            // No data to read (a folder, an empty file): only its CRC can be wrong. Saves a read per entry of
            // a million-entry directory.
            note(entry, entry.crc32 === 0 ? undefined : "its data does not match its CRC-32 (damaged)");
            continue;
        }
        if (entry.compressedSize <= SMALL_ENTRY && entry.uncompressedSize <= SMALL_ENTRY) {
            note(entry, verifySmall(reader, entry));
        } else {
            const p: Promise<void> = verifyStreamed(reader, entry).then((problem) => {
                inFlight.delete(p);
                note(entry, problem);
            });
            inFlight.add(p);
            if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
        }
    }
    await Promise.all(inFlight);
    const unlisted = result.damaged.length - result.problems.length;
    if (unlisted > 0) result.problems.push(`and ${unlisted} more damaged entries`);
    return result;
}

/** Where an entry's data starts, or the reason it cannot be found. */
function dataStart(reader: ZipReader, entry: ZipEntry): number | string {
    try {
        return reader.dataStart(entry);
    } catch (e) {
        if (e instanceof ZipFormatError) return e.message.startsWith(`${entry.name}: `) ? e.message.slice(entry.name.length + 2) : e.message;
        throw e;
    }
}

/** The compressed bytes of small entries, one at a time (verification is single-threaded for them). */
const smallScratch = Buffer.allocUnsafe(SMALL_ENTRY);

function verifySmall(reader: ZipReader, entry: ZipEntry): string | undefined {
    const start = dataStart(reader, entry);
    if (typeof start === "string") return start;
    const raw = reader.readRaw(start, entry.compressedSize, smallScratch);
    if (raw.length < entry.compressedSize) return "data runs past the end of the file";
    let data = raw;
    if (entry.method === 8) {
        try {
            // One byte more than declared is enough to know the declaration is a lie; room for that in one output chunk.
            data = zlib.inflateRawSync(raw, { maxOutputLength: entry.uncompressedSize + 1, chunkSize: Math.max(64, entry.uncompressedSize + 1) });
        } catch (e) {
            return inflateError(e, entry);
        }
    }
    const problem = judge(entry, data.length, zlib.crc32(data) >>> 0);
    // Given back now rather than at V8's next collection: thousands of entries would otherwise pile up as garbage.
    if (data !== raw) freeNow(data);
    return problem;
}

/** Streams a big entry through an inflater on zlib's thread pool, counting and CRC'ing what comes out. */
async function verifyStreamed(reader: ZipReader, entry: ZipEntry): Promise<string | undefined> {
    const start = dataStart(reader, entry);
    if (typeof start === "string") return start;
    if (entry.method === 0) {
        let crc = 0;
        const buffer = Buffer.allocUnsafe(CHUNK);
        for (let done = 0; done < entry.compressedSize; ) {
            const chunk = reader.readRaw(start + done, Math.min(CHUNK, entry.compressedSize - done), buffer);
            if (chunk.length === 0) return "data runs past the end of the file";
            crc = zlib.crc32(chunk, crc);
            done += chunk.length;
            await new Promise((r) => setImmediate(r));
        }
        return judge(entry, entry.compressedSize, crc >>> 0);
    }
    const inflate = zlib.createInflateRaw({ chunkSize: 256 * 1024 });
    let size = 0;
    let crc = 0;
    let tooBig = false;
    // Two read buffers taking turns: one is read into while zlib still holds the other, so the
    // compressed input costs 2 MiB whatever the entry's size, not a new buffer per chunk.
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    const released: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
    const closed = new Promise<void>((r) => inflate.once("close", () => r()));
    const feed = async () => {
        for (let done = 0, turn = 0; done < entry.compressedSize && !inflate.destroyed; turn ^= 1) {
            await released[turn];
            if (inflate.destroyed) break;
            const chunk = reader.readRaw(start + done, Math.min(CHUNK, entry.compressedSize - done), buffers[turn]);
            if (chunk.length === 0) break;
            done += chunk.length;
            // Settles once zlib is done with the buffer, or the inflater stopped (damage, or more than declared).
            released[turn] = Promise.race([new Promise<void>((r) => inflate.write(chunk, () => r())), closed]);
            if (inflate.writableNeedDrain) await Promise.race([new Promise<void>((r) => inflate.once("drain", r)), closed]);
        }
        if (!inflate.destroyed) inflate.end();
    };
    const fed = feed().catch((e) => inflate.destroy(e));
    try {
        for await (const out of inflate as AsyncIterable<Buffer>) {
            size += out.length;
            if (size > entry.uncompressedSize) {
                tooBig = true;
                inflate.destroy();
                break;
            }
            crc = zlib.crc32(out, crc);
            // zlib hands out slices of one output buffer and moves to a new one once it is full: the slice that
            // ends it is the last of that buffer (the earlier ones were read before it), so its memory can go now
            // rather than at V8's next collection (~80 MB of RSS while 1 GiB streamed through, before).
            if (out.byteOffset + out.length === out.buffer.byteLength) freeNow(out);
        }
    } catch (e) {
        await fed;
        return inflateError(e, entry);
    }
    await fed;
    if (tooBig) return `inflates to more than the ${withCommas(entry.uncompressedSize)} bytes it declares`;
    return judge(entry, size, crc >>> 0);
}

function judge(entry: ZipEntry, size: number, crc: number): string | undefined {
    if (size !== entry.uncompressedSize) return `holds ${withCommas(size)} bytes, not the ${withCommas(entry.uncompressedSize)} it declares`;
    if (crc !== entry.crc32) return `its data does not match its CRC-32 (damaged)`;
    return undefined;
}

function inflateError(e: unknown, entry: ZipEntry): string {
    const err = e as NodeJS.ErrnoException;
    if (err?.code === "ERR_BUFFER_TOO_LARGE") return `inflates to more than the ${withCommas(entry.uncompressedSize)} bytes it declares`;
    if (err?.code === "Z_BUF_ERROR") return "its compressed data ends early (truncated)";
    return `its compressed data is corrupt (${err?.message ?? String(e)})`;
}
