// The newest glibc symbol version an ELF file needs, read from the file
// itself: its dynamic section points at the version-needs table
// (.gnu.version_r: "from libc.so.6 I need GLIBC_2.27, GLIBC_2.14, …") and at
// the string table naming them. Wheel tags only say what a package claims;
// this says what the binary will ask the loader for, so vendored code,
// --site-packages trees and hand-made zips are judged too.
//
// Only what is needed is read. The program headers sit at the start of the
// file, and so do the version needs and dynamic strings (in the first,
// read-only segment, before .text). The dynamic section that points at them
// usually sits near the end, though, and reading a compressed entry up to
// there means inflating all of it (23 MB for OpenBLAS), and auditwheel's
// patchelf moves the string table to the end too. So the dynamic section is
// followed only when it lies in the first 64 KiB; otherwise the first
// segment is searched for the version-need records themselves: each carries
// the ELF hash of its version name, and the hashes of every "GLIBC_2.N" are
// known, so the records are recognised (hash, flags, index, next offset all
// consistent) without the string table — at the price of not naming the
// library they come from.

export interface GlibcNeed {
    /** e.g. [2, 27] */
    version: [number, number];
    /** "GLIBC_2.27" as the file spells it. */
    symbolVersion: string;
    /** The library it is needed from: "libc.so.6" (unknown when found by the first-segment search). */
    library?: string;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT_NULL = 0;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_VERNEED = 0x6ffffffe;
const DT_VERNEEDNUM = 0x6fffffff;
const FIRST_READ = 64 * 1024;
/** The first read: headers, and in most extension modules the version needs too (each read inflates from the start). */
const INITIAL_READ = 16 * 1024;
/** Past the last version-need record found by this many bytes, the table has ended. */
const TABLE_GAP = 4096;
/** How much of the first segment is searched in bigger files. */
const FIRST_SEGMENT_READ = 4 * 1024 * 1024;
/** Tables beyond this far into a file are not chased (a sane dynamic string table is far smaller). */
const MAX_READ = 64 * 1024 * 1024;
/** Version-need records followed at most (glibc's own libraries have a few dozen). */
const MAX_RECORDS = 4096;

/**
 * The highest GLIBC_x.y needed by an ELF file, or undefined when it needs
 * none (static, musl, not dynamically linked) or cannot be read.
 * `read(n)` returns the first n bytes of the file (fewer at its end).
 */
export function glibcNeeded(read: (length: number) => Buffer | undefined, size: number): GlibcNeed | undefined {
    let buf = read(Math.min(INITIAL_READ, size));
    const ensure = (end: number): boolean => {
        if (!buf) return false;
        if (end <= buf.length) return true;
        if (end > size || end > MAX_READ) return false;
        buf = read(Math.min(size, Math.max(end, buf.length * 2)));
        return !!buf && end <= buf.length;
    };
    if (!buf || buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
    const is64 = buf[4] === 2;
    const le = buf[5] !== 2;
    const u16 = (o: number) => (le ? buf!.readUInt16LE(o) : buf!.readUInt16BE(o));
    const u32 = (o: number) => (le ? buf!.readUInt32LE(o) : buf!.readUInt32BE(o));
    const word = (o: number) => (is64 ? Number(le ? buf!.readBigUInt64LE(o) : buf!.readBigUInt64BE(o)) : u32(o));

    const phoff = word(is64 ? 32 : 28);
    const phentsize = u16(is64 ? 54 : 42);
    const phnum = u16(is64 ? 56 : 44);
    // A program header shorter than its format's (56 or 32 bytes) is damage; reading it as one would run past it.
    if (!phnum || phentsize < (is64 ? 56 : 32) || !ensure(phoff + phentsize * phnum)) return undefined;
    const loads: { vaddr: number; offset: number; filesz: number }[] = [];
    let dynamic: { offset: number; size: number } | undefined;
    for (let i = 0; i < phnum; i++) {
        const p = phoff + i * phentsize;
        const type = u32(p);
        const offset = word(p + (is64 ? 8 : 4));
        const vaddr = word(p + (is64 ? 16 : 8));
        const filesz = word(p + (is64 ? 32 : 16));
        if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
        if (type === PT_DYNAMIC) dynamic = { offset, size: filesz };
    }
    if (!dynamic) return undefined;
    if (dynamic.offset + dynamic.size > Math.min(FIRST_READ, size)) {
        const first = loads.find((l) => l.offset === 0);
        if (!first) return undefined;
        // The version needs are one table, usually early in the first segment (after the dynamic
        // symbols and strings): search what has been read, and read four times more only while no
        // table has been found and passed, rather than inflating megabytes of every big library.
        const limit = Math.min(first.filesz, FIRST_SEGMENT_READ, size);
        const scan: VernauxScan = { next: 0, lastAt: -Infinity };
        for (let end = Math.min(buf.length, limit); ; end = Math.min(end * 4, limit)) {
            if (!ensure(end)) return undefined;
            scanVernaux(buf!.subarray(0, end), le, scan);
            if (end >= limit || (scan.best && end - scan.lastAt > TABLE_GAP)) return scan.best;
        }
    }
    if (!ensure(dynamic.offset + dynamic.size)) return undefined;

    const entrySize = is64 ? 16 : 8;
    const dyn: Record<number, number> = {};
    for (let o = dynamic.offset; o + entrySize <= dynamic.offset + dynamic.size; o += entrySize) {
        const tag = word(o);
        if (tag === DT_NULL) break;
        if (tag === DT_STRTAB || tag === DT_STRSZ || tag === DT_VERNEED || tag === DT_VERNEEDNUM) dyn[tag] = word(o + entrySize / 2);
    }
    if (dyn[DT_VERNEED] === undefined || dyn[DT_STRTAB] === undefined) return undefined;
    const toOffset = (addr: number) => {
        const seg = loads.find((l) => addr >= l.vaddr && addr < l.vaddr + l.filesz);
        return seg ? addr - seg.vaddr + seg.offset : undefined;
    };
    const strtab = toOffset(dyn[DT_STRTAB]);
    const verneed = toOffset(dyn[DT_VERNEED]);
    const strsz = dyn[DT_STRSZ] ?? 0;
    if (strtab === undefined || verneed === undefined || !ensure(strtab + strsz)) return undefined;
    const str = (o: number) => {
        const start = strtab + o;
        const end = buf!.indexOf(0, start);
        return end < 0 || end > strtab + strsz ? "" : buf!.toString("latin1", start, end);
    };

    let best: GlibcNeed | undefined;
    let vn = verneed;
    // Bounded whatever the counts and links say: a damaged table must not loop for millions of steps.
    for (let i = 0; i < Math.min(dyn[DT_VERNEEDNUM] ?? MAX_RECORDS, MAX_RECORDS) && ensure(vn + 16); i++) {
        // Elf_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32 (same in 32 and 64 bits).
        const count = u16(vn + 2);
        const library = str(u32(vn + 4));
        let aux = vn + u32(vn + 8);
        for (let j = 0; j < Math.min(count, MAX_RECORDS) && ensure(aux + 16); j++) {
            // Elf_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
            const name = str(u32(aux + 8));
            const m = /^GLIBC_(\d+)\.(\d+)/.exec(name);
            if (m) best = newer(best, { version: [Number(m[1]), Number(m[2])], symbolVersion: name, library });
            const next = u32(aux + 12);
            if (!next) break;
            aux += next;
        }
        const next = u32(vn + 12);
        if (!next) break;
        vn += next;
    }
    return best;
}

function newer(a: GlibcNeed | undefined, b: GlibcNeed): GlibcNeed {
    if (!a) return b;
    return b.version[0] > a.version[0] || (b.version[0] === a.version[0] && b.version[1] > a.version[1]) ? b : a;
}

/** ELF hash (System V ABI) → version name, for every GLIBC_2.N and GLIBC_2.N.M there is or will plausibly be. */
const GLIBC_BY_HASH: Map<number, string> = (() => {
    const names: string[] = [];
    for (let n = 0; n <= 80; n++) {
        names.push(`GLIBC_2.${n}`);
        for (let m = 1; m <= 9; m++) names.push(`GLIBC_2.${n}.${m}`);
    }
    return new Map(names.map((name) => [elfHash(name), name]));
})();

function elfHash(name: string): number {
    let h = 0;
    for (let i = 0; i < name.length; i++) {
        h = ((h << 4) + name.charCodeAt(i)) >>> 0;
        const g = h & 0xf0000000;
        if (g) h ^= g >>> 24;
        h = (h & ~g) >>> 0;
    }
    return h;
}

/** Progress of a search for version-need records: each growth step scans only the bytes it added. */
interface VernauxScan {
    best?: GlibcNeed;
    /** Offset of the last record found. */
    lastAt: number;
    /** The first offset not yet scanned. */
    next: number;
}

/** High halves of the GLIBC_* name hashes: a cheap test that rejects almost every word before the map lookup. */
const GLIBC_HASH_HIGH = new Uint8Array(65536);
for (const h of GLIBC_BY_HASH.keys()) GLIBC_HASH_HIGH[h >>> 16] = 1;

/** Adds the version-need (Vernaux) records of `segment[scan.next..]`, recognised by their name hashes, to `scan`. */
function scanVernaux(segment: Buffer, le: boolean, scan: VernauxScan): void {
    const view = new DataView(segment.buffer, segment.byteOffset, segment.length);
    let o = scan.next;
    for (; o + 16 <= segment.length; o += 4) {
        const hash = view.getUint32(o, le);
        if (!GLIBC_HASH_HIGH[hash >>> 16]) continue;
        const name = GLIBC_BY_HASH.get(hash);
        if (!name) continue;
        // vna_flags: 0 or VER_FLG_WEAK; vna_other: a version index (>= 2); vna_next: the next record or 0.
        const flags = view.getUint16(o + 4, le);
        const other = view.getUint16(o + 6, le) & 0x7fff;
        const next = view.getUint32(o + 12, le);
        if ((flags !== 0 && flags !== 2) || other < 2 || (next !== 0 && next !== 16)) continue;
        const m = /^GLIBC_(\d+)\.(\d+)/.exec(name)!;
        scan.best = newer(scan.best, { version: [Number(m[1]), Number(m[2])], symbolVersion: name });
        scan.lastAt = o;
    }
    scan.next = o;
}
