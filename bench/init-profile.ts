// What --profile-init costs (issue 28): the same pandas handler's cold start,
// without and with CPython's -X importtime, interleaved round by round (a
// shared machine's load moves both alike), from the emulator's init duration
// (Lambda's "Init Duration"). Also how much the profile's shares move from run
// to run, against its milliseconds.
//
//   npm run bench -- init-profile
import * as fs from "fs";
import * as path from "path";
import { buildArchive } from "../builder";
import { InitProfile, startFunction } from "../runner";
import { WORK } from "./corpus";
import { recordSection } from "./record";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const RUNTIME = "python3.13";
const HANDLER = "import pandas as pd\n\n\ndef lambda_handler(event, context):\n    return {'rows': len(pd.DataFrame(event.get('rows', [{'a': 1}])))}\n";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs: number[], f: (n: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
const ms = (n: number) => `${Math.round(n)} ms`;
const pct = (n: number) => `${(n * 100).toFixed(0)}%`;

async function coldStart(code: string, profileInit: boolean): Promise<{ initMs: number; profile?: InitProfile }> {
    const fn = await startFunction({ code, handler: "lambda_function.lambda_handler", runtime: RUNTIME, architecture: "x86_64" }, { profileInit });
    try {
        const r = await fn.invoke({});
        if (!r.ok || r.initDurationMs === undefined) throw new Error(`the cold start failed: ${r.payload}\n${r.logs}`);
        return { initMs: r.initDurationMs, profile: r.initProfile };
    } finally {
        await fn.close();
    }
}

export async function benchInitProfile(): Promise<string> {
    const src = path.join(WORK, "init-profile-pandas");
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, "requirements.txt"), "pandas==2.3.3\n");
    fs.writeFileSync(path.join(src, "lambda_function.py"), HANDLER);
    const built = await buildArchive({ source: src, kind: "function", runtime: RUNTIME, architecture: "x86_64" });
    await coldStart(built.path, false); // tools, extraction: once, outside the timing
    const plain: number[] = [];
    const profiled: number[] = [];
    const shares: { api: number[]; numpy: number[] } = { api: [], numpy: [] };
    for (let i = 0; i < RUNS; i++) {
        // Alternating which goes first, so that neither always follows the other.
        for (const profile of i % 2 ? [true, false] : [false, true]) {
            const r = await coldStart(built.path, profile);
            (profile ? profiled : plain).push(r.initMs);
            const by = (m: string) => r.profile?.slowestByCumulative.find((s) => s.module === m)?.cumulativeShare;
            if (r.profile) {
                shares.api.push(by("pandas.core.api") ?? 0);
                shares.numpy.push(by("numpy") ?? 0);
            }
        }
    }
    const body = [
        `A pandas 2.3.3 handler (\`import pandas as pd\`) built for ${RUNTIME} x86_64, ${RUNS} cold starts each way through the runner (\`startFunction\`, one invoke, \`close\`), interleaved round by round, alternating which goes first; the init duration is the emulator's (Lambda's Init Duration: the runtime's start and the imports). The machine is a shared 2-core one, loaded by other work while this ran: read the ratio, not the milliseconds.`,
        "",
        "| | median init | range | of without |",
        "|---|---:|---:|---:|",
        `| without --profile-init | ${ms(median(plain))} | ${range(plain, ms)} | 100% |`,
        `| with --profile-init (-X importtime) | ${ms(median(profiled))} | ${range(profiled, ms)} | ${((median(profiled) / median(plain)) * 100).toFixed(0)}% |`,
        "",
        `Across the profiled runs: the init ${range(profiled, ms)}; the share of it of \`pandas.core.api\` ${range(shares.api, pct)}, of \`numpy\` ${range(shares.numpy, pct)}.`,
        "",
        `Raw init (ms): without ${plain.map(Math.round).join(", ")}; with ${profiled.map(Math.round).join(", ")}.`,
    ].join("\n");
    recordSection("init-profile", "What --profile-init costs a cold start (issue 28)", "npm run bench -- init-profile", body);
    return body;
}
