// A build cache shared by many machines (issue 27): `lambda-python preview`
// of the stack of bench/stack-fixture.ts (50 functions over 5 dependency sets,
// 5 shared layers) on a second machine whose caches are all empty, with and
// without the remote cache that a first machine filled, in the same rounds.
//
//   npm run build && npm run bench -- remote-cache      (BENCH_RUNS rounds, default 3)
//   BENCH_REMOTE_SETS=2 BENCH_REMOTE_FUNCTIONS=3 …       (a smaller stack, for a quick look)
//
// The remote is moto's S3 server on this machine (test/s3-server.ts): no
// network between the machines, so the figures are the cache's own work
// (download, checks, unpacking) rather than a link's. A "machine" is a build
// cache (LAMBDA_PYTHON_CACHE_DIR) and uv's download cache (UV_CACHE_DIR), both
// new and empty for every run of either side: a fresh CI runner. The first
// machine's run (the one that fills the bucket) is measured too, beside a
// cold run without the remote in the same round. After each run with the
// remote, the same machine previews again with its archives removed and its
// installs (with their packs) kept: what no remote cache, however fast, can
// do better than on this machine.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startS3Server } from "../test/s3-server";
import { WORK } from "./corpus";
import { recordSection } from "./record";
import { writeStack } from "./stack-fixture";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SETS = Number(process.env.BENCH_REMOTE_SETS ?? 5);
const PER_SET = Number(process.env.BENCH_REMOTE_FUNCTIONS ?? 10);
const CLI = path.join(__dirname, "..", "dist", "cli", "main.js");
const BUCKET = "build-cache";

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

/**
 * One preview on a new "machine": empty build and download caches. The last run's files are removed and the
 * disk settled (`sync`) first, so that no run pays for writing back the one before it.
 */
function preview(programDir: string, machine: string, env: NodeJS.ProcessEnv, fresh = true): { ms: number; stderr: string } {
    if (fresh) fs.rmSync(machine, { recursive: true, force: true });
    spawnSync("sync");
    const runEnv = { ...process.env, ...env, LAMBDA_PYTHON_CACHE_DIR: path.join(machine, "build-cache"), UV_CACHE_DIR: path.join(machine, "uv-cache"), PIP_CACHE_DIR: path.join(machine, "pip-cache") };
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [CLI, "preview", programDir, "--quiet"], { env: runEnv, encoding: "utf8", maxBuffer: 64 << 20 });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`preview failed (${r.status}):\n${r.stderr.slice(-4000)}`);
    return { ms, stderr: r.stderr };
}

export async function benchRemoteCache(): Promise<string> {
    const dir = path.join(WORK, "remote-cache");
    const { programDir } = writeStack(path.join(dir, "stack"), { sets: SETS, functionsPerSet: PER_SET });
    const load = os.loadavg()[0];
    const server = await startS3Server();
    try {
        await server.createBucket(BUCKET);
        const remote = { ...server.env, LAMBDA_PYTHON_REMOTE_CACHE: `s3://${BUCKET}/ci` };
        const machines = path.join(dir, "machines");
        // The first machine: a cold run that fills the bucket, beside a cold run without the remote.
        const plainFirst = preview(programDir, path.join(machines, "first-plain"), {});
        const first = preview(programDir, path.join(machines, "first"), remote);
        if (/warning/.test(first.stderr)) throw new Error(`the first machine's run warned:\n${first.stderr}`);
        const objects = await server.list(BUCKET, "ci/");
        const blobBytes = objects.filter((o) => o.key.startsWith("ci/blobs/")).reduce((n, o) => n + o.size, 0);
        const plain: number[] = [];
        const shared: number[] = [];
        const floor: number[] = [];
        for (let round = 0; round < RUNS; round++) {
            const order = round % 2 === 0 ? ["plain", "shared"] : ["shared", "plain"];
            for (const side of order) {
                const machine = path.join(machines, `second-${side}`);
                const run = preview(programDir, machine, side === "shared" ? remote : {});
                if (side === "shared" && /warning/.test(run.stderr)) throw new Error(`the second machine's run warned:\n${run.stderr}`);
                (side === "plain" ? plain : shared).push(run.ms);
                process.stderr.write(`remote-cache: round ${round + 1} ${side} ${(run.ms / 1000).toFixed(1)} s\n`);
                if (side === "shared") {
                    // The floor: every install already unpacked here, its pack beside it, as an instant remote would leave it.
                    for (const sub of ["archives", "slots", "tmp"]) fs.rmSync(path.join(machine, "build-cache", sub), { recursive: true, force: true });
                    // LAMBDA_PYTHON_TIMING names each request to the remote: none may be for an install.
                    const again = preview(programDir, machine, { ...remote, LAMBDA_PYTHON_TIMING: "1" }, false);
                    if (/remote: record of install/.test(again.stderr)) throw new Error(`the floor's run did not find its installs:\n${again.stderr.slice(-4000)}`);
                    floor.push(again.ms);
                    process.stderr.write(`remote-cache: round ${round + 1} installs already here ${(again.ms / 1000).toFixed(1)} s\n`);
                }
            }
        }
        fs.rmSync(machines, { recursive: true, force: true });
        const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
        const ratio = median(shared) / median(plain);
        const floorRatio = median(floor) / median(plain);
        const functions = SETS * PER_SET;
        const body = [
            `The stack of bench/stack-fixture.ts (${functions} functions over ${SETS} dependency sets, each function folder with its requirements.txt, and the shared layers; python3.11 x86_64), previewed with \`lambda-python preview --quiet\`. Every run is a new machine: empty build cache and empty uv/pip download caches (packages come from PyPI), the disk settled (\`sync\`) before it. The remote cache is moto's S3 server on this machine, filled once by a first machine (${objects.length} objects, ${(blobBytes / 1048576).toFixed(1)} MB of blobs). ${RUNS} rounds, the sides alternating; 2 cores, load average ${load.toFixed(1)} at the start (above 2: other work shared them).`,
            "",
            "| run | median | runs |",
            "|---|---|---|",
            `| second machine, no remote cache | ${s(median(plain))} | ${plain.map(s).join(", ")} |`,
            `| second machine, **remote cache** | **${s(median(shared))}** | ${shared.map(s).join(", ")} |`,
            `| second machine, its installs already there, archives not (the floor) | ${s(median(floor))} | ${floor.map(s).join(", ")} |`,
            `| first machine, no remote cache (once) | ${s(plainFirst.ms)} | |`,
            `| first machine, filling the remote cache (once) | ${s(first.ms)} | |`,
            "",
            `Ratio of medians: **${ratio.toFixed(2)}x** the cold time without the remote (goal: at most 0.3x): ${ratio <= 0.3 ? "met" : "missed"}. The floor, a preview that finds every install already unpacked (what a remote that answered instantly would leave), is ${floorRatio.toFixed(2)}x: what is left there is the program, the plans and writing the ${functions} archives, which both sides do.`,
        ].join("\n");
        recordSection("remote-cache", "A build cache shared by many machines (issue 27)", "npm run build && npm run bench -- remote-cache", body);
        return body;
    } finally {
        server.stop();
    }
}
