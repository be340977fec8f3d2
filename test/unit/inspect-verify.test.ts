// inspect checks the entry data its verdicts depend on: every entry must
// inflate to exactly the size and CRC-32 its central-directory record
// declares, a declared size is checked without being trusted (inflation
// stops just past it), links are followed to the file they name, and the
// work leaves the event loop free so Ctrl-C is answered.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { gatherFactsAsync, inspectPathVerified } from "../../policies/inspect";
import { zipFileSource } from "../../policies/inspect/source";
import { ByteSource, openZipFile, ZipReader } from "../../policies/zip/reader";
import { verifyEntries } from "../../policies/zip/verify";
import { checkArchive } from "../../policies/rules";
import { definesName } from "../../policies/rules/handler-at-root";
import { craftZip, CraftEntry, deflatedZeros } from "../zip-crafter";

const HANDLER = Buffer.from("def handler(event, context):\n    return 1\n");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inspect-verify-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function zipOf(entries: CraftEntry[]): string {
    const file = path.join(dir, `${n++}.zip`);
    fs.writeFileSync(file, craftZip(entries, { zip64: entries.length > 65535 }));
    return file;
}

async function findings(file: string, handler = "app.handler") {
    return checkArchive(await inspectPathVerified(file), { kind: "function", runtimes: ["python3.12"], architectures: ["x86_64"], handler });
}

const damage = (fs: { policy: string; level: string; message: string }[]) => fs.filter((f) => f.policy === "lambda-zip-entry-safety" && f.level === "mandatory").map((f) => f.message);

/** Sets the CRC-32 of the named entry in both its local and central headers. */
function withCrc(file: string, name: string, crc: number): void {
    const zip = fs.readFileSync(file);
    const nameBytes = Buffer.from(name);
    for (let at = zip.indexOf(nameBytes); at >= 0; at = zip.indexOf(nameBytes, at + 1)) {
        if (at >= 30 && zip.readUInt32LE(at - 30) === 0x04034b50) zip.writeUInt32LE(crc, at - 30 + 14);
        if (at >= 46 && zip.readUInt32LE(at - 46) === 0x02014b50) zip.writeUInt32LE(crc, at - 46 + 16);
    }
    fs.writeFileSync(file, zip);
}

describe("inspect verifies entry data", function () {
    this.timeout(120_000);
    it("reports a handler whose data does not match its CRC, though it inflates cleanly", async () => {
        const file = zipOf([{ name: "app.py", data: HANDLER }]);
        withCrc(file, "app.py", 0x12345678);
        assert.match(damage(await findings(file)).join("\n"), /app\.py: its data does not match its CRC-32/);
    });

    it("reports a stored entry and a streamed (big) entry with a wrong CRC", async () => {
        const big = Buffer.alloc(3 << 20, 7);
        const file = zipOf([
            { name: "app.py", data: HANDLER },
            { name: "stored.txt", data: Buffer.from("plain"), stored: true },
            { name: "big.bin", data: big },
            { name: "big-stored.bin", data: big, stored: true },
        ]);
        for (const name of ["stored.txt", "big.bin", "big-stored.bin"]) withCrc(file, name, 1);
        const message = damage(await findings(file)).join("\n");
        for (const name of ["stored.txt", "big.bin", "big-stored.bin"]) assert.match(message, new RegExp(`${name.replace(".", "\\.")}: its data does not match its CRC-32`));
    });

    it("reports entry data cut short", async () => {
        const text = Buffer.from("x = 1\n".repeat(5000));
        const compressed = zlib.deflateRawSync(text);
        const file = zipOf([
            { name: "app.py", data: HANDLER },
            { name: "mod.py", raw: { compressed: compressed.subarray(0, compressed.length - 20), size: text.length, crc32: zlib.crc32(text), method: 8 } },
        ]);
        assert.match(damage(await findings(file)).join("\n"), /mod\.py: its compressed data ends early/);
    });

    it("never trusts a declared size: an entry declaring 1,000 bytes that inflates to 1 GiB is reported after reading little of it", async () => {
        const zeros = deflatedZeros(1 << 30, { crc: false });
        const file = zipOf([
            { name: "app.py", data: HANDLER },
            { name: "data.bin", raw: { ...zeros, size: 1000 } },
        ]);
        assert.match(damage(await findings(file)).join("\n"), /data\.bin: inflates to more than the 1,000 bytes it declares/);
        // Counting what the verification reads: at most a few chunks of the ~1 MB of compressed data, not all of it inflated.
        const file2 = path.join(dir, "count.zip");
        fs.writeFileSync(file2, craftZip([{ name: "data.bin", raw: { ...deflatedZeros(16 * 2 ** 30, { crc: false }), size: 1000 } }]));
        let read = 0;
        const fd = fs.openSync(file2, "r");
        const counting: ByteSource = {
            size: fs.fstatSync(fd).size,
            read(position, length) {
                const buf = Buffer.alloc(Math.max(0, Math.min(length, this.size - position)));
                fs.readSync(fd, buf, 0, buf.length, position);
                read += buf.length;
                return buf;
            },
            close: () => fs.closeSync(fd),
        };
        const result = await verifyEntries(new ZipReader(counting));
        counting.close();
        assert.equal(result.damaged.length, 1);
        assert.ok(read < 4 << 20, `read ${read} bytes of a ${fs.statSync(file2).size}-byte zip`);
    });

    it("verifies records that share one entry's data once (an overlapping zip bomb)", async () => {
        const zeros = deflatedZeros(64 << 20);
        const entries: CraftEntry[] = [{ name: "a.bin", raw: zeros }];
        for (let i = 0; i < 200; i++) entries.push({ name: `copy${i}.bin`, raw: zeros, shareDataWith: "a.bin" });
        const reader = openZipFile(zipOf(entries));
        const result = await verifyEntries(reader);
        reader.close();
        assert.equal(result.verified, 1);
        assert.equal(result.bytes, 64 << 20);
    });

    it("passes a sound archive, every entry checked", async () => {
        const file = zipOf([
            { name: "app.py", data: HANDLER },
            { name: "lib/", mode: 0o040755 },
            { name: "lib/big.bin", data: Buffer.alloc(3 << 20, 1) },
            { name: "lib/s.txt", data: Buffer.from("s"), stored: true },
        ]);
        assert.deepEqual(await findings(file), []);
        const reader = openZipFile(file);
        const result = await verifyEntries(reader);
        reader.close();
        assert.deepEqual([result.verified, result.bytes, result.problems], [4, HANDLER.length + (3 << 20) + 1, []]);
    });

    it("leaves the event loop free while it inflates and gathers: Ctrl-C is answered in between", async () => {
        const file = zipOf([{ name: "data.bin", raw: deflatedZeros(512 << 20) }]);
        let turns = 0;
        let ticking = true;
        const tick = () => {
            turns++;
            if (ticking) setImmediate(tick);
        };
        setImmediate(tick);
        let verifyTurns: number;
        try {
            const reader = openZipFile(file);
            await verifyEntries(reader);
            reader.close();
            verifyTurns = turns;
            const entries: CraftEntry[] = [];
            for (let i = 0; i < 200_000; i++) entries.push({ name: `f${i}.txt`, stored: true });
            const src = zipFileSource(zipOf(entries));
            turns = 0;
            await gatherFactsAsync(src);
            src.close();
        } finally {
            ticking = false;
        }
        // Synchronous work would let the ticker run at most once; every chunk and slice lets it run.
        assert.ok(verifyTurns > 100, `${verifyTurns} turns of the event loop while 512 MiB were inflated`);
        assert.ok(turns > 1, `${turns} turns of the event loop while 200,000 entries were gathered`);
    });
});

describe("the handler is judged by what Lambda would import", () => {
    it("follows a symbolic link to the module it names, never judging the link's own text", async () => {
        const asText = zipOf([{ name: "app.py", data: Buffer.from("def handler(event, context): pass"), mode: 0o120777, stored: true }]);
        const f1 = await findings(asText);
        assert.equal(f1.length, 1);
        assert.match(f1[0].message, /app\.py in .* is a symbolic link to def handler\(event, context\): pass, which the archive does not hold/);
        const toModule = zipOf([
            { name: "app.py", data: Buffer.from("src/real.py"), mode: 0o120777, stored: true },
            { name: "src/real.py", data: HANDLER },
        ]);
        assert.deepEqual(await findings(toModule), []);
        const toOther = zipOf([
            { name: "app.py", data: Buffer.from("other.py"), mode: 0o120777, stored: true },
            { name: "other.py", data: Buffer.from("def something_else(): pass\n") },
        ]);
        assert.match((await findings(toOther))[0].message, /app\.py in .* does not define handler/);
        const outside = zipOf([{ name: "app.py", data: Buffer.from("../../etc/passwd"), mode: 0o120777, stored: true }]);
        assert.ok((await findings(outside)).some((f) => /app\.py in .* is a symbolic link to \.\.\/\.\.\/etc\/passwd, outside the archive/.test(f.message)));
        const loop = zipOf([
            { name: "app.py", data: Buffer.from("b.py"), mode: 0o120777, stored: true },
            { name: "b.py", data: Buffer.from("app.py"), mode: 0o120777, stored: true },
        ]);
        assert.match((await findings(loop))[0].message, /app\.py in .* is a symbolic link in a loop/);
    });

    it("finds definitions as the former patterns did, on thousands of random lines", () => {
        // The patterns definesName replaced (quadratic on a long line), as the oracle on short inputs.
        const former = (source: string, name: string) =>
            [
                new RegExp(`^[ \\t]*(async[ \\t]+)?def[ \\t]+${name}[ \\t]*\\(`, "m"),
                new RegExp(`^[ \\t]*class[ \\t]+${name}\\b`, "m"),
                new RegExp(`^[^#\\n]*\\b${name}\\b[^=#\\n(]*(?<![=!<>])=(?!=)`, "m"),
                new RegExp(`^[ \\t]*(from[ \\t]+\\S+[ \\t]+)?import[ \\t]+[^#\\n]*\\b${name}\\b`, "m"),
                /^[ \t]*from[ \t]+\S+[ \t]+import[ \t]+\*/m,
                /\bglobals\(\)/,
            ].some((p) => p.test(source));
        const pieces = ["handler", "handler_x", "xhandler", " ", "\t", "=", "==", "!=", "<=", "(", ")", "#", "def ", "async ", "class ", "import ", "from m ", "*", ",", "x", "\n", "globals()", ":", "'"];
        let seed = 7;
        const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
        let agreed = 0;
        for (let i = 0; i < 20_000; i++) {
            let s = "";
            for (let k = 1 + Math.floor(rand() * 12); k > 0; k--) s += pieces[Math.floor(rand() * pieces.length)];
            assert.equal(definesName(s, "handler"), former(s, "handler"), JSON.stringify(s));
            agreed++;
        }
        assert.equal(agreed, 20_000);
    });
});
