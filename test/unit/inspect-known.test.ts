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
import { ArchiveFacts, inspectPath } from "../../policies/inspect";

const LIBZ = ["/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"].find((f) => fs.existsSync(f));

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
