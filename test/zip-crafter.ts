// Hand-made zips for tests: every header field under the test's control, so
// archives can be malformed on purpose (declared sizes, modes, overlapping
// entries, zip64, foreign binaries). Deliberately independent of the
// builder's writer.
import * as fs from "fs";
import * as zlib from "zlib";

export interface CraftEntry {
    name: string;
    data?: Buffer;
    /** Store instead of deflate. */
    stored?: boolean;
    /** Unix mode including type bits; default a 0644 file or 0755 folder. */
    mode?: number;
    /** "made by" OS: 3 Unix (default), 0 MS-DOS. */
    madeBy?: number;
    /** Pre-compressed data and the sizes/CRC to declare for it (for entries too big to hold). */
    raw?: { compressed: Buffer; size: number; crc32: number; method: number };
    /** Point this entry's data at another entry's (zip-bomb overlap). */
    shareDataWith?: string;
    flags?: number;
    /** Record the sizes in a zip64 extra field of the central directory (0xFFFFFFFF in the fixed fields). */
    zip64Extra?: boolean;
    /** Another name in the local header than in the central directory (what streaming extractors would use). */
    localName?: string;
    /** Another compression method in the local header than in the central directory. */
    localMethod?: number;
    /** Sizes and CRC after the data (flag bit 3), zero in the local header, as streaming writers do. */
    dataDescriptor?: boolean;
}

export interface CraftOptions {
    zip64?: boolean;
}

export function craftZip(entries: CraftEntry[], options: CraftOptions = {}): Buffer {
    const parts: Buffer[] = [];
    const central: Buffer[] = [];
    const offsets = new Map<string, number>();
    let offset = 0;
    for (const e of entries) {
        const isDir = e.name.endsWith("/");
        const data = e.data ?? Buffer.alloc(0);
        let method = 0;
        let body = data;
        let size = data.length;
        let crc = zlib.crc32(data) >>> 0;
        if (e.raw) {
            ({ method, size, crc32: crc } = e.raw);
            body = e.raw.compressed;
        } else if (!e.stored && !isDir && data.length) {
            method = 8;
            body = zlib.deflateRawSync(data);
        }
        const name = Buffer.from(e.name);
        let headerOffset = offset;
        if (e.shareDataWith) {
            headerOffset = offsets.get(e.shareDataWith)!;
        } else {
            const localName = e.localName === undefined ? name : Buffer.from(e.localName);
            const local = Buffer.alloc(30);
            local.writeUInt32LE(0x04034b50, 0);
            local.writeUInt16LE(20, 4);
            local.writeUInt16LE((e.flags ?? 0) | (e.dataDescriptor ? 8 : 0), 6);
            local.writeUInt16LE(e.localMethod ?? method, 8);
            local.writeUInt16LE(0x21, 12);
            if (!e.dataDescriptor) {
                local.writeUInt32LE(crc, 14);
                local.writeUInt32LE(body.length, 18);
                local.writeUInt32LE(size, 22);
            }
            local.writeUInt16LE(localName.length, 26);
            const descriptor = Buffer.alloc(e.dataDescriptor ? 16 : 0);
            if (e.dataDescriptor) {
                descriptor.writeUInt32LE(0x08074b50, 0);
                descriptor.writeUInt32LE(crc, 4);
                descriptor.writeUInt32LE(body.length, 8);
                descriptor.writeUInt32LE(size, 12);
            }
            parts.push(local, localName, body, descriptor);
            offsets.set(e.name, offset);
            offset += 30 + localName.length + body.length + descriptor.length;
        }
        const mode = e.mode ?? (isDir ? 0o040755 : 0o100644);
        const cd = Buffer.alloc(46);
        cd.writeUInt32LE(0x02014b50, 0);
        cd.writeUInt16LE(((e.madeBy ?? 3) << 8) | 20, 4);
        cd.writeUInt16LE(20, 6);
        cd.writeUInt16LE((e.flags ?? 0) | (e.dataDescriptor ? 8 : 0), 8);
        cd.writeUInt16LE(method, 10);
        cd.writeUInt16LE(0x21, 14);
        cd.writeUInt32LE(crc, 16);
        cd.writeUInt32LE(e.zip64Extra ? 0xffffffff : body.length, 20);
        cd.writeUInt32LE(e.zip64Extra ? 0xffffffff : size, 24);
        cd.writeUInt16LE(name.length, 28);
        cd.writeUInt32LE(((mode << 16) | (isDir ? 0x10 : 0)) >>> 0, 38);
        cd.writeUInt32LE(headerOffset, 42);
        let extra = Buffer.alloc(0);
        if (e.zip64Extra) {
            extra = Buffer.alloc(20);
            extra.writeUInt16LE(0x0001, 0);
            extra.writeUInt16LE(16, 2);
            extra.writeBigUInt64LE(BigInt(size), 4);
            extra.writeBigUInt64LE(BigInt(body.length), 12);
            cd.writeUInt16LE(extra.length, 30);
        }
        central.push(cd, name, extra);
    }
    const cdOffset = offset;
    const cdBytes = Buffer.concat(central);
    const tail: Buffer[] = [];
    if (options.zip64) {
        const z = Buffer.alloc(56);
        z.writeUInt32LE(0x06064b50, 0);
        z.writeBigUInt64LE(44n, 4);
        z.writeUInt16LE(45, 12);
        z.writeUInt16LE(45, 14);
        z.writeBigUInt64LE(BigInt(entries.length), 24);
        z.writeBigUInt64LE(BigInt(entries.length), 32);
        z.writeBigUInt64LE(BigInt(cdBytes.length), 40);
        z.writeBigUInt64LE(BigInt(cdOffset), 48);
        const loc = Buffer.alloc(20);
        loc.writeUInt32LE(0x07064b50, 0);
        loc.writeBigUInt64LE(BigInt(cdOffset + cdBytes.length), 8);
        loc.writeUInt32LE(1, 16);
        tail.push(z, loc);
    }
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(options.zip64 ? 0xffff : entries.length, 8);
    eocd.writeUInt16LE(options.zip64 ? 0xffff : entries.length, 10);
    eocd.writeUInt32LE(options.zip64 ? 0xffffffff : cdBytes.length, 12);
    eocd.writeUInt32LE(options.zip64 ? 0xffffffff : cdOffset, 16);
    return Buffer.concat([...parts, cdBytes, ...tail, eocd]);
}

/**
 * A deflate stream of `size` zero bytes (about size/1000 compressed), made a
 * megabyte at a time: sync-flushed raw segments followed by an empty final
 * block form one valid stream.
 */
export function deflatedZeros(size: number, options: { crc?: boolean } = {}): { compressed: Buffer; size: number; crc32: number; method: number } {
    const chunk = Buffer.alloc(1 << 20);
    const segment = zlib.deflateRawSync(chunk, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const out: Buffer[] = [];
    let crc = 0;
    for (let left = size; left > 0; left -= chunk.length) {
        const n = Math.min(left, chunk.length);
        // `crc: false` leaves the CRC 0: for streams too big to checksum in a test's time, whose CRC is never reached.
        if (options.crc !== false) crc = zlib.crc32(chunk.subarray(0, n), crc);
        out.push(n === chunk.length ? segment : zlib.deflateRawSync(chunk.subarray(0, n), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
    }
    out.push(zlib.deflateRawSync(Buffer.alloc(0)));
    return { compressed: Buffer.concat(out), size, crc32: crc >>> 0, method: 8 };
}

/**
 * A zip whose single stored entry is `size` zero bytes, written as a sparse
 * file: the archive really is that big, but takes almost no disk.
 */
export function writeSparseStoredZip(file: string, name: string, size: number): void {
    let crc = 0;
    const chunk = Buffer.alloc(1 << 20);
    for (let left = size; left > 0; left -= chunk.length) crc = zlib.crc32(chunk.subarray(0, Math.min(left, chunk.length)), crc);
    const nameBuf = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE((3 << 8) | 20, 4);
    cd.writeUInt16LE(10, 6);
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(crc >>> 0, 16);
    cd.writeUInt32LE(size, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    cd.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    const dataEnd = 30 + nameBuf.length + size;
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(1, 8);
    eocd.writeUInt16LE(1, 10);
    eocd.writeUInt32LE(46 + nameBuf.length, 12);
    eocd.writeUInt32LE(dataEnd, 16);
    const fd = fs.openSync(file, "w");
    try {
        fs.writeSync(fd, Buffer.concat([local, nameBuf]), 0, 30 + nameBuf.length, 0);
        fs.ftruncateSync(fd, dataEnd); // the data: a hole of zeros
        fs.writeSync(fd, Buffer.concat([cd, nameBuf, eocd]), 0, 46 + nameBuf.length + 22, dataEnd);
    } finally {
        fs.closeSync(fd);
    }
}

/** A minimal 64-bit ELF header for the given machine (62 x86-64, 183 AArch64). */
export function elfHeader(machine: number): Buffer {
    const b = Buffer.alloc(64);
    b.write("\x7fELF", 0, "latin1");
    b[4] = 2; // 64-bit
    b[5] = 1; // little endian
    b[6] = 1;
    b.writeUInt16LE(3, 16); // ET_DYN
    b.writeUInt16LE(machine, 18);
    return b;
}

/** A minimal 64-bit Mach-O header (arm64 by default). */
export function machoHeader(cpu = 0x0100000c): Buffer {
    const b = Buffer.alloc(64);
    b.writeUInt32LE(0xfeedfacf, 0);
    b.writeUInt32LE(cpu, 4);
    b.writeUInt32LE(6, 12); // MH_DYLIB
    return b;
}

/** A minimal pure wheel, localpkg 1.0 (`VALUE = 42`), that both installers take without building anything; returns its path. */
export function writeLocalWheel(dir: string): string {
    const file = `${dir}/localpkg-1.0-py3-none-any.whl`;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
        file,
        craftZip([
            { name: "localpkg/__init__.py", data: Buffer.from("VALUE = 42\n") },
            { name: "localpkg-1.0.dist-info/METADATA", data: Buffer.from("Metadata-Version: 2.1\nName: localpkg\nVersion: 1.0\n") },
            { name: "localpkg-1.0.dist-info/WHEEL", data: Buffer.from("Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n") },
            { name: "localpkg-1.0.dist-info/RECORD", data: Buffer.from("") },
        ]),
    );
    return file;
}
