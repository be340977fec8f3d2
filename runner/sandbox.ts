// Lambda's execution environment without Docker: the bubblewrap command the
// emulator starts as its bootstrap, and the environment variables Lambda
// sets. Inside the sandbox:
//
//   /             the Debian root with the target's CPython (read-only)
//   /var/task     the function (read-only)
//   /opt          the layers, merged in order (read-only)
//   /var/runtime  awslambdaric, on sys.path after the runtime's own files (read-only)
//   /tmp          a writable tmpfs of Lambda's default 512 MB
//
// The function runs with Lambda's sandbox user ids (sbx_user1051: 993/990) in
// a user namespace of its own, in its own PID namespace, killed with the
// emulator. An arm64 function on an x86_64 machine (or the reverse) runs
// through the pinned qemu (target-python/qemu.ts), bound into the root and named on the
// command line (not through the host's binfmt_misc); its bytecode is compiled
// before its first start and mounted read-only (target-python/bytecode.ts), because
// compiling under qemu is what makes emulated cold starts slow.
import * as path from "path";
import { Architecture } from "../policies/target";
import { HOST_FILES, MOUNT_POINTS } from "../target-python/debian-root";
import { hostArchitecture, which } from "../target-python/host";
import { qemuPath } from "../target-python/qemu";
import lambdaEnv from "./lambda-environment.json";

/** Lambda's sandbox user and group (sbx_user1051). */
const LAMBDA_UID = 993;
const LAMBDA_GID = 990;

export interface SandboxPlan {
    root: string;
    task: string;
    opt: string;
    runtimeClient: string;
    /** e.g. "python3.13": the Debian interpreter that runs the function. */
    interpreter: string;
    architecture: Architecture;
    handler: string;
    /** The resolv.conf to show (network.ts); default this machine's. */
    resolvConf?: string;
    /** Emulated functions: the bytecode of the function (var/task, opt) and of the runtime client, mounted read-only in the prefix. */
    bytecode?: { function: string; runtimeClient: string };
    /** The handler's timeout: the deadline the function sees runs from the moment it takes the event. */
    handlerTimeoutMs: number;
    /** Start under debugpy (its files at `debugpy`), listening on `port`, and wait for a debugger before the init. */
    debug?: { port: number; debugpy: string };
    /** Run CPython with `-X importtime` and mark where the handler's module is imported (init-profile.ts). */
    profileInit?: boolean;
}

/** Where debugpy is mounted when debugging: in the sandbox's /tmp, not in the function's or the runtime's folders. */
const DEBUGPY_MOUNT = "/tmp/.lambda-python-debugpy";
/** What the function prints once debugpy listens (the port follows): a debugger can attach from then on. */
export const DEBUG_LISTENING = "lambda-python: debugpy listens on port";

/**
 * With `profileInit`, CPython's `-X importtime` lines ("import time: self [us] | cumulative | imported package")
 * go to the runtime's stderr, and the launcher frames the import of the handler's module (awslambdaric's
 * `bootstrap._get_handler`) with two lines of the same shape, written straight to file descriptor 2 as CPython
 * writes its own: BEGIN, then END followed by "done" or "failed" and the microseconds it took. They are needed:
 * `_get_handler` imports the module with `importlib.import_module`, which runs importlib's Python code and not the
 * C import that `-X importtime` times, so the handler's module has no line of its own (what it imports does).
 */
export const IMPORT_TIME_BEGIN = "import time: lambda-python: begin";
export const IMPORT_TIME_END = "import time: lambda-python: end";

/**
 * What `python -m awslambdaric <handler>` does, with the deadline Lambda
 * gives: the emulator's deadline (Lambda-Runtime-Deadline-Ms) runs from the
 * invoke and includes a backstop past the init, where Lambda's runs from the
 * moment the handler gets the event, for the function's timeout (the init has
 * a limit of its own; index.ts). So the runtime client's request is given the
 * earlier of the two. The emulator's AWS_LAMBDA_FUNCTION_TIMEOUT, its own
 * setting, is not one of Lambda's variables and is taken out. Then
 * awslambdaric runs as -m runs it: sys.path[0] the working folder
 * (/var/task), sys.argv [its __main__, handler]. With a debug port, debugpy
 * (mounted at DEBUGPY_MOUNT, last on sys.path) listens on it with its
 * adapter in this process (no subprocess, which under qemu would not run)
 * and the init waits until a debugger has attached and configured. With the
 * profile flag, awslambdaric's bootstrap is imported first (its __main__ would
 * import it anyway) and its _get_handler framed (IMPORT_TIME_BEGIN/END).
 */
const LAUNCHER = `import os, sys, time
sys.path[0] = os.getcwd()
handler_ms = int(sys.argv.pop(1))
debug_port = int(sys.argv.pop(1))
profile_init = sys.argv.pop(1) == "1"
if debug_port:
    sys.path.append("${DEBUGPY_MOUNT}")
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    import debugpy
    debugpy.listen(("0.0.0.0", debug_port), in_process_debug_adapter=True)
    print(f"${DEBUG_LISTENING} {debug_port}: attach a debugger (the function waits for one before its init)", flush=True)
    debugpy.wait_for_client()
os.environ.pop("AWS_LAMBDA_FUNCTION_TIMEOUT", None)
from awslambdaric import lambda_runtime_client as client
def wait_next_invocation(self, wait=client.LambdaRuntimeClient.wait_next_invocation):
    request = wait(self)
    deadline = int(time.time() * 1000) + handler_ms
    if request.deadline_time_in_ms is None or int(request.deadline_time_in_ms) > deadline:
        request.deadline_time_in_ms = deadline
    return request
client.LambdaRuntimeClient.wait_next_invocation = wait_next_invocation
if profile_init:
    from awslambdaric import bootstrap
    def _get_handler(handler, get=bootstrap._get_handler):
        os.write(2, b"${IMPORT_TIME_BEGIN}\\n")
        start, outcome = time.perf_counter(), "failed"
        try:
            found = get(handler)
            outcome = "done"
            return found
        finally:
            os.write(2, f"${IMPORT_TIME_END} {outcome} {round((time.perf_counter() - start) * 1e6)}\\n".encode())
    bootstrap._get_handler = _get_handler
import runpy
runpy.run_module("awslambdaric", run_name="__main__", alter_sys=True)
`;

/** The bootstrap command line: bwrap with Lambda's mounts, then the runtime client. */
export function bootstrapCommand(plan: SandboxPlan): string[] {
    const bwrap = which("bwrap")!;
    const args = [
        bwrap,
        "--ro-bind",
        plan.root,
        "/",
        "--ro-bind",
        plan.task,
        `/${MOUNT_POINTS.task}`,
        "--ro-bind",
        plan.opt,
        `/${MOUNT_POINTS.opt}`,
        "--ro-bind",
        plan.runtimeClient,
        `/${MOUNT_POINTS.runtime}`,
        ...HOST_FILES.flatMap((f) => ["--ro-bind-try", f === "etc/resolv.conf" && plan.resolvConf ? plan.resolvConf : `/${f}`, `/${f}`]),
        "--size",
        String(lambdaEnv.defaults.tmpBytes),
        "--tmpfs",
        "/tmp",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--unshare-user",
        "--uid",
        String(LAMBDA_UID),
        "--gid",
        String(LAMBDA_GID),
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--chdir",
        `/${MOUNT_POINTS.task}`,
        ...(plan.bytecode ? bytecodeMounts(plan.bytecode) : []),
        ...(plan.debug ? ["--ro-bind", plan.debug.debugpy, DEBUGPY_MOUNT] : []),
    ];
    const python = `/usr/bin/${plan.interpreter}`;
    // Under a debugger, Python's frozen standard modules would hide their sources from breakpoints.
    const client = [
        python,
        ...(plan.debug ? ["-X", "frozen_modules=off"] : []),
        ...(plan.profileInit ? ["-X", "importtime"] : []),
        "-c",
        LAUNCHER,
        String(plan.handlerTimeoutMs),
        String(plan.debug?.port ?? 0),
        plan.profileInit ? "1" : "0",
        plan.handler,
    ];
    if (plan.architecture === hostArchitecture()) return [...args, "--", ...client];
    return [...args, "--ro-bind", qemuPath(plan.architecture), `/${MOUNT_POINTS.qemu}`, "--", `/${MOUNT_POINTS.qemu}`, "-L", "/", ...qemuCpu(plan.architecture), ...client];
}

/** The prefix's parts that are not in the root, read-only like the rest (target-python/bytecode.ts). */
function bytecodeMounts(b: { function: string; runtimeClient: string }): string[] {
    const at = (m: string) => `/${MOUNT_POINTS.bytecode}/${m}`;
    return [...["--ro-bind", path.join(b.function, MOUNT_POINTS.task), at(MOUNT_POINTS.task)], ...["--ro-bind", path.join(b.function, MOUNT_POINTS.opt), at(MOUNT_POINTS.opt)], ...["--ro-bind", b.runtimeClient, at(MOUNT_POINTS.runtime)]];
}

/**
 * The processor qemu presents. For arm64, Neoverse N1 (AWS Graviton2, the
 * processor Lambda's arm64 launched on and the oldest it may run a function
 * on) rather than qemu's default "max", every feature qemu knows (SVE, SME,
 * …): code that picks its kernels by CPU feature (numpy, OpenBLAS) then takes
 * the paths it can take on any Lambda arm64 machine, and its cold start under
 * qemu is ~20% shorter (numpy-arm64: 1.3 s instead of 1.7 s). x86_64 under
 * qemu (an arm64 host) keeps qemu's default, "max": measured with the pinned
 * qemu-x86_64, numpy 2.4.6 sees x86-64-v3 (AVX2, FMA, BMI2) and no AVX-512,
 * which any x86_64 Lambda machine offers; "qemu64" would be wrong the other
 * way (numpy 2.4's x86-64-v2 baseline dies on SIGILL).
 */
function qemuCpu(architecture: string): string[] {
    return architecture === "arm64" ? ["-cpu", "neoverse-n1"] : [];
}

export interface EnvironmentInputs {
    functionName: string;
    runtime: string;
    interpreter: string;
    handler: string;
    memoryMB: number;
    timeoutSeconds: number;
    region: string;
    user: Record<string, string>;
    /** Set PYTHONPYCACHEPREFIX to the bytecode cache's mount point. */
    bytecodeCache?: boolean;
}

function logStreamName(): string {
    const d = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
    const hex = [...Array(32)].map(() => Math.floor(Math.random() * 16).toString(16)).join("");
    return `${d}/[$LATEST]${hex}`;
}

/**
 * The emulator's environment, which it passes on to the bootstrap: what
 * Lambda sets for a Python function, the user's variables, and the
 * emulator's own settings (timeout, memory). Nothing of this machine's
 * environment leaks in.
 */
export function lambdaEnvironment(e: EnvironmentInputs): Record<string, string> {
    const [, minor] = e.interpreter.replace("python", "").split(".");
    return {
        ...lambdaEnv.unreserved,
        // The Debian root has no en_US locale; C.UTF-8 gives the same UTF-8 behaviour without a warning.
        LANG: "C.UTF-8",
        PYTHONPATH: `/opt/python/lib/python3.${minor}/site-packages:/opt/python`,
        ...(e.bytecodeCache ? { PYTHONPYCACHEPREFIX: `/${MOUNT_POINTS.bytecode}` } : {}),
        ...e.user,
        _HANDLER: e.handler,
        AWS_EXECUTION_ENV: `AWS_Lambda_${e.runtime}`,
        AWS_REGION: e.region,
        AWS_DEFAULT_REGION: e.region,
        AWS_LAMBDA_FUNCTION_NAME: e.functionName,
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(e.memoryMB),
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(e.timeoutSeconds),
        AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${e.functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(),
        LAMBDA_TASK_ROOT: `/${MOUNT_POINTS.task}`,
        LAMBDA_RUNTIME_DIR: `/${MOUNT_POINTS.runtime}`,
    };
}
