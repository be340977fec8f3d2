// The zip reader's partial reads: whatever order readers ask for prefixes of
// which entries, they get the entry's own bytes; and an inspection kept for
// later reads (the policy pack caches them) holds no file descriptor.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { inspectPath } from "../policies/inspect";
import { openZipFile } from "../policies/zip/reader";
import { tmpDir } from "./helpers";

/** A zip written by Python's zipfile (deflated), from name → content. */
function pythonZip(files: Record<string, Buffer>): string {
    const dir = tmpDir("zr-");
    for (const [name, data] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, "src", name)), { recursive: true });
        fs.writeFileSync(path.join(dir, "src", name), data);
    }
    const zip = path.join(dir, "a.zip");
    const script =
        "import os, sys, zipfile\nroot = sys.argv[2]\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n    for d, _, fs in os.walk(root):\n        for f in sorted(fs): p = os.path.join(d, f); z.write(p, os.path.relpath(p, root))";
    const r = spawnSync("python3", ["-c", script, zip, path.join(dir, "src")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return zip;
}

function openFds(): number {
    return fs.readdirSync("/proc/self/fd").length;
}

describe("zip reader", () => {
    // Half random (incompressible), half text (compresses ~10:1): prefixes cross both.
    const mixed = (seed: string) => Buffer.concat([crypto.createHash("sha256").update(seed).digest(), crypto.randomBytes(300_000), Buffer.from("def f(x):\n    return x\n".repeat(40_000))]);
    const files = { "a.bin": mixed("a"), "b.bin": mixed("b"), "app.py": Buffer.from("import boto3\n") };

    it("returns each entry's own bytes for prefixes asked in any order, across entries", () => {
        const zip = pythonZip(files);
        const reader = openZipFile(zip);
        try {
            const byName = new Map(reader.entries.map((e) => [e.name, e]));
            const asks: [string, number][] = [
                ["a.bin", 1024],
                ["a.bin", 16384],
                ["a.bin", 500_000],
                ["a.bin", 100],
                ["b.bin", 65536],
                ["a.bin", 70_000],
                ["b.bin", 2_000_000],
                ["b.bin", 10],
            ];
            for (const [name, n] of asks) {
                const got = reader.readPrefix(byName.get(name)!, n);
                const want = files[name as keyof typeof files].subarray(0, n);
                assert.ok(got.equals(want), `${name} first ${n} bytes`);
            }
        } finally {
            reader.close();
        }
    });

    it("frees a prefix's memory once another entry is read, not at the next garbage collection", () => {
        const zip = pythonZip(files);
        const reader = openZipFile(zip);
        try {
            const byName = new Map(reader.entries.map((e) => [e.name, e]));
            const first = reader.readPrefix(byName.get("a.bin")!, 400_000);
            assert.ok(first.equals(files["a.bin"].subarray(0, 400_000)));
            // A shorter or equal prefix of the same entry is the same memory, still readable.
            assert.equal(reader.readPrefix(byName.get("a.bin")!, 1000).buffer, first.buffer);
            assert.ok(reader.readPrefix(byName.get("b.bin")!, 400_000).equals(files["b.bin"].subarray(0, 400_000)));
            // The ELF tables of every shared object once piled up as tens of MB of garbage this way.
            assert.equal(first.buffer.byteLength, 0, "the superseded prefix still holds its memory");
            assert.equal(first.length, 0);
        } finally {
            reader.close();
        }
    });

    it("keeps no descriptor open between reads of a finished inspection, and still reads its files", () => {
        const zip = pythonZip(files);
        const before = openFds();
        const inspected = inspectPath(zip);
        assert.equal(openFds(), before);
        assert.equal(inspected.readText("app.py"), "import boto3\n");
        assert.equal(openFds(), before);
    });

    it("reads nothing from a zip replaced after it was inspected, rather than misreading it", () => {
        const zip = pythonZip(files);
        const inspected = inspectPath(zip);
        fs.writeFileSync(zip, fs.readFileSync(pythonZip({ "app.py": Buffer.from("print(1)\n") })));
        assert.equal(inspected.readText("app.py"), undefined);
    });
});
