// Stripping that keeps the loader's layout, for the shared objects GNU strip
// breaks: those patchelf rewrote (auditwheel's grafted libraries and the
// extension modules that load them), where the sections patchelf moved sit
// in loadable segments *after* the symbol table. GNU strip (and llvm-strip
// 14) then move those segments to file offsets that are no longer congruent
// with their addresses, or drop one (DESIGN.md, "Slimming").
//
// What this does, and only this: the bytes of every segment (PT_LOAD and
// the others: DYNAMIC, NOTE, TLS, …), the ELF header and the program header
// table are kept verbatim, in the same order; the non-allocated sections
// between them (.symtab, .strtab, .comment, debug sections, annobin notes)
// are dropped; each block after a dropped range moves down by a multiple of
// its segments' alignment (p_align, at least a 4 KiB page), so that every
// segment's offset stays congruent with its address as the ELF
// specification asks. The section header table is written at the end with
// the same indices (dropped sections become SHT_NULL, so .dynsym's section
// indices stay right). The dynamic linker reads only the ELF header and the
// program headers and maps the segments: `verifyCompacted` checks that every
// segment's bytes are the original's at a congruent offset, and the proof
// (prove.ts) loads every extension module on the target.

const PT_LOAD = 1;
const SHT_NOBITS = 8;
const SHF_ALLOC = 2;
const PAGE = 4096;

interface Phdr {
    type: number;
    offset: number;
    vaddr: number;
    filesz: number;
    memsz: number;
    align: number;
    /** Where this entry is in the program header table. */
    at: number;
}

interface Shdr {
    type: number;
    flags: number;
    offset: number;
    size: number;
    link: number;
    addralign: number;
    at: number;
}

interface Elf {
    phoff: number;
    shoff: number;
    phentsize: number;
    shentsize: number;
    shstrndx: number;
    phdrs: Phdr[];
    shdrs: Shdr[];
}

function parse(b: Buffer): Elf | string {
    if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return "not a 64-bit little-endian ELF file";
    const phoff = Number(b.readBigUInt64LE(0x20));
    const shoff = Number(b.readBigUInt64LE(0x28));
    const phentsize = b.readUInt16LE(0x36);
    const phnum = b.readUInt16LE(0x38);
    const shentsize = b.readUInt16LE(0x3a);
    const shnum = b.readUInt16LE(0x3c);
    const shstrndx = b.readUInt16LE(0x3e);
    if (phentsize !== 56 || shentsize !== 64 || phnum === 0 || shnum === 0 || shstrndx >= shnum) return "its ELF header is not one this stripper handles (extended numbering or odd entry sizes)";
    if (phoff + phnum * phentsize > b.length || shoff + shnum * shentsize > b.length) return "its header tables lie past the end of the file";
    const phdrs: Phdr[] = [];
    for (let i = 0; i < phnum; i++) {
        const at = phoff + i * phentsize;
        phdrs.push({
            type: b.readUInt32LE(at),
            offset: Number(b.readBigUInt64LE(at + 8)),
            vaddr: Number(b.readBigUInt64LE(at + 16)),
            filesz: Number(b.readBigUInt64LE(at + 32)),
            memsz: Number(b.readBigUInt64LE(at + 40)),
            align: Number(b.readBigUInt64LE(at + 48)),
            at,
        });
    }
    const shdrs: Shdr[] = [];
    for (let i = 0; i < shnum; i++) {
        const at = shoff + i * shentsize;
        shdrs.push({
            type: b.readUInt32LE(at + 4),
            flags: Number(b.readBigUInt64LE(at + 8)),
            offset: Number(b.readBigUInt64LE(at + 24)),
            size: Number(b.readBigUInt64LE(at + 32)),
            link: b.readUInt32LE(at + 40),
            addralign: Number(b.readBigUInt64LE(at + 48)),
            at,
        });
    }
    for (const p of phdrs) if (p.offset + p.filesz > b.length) return "a segment lies past the end of the file";
    return { phoff, shoff, phentsize, shentsize, shstrndx, phdrs, shdrs };
}

/** A range of the file kept verbatim, moved by a multiple of `align`. */
interface Block {
    start: number;
    end: number;
    align: number;
    shift: number;
}

/** The non-allocated sections that go (all but the section names' table), by index. */
function droppable(elf: Elf): Set<number> {
    const out = new Set<number>();
    elf.shdrs.forEach((s, i) => {
        if (i === 0 || i === elf.shstrndx || s.flags & SHF_ALLOC || s.type === SHT_NOBITS || s.type === 0 || s.size === 0) return;
        out.add(i);
    });
    return out;
}

/**
 * The stripped copy of an ELF shared object, or why there is none (the file
 * then ships as it was): a file this cannot handle is refused, not guessed at.
 */
export function compactElf(input: Buffer): { output: Buffer } | { why: string } {
    const elf = parse(input);
    if (typeof elf === "string") return { why: elf };
    const drop = droppable(elf);
    if (!drop.size) return { why: "it has no sections to strip" };
    for (const [i, s] of elf.shdrs.entries()) {
        if (!drop.has(i) && drop.has(s.link) && s.link !== 0) return { why: `its section ${i} links to a section that would be stripped` };
    }
    // Ranges kept verbatim: the ELF header, the program header table, every segment, and the kept non-allocated sections.
    const ranges: { start: number; end: number; align: number }[] = [
        { start: 0, end: 64, align: PAGE },
        { start: elf.phoff, end: elf.phoff + elf.phdrs.length * elf.phentsize, align: 8 },
    ];
    for (const p of elf.phdrs) if (p.filesz > 0) ranges.push({ start: p.offset, end: p.offset + p.filesz, align: p.type === PT_LOAD ? Math.max(PAGE, p.align) : Math.max(1, p.align) });
    elf.shdrs.forEach((s, i) => {
        if (i === 0 || drop.has(i) || s.type === SHT_NOBITS || s.size === 0) return;
        ranges.push({ start: s.offset, end: s.offset + s.size, align: Math.max(1, s.addralign) });
    });
    // A dropped section must not overlap anything kept (else it is not what it says).
    for (const i of drop) {
        const s = elf.shdrs[i];
        if (ranges.some((r) => s.offset < r.end && r.start < s.offset + s.size)) return { why: `its section ${i} overlaps a segment or a kept section` };
    }
    ranges.sort((a, b) => a.start - b.start || b.end - a.end);
    const blocks: Block[] = [];
    for (const r of ranges) {
        const last = blocks[blocks.length - 1];
        if (last && r.start < last.end) {
            last.end = Math.max(last.end, r.end);
            last.align = lcmPow2(last.align, r.align);
        } else blocks.push({ start: r.start, end: r.end, align: r.align, shift: 0 });
    }
    if (blocks[0].start !== 0) return { why: "its ELF header is not at the start of a block" };
    let cursor = 0;
    for (const b of blocks) {
        // The lowest offset at or after the cursor that keeps b.start's residue modulo b.align.
        const room = b.start - cursor;
        b.shift = room > 0 ? Math.floor(room / b.align) * b.align : 0;
        cursor = b.end - b.shift;
    }
    const shiftOf = (offset: number): number => {
        let shift = 0;
        for (const b of blocks) {
            if (b.start > offset) break;
            shift = b.shift;
        }
        return shift;
    };
    const shoff = align8(cursor);
    const size = shoff + elf.shdrs.length * elf.shentsize;
    if (size >= input.length) return { why: "not smaller" };
    const out = Buffer.alloc(size);
    for (const b of blocks) input.copy(out, b.start - b.shift, b.start, b.end);
    // Header fields that name file offsets.
    const phoff = elf.phoff - shiftOf(elf.phoff);
    out.writeBigUInt64LE(BigInt(phoff), 0x20);
    out.writeBigUInt64LE(BigInt(shoff), 0x28);
    for (const p of elf.phdrs) {
        const at = phoff + (p.at - elf.phoff);
        out.writeBigUInt64LE(BigInt(p.offset - shiftOf(p.offset)), at + 8);
    }
    // The section header table, same indices; dropped sections become SHT_NULL (name kept for readers).
    elf.shdrs.forEach((s, i) => {
        const at = shoff + i * elf.shentsize;
        if (drop.has(i)) {
            out.writeUInt32LE(input.readUInt32LE(s.at), at);
            return;
        }
        input.copy(out, at, s.at, s.at + elf.shentsize);
        if (i !== 0) out.writeBigUInt64LE(BigInt(s.offset - shiftOf(s.offset)), at + 24);
    });
    return { output: out };
}

function align8(n: number): number {
    return Math.ceil(n / 8) * 8;
}

/** The larger of two powers of two (alignments here are powers of two; one that is not falls back to the page). */
function lcmPow2(a: number, b: number): number {
    const ok = (x: number) => x > 0 && (x & (x - 1)) === 0;
    return ok(a) && ok(b) ? Math.max(a, b) : Math.max(PAGE, a, b);
}

/**
 * Why `output` must not replace `input`, or undefined when it may: the same
 * program headers but for their file offsets, each segment congruent with
 * its address modulo its alignment (and the page), and each segment's bytes
 * the original's except the ELF header and the program header table (whose
 * offsets changed).
 */
export function verifyCompacted(input: Buffer, output: Buffer): string | undefined {
    const a = parse(input);
    const b = parse(output);
    if (typeof a === "string") return a;
    if (typeof b === "string") return `the stripped copy: ${b}`;
    if (a.phdrs.length !== b.phdrs.length) return "the stripped copy has another number of program headers";
    // File offsets (of the original) that hold the ELF header or the program header table: rewritten on purpose.
    const mutable = (pos: number) => pos < 64 || (pos >= a.phoff && pos < a.phoff + a.phdrs.length * a.phentsize);
    for (let i = 0; i < a.phdrs.length; i++) {
        const x = a.phdrs[i];
        const y = b.phdrs[i];
        const at = `segment ${i} (address 0x${x.vaddr.toString(16)})`;
        if (x.type !== y.type || x.vaddr !== y.vaddr || x.filesz !== y.filesz || x.memsz !== y.memsz || x.align !== y.align) return `${at} changed`;
        if (input.readUInt32LE(x.at + 4) !== output.readUInt32LE(y.at + 4)) return `${at} changed its flags`;
        if (x.type === PT_LOAD && (y.vaddr - y.offset) % Math.max(PAGE, y.align) !== 0) return `${at} is not congruent with its file offset 0x${y.offset.toString(16)}`;
        if ((x.offset - y.offset) % Math.max(1, x.type === PT_LOAD ? Math.max(PAGE, x.align) : 1) !== 0) return `${at} moved by a fraction of its alignment`;
        for (let k = 0; k < x.filesz; k++) {
            if (input[x.offset + k] !== output[y.offset + k] && !mutable(x.offset + k)) return `${at} has other bytes at +0x${k.toString(16)}`;
        }
    }
    return undefined;
}
