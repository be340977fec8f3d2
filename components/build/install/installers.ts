// The two installers we drive, pip and uv, told to install for the Lambda
// target rather than for this machine. Finding them, naming their versions
// (part of the install cache key) and building their command lines.
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../../errors";
import { run, RunResult } from "../../process";
import { LambdaTarget, manylinuxPlatformTags, pythonTag, uvPythonPlatform } from "../../../policies/target";

export type InstallerChoice = "auto" | "pip" | "uv";

export interface InstallRequest {
    requirementsFile: string;
    target: LambdaTarget;
    siteDir: string;
    /** Folders of wheels we built ourselves (pure-Python sdists). */
    findLinks: string[];
    /** Passed through: --index-url, --extra-index-url, --find-links, … */
    extraArgs: string[];
}

export interface Installer {
    name: "pip" | "uv";
    version: string;
    /** Everything about the installer that can change what it installs. */
    identity: Record<string, string>;
    install(req: InstallRequest, onLine?: (line: string) => void): Promise<RunResult>;
}

export interface HostPython {
    command: string;
    version: string;
    pipVersion?: string;
}

const pythonInfo = new Map<string, Promise<HostPython>>();

/** The Python that runs pip (and builds pure-Python sdists). */
export function hostPython(command = "python3"): Promise<HostPython> {
    let info = pythonInfo.get(command);
    if (!info) {
        info = (async () => {
            const script = "import sys\nprint('%d.%d.%d' % sys.version_info[:3])\ntry:\n import pip; print(pip.__version__)\nexcept Exception:\n print('')";
            let r: RunResult;
            try {
                r = await run(command, ["-c", script]);
            } catch {
                throw new UserError(`Python was not found as "${command}". Installing dependencies needs Python 3 with pip on this machine; install it or pass the interpreter to use (python option, --python).`);
            }
            if (r.code !== 0) throw new UserError(`"${command}" did not run as a Python interpreter: ${r.stderr.trim()}`);
            const [version, pipVersion] = r.stdout.split(/\r?\n/);
            return { command, version, pipVersion: pipVersion || undefined };
        })();
        pythonInfo.set(command, info);
        info.catch(() => pythonInfo.delete(command));
    }
    return info;
}

export async function pipInstaller(pythonCommand?: string): Promise<Installer> {
    const py = await hostPython(pythonCommand);
    if (!py.pipVersion) throw new UserError(`pip is not installed for ${py.command} (Python ${py.version}). Install it (${py.command} -m ensurepip) or install uv.`);
    return {
        name: "pip",
        version: py.pipVersion,
        // pip evaluates environment markers with the host's Python, so the host's version matters too.
        identity: { installer: "pip", pip: py.pipVersion, hostPython: py.version, env: pipEnvironment() },
        install(req, onLine) {
            const [major, minor] = req.target.python;
            const args = [
                "-m", "pip", "install",
                "--target", req.siteDir,
                "--implementation", "cp",
                "--python-version", `${major}.${minor}`,
                "--abi", pythonTag(req.target),
                ...manylinuxPlatformTags(req.target).flatMap((t) => ["--platform", t]),
                "--only-binary=:all:",
                "--no-compile",
                "--no-input",
                "--disable-pip-version-check",
                "--no-warn-conflicts",
                "--no-warn-script-location",
                ...req.findLinks.flatMap((d) => ["--find-links", d]),
                ...req.extraArgs,
                "-r", req.requirementsFile,
            ];
            return run(py.command, args, { onLine });
        },
    };
}

export async function uvInstaller(uvCommand: string, pythonCommand?: string): Promise<Installer> {
    const r = await run(uvCommand, ["--version"]);
    const version = /uv (\S+)/.exec(r.stdout)?.[1];
    if (r.code !== 0 || !version) throw new UserError(`"${uvCommand} --version" failed: ${r.stderr.trim()}`);
    const py = await hostPython(pythonCommand).catch(() => undefined);
    return {
        name: "uv",
        version,
        identity: { installer: "uv", uv: version, env: uvEnvironment() },
        install(req, onLine) {
            const [major, minor] = req.target.python;
            const args = [
                "pip", "install",
                "--target", req.siteDir,
                "--python-platform", uvPythonPlatform(req.target),
                "--python-version", `${major}.${minor}`,
                "--only-binary", ":all:",
                "--no-progress",
                ...(py ? ["--python", py.command] : []),
                ...req.findLinks.flatMap((d) => ["--find-links", d]),
                ...req.extraArgs,
                "-r", req.requirementsFile,
            ];
            return run(uvCommand, args, { onLine, env: { ...process.env, UV_PYTHON_DOWNLOADS: "never", UV_COMPILE_BYTECODE: "0" } });
        },
    };
}

/** uv from the option, LAMBDA_PYTHON_UV, PATH, or the tools folder `lambda-python setup` fills. */
export async function findUv(explicit: string | undefined, toolsDir: string): Promise<string | undefined> {
    const candidates = [explicit, process.env.LAMBDA_PYTHON_UV, "uv", path.join(toolsDir, "venv", "bin", "uv")].filter((c): c is string => !!c);
    for (const c of candidates) {
        if (c.includes("/") && !fs.existsSync(c)) continue;
        try {
            const r = await run(c, ["--version"]);
            if (r.code === 0) return c;
        } catch {
            // not installed under this name
        }
    }
    if (explicit) throw new UserError(`uv was not found at "${explicit}".`);
    return undefined;
}

export async function chooseInstaller(choice: InstallerChoice, options: { python?: string; uv?: string; toolsDir: string }): Promise<Installer> {
    if (choice === "pip") return pipInstaller(options.python);
    const uv = await findUv(options.uv, options.toolsDir);
    if (uv) return uvInstaller(uv, options.python);
    if (choice === "uv") throw new UserError("installer uv was asked for but uv is not installed. Install it (pip install uv, or lambda-python setup) or use installer pip.");
    return pipInstaller(options.python);
}

/** Installer settings from the environment that change what gets installed. */
function pipEnvironment(): string {
    return envSubset(/^PIP_(INDEX_URL|EXTRA_INDEX_URL|FIND_LINKS|NO_INDEX|PRE|CONSTRAINT)$/);
}

function uvEnvironment(): string {
    return envSubset(/^UV_(INDEX_URL|EXTRA_INDEX_URL|DEFAULT_INDEX|INDEX|FIND_LINKS|NO_INDEX|PRERELEASE|CONSTRAINT|RESOLUTION|EXCLUDE_NEWER)$/);
}

function envSubset(pattern: RegExp): string {
    return Object.keys(process.env)
        .filter((k) => pattern.test(k))
        .sort()
        .map((k) => `${k}=${process.env[k]}`)
        .join("\n");
}
