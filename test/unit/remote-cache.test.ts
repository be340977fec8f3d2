// The remote cache's offline parts: its setting, and the checks every
// downloaded install and archive goes through before anything of it is used
// (builder/remote/entries.ts), on zips made by hand (test/zip-crafter.ts) and
// by the builder's own writer.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { remoteCacheConfig, transferAllowanceMs } from "../../builder/remote/config";
import { BadEntryError, isPlainRelativePath, packInstall, PlannedEntry, unpackInstall, verifyArchive } from "../../builder/remote/entries";
import { PACK_FILE, packReuse, writePackIndex } from "../../builder/remote/pack-reuse";
import { DEFLATE_ENGINE, DeflatePool } from "../../builder/deflate-pool";
import { writeZip } from "../../builder/zip-writer";
import { UserError } from "../../shared/errors";
import { craftZip } from "../zip-crafter";

const sha = (b: Buffer | string) => crypto.createHash("sha256").update(b).digest("hex");

describe("remote cache setting", () => {
    it("reads s3://bucket/prefix from the option, else the environment", () => {
        const c = remoteCacheConfig("s3://team-builds/lambda/ci/", {});
        assert.deepEqual({ url: c?.url, bucket: c?.bucket, prefix: c?.prefix, readOnly: c?.readOnly, timeoutMs: c?.timeoutMs }, { url: "s3://team-builds/lambda/ci", bucket: "team-builds", prefix: "lambda/ci", readOnly: false, timeoutMs: 10_000 });
        const e = remoteCacheConfig(undefined, { LAMBDA_PYTHON_REMOTE_CACHE: "s3://team-builds", LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT: "2.5", LAMBDA_PYTHON_REMOTE_CACHE_READ_ONLY: "1" });
        assert.deepEqual({ prefix: e?.prefix, timeoutMs: e?.timeoutMs, readOnly: e?.readOnly }, { prefix: "", timeoutMs: 2500, readOnly: true });
        assert.ok(e!.budgetMs > e!.timeoutMs, "a build's budget spans several requests");
    });

    it("lets a blob take twice the timeout and a second, plus the timeout per 10 MB, so a trickle ends long before the build's budget", () => {
        const c = remoteCacheConfig("s3://team-builds", {})!;
        assert.equal(transferAllowanceMs(c, 0), 21_000);
        assert.equal(transferAllowanceMs(c, 10 * 1024 * 1024), 31_000);
        // numpy+pandas's pack (28.8 MB): about 1 MB/s at the least, and well inside the budget.
        assert.equal(transferAllowanceMs(c, 28.8e6), 48_466);
        assert.ok(transferAllowanceMs(c, 28.8e6) < c.budgetMs / 5);
        const slow = remoteCacheConfig("s3://team-builds", { LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT: "60" })!;
        assert.equal(transferAllowanceMs(slow, 10 * 1024 * 1024), 181_000, "a slower link is allowed for with the one timeout setting");
    });

    it('is off when unset, empty or "off", and the option overrides the environment', () => {
        assert.equal(remoteCacheConfig(undefined, {}), undefined);
        assert.equal(remoteCacheConfig("off", { LAMBDA_PYTHON_REMOTE_CACHE: "s3://team-builds" }), undefined);
        assert.equal(remoteCacheConfig(undefined, { LAMBDA_PYTHON_REMOTE_CACHE: "" }), undefined);
    });

    it("refuses what is not an S3 bucket URL, naming where it came from", () => {
        assert.throws(
            () => remoteCacheConfig("https://team-builds.s3.amazonaws.com/x", {}),
            (e: Error) => e instanceof UserError && /--remote-cache.*s3:\/\/BUCKET/.test(e.message),
        );
        assert.throws(
            () => remoteCacheConfig(undefined, { LAMBDA_PYTHON_REMOTE_CACHE: "s3://Team_Builds" }),
            (e: Error) => e instanceof UserError && /^LAMBDA_PYTHON_REMOTE_CACHE: "Team_Builds" is not a bucket name/.test(e.message),
        );
        assert.throws(() => remoteCacheConfig("s3://team-builds/a/../b", {}), /has an empty, "\." or "\.\." part/);
        assert.throws(() => remoteCacheConfig("s3://team-builds", { LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT: "soon" }), /LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT must be a number of seconds/);
    });
});

describe("remote cache entries", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "lp-remote-unit-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("takes only plain relative paths", () => {
        for (const ok of ["requests/__init__.py", "bin/normalizer", "a.dist-info/RECORD"]) assert.ok(isPlainRelativePath(ok), ok);
        for (const bad of ["../evil.py", "a/../../evil.py", "/etc/passwd", "a//b", "./a", "a\\b", "", "a/\0b"]) assert.ok(!isPlainRelativePath(bad), bad);
    });

    /** An install folder as the builder leaves one: manifest.json and site-packages/. */
    function install(files: Record<string, { data: string | Buffer; executable?: boolean }>): { dir: string; manifest: { rel: string; size: number; sha256: string; executable: boolean }[] } {
        const root = path.join(dir, "install");
        const manifest = Object.entries(files).map(([rel, f]) => {
            const p = path.join(root, "site-packages", rel);
            fs.mkdirSync(path.dirname(p), { recursive: true });
            fs.writeFileSync(p, f.data, { mode: f.executable ? 0o755 : 0o644 });
            return { rel, size: Buffer.byteLength(f.data), sha256: sha(f.data), executable: !!f.executable };
        });
        fs.writeFileSync(path.join(root, "manifest.json"), JSON.stringify({ installer: "uv 0.13.8", files: manifest, record: { notes: [], localProjects: [] } }));
        return { dir: root, manifest };
    }

    it("packs an install into one zip and unpacks it as it was, with 644 and 755 modes", async () => {
        const made = install({ "six.py": { data: "print('six')\n" }, "bin/tool": { data: "#!/usr/bin/python3\n", executable: true }, "six-1.17.0.dist-info/RECORD": { data: "six.py,,\n" } });
        const pack = path.join(dir, "pack.zip");
        const { sha256, bytes } = await packInstall(made.dir, made.manifest, pack, 6);
        assert.equal(sha256, sha(fs.readFileSync(pack)));
        assert.equal(bytes, fs.statSync(pack).size);
        const out = path.join(dir, "out");
        fs.mkdirSync(out);
        await unpackInstall(pack, out);
        assert.equal(fs.readFileSync(path.join(out, "site-packages", "six.py"), "utf8"), "print('six')\n");
        assert.equal(fs.statSync(path.join(out, "site-packages", "bin", "tool")).mode & 0o777, 0o755 & ~process.umask());
        assert.equal(fs.statSync(path.join(out, "site-packages", "six.py")).mode & 0o777, 0o644 & ~process.umask());
        assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")).files, made.manifest);
    });

    it("offers a kept pack's compressed bytes only at its level, by its compressor, while it is as it was checked", async () => {
        const body = "def f():\n    return 'six'\n".repeat(200);
        const made = install({ "six.py": { data: body } });
        const pack = path.join(dir, "pack.zip");
        await packInstall(made.dir, made.manifest, pack, 6);
        const out = path.join(dir, "out");
        fs.mkdirSync(out);
        const packed = await unpackInstall(pack, out);
        fs.renameSync(pack, path.join(out, PACK_FILE));
        writePackIndex(out, 6, DEFLATE_ENGINE, packed);
        const reuse = packReuse(out, 6);
        const c = reuse.get(sha(body));
        assert.ok(c?.from && c.compressedSize < body.length, "six.py's deflated bytes, from the pack");
        const bytes = Buffer.alloc(c.compressedSize);
        c.from.archive.read(bytes, c.compressedSize, c.from.entry.dataOffset);
        assert.equal(zlib.inflateRawSync(bytes).toString(), body);
        c.spool?.discard();
        assert.equal(packReuse(out, 9).size, 0, "another level: the archive would differ from a build without the remote");
        writePackIndex(out, 6, "zlib", packed);
        assert.equal(packReuse(out, 6).size, 0, "another compressor");
        writePackIndex(out, 6, DEFLATE_ENGINE, packed);
        // Bytes rotted with the size and mtime the index records (as a disk fault leaves them): the CRC-32 tells.
        const packFile = path.join(out, PACK_FILE);
        const rotted = fs.readFileSync(packFile);
        rotted[40] ^= 0xff;
        fs.writeFileSync(packFile, rotted);
        const index = JSON.parse(fs.readFileSync(path.join(out, "pack.json"), "utf8"));
        fs.writeFileSync(path.join(out, "pack.json"), JSON.stringify({ ...index, mtimeMs: fs.statSync(packFile).mtimeMs }));
        assert.equal(packReuse(out, 6).size, 0, "bytes changed, size and mtime as recorded: not offered");
    });

    /** A pack whose manifest and entries are the test's to choose. */
    function craftedPack(files: { rel: string; data: string; listed?: Partial<{ rel: string; size: number; sha256: string }> }[], extra: { name: string; data: string }[] = []): string {
        const manifest = files.map((f) => ({ rel: f.rel, size: Buffer.byteLength(f.data), sha256: sha(f.data), executable: false, ...f.listed }));
        const file = path.join(dir, "crafted.zip");
        fs.writeFileSync(
            file,
            craftZip([
                { name: "manifest.json", data: Buffer.from(JSON.stringify({ installer: "uv 0.13.8", files: manifest, record: { notes: [], localProjects: [] } })) },
                ...files.map((f) => ({ name: `site-packages/${f.rel}`, data: Buffer.from(f.data) })),
                ...extra.map((e) => ({ name: e.name, data: Buffer.from(e.data) })),
            ]),
        );
        return file;
    }

    async function refused(pack: string, pattern: RegExp): Promise<void> {
        const out = path.join(dir, "out");
        fs.rmSync(out, { recursive: true, force: true });
        fs.mkdirSync(out);
        await assert.rejects(unpackInstall(pack, out), (e: Error) => e instanceof BadEntryError && pattern.test(e.message));
        assert.ok(!fs.existsSync(path.join(dir, "evil.py")), "nothing written outside the folder");
        assert.ok(!fs.existsSync(path.join(out, "manifest.json")), "no manifest: the folder is never taken for a complete install");
    }

    it("refuses a pack whose manifest names a path outside the install (../)", async () => {
        await refused(craftedPack([{ rel: "../../evil.py", data: "import os\n" }]), /"\.\.\/\.\.\/evil\.py", not a plain relative path/);
    });

    it("refuses a pack holding a file its manifest does not list", async () => {
        await refused(craftedPack([{ rel: "six.py", data: "x = 1\n" }], [{ name: "site-packages/../../evil.py", data: "import os\n" }]), /holds 2 files where its manifest lists 1/);
    });

    it("refuses a pack whose file is not the one its manifest describes", async () => {
        await refused(craftedPack([{ rel: "six.py", data: "import os; os.system('curl evil')\n", listed: { sha256: sha("x = 1\n") } }]), /site-packages\/six\.py is not the file its manifest describes/);
    });

    /** An install of many files, packed: more than the pool runs on the calling thread, so its workers unpack it. */
    async function manyFilesPack(): Promise<{ pack: string; files: Record<string, { data: string | Buffer; executable?: boolean }> }> {
        const files: Record<string, { data: string | Buffer; executable?: boolean }> = {};
        for (let i = 0; i < 300; i++) files[`pkg_${i % 7}/mod_${i}.py`] = { data: `# Module ${i}.\n\nVALUE = ${i}\n`.repeat(1 + (i % 40)) };
        // Incompressible (stored in the pack), big (a job of its own), executable, empty.
        files["pkg_0/blob.bin"] = { data: crypto.randomBytes(200_000) };
        files["pkg_1/_native.so"] = { data: "x".repeat(5_000_000) + crypto.randomBytes(1000).toString("hex") };
        files["bin/tool"] = { data: "#!/usr/bin/python3\n", executable: true };
        files["pkg_2/py.typed"] = { data: "" };
        const made = install(files);
        const pack = path.join(dir, "pack.zip");
        await packInstall(made.dir, made.manifest, pack, 6);
        return { pack, files };
    }

    it("unpacks a pack of many files on the deflate pool's workers, stored and deflated, each as it was", async () => {
        const { pack, files } = await manyFilesPack();
        const out = path.join(dir, "out");
        fs.mkdirSync(out);
        const packed = await unpackInstall(pack, out);
        assert.ok(DeflatePool.shared().workers > 0, "the pool's workers unpacked it");
        assert.equal(packed.length, Object.keys(files).length);
        assert.ok(packed.some((e) => e.method === 0) && packed.some((e) => e.method === 8), "both stored and deflated entries");
        for (const [rel, f] of Object.entries(files)) {
            const p = path.join(out, "site-packages", rel);
            assert.ok(fs.readFileSync(p).equals(Buffer.from(f.data)), rel);
            assert.equal(fs.statSync(p).mode & 0o777, (f.executable ? 0o755 : 0o644) & ~process.umask(), rel);
        }
        // Each entry the unpack describes points at that file's bytes in the pack.
        const raw = fs.readFileSync(pack);
        for (const e of packed) {
            const bytes = raw.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
            const data = e.method === 8 ? zlib.inflateRawSync(bytes) : bytes;
            assert.equal(sha(data), e.sha256, e.name);
            assert.equal(zlib.crc32(data) >>> 0, e.crc32, e.name);
        }
    });

    it("refuses a pack with damaged compressed data on the deflate pool's workers, writing no manifest", async () => {
        const { pack } = await manyFilesPack();
        const probe = path.join(dir, "probe");
        fs.mkdirSync(probe);
        const entry = (await unpackInstall(pack, probe)).find((e) => e.name === "site-packages/pkg_3/mod_38.py")!;
        assert.equal(entry.method, 8);
        // Its deflated bytes overwritten in the middle, its headers left as they were.
        const bytes = fs.readFileSync(pack);
        bytes.fill(0xff, entry.dataOffset + 4, entry.dataOffset + 24);
        fs.writeFileSync(pack, bytes);
        await refused(pack, /site-packages\/pkg_3\/mod_38\.py: its (compressed data is damaged|data does not match its size and CRC-32)/);
    });

    it("refuses a pack declaring more bytes than its compressed data can hold, before making room for them", async () => {
        // A few bytes of DEFLATE that say they inflate to 3 GB (the zip reader's bomb check: no DEFLATE stream gives
        // more than 1,032 bytes per byte), which the workers would otherwise try to make room for.
        const compressed = zlib.deflateRawSync(Buffer.from("x = 1\n"));
        const size = 3 * 1024 ** 3;
        const manifest = [{ rel: "huge.so", size, sha256: sha("x = 1\n"), executable: false }];
        const file = path.join(dir, "huge.zip");
        fs.writeFileSync(
            file,
            craftZip([
                { name: "manifest.json", data: Buffer.from(JSON.stringify({ installer: "uv 0.13.8", files: manifest, record: { notes: [], localProjects: [] } })) },
                { name: "site-packages/huge.so", raw: { compressed, size, crc32: zlib.crc32("x = 1\n") >>> 0, method: 8 } },
            ]),
        );
        await refused(file, /site-packages\/huge\.so: declares 3221225472 bytes from \d+ compressed bytes, more than deflate can produce/);
    });

    it("refuses a truncated pack", async () => {
        const made = install({ "six.py": { data: "print('six')\n".repeat(1000) } });
        const pack = path.join(dir, "pack.zip");
        await packInstall(made.dir, made.manifest, pack, 6);
        fs.truncateSync(pack, fs.statSync(pack).size - 40);
        await refused(pack, /not a readable zip|truncated|damaged/);
    });

    /** An archive as the build would write it, and its plan. */
    async function archive(files: { name: string; data: string; executable?: boolean }[]): Promise<{ zip: string; planned: PlannedEntry[] }> {
        const planned: PlannedEntry[] = files.map((f) => ({ name: f.name, isDirectory: f.name.endsWith("/"), executable: f.name.endsWith("/") || !!f.executable, size: Buffer.byteLength(f.data), sha256: f.name.endsWith("/") ? "" : sha(f.data) }));
        const zip = path.join(dir, "archive.zip");
        await writeZip(
            zip,
            planned.map((p, i) => ({ ...p, data: Buffer.from(files[i].data) })),
            { level: 6 },
        );
        return { zip, planned };
    }

    it("takes an archive that holds exactly the planned entries, and makes its manifest", async () => {
        const { zip, planned } = await archive([
            { name: "app.py", data: "def handler(e, c):\n    return 1\n" },
            { name: "lib/", data: "" },
            { name: "lib/config.py", data: 'KEY = "AKIAZ7Q3WRTY5UIOP2LK"\n' },
        ]);
        const manifest = await verifyArchive(zip, planned);
        assert.deepEqual(
            manifest.map((m) => [m.name, m.sha256, m.size]),
            planned.map((p) => [p.name, p.sha256, p.size]),
        );
        assert.ok(manifest[2].secrets?.length, "the credentials check is made on the verified content, not taken from the remote");
        const bytes = fs.readFileSync(zip);
        assert.equal(bytes.subarray(manifest[0].dataOffset, manifest[0].dataOffset + manifest[0].compressedSize).length, manifest[0].compressedSize);
    });

    it("refuses an archive whose content differs from the plan, whatever its record says", async () => {
        const { planned } = await archive([{ name: "app.py", data: "def handler(e, c):\n    return 1\n" }]);
        const { zip } = await archive([{ name: "app.py", data: "import os\ndef handler(e, c):\n    return os.environ\n" }]);
        await assert.rejects(verifyArchive(zip, planned), (e: Error) => e instanceof BadEntryError && /app\.py declares \d+ bytes where this build has/.test(e.message));
        const same = "def handler(e, c):\n    return 2\n";
        const { zip: sameSize } = await archive([{ name: "app.py", data: same }]);
        await assert.rejects(verifyArchive(sameSize, planned), /app\.py is not the file this build has \(its sha256 differs\)/);
    });

    it("refuses an archive with a ../ entry, another mode, or entries in another order", async () => {
        const data = Buffer.from("x = 1\n");
        const planned: PlannedEntry[] = [{ name: "app.py", isDirectory: false, executable: false, size: data.length, sha256: sha(data) }];
        const write = (entries: Parameters<typeof craftZip>[0]) => {
            const f = path.join(dir, "crafted-archive.zip");
            fs.writeFileSync(f, craftZip(entries));
            return f;
        };
        await assert.rejects(verifyArchive(write([{ name: "../app.py", data }]), planned), /entry 1 is "\.\.\/app\.py" where this build has app\.py/);
        await assert.rejects(verifyArchive(write([{ name: "app.py", data, mode: 0o104755 }]), planned), /app\.py has mode 104755 where this build has 100644/);
        await assert.rejects(
            verifyArchive(
                write([
                    { name: "app.py", data },
                    { name: "evil.py", data },
                ]),
                planned,
            ),
            /holds 2 entries where this build has 1/,
        );
        await assert.rejects(verifyArchive(write([{ name: "app.py", data, localName: "evil.py" }]), planned), /local header names it "evil\.py"/);
    });
});
