// The runner's extraction of a function's code and layers (runner/code.ts)
// into its cache, against archives built to attack it, and the inspection
// that refuses them first (policies/inspect/facts.ts). Every archive here is
// refused by both: the inspection so that `inspect`, the policy pack and
// `invoke` agree, the extraction as the last line of defence (it is reached
// with layers, whose links meet only when merged at /opt).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { inspectPath } from "../../policies/inspect";
import { checkedFoldersDir, extracted, extractionCacheDir, sweepExtractions } from "../../runner/code";
import { isUserError } from "../../shared/errors";
import { ownerTag } from "../../shared/owner";
import { CraftEntry, craftZip } from "../zip-crafter";

const link = (name: string, to: string): CraftEntry => ({ name, data: Buffer.from(to), mode: 0o120777, stored: true });
const file = (name: string, text: string): CraftEntry => ({ name, data: Buffer.from(text) });
const writeFile = (p: string, text: string) => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
};
const HANDLER = file("lambda_function.py", "def lambda_handler(event, context):\n    return 'fine'\n");

describe("extraction of a function's archives (runner/code.ts)", () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "lp-extract-"));
    // Deep enough that a climb out of the cache lands in `base`, where the test looks.
    const cache = path.join(base, "a", "b", "c");
    const saved = process.env.LAMBDA_PYTHON_CACHE_DIR;
    let n = 0;
    const zip = (entries: CraftEntry[]) => {
        const p = path.join(base, `archive-${++n}.zip`);
        fs.writeFileSync(p, craftZip(entries));
        return p;
    };
    const refused = async (zips: string[], kind: "task" | "opt", reason: RegExp) => {
        await assert.rejects(extracted(zips, kind), (e: unknown) => isUserError(e) && reason.test((e as Error).message));
    };
    before(() => {
        fs.mkdirSync(cache, { recursive: true });
        process.env.LAMBDA_PYTHON_CACHE_DIR = cache;
    });
    after(() => {
        if (saved === undefined) delete process.env.LAMBDA_PYTHON_CACHE_DIR;
        else process.env.LAMBDA_PYTHON_CACHE_DIR = saved;
        fs.rmSync(base, { recursive: true, force: true });
    });

    it("refuses links that each stay inside the archive but climb out of it together, writing nothing outside", async () => {
        // a/b -> .. leads to the archive's root; each later link, "..", is one level higher on disk while its
        // name says it is inside. Extracted before the fix, the last entry was written to <base>/pwned.
        const entries = [HANDLER, { name: "a/" }, link("a/b", "..")];
        let name = "a/b";
        for (let i = 0; i < 6; i++) entries.push(link((name += `/c${i}`), ".."));
        entries.push(file(`${name}/pwned`, "written outside the cache\n"));
        const climb = zip(entries);
        const facts = inspectPath(climb).facts;
        assert.match(facts.unsafe.map((u) => `${u.name} ${u.reason}`).join("\n"), /^a\/b\/c0 lies beneath the symbolic link a\/b/m);
        await refused([climb], "task", /"a\/b\/c0" lies beneath the symbolic link a\/b/);
        const outside = spawnSync("find", [base, "-name", "pwned", "-o", "-type", "l", "-print"], { encoding: "utf8" }).stdout.trim();
        assert.equal(outside, "", "nothing written, and no link left, anywhere");
    });

    it("refuses a layer writing through a link an earlier layer made, though each layer alone is sound", async () => {
        const first = zip([{ name: "python/" }, link("python/lib", "..")]);
        const second = zip([file("python/lib/pwned.py", "x = 1\n")]);
        assert.deepEqual([inspectPath(first).facts.unsafe, inspectPath(second).facts.unsafe], [[], []]);
        await refused([first, second], "opt", /"python\/lib\/pwned\.py" lies beneath the symbolic link python\/lib; .* \(made by this archive or an earlier layer\)/);
    });

    it("refuses an entry beneath a file, and two spellings of one path", async () => {
        const underFile = zip([HANDLER, file("lib", "a file"), file("lib/mod.py", "x = 1\n")]);
        assert.match(inspectPath(underFile).facts.unsafe[0].reason, /beneath lib, which the archive holds as a file/);
        await refused([underFile], "task", /"lib\/mod\.py" lies beneath lib, which is a file/);
        // Extraction writes "./lambda_function.py" over "lambda_function.py": inspect judged one, invoke would run the other.
        const twice = zip([HANDLER, file("./lambda_function.py", "def lambda_handler(e, c):\n    return 'other'\n"), file("a//b.py", "1"), file("a/b.py", "2")]);
        assert.deepEqual(
            inspectPath(twice).facts.unsafe.map((u) => u.name),
            ["./lambda_function.py", "a/b.py"],
        );
    });

    it("makes an extraction again when a file in it changed since, whatever its size and time say", async () => {
        const code = zip([HANDLER, file("pkg/data.txt", "data\n")]);
        const dir = await extracted([code], "task");
        const handler = path.join(dir, "lambda_function.py");
        const original = fs.readFileSync(handler, "utf8");
        const { atime, mtime } = fs.statSync(handler);
        // Bytes rotted in place: same size, same modification time.
        fs.writeFileSync(handler, original.replace("fine", "FINE"));
        fs.utimesSync(handler, atime, mtime);
        assert.equal(await extracted([code], "task"), dir);
        assert.equal(fs.readFileSync(handler, "utf8"), original, "the true bytes, not the rotted ones");
        fs.rmSync(path.join(dir, "pkg", "data.txt"));
        await extracted([code], "task");
        assert.equal(fs.readFileSync(path.join(dir, "pkg", "data.txt"), "utf8"), "data\n", "a removed file is back");
        fs.writeFileSync(path.join(dir, "planted.py"), "import os\n");
        await extracted([code], "task");
        assert.ok(!fs.existsSync(path.join(dir, "planted.py")), "a file added to the cache is gone");
        // Unchanged, it is used as it is (not extracted again).
        const before = fs.statSync(handler, { bigint: true }).ctimeNs;
        await extracted([code], "task");
        assert.equal(fs.statSync(handler, { bigint: true }).ctimeNs, before);
    });

    it("keeps no write access for group and others on this machine, whatever the archive's modes", async () => {
        const dir = await extracted(
            [
                zip([
                    { ...HANDLER, mode: 0o100666 },
                    { name: "open/", mode: 0o040777 },
                    { name: "open/tool", data: Buffer.from("#!/bin/sh\n"), mode: 0o100777 },
                ]),
            ],
            "task",
        );
        assert.deepEqual(
            ["lambda_function.py", "open", "open/tool"].map((f) => (fs.statSync(path.join(dir, f)).mode & 0o777).toString(8)),
            ["644", "755", "755"],
        );
    });

    it("removes what an extraction killed outright left, and only a dead owner's", () => {
        const dead = `${spawnSync("true").pid}.1`;
        const task = checkedFoldersDir("task");
        fs.mkdirSync(task, { recursive: true });
        const leftover = path.join(task, `.0123456789abcdef.tmp-${dead}-00ff`);
        const alive = path.join(task, `.fedcba9876543210.tmp-${ownerTag()}-00ff`);
        for (const d of [leftover, alive]) fs.mkdirSync(path.join(d, "data"), { recursive: true });
        sweepExtractions();
        assert.deepEqual([fs.existsSync(leftover), fs.existsSync(alive)], [false, true]);
        fs.rmSync(alive, { recursive: true });
    });

    it("leaves the extraction another running process is making of the same archive", async () => {
        // Its temporary folder is named with its owner's tag (pid.start time); a second extraction of the same
        // archive took that tag for a pid, found no such process, and removed the folder under its maker.
        const code = zip([HANDLER, file("second.py", "x = 2\n")]);
        const dir = await extracted([code], "task");
        const key = path.dirname(dir);
        fs.rmSync(key, { recursive: true });
        const making = path.join(path.dirname(key), `.${path.basename(key)}.tmp-${ownerTag()}-beef`);
        fs.mkdirSync(path.join(making, "content"), { recursive: true });
        assert.equal(await extracted([code], "task"), dir);
        assert.ok(fs.existsSync(making), "the running maker's folder is still there");
        fs.rmSync(making, { recursive: true });
    });

    it("keeps each extraction's record inside it, made with it in one rename, apart from the earlier layout's folders, which are swept", async () => {
        const code = zip([HANDLER, file("third.py", "x = 3\n")]);
        const dir = await extracted([code], "task");
        const key = path.dirname(dir);
        assert.equal(path.dirname(key), checkedFoldersDir("task"));
        assert.deepEqual(fs.readdirSync(key).sort(), [".state", "content"]);
        // The earlier layout (an older release sharing this cache): the files at the key itself, the record beside
        // it, in the unnumbered folder. Never taken for the current layout's; swept once unused for 14 days.
        const earlier = path.join(extractionCacheDir(), "task");
        const stale = path.join(earlier, path.basename(key));
        const recent = path.join(earlier, "0".repeat(40));
        for (const d of [stale, recent]) writeFile(path.join(d, "lambda_function.py"), "old layout\n");
        writeFile(`${stale}.state`, "0");
        const monthAgo = new Date(Date.now() - 30 * 24 * 3600_000);
        for (const p of [stale, `${stale}.state`]) fs.utimesSync(p, monthAgo, monthAgo);
        assert.equal(await extracted([code], "task"), dir);
        sweepExtractions();
        assert.deepEqual([fs.existsSync(stale), fs.existsSync(`${stale}.state`), fs.existsSync(recent), fs.existsSync(dir)], [false, false, true, true]);
    });

    it("gives every one of several processes extracting the same archive at once a complete folder", () => {
        // Eight processes, each extracting one archive of 300 files into the same cache, then reading every file
        // back; before, a process could find another's folder without its record and remove it under it.
        const code = zip([HANDLER, ...Array.from({ length: 300 }, (_, i) => file(`pkg/m${i}.py`, `x = ${i}\n`))]);
        const script = `
            const { extracted } = require(${JSON.stringify(path.join(__dirname, "..", "..", "runner", "code"))});
            const fs = require("fs"), path = require("path");
            extracted([${JSON.stringify(code)}], "task").then((dir) => {
                for (let i = 0; i < 300; i++) if (fs.readFileSync(path.join(dir, "pkg", "m" + i + ".py"), "utf8") !== "x = " + i + "\\n") throw new Error("m" + i + " differs");
                process.stdout.write("ok");
            }, (e) => { console.error(e.stack); process.exit(1); });`;
        const run = `for i in 1 2 3 4 5 6 7 8; do node -r ts-node/register/transpile-only -e "$SCRIPT" > "$OUT.$i" 2>&1 & done; wait`;
        const out = path.join(base, "race");
        spawnSync("bash", ["-c", run], { env: { ...process.env, SCRIPT: script, OUT: out, LAMBDA_PYTHON_CACHE_DIR: cache }, cwd: path.join(__dirname, "..", "..") });
        const results = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => fs.readFileSync(`${out}.${i}`, "utf8"));
        assert.deepEqual(results, Array(8).fill("ok"), results.join("\n"));
    });
});
