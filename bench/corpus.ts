// The benchmark corpus: numpy, scipy, botocore, boto3, pydantic-core and
// cryptography installed with pip --target for python3.12 x86_64 (~211 MB,
// 4,757 files, no __pycache__). Installed once into bench/.work/corpus.
// Every distribution is pinned, dependencies included, so that figures taken
// on different days are of the same bytes (the versions measured since
// 2026-12-02; a new pin list installs the corpus again).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const WORK = path.join(__dirname, ".work");
const CORPUS = path.join(WORK, "corpus");
const PACKAGES = ["numpy==2.2.6", "scipy==1.16.3", "botocore==1.44.18", "boto3==1.44.18", "pydantic-core==2.50.5", "cryptography==50.0.2"];
/** Their dependencies, as constraints: installed as dependencies (no REQUESTED file), at these versions. */
const DEPENDENCIES = ["cffi==2.1.1", "jmespath==1.1.0", "pycparser==3.12", "python-dateutil==2.9.0.post0", "s3transfer==0.19.3", "six==1.17.0", "typing-extensions==4.16.0", "urllib3==2.8.0"];

export function ensureCorpus(): string {
    const marker = path.join(WORK, "corpus.done");
    const pins = [...PACKAGES, ...DEPENDENCIES].join(" ");
    if (fs.existsSync(marker) && fs.readFileSync(marker, "utf8") === pins) return CORPUS;
    fs.rmSync(CORPUS, { recursive: true, force: true });
    fs.mkdirSync(WORK, { recursive: true });
    const constraints = path.join(WORK, "corpus-constraints.txt");
    fs.writeFileSync(constraints, `${DEPENDENCIES.join("\n")}\n`);
    process.stderr.write(`bench: installing the corpus (${PACKAGES.join(", ")}) into ${CORPUS}\n`);
    const r = spawnSync(
        "python3",
        [
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-warn-conflicts",
            "--target",
            CORPUS,
            "--platform",
            "manylinux2014_x86_64",
            "--platform",
            "manylinux_2_17_x86_64",
            "--implementation",
            "cp",
            "--python-version",
            "3.12",
            "--abi",
            "cp312",
            "--only-binary=:all:",
            "--no-compile",
            "--constraint",
            constraints,
            ...PACKAGES,
        ],
        { stdio: "inherit" },
    );
    if (r.status !== 0) throw new Error("pip could not install the benchmark corpus");
    fs.rmSync(path.join(CORPUS, "bin"), { recursive: true, force: true }); // console scripts carry this machine's interpreter path
    fs.writeFileSync(marker, pins);
    return CORPUS;
}

export function treeStats(dir: string): { bytes: number; files: number } {
    let bytes = 0;
    let files = 0;
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.isFile()) {
                bytes += fs.statSync(p).size;
                files++;
            }
        }
    };
    walk(dir);
    return { bytes, files };
}

/**
 * A generated tree under bench/.work/<name>, written once (a marker file says
 * it is complete) from a seeded generator, so every run measures the same bytes.
 */
function writtenOnce(name: string, seed: number, write: (dir: string, rand: () => number) => void): string {
    const dir = path.join(WORK, name);
    const marker = `${dir}.done`;
    if (fs.existsSync(marker)) return dir;
    fs.rmSync(dir, { recursive: true, force: true });
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    write(dir, rand);
    fs.writeFileSync(marker, new Date().toISOString());
    return dir;
}

/**
 * 20,000 small files (~16.6 MB, ~830 bytes each, Python-like text in 200
 * folders): the shape of a big pure-Python dependency tree, where per-file
 * costs dominate. Deterministic, written once into bench/.work/small-files.
 */
export function ensureSmallFiles(count = 20_000): string {
    return writtenOnce(`small-files-${count}`, 12345, (dir, rand) => {
        const words = ["def", "return", "self", "value", "import", "class", "None", "if", "else", "for", "in", "range", "data", "result", "config", "name", "items", "append", "raise", "ValueError"];
        for (let i = 0; i < count; i++) {
            const folder = path.join(dir, `pkg${Math.floor(i / 100)}`);
            if (i % 100 === 0) fs.mkdirSync(folder, { recursive: true });
            const lines: string[] = [];
            let bytes = 0;
            const target = 500 + Math.floor(rand() * 600);
            while (bytes < target) {
                const n = 3 + Math.floor(rand() * 8);
                const line = `    ${Array.from({ length: n }, () => words[Math.floor(rand() * words.length)] + (rand() < 0.3 ? String(Math.floor(rand() * 1000)) : "")).join(" ")}`;
                lines.push(line);
                bytes += line.length + 1;
            }
            fs.writeFileSync(path.join(folder, `mod${i}.py`), `${lines.join("\n")}\n`);
        }
    });
}

/**
 * The second small-files shape (issue 27): 20,000 smaller, more compressible
 * files (~440 bytes, ~2.9x deflated, against ~790 bytes and ~2.4x for the
 * Python-like modules) in 200 folders: generated model classes as SDKs ship
 * them, a few near-identical field lines each. Deterministic, written once
 * into bench/.work.
 */
export function ensureGeneratedModules(count = 20_000): string {
    return writtenOnce(`generated-models-${count}`, 54321, (dir, rand) => {
        const kinds = ["client", "model", "request", "response", "paginator", "waiter", "shape", "field", "config", "session"];
        for (let i = 0; i < count; i++) {
            const folder = path.join(dir, `gen${Math.floor(i / 100)}`);
            if (i % 100 === 0) fs.mkdirSync(folder, { recursive: true });
            const kind = kinds[Math.floor(rand() * kinds.length)];
            const Kind = kind[0].toUpperCase() + kind.slice(1);
            let text = `# Generated code: do not edit.\nfrom .base import Base${Kind}, Field\n\n\nclass ${Kind}${i}(Base${Kind}):\n`;
            for (let j = 0, n = 5 + Math.floor(rand() * 6); j < n; j++) text += `    field_${j} = Field("field_${j}", default=None)\n`;
            fs.writeFileSync(path.join(folder, `${kind}_${i}.py`), text);
        }
    });
}
