// Benchmark of what a newcomer waits for first (issue 12): `npm start`
// (the build check and setup, then the offline preview of the showcase with every function
// invoked), warm and cold (a fresh clone after `npm ci`, the pinned tools
// already installed), and `lambda-python preview` of the showcase warm. The
// baseline, measured in the same rounds: the floor, a Node process that only
// loads @pulumi/aws and the compiled components. Also the numpy-arm64
// example's invoke duration in each `npm start` (its cold start under qemu is
// the longest invocation).
//
//   npm run bench -- start          (BENCH_RUNS rounds, default 5; BENCH_COLD_RUNS fresh clones, default 2)
//
// BENCH_START_BASELINE=<folder>: another checkout (e.g. a clone at an older
// commit, after `npm ci`) whose warm `npm start` runs in the same rounds, for
// a before/after measured under the same load.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { QEMU_VERSION } from "../target-python/qemu";
import { recordSection } from "./record";

const ROOT = path.join(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 2);
const NPM = process.env.npm_execpath;
const BASELINE = process.env.BENCH_START_BASELINE;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (msValue: number) => `${(msValue / 1000).toFixed(2)} s`;

/** Wall time of one command in `cwd`; throws with its output when it fails. */
function wall(cwd: string, command: string, args: string[], check?: (stdout: string) => boolean, onStdout?: (stdout: string) => void): number {
    const t = process.hrtime.bigint();
    const r = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
    const elapsed = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0 || (check && !check(r.stdout))) throw new Error(`${command} ${args.join(" ")} in ${cwd} failed (${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
    onStdout?.(r.stdout);
    return elapsed;
}

const npm = (cwd: string, args: string[], check?: (stdout: string) => boolean, onStdout?: (stdout: string) => void) => (NPM ? wall(cwd, process.execPath, [NPM, ...args], check, onStdout) : wall(cwd, "npm", args, check, onStdout));
const everyFunctionInvoked = (stdout: string) => /6 functions invoked; 0 failed\./.test(stdout);
/** The numpy-arm64 example's duration (ms) in the invocations table `npm start` prints. */
const numpyDuration = (into: number[]) => (stdout: string) => {
    const m = /^numpy-stats\s+ok\s+(\d+) ms/m.exec(stdout);
    if (!m) throw new Error(`no numpy-stats row in the invocations table:\n${stdout.slice(-1500)}`);
    into.push(Number(m[1]));
};
const floor = (cwd: string) => wall(cwd, process.execPath, ["-e", 'require("@pulumi/aws"); require("./dist/components")']);
const preview = (cwd: string, program = ".") => wall(cwd, process.execPath, ["dist/cli/main.js", "preview", program, "--quiet"]);
const PYTHON_EXAMPLE = path.join("examples", "python-program");

/** A checkout as "commit abc1234" (or its folder name when git cannot say). */
function describe(dir: string): string {
    const r = spawnSync("git", ["log", "-1", "--format=%h", "HEAD"], { cwd: dir, encoding: "utf8" });
    return r.status === 0 ? `commit ${r.stdout.trim()}` : path.basename(dir);
}

export async function benchStart(): Promise<string> {
    // Warm: dist up to date, archives and extractions cached, compile cache filled.
    npm(ROOT, ["start"], everyFunctionInvoked);
    if (BASELINE) npm(BASELINE, ["start"], everyFunctionInvoked);
    const rounds = { floor: [] as number[], preview: [] as number[], python: [] as number[], start: [] as number[], numpy: [] as number[] };
    const baseline = { start: [] as number[], numpy: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
        rounds.floor.push(floor(ROOT));
        rounds.preview.push(preview(ROOT));
        rounds.python.push(preview(ROOT, PYTHON_EXAMPLE));
        rounds.start.push(npm(ROOT, ["start"], everyFunctionInvoked, numpyDuration(rounds.numpy)));
        if (BASELINE) baseline.start.push(npm(BASELINE, ["start"], everyFunctionInvoked, numpyDuration(baseline.numpy)));
    }
    // Cold: a fresh clone of HEAD, `npm ci` (whose prepare compiles it), then the first `npm start`.
    const cold = { floor: [] as number[], start: [] as number[], numpy: [] as number[] };
    for (let i = 0; i < COLD_RUNS; i++) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-python-start-"));
        try {
            wall(os.tmpdir(), "git", ["clone", "--quiet", ROOT, dir]);
            npm(dir, ["ci", "--prefer-offline", "--no-audit", "--no-fund"]);
            cold.start.push(npm(dir, ["start"], everyFunctionInvoked, numpyDuration(cold.numpy)));
            cold.floor.push(floor(dir));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
    const f = median(rounds.floor);
    const body = [
        `${os.availableParallelism()} cores (shared with other work: compare within a row), Node ${process.version}; medians of ${RUNS} warm rounds and ${COLD_RUNS} fresh clones.`,
        "",
        "| what | median wall | × floor | goal |",
        "|---|---|---|---|",
        `| floor: \`node -e 'require("@pulumi/aws"); require("./dist/components")'\` | ${s(f)} | 1.0 | |`,
        `| \`lambda-python preview .\` (showcase, warm) | ${s(median(rounds.preview))} | ${(median(rounds.preview) / f).toFixed(1)} | < 1.5 s |`,
        `| \`lambda-python preview examples/python-program\` (a Python program on the generated SDK, warm) | ${s(median(rounds.python))} | ${(median(rounds.python) / f).toFixed(1)} | |`,
        `| \`npm start\` warm (build check + setup + preview + 6 invokes, and the Python example beside them) | ${s(median(rounds.start))} | ${(median(rounds.start) / f).toFixed(1)} | < 3 s |`,
        `| \`npm start\` cold (fresh clone after \`npm ci\`; floor there ${s(median(cold.floor))}) | ${s(median(cold.start))} | ${(median(cold.start) / median(cold.floor)).toFixed(1)} | < 8 s |`,
        `| numpy-arm64's invoke in \`npm start\` (cold start under qemu ${QEMU_VERSION}), warm / cold | ${s(median(rounds.numpy))} / ${s(median(cold.numpy))} | | |`,
        ...(BASELINE
            ? [
                  `| baseline \`npm start\` warm, same rounds (${describe(BASELINE)}) | ${s(median(baseline.start))} | ${(median(baseline.start) / f).toFixed(1)} | |`,
                  `| baseline numpy-arm64's invoke in \`npm start\` | ${s(median(baseline.numpy))} | | |`,
              ]
            : []),
        "",
        `Rounds (ms): floor ${rounds.floor.map(Math.round).join(", ")}; preview ${rounds.preview.map(Math.round).join(", ")}; npm start ${rounds.start.map(Math.round).join(", ")}; cold npm start ${cold.start.map(Math.round).join(", ")}; numpy-arm64 invoke ${rounds.numpy.join(", ")}, cold ${cold.numpy.join(", ")}${BASELINE ? `; baseline npm start ${baseline.start.map(Math.round).join(", ")}, its numpy-arm64 invoke ${baseline.numpy.join(", ")}` : ""}.`,
    ].join("\n");
    const command = BASELINE ? `BENCH_RUNS=${RUNS} BENCH_START_BASELINE=<a clone at ${describe(BASELINE)}, after npm ci> npm run bench -- start` : "npm run bench -- start";
    recordSection("start", "npm start and preview of the showcase", command, body);
    return body;
}
