// The newest glibc symbol version an ELF file needs, read from the file
// itself: its dynamic section points at the version-needs table
// (.gnu.version_r: "from libc.so.6 I need GLIBC_2.27, GLIBC_2.14, …") and at
// the string table naming them. Wheel tags only say what a package claims;
// this says what the binary will ask the loader for, so vendored code,
// --site-packages trees and hand-made zips are judged too.
//
// Only what is needed is read: the program headers sit at the start of the
// file and the dynamic section, version needs and dynamic strings follow
// close behind (before .text), so a prefix of the entry is enough; it is
// grown only when a table lies further in.

export interface GlibcNeed {
    /** e.g. [2, 27] */
    version: [number, number];
    /** "GLIBC_2.27" as the file spells it. */
    symbolVersion: string;
    /** The library it is needed from: "libc.so.6". */
    library: string;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT_NULL = 0;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_VERNEED = 0x6ffffffe;
const DT_VERNEEDNUM = 0x6fffffff;
const FIRST_READ = 64 * 1024;
/** Tables beyond this far into a file are not chased (a sane dynamic string table is far smaller). */
const MAX_READ = 64 * 1024 * 1024;

/**
 * The highest GLIBC_x.y needed by an ELF file, or undefined when it needs
 * none (static, musl, not dynamically linked) or cannot be read.
 * `read(n)` returns the first n bytes of the file (fewer at its end).
 */
export function glibcNeeded(read: (length: number) => Buffer | undefined, size: number): GlibcNeed | undefined {
    let buf = read(Math.min(FIRST_READ, size));
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
    if (!phnum || !ensure(phoff + phentsize * phnum)) return undefined;
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
    if (!dynamic || !ensure(dynamic.offset + dynamic.size)) return undefined;

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
    for (let i = 0; i < (dyn[DT_VERNEEDNUM] ?? 1000) && ensure(vn + 16); i++) {
        // Elf_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32 (same in 32 and 64 bits).
        const count = u16(vn + 2);
        const library = str(u32(vn + 4));
        let aux = vn + u32(vn + 8);
        for (let j = 0; j < count && ensure(aux + 16); j++) {
            // Elf_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
            const name = str(u32(aux + 8));
            const m = /^GLIBC_(\d+)\.(\d+)/.exec(name);
            if (m) {
                const version: [number, number] = [Number(m[1]), Number(m[2])];
                if (!best || version[0] > best.version[0] || (version[0] === best.version[0] && version[1] > best.version[1])) {
                    best = { version, symbolVersion: name, library };
                }
            }
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
