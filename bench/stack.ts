// A stack of many functions (issue 27): `lambda-python preview` of the
// 50-function program of bench/stack-fixture.ts (5 dependency sets from
// requests to numpy+pandas, 10 handler folders each, 5 shared layers), beside
// what it cannot do with less, measured in the same rounds:
// - cold (empty build cache) against building the distinct dependency sets
//   alone: `lambda-python build` of one function of each set and of each
//   layer, one after another, each with an empty build cache;
// - no change, and one handler edited, against no change;
// - peak RSS of the whole preview (the CLI and the program's process);
// - `sam build --parallel --cached` of the equivalent SAM template (aws-sam-cli
//   from PyPI, pinned, building with this machine's python3.11: the fixture's
//   runtime is python3.11 for that reason), cold (no .aws-sam) and warm.
//
//   npm run build && npm run bench -- stack      (BENCH_RUNS rounds, default 3; BENCH_STACK_SAM_RUNS of them with SAM, default 1)
//
// The download caches (uv's and pip's, one pair for the bench) are filled
// once, untimed, and shared by every side: a cold run is cold for the build
// caches, not for the network (BENCH_STACK_EMPTY_DOWNLOADS=1 empties them
// before every cold run instead).
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SAM_VERSION, samCli } from "./build-cold";
import { WORK } from "./corpus";
import { recordSection } from "./record";
import { STACK_RUNTIME, writeStack } from "./stack-fixture";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** SAM's cold build of the stack takes minutes (one pip install per function): in the first rounds only. */
const SAM_RUNS = Math.min(RUNS, Number(process.env.BENCH_STACK_SAM_RUNS ?? 1));
const EMPTY_DOWNLOADS = process.env.BENCH_STACK_EMPTY_DOWNLOADS === "1";
const CLI = path.join(__dirname, "..", "dist", "cli", "main.js");

export interface Run {
    ms: number;
    /** Peak of the summed RSS of the process and its descendants, sampled every 20 ms. */
    rssMB: number;
}

/** Every descendant of `pid` (from /proc). */
function descendants(pid: number): number[] {
    const children = new Map<number, number[]>();
    for (const name of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(name)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            const list = children.get(ppid) ?? [];
            list.push(Number(name));
            children.set(ppid, list);
        } catch {
            // gone meanwhile
        }
    }
    const out: number[] = [];
    const visit = (p: number) => {
        for (const c of children.get(p) ?? []) {
            out.push(c);
            visit(c);
        }
    };
    visit(pid);
    return out;
}

function rssKB(pid: number): number {
    try {
        return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
        return 0;
    }
}

/** Runs a command to its end: wall time and the peak RSS of its whole process tree. Throws with its output when it fails. */
function measure(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
    return new Promise((resolve, reject) => {
        const t = process.hrtime.bigint();
        const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d) => {
            out = (out + d).slice(-4000);
        });
        child.stderr.on("data", (d) => {
            out = (out + d).slice(-4000);
        });
        let peak = 0;
        const sample = () => {
            if (child.pid === undefined) return;
            const sum = [child.pid, ...descendants(child.pid)].reduce((n, p) => n + rssKB(p), 0);
            peak = Math.max(peak, sum);
        };
        const timer = setInterval(sample, 20);
        child.on("error", reject);
        child.on("exit", (code) => {
            clearInterval(timer);
            const ms = Number(process.hrtime.bigint() - t) / 1e6;
            if (code !== 0) reject(new Error(`${command} ${args.join(" ")} failed (${code}):\n${out}`));
            else resolve({ ms, rssMB: peak / 1024 });
        });
    });
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const s = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
export const range = (xs: number[]) => `${s(Math.min(...xs))}–${s(Math.max(...xs))}`;

/** The environment of every side: the bench's download caches, no telemetry, python3.11 found for SAM. */
function envFor(downloads: string, cacheDir?: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, UV_CACHE_DIR: path.join(downloads, "uv"), PIP_CACHE_DIR: path.join(downloads, "pip"), SAM_CLI_TELEMETRY: "0" };
    if (cacheDir) env.LAMBDA_PYTHON_CACHE_DIR = cacheDir;
    else delete env.LAMBDA_PYTHON_CACHE_DIR;
    delete env.LAMBDA_PYTHON_TIMING;
    return env;
}

export interface StackFixture {
    programDir: string;
    /** The same program in Python (its components built by the provider plugin). */
    pythonProgramDir: string;
    samTemplate: string;
    /** One function folder per set, and each layer: the distinct builds. */
    distinct: { name: string; args: string[] }[];
}

/** Writes the stack and lists its distinct builds (one function of each set, each layer). */
export function stackFixture(dir: string, opts: { functionsPerSet?: number; sets?: number } = {}): StackFixture {
    const { programDir, pythonProgramDir, sets, samTemplate } = writeStack(dir, opts);
    const distinct: StackFixture["distinct"] = [];
    for (const set of sets) {
        const first = fs.readdirSync(path.join(programDir, "functions", set.name)).sort()[0];
        distinct.push({ name: `set ${set.name}`, args: [path.join(programDir, "functions", set.name, first), "--handler", "app.lambda_handler"] });
    }
    for (const layer of fs.readdirSync(path.join(programDir, "layers")).sort()) {
        const folder = path.join(programDir, "layers", layer);
        const req = path.join(folder, "requirements.txt");
        distinct.push({ name: `layer ${layer}`, args: fs.existsSync(req) ? [folder, "--kind", "layer", "--requirements", req] : [folder, "--kind", "layer", "--no-detect"] });
    }
    return { programDir, pythonProgramDir, samTemplate, distinct };
}

/** `lambda-python preview` of the program with this build cache. */
export function previewStack(programDir: string, cacheDir: string, downloads: string): Promise<Run> {
    return measure(process.execPath, [CLI, "preview", programDir, "--quiet"], { cwd: programDir, env: envFor(downloads, cacheDir) });
}

/** Each distinct build alone, one after another, each in its own process with an empty build cache: the summed time. */
export async function buildDistinctAlone(fixture: StackFixture, scratch: string, downloads: string, only?: (name: string) => boolean): Promise<number> {
    let total = 0;
    for (const b of fixture.distinct.filter((d) => !only || only(d.name))) {
        const cacheDir = path.join(scratch, "alone-cache");
        fs.rmSync(cacheDir, { recursive: true, force: true });
        const out = path.join(scratch, "alone.zip");
        total += (await measure(process.execPath, [CLI, "build", ...b.args, "--runtime", STACK_RUNTIME, "--out", out, "--cache-dir", cacheDir], { env: envFor(downloads, cacheDir) })).ms;
        fs.rmSync(cacheDir, { recursive: true, force: true });
    }
    return total;
}

function samBuild(template: string, downloads: string, cold: boolean): Promise<Run> {
    const project = path.dirname(template);
    if (cold) fs.rmSync(path.join(project, ".aws-sam"), { recursive: true, force: true });
    return measure(samCli(), ["build", "--parallel", "--cached", "--template-file", template, "--build-dir", path.join(project, ".aws-sam", "build")], { cwd: project, env: envFor(downloads) });
}

export async function benchStack(): Promise<string> {
    const root = path.join(WORK, "stack");
    const fixture = stackFixture(path.join(root, "fixture"));
    const scratch = path.join(root, "scratch");
    const downloads = path.join(root, "downloads");
    fs.mkdirSync(scratch, { recursive: true });
    const cacheDir = path.join(scratch, "cache");
    const emptyDownloads = () => {
        if (EMPTY_DOWNLOADS) fs.rmSync(downloads, { recursive: true, force: true });
    };
    // Untimed: the download caches filled (once: they are kept in bench/.work between runs), SAM installed.
    if (!fs.existsSync(path.join(downloads, "uv"))) {
        console.log("  filling the download caches (untimed)");
        await previewStack(fixture.programDir, cacheDir, downloads);
        await samBuild(fixture.samTemplate, downloads, true);
    }

    const r = { cold: [] as Run[], alone: [] as number[], aloneSets: [] as number[], warm: [] as Run[], edit: [] as Run[], samCold: [] as Run[], samWarm: [] as Run[] };
    const handler = path.join(fixture.programDir, "functions", "http", fs.readdirSync(path.join(fixture.programDir, "functions", "http")).sort()[0], "app.py");
    const original = fs.readFileSync(handler, "utf8");
    for (let i = 0; i < RUNS; i++) {
        // Sides in a rotating order, so neither always meets the warmer page cache or the quieter minute.
        const sides: (() => Promise<void>)[] = [
            async () => {
                emptyDownloads();
                fs.rmSync(cacheDir, { recursive: true, force: true });
                r.cold.push(await previewStack(fixture.programDir, cacheDir, downloads));
                // Warm runs follow the cold one, on its cache: no change, one handler edited, no change again.
                r.warm.push(await previewStack(fixture.programDir, cacheDir, downloads));
                fs.writeFileSync(handler, `${original}# edited in round ${i + 1}\n`);
                r.edit.push(await previewStack(fixture.programDir, cacheDir, downloads));
                r.warm.push(await previewStack(fixture.programDir, cacheDir, downloads));
            },
            async () => {
                emptyDownloads();
                r.aloneSets.push(await buildDistinctAlone(fixture, scratch, downloads, (n) => n.startsWith("set ")));
                r.alone.push(r.aloneSets[r.aloneSets.length - 1] + (await buildDistinctAlone(fixture, scratch, downloads, (n) => n.startsWith("layer "))));
            },
            async () => {
                if (i >= SAM_RUNS) return;
                emptyDownloads();
                r.samCold.push(await samBuild(fixture.samTemplate, downloads, true));
                r.samWarm.push(await samBuild(fixture.samTemplate, downloads, false));
            },
        ];
        for (let k = 0; k < sides.length; k++) await sides[(k + i) % sides.length]();
        console.log(
            `  round ${i + 1}: cold ${s(r.cold[i].ms)} (${r.cold[i].rssMB.toFixed(0)} MB), alone ${s(r.alone[i])} (sets ${s(r.aloneSets[i])}), no change ${s(r.warm[2 * i].ms)}/${s(r.warm[2 * i + 1].ms)}, one edit ${s(r.edit[i].ms)}${i < SAM_RUNS ? `; sam cold ${s(r.samCold[i].ms)}, warm ${s(r.samWarm[i].ms)}` : ""}`,
        );
    }
    fs.writeFileSync(handler, original);
    const ms = (xs: Run[]) => xs.map((x) => x.ms);
    const cold = median(ms(r.cold));
    const warm = median(ms(r.warm));
    const edit = median(ms(r.edit));
    const alone = median(r.alone);
    const aloneSets = median(r.aloneSets);
    const samCold = median(ms(r.samCold));
    const samWarm = median(ms(r.samWarm));
    const rss = Math.max(...[...r.cold, ...r.warm, ...r.edit].map((x) => x.rssMB));
    // Ratios within each round (the sides ran minutes apart at most, under the same load), then their median.
    const perRound = (f: (i: number) => number) => Array.from({ length: RUNS }, (_, i) => f(i));
    const ratio = (xs: number[]) => `${median(xs).toFixed(2)}x (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
    const coldAlone = perRound((i) => r.cold[i].ms / r.alone[i]);
    const coldSets = perRound((i) => r.cold[i].ms / r.aloneSets[i]);
    const editMore = perRound((i) => r.edit[i].ms - (r.warm[2 * i].ms + r.warm[2 * i + 1].ms) / 2);
    const samColdRatio = Array.from({ length: SAM_RUNS }, (_, i) => r.cold[i].ms / r.samCold[i].ms);
    const samWarmRatio = Array.from({ length: SAM_RUNS }, (_, i) => (r.warm[2 * i].ms + r.warm[2 * i + 1].ms) / 2 / r.samWarm[i].ms);
    const ok = (b: boolean) => (b ? "met" : "**missed**");
    const body = [
        `Stack: bench/stack-fixture.ts, 50 PythonFunctions (5 pinned dependency sets: requests; fastapi+mangum; pyjwt+cryptography; sqlalchemy+psycopg; numpy+pandas; 10 handler folders each) and 5 PythonLayers (aws-lambda-powertools, and 4 of the team's own modules), ${STACK_RUNTIME} x86_64 (python3.11: what \`sam build\` can build here). Median of ${RUNS} rounds (SAM: ${SAM_RUNS}, its cold build takes minutes), the sides in rotating order within each round. Download caches (uv's, pip's) ${EMPTY_DOWNLOADS ? "emptied before every cold run" : "filled once before the rounds and shared by every side: cold means empty build caches (ours: LAMBDA_PYTHON_CACHE_DIR; SAM: no .aws-sam), not an empty network cache"}. Machine: ${os.cpus().length} cores (a load average above 2 at the end means other work shared them), Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} at the end.`,
        "",
        "| measure | ours | baseline (same rounds) | ratio | goal |",
        "|---|---|---|---|---|",
        `| cold preview | ${s(cold)} (${range(ms(r.cold))}) | the 10 distinct builds alone (\`lambda-python build\` of one function of each set and of each layer, one after another, empty cache each): ${s(alone)} (${range(r.alone)}); the 5 sets alone: ${s(aloneSets)} (${range(r.aloneSets)}) | ${ratio(coldAlone)}; against the 5 sets alone ${ratio(coldSets)} | ≤ 1.3x: ${ok(median(coldAlone) <= 1.3)} (against the sets alone: ${ok(median(coldSets) <= 1.3)}) |`,
        `| no change | ${s(warm)} (${range(ms(r.warm))}) | | | < 2 s: ${ok(warm < 2000)} |`,
        `| one handler edited | ${s(edit)} (${range(ms(r.edit))}) | no change in the same round | ${median(editMore) >= 0 ? "+" : "−"}${s(Math.abs(median(editMore)))} (per round: ${editMore.map((x) => `${x >= 0 ? "+" : "−"}${s(Math.abs(x))}`).join(", ")}) | < 1 s more: ${ok(median(editMore) < 1000)} |`,
        `| peak RSS of the preview (CLI, program and installers, summed) | ${rss.toFixed(0)} MB (cold runs ${Math.min(...r.cold.map((x) => x.rssMB)).toFixed(0)}–${Math.max(...r.cold.map((x) => x.rssMB)).toFixed(0)} MB) | | | < 500 MB: ${ok(rss < 500)} |`,
        `| cold, against \`sam build --parallel --cached\` | ${s(cold)} | sam ${SAM_VERSION}: ${s(samCold)} (${range(ms(r.samCold))}) | ${ratio(samColdRatio)} | ≤ 0.5x: ${ok(median(samColdRatio) <= 0.5)} |`,
        `| no change, against \`sam build --parallel --cached\` | ${s(warm)} | sam: ${s(samWarm)} (${range(ms(r.samWarm))}) | ${ratio(samWarmRatio)} | ≤ 0.2x: ${ok(median(samWarmRatio) <= 0.2)} |`,
        "",
        'Ours is the whole offline preview (the program run, 50 archives built and checked, the policy pack); SAM\'s is a build folder per function and layer, not zipped. The one edit appends a comment to one handler of the requests set. Why the cold preview no longer installs and compresses each set once per function: builder/DESIGN.md, "Many functions on a few dependency sets".',
    ].join("\n");
    recordSection("stack", "A stack of 50 functions (issue 27)", "npm run build && npm run bench -- stack", body);
    return body;
}
