// Stripping a shared object with its segments in place (builder/slim/compact.ts),
// on hand-made ELF files laid out the way patchelf leaves auditwheel's grafted
// libraries: the symbol table between the original segments and a segment
// patchelf appended. That the result loads on the target is test/slim.test.ts's
// (scipy's OpenBLAS, imported through the runner on x86_64 and arm64).
import * as assert from "assert";
import { compactElf, verifyCompacted } from "../../builder/slim/compact";
import { LoadSegment, loadSegments, strippedSegmentsDiffer } from "../../builder/slim/rules";

interface Section {
    name: string;
    type: number;
    flags: number;
    offset: number;
    size: number;
    addr?: number;
    link?: number;
    fill: number;
}

/**
 * A 64-bit little-endian ET_DYN file: a read-only segment at 0 (header, program headers, "text"),
 * non-allocated .symtab/.strtab after it, then a writable segment at `tailOffset` (address `tailAddr`)
 * holding .dynamic, as patchelf appends one; .shstrtab and the section headers at the end.
 */
function patchelfLike(opts: { tailOffset: number; tailAddr: number; align: number; symtabSize: number; dynamicLink?: number }): Buffer {
    const { tailOffset, tailAddr, align, symtabSize } = opts;
    const names = ["", ".text", ".symtab", ".strtab", ".dynamic", ".shstrtab"];
    const shstr = Buffer.from(`${names.join("\0")}\0`, "latin1");
    const nameAt = (i: number) => names.slice(0, i).reduce((n, s) => n + s.length + 1, 0);
    const sections: Section[] = [
        { name: "", type: 0, flags: 0, offset: 0, size: 0, fill: 0 },
        { name: ".text", type: 1, flags: 6, offset: 0x100, size: 0x100, addr: 0x100, fill: 0x90 },
        { name: ".symtab", type: 2, flags: 0, offset: 0x200, size: symtabSize, link: 3, fill: 0x11 },
        { name: ".strtab", type: 3, flags: 0, offset: 0x200 + symtabSize, size: 0x900, fill: 0x22 },
        { name: ".dynamic", type: 6, flags: 3, offset: tailOffset, size: 0x300, addr: tailAddr, link: opts.dynamicLink ?? 5, fill: 0x33 },
        { name: ".shstrtab", type: 3, flags: 0, offset: tailOffset + 0x300, size: shstr.length, fill: 0 },
    ];
    const shoff = Math.ceil((tailOffset + 0x300 + shstr.length) / 8) * 8;
    const b = Buffer.alloc(shoff + sections.length * 64);
    b.write("\x7fELF", 0, "latin1");
    b[4] = 2;
    b[5] = 1;
    b[6] = 1;
    b.writeUInt16LE(3, 16);
    b.writeUInt16LE(62, 18);
    b.writeUInt32LE(1, 20);
    b.writeBigUInt64LE(0x40n, 0x20);
    b.writeBigUInt64LE(BigInt(shoff), 0x28);
    b.writeUInt16LE(64, 0x34);
    b.writeUInt16LE(56, 0x36);
    b.writeUInt16LE(3, 0x38);
    b.writeUInt16LE(64, 0x3a);
    b.writeUInt16LE(sections.length, 0x3c);
    b.writeUInt16LE(5, 0x3e);
    const phdr = (i: number, type: number, flags: number, offset: number, vaddr: number, filesz: number, memsz: number, palign: number) => {
        const at = 0x40 + i * 56;
        b.writeUInt32LE(type, at);
        b.writeUInt32LE(flags, at + 4);
        b.writeBigUInt64LE(BigInt(offset), at + 8);
        b.writeBigUInt64LE(BigInt(vaddr), at + 16);
        b.writeBigUInt64LE(BigInt(vaddr), at + 24);
        b.writeBigUInt64LE(BigInt(filesz), at + 32);
        b.writeBigUInt64LE(BigInt(memsz), at + 40);
        b.writeBigUInt64LE(BigInt(palign), at + 48);
    };
    phdr(0, 1, 5, 0, 0, 0x200, 0x200, align);
    phdr(1, 1, 6, tailOffset, tailAddr, 0x300, 0x400, align);
    phdr(2, 2, 6, tailOffset, tailAddr, 0x100, 0x100, 8); // PT_DYNAMIC
    for (const s of sections) if (s.fill) b.fill(s.fill, s.offset, s.offset + s.size);
    shstr.copy(b, tailOffset + 0x300);
    sections.forEach((s, i) => {
        const at = shoff + i * 64;
        b.writeUInt32LE(nameAt(i), at);
        b.writeUInt32LE(s.type, at + 4);
        b.writeBigUInt64LE(BigInt(s.flags), at + 8);
        b.writeBigUInt64LE(BigInt(s.addr ?? 0), at + 16);
        b.writeBigUInt64LE(BigInt(s.offset), at + 24);
        b.writeBigUInt64LE(BigInt(s.size), at + 32);
        b.writeUInt32LE(s.link ?? 0, at + 40);
        b.writeBigUInt64LE(8n, at + 48);
    });
    return b;
}

const segmentsOf = (b: Buffer): LoadSegment[] => loadSegments((position, length) => b.subarray(position, position + length));

describe("slim: stripping with segments in place", () => {
    it("drops the symbol table between the segments and moves patchelf's segment down by whole pages, bytes and addresses unchanged", () => {
        const input = patchelfLike({ tailOffset: 0x3000, tailAddr: 0x5000, align: 0x1000, symtabSize: 0x1800 });
        const r = compactElf(input);
        assert.ok("output" in r, JSON.stringify(r));
        const out = r.output;
        assert.ok(out.length < input.length - 0x1800, `${out.length} < ${input.length}`);
        assert.equal(verifyCompacted(input, out), undefined);
        const after = segmentsOf(out);
        assert.equal(after[1].offset, 0x1000, "moved down two pages, still congruent with 0x5000");
        assert.equal(after[1].vaddr, 0x5000);
        assert.deepEqual(out.subarray(0x1000, 0x1300), input.subarray(0x3000, 0x3300));
        assert.deepEqual(out.subarray(0x100, 0x200), input.subarray(0x100, 0x200));
        // The same check GNU strip's copies pass.
        assert.equal(
            strippedSegmentsDiffer(segmentsOf(input), after, () => true),
            undefined,
        );
        // PT_DYNAMIC moved with its segment; section indices kept, the dropped ones SHT_NULL.
        assert.equal(Number(out.readBigUInt64LE(0x40 + 2 * 56 + 8)), 0x1000);
        const shoff = Number(out.readBigUInt64LE(0x28));
        assert.equal(out.readUInt16LE(0x3c), 6);
        assert.equal(out.readUInt32LE(shoff + 2 * 64 + 4), 0, ".symtab is SHT_NULL");
        assert.equal(out.readUInt32LE(shoff + 3 * 64 + 4), 0, ".strtab is SHT_NULL");
        assert.equal(Number(out.readBigUInt64LE(shoff + 4 * 64 + 24)), 0x1000, ".dynamic's offset follows its segment");
        const shstrOffset = Number(out.readBigUInt64LE(shoff + 5 * 64 + 24));
        assert.equal(out.subarray(shstrOffset, shstrOffset + 7).toString("latin1"), "\0.text\0");
    });

    it("keeps 64 KiB alignment (arm64 wheels): a gap smaller than the alignment is not taken, a larger one is", () => {
        const small = compactElf(patchelfLike({ tailOffset: 0x10000, tailAddr: 0x20000, align: 0x10000, symtabSize: 0x1800 }));
        assert.deepEqual(small, { why: "not smaller" });
        const input = patchelfLike({ tailOffset: 0x30000, tailAddr: 0x40000, align: 0x10000, symtabSize: 0x20000 });
        const r = compactElf(input);
        assert.ok("output" in r, JSON.stringify(r));
        assert.equal(segmentsOf(r.output)[1].offset, 0x10000);
        assert.equal(verifyCompacted(input, r.output), undefined);
    });

    it("refuses a file whose kept section links to one it would drop, and a copy whose segment changed or moved off its page", () => {
        const linked = compactElf(patchelfLike({ tailOffset: 0x3000, tailAddr: 0x5000, align: 0x1000, symtabSize: 0x1800, dynamicLink: 2 }));
        assert.match("why" in linked ? linked.why : "", /section 4 links to a section that would be stripped/);
        const input = patchelfLike({ tailOffset: 0x3000, tailAddr: 0x5000, align: 0x1000, symtabSize: 0x1800 });
        const r = compactElf(input);
        assert.ok("output" in r);
        const changed = Buffer.from(r.output);
        changed[0x1010] ^= 0xff;
        assert.match(verifyCompacted(input, changed) ?? "", /segment 1 .* has other bytes at \+0x10/);
        const offPage = Buffer.from(r.output);
        offPage.writeBigUInt64LE(0x800n, 0x40 + 56 + 8);
        assert.match(verifyCompacted(input, offPage) ?? "", /not congruent/);
        assert.deepEqual(compactElf(Buffer.alloc(100, "not an ELF file at all, just text")), { why: "not a 64-bit little-endian ELF file" });
    });
});
