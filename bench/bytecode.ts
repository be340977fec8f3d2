// Benchmark of bytecode for the target (issue 28): the cold start of a
// function built with and without `bytecode: true`, run as Lambda runs it —
// the runner's `precompile: false`, so that nothing compiles the function's
// modules ahead (Lambda's /var/task is read-only: without bytecode in the
// archive, every cold start compiles them in memory). Three dependency sets,
// python3.13, x86_64 on this machine's CPython and arm64 under qemu; rounds
// interleaved (without, with, without, with …) on the same machine.
//
//   npm run bench -- bytecode          (BENCH_RUNS rounds, default 5; BYTECODE_ARCHES=x86_64,arm64)
//
// The handler module measures its own imports (time.perf_counter around
// them): the part of the init the bytecode can change. The invoke's wall time
// (start of the emulator's invoke to the response: the runtime's start, the
// imports, the handler) is beside it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildArchive } from "../builder";
import { startFunction } from "../runner";
import { Architecture } from "../policies/target";
import { WORK } from "./corpus";
import { recordSection } from "./record";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const RUNTIME = "python3.13";
const ARCHES = (process.env.BYTECODE_ARCHES ?? "x86_64,arm64").split(",") as Architecture[];
const SETS: { name: string; requirements: string[]; imports: string }[] = [
    { name: "requests + pydantic", requirements: ["requests==2.32.5", "pydantic==2.12.5"], imports: "requests, pydantic" },
    { name: "fastapi + mangum", requirements: ["fastapi==0.121.0", "mangum==0.19.0"], imports: "fastapi, mangum" },
    { name: "numpy + pandas", requirements: ["numpy==2.3.5", "pandas==2.3.3"], imports: "numpy, pandas" },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(0)} ms`);

function sourceFolder(set: (typeof SETS)[number]): string {
    const dir = path.join(WORK, "bytecode", set.name.replace(/\W+/g, "-"));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "requirements.txt"), `${set.requirements.join("\n")}\n`);
    fs.writeFileSync(
        path.join(dir, "lambda_function.py"),
        `import time\n_t0 = time.perf_counter()\nimport ${set.imports}\nIMPORT_MS = (time.perf_counter() - _t0) * 1000\n\n\ndef lambda_handler(event, context):\n    return {"importMs": IMPORT_MS}\n`,
    );
    return dir;
}

async function coldStart(zip: string, architecture: Architecture): Promise<{ importMs: number; invokeMs: number }> {
    const fn = await startFunction({ code: zip, handler: "lambda_function.lambda_handler", runtime: RUNTIME, architecture, timeoutSeconds: 60, memoryMB: 1024 }, { precompile: false });
    try {
        const r = await fn.invoke({});
        if (!r.ok) throw new Error(`${zip} failed: ${r.payload}\n${r.logs}`);
        return { importMs: JSON.parse(r.payload).importMs, invokeMs: r.durationMs };
    } finally {
        await fn.close();
    }
}

export async function benchBytecode(): Promise<string> {
    const loadBefore = os.loadavg()[0];
    const rows: string[] = [];
    const raw: string[] = [];
    for (const set of SETS) {
        const source = sourceFolder(set);
        for (const architecture of ARCHES) {
            const plain = await buildArchive({ source, runtime: RUNTIME, architecture });
            const compiled = await buildArchive({ source, runtime: RUNTIME, architecture, bytecode: true });
            await coldStart(plain.path, architecture); // the runtime's root and the extractions, once, outside the timing
            await coldStart(compiled.path, architecture);
            const without: { importMs: number; invokeMs: number }[] = [];
            const withPyc: { importMs: number; invokeMs: number }[] = [];
            for (let i = 0; i < RUNS; i++) {
                without.push(await coldStart(plain.path, architecture));
                withPyc.push(await coldStart(compiled.path, architecture));
            }
            const a = median(without.map((r) => r.importMs));
            const b = median(withPyc.map((r) => r.importMs));
            const ai = median(without.map((r) => r.invokeMs));
            const bi = median(withPyc.map((r) => r.invokeMs));
            const where = architecture === "x86_64" ? "x86_64 (native)" : "arm64 (qemu)";
            rows.push(
                `| ${set.name} | ${where} | ${ms(a)} → ${ms(b)} (${((1 - b / a) * 100).toFixed(0)}% less) | ${ms(ai)} → ${ms(bi)} | ${(plain.unzippedBytes / 1048576).toFixed(1)} → ${(compiled.unzippedBytes / 1048576).toFixed(1)} MB unzipped, ${(plain.zippedBytes / 1048576).toFixed(1)} → ${(compiled.zippedBytes / 1048576).toFixed(1)} MB zipped |`,
            );
            raw.push(`${set.name}, ${where}: imports without ${without.map((r) => ms(r.importMs)).join(", ")}; with ${withPyc.map((r) => ms(r.importMs)).join(", ")}.`);
        }
    }
    const body = [
        `Cold starts as Lambda runs them (runner \`precompile: false\`: the function's modules are compiled at each cold start unless the archive carries their bytecode), ${RUNTIME} (Debian's CPython), memory 1024 MB, ${RUNS} interleaved rounds, medians. Machine: ${os.cpus().length} cores, load average ${loadBefore.toFixed(1)} at the start and ${os.loadavg()[0].toFixed(1)} at the end (above 2, other work shared the cores: then the interleaved ratios are the figures to keep).`,
        "",
        "| dependencies | architecture | imports in the init: without → with bytecode | whole invoke (runtime start, imports, handler) | size |",
        "|---|---|---|---|---|",
        ...rows,
        "",
        `Rounds: ${raw.join(" ")}`,
    ].join("\n");
    recordSection("bytecode", "Bytecode for the target (issue 28)", "npm run bench -- bytecode", body);
    return body;
}
