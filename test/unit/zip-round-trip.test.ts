// The builder's zip writer read back by the policy pack's zip reader: names,
// modes, methods and contents survive, and the same entries always make the
// same bytes (so an unchanged rebuild is no diff in `pulumi preview`).
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeZip, ZipInputEntry } from "../../builder/zip-writer";
import { inspectPath } from "../../policies/inspect";
import { openZipFile, UNIX_OS } from "../../policies/zip/reader";

const hex = (data: Buffer) => crypto.createHash("sha256").update(data).digest("hex");

function fileEntry(name: string, data: Buffer, executable = false): ZipInputEntry {
    return { name, isDirectory: false, executable, size: data.length, sha256: hex(data), data };
}

const dirEntry = (name: string): ZipInputEntry => ({ name, isDirectory: true, executable: false, size: 0, sha256: "" });

describe("zip round trip", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zip-round-trip-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const handler = Buffer.from("def lambda_handler(event, context):\n    return {'ok': True}\n");
    // Compressible and big enough that deflate is worth it.
    const module = Buffer.from(`VALUES = [\n${Array.from({ length: 2000 }, (_, i) => `    ${i},\n`).join("")}]\n`);
    const script = Buffer.from("#!/var/lang/bin/python3\nprint('hi')\n");
    const empty = Buffer.alloc(0);
    const onDisk = Buffer.from("read from a file, not from memory\n");

    function entries(): ZipInputEntry[] {
        const file = path.join(dir, "on-disk.txt");
        fs.writeFileSync(file, onDisk);
        return [
            dirEntry("bin/"),
            fileEntry("bin/hello", script, true),
            fileEntry("empty.txt", empty),
            fileEntry("lambda_function.py", handler),
            dirEntry("pkg/"),
            fileEntry("pkg/values.py", module),
            { name: "pkg/on-disk.txt", isDirectory: false, executable: false, size: onDisk.length, sha256: hex(onDisk), path: file },
        ];
    }

    it("writes entries the reader lists in order, with Unix modes, methods and contents intact", async () => {
        const zip = path.join(dir, "a.zip");
        const written = await writeZip(zip, entries(), { level: 6 });
        assert.equal(written.zippedBytes, fs.statSync(zip).size);
        assert.equal(written.sha256, hex(fs.readFileSync(zip)));
        const reader = openZipFile(zip);
        try {
            assert.deepEqual(
                reader.entries.map((e) => [e.name, e.isDirectory, e.madeByOs, e.unixMode?.toString(8)]),
                [
                    ["bin/", true, UNIX_OS, "40755"],
                    ["bin/hello", false, UNIX_OS, "100755"],
                    ["empty.txt", false, UNIX_OS, "100644"],
                    ["lambda_function.py", false, UNIX_OS, "100644"],
                    ["pkg/", true, UNIX_OS, "40755"],
                    ["pkg/values.py", false, UNIX_OS, "100644"],
                    ["pkg/on-disk.txt", false, UNIX_OS, "100644"],
                ],
            );
            const byName = new Map(reader.entries.map((e) => [e.name, e]));
            const values = byName.get("pkg/values.py")!;
            assert.equal(values.method, 8, "a compressible file is deflated");
            assert.ok(values.compressedSize < values.uncompressedSize);
            assert.deepEqual(reader.readAll(values, 1 << 20), module);
            assert.deepEqual(reader.readPrefix(values, 10), module.subarray(0, 10));
            assert.deepEqual(reader.readAll(byName.get("lambda_function.py")!, 1 << 20), handler);
            assert.deepEqual(reader.readAll(byName.get("bin/hello")!, 1 << 20), script);
            assert.deepEqual(reader.readAll(byName.get("empty.txt")!, 1 << 20), empty);
            assert.deepEqual(reader.readAll(byName.get("pkg/on-disk.txt")!, 1 << 20), onDisk);
            assert.equal(reader.readAll(values, 100), undefined, "an entry over the caller's limit is not read");
            assert.deepEqual(reader.problems, []);
        } finally {
            reader.close();
        }
    });

    it("writes the same bytes for the same entries, and different bytes at another level", async () => {
        const a = await writeZip(path.join(dir, "one.zip"), entries(), { level: 6 });
        const b = await writeZip(path.join(dir, "two.zip"), entries(), { level: 6 });
        const stored = await writeZip(path.join(dir, "stored.zip"), entries(), { level: 0 });
        assert.equal(a.sha256, b.sha256);
        assert.notEqual(stored.sha256, a.sha256);
        const reader = openZipFile(path.join(dir, "stored.zip"));
        try {
            assert.ok(reader.entries.every((e) => e.method === 0));
            assert.deepEqual(reader.readAll(reader.entries.find((e) => e.name === "pkg/values.py")!, 1 << 20), module);
        } finally {
            reader.close();
        }
    });

    it("gives the rules the facts of what was written", async () => {
        const zip = path.join(dir, "facts.zip");
        const written = await writeZip(zip, entries(), { level: 6 });
        const { facts, readText } = inspectPath(zip);
        assert.equal(facts.format, "zip");
        assert.equal(facts.zippedBytes, written.zippedBytes);
        assert.equal(facts.entries, 7);
        assert.equal(facts.unzippedBytes, handler.length + module.length + script.length + onDisk.length);
        assert.deepEqual(facts.unsafe, []);
        assert.equal(readText("lambda_function.py"), handler.toString());
    });
});
