// The 50-function stack of bench/stack-fixture.ts as a Python program
// (issue 27, and Python programs' previews): `lambda-python preview` of the
// Python program, whose components the provider plugin builds (in its own
// process, over the engine's gRPC protocol), beside the same stack in
// TypeScript (built in the program's process), cold (empty build cache) and
// with no change, in the same rounds, in rotating order.
//
//   npm run build && npm run bench -- stack-python      (BENCH_RUNS rounds, default 3)
//
// The download caches are the stack bench's (bench/.work/stack/downloads),
// filled once, untimed, with the Pulumi Python SDK's virtualenv the preview
// makes on its first Python program.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { WORK } from "./corpus";
import { recordSection } from "./record";
import { median, previewStack, range, Run, s, stackFixture } from "./stack";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

export async function benchStackPython(): Promise<string> {
    const root = path.join(WORK, "stack");
    const fixture = stackFixture(path.join(root, "fixture"));
    const downloads = path.join(root, "downloads");
    const scratch = path.join(root, "scratch-python");
    fs.mkdirSync(scratch, { recursive: true });
    const caches = { ts: path.join(scratch, "cache-ts"), py: path.join(scratch, "cache-py") };
    // Untimed: the download caches and the preview's Pulumi Python SDK virtualenv.
    console.log("  filling the download caches and the Python SDK's virtualenv (untimed)");
    await previewStack(fixture.pythonProgramDir, caches.py, downloads);

    const r = { tsCold: [] as Run[], tsWarm: [] as Run[], pyCold: [] as Run[], pyWarm: [] as Run[] };
    for (let i = 0; i < RUNS; i++) {
        // One side: a cold preview on an emptied build cache, then one with no change.
        const side = (programDir: string, cache: string, cold: Run[], warm: Run[]) => async () => {
            fs.rmSync(cache, { recursive: true, force: true });
            cold.push(await previewStack(programDir, cache, downloads));
            warm.push(await previewStack(programDir, cache, downloads));
        };
        const sides = [side(fixture.programDir, caches.ts, r.tsCold, r.tsWarm), side(fixture.pythonProgramDir, caches.py, r.pyCold, r.pyWarm)];
        for (let k = 0; k < sides.length; k++) await sides[(k + i) % sides.length]();
        console.log(`  round ${i + 1}: TypeScript cold ${s(r.tsCold[i].ms)}, no change ${s(r.tsWarm[i].ms)}; Python cold ${s(r.pyCold[i].ms)}, no change ${s(r.pyWarm[i].ms)}`);
    }
    const ms = (xs: Run[]) => xs.map((x) => x.ms);
    const ratio = (py: Run[], ts: Run[]) => {
        const per = py.map((x, i) => x.ms / ts[i].ms);
        return `${median(per).toFixed(2)}x (${Math.min(...per).toFixed(2)}–${Math.max(...per).toFixed(2)})`;
    };
    const peakMB = (xs: Run[]) => Math.max(...xs.map((x) => x.rssMB));
    const peak = (xs: Run[]) => `${peakMB(xs).toFixed(0)} MB`;
    const ok = (b: boolean) => (b ? "met" : "**missed**");
    const body = [
        `The stack of the section above (50 PythonFunctions over 5 dependency sets, 5 PythonLayers, ${"python3.11"} x86_64) written as a Python program (bench/stack-fixture.ts \`program-python/\`: the SDK Pulumi's generator made, examples/python-program/sdks), previewed with \`lambda-python preview --quiet\`, beside the TypeScript program in the same rounds. Median of ${RUNS} rounds, the sides in rotating order; download caches filled once and shared. Machine: ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} at the end.`,
        "",
        "| preview | TypeScript program | Python program | Python / TypeScript (per round) | goal (the stack's) |",
        "|---|---|---|---|---|",
        `| cold | ${s(median(ms(r.tsCold)))} (${range(ms(r.tsCold))}) | ${s(median(ms(r.pyCold)))} (${range(ms(r.pyCold))}) | ${ratio(r.pyCold, r.tsCold)} | |`,
        `| no change | ${s(median(ms(r.tsWarm)))} (${range(ms(r.tsWarm))}) | ${s(median(ms(r.pyWarm)))} (${range(ms(r.pyWarm))}) | ${ratio(r.pyWarm, r.tsWarm)} | < 2 s: TypeScript ${ok(median(ms(r.tsWarm)) < 2000)}, Python ${ok(median(ms(r.pyWarm)) < 2000)} |`,
        `| peak RSS (CLI, program, plugin, summed) | ${peak([...r.tsCold, ...r.tsWarm])} | ${peak([...r.pyCold, ...r.pyWarm])} | | < 500 MB: TypeScript ${ok(peakMB([...r.tsCold, ...r.tsWarm]) < 500)}, Python ${ok(peakMB([...r.pyCold, ...r.pyWarm]) < 500)} |`,
        "",
        'A Python program\'s components are constructed by the provider plugin, a Node.js process of their own that registers each component\'s children with the engine over gRPC (preview/DESIGN.md, "Python programs"); the TypeScript program builds them in its own process. Where the Python program\'s time goes: preview/DESIGN.md, "Where its time goes".',
    ].join("\n");
    recordSection("stack-python", "The stack of 50 functions as a Python program (issue 27)", "npm run build && npm run bench -- stack-python", body);
    return body;
}
