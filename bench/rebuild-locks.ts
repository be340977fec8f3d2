// A rebuild with nothing changed, for each way a function's dependencies
// can be declared (issue 23): the same pinned set (requests and orjson, a
// native wheel) as a requirements.txt — the route there was before locks were
// read, the baseline — and as poetry.lock, Pipfile.lock, pdm.lock, uv.lock and
// pylock.toml written by the tools themselves, plus a Poetry project whose
// own package under src/ is installed too. Each is built once untimed, then
// RUNS rounds in a rotating order; figures are medians of the wall-clock time
// of the whole `lambda-python build` command.
//
//   npm run bench -- rebuild-locks
//   BENCH_BASE_CLI=/path/to/main/dist/cli/main.js npm run bench -- rebuild-locks   (adds main's requirements.txt route)
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { runTool, uvForTests } from "../test/project-tools";
import { recordSection } from "./record";

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const RUNTIME = "python3.12";
const CLI = path.join(__dirname, "..", "dist", "cli", "main.js");
const WORK = path.join(__dirname, ".work", "rebuild-locks");
const PINS = { requests: "2.34.2", certifi: "2026.10.19.post1", "charset-normalizer": "3.5.3", idna: "3.21", urllib3: "2.8.0", orjson: "3.10.18" };
const HANDLER = "import orjson, requests\n\n\ndef lambda_handler(event, context):\n    return requests.__version__\n";

function write(dir: string, files: Record<string, string>): string {
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
    }
    return dir;
}

const pep621 = (extra = "") =>
    `[project]\nname = "orders"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = [${Object.entries(PINS)
        .map(([n, v]) => `"${n}==${v}"`)
        .join(", ")}]\n${extra}`;

/** The projects, each written and locked by its tool. */
function projects(): { name: string; dir: string }[] {
    fs.rmSync(WORK, { recursive: true, force: true });
    const uv = uvForTests();
    const uvRun = (args: string[]) => {
        const r = spawnSync(uv, args, { encoding: "utf8", env: { ...process.env, UV_PYTHON_DOWNLOADS: "never" } });
        if (r.status !== 0) throw new Error(`uv ${args.join(" ")}: ${r.stderr}`);
    };
    const requirements = write(path.join(WORK, "requirements"), {
        "requirements.txt": `${Object.entries(PINS)
            .map(([n, v]) => `${n}==${v}`)
            .join("\n")}\n`,
        "app.py": HANDLER,
    });
    const poetry = write(path.join(WORK, "poetry"), { "pyproject.toml": pep621("\n[tool.poetry]\npackage-mode = false\n"), "app.py": HANDLER });
    runTool("poetry-2.5.1", ["lock", "--quiet"], poetry);
    const poetryPackage = write(path.join(WORK, "poetry-src"), {
        "pyproject.toml": pep621('\n[tool.poetry]\npackages = [{ include = "orders", from = "src" }]\n\n[build-system]\nrequires = ["poetry-core>=2.0.0,<3.0.0"]\nbuild-backend = "poetry.core.masonry.api"\n'),
        "src/orders/__init__.py": "",
        "src/orders/handler.py": HANDLER,
    });
    runTool("poetry-2.5.1", ["lock", "--quiet"], poetryPackage);
    const pipenv = write(path.join(WORK, "pipenv"), {
        Pipfile: `[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n\n[packages]\n${Object.entries(PINS)
            .map(([n, v]) => `${n} = "==${v}"`)
            .join("\n")}\n\n[requires]\npython_version = "3.12"\n`,
        "app.py": HANDLER,
    });
    runTool("pipenv-2026.10.3", ["lock"], pipenv);
    fs.rmSync(path.join(pipenv, ".venv"), { recursive: true, force: true });
    const pdm = write(path.join(WORK, "pdm"), { "pyproject.toml": pep621("\n[tool.pdm]\ndistribution = false\n"), "app.py": HANDLER });
    runTool("pdm-2.29.4", ["lock", "--quiet"], pdm);
    fs.rmSync(path.join(pdm, ".venv"), { recursive: true, force: true });
    const uvProject = write(path.join(WORK, "uv"), { "pyproject.toml": pep621(), "app.py": HANDLER });
    uvRun(["lock", "--quiet", "--project", uvProject]);
    const pylock = write(path.join(WORK, "pylock"), { "app.py": HANDLER });
    uvRun(["export", "--quiet", "--locked", "--format", "pylock.toml", "--project", uvProject, "-o", path.join(pylock, "pylock.toml")]);
    return [
        { name: "requirements.txt", dir: requirements },
        { name: "poetry.lock", dir: poetry },
        { name: "poetry.lock + own package (src/)", dir: poetryPackage },
        { name: "Pipfile.lock", dir: pipenv },
        { name: "pdm.lock", dir: pdm },
        { name: "uv.lock", dir: uvProject },
        { name: "pylock.toml", dir: pylock },
    ];
}

/** Wall-clock and CPU time (user + system, from /usr/bin/time) of one build: on a busy shared machine the CPU time is the steadier figure. */
function buildMs(cli: string, dir: string, cache: string): { wall: number; cpu: number } {
    const t = process.hrtime.bigint();
    const r = spawnSync("/usr/bin/time", ["-f", "cpu %U %S", process.execPath, cli, "build", dir, "--runtime", RUNTIME, "--cache-dir", cache, "--out", path.join(cache, "fn.zip"), "--quiet"], { encoding: "utf8" });
    const wall = Number(process.hrtime.bigint() - t) / 1e6;
    const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    if (r.status !== 0 || !cpu) throw new Error(`build ${dir} failed:\n${r.stderr}`);
    return { wall, cpu: (Number(cpu[1]) + Number(cpu[2])) * 1000 };
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

export async function benchRebuildLocks(): Promise<string> {
    const sides = projects().map((p) => ({ ...p, cli: CLI }));
    if (process.env.BENCH_BASE_CLI) sides.unshift({ name: "requirements.txt, main before issue 23", dir: sides[0].dir, cli: process.env.BENCH_BASE_CLI });
    const times = new Map<string, { wall: number; cpu: number }[]>(sides.map((s) => [s.name, []]));
    const cacheOf = (s: (typeof sides)[number]) => path.join(WORK, "cache", s.name.replace(/\W+/g, "-"));
    for (const s of sides) buildMs(s.cli, s.dir, cacheOf(s)); // cold, untimed: installs and the archive
    for (let round = 0; round < RUNS; round++) {
        for (let i = 0; i < sides.length; i++) {
            const s = sides[(round + i) % sides.length];
            times.get(s.name)!.push(buildMs(s.cli, s.dir, cacheOf(s)));
        }
    }
    const med = (name: string, k: "wall" | "cpu") => median(times.get(name)!.map((t) => t[k]));
    const base = { wall: med("requirements.txt", "wall"), cpu: med("requirements.txt", "cpu") };
    const rows = sides.map((s) => {
        const [wall, cpu] = [med(s.name, "wall"), med(s.name, "cpu")];
        return `| ${s.name} | ${wall.toFixed(0)} ms | ${((wall / base.wall) * 100).toFixed(0)}% | ${cpu.toFixed(0)} ms | ${((cpu / base.cpu) * 100).toFixed(0)}% |`;
    });
    const body = [
        `The same pinned set (${Object.entries(PINS)
            .map(([n, v]) => `${n} ${v}`)
            .join(
                ", ",
            )}) for ${RUNTIME} x86_64, built once, then rebuilt with nothing changed: the whole command (Node's start included), medians of ${RUNS} rounds in a rotating order. CPU is user + system time of the command; on this shared 2-core machine it is the steadier figure.`,
        "",
        "| declared as | wall | of requirements.txt | CPU | of requirements.txt |",
        "|---|---:|---:|---:|---:|",
        ...rows,
        "",
        `Raw wall (ms): ${sides
            .map(
                (s) =>
                    `${s.name} ${times
                        .get(s.name)!
                        .map((t) => t.wall.toFixed(0))
                        .join(", ")}`,
            )
            .join("; ")}.`,
    ].join("\n");
    recordSection("rebuild-locks", "A rebuild with nothing changed, by dependency declaration (issue 23)", "npm run bench -- rebuild-locks", body);
    return body;
}
