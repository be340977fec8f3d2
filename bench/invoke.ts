// Benchmark of running functions locally (issue 8): `lambda-python invoke`
// of the hello example from the command to the response (x86_64, and arm64
// under qemu), and `lambda-python serve` warm requests, beside a direct
// `python3 -c` call of the same handler as the baseline.
//
//   npm run bench -- invoke
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { startFunction } from "../runner";
import { WORK } from "./corpus";
import { recordSection } from "./record";

const ROOT = path.join(__dirname, "..");
const CLI = path.join(ROOT, "dist", "cli", "main.js");
const APP = path.join(ROOT, "examples", "hello-url", "app");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const REQUESTS = 200;
const HANDLER = "lambda_function.lambda_handler";
const RUNTIME = "python3.14";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : n >= 10 ? `${n.toFixed(0)} ms` : n >= 0.01 ? `${n.toFixed(2)} ms` : `${(n * 1000).toFixed(1)} µs`);

function wall(command: string, args: string[]): number {
    const t = process.hrtime.bigint();
    const r = spawnSync(command, args, { encoding: "utf8", cwd: ROOT });
    const elapsed = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
    return elapsed;
}

/** The handler alone, in the host's python3: a whole `python3 -c` process, and the call itself. */
function baseline(): { processMs: number[]; handlerMs: number } {
    const call = `import sys; sys.path.insert(0, ${JSON.stringify(APP)}); import lambda_function; print(lambda_function.lambda_handler({}, None)["statusCode"])`;
    const processMs = Array.from({ length: RUNS }, () => wall("python3", ["-c", call]));
    const timing = `import sys, time, statistics; sys.path.insert(0, ${JSON.stringify(APP)}); import lambda_function
xs = []
for _ in range(${REQUESTS}):
    t = time.perf_counter(); lambda_function.lambda_handler({}, None); xs.append(time.perf_counter() - t)
print(statistics.median(xs) * 1000)`;
    const handlerMs = Number(execFileSync("python3", ["-c", timing], { encoding: "utf8" }).trim());
    return { processMs, handlerMs };
}

function invokeRuns(zip: string, arch: string): number[] {
    const args = [CLI, "invoke", zip, "--handler", HANDLER, "--runtime", RUNTIME, "--arch", arch, "--event", path.join(ROOT, "examples", "hello-url", "events", "hello-url.json")];
    wall(process.execPath, args); // tools and the runtime's root are set up once, outside the timing
    return Array.from({ length: RUNS }, () => wall(process.execPath, args));
}

function get(agent: http.Agent, url: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const t = process.hrtime.bigint();
        http.get(url, { agent }, (res) => {
            res.resume();
            res.on("end", () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t) / 1e6) : reject(new Error(`status ${res.statusCode}`))));
        }).on("error", reject);
    });
}

async function serveRuns(zip: string): Promise<number[]> {
    const child = spawn(process.execPath, [CLI, "serve", zip, "--handler", HANDLER, "--runtime", RUNTIME, "--port", "0", "--quiet"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
            out += d;
            const m = /(http:\/\/\S+)/.exec(out);
            if (m) resolve(m[1]);
        });
        child.on("exit", (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
    });
    try {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        for (let i = 0; i < 20; i++) await get(agent, url); // warm: runtime initialised, sockets open
        const times: number[] = [];
        for (let i = 0; i < REQUESTS; i++) times.push(await get(agent, url));
        agent.destroy();
        return times;
    } finally {
        child.kill("SIGTERM");
        await new Promise((resolve) => child.on("exit", resolve));
    }
}

/** The same requests' events straight to a warm function, in process: the runner's share of serve's time. */
async function directRuns(zip: string): Promise<number[]> {
    const fn = await startFunction({ code: zip, handler: HANDLER, runtime: RUNTIME, architecture: "x86_64" });
    try {
        const event = JSON.parse(fs.readFileSync(path.join(ROOT, "examples", "hello-url", "events", "hello-url.json"), "utf8"));
        for (let i = 0; i < 20; i++) await fn.invoke(event);
        const times: number[] = [];
        for (let i = 0; i < REQUESTS; i++) {
            const t = process.hrtime.bigint();
            const r = await fn.invoke(event);
            times.push(Number(process.hrtime.bigint() - t) / 1e6);
            if (!r.ok) throw new Error(`the hello function failed: ${r.payload}`);
        }
        return times;
    } finally {
        await fn.close();
    }
}

export async function benchInvoke(): Promise<string> {
    if (!fs.existsSync(CLI)) throw new Error("run `npm run build` first: the benchmark times the compiled CLI");
    fs.mkdirSync(WORK, { recursive: true });
    const zip = path.join(WORK, "hello-url.zip");
    execFileSync(process.execPath, [CLI, "build", APP, "--runtime", RUNTIME, "--handler", HANDLER, "--out", zip, "--quiet"]);

    const base = baseline();
    const x86 = invokeRuns(zip, "x86_64");
    const arm = invokeRuns(zip, "arm64");
    const served = await serveRuns(zip);
    const direct = await directRuns(zip);

    const pythonMs = median(base.processMs);
    const x86Ms = median(x86);
    const armMs = median(arm);
    const p50 = percentile(served, 0.5);
    const p90 = percentile(served, 0.9);
    const added = p50 - base.handlerMs;
    const directP50 = percentile(direct, 0.5);
    const verdict = (ok: boolean) => (ok ? "pass" : "FAIL");
    const cpu = os.cpus();
    const body = [
        `Function: the hello-url example (${RUNTIME}, handler ${HANDLER}), built once with \`lambda-python build\`. Machine: ${cpu.length} cores (${cpu[0]?.model.trim()}), Node ${process.version}; ${RUNS} runs of each command (median, after one untimed run that sets up the tools), ${REQUESTS} sequential keep-alive requests to \`serve\` after 20 warm-up requests.`,
        "",
        "| measurement | result | goal | |",
        "|---|---|---|---|",
        `| \`invoke\`, x86_64: command to response | ${ms(x86Ms)} | < 1.5 s | ${verdict(x86Ms < 1500)} |`,
        `| \`invoke\`, arm64 under qemu: command to response | ${ms(armMs)} | < 6 s | ${verdict(armMs < 6000)} |`,
        `| \`serve\` warm request, p50 (p90) | ${ms(p50)} (${ms(p90)}) | | |`,
        `| \`serve\` time added to the handler's own (p50 minus the handler's ${ms(base.handlerMs)}) | ${ms(added)} | < 5 ms | ${verdict(added < 5)} |`,
        `| of which the runner (emulator + awslambdaric), invoked in process without HTTP, p50 | ${ms(directP50)} | (breakdown) | |`,
        `| baseline: \`python3 -c\` importing and calling the handler (host ${execFileSync("python3", ["--version"], { encoding: "utf8" }).trim()}, no emulator, no sandbox) | ${ms(pythonMs)} | (reference) | |`,
        "",
        `Raw (ms): invoke x86_64 ${x86.map((x) => x.toFixed(0)).join(", ")}; invoke arm64 ${arm.map((x) => x.toFixed(0)).join(", ")}; python3 -c ${base.processMs.map((x) => x.toFixed(0)).join(", ")}; serve min ${ms(Math.min(...served))}, max ${ms(Math.max(...served))}.`,
    ].join("\n");
    recordSection("invoke", "Running functions: invoke and serve (issue 8)", "npm run build && npm run bench -- invoke", body);
    return body;
}
