// Benchmark of the archive pipeline, against `zip -r -q -X` and archiver in
// the same run (see docs/BENCHMARKS.md for the targets and the figures).
//
//   npm run bench -- archive
//
// Every figure is the median of RUNS runs with a warm page cache, each run
// started after `sync`; ratios compare figures of this run only.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { buildArchive, BuildResult } from "../builder";
import { inspectPath } from "../policies/inspect";
import { checkArchive } from "../policies/rules";
import { ensureCorpus, ensureGeneratedModules, ensureSmallFiles, treeStats, WORK } from "./corpus";
import { recordSection } from "./record";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

/** Times one run; dirty pages of earlier runs are flushed first so no run pays for another's writeback. */
async function timeIt<T>(f: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
    execFileSync("sync");
    const t = process.hrtime.bigint();
    const value = await f();
    return { ms: Number(process.hrtime.bigint() - t) / 1e6, value };
}

function fresh(name: string): string {
    const dir = path.join(WORK, name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}

export async function benchArchive(): Promise<string> {
    const corpus = ensureCorpus();
    const stats = treeStats(corpus);
    // zip -r and archiver see the same layer layout as our builder: python/<packages>.
    const layerRoot = fresh("layer-root");
    fs.symlinkSync(corpus, path.join(layerRoot, "python"));

    const zipTimes: number[] = [];
    let zipBytes = 0;
    for (let i = 0; i < RUNS; i++) {
        const out = path.join(WORK, "zip-r.zip");
        fs.rmSync(out, { force: true });
        const t = await timeIt(() => execFileSync("zip", ["-r", "-q", "-X", "-6", out, "python"], { cwd: layerRoot }));
        zipTimes.push(t.ms);
        zipBytes = fs.statSync(out).size;
    }

    const archiverTimes: number[] = [];
    let archiverBytes = 0;
    for (let i = 0; i < RUNS; i++) {
        const out = path.join(WORK, "archiver.zip");
        execFileSync("sync");
        const r = spawnSync(process.execPath, [path.join(__dirname, "archiver-zip.mjs"), path.join(layerRoot, "python"), "python", out, "6"], { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`archiver failed: ${r.stderr}`);
        archiverTimes.push(Number(r.stdout.trim()));
        archiverBytes = fs.statSync(out).size;
    }

    const small = await benchSmallFiles();

    // Cold: empty cache each run (the content-hash memo too), page cache warm. Each in a process of its own
    // running the compiled builder, as `lambda-python build` does (Node's start included): in this process the
    // deflate workers would run the TypeScript sources through ts-node, which no user does.
    const coldTimes: number[] = [];
    const coldPeaks: number[] = [];
    let cold!: BuildResult;
    let cacheDir = "";
    for (let i = 0; i < RUNS; i++) {
        cacheDir = fresh("cache-cold");
        const t = await timeIt(() => coldBuildInChild(corpus, cacheDir));
        coldTimes.push(t.ms);
        coldPeaks.push(t.value.rssMB);
        cold = t.value.result;
    }
    const warmTimes: number[] = [];
    let warm!: BuildResult;
    for (let i = 0; i < RUNS; i++) {
        const t = await timeIt(() => buildArchive({ kind: "layer", sitePackages: corpus, runtime: "python3.12", architecture: "x86_64", cacheDir }));
        warmTimes.push(t.ms);
        warm = t.value;
    }

    // A function bundling the corpus; then one handler file changes.
    const src = fresh("function-src");
    const handler = path.join(src, "handler.py");
    fs.writeFileSync(handler, "def handler(event, context):\n    return 0\n");
    const fnOptions = { source: src, sitePackages: corpus, handler: "handler.handler", runtime: "python3.12", architecture: "x86_64" as const, cacheDir };
    await buildArchive(fnOptions);
    const changeTimes: number[] = [];
    let changed!: BuildResult;
    for (let i = 0; i < RUNS; i++) {
        fs.writeFileSync(handler, `def handler(event, context):\n    return ${i + 1}\n`);
        const t = await timeIt(() => buildArchive(fnOptions));
        changeTimes.push(t.ms);
        changed = t.value;
    }

    // inspect: in-process work, and peak memory of the CLI on a big and a tiny zip.
    const inspectTimes: number[] = [];
    for (let i = 0; i < RUNS + 2; i++) {
        const t = await timeIt(() => checkArchive(inspectPath(cold.path), { kind: "layer", runtimes: ["python3.12"], architectures: ["x86_64"] }));
        inspectTimes.push(t.ms);
    }
    const tiny = path.join(WORK, "tiny.zip");
    fs.rmSync(tiny, { force: true });
    execFileSync("zip", ["-q", "-X", tiny, "archive.ts"], { cwd: __dirname });
    const peakKb = (zip: string) => {
        const r = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, path.join(__dirname, "..", "dist", "cli", "main.js"), "inspect", zip, "--json"], { encoding: "utf8" });
        return Number(r.stderr.trim().split("\n").pop());
    };
    const zeros = path.join(WORK, "zeros-1gib.zip");
    if (!fs.existsSync(zeros)) {
        execFileSync("python3", [
            "-c",
            "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n    with z.open('zeros.bin', 'w', force_zip64=True) as f:\n        for _ in range(1024): f.write(bytes(1 << 20))",
            zeros,
        ]);
    }
    const bigPeak = median([peakKb(cold.path), peakKb(cold.path), peakKb(cold.path)]);
    const tinyPeak = median([peakKb(tiny), peakKb(tiny), peakKb(tiny)]);
    const zerosPeak = median([peakKb(zeros), peakKb(zeros), peakKb(zeros)]);

    const zipMs = median(zipTimes);
    const coldMs = median(coldTimes);
    const warmMs = median(warmTimes);
    const changeMs = median(changeTimes);
    const inspectMs = median(inspectTimes);
    const rows: [string, string, string, string][] = [
        [
            "cold layer build vs `zip -r -q -X -6`",
            `${(zipMs / coldMs).toFixed(2)}x faster (${ms(coldMs)} vs ${ms(zipMs)}; peak RSS ${median(coldPeaks).toFixed(0)} MB)`,
            ">= 2.8x, peak RSS < 150 MB",
            pass(zipMs / coldMs >= 2.8 && median(coldPeaks) < 150),
        ],
        ...smallFilesRows(small),
        ["output size vs `zip -r`", `${pct((cold.zippedBytes - zipBytes) / zipBytes, true)} (${mb(cold.zippedBytes)} vs ${mb(zipBytes)})`, "<= +1%", pass(cold.zippedBytes <= zipBytes * 1.01)],
        ["cold layer build vs archiver 8 (level 6)", `${(median(archiverTimes) / coldMs).toFixed(2)}x faster (archiver ${ms(median(archiverTimes))}, ${mb(archiverBytes)})`, "(reference)", ""],
        ["rebuild, nothing changed", `${pct(warmMs / coldMs)} of cold (${ms(warmMs)}); archive ${warm.cache.archive}, ${warm.cache.compressedEntries} entries compressed`, "<= 5%", pass(warmMs <= coldMs * 0.05 && warm.cache.archive === "hit")],
        [
            "rebuild after one handler change (function bundling the corpus)",
            `${pct(changeMs / coldMs)} of cold (${ms(changeMs)}); ${changed.cache.compressedEntries} compressed, ${changed.cache.reusedEntries} reused`,
            "<= 15%",
            pass(changeMs <= coldMs * 0.15 && changed.cache.compressedEntries === 1),
        ],
        ["`inspect` of the corpus zip (in-process work)", `${ms(inspectMs)}`, "< 100 ms", pass(inspectMs < 100)],
        [
            "`inspect` peak RSS: 1-file zip / 1 entry of 1 GiB zeros / corpus zip",
            `${(tinyPeak / 1024).toFixed(0)} MB / ${(zerosPeak / 1024).toFixed(0)} MB / ${(bigPeak / 1024).toFixed(0)} MB (corpus: ${cold.entries.toLocaleString("en-US")} entries, ${mb(cold.unzippedBytes)} unzipped)`,
            "not growing with unzipped size",
            pass(zerosPeak - tinyPeak < 8 * 1024 && bigPeak - tinyPeak < 64 * 1024),
        ],
    ];
    const table = [
        `Corpus: ${stats.files.toLocaleString("en-US")} files, ${mb(stats.bytes)} (numpy, scipy, botocore, boto3, pydantic-core, cryptography for python3.12 x86_64). ` +
            `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}, ${RUNS} runs each, median, warm page cache, \`sync\` before each run.`,
        "",
        "| measurement | result | target | |",
        "|---|---|---|---|",
        ...rows.map((r) => `| ${r.join(" | ")} |`),
        "",
        smallFilesRounds(small),
        `Raw medians (ms): zip -r ${zipTimes.map(ms).join(", ")}; archiver ${archiverTimes.map(ms).join(", ")}; cold ${coldTimes.map(ms).join(", ")}; no-change ${warmTimes.map(ms).join(", ")}; one-change ${changeTimes.map(ms).join(", ")}; inspect ${inspectTimes.map(ms).join(", ")}.`,
    ].join("\n");
    recordSection("archive", "Archive builder (issue 2)", "npm run bench -- archive", table);
    return table;
}

const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
const pct = (x: number, sign = false) => `${sign && x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
const pass = (ok: boolean) => (ok ? "pass" : "**FAIL**");

/** A cold layer build of `sitePackages` by the compiled builder in a child process: its result and peak RSS (VmHWM, worker threads included). */
function coldBuildInChild(sitePackages: string, cacheDir: string): { result: BuildResult; rssMB: number } {
    const builder = path.join(__dirname, "..", "dist", "builder", "index.js");
    const script = `
const { buildArchive } = require(${JSON.stringify(builder)});
buildArchive({ kind: "layer", sitePackages: process.argv[1], runtime: "python3.12", architecture: "x86_64", cacheDir: process.argv[2] }).then((result) => {
    const rssMB = Number(/VmHWM:\\s+(\\d+) kB/.exec(require("fs").readFileSync("/proc/self/status", "utf8"))[1]) / 1024;
    console.log(JSON.stringify({ result, rssMB }));
});
`;
    const r = spawnSync(process.execPath, ["-e", script, sitePackages, cacheDir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`the cold build failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

/** Size over raw DEFLATE size at level 6, file by file (as an archive compresses them). */
function deflateRatio(dir: string): number {
    let raw = 0;
    let packed = 0;
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.isFile()) {
                const data = fs.readFileSync(p);
                raw += data.length;
                packed += zlib.deflateRawSync(data, { level: 6 }).length;
            }
        }
    };
    walk(dir);
    return raw / packed;
}

interface SmallFilesRun {
    label: string;
    files: number;
    bytes: number;
    /** Size over DEFLATE size, file by file. */
    ratio: number;
    zipMs: number;
    oursMs: number;
    zipCpuMs: number;
    oursCpuMs: number;
    zipPeakMB: number;
    oursPeakMB: number;
    zipTimes: number[];
    oursTimes: number[];
    oursPeaks: number[];
}

/**
 * 20,000 small files in two shapes, where per-file costs dominate: `zip -r
 * -6` and a cold build (child processes running the compiled builder, as
 * `lambda-python build` does; wall time, CPU of all threads and peak RSS
 * from /usr/bin/time) in interleaved rounds (zip, ours on one shape, then
 * on the other), because the machine is shared and its load changes from
 * minute to minute.
 */
async function benchSmallFiles(): Promise<SmallFilesRun[]> {
    const shapes = [
        { label: "Python-like modules", tree: ensureSmallFiles() },
        { label: "generated model classes", tree: ensureGeneratedModules() },
    ];
    const builder = path.join(__dirname, "..", "dist", "builder", "index.js");
    const script = `
const { buildArchive } = require(${JSON.stringify(builder)});
buildArchive({ kind: "layer", sitePackages: process.argv[1], runtime: "python3.12", architecture: "x86_64", cacheDir: process.argv[2] });
`;
    // `/usr/bin/time -f "%U %S %M"`: CPU seconds (user, system) and peak RSS in KB, on the last line of stderr.
    const timed = async (cmd: string, args: string[], cwd?: string) => {
        const t = await timeIt(() => spawnSync("/usr/bin/time", ["-f", "%U %S %M", cmd, ...args], { cwd, encoding: "utf8" }));
        if (t.value.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${t.value.stderr}`);
        const [user, sys, kb] = t.value.stderr.trim().split("\n").pop()!.split(" ").map(Number);
        return { ms: t.ms, cpuMs: (user + sys) * 1000, peakMB: kb / 1024 };
    };
    const runs = shapes.map((s) => {
        const root = fresh(`small-root-${path.basename(s.tree)}`);
        fs.symlinkSync(s.tree, path.join(root, "python"));
        return { ...s, root, zip: [] as Awaited<ReturnType<typeof timed>>[], ours: [] as Awaited<ReturnType<typeof timed>>[] };
    });
    for (let i = 0; i < RUNS; i++) {
        for (const r of runs) {
            const out = path.join(WORK, "small-zip-r.zip");
            fs.rmSync(out, { force: true });
            r.zip.push(await timed("zip", ["-r", "-q", "-X", "-6", out, "python"], r.root));
            const cacheDir = fresh("small-cache");
            r.ours.push(await timed(process.execPath, ["-e", script, r.tree, cacheDir]));
        }
    }
    return runs.map((r) => ({
        label: r.label,
        ...treeStats(r.tree),
        ratio: deflateRatio(r.tree),
        zipMs: median(r.zip.map((x) => x.ms)),
        oursMs: median(r.ours.map((x) => x.ms)),
        zipCpuMs: median(r.zip.map((x) => x.cpuMs)),
        oursCpuMs: median(r.ours.map((x) => x.cpuMs)),
        zipPeakMB: median(r.zip.map((x) => x.peakMB)),
        oursPeakMB: median(r.ours.map((x) => x.peakMB)),
        zipTimes: r.zip.map((x) => x.ms),
        oursTimes: r.ours.map((x) => x.ms),
        oursPeaks: r.ours.map((x) => x.peakMB),
    }));
}

/** The small-files rows (issue 27's goal: at most 1.0x `zip -r`, peak RSS under 150 MB, on both shapes). */
function smallFilesRows(small: SmallFilesRun[]): [string, string, string, string][] {
    return small.map((s) => [
        `cold layer build of ${s.files.toLocaleString("en-US")} small files, ${s.label} (${mb(s.bytes)}, ${Math.round(s.bytes / s.files)} bytes on average, ${s.ratio.toFixed(1)}x deflated), vs \`zip -r -6\``,
        `${(s.oursMs / s.zipMs).toFixed(2)}x the time of \`zip -r\` (${ms(s.oursMs)} vs ${ms(s.zipMs)}; CPU ${ms(s.oursCpuMs)} vs ${ms(s.zipCpuMs)}; peak RSS ${s.oursPeakMB.toFixed(0)} MB vs ${s.zipPeakMB.toFixed(0)} MB)`,
        "<= 1.0x, peak RSS < 150 MB",
        pass(s.oursMs <= s.zipMs && s.oursPeakMB < 150),
    ]);
}

function smallFilesRounds(small: SmallFilesRun[]): string {
    return small.map((s) => `${s.label}, rounds interleaved: zip -r ${s.zipTimes.map(ms).join(", ")}; ours ${s.oursTimes.map(ms).join(", ")} (peak RSS ${s.oursPeaks.map((x) => x.toFixed(0)).join(", ")} MB).`).join("\n");
}

/** `npm run bench -- small-files`: only the two small-files shapes, in a section of their own. */
export async function benchSmallFilesOnly(): Promise<string> {
    const small = await benchSmallFiles();
    const table = [
        `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}, ${RUNS} rounds, median, warm page cache, \`sync\` before each run.`,
        "",
        "| measurement | result | target | |",
        "|---|---|---|---|",
        ...smallFilesRows(small).map((r) => `| ${r.join(" | ")} |`),
        "",
        smallFilesRounds(small),
    ].join("\n");
    recordSection("small-files", "Small files (issue 27)", "npm run bench -- small-files", table);
    return table;
}
