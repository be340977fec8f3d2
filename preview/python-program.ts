// How a Python Pulumi program is started, as Pulumi's Python language host
// starts it (pulumi/pulumi sdk/python/cmd/pulumi-language-python and its
// `pulumi-language-python-exec` shim):
//
// - The interpreter: the program's own virtualenv when it has one
//   (Pulumi.yaml `runtime.options.virtualenv`, resolved from the project's
//   folder; else a `venv` or `.venv` folder beside Pulumi.yaml, where
//   `pulumi new` and uv put it). Without one, a virtualenv this package keeps
//   in its tools folder with the Python SDK's releases matching the Node.js
//   SDKs it depends on: `pulumi==<@pulumi/pulumi>` and
//   `pulumi-aws==<@pulumi/aws>` from PyPI, keyed by those versions.
// - The shim: `python -u` running EXEC_SHIM with the language host's
//   arguments (--monitor, --engine, --project, --stack, --organization,
//   --root_directory, --pwd, --dry_run, --parallel, the program) and its
//   environment (PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS). The shim sets the
//   SDK's config and settings, runs the program with runpy in `run_in_stack`
//   (a folder runs its __main__.py) and logs an error the program raises
//   through the engine's Log, as the language host's shim does.
// - Its failure, said for people: an unhandled exception as its last line
//   and the program's own frame (formatTraceback), not the traceback.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { defaultToolsDir } from "../shared/cache-dirs";
import { installFolder, keepRecentlyUsed } from "../target-python/install-dir";
import { UserError } from "../shared/errors";
import { run, tail } from "../shared/process";

/** The Python SDK releases the offline preview runs a Python program on when it has no virtualenv of its own. */
export function pythonSdkPins(): { pulumi: string; aws: string } {
    const version = (pkg: string) => (JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), "utf8")) as { version: string }).version;
    return { pulumi: version("@pulumi/pulumi"), aws: version("@pulumi/aws") };
}

/** The interpreter a Python program runs on, and where it came from (said in a note). */
export interface PythonLaunch {
    python: string;
    from: string;
    /** Folders put on PYTHONPATH: the local packages the program's requirements.txt installs, installed for the preview's SDK. */
    pythonPath: string[];
}

/** runtime.options of a `runtime: python` Pulumi.yaml that the preview reads. */
export interface PythonOptions {
    virtualenv?: string;
    toolchain?: string;
}

/** A tool's output inside a one-paragraph message. */
const oneLine = (text: string) => text.trim().replace(/\s*\n\s*/g, " ");

const venvPython = (venv: string) => path.join(venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");

/**
 * The interpreter for the program in `programDir`: its own virtualenv, else the preview's SDK virtualenv
 * (installed on first use). A virtualenv without the Pulumi SDK is one paragraph (exit 2).
 */
export async function pythonFor(programDir: string, options: PythonOptions, say: (m: string) => void = () => {}): Promise<PythonLaunch> {
    const named = options.virtualenv ? path.resolve(programDir, options.virtualenv) : undefined;
    const own = [named, ...(named ? [] : [path.join(programDir, "venv"), path.join(programDir, ".venv")])].find((v) => v && fs.existsSync(venvPython(v)));
    if (own) {
        const python = venvPython(own);
        const probe = await run(python, ["-c", "import pulumi, sys; sys.stdout.write(pulumi.__version__ if hasattr(pulumi, '__version__') else '')"]).catch(() => undefined);
        if (probe?.code !== 0) {
            throw new UserError(
                `${programDir}: the program's virtualenv ${own} has no Pulumi SDK (\`import pulumi\` failed${probe ? `: ${oneLine(tail(probe.stderr, 1))}` : ""}). Install the program's requirements into it (${python} -m pip install -r requirements.txt), or remove the folder to preview on the Pulumi SDK the preview installs.`,
            );
        }
        return { python, pythonPath: [], from: `the program's virtualenv ${own === named ? options.virtualenv : path.basename(own)}` };
    }
    const pins = pythonSdkPins();
    const python = venvPython(await sdkVirtualenv(pins, say));
    const missing = named ? ` (its virtualenv ${options.virtualenv} does not exist yet)` : "";
    const local = localPackages(programDir);
    const with_ = local.length ? `, with ${local.map((d) => path.relative(programDir, d)).join(", ")} from its requirements.txt` : "";
    return {
        python,
        pythonPath: local.length ? [await localPackagesInstalled(python, local, say)] : [],
        from: `the Pulumi Python SDK pulumi ${pins.pulumi} and pulumi-aws ${pins.aws} the preview keeps${missing}${with_}; a program with other dependencies previews on its own virtualenv (python -m venv venv, then venv/bin/pip install -r requirements.txt)`,
    };
}

/**
 * The local folders the program's requirements.txt installs (`-e sdks/lambda-python`, as `pulumi package add`
 * writes for a generated SDK, or a path), that exist.
 */
function localPackages(programDir: string): string[] {
    let text: string;
    try {
        text = fs.readFileSync(path.join(programDir, "requirements.txt"), "utf8");
    } catch {
        return [];
    }
    const out: string[] = [];
    for (const raw of text.split(/\r?\n/)) {
        const spec = /^\s*(?:(?:-e|--editable)\s+)?(\.{1,2}\/\S*|\/\S+|[^\s#;=<>!~[]+\/\S*)\s*(#.*)?$/.exec(raw)?.[1];
        if (!spec || /^[a-z+]+:\/\//i.test(spec)) continue;
        const dir = path.resolve(programDir, spec);
        if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) continue;
        out.push(dir);
    }
    return out;
}

/** A digest of every file under the folders (names and contents), skipping build output and caches. */
function foldersDigest(dirs: string[]): string {
    const hash = crypto.createHash("sha256");
    const walk = (dir: string, rel: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
            if (["__pycache__", "build", "dist", ".git", ".mypy_cache"].includes(entry.name) || entry.name.endsWith(".egg-info")) continue;
            const p = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(p, `${rel}${entry.name}/`);
            else if (entry.isFile()) hash.update(`${rel}${entry.name}\0`).update(fs.readFileSync(p)).update("\0");
        }
    };
    for (const dir of dirs) {
        hash.update(`${dir}\n`);
        walk(dir, "");
    }
    return hash.digest("hex").slice(0, 24);
}

/**
 * The program's local packages installed (not editable: a copy with its metadata, which a generated SDK reads
 * for its version) into a folder for PYTHONPATH, once per content: pip installs them as the program's
 * virtualenv would (`pip install -r requirements.txt`), without their dependencies (the preview's SDK has
 * pulumi and pulumi-aws). A change in a folder makes a new install.
 */
async function localPackagesInstalled(python: string, dirs: string[], say: (m: string) => void): Promise<string> {
    const target = path.join(defaultToolsDir(), "python-sdk", `local-${foldersDigest(dirs)}`);
    const installed = await installLocalPackages(python, dirs, target, say);
    // Every edit of a local package makes another install: those of the last LOCAL_INSTALLS_KEPT contents stay.
    keepRecentlyUsed(path.dirname(installed), /^local-[0-9a-f]{24}$/, installed, LOCAL_INSTALLS_KEPT);
    // Another preview's sweep may have taken it between its check and its mark (unused for an hour, 8 newer): again.
    return fs.existsSync(installed) ? installed : installLocalPackages(python, dirs, target, say);
}

/** Installs of the programs' local packages kept besides the one in use (each is a few packages' copy). */
const LOCAL_INSTALLS_KEPT = 8;

function installLocalPackages(python: string, dirs: string[], target: string, say: (m: string) => void): Promise<string> {
    return installFolder(target, async (temp) => {
        say(`installing ${dirs.map((d) => path.basename(d)).join(", ")} (from the program's requirements.txt) for the preview`);
        // From copies: pip builds in the source tree (build/, *.egg-info), which is the user's folder.
        const copies = dirs.map((dir, i) => {
            const copy = path.join(temp, ".sources", `${i}-${path.basename(dir)}`);
            fs.cpSync(dir, copy, { recursive: true, filter: (p) => !/[\\/](__pycache__|build|dist|\.git|[^\\/]*\.egg-info)$/.test(p) });
            return copy;
        });
        const pip = await run(python, ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet", "--no-deps", "--target", temp, ...copies]);
        fs.rmSync(path.join(temp, ".sources"), { recursive: true, force: true });
        if (pip.code !== 0) {
            throw new UserError(
                `The program's requirements.txt installs ${dirs.join(", ")}, and pip could not install ${dirs.length > 1 ? "them" : "it"} for the preview: ${oneLine(tail(pip.stdout + pip.stderr, 4))}. Check the folder builds (pip install ${dirs[0]}), or give the program its own virtualenv with its requirements installed (Pulumi.yaml runtime.options.virtualenv).`,
            );
        }
    });
}

/** The tools folder's virtualenv with pulumi and pulumi-aws at `pins`, created with the machine's python3 on first use. */
export async function sdkVirtualenv(pins: { pulumi: string; aws: string }, say: (m: string) => void): Promise<string> {
    const target = path.join(defaultToolsDir(), "python-sdk", `pulumi-${pins.pulumi}-aws-${pins.aws}`);
    const packages = [`pulumi==${pins.pulumi}`, `pulumi-aws==${pins.aws}`];
    return installFolder(target, async (temp) => {
        say(`installing the Pulumi Python SDK (${packages.join(", ")} from PyPI) for Python programs, once`);
        const made = await run("python3", ["-m", "venv", temp]).catch((e: Error) => ({ code: -1, stdout: "", stderr: e.message }));
        if (made.code !== 0) {
            throw new UserError(
                `Previewing a Python program needs Python 3 with its venv module on this machine (to install the Pulumi Python SDK into a virtualenv), and \`python3 -m venv\` failed: ${oneLine(tail(made.stdout + made.stderr, 3))}. Install Python 3 (with python3-venv on Debian/Ubuntu), or give the program its own virtualenv with the Pulumi SDK (Pulumi.yaml runtime.options.virtualenv).`,
            );
        }
        const pip = await run(venvPython(temp), ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet", ...packages]);
        if (pip.code !== 0) {
            throw new UserError(
                `Previewing a Python program needs the Pulumi Python SDK (${packages.join(", ")}), and installing it from PyPI failed: ${oneLine(tail(pip.stdout + pip.stderr, 4))}. Check the network or your index settings (PIP_INDEX_URL), or give the program its own virtualenv with the Pulumi SDK (Pulumi.yaml runtime.options.virtualenv).`,
            );
        }
    });
}

/**
 * The language host's shim (`pulumi-language-python-exec`), for the SDK in the program's interpreter:
 * config from the environment, the settings from the arguments, the program run by runpy inside
 * `run_in_stack` on a fresh event loop with `parallel` worker threads, an error logged through the engine.
 * Exit 32 means the user was told (as the shim's).
 */
const EXEC_SHIM = `
import argparse, asyncio, logging, os, runpy, sys, traceback
from concurrent.futures import ThreadPoolExecutor
try:
    import pulumi, pulumi.runtime
except ImportError:
    sys.stderr.write("lambda-python-preview: no-pulumi-sdk " + sys.executable + "\\n")
    sys.exit(3)
ap = argparse.ArgumentParser()
for flag in ("project", "stack", "parallel", "dry_run", "pwd", "monitor", "engine", "organization", "root_directory"):
    ap.add_argument("--" + flag)
ap.add_argument("PROGRAM")
args = ap.parse_args()
pulumi.runtime.set_all_config(pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env())
settings = pulumi.runtime.Settings(monitor=args.monitor, engine=args.engine, project=args.project, stack=args.stack,
    parallel=int(args.parallel), dry_run=args.dry_run == "true", organization=args.organization, root_directory=args.root_directory)
pulumi.runtime.configure(settings)
sys.argv = [args.PROGRAM]
os.chdir(args.pwd)
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
loop.set_default_executor(ThreadPoolExecutor(max_workers=max(settings.parallel or 1, 1)))
logging.getLogger("asyncio").setLevel(logging.CRITICAL)
code = 32
try:
    loop.run_until_complete(pulumi.runtime.run_in_stack(lambda: runpy.run_path(args.PROGRAM, run_name="__main__")))
    code = 0
except pulumi.RunError as e:
    pulumi.log.error(str(e))
except Exception:
    pulumi.log.error("Program failed with an unhandled exception:\\n" + traceback.format_exc())
finally:
    loop.close()
    sys.stdout.flush()
    sys.stderr.flush()
sys.exit(code)
`;

/** What the shim prints (exit 3) when the interpreter it was given has no Pulumi SDK. */
export const NO_SDK_MARKER = "lambda-python-preview: no-pulumi-sdk ";

/** The command line of the shim, as the language host builds it. */
export function shimArguments(o: { monitor: string; project: string; stack: string; organization: string; programDir: string; main: string; parallel: number }): string[] {
    return [
        "-u",
        "-c",
        EXEC_SHIM,
        ...["--monitor", o.monitor, "--engine", o.monitor, "--project", o.project, "--stack", o.stack, "--organization", o.organization],
        ...["--root_directory", o.programDir, "--pwd", o.programDir, "--dry_run", "true", "--parallel", String(o.parallel)],
        o.main,
    ];
}

/**
 * An error the shim logged, for people: a Python traceback becomes its last line (the exception) and
 * where: the last frame in the program's own files, and the frame that raised it when that is elsewhere.
 * Anything else (a RunError's message, pulumi.log.error) is kept as it is.
 */
export function formatTraceback(message: string, programDir: string): string {
    const text = message.replace(/^Program failed with an unhandled exception:\n/, "");
    if (!/^Traceback \(most recent call last\):/m.test(text)) return message.trim();
    const lines = text.trimEnd().split("\n");
    // The exception: the lines after the last frame's source line (a multi-line message stays whole).
    let last = lines.length - 1;
    while (last > 0 && !/^\s/.test(lines[last - 1]) && !lines[last - 1].startsWith("Traceback")) last--;
    // The SDK wraps an error raised while it serializes an input (once per level of nesting), as the Node.js SDK does.
    const exception = lines
        .slice(last)
        .join(" ")
        .trim()
        .replace(/^Exception: (error serializing property "[^"]*": )+/, "Exception: ")
        .replace(/^Exception: /, "");
    const frames = [...text.matchAll(/^\s+File "([^"]+)", line (\d+), in (.+)$/gm)].map((m) => ({ file: m[1], line: m[2], fn: m[3] }));
    const own = (f: string) => path.isAbsolute(f) && f.startsWith(programDir + path.sep) && !/[\\/](site-packages|venv|\.venv)[\\/]/.test(f);
    // Frames of the Pulumi SDK itself (its RPCs) or of the shim ("<string>") say nothing to the user.
    const sdk = (f: string) => !path.isAbsolute(f) || /[\\/]site-packages[\\/]pulumi[\\/]/.test(f) || /[\\/](asyncio|runpy)[\\/.]/.test(f);
    const shown = (f: { file: string; line: string }) => `${own(f.file) ? path.relative(programDir, f.file) : f.file}:${f.line}`;
    const mine = [...frames].reverse().find((f) => own(f.file));
    const raised = frames[frames.length - 1];
    const elsewhere = raised && raised !== mine && !sdk(raised.file) ? raised : undefined;
    const where = [mine && shown(mine), elsewhere && `raised in ${shown(elsewhere)}`].filter(Boolean).join("; ");
    return where ? `${exception} (${where})` : exception;
}

/** What to do about a module the program imports and its interpreter lacks, or undefined. */
export function missingModuleHint(error: string, launch: PythonLaunch): string | undefined {
    const name = /ModuleNotFoundError: No module named '([^'.]+)/.exec(error)?.[1];
    if (!name) return undefined;
    if (name === "pulumi_lambda_python")
        return `pulumi_lambda_python is this package's Python SDK: generate it into the program with \`pulumi package add <path or git URL of pulumi-lambda-python>\` and install it into the program's virtualenv (pip install -r requirements.txt); the preview runs on ${launch.python}.`;
    return `the program imports ${name}, which ${launch.python} does not have; install the program's requirements into its virtualenv (python -m venv venv && venv/bin/pip install -r requirements.txt) and preview again.`;
}
