// The deflate pool does a little work (a rebuild after one edit) on the
// calling thread instead of starting a worker for it, and that gives the same
// bytes, hashes and errors as a worker.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { DeflateJob, DeflatePool, DeflateResult } from "../../builder/deflate-pool";
import { SpillAppends, whole } from "../../builder/deflate-worker";
import { Libdeflate } from "../../builder/libdeflate";

describe("deflate pool: little work on the calling thread", function () {
    this.timeout(120_000); // a worker under ts-node compiles its module first
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "deflate-pool-"));
        for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(dir, `m${i}.py`), `def handler_${i}(event, context):\n    return ${i}\n`.repeat(20));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const job = (name: string) => ({ path: path.join(dir, name), hash: true, level: 6 });
    /** Runs jobs through the pool's one entry point; the results in order, or the first error. */
    const run = async (pool: DeflatePool, jobs: DeflateJob[]): Promise<DeflateResult[]> => {
        const out: DeflateResult[] = [];
        await pool.runEach(jobs, (i, r, e) => {
            if (e) throw e;
            out[i] = r!;
        });
        return out;
    };
    const check = (name: string, r: DeflateResult) => {
        const raw = fs.readFileSync(path.join(dir, name));
        assert.equal(r.sha256, crypto.createHash("sha256").update(raw).digest("hex"));
        assert.equal(r.crc32, zlib.crc32(raw) >>> 0);
        assert.equal(r.method, 8);
        assert.ok(zlib.inflateRawSync(r.data!).equals(raw));
    };

    it("gives the same bytes on this thread as in a worker", async () => {
        const pool = new DeflatePool(1);
        const [here] = await run(pool, [job("m0.py")]); // one small file, no worker running: done here
        check("m0.py", here);
        assert.equal(pool.workers, 0, "no worker was started for one small file");
        // 100 files at once go to a worker.
        const names = Array.from({ length: 100 }, (_, i) => `m${i}.py`);
        const inWorker = await run(pool, names.map(job));
        names.forEach((n, i) => check(n, inWorker[i]));
        assert.equal(pool.workers, 1, "a hundred files went to a worker");
        assert.ok(Buffer.from(inWorker[0].data!).equals(Buffer.from(here.data!)), "the same compressed bytes");
        pool.retireIdle();
    });

    it("hands a batch's small outputs back in one buffer, never shared between two callers' jobs", async () => {
        const pool = new DeflatePool(1);
        const names = Array.from({ length: 100 }, (_, i) => `m${i}.py`);
        // Two callers at once (two builds of one Pulumi program): the first batch holds a's 10 jobs and 40 of b's.
        const [a, b] = await Promise.all([run(pool, names.slice(0, 10).map(job)), run(pool, names.slice(10).map(job))]);
        names.forEach((n, i) => check(n, i < 10 ? a[i] : b[i - 10]));
        const buffers = (rs: DeflateResult[]) => new Set(rs.map((r) => r.data!.buffer));
        assert.ok(buffers(a).size < a.length, "one caller's outputs share buffers");
        for (const buffer of buffers(a)) assert.ok(!buffers(b).has(buffer), "a buffer holds one caller's outputs only: each releases its own");
        // Each view is exactly its entry's bytes, whatever else its buffer holds.
        const lib = new Libdeflate();
        [...a, ...b].forEach((r, i) => {
            const alone = whole({ id: 0, path: path.join(dir, names[i]), hash: true, level: 6, stream: false }, lib).data!;
            assert.ok(Buffer.from(r.data!).equals(Buffer.from(alone)), names[i]);
        });
        pool.retireIdle();
    });

    it("hands back every kind of result of one batch as the job alone gets it", async () => {
        const pool = new DeflatePool(1);
        const names = Array.from({ length: 100 }, (_, i) => `m${i}.py`);
        fs.writeFileSync(path.join(dir, "config.json"), `{"aws_access_key_id": "AKIAZ7Q3WRTY5UIOP2LK"}\n`);
        fs.writeFileSync(path.join(dir, "big.txt"), crypto.randomBytes(80 * 1024).toString("hex")); // its output (> 64 KiB) has a buffer of its own
        const data = Buffer.from("print('given, not read')\n".repeat(50));
        const jobs: DeflateJob[] = [
            ...names.map(job),
            { path: path.join(dir, "m1.py"), hash: true, level: null }, // hashed only: no bytes
            { path: path.join(dir, "m2.py"), hash: false, level: 0 }, // stored, no digest
            job("config.json"), // holds a credential
            job("big.txt"),
            { data, hash: true, level: 6 },
            { path: path.join(dir, "gone.py"), hash: true, level: 6, size: 10 },
        ];
        const results: (DeflateResult | Error)[] = [];
        await pool.runEach(jobs, (i, r, e) => {
            results[i] = e ?? r!;
        });
        assert.equal(pool.workers, 1, "they went to a worker");
        const lib = new Libdeflate();
        jobs.forEach((j, i) => {
            const got = results[i];
            if (j.path?.endsWith("gone.py")) {
                assert.ok(got instanceof Error && (got as NodeJS.ErrnoException).code === "ENOENT", "the missing file's error");
                return;
            }
            assert.ok(!(got instanceof Error), `${j.path ?? "data"}: ${got}`);
            const alone = whole({ id: 0, path: j.path, data: j.data, hash: j.hash, level: j.level, stream: false }, lib);
            const label = `${j.path ?? "data"} at level ${j.level}`;
            assert.equal(got.sha256, alone.sha256, label);
            assert.equal(got.crc32, alone.crc32, label);
            assert.equal(got.size, alone.size, label);
            assert.equal(got.method, alone.method, label);
            assert.deepEqual(got.secrets, alone.secrets, label);
            assert.equal(got.data === undefined, alone.data === undefined, label);
            if (alone.data) assert.ok(Buffer.from(got.data!).equals(Buffer.from(alone.data)), label);
        });
        assert.ok((results[names.length + 2] as DeflateResult).secrets?.length, "the credential was found");
        assert.ok((results[names.length + 3] as DeflateResult).data!.byteLength > 64 * 1024, "a big output");
        assert.equal((results[names.length] as DeflateResult).data, undefined, "hashing only gives no bytes");
        pool.retireIdle();
    });

    it("reports a missing file as a worker does, naming it", async () => {
        const pool = new DeflatePool(1);
        const missing = path.join(dir, "gone.py");
        await assert.rejects(run(pool, [{ path: missing, hash: true, level: 6, size: 10 }]), (e: NodeJS.ErrnoException & { file?: string }) => e.code === "ENOENT" && e.file === missing);
    });
});

describe("deflate worker: reading and spilling", () => {
    const lib = new Libdeflate();

    it("refuses a file whose content is longer than its size (as a file being written is)", () => {
        // /proc files stat as 0 bytes and read as more: the read past the size is how growth is seen.
        assert.throws(() => whole({ id: 0, path: "/proc/self/status", hash: true, level: 6, stream: false }, lib), /\/proc\/self\/status changed while it was being read/);
    });

    it("appends a batch's bytes to a spill file at the offsets it gave, after what the file held", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spill-appends-"));
        try {
            const file = path.join(dir, "spill");
            fs.writeFileSync(file, "earlier");
            const spills = new SpillAppends();
            const big = Buffer.alloc(100_000, "b"); // written at once, between small ones that wait
            const at = [Buffer.from("one"), Buffer.from("two!"), big, Buffer.from("three")].map((b) => spills.add(file, b));
            assert.deepEqual(at, [7, 10, 14, 100_014]);
            spills.close();
            assert.equal(fs.readFileSync(file, "utf8"), `earlieronetwo!${big}three`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("throws when a spill file cannot take the bytes (a full disk)", () => {
        const spills = new SpillAppends();
        spills.add("/dev/full", Buffer.from("bytes"));
        assert.throws(
            () => spills.close(),
            (e: NodeJS.ErrnoException) => e.code === "ENOSPC",
        );
        // A big output is written at once: the error comes from add().
        assert.throws(
            () => new SpillAppends().add("/dev/full", Buffer.alloc(100_000)),
            (e: NodeJS.ErrnoException) => e.code === "ENOSPC",
        );
    });
});
