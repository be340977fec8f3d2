// How a cold build's time and memory grow with its input, from 10 MB to
// 200 MB, beside `zip -r -q -X -6` on the same folders in the same run; and
// how a preview's grow with the functions of a stack, 1, 10 and 50 (issue 27),
// beside building the stack's distinct dependency sets alone in the same run.
//
//   npm run build && npm run bench -- growth
//   BENCH_GROWTH_ONLY=size|functions  one of the two
//
// Each input is a sample of the benchmark corpus (bench/corpus.ts) with the
// same mix of files at every size: the corpus files ordered by a hash of
// their path, taken until the size is reached, hard-linked into a folder of
// their own. Every build runs in a child process with a cold cache
// (memory.ts's buildInChild: wall time, CPU of all threads, VmHWM).
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureCorpus, WORK } from "./corpus";
import { buildInChild, Measured, zipInChild } from "./memory";
import { recordSection } from "./record";
import { buildDistinctAlone, previewStack, Run, stackFixture } from "./stack";

const SIZES_MB = [10, 25, 50, 100, 200];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function corpusFiles(root: string): { rel: string; size: number }[] {
    const out: { rel: string; size: number }[] = [];
    const walk = (dir: string, rel: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const r = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) walk(path.join(dir, e.name), r);
            else if (e.isFile()) out.push({ rel: r, size: fs.statSync(path.join(dir, e.name)).size });
        }
    };
    walk(root, "");
    const rank = (rel: string) => crypto.createHash("sha1").update(rel).digest("hex");
    return out.sort((a, b) => (rank(a.rel) < rank(b.rel) ? -1 : 1));
}

/** A folder of corpus files adding up to at least `mb` MB (1e6 bytes), the same mix at every size. */
function sample(corpus: string, files: { rel: string; size: number }[], mb: number): { dir: string; bytes: number; count: number } {
    const dir = path.join(WORK, `growth-${mb}`);
    fs.rmSync(dir, { recursive: true, force: true });
    let bytes = 0;
    let count = 0;
    for (const f of files) {
        if (bytes >= mb * 1e6) break;
        const to = path.join(dir, f.rel);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.linkSync(path.join(corpus, f.rel), to);
        bytes += f.size;
        count++;
    }
    return { dir, bytes, count };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchGrowth(): Promise<string> {
    const only = process.env.BENCH_GROWTH_ONLY;
    const parts: string[] = [];
    if (only !== "functions") parts.push(await growthBySize());
    if (only !== "size") parts.push(await growthByFunctions());
    return parts.join("\n\n");
}

/** Stacks of bench/stack-fixture.ts: 1 function (the requests set), 10 (5 sets x 2) and 50 (5 x 10), with the layers they use. */
const STACKS = [
    { functions: 1, opts: { sets: 1, functionsPerSet: 1 } },
    { functions: 10, opts: { sets: 5, functionsPerSet: 2 } },
    { functions: 50, opts: { sets: 5, functionsPerSet: 10 } },
];

async function growthByFunctions(): Promise<string> {
    const root = path.join(WORK, "growth-stacks");
    const downloads = path.join(WORK, "stack", "downloads");
    const rows = STACKS.map((st) => ({ ...st, fixture: stackFixture(path.join(root, `stack-${st.functions}`), st.opts), cold: [] as Run[], warm: [] as Run[], alone: [] as number[] }));
    const cacheDir = path.join(root, "cache");
    // Untimed: the download caches filled (shared with bench/stack.ts).
    await previewStack(rows[rows.length - 1].fixture.programDir, cacheDir, downloads);
    for (let i = 0; i < RUNS; i++) {
        for (const row of rows) {
            const ours = async () => {
                fs.rmSync(cacheDir, { recursive: true, force: true });
                row.cold.push(await previewStack(row.fixture.programDir, cacheDir, downloads));
                row.warm.push(await previewStack(row.fixture.programDir, cacheDir, downloads));
            };
            const alone = async () => {
                row.alone.push(await buildDistinctAlone(row.fixture, root, downloads));
            };
            for (const run of i % 2 === 0 ? [ours, alone] : [alone, ours]) await run();
            console.log(`  ${row.functions} functions run ${i + 1}: cold ${row.cold[i].ms.toFixed(0)} ms, no change ${row.warm[i].ms.toFixed(0)} ms, distinct builds alone ${row.alone[i].toFixed(0)} ms`);
        }
    }
    fs.rmSync(cacheDir, { recursive: true, force: true });
    const s = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
    const med = (xs: Run[], k: keyof Run) => median(xs.map((x) => x[k]));
    const body = [
        `Stacks of bench/stack-fixture.ts (python3.11, x86_64): 1 function (the requests set, with its 3 layers), 10 (the 5 dependency sets, 2 handlers each, 5 layers) and 50 (10 handlers each). \`lambda-python preview\` cold (empty build cache) then with no change; the baseline, in the same runs: the stack's distinct builds alone (\`lambda-python build\` of one function of each set and of each layer, one after another, empty cache each). Download caches filled once and shared. Peak RSS: the preview's process tree summed. Median of ${RUNS} runs; machine loaded (shared by other work), load average ${os.loadavg()[0].toFixed(1)} at the end.`,
        "",
        "| functions | cold preview | distinct builds alone | cold / alone (median of each run's) | no change | peak RSS (cold) | peak RSS (no change) |",
        "|---|---|---|---|---|---|---|",
        ...rows.map(
            (r) =>
                `| ${r.functions} | ${s(med(r.cold, "ms"))} | ${s(median(r.alone))} | ${median(r.cold.map((c, i) => c.ms / r.alone[i])).toFixed(2)}x | ${s(med(r.warm, "ms"))} | ${med(r.cold, "rssMB").toFixed(0)} MB | ${med(r.warm, "rssMB").toFixed(0)} MB |`,
        ),
    ].join("\n");
    recordSection("growth-functions", "How a preview grows with the functions of a stack, 1, 10 and 50 (issue 27)", "npm run build && BENCH_GROWTH_ONLY=functions npm run bench -- growth", body);
    return body;
}

async function growthBySize(): Promise<string> {
    const corpus = ensureCorpus();
    const files = corpusFiles(corpus);
    const rows: { mb: number; bytes: number; count: number; ours: Measured[]; zip: Measured[] }[] = [];
    for (const mb of SIZES_MB) {
        const s = sample(corpus, files, mb);
        rows.push({ mb, bytes: s.bytes, count: s.count, ours: [], zip: [] });
    }
    for (let i = 0; i < RUNS; i++) {
        for (const row of rows) {
            const dir = path.join(WORK, `growth-${row.mb}`);
            // Alternate which goes first, so neither always meets a warmer page cache.
            const pair = i % 2 === 0 ? [() => row.ours.push(buildInChild(dir, 2 ** 31)), () => row.zip.push(zipInChild(dir))] : [() => row.zip.push(zipInChild(dir)), () => row.ours.push(buildInChild(dir, 2 ** 31))];
            for (const run of pair) run();
            console.log(`  ${row.mb} MB run ${i + 1}: ours ${row.ours[i].ms.toFixed(0)} ms, zip -r ${row.zip[i].ms.toFixed(0)} ms`);
        }
    }
    for (const row of rows) fs.rmSync(path.join(WORK, `growth-${row.mb}`), { recursive: true, force: true });
    const m = (xs: Measured[], k: keyof Pick<Measured, "ms" | "cpuMs" | "rssMB">) => median(xs.map((x) => x[k]));
    const s = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
    const first = rows[0];
    const last = rows[rows.length - 1];
    const slope = (k: "ms" | "rssMB", side: "ours" | "zip") => (m(last[side], k) - m(first[side], k)) / ((last.bytes - first.bytes) / 1e6);
    const body = [
        `Inputs: samples of the benchmark corpus with the same mix of files at every size (numpy, scipy, botocore, boto3, pydantic-core, cryptography). Each build in its own process with a cold cache, the size limit raised so 200 MB is built; median of ${RUNS} runs, \`zip -r\` alternating first. Machine: ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} at the end.`,
        "",
        "| input | files | ours: wall / CPU / peak RSS | `zip -r -6`: wall / CPU / peak RSS | ours / `zip -r` (wall) |",
        "|---|---|---|---|---|",
        ...rows.map(
            (r) =>
                `| ${(r.bytes / 1e6).toFixed(1)} MB | ${r.count.toLocaleString("en-US")} | ${s(m(r.ours, "ms"))} / ${s(m(r.ours, "cpuMs"))} / ${m(r.ours, "rssMB").toFixed(0)} MB | ${s(m(r.zip, "ms"))} / ${s(m(r.zip, "cpuMs"))} / ${m(r.zip, "rssMB").toFixed(0)} MB | ${(m(r.ours, "ms") / m(r.zip, "ms")).toFixed(2)}x |`,
        ),
        "",
        `Growth from ${(first.bytes / 1e6).toFixed(0)} MB to ${(last.bytes / 1e6).toFixed(0)} MB: ours ${slope("ms", "ours").toFixed(1)} ms and ${slope("rssMB", "ours").toFixed(2)} MB of peak RSS per MB of input; \`zip -r\` ${slope("ms", "zip").toFixed(1)} ms and ${slope("rssMB", "zip").toFixed(2)} MB per MB. Compressed bytes beyond a 16 MiB budget wait in spill files rather than in memory, and idle workers are retired before the archive is written (builder/DESIGN.md, "Memory").`,
    ].join("\n");
    recordSection("growth", "How time and memory grow with the input, 10 MB to 200 MB (issue 12)", "npm run build && npm run bench -- growth", body);
    return body;
}
