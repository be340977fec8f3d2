// Reads a zip archive from its central directory without extracting it.
//
// Only the end-of-central-directory records and the central directory are
// parsed up front; entry contents are read on demand, and only as many bytes
// as a caller asks for (ELF headers, WHEEL files, a handler module). Every
// read is bounded, so a zip bomb cannot make us allocate what it declares.
// Structural lies that a bomb relies on (entries whose data overlap, sizes no
// deflate stream can produce) are collected in `problems`, not thrown.
import * as fs from "fs";
import * as zlib from "zlib";

export class ZipFormatError extends Error {}

/** One central-directory record. */
export interface ZipEntry {
    name: string;
    isDirectory: boolean;
    /** 0 = stored, 8 = deflate; anything else cannot be extracted by Lambda. */
    method: number;
    flags: number;
    crc32: number;
    compressedSize: number;
    uncompressedSize: number;
    localHeaderOffset: number;
    /** High byte of "version made by": 3 = Unix, 0 = MS-DOS/FAT, 19 = macOS. */
    madeByOs: number;
    externalAttributes: number;
    /** The Unix mode (type and permission bits) when the archive recorded one. */
    unixMode?: number;
}

/** Random access to the bytes of an archive. */
export interface ByteSource {
    readonly size: number;
    /** Reads into `scratch` when given and big enough (the result then shares its memory). */
    read(position: number, length: number, scratch?: Buffer): Buffer;
    close(): void;
}

export const UNIX_OS = 3;
const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX_COMMENT = 0xffff;
/** Deflate cannot expand more than ~1032:1; a bigger declared ratio is a lie. */
const MAX_DEFLATE_RATIO = 1100;
/**
 * Compressed bytes fed beyond the estimate: enough for a block header, and
 * enough that a 1 KiB probe of a shared object also yields the 16 KiB its
 * ELF tables are read from first (one inflate instead of two).
 */
const WINDOW_SLACK = 8192;
/** How many times better than its whole entry a prefix may compress before its output needs a second chunk. */
const PREFIX_RATIO_SLACK = 4;
/** Far more entries than any Lambda package; refusing avoids unbounded memory. */
const MAX_ENTRIES = 1_000_000;
const MAX_CENTRAL_DIRECTORY_BYTES = 256 * 1024 * 1024;
/** Synchronous parsing between two turns of the event loop (ZipReader.open). */
const YIELD_MS = 20;

/**
 * A zip file read through one descriptor. `close()` releases it; a later
 * read opens the file again (callers that keep the parsed directory for a
 * few more reads need not hold a descriptor meanwhile), refusing a file
 * whose size changed since the directory was read.
 */
function fileSource(path: string): ByteSource {
    let fd: number | undefined = fs.openSync(path, "r");
    const size = fs.fstatSync(fd).size;
    const open = (): number => {
        if (fd !== undefined) return fd;
        const again = fs.openSync(path, "r");
        if (fs.fstatSync(again).size !== size) {
            fs.closeSync(again);
            throw new ZipFormatError(`${path} changed while it was being inspected`);
        }
        return (fd = again);
    };
    return {
        size,
        read(position, length, scratch) {
            const file = open();
            const want = Math.max(0, Math.min(length, size - position));
            const buf = scratch && scratch.length >= want ? scratch.subarray(0, want) : Buffer.allocUnsafe(want);
            let done = 0;
            while (done < buf.length) {
                const n = fs.readSync(file, buf, done, buf.length - done, position + done);
                if (n === 0) break;
                done += n;
            }
            return done === buf.length ? buf : buf.subarray(0, done);
        },
        close() {
            if (fd !== undefined) fs.closeSync(fd);
            fd = undefined;
        },
    };
}

export class ZipReader {
    readonly entries: ZipEntry[];
    /** Signs of a malicious or broken archive that did not stop parsing. */
    readonly problems: string[] = [];
    /** The longest prefix inflated of the entry read last (see readPrefix); `inflated` when this reader made its memory. */
    private lastPrefix?: { entry: ZipEntry; data: Buffer; inflated: boolean };
    /** Compressed input of readPrefix, reused across entries. */
    private scratch = Buffer.alloc(0);

    /** Parses the central directory at once; `entries` when it was parsed already (ZipReader.open). */
    constructor(
        private readonly src: ByteSource,
        entries?: ZipEntry[],
    ) {
        if (entries) this.entries = entries;
        else {
            const parse = readCentralDirectory(src);
            let step = parse.next();
            while (!step.done) step = parse.next();
            this.entries = step.value;
        }
        this.checkLayout();
    }

    /**
     * The reader of a zip whose central directory is parsed in slices, with
     * turns of the event loop between them: a million records take about half
     * a second, which a CLI must not spend deaf to Ctrl-C.
     */
    static async open(src: ByteSource): Promise<ZipReader> {
        const parse = readCentralDirectory(src);
        let step = parse.next();
        while (!step.done) {
            await new Promise((r) => setImmediate(r));
            step = parse.next();
        }
        return new ZipReader(src, step.value);
    }

    get size(): number {
        return this.src.size;
    }

    /** Releases the descriptor and the read buffers; later reads reopen the file. */
    close(): void {
        this.src.close();
        this.releasePrefix();
        this.scratch = Buffer.alloc(0);
    }

    /**
     * The first `length` bytes of an entry's content (fewer if the entry is
     * shorter), decompressing only as much as needed. Readers that look at
     * one entry several times, each asking for more (a binary probe, then the
     * ELF tables), get the prefix already inflated for the last entry read
     * instead of inflating it again from the start. The bytes returned stay
     * valid until the next readPrefix call or close(); keep a copy to hold
     * them longer.
     */
    readPrefix(entry: ZipEntry, length: number): Buffer {
        const want = Math.min(length, entry.uncompressedSize);
        if (want === 0) return Buffer.alloc(0);
        const last = this.lastPrefix;
        if (last && last.entry === entry && last.data.length >= want) return last.data.subarray(0, want);
        // Every prefix read before this call is now superseded: its memory is
        // freed at once rather than left for V8 to collect (ELF tables read
        // from every shared object otherwise pile up as tens of MB of garbage).
        this.releasePrefix();
        const dataStart = this.dataOffset(entry);
        if (entry.method === 0) {
            // The source's own bytes: kept for a shorter read, never freed here.
            const data = this.src.read(dataStart, want);
            this.lastPrefix = { entry, data, inflated: false };
            return data;
        }
        if (entry.method !== 8) throw new ZipFormatError(`${entry.name}: compression method ${entry.method} is not supported`);
        // Node's synchronous inflate cannot be paused and resumed, so a longer
        // prefix is inflated again from the start; what keeps that cheap is
        // feeding it only about as much compressed data as `want` needs (the
        // entry's own ratio, plus slack), not `want` compressed bytes, which
        // inflate to several times `want`. The output never exceeds the
        // declared size without the entry lying about it.
        const ratio = entry.compressedSize / Math.max(1, entry.uncompressedSize);
        // The compressed bytes go through one reused buffer and the output is
        // one allocation of about the room given (see below), so reading every ELF's
        // tables leaves little garbage behind (peak memory, not speed).
        let window = Math.min(entry.compressedSize, Math.ceil(want * ratio * 1.25) + WINDOW_SLACK);
        for (;;) {
            if (this.scratch.length < window) {
                freeNow(this.scratch);
                this.scratch = Buffer.allocUnsafe(Math.max(window, this.scratch.length * 2));
            }
            // The output room: a prefix often compresses several times better than
            // its whole entry (ELF symbol tables), and output that fills the room
            // exactly makes zlib start another chunk and join them, leaving both
            // as garbage. Room that is never written costs no memory.
            const room = Math.min(entry.uncompressedSize + 1, Math.ceil((PREFIX_RATIO_SLACK * window) / Math.max(ratio, 1e-3)) + 65536);
            const out = inflatePartial(this.src.read(dataStart, window, this.scratch), entry.name, Math.max(1, entry.uncompressedSize), room);
            if (out.length >= want || window >= entry.compressedSize) {
                this.lastPrefix = { entry, data: out, inflated: true };
                return out.subarray(0, want);
            }
            freeNow(out);
            window = Math.min(entry.compressedSize, window * 2);
        }
    }

    private releasePrefix(): void {
        if (this.lastPrefix?.inflated) freeNow(this.lastPrefix.data);
        this.lastPrefix = undefined;
    }

    /**
     * The whole content of a small entry, checked against its CRC. Returns
     * undefined when the entry declares more than `maxBytes`.
     */
    readAll(entry: ZipEntry, maxBytes: number): Buffer | undefined {
        if (entry.uncompressedSize > maxBytes) return undefined;
        // Nothing to read (a folder, an empty file): judged by its CRC alone, as verification judges it.
        if (entry.method === 0 && entry.compressedSize === 0 && entry.uncompressedSize === 0) {
            if (entry.crc32 !== 0) throw new ZipFormatError(`${entry.name}: content does not match its declared size and CRC`);
            return Buffer.alloc(0);
        }
        const raw = this.src.read(this.dataOffset(entry), entry.compressedSize);
        let data: Buffer;
        if (entry.method === 0) {
            data = raw;
        } else if (entry.method === 8) {
            try {
                data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
            } catch (e) {
                throw new ZipFormatError(`${entry.name}: ${describeZlibError(e, "content does not match its declared size")}`);
            }
        } else {
            throw new ZipFormatError(`${entry.name}: compression method ${entry.method} is not supported`);
        }
        if (data.length !== entry.uncompressedSize || zlib.crc32(data) >>> 0 !== entry.crc32) {
            throw new ZipFormatError(`${entry.name}: content does not match its declared size and CRC`);
        }
        return data;
    }

    /** Bytes of the archive itself (an entry's compressed data, for verify.ts); into `scratch` when it is big enough. */
    readRaw(position: number, length: number, scratch?: Buffer): Buffer {
        return this.src.read(position, length, scratch);
    }

    /** Where an entry's data starts, after its local header; throws ZipFormatError when that header is missing. */
    dataStart(entry: ZipEntry): number {
        return this.dataOffset(entry);
    }

    private dataOffset(entry: ZipEntry): number {
        // The header and, in the same read, the name it should hold (a longer or shorter one differs anyway).
        const header = this.src.read(entry.localHeaderOffset, 30 + Buffer.byteLength(entry.name));
        if (header.length < 30 || header.readUInt32LE(0) !== LOCAL_SIG) {
            throw new ZipFormatError(`${entry.name}: local file header missing at offset ${entry.localHeaderOffset}`);
        }
        // Extractors that read the local headers (streaming ones) would make another file than the directory
        // lists, or decode it another way: what inspect judged would not be what Lambda runs.
        const flags = header.readUInt16LE(6);
        const nameLength = header.readUInt16LE(26);
        const nameBytes = 30 + nameLength <= header.length ? header.subarray(30, 30 + nameLength) : this.src.read(entry.localHeaderOffset + 30, nameLength);
        const localName = decodeName(nameBytes, flags);
        if (localName !== entry.name) throw new ZipFormatError(`${entry.name}: its local header names it ${JSON.stringify(localName)}; extractors disagree on which name to use`);
        if (header.readUInt16LE(8) !== entry.method || (flags & 1) !== (entry.flags & 1)) {
            throw new ZipFormatError(`${entry.name}: its local header and the central directory disagree on its compression or encryption`);
        }
        const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
        if (start + entry.compressedSize > this.src.size) {
            throw new ZipFormatError(`${entry.name}: data runs past the end of the file`);
        }
        return start;
    }

    /** Overlapping data and impossible sizes are how zip bombs work. */
    private checkLayout(): void {
        const byOffset = [...this.entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
        for (let i = 0; i < byOffset.length; i++) {
            const e = byOffset[i];
            // A lower bound on the local record's length: header, name, data.
            const end = e.localHeaderOffset + 30 + Buffer.byteLength(e.name) + e.compressedSize;
            const next = byOffset[i + 1];
            if (next && end > next.localHeaderOffset) {
                this.problems.push(`entries ${e.name} and ${next.name} share compressed data (an overlapping-entry zip bomb)`);
                break;
            }
            if (end > this.src.size) {
                this.problems.push(`${e.name}: data runs past the end of the file (truncated archive)`);
                break;
            }
        }
        for (const e of this.entries) {
            if (e.method === 0 && e.compressedSize !== e.uncompressedSize) {
                this.problems.push(`${e.name}: stored entry declares ${e.uncompressedSize} bytes but holds ${e.compressedSize}`);
            } else if (e.method === 8 && e.uncompressedSize > e.compressedSize * MAX_DEFLATE_RATIO + 65536) {
                this.problems.push(`${e.name}: declares ${e.uncompressedSize} bytes from ${e.compressedSize} compressed bytes, more than deflate can produce (a zip bomb or a corrupt header)`);
            }
            if (this.problems.length >= 20) break;
        }
    }
}

/**
 * Parses the central directory, yielding every YIELD_MS (see ZipReader.open); returns its records. With
 * `only`, the records of that name alone (its bytes, compared as they are in the archive): the others are
 * stepped over without decoding a name or making an entry.
 */
function* readCentralDirectory(src: ByteSource, only?: Buffer): Generator<void, ZipEntry[]> {
    const size = src.size;
    if (size < 22) throw new ZipFormatError("not a zip file: too short for an end-of-central-directory record");
    const tailLength = Math.min(size, 22 + MAX_COMMENT + 20);
    const tailStart = size - tailLength;
    const tail = src.read(tailStart, tailLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
        if (tail.readUInt32LE(i) === EOCD_SIG && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) {
            eocd = i;
            break;
        }
    }
    if (eocd < 0) throw new ZipFormatError("not a zip file: no end-of-central-directory record");

    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    const locator = eocd - 20;
    if (locator >= 0 && tail.readUInt32LE(locator) === ZIP64_LOCATOR_SIG) {
        const z64Offset = readUInt64(tail, locator + 8);
        const z64 = src.read(z64Offset, 56);
        if (z64.length < 56 || z64.readUInt32LE(0) !== ZIP64_EOCD_SIG) {
            throw new ZipFormatError("corrupt zip64 end-of-central-directory record");
        }
        count = readUInt64(z64, 32);
        cdSize = readUInt64(z64, 40);
        cdOffset = readUInt64(z64, 48);
    }
    if (count > MAX_ENTRIES) throw new ZipFormatError(`declares ${count} entries; refusing more than ${MAX_ENTRIES}`);
    if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) throw new ZipFormatError(`central directory of ${cdSize} bytes is implausibly large`);
    if (cdOffset + cdSize > size) throw new ZipFormatError("central directory runs past the end of the file (truncated download?)");

    const cd = src.read(cdOffset, cdSize);
    const entries: ZipEntry[] = [];
    let p = 0;
    let slice = Date.now();
    for (let i = 0; i < count; i++) {
        if ((i & 1023) === 0 && Date.now() - slice >= YIELD_MS) {
            yield;
            slice = Date.now();
        }
        if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) {
            throw new ZipFormatError(`central directory record ${i + 1} of ${count} is damaged`);
        }
        const madeBy = cd.readUInt16LE(p + 4);
        const flags = cd.readUInt16LE(p + 8);
        const nameLength = cd.readUInt16LE(p + 28);
        const extraLength = cd.readUInt16LE(p + 30);
        const commentLength = cd.readUInt16LE(p + 32);
        const end = p + 46 + nameLength + extraLength + commentLength;
        if (end > cd.length) throw new ZipFormatError(`central directory record ${i + 1} runs past the directory`);
        const nameBytes = cd.subarray(p + 46, p + 46 + nameLength);
        if (only && !only.equals(nameBytes)) {
            p = end;
            continue;
        }
        const entry: ZipEntry = {
            name: decodeName(nameBytes, flags),
            isDirectory: false,
            method: cd.readUInt16LE(p + 10),
            flags,
            crc32: cd.readUInt32LE(p + 16),
            compressedSize: cd.readUInt32LE(p + 20),
            uncompressedSize: cd.readUInt32LE(p + 24),
            localHeaderOffset: cd.readUInt32LE(p + 42),
            madeByOs: madeBy >> 8,
            externalAttributes: cd.readUInt32LE(p + 38),
        };
        applyZip64Extra(entry, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
        const mode = entry.externalAttributes >>> 16;
        if (entry.madeByOs === UNIX_OS && mode !== 0) entry.unixMode = mode;
        entry.isDirectory = entry.name.endsWith("/") || (entry.unixMode !== undefined && (entry.unixMode & 0o170000) === 0o040000) || (entry.externalAttributes & 0x10) !== 0;
        entries.push(entry);
        p = end;
    }
    return entries;
}

/** Opens a zip file; throws ZipFormatError when it is not a readable zip. */
export function openZipFile(path: string): ZipReader {
    const src = fileSource(path);
    try {
        return new ZipReader(src);
    } catch (e) {
        src.close();
        throw e;
    }
}

/**
 * A reader of the entries named `name` alone (none, one, or a duplicated name's several): its central
 * directory's other records are only stepped over. For one file of a big archive, as the handler check reads
 * the handler's module: 10,000 records cost ~0.3 ms instead of ~10 ms and 10,000 entries.
 */
export function openZipFileFor(path: string, name: string): ZipReader {
    const src = fileSource(path);
    try {
        const parse = readCentralDirectory(src, Buffer.from(name, "utf8"));
        let step = parse.next();
        while (!step.done) step = parse.next();
        return new ZipReader(src, step.value);
    } catch (e) {
        src.close();
        throw e;
    }
}

/** openZipFile, parsing the directory in slices (ZipReader.open). */
export async function openZipFileAsync(path: string): Promise<ZipReader> {
    const src = fileSource(path);
    try {
        return await ZipReader.open(src);
    } catch (e) {
        src.close();
        throw e;
    }
}

/**
 * Frees a buffer's memory now instead of at V8's next collection, by
 * detaching its ArrayBuffer (ES2024 `transfer`; views of it become empty).
 * Only for buffers nobody else holds, and never a slice of Node's shared
 * pool of small buffers: those are left to the collector.
 */
export function freeNow(b: Buffer): void {
    const ab = b.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer; detached?: boolean };
    if (ab.byteLength > Buffer.poolSize && typeof ab.transfer === "function" && !ab.detached) ab.transfer(0);
}

/** Inflates as much of a (possibly truncated) raw deflate stream as it holds. */
function inflatePartial(compressed: Buffer, name: string, declaredSize: number, room: number): Buffer {
    try {
        return zlib.inflateRawSync(compressed, {
            finishFlush: zlib.constants.Z_SYNC_FLUSH,
            maxOutputLength: declaredSize,
            // One output chunk when the room suffices, instead of 16 KiB chunks joined by a copy;
            // never less than 16 KiB, so the output has memory of its own (see freeNow).
            chunkSize: Math.max(16 * 1024, Math.min(room, 16 * 1024 * 1024)),
        });
    } catch (e) {
        throw new ZipFormatError(`${name}: ${describeZlibError(e, "expands far beyond its declared size")}`);
    }
}

function describeZlibError(e: unknown, tooLarge: string): string {
    const err = e as NodeJS.ErrnoException;
    if (err && err.code === "ERR_BUFFER_TOO_LARGE") return tooLarge;
    return `compressed data is corrupt (${err?.message ? err.message : String(e)})`;
}

function readUInt64(buf: Buffer, offset: number): number {
    const value = buf.readBigUInt64LE(offset);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError("zip64 value out of range");
    return Number(value);
}

function applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
    const needs = entry.uncompressedSize === 0xffffffff || entry.compressedSize === 0xffffffff || entry.localHeaderOffset === 0xffffffff;
    if (!needs) return;
    for (let p = 0; p + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(p);
        const length = extra.readUInt16LE(p + 2);
        if (id === 0x0001) {
            let q = p + 4;
            // The field's declared length may run past the extra data it sits in: read only what is there.
            const end = Math.min(q + length, extra.length);
            const take = (): number => {
                if (q + 8 > end) throw new ZipFormatError(`${entry.name}: zip64 extra field is too short`);
                const v = readUInt64(extra, q);
                q += 8;
                return v;
            };
            if (entry.uncompressedSize === 0xffffffff) entry.uncompressedSize = take();
            if (entry.compressedSize === 0xffffffff) entry.compressedSize = take();
            if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = take();
            return;
        }
        p += 4 + length;
    }
    throw new ZipFormatError(`${entry.name}: sizes need a zip64 extra field that is missing`);
}

// Bytes 0x80-0xFF of code page 437, which zip uses for names without the UTF-8 flag.
const CP437_HIGH = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0";

function decodeName(bytes: Buffer, flags: number): string {
    if (flags & 0x800) return bytes.toString("utf8");
    let ascii = true;
    for (const b of bytes) if (b >= 0x80) ascii = false;
    if (ascii) return bytes.toString("latin1");
    // Many tools write UTF-8 without setting the flag; prefer it when valid.
    const utf8 = bytes.toString("utf8");
    if (!utf8.includes("\ufffd")) return utf8;
    let out = "";
    for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
    return out;
}
