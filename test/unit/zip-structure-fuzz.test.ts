// Seeded structural fuzzing of what the runner extracts and what `inspect`
// says of it (the other fuzzer, zip-fuzz.test.ts, damages bytes of sound
// archives; this one builds archives out of hostile parts): names that climb,
// are absolute, use backslashes, NUL, drive letters, two spellings of one
// path or two Unicode normalisations; symbolic links to anywhere, chained,
// and entries beneath them; files used as folders; duplicates; local headers
// that disagree with the central directory; data descriptors; encryption
// flags and methods Lambda cannot extract; modes of devices and FIFOs; zip64.
//
// What must hold, for every archive:
//   - the inspection ends in facts (no exception);
//   - the runner's extraction, even without the inspection before it, ends
//     in a folder or a UserError and writes nothing outside that folder;
//   - an archive the inspection accepts extracts to exactly the files the
//     inspection listed (names, kinds, sizes, link texts), and one whose
//     local headers name or compress an entry otherwise is not accepted.
//
// Reproducible: ZIPSTRUCT_SEED / ZIPSTRUCT_CASES run other seeds or more.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { extractedPath, inspectPathVerified, isSymlink } from "../../policies/inspect";
import { checkedFoldersDir, extracted } from "../../runner/code";
import { isUserError } from "../../shared/errors";
import { CraftEntry, craftZip } from "../zip-crafter";
import { prng } from "../prng";

const SEED = Number(process.env.ZIPSTRUCT_SEED ?? 2424);
const CASES = Number(process.env.ZIPSTRUCT_CASES ?? 600);

/** Path segments: mostly plain ones (so that many archives are sound and their extraction is compared), some hostile. */
const PLAIN = ["a", "b", "lib", "python", "A", "mod.py", "caf\u00e9", "cafe\u0301", "lambda_function.py"];
const HOSTILE = ["..", ".", "", "x\\y", "C:", "n\u0000ul"];
const MODES = [0o000644, 0o100000, 0o100600, 0o040700, 0o060644, 0o010644, 0o140644, 0o100755];

interface Case {
    entries: CraftEntry[];
    zip64: boolean;
    /** Entries with data whose local header names or compresses them otherwise. */
    mismatched: string[];
}

function makeCase(rand: () => number): Case {
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
    const chance = (p: number) => rand() < p;
    const segment = () => pick(chance(0.12) ? HOSTILE : PLAIN);
    const pathOf = (n: number) => (chance(0.03) ? "/" : "") + Array.from({ length: n }, segment).join("/");
    const entries: CraftEntry[] = [];
    const mismatched: string[] = [];
    for (let count = 1 + Math.floor(rand() * 8); count > 0; count--) {
        const previous = entries.length && chance(0.2) ? pick(entries).name.replace(/\/$/, "") : undefined;
        // Often beneath an earlier entry, as links are attacked: a/b -> .., then a/b/c.
        const base = previous !== undefined && chance(0.6) ? `${previous}/${segment()}` : (previous ?? pathOf(1 + Math.floor(rand() * 3)));
        const kind = rand();
        let e: CraftEntry;
        if (kind < 0.15) e = { name: `${base}/` };
        else if (kind < 0.35) e = { name: base, data: Buffer.from(chance(0.3) ? ".." : pathOf(1 + Math.floor(rand() * 3))), mode: 0o120777, stored: true };
        else e = { name: base, data: Buffer.from(`content ${entries.length} ${"x".repeat(Math.floor(rand() * 200))}\n`), stored: chance(0.3) };
        if (chance(0.05)) e.mode = pick(MODES);
        if (chance(0.05)) e.madeBy = 0;
        if (chance(0.1)) e.dataDescriptor = true;
        if (chance(0.1)) e.zip64Extra = true;
        if (chance(0.03)) e.flags = 1; // encrypted
        if (chance(0.03) && e.data?.length) e.raw = { compressed: Buffer.from(e.data), size: e.data.length, crc32: 0, method: pick([12, 14, 99]) };
        const hasData = !!e.data?.length;
        if (chance(0.06)) {
            e.localName = chance(0.5) ? `../${e.name}` : `${e.name}x`;
            if (hasData) mismatched.push(e.name);
        } else if (chance(0.04) && hasData && !e.raw) {
            e.localMethod = e.stored ? 8 : 0;
            mismatched.push(e.name);
        }
        entries.push(e);
    }
    return { entries, zip64: chance(0.1), mismatched };
}

/** Every path under `dir` (folders end with "/"), links not followed. */
function tree(dir: string, rel = ""): string[] {
    const out: string[] = [];
    for (const name of fs.readdirSync(path.join(dir, rel))) {
        const p = path.join(rel, name);
        const st = fs.lstatSync(path.join(dir, p));
        if (st.isDirectory()) out.push(`${p}/`, ...tree(dir, p));
        else out.push(p);
    }
    return out;
}

describe("inspect and the runner's extraction under structural fuzzing", function () {
    this.timeout(600_000);
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "zip-struct-"));
    const saved = process.env.LAMBDA_PYTHON_CACHE_DIR;
    after(() => {
        if (saved === undefined) delete process.env.LAMBDA_PYTHON_CACHE_DIR;
        else process.env.LAMBDA_PYTHON_CACHE_DIR = saved;
        fs.rmSync(base, { recursive: true, force: true });
    });

    it(`agree on ${CASES} hostile archives, and extraction never writes outside its folder (seed ${SEED})`, async () => {
        const rand = prng(SEED);
        let accepted = 0;
        let refusedByExtraction = 0;
        for (let i = 0; i < CASES; i++) {
            const c = makeCase(rand);
            const where = `case ${i} (ZIPSTRUCT_SEED=${SEED}): ${JSON.stringify(c.entries.map((e) => [e.name, e.mode?.toString(8), e.data && isSymlink(e.mode) ? e.data.toString() : undefined]))}`;
            const home = path.join(base, String(i));
            // The cache three levels down: a climb out of the extraction shows up in `home`.
            const cache = path.join(home, "c1", "c2", "c3");
            fs.mkdirSync(cache, { recursive: true });
            process.env.LAMBDA_PYTHON_CACHE_DIR = cache;
            const zip = path.join(home, "fn.zip");
            fs.writeFileSync(zip, craftZip(c.entries, { zip64: c.zip64 }));

            const facts = (await inspectPathVerified(zip)).facts;
            const ok = facts.problems.length === 0 && facts.unsafe.length === 0;
            if (c.mismatched.length) assert.ok(!ok, `${where}: accepted, though the local headers of ${c.mismatched.join(", ")} disagree with the directory`);

            let dest: string | undefined;
            try {
                dest = await extracted([zip], "task");
            } catch (e) {
                if (!isUserError(e)) assert.fail(`${where}: extraction threw ${(e as Error).stack}`);
                refusedByExtraction++;
            }
            // Nothing anywhere but the cache's own folders, the extraction and its record.
            const task = checkedFoldersDir("task");
            const allowed = (p: string) => {
                const abs = path.join(home, p).replace(/\/$/, "");
                if (abs === zip || abs === task || task.startsWith(`${abs}/`)) return true;
                return !!dest && (abs === dest || abs.startsWith(`${dest}/`) || abs === path.dirname(dest) || abs === `${path.dirname(dest)}/.state`);
            };
            const stray = tree(home).filter((p) => !allowed(p));
            assert.deepEqual(stray, [], `${where}: written outside the extraction`);

            if (!ok) continue;
            accepted++;
            assert.ok(dest, `${where}: inspect accepted it, the extraction refused it`);
            const expected = facts.files.map((f) => (isSymlink(f.mode) ? `${extractedPath(f.name)} -> ${f.link}` : `${extractedPath(f.name)} (${f.size} bytes)`)).sort();
            const got = tree(dest!)
                .filter((p) => !p.endsWith("/"))
                .map((p) => {
                    const abs = path.join(dest!, p);
                    const st = fs.lstatSync(abs);
                    return st.isSymbolicLink() ? `${p} -> ${fs.readlinkSync(abs)}` : `${p} (${st.size} bytes)`;
                })
                .sort();
            assert.deepEqual(got, expected, `${where}: the extraction is not what inspect listed`);
        }
        console.log(`      ${accepted} of ${CASES} accepted and extracted as listed; ${refusedByExtraction} refused by the extraction itself; nothing written outside`);
    });
});

describe("the path an entry name is extracted to", () => {
    // The definition: its segments without the empty and "." ones (extractedPath returns most names as they are).
    const bySegments = (name: string) =>
        name
            .split("/")
            .filter((s) => s !== "" && s !== ".")
            .join("/");

    it("is the name without empty and '.' segments, for hand-picked and random names", () => {
        const picked = ["", ".", "..", "...", "/", "//", "./", "a", ".a", "a.", "a/", "/a", "./a", ".//a", "a//b", "a/./b", "a/.", "a/./", "a/..", "../a", "a/.b", "a/b/c.py", "a\n/./b", "é/ü/"];
        for (const name of picked) assert.equal(extractedPath(name), bySegments(name), JSON.stringify(name));
        let seed = 27;
        const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
        const alphabet = ["a", "b", ".", "/", "\n", "é"];
        for (let i = 0; i < 50_000; i++) {
            let name = "";
            for (let k = next() % 9; k > 0; k--) name += alphabet[next() % alphabet.length];
            assert.equal(extractedPath(name), bySegments(name), JSON.stringify(name));
        }
    });
});
