// An archive the builder wrote is not inspected again in the same process
// (a preview's policy pack and invocations read the archives its builds just
// wrote): inspectPath gives the facts the builder gathered from the written
// file, as long as the file is the same and unchanged, and the same facts a
// fresh inspection gives. A real build of a folder holding an ELF library.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildArchive } from "../../builder";
import { NativesByContent } from "../../builder/archive-cache";
import { ArchiveFacts, inspectPath } from "../../policies/inspect";

const LIBZ = ["/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"].find((f) => fs.existsSync(f));
const LIBM = ["/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6"].find((f) => fs.existsSync(f));

describe("inspecting an archive this process built", function () {
    this.timeout(120_000);
    let dir: string;
    before(function () {
        if (!LIBZ) this.skip();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "inspect-known-"));
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    const withoutLabel = (f: ArchiveFacts) => ({ ...f, label: "" });

    it("gives the builder's facts: equal to a fresh inspection's, a copy each time, and gathered again once the file changes", async () => {
        const source = path.join(dir, "app");
        fs.mkdirSync(path.join(source, "lib"), { recursive: true });
        fs.writeFileSync(path.join(source, "app.py"), "def handler(event, context):\n    return 1\n");
        fs.copyFileSync(LIBZ!, path.join(source, "lib", "libz.so"));
        const built = await buildArchive({ kind: "function", source, handler: "app.handler", runtime: "python3.13", architecture: "x86_64", cacheDir: path.join(dir, "cache") });

        // A copy of the zip is another file: inspected from its bytes.
        const copy = path.join(dir, "copy.zip");
        fs.copyFileSync(built.path, copy);
        const fresh = inspectPath(copy).facts;
        assert.equal(fresh.natives.length, 1, "the ELF library is a fact worth gathering");

        const known = inspectPath(built.path, "the function");
        assert.deepEqual(withoutLabel(known.facts), withoutLabel(fresh));
        assert.equal(known.facts.label, "the function");
        assert.equal(known.readText("app.py"), "def handler(event, context):\n    return 1\n");

        known.facts.natives.length = 0;
        assert.equal(inspectPath(built.path).facts.natives.length, 1, "a caller's change to its facts is its own");

        // Known by identity (inode, size, mtime), as the hash memo knows files: bytes changed under the same size
        // and mtime still give the builder's facts (which is how this test sees they are not gathered again) …
        const { mtimeNs } = fs.statSync(built.path, { bigint: true });
        // touch sets the exact nanoseconds back (a JavaScript number cannot carry them).
        const restoreMtime = () => execFileSync("touch", ["-m", "-d", `@${mtimeNs / 1_000_000_000n}.${String(mtimeNs % 1_000_000_000n).padStart(9, "0")}`, built.path]);
        const bytes = fs.readFileSync(built.path);
        fs.writeFileSync(built.path, Buffer.alloc(bytes.length)); // no longer a zip at all
        restoreMtime();
        assert.deepEqual(withoutLabel(inspectPath(built.path).facts), withoutLabel(fresh));
        fs.writeFileSync(built.path, bytes);
        restoreMtime();
        // … and changed in place (bytes appended, so a new size), its facts come from the file again.
        fs.appendFileSync(built.path, Buffer.alloc(64));
        const again = inspectPath(built.path).facts;
        assert.equal(again.zippedBytes, fs.statSync(built.path).size);
        assert.equal(again.zippedBytes, (known.facts.zippedBytes ?? 0) + 64);
    });
});

describe("the native libraries of archives built in one process (builder/archive-cache.ts NativesByContent)", function () {
    this.timeout(120_000);
    let dir: string;
    before(function () {
        if (!LIBZ || !LIBM) this.skip();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "natives-known-"));
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    const manifestEntry = (name: string, sha256: string) => ({ name, sha256, method: 8 as const, crc32: 0, size: 100, compressedSize: 50, dataOffset: 0 });
    const factsWith = (natives: ArchiveFacts["natives"], problems: string[] = []) => ({ natives, problems }) as unknown as ArchiveFacts;

    it("are known by content once an archive's read-back found them, under any name; not from a read-back with problems", () => {
        const sha = (c: string) => c.repeat(64);
        const first = new NativesByContent([manifestEntry("a/_core.so", sha("1")), manifestEntry("a/tool", sha("2")), manifestEntry("a/bad.so", sha("3"))]);
        assert.equal(first.known("a/_core.so"), undefined);
        assert.equal(first.known("a/tool"), undefined);
        first.learn(factsWith([{ name: "a/_core.so", format: "elf", arch: "x86_64", glibc: { version: [2, 17], symbolVersion: "GLIBC_2.17", library: "libc.so.6" } }]));
        // Another archive, the same contents under other names: known, the library as what it is and the other as none.
        const second = new NativesByContent([manifestEntry("b/_core.cpython-313.so", sha("1")), manifestEntry("b/bin/tool", sha("2")), manifestEntry("b/other.so", sha("4"))]);
        assert.deepEqual(second.known("b/_core.cpython-313.so"), { format: "elf", arch: "x86_64", glibc: { version: [2, 17], symbolVersion: "GLIBC_2.17", library: "libc.so.6" } });
        assert.equal(second.known("b/bin/tool"), null);
        assert.equal(second.known("b/other.so"), undefined, "another content is read");
        // A read-back with problems teaches nothing.
        const third = new NativesByContent([manifestEntry("c/bad.so", sha("3"))]);
        assert.equal(third.known("c/bad.so"), undefined);
        third.learn(factsWith([], ["c/bad.so: its data does not match its CRC-32"]));
        assert.equal(new NativesByContent([manifestEntry("d/bad.so", sha("3"))]).known("d/bad.so"), undefined);
    });

    it("give each archive the facts a fresh inspection of it gives: the same library in a second function, another under the same name in a third", async () => {
        const built: string[] = [];
        for (const [name, lib] of [
            ["one", LIBZ!],
            ["two", LIBZ!],
            ["three", LIBM!],
        ] as const) {
            const source = path.join(dir, name);
            fs.mkdirSync(path.join(source, "lib"), { recursive: true });
            fs.writeFileSync(path.join(source, `${name}.py`), "def handler(event, context):\n    return 1\n");
            fs.copyFileSync(lib, path.join(source, "lib", "native.so"));
            const r = await buildArchive({ kind: "function", source, handler: `${name}.handler`, runtime: "python3.13", architecture: "x86_64", cacheDir: path.join(dir, "cache") });
            const copy = path.join(dir, `${name}.zip`);
            fs.copyFileSync(r.path, copy);
            assert.deepEqual(r.facts.natives, inspectPath(copy).facts.natives, name);
            built.push(JSON.stringify(r.facts.natives));
        }
        assert.equal(built[0], built[1]);
        assert.notEqual(built[1], built[2], "libm is not libz");
    });
});
