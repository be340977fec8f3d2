// First build of a numpy+pandas function with every cache cold, against the
// recipe in AWS's Lambda documentation ("Working with .zip file archives for
// Python Lambda functions": pip install --platform … --target, then zip -r),
// measured in the same run (see docs/BENCHMARKS.md).
//
//   npm run bench -- build-cold
//
// Each run gets empty download caches (pip's and uv's) and an empty build
// cache, so both sides fetch every wheel from PyPI. uv itself is installed
// once per machine (`lambda-python setup`) and is not part of a run. Runs
// alternate between the two sides so network drift hits both; figures are
// medians of RUNS runs.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { recordSection } from "./record";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RUNTIME = "python3.12";
const PYTHON_VERSION = "3.12";
const REQUIREMENTS = "numpy\npandas\n";
const HANDLER = "import numpy as np\nimport pandas as pd\n\n\ndef lambda_handler(event, context):\n    return int(pd.Series(np.arange(10)).sum())\n";
const CLI = path.join(__dirname, "..", "dist", "cli", "main.js");

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

function timed(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): number {
    execFileSync("sync");
    const t = process.hrtime.bigint();
    const r = spawnSync(command, args, { ...options, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${r.stderr}\n${r.stdout}`);
    return ms;
}

/** AWS's documented recipe, step for step, with an empty pip cache. */
function awsRecipe(app: string, work: string): { ms: number; zip: string } {
    const pkg = path.join(work, "package");
    const zip = path.join(work, "my_deployment_package.zip");
    const env: NodeJS.ProcessEnv = { ...process.env, PIP_CACHE_DIR: path.join(work, "pip-cache") };
    delete env.PIP_FIND_LINKS;
    let ms = timed(
        "python3",
        ["-m", "pip", "install", "--platform", "manylinux2014_x86_64", "--target", pkg, "--implementation", "cp", "--python-version", PYTHON_VERSION,
            "--only-binary=:all:", "--upgrade", "-q", "-r", path.join(app, "requirements.txt")],
        { env },
    );
    ms += timed("zip", ["-r", "-q", zip, "."], { cwd: pkg });
    ms += timed("zip", ["-q", zip, "lambda_function.py"], { cwd: app });
    return { ms, zip };
}

/** lambda-python build with an empty build cache and an empty uv cache. */
function ours(app: string, work: string): { ms: number; zip: string } {
    const zip = path.join(work, "fn.zip");
    const env: NodeJS.ProcessEnv = { ...process.env, UV_CACHE_DIR: path.join(work, "uv-cache"), PIP_CACHE_DIR: path.join(work, "pip-cache") };
    delete env.PIP_FIND_LINKS;
    const ms = timed(process.execPath, [CLI, "build", app, "--runtime", RUNTIME, "--arch", "x86_64", "--cache-dir", path.join(work, "cache"), "--out", zip, "--quiet"], { env });
    return { ms, zip };
}

function versions(zip: string): string {
    const r = spawnSync("python3", ["-c", "import re, sys, zipfile\nprint(', '.join(sorted(m.group(1) + ' ' + m.group(2) for n in zipfile.ZipFile(sys.argv[1]).namelist() for m in [re.match(r'^(numpy|pandas)-([^-/]+)\\.dist-info/METADATA$', n)] if m)))", zip], { encoding: "utf8" });
    return r.stdout.trim();
}

export async function benchBuildCold(): Promise<string> {
    if (!fs.existsSync(CLI)) throw new Error("run `npm run build` first: the benchmark times the compiled CLI");
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "lp-bench-cold-"));
    const app = path.join(root, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "lambda_function.py"), HANDLER);
    fs.writeFileSync(path.join(app, "requirements.txt"), REQUIREMENTS);
    const load = os.loadavg()[0];
    const times = { aws: [] as number[], ours: [] as number[] };
    let last = { aws: "", ours: "" };
    let sizes = { aws: 0, ours: 0 };
    try {
        for (let i = 0; i < RUNS; i++) {
            for (const side of i % 2 ? (["ours", "aws"] as const) : (["aws", "ours"] as const)) {
                const work = path.join(root, `${side}-${i}`);
                fs.mkdirSync(work);
                const r = side === "aws" ? awsRecipe(app, work) : ours(app, work);
                times[side].push(r.ms);
                last[side] = versions(r.zip);
                sizes[side] = fs.statSync(r.zip).size;
                fs.rmSync(work, { recursive: true, force: true });
                console.log(`  run ${i + 1} ${side}: ${(r.ms / 1000).toFixed(1)} s`);
            }
        }
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
    const aws = median(times.aws);
    const our = median(times.ours);
    const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
    const body = [
        `numpy + pandas function for ${RUNTIME} x86_64, cold caches (empty pip/uv download caches and build cache), median of ${RUNS} alternating runs on this ${os.cpus().length}-core machine:`,
        "",
        "| | median | runs | archive | numpy, pandas |",
        "|---|---|---|---|---|",
        `| AWS recipe: \`pip install --platform manylinux2014_x86_64 --target package --implementation cp --python-version ${PYTHON_VERSION} --only-binary=:all: --upgrade -r requirements.txt\` + \`zip -r\` | ${(aws / 1000).toFixed(1)} s | ${times.aws.map((t) => (t / 1000).toFixed(1)).join(", ")} s | ${mb(sizes.aws)} | ${last.aws} |`,
        `| \`lambda-python build\` (uv, checks included) | ${(our / 1000).toFixed(1)} s | ${times.ours.map((t) => (t / 1000).toFixed(1)).join(", ")} s | ${mb(sizes.ours)} | ${last.ours} |`,
        "",
        `Ratio: **${(our / aws).toFixed(2)}x** the recipe's time (goal ≤ 0.6x); against the recipe's fastest run, ${(our / Math.min(...times.aws)).toFixed(2)}x. ` +
            `Both sides download from PyPI, so single runs vary with the network and the machine's load (load average ${load.toFixed(1)} at the start); alternating runs share that. The recipe's manylinux2014 platform keeps it on older numpy/pandas wheels when newer ones are tagged manylinux_2_27+; the builder takes every wheel Amazon Linux 2023's glibc 2.34 accepts.`,
    ].join("\n");
    recordSection("build-cold", "Cold first build: numpy + pandas (issue 10)", "npm run build && npm run bench -- build-cold", body);
    return body;
}
