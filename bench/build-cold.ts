// First build of a function with every cache cold, against AWS's two
// documented routes, measured in the same run (see docs/BENCHMARKS.md):
// - the recipe in "Working with .zip file archives for Python Lambda
//   functions" (pip install --platform … --target, then zip -r);
// - `sam build` (aws-sam-cli from PyPI, pinned, in a virtualenv under
//   ~/.cache/lambda-python/bench/), which leaves a folder; `sam build` +
//   `zip -r` of that folder is what a user waits for to get an archive.
//
//   npm run bench -- build-cold
//
// Each run gets empty download caches (pip's and uv's), an empty build cache
// and, for SAM, a fresh project (no .aws-sam/build or .aws-sam/cache) and
// telemetry off. uv and SAM themselves are installed once per machine and are
// not part of a run. Within a round the sides take turns in a rotating order
// so network drift hits all; figures are medians of RUNS rounds.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { recordSection } from "./record";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WARM_RUNS = 7;
// python3.11: `sam build` needs the runtime's Python on PATH, and this machine has 3.11.
const RUNTIME = "python3.11";
const PYTHON_VERSION = "3.11";
export const SAM_VERSION = "1.170.0";
const SAM_VENV = path.join(os.homedir(), ".cache", "lambda-python", "bench", `sam-${SAM_VERSION}`);
// Every set is pinned, its dependencies too (resolved 2026-12-05 for python3.11, manylinux2014_x86_64), so a run
// months later builds the same files as the figures in docs/BENCHMARKS.md.
const SETS: { name: string; requirements: string; handler: string; dists: string[] }[] = [
    {
        name: "numpy + pandas",
        // `sam build` (manylinux2014 only) fails on numpy 2.3+, whose python3.11 wheels are manylinux_2_27+.
        requirements: "numpy==2.2.6\npandas==2.3.2\npython-dateutil==4.0.0\npytz==2026.6\ntzdata==2026.6\n",
        handler: "import numpy as np\nimport pandas as pd\n\n\ndef lambda_handler(event, context):\n    return int(pd.Series(np.arange(10)).sum())\n",
        dists: ["numpy", "pandas"],
    },
    {
        name: "requests",
        requirements: "requests==2.34.2\ncertifi==2026.10.19.post1\ncharset-normalizer==3.5.3\nidna==3.21\nurllib3==2.8.0\n",
        handler: "import requests\n\n\ndef lambda_handler(event, context):\n    return requests.__version__\n",
        dists: ["requests"],
    },
    {
        name: "fastapi",
        requirements:
            "fastapi==0.165.0\nmangum==0.22.0\nannotated-doc==0.0.7\nannotated-types==0.8.0\nanyio==4.16.0\nidna==3.21\nopentelemetry-api==1.45.3\npydantic==2.14.4\npydantic_core==2.50.5\nstarlette==1.10.0\ntyping-inspection==0.4.5\ntyping_extensions==4.16.0\n",
        handler: "from fastapi import FastAPI\nfrom mangum import Mangum\n\napp = FastAPI()\nlambda_handler = Mangum(app)\n",
        dists: ["fastapi", "pydantic"],
    },
];
const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: app/
      Handler: lambda_function.lambda_handler
      Runtime: ${RUNTIME}
      Architectures: [x86_64]
`;
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
        ["-m", "pip", "install", "--platform", "manylinux2014_x86_64", "--target", pkg, "--implementation", "cp", "--python-version", PYTHON_VERSION, "--only-binary=:all:", "--upgrade", "-q", "-r", path.join(app, "requirements.txt")],
        { env },
    );
    ms += timed("zip", ["-r", "-q", zip, "."], { cwd: pkg });
    ms += timed("zip", ["-q", zip, "lambda_function.py"], { cwd: app });
    return { ms, zip };
}

/** The pinned aws-sam-cli, installed from PyPI into its own virtualenv once. */
export function samCli(): string {
    const sam = path.join(SAM_VENV, "bin", "sam");
    if (!fs.existsSync(sam)) {
        execFileSync("python3", ["-m", "venv", SAM_VENV], { stdio: "inherit" });
        execFileSync(path.join(SAM_VENV, "bin", "pip"), ["install", "-q", "--disable-pip-version-check", `aws-sam-cli==${SAM_VERSION}`], { stdio: "inherit" });
    }
    return sam;
}

/**
 * `sam build` in a fresh copy of the project: SAM caches in the project's
 * .aws-sam/ (build and, with --cached, cache) and through pip's cache, both
 * empty here. Then `zip -r` of the built folder, timed apart.
 */
function samBuild(app: string, work: string): { ms: number; zipMs: number; zip: string } {
    const project = path.join(work, "project");
    fs.cpSync(app, path.join(project, "app"), { recursive: true });
    fs.writeFileSync(path.join(project, "template.yaml"), TEMPLATE);
    const env: NodeJS.ProcessEnv = { ...process.env, PIP_CACHE_DIR: path.join(work, "pip-cache"), SAM_CLI_TELEMETRY: "0", HOME: process.env.HOME };
    delete env.PIP_FIND_LINKS;
    const ms = timed(samCli(), ["build", "--build-dir", path.join(project, ".aws-sam", "build")], { cwd: project, env });
    const zip = path.join(work, "sam.zip");
    const zipMs = timed("zip", ["-r", "-q", zip, "."], { cwd: path.join(project, ".aws-sam", "build", "Fn") });
    return { ms, zipMs, zip };
}

/** lambda-python build with an empty build cache and an empty uv cache. */
function ours(app: string, work: string): { ms: number; zip: string } {
    const zip = path.join(work, "fn.zip");
    const env: NodeJS.ProcessEnv = { ...process.env, UV_CACHE_DIR: path.join(work, "uv-cache"), PIP_CACHE_DIR: path.join(work, "pip-cache") };
    delete env.PIP_FIND_LINKS;
    const ms = timed(process.execPath, [CLI, "build", app, "--runtime", RUNTIME, "--arch", "x86_64", "--cache-dir", path.join(work, "cache"), "--out", zip, "--quiet"], { env });
    return { ms, zip };
}

/**
 * Builds again with nothing changed: ours (same build cache, `--out` again)
 * and `sam build --cached` (same project), each set up by one untimed build,
 * then WARM_RUNS rounds alternating which goes first.
 */
function warmNoChange(app: string, work: string): { ours: number[]; sam: number[] } {
    const env: NodeJS.ProcessEnv = { ...process.env, UV_CACHE_DIR: path.join(work, "uv-cache"), PIP_CACHE_DIR: path.join(work, "pip-cache"), SAM_CLI_TELEMETRY: "0" };
    delete env.PIP_FIND_LINKS;
    const zip = path.join(work, "fn.zip");
    const oursOnce = () => timed(process.execPath, [CLI, "build", app, "--runtime", RUNTIME, "--arch", "x86_64", "--cache-dir", path.join(work, "cache"), "--out", zip, "--quiet"], { env });
    const project = path.join(work, "project");
    fs.cpSync(app, path.join(project, "app"), { recursive: true });
    fs.writeFileSync(path.join(project, "template.yaml"), TEMPLATE);
    const samOnce = () => timed(samCli(), ["build", "--cached", "--build-dir", path.join(project, ".aws-sam", "build")], { cwd: project, env });
    oursOnce();
    samOnce();
    const out = { ours: [] as number[], sam: [] as number[] };
    for (let i = 0; i < WARM_RUNS; i++) {
        if (i % 2 === 0) {
            out.ours.push(oursOnce());
            out.sam.push(samOnce());
        } else {
            out.sam.push(samOnce());
            out.ours.push(oursOnce());
        }
    }
    return out;
}

function versions(zip: string, dists: string[]): string {
    const script =
        "import re, sys, zipfile\nnames = sys.argv[2].split(',')\nprint(', '.join(sorted(m.group(1) + ' ' + m.group(2) for n in zipfile.ZipFile(sys.argv[1]).namelist() for m in [re.match(r'^([^-/]+)-([^-/]+)\\.dist-info/METADATA$', n)] if m and m.group(1).lower() in names)))";
    return spawnSync("python3", ["-c", script, zip, dists.join(",")], { encoding: "utf8" }).stdout.trim();
}

type Side = "aws" | "sam" | "ours";
const SIDES: Side[] = ["aws", "sam", "ours"];

interface SetResult {
    times: Record<Side | "samZip", number[]>;
    warm: { ours: number[]; sam: number[] };
    sizes: Record<Side, number>;
    versions: Record<Side, string>;
}

async function benchSet(root: string, set: (typeof SETS)[number]): Promise<SetResult> {
    const app = path.join(root, set.name.replace(/\W+/g, "-"), "app");
    fs.mkdirSync(app, { recursive: true });
    fs.writeFileSync(path.join(app, "lambda_function.py"), set.handler);
    fs.writeFileSync(path.join(app, "requirements.txt"), set.requirements);
    const res: SetResult = { times: { aws: [], sam: [], ours: [], samZip: [] }, warm: { ours: [], sam: [] }, sizes: { aws: 0, sam: 0, ours: 0 }, versions: { aws: "", sam: "", ours: "" } };
    for (let i = 0; i < RUNS; i++) {
        const order = [...SIDES.slice(i % 3), ...SIDES.slice(0, i % 3)];
        for (const side of order) {
            const work = path.join(root, `${side}-${i}`);
            fs.mkdirSync(work);
            let zip: string;
            if (side === "sam") {
                const r = samBuild(app, work);
                res.times.sam.push(r.ms);
                res.times.samZip.push(r.ms + r.zipMs);
                zip = r.zip;
                console.log(`  ${set.name} run ${i + 1} sam: ${(r.ms / 1000).toFixed(1)} s (+ zip ${(r.zipMs / 1000).toFixed(1)} s)`);
            } else {
                const r = side === "aws" ? awsRecipe(app, work) : ours(app, work);
                res.times[side].push(r.ms);
                zip = r.zip;
                console.log(`  ${set.name} run ${i + 1} ${side}: ${(r.ms / 1000).toFixed(1)} s`);
            }
            res.versions[side] = versions(zip, set.dists);
            res.sizes[side] = fs.statSync(zip).size;
            fs.rmSync(work, { recursive: true, force: true });
        }
    }
    const warmWork = path.join(root, "warm");
    fs.mkdirSync(warmWork);
    res.warm = warmNoChange(app, warmWork);
    console.log(`  ${set.name} warm, nothing changed: ours ${res.warm.ours.map((t) => t.toFixed(0)).join(", ")} ms; sam build --cached ${res.warm.sam.map((t) => t.toFixed(0)).join(", ")} ms`);
    fs.rmSync(warmWork, { recursive: true, force: true });
    return res;
}

export async function benchBuildCold(): Promise<string> {
    if (!fs.existsSync(CLI)) throw new Error("run `npm run build` first: the benchmark times the compiled CLI");
    samCli();
    const only = process.env.BENCH_SETS?.split(",");
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "lp-bench-cold-"));
    const load = os.loadavg()[0];
    const results: [string, SetResult][] = [];
    try {
        for (const set of SETS.filter((s) => !only || only.includes(s.name))) results.push([set.name, await benchSet(root, set)]);
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
    const runs = (xs: number[]) => xs.map((t) => (t / 1000).toFixed(1)).join(", ");
    const rows: string[] = [];
    const ratios: string[] = [];
    const warmRows: string[] = [];
    for (const [name, r] of results) {
        const m = { aws: median(r.times.aws), sam: median(r.times.sam), samZip: median(r.times.samZip), ours: median(r.times.ours) };
        rows.push(
            `| ${name} | AWS recipe (\`pip install --platform manylinux2014_x86_64 --target … --only-binary=:all:\` + \`zip -r\`) | ${s(m.aws)} | ${runs(r.times.aws)} | ${mb(r.sizes.aws)} | ${r.versions.aws} |`,
            `| ${name} | \`sam build\` ${SAM_VERSION} (folder) | ${s(m.sam)} | ${runs(r.times.sam)} | — | ${r.versions.sam} |`,
            `| ${name} | \`sam build\` + \`zip -r\` | ${s(m.samZip)} | ${runs(r.times.samZip)} | ${mb(r.sizes.sam)} | |`,
            `| ${name} | **\`lambda-python build\`** (uv, checks included) | **${s(m.ours)}** | ${runs(r.times.ours)} | ${mb(r.sizes.ours)} | ${r.versions.ours} |`,
        );
        warmRows.push(
            `| ${name} | ${median(r.warm.ours).toFixed(0)} ms | ${r.warm.ours.map((t) => t.toFixed(0)).join(", ")} | ${median(r.warm.sam).toFixed(0)} ms | ${(median(r.warm.ours) / median(r.warm.sam)).toFixed(2)}x | < 150 ms | ${median(r.warm.ours) < 150 ? "pass" : "FAIL"} |`,
        );
        ratios.push(`${name}: **${(m.ours / m.sam).toFixed(2)}x** \`sam build\`, **${(m.ours / m.samZip).toFixed(2)}x** \`sam build\` + \`zip -r\`, ${(m.ours / m.aws).toFixed(2)}x the recipe`);
    }
    const body = [
        `Function for ${RUNTIME} x86_64, cold caches (empty pip/uv download caches, empty build cache, a fresh SAM project), median of ${RUNS} rounds in rotating order on this ${os.cpus().length}-core machine, shared with other work (load average ${load.toFixed(1)} at the start):`,
        "",
        "| set | route | median | runs | archive | versions |",
        "|---|---|---|---|---|---|",
        ...rows,
        "",
        `Ratios of medians: ${ratios.join("; ")}. Goals (numpy + pandas): ≤ 0.85x \`sam build\`, ≤ 0.5x \`sam build\` + \`zip -r\`.`,
        "",
        `Warm, nothing changed (issue 12): the same function built again with its caches kept, ${WARM_RUNS} runs each, alternating; \`sam build --cached\` is SAM's own warm path.`,
        "",
        "| set | `lambda-python build` (median) | runs (ms) | `sam build --cached` (median) | ratio | goal | |",
        "|---|---|---|---|---|---|---|",
        ...warmRows,
        "",
        "Every side downloads from PyPI, so single runs vary with the network and the machine's load. SAM (aws-lambda-builders' pip workflow) and the recipe only take manylinux2014 wheels, so numpy and pandas are pinned to the newest versions that have them for python3.11 (unpinned, `sam build` fails: numpy 2.3+ ships manylinux_2_27+ wheels only). Every set's requirements pin all of its distributions, dependencies included (resolved on 2026-12-05), so every side installs the same files, today and in later runs.",
    ].join("\n");
    recordSection("build-cold", "Cold first build against `sam build` and AWS's recipe (issues 10, 12)", "npm run build && npm run bench -- build-cold", body);
    return body;
}
