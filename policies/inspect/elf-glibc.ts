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
    const elf = ElfPrefix.open(read, size);
    const segments = elf && programSegments(elf);
    if (!elf || !segments?.dynamic) return undefined;
    const { loads, dynamic } = segments;
    if (dynamic.offset + dynamic.size > Math.min(FIRST_READ, size)) return searchFirstSegment(elf, loads);
    if (!elf.ensure(dynamic.offset + dynamic.size)) return undefined;
    const tables = versionTables(elf, dynamic, loads);
    return tables && highestGlibc(elf, tables);
}

/** The start of an ELF file, read further on demand (doubling, up to MAX_READ), and its integers in its byte order. */
class ElfPrefix {
    readonly is64: boolean;
    readonly le: boolean;

    private constructor(
        private readonly read: (length: number) => Buffer | undefined,
        readonly size: number,
        /** What has been read; undefined once a read failed. */
        public buf: Buffer | undefined,
    ) {
        this.is64 = buf![4] === 2;
        this.le = buf![5] !== 2;
    }

    /** The file's first bytes, when it is an ELF file. */
    static open(read: (length: number) => Buffer | undefined, size: number): ElfPrefix | undefined {
        const buf = read(Math.min(INITIAL_READ, size));
        if (!buf || buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
        return new ElfPrefix(read, size, buf);
    }

    /** Whether the first `end` bytes are read (reading more when the file and MAX_READ allow). */
    ensure(end: number): boolean {
        if (!this.buf) return false;
        if (end <= this.buf.length) return true;
        if (end > this.size || end > MAX_READ) return false;
        this.buf = this.read(Math.min(this.size, Math.max(end, this.buf.length * 2)));
        return !!this.buf && end <= this.buf.length;
    }

    u16(o: number): number {
        return this.le ? this.buf!.readUInt16LE(o) : this.buf!.readUInt16BE(o);
    }

    u32(o: number): number {
        return this.le ? this.buf!.readUInt32LE(o) : this.buf!.readUInt32BE(o);
    }

    /** An address or offset: 64 bits in ELF64, 32 in ELF32. */
    word(o: number): number {
        return this.is64 ? Number(this.le ? this.buf!.readBigUInt64LE(o) : this.buf!.readBigUInt64BE(o)) : this.u32(o);
    }
}

interface LoadSegment {
    vaddr: number;
    offset: number;
    filesz: number;
}

/** The loadable segments and the dynamic segment, from the program headers; undefined when they cannot be read. */
function programSegments(elf: ElfPrefix): { loads: LoadSegment[]; dynamic?: { offset: number; size: number } } | undefined {
    const { is64 } = elf;
    const phoff = elf.word(is64 ? 32 : 28);
    const phentsize = elf.u16(is64 ? 54 : 42);
    const phnum = elf.u16(is64 ? 56 : 44);
    // A program header shorter than its format's (56 or 32 bytes) is damage; reading it as one would run past it.
    if (!phnum || phentsize < (is64 ? 56 : 32) || !elf.ensure(phoff + phentsize * phnum)) return undefined;
    const loads: LoadSegment[] = [];
    let dynamic: { offset: number; size: number } | undefined;
    for (let i = 0; i < phnum; i++) {
        const p = phoff + i * phentsize;
        const type = elf.u32(p);
        const offset = elf.word(p + (is64 ? 8 : 4));
        const vaddr = elf.word(p + (is64 ? 16 : 8));
        const filesz = elf.word(p + (is64 ? 32 : 16));
        if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
        if (type === PT_DYNAMIC) dynamic = { offset, size: filesz };
    }
    return { loads, dynamic };
}

/**
 * For a dynamic segment beyond the first read: the version needs are one table, usually early in the first
 * segment (after the dynamic symbols and strings): search what has been read, and read four times more only
 * while no table has been found and passed, rather than inflating megabytes of every big library.
 */
function searchFirstSegment(elf: ElfPrefix, loads: LoadSegment[]): GlibcNeed | undefined {
    const first = loads.find((l) => l.offset === 0);
    if (!first) return undefined;
    const limit = Math.min(first.filesz, FIRST_SEGMENT_READ, elf.size);
    const scan: VernauxScan = { next: 0, lastAt: -Infinity };
    for (let end = Math.min(elf.buf!.length, limit); ; end = Math.min(end * 4, limit)) {
        if (!elf.ensure(end)) return undefined;
        scanVernaux(elf.buf!.subarray(0, end), elf.le, scan);
        if (end >= limit || (scan.best && end - scan.lastAt > TABLE_GAP)) return scan.best;
    }
}

/** Where the version-need table and the string table are, from the dynamic segment's tags (file offsets). */
function versionTables(elf: ElfPrefix, dynamic: { offset: number; size: number }, loads: LoadSegment[]): { verneed: number; verneedNum?: number; strtab: number; strsz: number } | undefined {
    const entrySize = elf.is64 ? 16 : 8;
    const dyn: Record<number, number> = {};
    for (let o = dynamic.offset; o + entrySize <= dynamic.offset + dynamic.size; o += entrySize) {
        const tag = elf.word(o);
        if (tag === DT_NULL) break;
        if (tag === DT_STRTAB || tag === DT_STRSZ || tag === DT_VERNEED || tag === DT_VERNEEDNUM) dyn[tag] = elf.word(o + entrySize / 2);
    }
    if (dyn[DT_VERNEED] === undefined || dyn[DT_STRTAB] === undefined) return undefined;
    const toOffset = (addr: number) => {
        const seg = loads.find((l) => addr >= l.vaddr && addr < l.vaddr + l.filesz);
        return seg ? addr - seg.vaddr + seg.offset : undefined;
    };
    const strtab = toOffset(dyn[DT_STRTAB]);
    const verneed = toOffset(dyn[DT_VERNEED]);
    const strsz = dyn[DT_STRSZ] ?? 0;
    if (strtab === undefined || verneed === undefined || !elf.ensure(strtab + strsz)) return undefined;
    return { verneed, verneedNum: dyn[DT_VERNEEDNUM], strtab, strsz };
}

/** The newest GLIBC_x.y among the version needs (Elf_Verneed records, each with its Elf_Vernaux list). */
function highestGlibc(elf: ElfPrefix, { verneed, verneedNum, strtab, strsz }: { verneed: number; verneedNum?: number; strtab: number; strsz: number }): GlibcNeed | undefined {
    const str = (o: number) => {
        const start = strtab + o;
        const end = elf.buf!.indexOf(0, start);
        return end < 0 || end > strtab + strsz ? "" : elf.buf!.toString("latin1", start, end);
    };
    let best: GlibcNeed | undefined;
    let vn = verneed;
    // Bounded whatever the counts and links say: a damaged table must not loop for millions of steps.
    for (let i = 0; i < Math.min(verneedNum ?? MAX_RECORDS, MAX_RECORDS) && elf.ensure(vn + 16); i++) {
        // Elf_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32 (same in 32 and 64 bits).
        const count = elf.u16(vn + 2);
        const library = str(elf.u32(vn + 4));
        let aux = vn + elf.u32(vn + 8);
        for (let j = 0; j < Math.min(count, MAX_RECORDS) && elf.ensure(aux + 16); j++) {
            // Elf_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
            const name = str(elf.u32(aux + 8));
            const m = /^GLIBC_(\d+)\.(\d+)/.exec(name);
            if (m) best = newer(best, { version: [Number(m[1]), Number(m[2])], symbolVersion: name, library });
            const next = elf.u32(aux + 12);
            if (!next) break;
            aux += next;
        }
        const next = elf.u32(vn + 12);
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
