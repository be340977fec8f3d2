// Compressed bytes beyond the in-memory budget wait in spill files
// (builder/spill.ts): an archive is the same bytes whether its entries waited
// in memory or on disk, and no spill file outlives the build that made it,
// whether the build succeeded or failed. A big file is deflated in joined
// chunks that never hold it whole.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { buildArchive } from "../../builder";
import { reservedMemory, setInMemoryBudget } from "../../builder/spill";
import { STREAM_THRESHOLD } from "../../builder/deflate-pool";
import { Libdeflate } from "../../builder/libdeflate";
import { ChangedFileError, writeZip, ZipInputEntry } from "../../builder/zip-writer";

const hex = (data: Buffer) => crypto.createHash("sha256").update(data).digest("hex");

/** Files of every kind the writer meets: compressible text of several sizes, incompressible bytes, an executable. */
function makeTree(root: string): void {
    fs.mkdirSync(path.join(root, "pkg", "data"), { recursive: true });
    fs.writeFileSync(path.join(root, "handler.py"), "def handler(event, context):\n    return {'ok': True}\n");
    for (let i = 0; i < 60; i++) {
        const text = `VALUES_${i} = [\n${Array.from({ length: 50 + i * 40 }, (_, j) => `    ${j * i},\n`).join("")}]\n`;
        fs.writeFileSync(path.join(root, "pkg", `m${i}.py`), text);
    }
    fs.writeFileSync(path.join(root, "pkg", "data", "random.bin"), crypto.randomBytes(300_000));
    fs.writeFileSync(path.join(root, "pkg", "tool"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
}

/** Files left in a folder (recursively) whose name says they are spill files. */
function spillsUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => path.basename(f).startsWith(".spill"));
}

describe("spilling compressed bytes beyond the in-memory budget", () => {
    let dir: string;
    let budget: number;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "spill-"));
        fs.mkdirSync(path.join(dir, "out"));
        budget = setInMemoryBudget(16 * 1024 * 1024);
    });
    afterEach(() => {
        setInMemoryBudget(budget);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    function entriesOf(root: string): ZipInputEntry[] {
        return (fs.readdirSync(root, { recursive: true }) as string[]).sort().map((rel) => {
            const abs = path.join(root, rel);
            const st = fs.statSync(abs);
            if (st.isDirectory()) return { name: `${rel}/`, isDirectory: true, executable: true, size: 0, sha256: "" };
            return { name: rel, isDirectory: false, executable: (st.mode & 0o111) !== 0, size: st.size, sha256: hex(fs.readFileSync(abs)), path: abs };
        });
    }

    it("writes the same archive bytes whether every entry waited in memory or in a spill file", async () => {
        const src = path.join(dir, "src");
        makeTree(src);
        const inMemory = await writeZip(path.join(dir, "out", "memory.zip"), entriesOf(src), { level: 6 });
        setInMemoryBudget(0);
        const spilled = await writeZip(path.join(dir, "out", "spilled.zip"), entriesOf(src), { level: 6 });
        assert.equal(spilled.sha256, inMemory.sha256);
        assert.deepEqual(fs.readFileSync(path.join(dir, "out", "spilled.zip")), fs.readFileSync(path.join(dir, "out", "memory.zip")));
        assert.deepEqual(spillsUnder(path.join(dir, "out")), []);
        assert.equal(reservedMemory(), 0);
    });

    it("builds the same archive with no budget at all as with the default one, and leaves no spill file in the cache", async () => {
        const site = path.join(dir, "site-packages");
        makeTree(site);
        const build = (cacheDir: string) => buildArchive({ kind: "layer", sitePackages: site, runtime: "python3.12", architecture: "x86_64", cacheDir });
        const withBudget = await build(path.join(dir, "cache-a"));
        setInMemoryBudget(0);
        const without = await build(path.join(dir, "cache-b"));
        assert.equal(without.sha256, withBudget.sha256);
        assert.deepEqual(fs.readFileSync(without.path), fs.readFileSync(withBudget.path));
        assert.deepEqual(spillsUnder(path.join(dir, "cache-a")), []);
        assert.deepEqual(spillsUnder(path.join(dir, "cache-b")), []);
    });

    it("removes its spill files when a file changed while the archive was being written", async () => {
        const src = path.join(dir, "src");
        makeTree(src);
        const entries = entriesOf(src);
        fs.appendFileSync(path.join(src, "pkg", "m7.py"), "# edited after it was hashed\n");
        setInMemoryBudget(0);
        await assert.rejects(writeZip(path.join(dir, "out", "changed.zip"), entries, { level: 6 }), ChangedFileError);
        assert.deepEqual(spillsUnder(path.join(dir, "out")), []);
        assert.equal(reservedMemory(), 0);
    });
});

describe("a file of STREAM_THRESHOLD bytes or more", () => {
    it("is deflated in 4 MiB chunks whose streams join into one (the last one ends it), the same bytes as libdeflate gives chunk by chunk", async function () {
        this.timeout(120_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamed-"));
        try {
            const size = STREAM_THRESHOLD + 3 * 1024 * 1024 + 12_345;
            const data = Buffer.alloc(size);
            for (let at = 0; at < size; at += 4096) data.write(`block ${at % 7919} of a large model file\n`.repeat(100), at, Math.min(4096, size - at));
            const file = path.join(dir, "model.bin");
            fs.writeFileSync(file, data);
            const written = await writeZip(path.join(dir, "big.zip"), [{ name: "model.bin", isDirectory: false, executable: false, size, sha256: hex(data), path: file }], { level: 6 });
            const m = written.manifest[0];
            const stored = fs.readFileSync(path.join(dir, "big.zip")).subarray(m.dataOffset, m.dataOffset + m.compressedSize);
            assert.equal(m.method, 8);
            assert.ok(zlib.inflateRawSync(stored).equals(data), "zlib inflates the joined stream to the file");
            const lib = new Libdeflate();
            const chunk = 4 * 1024 * 1024;
            const expected: Buffer[] = [];
            for (let at = 0; at < size; at += chunk) {
                const piece = data.subarray(at, at + chunk);
                lib.inputArea(piece.length).set(piece);
                const crc = zlib.crc32(piece);
                expected.push(Buffer.from(at + chunk < size ? lib.deflateChunk(piece.length, 6, crc) : lib.deflateInput(piece.length, 6, crc)));
            }
            assert.ok(stored.equals(Buffer.concat(expected)), "the same bytes as libdeflate chunk by chunk");
            assert.deepEqual(fs.readdirSync(dir).sort(), ["big.zip", "model.bin"]); // no spool or spill file left
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
