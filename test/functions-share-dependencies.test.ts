// The functions of one program that share a dependency set (issue 27): built
// together in one process, the set is installed once and its files compressed
// once, and every archive is byte for byte the one its function gets when it
// is built alone. Counted through the build reports and the cache's folders,
// never through time.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { buildArchive, BuildResult } from "../builder";
import { tmpDir, writeFiles } from "./helpers";

const REQUIREMENTS = "cowsay==6.1\n";
const RUNTIME = "python3.12";

/** Four function folders on the same requirements, each with a handler of its own. */
function functions(root: string, count = 4): string[] {
    return Array.from({ length: count }, (_, i) =>
        writeFiles(path.join(root, `fn-${i}`), {
            "requirements.txt": REQUIREMENTS,
            "app.py": `import cowsay\n\n\ndef handler(event, context):\n    return cowsay.get_output_string("cow", "function ${i}")\n`,
        }),
    );
}

function build(source: string, cacheDir: string, progress: string[] = [], extra: Record<string, unknown> = {}): Promise<BuildResult> {
    return buildArchive({ kind: "function", source, runtime: RUNTIME, architecture: "x86_64", cacheDir, onProgress: (m) => progress.push(m), ...extra });
}

const installs = (cacheDir: string) => fs.readdirSync(path.join(cacheDir, "installs")).filter((n) => !n.startsWith("."));

describe("functions that share a dependency set, built together", function () {
    this.timeout(300_000);
    const root = tmpDir("shared-deps-");
    const sources = functions(root);
    const cacheDir = tmpDir("shared-deps-cache-");
    const progress: string[][] = sources.map(() => []);
    let together: BuildResult[];

    before(async () => {
        together = await Promise.all(sources.map((s, i) => build(s, cacheDir, progress[i])));
    });

    it("install the set once: one build installs, the others wait for it", () => {
        assert.deepEqual(
            together.map((r) => r.cache.install),
            ["miss", "hit", "hit", "hit"],
        );
        assert.equal(progress.flat().filter((m) => /^installing /.test(m)).length, 1, progress.flat().join("\n"));
        assert.equal(installs(cacheDir).length, 1);
    });

    it("compress the set's files once: the other archives copy them from the first", () => {
        const [first, ...others] = together;
        assert.ok(first.cache.compressedEntries > 10, `the first archive compressed ${first.cache.compressedEntries} entries`);
        for (const r of others) {
            // Only its own handler is compressed; every installed file comes from the first archive.
            assert.equal(r.cache.compressedEntries, 1, JSON.stringify(r.cache));
            assert.ok(r.cache.reusedEntries >= first.cache.compressedEntries - 1, JSON.stringify(r.cache));
        }
    });

    it("make the archives each function gets when built alone, byte for byte", async () => {
        for (const [i, s] of sources.entries()) {
            const alone = await build(s, tmpDir("alone-cache-"));
            assert.equal(alone.sha256, together[i].sha256, `fn-${i}`);
            assert.equal(alone.cache.reusedEntries, 0);
        }
        assert.equal(new Set(together.map((r) => r.sha256)).size, sources.length, "four different handlers, four different archives");
    });

    it("give the set's compressed entries to a function added later, in another run", async () => {
        const [added] = functions(path.join(root, "later"), 1);
        fs.appendFileSync(path.join(added, "app.py"), "# added later\n");
        const r = await build(added, cacheDir);
        assert.equal(r.cache.install, "hit");
        assert.equal(r.cache.compressedEntries, 1, JSON.stringify(r.cache));
        assert.equal(r.sha256, (await build(added, tmpDir("alone-cache-"))).sha256);
    });

    it("never copy from an archive whose bytes rotted: the next function compresses for itself, and ships the clean archive", async () => {
        const donorCache = tmpDir("shared-deps-cache-");
        const [first, second] = functions(path.join(root, "rot"), 2);
        const donor = await build(first, donorCache);
        // Flip bytes inside the archive's compressed data, its size and mtime kept.
        const st = fs.statSync(donor.path);
        const fd = fs.openSync(donor.path, "r+");
        fs.writeSync(fd, Buffer.from("rotten"), 0, 6, Math.floor(st.size / 2));
        fs.closeSync(fd);
        fs.utimesSync(donor.path, st.atime, st.mtime);
        const r = await build(second, donorCache);
        assert.equal(r.cache.install, "hit");
        assert.ok(r.cache.compressedEntries > 1, JSON.stringify(r.cache));
        assert.equal(r.sha256, (await build(second, tmpDir("alone-cache-"))).sha256);
    });

    it("still build when the build that installs fails its own checks: the others install for themselves", async () => {
        const fresh = tmpDir("shared-deps-cache-");
        const [small, big] = functions(path.join(root, "checks"), 2);
        const tooSmall = { checks: { "lambda-unzipped-size": { maxUnzippedBytes: 1000 } } };
        const [failed, built] = await Promise.allSettled([build(small, fresh, [], tooSmall), build(big, fresh)]);
        assert.equal(failed.status, "rejected");
        assert.match(String((failed as PromiseRejectedResult).reason.message), /lambda-unzipped-size/);
        assert.equal(built.status, "fulfilled", String((built as PromiseRejectedResult).reason?.stack));
        assert.equal(installs(fresh).length, 1);
    });
});
