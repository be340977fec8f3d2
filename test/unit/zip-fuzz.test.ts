// Seeded fuzzing of the archive inspection that `lambda-python inspect` and
// the policy pack run (inspectPathVerified, then every archive rule): random
// damage to hand-made zips must end in facts and findings, never a thrown
// error or a hang, and damaged entry data must always be reported. Whether
// a mutated archive is still sound is decided independently of our reader:
// the test knows where each entry's data lies (it walks the local headers
// itself) and inflates it with zlib against the original content.
//
// Reproducible: the seed and the counts are fixed; a failure names the case
// number, and FUZZ_SEED / FUZZ_CASES run other seeds or more cases by hand.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { inspectPathVerified } from "../../policies/inspect";
import { checkArchive } from "../../policies/rules";
import { craftZip, CraftEntry, elfHeader } from "../zip-crafter";
import { prng } from "../prng";

const SEED = Number(process.env.FUZZ_SEED ?? 24);
const CASES = Number(process.env.FUZZ_CASES ?? 3000);

/** Text that deflates into several blocks with back-references, as real modules do. */
function moduleText(rand: () => number, lines: number): Buffer {
    const words = ["import", "boto3", "def", "handler", "return", "event", "context", "self", "value", "=", "(", ")", ":", "\n    "];
    let s = "def handler(event, context):\n    return 1\n";
    for (let i = 0; i < lines; i++) s += `${Array.from({ length: 6 }, () => words[Math.floor(rand() * words.length)]).join(" ")}\n`;
    return Buffer.from(s);
}

/** An ELF shared object with a version-needs table the glibc reader follows. */
function elfWithVersionNeeds(): Buffer {
    const b = Buffer.alloc(8192);
    elfHeader(62).copy(b);
    b.writeBigUInt64LE(64n, 32); // e_phoff
    b.writeUInt16LE(56, 54); // e_phentsize
    b.writeUInt16LE(2, 56); // e_phnum
    // PT_LOAD covering the file, PT_DYNAMIC at 0x200.
    b.writeUInt32LE(1, 64);
    b.writeBigUInt64LE(0n, 64 + 8);
    b.writeBigUInt64LE(0n, 64 + 16);
    b.writeBigUInt64LE(8192n, 64 + 32);
    b.writeUInt32LE(2, 120);
    b.writeBigUInt64LE(0x200n, 120 + 8);
    b.writeBigUInt64LE(0x200n, 120 + 16);
    b.writeBigUInt64LE(64n, 120 + 32);
    const dyn = [
        [5n, 0x400n], // DT_STRTAB
        [10n, 64n], // DT_STRSZ
        [0x6ffffffen, 0x300n], // DT_VERNEED
        [0x6fffffffn, 1n], // DT_VERNEEDNUM
    ];
    dyn.forEach(([tag, val], i) => {
        b.writeBigUInt64LE(tag, 0x200 + i * 16);
        b.writeBigUInt64LE(val, 0x200 + i * 16 + 8);
    });
    b.write("\0libc.so.6\0GLIBC_2.17\0", 0x400, "latin1");
    // Elf_Verneed: version 1, one aux, file "libc.so.6" (1), aux at +16; Elf_Vernaux: name "GLIBC_2.17" (11).
    b.writeUInt16LE(1, 0x300);
    b.writeUInt16LE(1, 0x302);
    b.writeUInt32LE(1, 0x304);
    b.writeUInt32LE(16, 0x308);
    b.writeUInt32LE(0x0d696917, 0x310);
    b.writeUInt16LE(2, 0x316);
    b.writeUInt32LE(11, 0x318);
    return b;
}

function baseArchive(rand: () => number, variant: number): { zip: Buffer; entries: CraftEntry[] } {
    const entries: CraftEntry[] = [
        { name: "app.py", data: moduleText(rand, 5 + Math.floor(rand() * 400)) },
        { name: "lib/", mode: 0o040755 },
        { name: "lib/_native.cpython-312-x86_64-linux-gnu.so", data: elfWithVersionNeeds(), mode: 0o100755 },
        { name: "lib/data.txt", data: moduleText(rand, 50), stored: variant % 2 === 0, zip64Extra: Math.floor(variant / 2) % 2 === 0 },
        { name: "pkg-1.0.dist-info/WHEEL", data: Buffer.from("Wheel-Version: 1.0\nTag: cp312-cp312-manylinux_2_17_x86_64\n") },
        { name: "link.py", data: Buffer.from("app.py"), mode: 0o120777, stored: true },
    ];
    return { zip: craftZip(entries, { zip64: variant % 3 === 0 }), entries };
}

/** Where each entry's data lies in a crafted zip, found by walking its local headers. */
function dataRegions(zip: Buffer): { name: string; start: number; length: number; method: number }[] {
    const out = [];
    for (let p = 0; zip.readUInt32LE(p) === 0x04034b50; ) {
        const method = zip.readUInt16LE(p + 8);
        const length = zip.readUInt32LE(p + 18);
        const nameLength = zip.readUInt16LE(p + 26);
        const start = p + 30 + nameLength + zip.readUInt16LE(p + 28);
        out.push({ name: zip.toString("utf8", p + 30, p + 30 + nameLength), start, length, method });
        p = start + length;
    }
    return out;
}

/** Whether every entry's (possibly mutated) data still yields exactly its original content. */
function stillSound(zip: Buffer, entries: CraftEntry[]): boolean {
    return dataRegions(zip).every((r) => {
        const original = entries.find((e) => e.name === r.name)!.data ?? Buffer.alloc(0);
        const raw = zip.subarray(r.start, r.start + r.length);
        try {
            return (r.method === 8 ? zlib.inflateRawSync(raw) : raw).equals(original);
        } catch {
            return false;
        }
    });
}

async function judge(file: string) {
    const archive = await inspectPathVerified(file);
    const findings = checkArchive(archive, { kind: "function", runtimes: ["python3.12"], architectures: ["x86_64"], handler: "app.handler" });
    return { archive, findings, damaged: findings.some((f) => f.policy === "lambda-zip-entry-safety" && f.level === "mandatory" && /damaged or malicious/.test(f.message)) };
}

describe("inspect under seeded fuzzing", function () {
    this.timeout(300_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zip-fuzz-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it(`reports damaged entry data in every one of ${CASES} archives with flipped data bytes, and no sound one (seed ${SEED})`, async () => {
        const rand = prng(SEED);
        let damagedCases = 0;
        let soundCases = 0;
        for (let i = 0; i < CASES; i++) {
            const { zip, entries } = baseArchive(rand, i);
            const regions = dataRegions(zip).filter((r) => r.length > 0);
            const r = regions[Math.floor(rand() * regions.length)];
            const mutated = Buffer.from(zip);
            for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) mutated[r.start + Math.floor(rand() * r.length)] ^= 1 << Math.floor(rand() * 8);
            const file = path.join(dir, `data-${i}.zip`);
            fs.writeFileSync(file, mutated);
            const sound = stillSound(mutated, entries);
            let verdict;
            try {
                verdict = await judge(file);
            } catch (e) {
                assert.fail(`case ${i} (seed ${SEED}): inspection threw ${(e as Error).stack}`);
            }
            assert.equal(verdict.damaged, !sound, `case ${i} (seed ${SEED}, ${r.name}): ${sound ? "a sound archive was reported damaged" : "damaged data was accepted"}: ${JSON.stringify(verdict.findings)}`);
            if (sound) soundCases++;
            else damagedCases++;
            fs.rmSync(file);
        }
        assert.ok(damagedCases > CASES * 0.9, `${damagedCases} of ${CASES} mutations damaged the data`);
        console.log(`      ${damagedCases} damaged archives all reported; ${soundCases} mutations left the data sound and were accepted`);
    });

    it(`ends every one of ${CASES} archives with damaged headers, truncations and stray bytes in facts and findings (seed ${SEED + 1})`, async () => {
        const rand = prng(SEED + 1);
        let reported = 0;
        for (let i = 0; i < CASES; i++) {
            const { zip } = baseArchive(rand, i);
            let mutated = Buffer.from(zip);
            const kind = i % 5;
            if (kind === 0) {
                // Flip bytes anywhere: local headers, central directory, zip64 records, end record.
                for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) mutated[Math.floor(rand() * mutated.length)] ^= 1 + Math.floor(rand() * 255);
            } else if (kind === 1) {
                // Set a field of the central directory or end record to an extreme value.
                const cd = mutated.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
                const at = cd + Math.floor(rand() * (mutated.length - cd - 4));
                const value = [0, 0xffff, 0xffffffff, 1, 0x7fffffff][Math.floor(rand() * 5)];
                if (rand() < 0.5) mutated.writeUInt16LE(value & 0xffff, at);
                else mutated.writeUInt32LE(value >>> 0, at);
            } else if (kind === 2) {
                mutated = mutated.subarray(0, Math.floor(rand() * mutated.length));
            } else if (kind === 3) {
                // A zip64 extra field (where the entry has one) that declares more bytes than it holds, or fewer.
                const extra = mutated.indexOf(Buffer.from([0x01, 0x00, 0x10, 0x00]), mutated.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])));
                if (extra < 0) mutated[Math.floor(rand() * mutated.length)] ^= 0x40;
                else if (rand() < 0.5) mutated.writeUInt16LE([0, 4, 8, 12, 24, 0xffff][Math.floor(rand() * 6)], extra + 2);
                else {
                    // The record keeps its length, but its extra data is cut short (the rest counted as comment).
                    const record = mutated.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), extra);
                    const short = 4 + Math.floor(rand() * 16);
                    mutated.writeUInt16LE(short, record + 30);
                    mutated.writeUInt16LE(mutated.readUInt16LE(record + 32) + 20 - short, record + 32);
                }
            } else {
                // Insert stray bytes (shifting every offset after them).
                const at = Math.floor(rand() * mutated.length);
                const stray = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)));
                mutated = Buffer.concat([mutated.subarray(0, at), stray, mutated.subarray(at)]);
            }
            const file = path.join(dir, `header-${i}.zip`);
            fs.writeFileSync(file, mutated);
            try {
                const verdict = await judge(file);
                if (verdict.findings.some((f) => f.level === "mandatory")) reported++;
            } catch (e) {
                assert.fail(`case ${i} (seed ${SEED + 1}, mutation ${kind}): inspection threw ${(e as Error).stack}`);
            }
            fs.rmSync(file);
        }
        console.log(`      ${reported} of ${CASES} given a mandatory finding; none threw`);
    });
});
