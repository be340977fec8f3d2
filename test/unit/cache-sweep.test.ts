// The build cache's sweep bounds everything in it that grows with use by one
// rule: installs, archives, slots, hash memos, stripped shared objects
// (slim/) and compiled modules (bytecode/<CPython>/) unused for a month go,
// with their companions; what a build used in that month stays; leftovers
// of interrupted builds go after a day, and at once when their owner is dead
// (leftovers.ts). Ages are set with utimes, never waited for.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BuildCache, markUsed, SWEEP_EVERY_MS, UNUSED_FOR_MS } from "../../builder/cache";
import { sweepLeftovers } from "../../builder/leftovers";
import { ownerTag } from "../../shared/owner";

const DAY = 24 * 3600_000;
const KEY = (n: number) => n.toString(16).padStart(40, "a");

function write(file: string, ageMs: number, data = "x"): string {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
    const then = new Date(Date.now() - ageMs);
    fs.utimesSync(file, then, then);
    return file;
}

describe("the build cache's sweep", () => {
    let root: string;
    let cache: BuildCache;
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "cache-sweep-"));
        cache = new BuildCache(root);
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    const left = (dir: string) => fs.readdirSync(dir).sort();

    it("removes stripped shared objects unused for a month, with their records, and keeps those used since", () => {
        const slim = cache.slimDir();
        const old = UNUSED_FOR_MS + DAY;
        write(path.join(slim, `${KEY(1)}.json`), old, '{"sha256":"ab","size":1}');
        write(path.join(slim, `${KEY(1)}.so`), DAY); // the record is the use mark, not the copy
        write(path.join(slim, `${KEY(2)}.json`), old, '{"why":"not smaller"}');
        write(path.join(slim, `${KEY(3)}.json`), UNUSED_FOR_MS - DAY, '{"sha256":"cd","size":1}');
        write(path.join(slim, `${KEY(3)}.so`), old);
        write(path.join(slim, `.${KEY(4)}.so.tmp-1.1-ab`), 2 * DAY); // an interrupted strip
        write(path.join(slim, `.${KEY(5)}.so.tmp-${ownerTag()}-cd`), 0); // one running now
        cache.sweep();
        assert.deepEqual(left(slim), [`.${KEY(5)}.so.tmp-${ownerTag()}-cd`, `${KEY(3)}.json`, `${KEY(3)}.so`]);
    });

    it("removes compiled modules unused for a month in every CPython's folder, and keeps those used since", () => {
        const a = cache.bytecodeDir("a".repeat(32));
        const b = cache.bytecodeDir("b".repeat(32));
        write(path.join(a, `${KEY(1)}.pyc`), UNUSED_FOR_MS + DAY);
        write(path.join(a, `${KEY(2)}.pyc`), UNUSED_FOR_MS - DAY);
        write(path.join(a, `${KEY(3)}.pyc`), UNUSED_FOR_MS + DAY, ""); // a module that did not compile
        write(path.join(b, `${KEY(4)}.pyc`), UNUSED_FOR_MS + DAY);
        write(path.join(b, `.${KEY(5)}.pyc.tmp-1.1-ef`), 2 * DAY);
        cache.sweep();
        assert.deepEqual(left(a), [`${KEY(2)}.pyc`]);
        assert.deepEqual(left(b), []);
    });

    it("still removes archives unused for a month with their zip and manifest, and nothing else of the archives", () => {
        const old = UNUSED_FOR_MS + DAY;
        for (const f of [cache.archiveRecordPath(KEY(1)), cache.archivePath(KEY(1)), cache.archiveManifestPath(KEY(1))]) write(f, old);
        for (const f of [cache.archiveRecordPath(KEY(2)), cache.archivePath(KEY(2)), cache.archiveManifestPath(KEY(2))]) write(f, f.endsWith(`${KEY(2)}.json`) ? DAY : old);
        cache.sweep();
        assert.deepEqual(left(path.join(root, "archives")), [`${KEY(2)}.json`, `${KEY(2)}.manifest.json`, `${KEY(2)}.zip`]);
    });

    it("removes installs unused for a month, whole and out of installs/ at once, and keeps those used since and folders that are not installs", () => {
        const old = UNUSED_FOR_MS + DAY;
        const install = (key: string, manifestAge?: number) => {
            write(path.join(cache.installDir(key), "site-packages", "six.py"), old);
            if (manifestAge !== undefined) write(cache.installManifestPath(key), manifestAge, '{"files":[]}');
        };
        install(KEY(1), old);
        install(KEY(2), UNUSED_FOR_MS - DAY); // its files are old, its manifest was marked used since
        install(KEY(3)); // no manifest: not an install (the installer writes into tmp/, then renames)
        install("not-a-key", old);
        cache.sweep();
        assert.deepEqual(left(path.join(root, "installs")), [KEY(2), KEY(3), "not-a-key"]);
        assert.deepEqual(left(path.join(root, "tmp")), [], "the swept install is removed, not left in tmp/");
    });

    it("removes slots and hash memos unused for a month: the next build of their folder is slower, not wrong", () => {
        for (const dir of ["slots", "hashes"]) {
            write(path.join(root, dir, `${KEY(1)}.json`), UNUSED_FOR_MS + DAY);
            write(path.join(root, dir, `${KEY(2)}.json`), UNUSED_FOR_MS - DAY);
        }
        cache.sweep();
        assert.deepEqual(left(path.join(root, "slots")), [`${KEY(2)}.json`]);
        assert.deepEqual(left(path.join(root, "hashes")), [`${KEY(2)}.json`]);
    });

    it("marks an entry used at most once a day, so a month-old entry a build reads is kept", () => {
        const used = write(path.join(cache.slimDir(), `${KEY(1)}.json`), UNUSED_FOR_MS + DAY);
        const fresh = write(path.join(cache.slimDir(), `${KEY(2)}.json`), DAY / 2);
        const freshMtime = fs.statSync(fresh).mtimeMs;
        markUsed(used, fs.statSync(used).mtimeMs);
        markUsed(fresh, freshMtime);
        assert.equal(fs.statSync(fresh).mtimeMs, freshMtime, "used within the day: not written");
        cache.sweep();
        assert.deepEqual(left(cache.slimDir()), [`${KEY(1)}.json`, `${KEY(2)}.json`]);
        markUsed(path.join(cache.slimDir(), "gone.json"), 0); // removed meanwhile: no error
    });

    it("sweeps a cache at most once an hour, so a stack's many builds do not each read every entry", () => {
        const pyc = (n: number) => path.join(cache.bytecodeDir("d".repeat(32)), `${KEY(n)}.pyc`);
        write(pyc(1), UNUSED_FOR_MS + DAY);
        cache.sweep();
        assert.ok(!fs.existsSync(pyc(1)));
        write(pyc(2), UNUSED_FOR_MS + DAY);
        cache.sweep();
        assert.ok(fs.existsSync(pyc(2)), "swept within the hour: not again");
        const hourAgo = new Date(Date.now() - SWEEP_EVERY_MS - 60_000);
        fs.utimesSync(path.join(root, ".swept"), hourAgo, hourAgo);
        new BuildCache(root).sweep(); // another build, in this process or another
        assert.ok(!fs.existsSync(pyc(2)), "an hour later, swept");
    });

    it("lists slim/ and each bytecode folder among the places a killed build's temporaries are removed from", () => {
        const dead = `${spawnSync("true").pid}.1`;
        const bytecode = cache.bytecodeDir("c".repeat(32));
        const temps = [path.join(cache.slimDir(), `.${KEY(1)}.so.tmp-${dead}-ab`), path.join(bytecode, `.${KEY(2)}.pyc.tmp-${dead}-cd`)];
        for (const t of temps) write(t, 0);
        const live = write(path.join(bytecode, `.${KEY(3)}.pyc.tmp-${ownerTag()}-ef`), 0);
        assert.equal(sweepLeftovers(cache.leftoverFolders()), 2);
        for (const t of temps) assert.ok(!fs.existsSync(t), t);
        assert.ok(fs.existsSync(live));
    });
});
