// readZipText reads a zip's first file from that file's central directory
// record alone (a 50-function preview reads each archive's handler module
// once), and leaves every harder case to textReader over the whole
// directory. Whatever the path, the text is what textReader over the whole
// directory gives. Hand-made zips (test/zip-crafter.ts).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { readZipText, textReader } from "../../policies/inspect";
import { zipFileSource } from "../../policies/inspect/source";
import { openZipFileFor } from "../../policies/zip/reader";
import { CraftEntry, craftZip } from "../zip-crafter";

describe("readZipText", () => {
    let dir: string;
    let n = 0;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "read-zip-text-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** A new file each time: readZipText keeps what it knows of the zip it read last. */
    const zipOf = (entries: CraftEntry[]) => {
        const file = path.join(dir, `z${n++}.zip`);
        fs.writeFileSync(file, craftZip(entries));
        return file;
    };
    /** The reference: textReader over the whole central directory. */
    const wholeDirectory = (zip: string, name: string, max?: number) => {
        const src = zipFileSource(zip);
        try {
            return textReader(src)(name, max);
        } finally {
            src.close();
        }
    };
    const many = (count: number): CraftEntry[] => Array.from({ length: count }, (_, i) => ({ name: `pkg/m${String(i).padStart(4, "0")}.py`, data: Buffer.from(`X = ${i}\n`) }));
    const handler = Buffer.from("def lambda_handler(event, context):\n    return 1\n");

    const cases: [string, CraftEntry[], string, number?][] = [
        ["a plain file among 2,000 entries", [...many(1000), { name: "app.py", data: handler }, ...many(2000).slice(1000)], "app.py"],
        ["a stored file", [{ name: "app.py", data: handler, stored: true }], "app.py"],
        ["a name the archive lacks", many(10), "app.py"],
        ["a file bigger than asked for", [{ name: "app.py", data: handler }], "app.py", 10],
        ["a name held twice, with different texts", [{ name: "app.py", data: Buffer.from("A = 1\n") }, ...many(3), { name: "app.py", data: Buffer.from("B = 2\n") }], "app.py"],
        [
            "a symbolic link to the module",
            [
                { name: "real.py", data: handler },
                { name: "app.py", data: Buffer.from("real.py"), mode: 0o120777, stored: true },
            ],
            "app.py",
        ],
        ["a folder", [{ name: "app.py/" }, { name: "app.py/x.py", data: handler }], "app.py/"],
        ["a name in UTF-8", [{ name: "modulé.py", data: handler, flags: 0x800 }], "modulé.py"],
        ["a name in the old DOS code page", [{ name: "modul\u0082.py", data: handler }], "modul\u0082.py"],
        ["data that fails its CRC", [{ name: "app.py", raw: { compressed: zlib.deflateRawSync(handler), size: handler.length, crc32: 1, method: 8 } }], "app.py"],
    ];
    for (const [what, entries, name, max] of cases) {
        it(`gives textReader's answer: ${what}`, () => {
            const zip = zipOf(entries);
            const expected = wholeDirectory(zip, name, max);
            assert.equal(readZipText(zip, name, max), expected, "the first read");
            assert.equal(readZipText(zip, name, max), expected, "a second read of the same name");
            assert.equal(readZipText(zip, "other.py"), undefined, "another name (the whole directory, kept)");
            assert.equal(readZipText(zip, name, max), expected, "the first name again, from the whole directory");
        });
    }

    it("reads the plain file's text", () => {
        const zip = zipOf([...many(500), { name: "app.py", data: handler }]);
        assert.equal(readZipText(zip, "app.py"), handler.toString());
    });

    it("parses only the named records when asked for one name", () => {
        const zip = zipOf([...many(1000), { name: "app.py", data: handler }, { name: "app.py", data: Buffer.from("B = 2\n") }]);
        const names = (name: string) => {
            const reader = openZipFileFor(zip, name);
            try {
                return reader.entries.map((e) => e.name);
            } finally {
                reader.close();
            }
        };
        assert.deepEqual(names("pkg/m0500.py"), ["pkg/m0500.py"]);
        assert.deepEqual(names("app.py"), ["app.py", "app.py"]);
        assert.deepEqual(names("missing.py"), []);
    });
});
