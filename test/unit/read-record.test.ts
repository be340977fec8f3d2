// A cached archive is handed out or copied from only when its bytes are still
// what was written (builder/archive-cache.ts readRecord: size, mtime and the
// CRC-32 of every byte). Within one process an archive checked once is not
// read whole again while its size, mtime, ctime and inode are the same; any
// write to it, or any setting of its mtime, changes its ctime, and it is
// checked again.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildArchive } from "../../builder";
import { readRecord } from "../../builder/archive-cache";

describe("readRecord: an archive's bytes checked once per process while its file is unchanged", function () {
    this.timeout(120_000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "read-record-"));
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    /** An archive built into its own cache: its zip and record. */
    const built = async (name: string) => {
        const source = path.join(dir, name);
        fs.mkdirSync(source);
        fs.writeFileSync(path.join(source, "app.py"), `NAME = "${name}"\n\n\ndef handler(event, context):\n    return NAME\n`);
        const r = await buildArchive({ kind: "function", source, handler: "app.handler", runtime: "python3.13", architecture: "x86_64", cacheDir: path.join(dir, `${name}-cache`) });
        return { zip: r.path, record: r.path.replace(/\.zip$/, ".json") };
    };
    /** How many times `file` is opened while `f` runs. */
    const opensOf = <T>(file: string, f: () => T): { value: T; opens: number } => {
        // Node's own module object: `import * as fs` gives a copy with getters, which the builder's reads through.
        const nodeFs = require("fs") as { openSync: typeof fs.openSync };
        const open = nodeFs.openSync;
        let opens = 0;
        nodeFs.openSync = ((p: fs.PathLike, ...rest: never[]) => {
            if (path.resolve(String(p)) === path.resolve(file)) opens++;
            return (open as (...a: unknown[]) => number)(p, ...rest);
        }) as typeof fs.openSync;
        try {
            return { value: f(), opens };
        } finally {
            nodeFs.openSync = open;
        }
    };

    it("reads a cached archive whole once, then vouches for it without reading it while it is unchanged", async () => {
        const { zip, record } = await built("once");
        const first = opensOf(zip, () => readRecord(record, zip));
        assert.ok(first.value, "the record of an archive as written");
        assert.equal(first.opens, 1, "its bytes are read to be checked");
        const again = opensOf(zip, () => readRecord(record, zip));
        assert.deepEqual(again.value, first.value);
        assert.equal(again.opens, 0, "not read again");
    });

    it("checks again an archive whose bytes changed after it was checked, its size and mtime put back, and removes it", async () => {
        const { zip, record } = await built("rot");
        assert.ok(readRecord(record, zip));
        const { mtimeNs } = fs.statSync(zip, { bigint: true });
        const bytes = fs.readFileSync(zip);
        bytes[40] ^= 0xff; // inside the first entry's data
        fs.writeFileSync(zip, bytes);
        execFileSync("touch", ["-m", "-d", `@${mtimeNs / 1_000_000_000n}.${String(mtimeNs % 1_000_000_000n).padStart(9, "0")}`, zip]);
        assert.equal(fs.statSync(zip, { bigint: true }).mtimeNs, mtimeNs);
        const checked = opensOf(zip, () => readRecord(record, zip));
        assert.equal(checked.value, undefined, "not vouched for");
        assert.equal(checked.opens, 1);
        assert.ok(!fs.existsSync(zip) && !fs.existsSync(record), "removed with its record, to be built again");
    });

    it("checks an archive put in the checked one's place (another inode, the same size and times)", async () => {
        const { zip, record } = await built("replaced");
        assert.ok(readRecord(record, zip));
        const copy = `${zip}.copy`;
        execFileSync("cp", ["-a", zip, copy]);
        fs.renameSync(copy, zip);
        const checked = opensOf(zip, () => readRecord(record, zip));
        assert.ok(checked.value);
        assert.equal(checked.opens, 1, "read again: not the file that was checked");
    });
});
