// Benchmark of the policy pack (issue 4): every policy on a stack with a
// 50 MB / 5,000-entry function zip and two layers of 100 MB unzipped each.
//
//   npm run bench -- policies
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { WORK } from "./corpus";
import { recordSection } from "./record";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** The stack's archives, made with Python's zipfile: realistic names, ELF headers, WHEEL files. */
function makeArchives(): [string, string, string] {
    const dir = path.join(WORK, "policy-stack");
    const files: [string, string, string] = [path.join(dir, "function.zip"), path.join(dir, "layer-a.zip"), path.join(dir, "layer-b.zip")];
    if (files.every((f) => fs.existsSync(f))) return files;
    fs.mkdirSync(dir, { recursive: true });
    const script = `
import os, random, sys, zipfile
fn, la, lb = sys.argv[1:4]
rnd = random.Random(42)
elf = b"\\x7fELF\\x02\\x01\\x01" + bytes(9) + (3).to_bytes(2, "little") + (62).to_bytes(2, "little") + bytes(44)
def put(z, name, data, mode=0o644):
    info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = z.compression
    z.writestr(info, data)
with zipfile.ZipFile(fn, "w", zipfile.ZIP_STORED) as z:
    put(z, "lambda_function.py", "def lambda_handler(event, context):\\n    return 1\\n")
    for i in range(4960):
        put(z, f"pkg{i % 40}/mod{i}.py", rnd.randbytes(10480))
    for i in range(20):
        put(z, f"native{i}/_ext.cpython-312-x86_64-linux-gnu.so", elf + rnd.randbytes(8000), 0o755)
    for i in range(19):
        put(z, f"dist{i}-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nTag: cp312-cp312-manylinux_2_17_x86_64\\n")
for path in (la, lb):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for i in range(1000):
            put(z, f"python/big{i // 100}/data{i}.txt", (f"row {i} " * 20000)[:104858])
`;
    execFileSync("python3", ["-c", script, ...files]);
    return files;
}

export async function benchPolicies(): Promise<string> {
    const files = makeArchives();
    const count = (f: string) => Number(execFileSync("python3", ["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(len(z.infolist()), sum(i.file_size for i in z.infolist()))", f], { encoding: "utf8" }).trim().split(" ")[0]);
    const unzipped = (f: string) => Number(execFileSync("python3", ["-c", "import sys, zipfile; print(sum(i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist()))", f], { encoding: "utf8" }).trim());
    const runs: { ms: number; warmMs: number; peakAboveBaseline: number; diagnostics: string[] }[] = [];
    for (let i = 0; i < RUNS; i++) {
        const r = spawnSync(process.execPath, ["--expose-gc", "-r", "ts-node/register/transpile-only", path.join(__dirname, "policy-eval.ts"), ...files], { encoding: "utf8", cwd: path.join(__dirname, "..") });
        if (r.status !== 0) throw new Error(`policy evaluation failed: ${r.stderr}`);
        runs.push(JSON.parse(r.stdout.trim().split("\n").pop()!));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const ms = median(runs.map((r) => r.ms));
    const warm = median(runs.map((r) => r.warmMs));
    const peak = median(runs.map((r) => r.peakAboveBaseline)) / 1048576;
    const mb = (f: string) => `${(fs.statSync(f).size / 1048576).toFixed(1)} MB zipped`;
    const rows = [
        `Stack: function ${mb(files[0])}, ${count(files[0]).toLocaleString("en-US")} entries; layers ${(unzipped(files[1]) / 1048576).toFixed(1)} MB and ${(unzipped(files[2]) / 1048576).toFixed(1)} MB unzipped (${mb(files[1])} each). ` +
            `All 11 policies through the analyzer entry points (every resource, then the stack), in a fresh process each run (${RUNS} runs, median). ` +
            `Machine: ${os.cpus().length} cores, Node ${process.version}.`,
        "",
        "| measurement | result | target | |",
        "|---|---|---|---|",
        `| all policies, cold (nothing inspected yet) | ${ms.toFixed(0)} ms | < 150 ms | ${ms < 150 ? "pass" : "**FAIL**"} |`,
        `| all policies again, same process (inspection cached) | ${warm.toFixed(0)} ms | (reference) | |`,
        `| peak memory above the process baseline (VmHWM, reset after imports) | ${peak.toFixed(0)} MB | < 100 MB | ${peak < 100 ? "pass" : "**FAIL**"} |`,
        "",
        `Raw (ms): ${runs.map((r) => r.ms.toFixed(0)).join(", ")}. Findings: ${[...new Set(runs[0].diagnostics)].join(", ") || "none"}.`,
    ].join("\n");
    recordSection("policies", "Policy pack (issue 4)", "npm run bench -- policies", rows);
    return rows;
}
