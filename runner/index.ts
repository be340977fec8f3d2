// Running a Python Lambda function here the way Lambda runs it: the official
// Runtime Interface Emulator, driving awslambdaric in a bubblewrap sandbox
// whose root is a Debian CPython for the function's runtime and architecture.
// See DESIGN.md beside this file for the pipeline and what differs from Lambda.
import * as fs from "fs";
import * as path from "path";
import { describeFsError, UserError } from "../shared/errors";
import { Finding } from "../policies/rules";
import { Architecture, isArchitecture, parsePythonRuntime } from "../policies/target";
import { compileBytecode, functionBytecode } from "../target-python/bytecode";
import { checkedFoldersDir, describeCacheWriteError, emptyOpt, extracted, extractionCacheDir, inspectArchive, inspectCode, sweepExtractions } from "./code";
import { ensureRoot, MOUNT_POINTS, rootDir } from "../target-python/debian-root";
import { EmulatorProcess, freePort, InvokeTiming, PreparedNetwork, RawInvoke, startEmulator } from "./emulator";
import { ensureHostCapabilities, hostArchitecture } from "../target-python/host";
import { chooseInterpreter } from "./interpreter";
import { cannotLoad, REFUSED } from "./load-check";
import { FunctionNetwork, sandboxResolvConf, startNetwork } from "./network";
import { ensureQemu, qemuPath } from "../target-python/qemu";
import { bootstrapCommand, DEBUG_LISTENING, lambdaEnvironment, SandboxPlan } from "./sandbox";
import { DebugRelay, startDebugRelay } from "./debug";
import { emulatorPath, ensureDebugpy, ensureEmulator, ensureRuntimeClient, runtimeClientBytecodeDir, runtimeClientDir } from "./tools";
import lambdaEnv from "./lambda-environment.json";
import limits from "../policies/data/lambda-limits.json";
import { checkEnvironmentLimits, isReservedEnvironmentName, isValidEnvironmentName } from "../policies/rules/environment-limits";
import { checkLayerCount as layerCountRule, layerCountDefaults } from "../policies/rules/layer-count";
import { withCommas } from "../policies/rules/format";
import { buildInitProfile, IMPORT_TIME_LINE, InitProfile } from "./init-profile";

export type { Architecture } from "../policies/target";
export type { ImportNode, InitProfile, PackageInfo, SlowImport } from "./init-profile";
export { formatInitProfile } from "./init-profile";

export interface FunctionSpec {
    /** A function .zip, or a folder already laid out as /var/task. */
    code: string;
    /** Layer .zip files, merged in order at /opt (a later layer's file wins, as on Lambda). */
    layers?: string[];
    /** "module.function" (the module may be a dotted or slashed path). */
    handler: string;
    /** e.g. "python3.13". */
    runtime: string;
    architecture: Architecture;
    /** @default 3 (Lambda's default) */
    timeoutSeconds?: number;
    /** @default 128 */
    memoryMB?: number;
    environment?: Record<string, string>;
    /** @default derived from the zip or folder name */
    functionName?: string;
}

/** A function error as Lambda's error document has it. */
export interface InvokeError {
    errorType: string;
    errorMessage: string;
    stackTrace?: string[];
}

/** What every invoke's result tells, whether the function succeeded or failed. */
interface InvokeDetails {
    /** The raw response body the emulator returned. */
    payload: string;
    /** The failure or timeout came before the handler was called: in the function's init (its imports). */
    duringInit?: boolean;
    /**
     * The init outlasted Lambda's init limit (10 s, `INIT_SECONDS`). Lambda then retries the init with the invoke,
     * counted in the function's timeout, as was done here: `timedOut` and `duringInit` say how that retry ended.
     */
    initTimedOut?: boolean;
    /** The function's timeout, in seconds, as configured (the handler's, apart from its init). */
    timeoutSeconds?: number;
    durationMs: number;
    /**
     * Set on a cold start (the runtime was started for this invoke): how long its init took — the runtime's start
     * and the handler module's imports, Lambda's "Init Duration" — as the emulator reports it.
     */
    initDurationMs?: number;
    /** How long the handler ran, apart from the init (unset when the handler was never called). */
    handlerDurationMs?: number;
    /** With `profileInit`, on a cold start: where the init's time went, import by import (init-profile.ts). */
    initProfile?: InitProfile;
    /** What the function printed during this invoke. */
    logs: string;
    /** The Debian CPython that ran it, e.g. "python3.13": another minor version than the runtime when Debian has none for it. */
    interpreter: string;
}

/** The handler returned: `payload` is its response. */
export interface InvokeSuccess extends InvokeDetails {
    ok: true;
    timedOut: false;
    /** Never set on a success (declared so that `result.error?.…` reads either kind). */
    error?: undefined;
    cannotLoad?: undefined;
}

/** A function error, a timeout, a runtime that died, or a function Lambda could not load: `error` says which. */
export interface InvokeFailure extends InvokeDetails {
    ok: false;
    /** A timeout: `error` is Lambda's Sandbox.Timedout, with its sentence. */
    timedOut: boolean;
    error: InvokeError;
    /** Why Lambda could not load the function (the policy pack's findings): it was not run. */
    cannotLoad?: Finding[];
}

/** An invoke's outcome: `ok` tells a success (the handler's response) from a failure (with its `error`). */
export type InvokeResult = InvokeSuccess | InvokeFailure;

/** What the emulator's answer alone says of an invoke (classifyInvoke), before its timings and logs. */
export type InvokeVerdict = Pick<InvokeSuccess, "ok" | "timedOut" | "payload" | "duringInit"> | Pick<InvokeFailure, "ok" | "timedOut" | "payload" | "duringInit" | "error">;

export interface WarmFunction {
    /** Invokes once; invokes queue up, one at a time, as on one Lambda execution environment. A JsonText is sent as written. */
    invoke(event: unknown): Promise<InvokeResult>;
    /** Stops the emulator and the sandbox. */
    close(): Promise<void>;
    /** Things that differ from Lambda for this function (e.g. a substitute interpreter). */
    warnings: string[];
    /** The Debian CPython that runs it, e.g. "python3.13". */
    interpreter: string;
    /** Set when Lambda could not load the function (the policy pack's findings): every invoke fails without running it. */
    cannotLoad?: Finding[];
}

export interface StartOptions {
    /** Each line the function prints, as it prints it. */
    onLog?: (text: string) => void;
    /** Progress while tools are installed (first use of a runtime). */
    onProgress?: (message: string) => void;
    /**
     * Run the function under debugpy, listening on this port of this machine's loopback: each cold start waits
     * for a debugger (Debug Adapter Protocol) to attach before the init, and neither the init limit nor the
     * timeout stops a function while it is being debugged (as sam local invoke -d).
     */
    debugPort?: number;
    /**
     * Emulated functions (the other architecture, under qemu): compile the function's code and layers to bytecode
     * before the first start (default true), into a prefix where Python looks for it (target-python/bytecode.ts), with the
     * archive's own `__pycache__` laid over it. On Lambda, /var/task and /opt are read-only: a module without
     * matching bytecode in the archive is compiled in memory at every cold start. `false` runs the function that
     * way, as on this machine's architecture (where the code is never compiled ahead): slower under qemu, but the
     * init it shows is the one Lambda pays (bench/bytecode.ts measures with it).
     */
    precompile?: boolean;
    /**
     * Profile each cold start's imports (CPython's `-X importtime`): the invoke's result carries `initProfile`. The
     * profile's lines are taken out of the function's logs.
     */
    profileInit?: boolean;
}

/** How long a debugged invoke may take, stepping included: the emulator needs some limit. */
const DEBUG_SECONDS = 12 * 3600;

export { DEBIAN_INTERPRETERS } from "../target-python/debian-root";

/** The Debian interpreter used for a runtime when no code is looked at (setup). */
export function interpreterFor(runtime: string): string {
    return chooseInterpreter(runtime, []).interpreter;
}

/**
 * Installs what running `runtime` on `architecture` needs, when missing: the
 * host's packages (bubblewrap, passt, debootstrap, dpkg), the emulator, the pinned
 * qemu for the other architecture, the Debian root and awslambdaric. Cheap
 * when everything is there.
 */
export async function ensureRunnerTools(target: { runtime: string; architecture: Architecture }, say: (m: string) => void = () => {}): Promise<void> {
    const interpreter = interpreterFor(target.runtime);
    const emulated = target.architecture !== hostArchitecture();
    // A foreign root's bytecode is compiled by the native root of the same interpreter, so both are needed.
    const haveRoots = [target.architecture, hostArchitecture()!].every((a) => fs.existsSync(rootDir(interpreter, a)));
    await ensureHostCapabilities({ roots: !haveRoots, qemu: emulated && !fs.existsSync(qemuPath(target.architecture)) }, say);
    await ensureEmulator(say);
    if (emulated) await ensureQemu(target.architecture, say);
    await ensureRoot(interpreter, target.architecture, say);
    // awslambdaric's bytecode, compiled by the host-architecture interpreter (bytecode is the same on both).
    const native = await ensureRoot(interpreter, hostArchitecture()!, say);
    await ensureRuntimeClient(interpreter, target.architecture, (dir) => compileBytecode(native, interpreter, ["--bind", dir, `/${MOUNT_POINTS.runtime}`], [`/${MOUNT_POINTS.runtime}`]), say);
}

// ------------------------------------------------------------------ validation

/** Lambda's limit on a function's init phase (its handler module's imports), apart from the function's timeout. */
export const INIT_SECONDS: number = lambdaEnv.defaults.initSeconds;

const HANDLER = /^[A-Za-z_][\w]*([./][A-Za-z_][\w]*)*\.[A-Za-z_]\w*$/;

function validate(spec: FunctionSpec): Required<Pick<FunctionSpec, "timeoutSeconds" | "memoryMB">> {
    const d = lambdaEnv.defaults;
    if (!HANDLER.test(spec.handler)) {
        throw new UserError(`handler "${spec.handler}" is not of the form module.function (e.g. lambda_function.lambda_handler, or package.module.function).`);
    }
    if (!parsePythonRuntime(spec.runtime)) throw new UserError(`runtime "${spec.runtime}" is not a Python runtime; use one such as python3.13.`);
    if (!isArchitecture(spec.architecture)) throw new UserError(`architecture "${spec.architecture}" must be x86_64 or arm64.`);
    const timeoutSeconds = spec.timeoutSeconds ?? d.timeoutSeconds;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > limits.timeoutSeconds) {
        throw new UserError(`timeout ${spec.timeoutSeconds} is not a whole number of seconds from 1 to ${limits.timeoutSeconds} (Lambda's range).`);
    }
    const memoryMB = spec.memoryMB ?? d.memoryMB;
    if (!Number.isInteger(memoryMB) || memoryMB < limits.minMemoryMB || memoryMB > limits.maxMemoryMB) {
        throw new UserError(`memory ${spec.memoryMB} MB is outside Lambda's range, ${limits.minMemoryMB} to ${limits.maxMemoryMB} MB.`);
    }
    checkLayerCount(spec.layers ?? []);
    for (const name of Object.keys(spec.environment ?? {})) {
        // The policy pack's rule (environment-limits) decides; the runner words it for one variable.
        if (!isValidEnvironmentName(name)) throw new UserError(`environment variable name "${name}" is not allowed: Lambda wants a letter, then at least one more letter, digit or underscore.`);
        if (isReservedEnvironmentName(name)) throw new UserError(`environment variable ${name} is reserved: Lambda sets it and refuses it in a function's configuration.`);
    }
    // The rest of what Lambda refuses at deploy (the 4 KB total), by the policy pack's rule.
    const refused = checkEnvironmentLimits(
        "the function",
        Object.entries(spec.environment ?? {}).map(([name, value]) => ({ name, value })),
    ).find((f) => f.level === "mandatory");
    if (refused) throw new UserError(refused.message);
    return { timeoutSeconds, memoryMB };
}

/** Lambda's quota on a function's layers: the policy pack's lambda-layer-count rule decides, the runner words its finding for the layers given. */
export function checkLayerCount(layers: string[]): void {
    if (layerCountRule("the function", layers.length).length) {
        throw new UserError(`${layers.length} layers given; a Lambda function can use at most ${layerCountDefaults.maxLayers}. Merge some of them into one layer (lambda-python build --kind layer with their requirements together).`);
    }
}

/** Lambda's limit on a synchronous invoke's payload, in bytes of JSON. */
export const MAX_PAYLOAD_BYTES: number = limits.invokePayloadBytes;

/**
 * An event given as JSON text, sent as it is: Lambda receives the payload's
 * bytes, so a number JavaScript cannot hold exactly or a list nested deeper
 * than its JSON writer can go reaches the function as written.
 */
export class JsonText {
    constructor(readonly text: string) {}
}

/** The event as the JSON Lambda receives, refused past the synchronous invoke's payload limit. */
export function eventPayload(event: unknown): string {
    let payload: string;
    try {
        payload = event instanceof JsonText ? event.text : JSON.stringify(event === undefined ? {} : event);
    } catch (e) {
        // JSON.stringify recurses: a structure nested some thousands deep overflows its stack (RangeError).
        throw new UserError(`the event cannot be written as JSON: ${(e as Error).message}. Pass it as JSON text (a file, or new JsonText(text)) to send it as it is.`);
    }
    const bytes = Buffer.byteLength(payload);
    if (bytes > MAX_PAYLOAD_BYTES) {
        // Lambda refuses it (RequestEntityTooLargeException); the emulator would cut it short instead.
        throw new UserError(`the event is ${withCommas(bytes)} bytes as JSON; Lambda refuses a synchronous invoke's payload over ${withCommas(MAX_PAYLOAD_BYTES)} bytes (6 MB). Send a smaller event, or pass a reference to the data (e.g. an S3 key).`);
    }
    return payload;
}

function defaultName(code: string): string {
    const base = path.basename(path.resolve(code)).replace(/\.zip$/i, "");
    return base.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64) || "function";
}

function isFolder(p: string, what: string): boolean {
    try {
        return fs.statSync(p).isDirectory();
    } catch (e) {
        throw describeFsError(e, p, what);
    }
}

/**
 * What an archive shows about its target, for defaults: the CPython version
 * its extension modules were built for, and the instruction set of its
 * shared objects (each only when there is exactly one).
 */
export function detectTarget(code: string): { runtime?: string; architecture?: Architecture } {
    const facts = inspectCode(path.resolve(code), isFolder(code, "function code") ? "function folder" : "function archive");
    const versions = new Set(facts.files.map((f) => /\.cpython-3(\d+)t?-[^/]*\.so$/.exec(f.name)?.[1]).filter((v): v is string => !!v));
    const arches = facts.nativeArchitectures.filter(isArchitecture);
    return {
        runtime: versions.size === 1 ? `python3.${[...versions][0]}` : undefined,
        architecture: arches.length === 1 ? arches[0] : undefined,
    };
}

// ------------------------------------------------------------------ results

const TIMEOUT = /^Task timed out after ([\d.]+) seconds$/;
const ERROR_KEYS = new Set(["errorMessage", "errorType", "requestId", "stackTrace", "cause"]);

/**
 * The emulator answers a function error with Lambda's error document
 * ({errorType, errorMessage, stackTrace, requestId}) and a timeout with a
 * plain sentence; it sets no error header, so the shape decides.
 */
export function classifyResponse(body: string): Pick<InvokeSuccess, "ok" | "timedOut"> | Pick<InvokeFailure, "ok" | "timedOut" | "error"> {
    const t = TIMEOUT.exec(body.trim());
    if (t) return { ok: false, timedOut: true, error: { errorType: "Sandbox.Timedout", errorMessage: body.trim() } };
    try {
        const doc = JSON.parse(body);
        if (doc && typeof doc === "object" && !Array.isArray(doc) && typeof doc.errorType === "string" && typeof doc.errorMessage === "string" && Object.keys(doc).every((k) => ERROR_KEYS.has(k))) {
            const stackTrace = Array.isArray(doc.stackTrace) ? doc.stackTrace.map(String) : undefined;
            return { ok: false, timedOut: false, error: { errorType: doc.errorType, errorMessage: doc.errorMessage, stackTrace } };
        }
    } catch {
        // not JSON: a function may return anything
    }
    return { ok: true, timedOut: false };
}

/** Signals as Go (Lambda's runtime supervisor) names them: bwrap reports a runtime killed by signal N as exit status 128+N. */
const SIGNALS: Record<number, string> = { 4: "illegal instruction", 6: "aborted", 7: "bus error", 8: "floating point exception", 9: "killed", 11: "segmentation fault", 15: "terminated" };

/** The emulator's reason for a dead runtime, as Lambda words it ("exit status 139" is bwrap's way of saying SIGSEGV). */
function exitReason(message: string): string {
    return message.replace(/^(Runtime exited with error: )exit status (\d+)$/, (all, prefix: string, status: string) => {
        const signal = SIGNALS[Number(status) - 128];
        return signal ? `${prefix}signal: ${signal}` : all;
    });
}

/**
 * An invoke's outcome from the emulator's answer. A runtime that exits or
 * crashes (during init or during the handler) gets HTTP 502 and no body from
 * the emulator, which says why only in its log; Lambda answers such an invoke
 * with an error document, `{"errorType": "Runtime.ExitError", "errorMessage":
 * "RequestId: … Error: Runtime exited with error: exit status 1"}`, and so
 * does this.
 */
export function classifyInvoke(raw: Pick<RawInvoke, "status" | "body" | "requestId" | "failure" | "duringInit">): InvokeVerdict {
    const judged = classifyResponse(raw.body);
    const phase = judged.ok ? {} : { duringInit: raw.duringInit };
    if (raw.status === 200 || !judged.ok) return { ...judged, ...phase, payload: raw.body };
    const errorType = raw.failure?.errorType ?? "Runtime.Unknown";
    const errorMessage = `RequestId: ${raw.requestId ?? "unknown"} Error: ${exitReason(raw.failure?.message ?? `the Lambda emulator answered HTTP ${raw.status} without a reason`)}`;
    return { ok: false, timedOut: false, duringInit: raw.duringInit, error: { errorType, errorMessage }, payload: JSON.stringify({ errorType, errorMessage }) };
}

// ------------------------------------------------------------------ the API

export async function startFunction(spec: FunctionSpec, options: StartOptions = {}): Promise<WarmFunction> {
    const { timeoutSeconds, memoryMB } = validate(spec);
    const { layers, codeIsFolder, code, layerArchives } = inspectedArchives(spec);
    const choice = chooseInterpreter(spec.runtime, [{ label: spec.code, files: code.facts.files }, ...layerArchives.map((l) => ({ label: l.label, files: l.archive.facts.files }))]);
    const warnings = [...choice.warnings];
    // What Lambda could not load is not run here either, whatever Debian's CPython would tolerate.
    const refused = cannotLoad({ code, layers: layerArchives.map((l) => l.archive), runtime: spec.runtime, architecture: spec.architecture });
    if (refused.length) return refusedFunction(refused, choice.interpreter, warnings);
    const { emulated, clocks } = lambdaClocks(spec.architecture, timeoutSeconds, warnings);

    await ensureRunnerTools({ runtime: choice.interpreter, architecture: spec.architecture }, options.onProgress);
    const debug = options.debugPort === undefined ? undefined : { port: options.debugPort, debugpy: await ensureDebugpy(options.onProgress) };
    // The editor's port: a relay that holds a debugger until debugpy listens (debug.ts).
    const relay: DebugRelay | undefined = debug && (await startDebugRelay(debug.port));
    const onLog = (text: string) => {
        if (relay && text.startsWith(`${DEBUG_LISTENING} `)) relay.listening();
        options.onLog?.(text);
    };
    sweepExtractionsOnce();
    const networkDir = path.join(extractionCacheDir(), "net");
    const functionName = spec.functionName ?? defaultName(spec.code);
    // The helpers carry the function's name, as its other processes do (to be found, and stopped, by it).
    const network = (apiPort: number) => startNetwork(apiPort, networkDir, { PATH: process.env.PATH ?? "/usr/bin:/bin", AWS_LAMBDA_FUNCTION_NAME: functionName }, relay && debug && { hostPort: relay.innerPort, port: debug.port });
    // The first emulator's network is set up while the code is extracted and compiled: its port is chosen now.
    const firstApiPort = await freePort();
    const first: FirstNetwork = { prepared: { apiPort: firstApiPort, network: network(firstApiPort) } };
    const plan: StartPlan = { spec, options, timeoutSeconds, memoryMB, layers, codeIsFolder, interpreter: choice.interpreter, warnings, emulated, clocks, debug, relay, onLog, functionName, networkDir, network, first };
    try {
        return await finishStart(plan);
    } catch (e) {
        await relay?.close();
        throw e;
    } finally {
        first.prepared?.network.close(); // not used: startFunction failed before its emulator started
    }
}

/** The function's code (a .zip or a folder) and its layers' .zip files, read and inspected; a layer may not be a folder. */
function inspectedArchives(spec: FunctionSpec) {
    const layers = (spec.layers ?? []).map((l) => path.resolve(l));
    const codeIsFolder = isFolder(spec.code, "function code");
    const code = inspectArchive(path.resolve(spec.code), codeIsFolder ? "function folder" : "function archive");
    const layerArchives = layers.map((layer) => {
        if (isFolder(layer, "layer")) throw new UserError(`layer ${layer} is a folder; give the layer's .zip (lambda-python build --kind layer makes one).`);
        return { label: layer, archive: inspectArchive(layer, "layer archive") };
    });
    return { layers, codeIsFolder, code, layerArchives };
}

/** Lambda's two clocks, in seconds: the init's limit and the handler's timeout. */
interface Clocks {
    initSeconds: number;
    handlerSeconds: number;
}

/**
 * Lambda's two clocks: the init (the handler module's imports) has INIT_SECONDS of its own, the function's
 * timeout counts the handler only. The emulator would count a cold start's init in the first invoke's
 * timeout, so both are kept here (emulator.ts InvokeTiming). Under qemu everything is about ten times
 * slower, so an emulated function's limits are scaled (and a warning says so): there they only guard against hangs.
 */
function lambdaClocks(architecture: Architecture, timeoutSeconds: number, warnings: string[]): { emulated: boolean; clocks: Clocks } {
    const emulated = architecture !== hostArchitecture();
    const { emulationTimeFactor } = lambdaEnv.defaults;
    const scale = emulated ? emulationTimeFactor : 1;
    const clocks = { initSeconds: INIT_SECONDS * scale, handlerSeconds: timeoutSeconds * scale };
    if (emulated) {
        warnings.push(
            `${architecture} runs under qemu on this ${hostArchitecture()} machine, about ${emulationTimeFactor} times slower than on Lambda: its timeout becomes ${timeoutSeconds} s × ${emulationTimeFactor} = ${clocks.handlerSeconds} s (and Lambda's ${INIT_SECONDS} s init limit ${clocks.initSeconds} s), so here they only guard against hangs.`,
        );
    }
    return { emulated, clocks };
}

/** Extractions unused for two weeks are removed, once per process. */
let swept = false;

function sweepExtractionsOnce(): void {
    if (swept) return;
    swept = true;
    try {
        sweepExtractions();
    } catch (e) {
        throw describeCacheWriteError(e) ?? e;
    }
}

/** The first emulator's network, set up ahead; taken by the first emulator started (and closed by startFunction if none was). */
interface FirstNetwork {
    prepared?: PreparedNetwork;
}

/** What startFunction settled before the code is extracted and an emulator started. */
interface StartPlan {
    spec: FunctionSpec;
    options: StartOptions;
    timeoutSeconds: number;
    memoryMB: number;
    /** The layers' .zip files, absolute. */
    layers: string[];
    codeIsFolder: boolean;
    interpreter: string;
    warnings: string[];
    emulated: boolean;
    clocks: Clocks;
    debug?: { port: number; debugpy: string };
    relay?: DebugRelay;
    onLog: (text: string) => void;
    functionName: string;
    networkDir: string;
    network: (apiPort: number) => FunctionNetwork;
    first: FirstNetwork;
}

/** The code, layers and (emulated) bytecode as folders in the runner's cache. */
interface CachedFolders {
    task: string;
    opt: string;
    bytecode?: SandboxPlan["bytecode"];
}

/** The code, layers and (emulated) bytecode as folders in the runner's cache; a cache that cannot be written is named as such. */
async function cachedFolders({ spec, options, layers, codeIsFolder, emulated, interpreter }: StartPlan): Promise<CachedFolders> {
    try {
        const task = codeIsFolder ? path.resolve(spec.code) : await extracted([path.resolve(spec.code)], "task");
        const opt = layers.length ? await extracted(layers, "opt") : emptyOpt();
        if (!emulated || options.precompile === false) return { task, opt };
        const compiled = await functionBytecode(checkedFoldersDir("pyc"), {
            nativeRoot: rootDir(interpreter, hostArchitecture()!),
            interpreter,
            task,
            opt,
            mutable: codeIsFolder,
        });
        return { task, opt, bytecode: { function: compiled, runtimeClient: runtimeClientBytecodeDir(interpreter, spec.architecture) } };
    } catch (e) {
        throw describeCacheWriteError(e) ?? e;
    }
}

async function finishStart(plan: StartPlan): Promise<WarmFunction> {
    const folders = await cachedFolders(plan);
    const environment = new ExecutionEnvironment(plan, folders);
    await environment.start();
    return {
        warnings: plan.warnings,
        interpreter: plan.interpreter,
        invoke: (event: unknown) => environment.invoke(event),
        close: () => environment.close(),
    };
}

/**
 * One Lambda execution environment: an emulator running the function, which invokes queue on one at a time,
 * replaced by a new one after a timeout and, with the init and handler counted together, to retry an init
 * that outlasted its limit (as Lambda does).
 */
class ExecutionEnvironment {
    private emulator!: EmulatorProcess;
    /** Lambda's two clocks apart (the usual case), or one timeout for the init and handler together (an init's retry). */
    private separate = true;
    private closed = false;
    // One invoke at a time, as in one execution environment; queued here (not only in the emulator) so that
    // the emulator can be replaced between two invokes.
    private queue: Promise<unknown> = Promise.resolve();
    private readonly bootstrap: string[];

    constructor(
        private readonly plan: StartPlan,
        private readonly folders: CachedFolders,
    ) {
        const { spec, interpreter, clocks, debug, options, networkDir } = plan;
        this.bootstrap = bootstrapCommand({
            root: rootDir(interpreter, spec.architecture),
            task: folders.task,
            opt: folders.opt,
            runtimeClient: runtimeClientDir(interpreter, spec.architecture),
            interpreter,
            architecture: spec.architecture,
            handler: spec.handler,
            bytecode: folders.bytecode,
            resolvConf: sandboxResolvConf(networkDir),
            handlerTimeoutMs: clocks.handlerSeconds * 1000,
            debug,
            profileInit: options.profileInit,
        });
    }

    /**
     * Starts an emulator with Lambda's two clocks (`separate`), or, to retry an init that outlasted its limit as
     * Lambda does, one whose timeout counts the init and the handler together.
     */
    async start(separate = true): Promise<void> {
        const { first, clocks, debug, options, onLog, network } = this.plan;
        const prepared = first.prepared;
        first.prepared = undefined;
        const emulatorTimeout = debug ? DEBUG_SECONDS : separate ? clocks.initSeconds + clocks.handlerSeconds + 1 : clocks.handlerSeconds;
        this.emulator = await startEmulator({ emulator: emulatorPath(), bootstrap: this.bootstrap, env: this.environment(emulatorTimeout), onLog, network, prepared, captureLines: options.profileInit ? IMPORT_TIME_LINE : undefined });
        this.separate = separate;
    }

    invoke(event: unknown): Promise<InvokeResult> {
        const result = this.queue.then(() => this.invokeNow(event));
        this.queue = result.catch(() => undefined);
        return result;
    }

    async close(): Promise<void> {
        this.closed = true;
        await this.emulator.close();
        await this.plan.relay?.close();
    }

    /**
     * The function's environment variables. The emulator's own timeout is a backstop past both clocks; the
     * function sees its deadline as Lambda's (the handler's timeout from the moment it takes the event: sandbox.ts).
     */
    private environment(emulatorTimeout: number): Record<string, string> {
        const { spec, interpreter, memoryMB, functionName } = this.plan;
        return lambdaEnvironment({
            functionName,
            runtime: spec.runtime,
            interpreter,
            handler: spec.handler,
            memoryMB,
            timeoutSeconds: emulatorTimeout,
            region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1",
            user: spec.environment ?? {},
            bytecodeCache: !!this.folders.bytecode,
        });
    }

    private timing(): InvokeTiming {
        const { debug, clocks } = this.plan;
        if (debug) return { timeoutSeconds: DEBUG_SECONDS }; // a debugged function is stopped by its debugger, not a clock
        return this.separate ? { initMs: clocks.initSeconds * 1000, handlerMs: clocks.handlerSeconds * 1000, timeoutSeconds: clocks.handlerSeconds } : { timeoutSeconds: clocks.handlerSeconds };
    }

    private async invokeNow(event: unknown): Promise<InvokeResult> {
        if (this.closed) throw new UserError(`function ${this.plan.functionName} was closed; start it again to invoke it.`);
        const payload = eventPayload(event);
        const first = await this.emulator.invoke(payload, this.timing());
        const { raw, initTimedOut, earlierLogs } = first.expired === "init" && !this.closed ? await this.retryInit(payload, first) : { raw: first, initTimedOut: undefined, earlierLogs: "" };
        const result = this.resultOf(raw, initTimedOut, earlierLogs);
        if (result.timedOut && !this.closed) await this.reset();
        return result;
    }

    /**
     * Lambda stops an init that outlasts its limit and retries it with the invoke, counted in the function's
     * timeout (a "suppressed init"); its log says so with an INIT_REPORT line.
     */
    private async retryInit(payload: string, expired: RawInvoke): Promise<{ raw: RawInvoke; initTimedOut: boolean; earlierLogs: string }> {
        const report = `INIT_REPORT Init Duration: ${(this.plan.clocks.initSeconds * 1000).toFixed(2)} ms\tPhase: init\tStatus: timeout\n`;
        this.plan.options.onLog?.(report);
        await this.emulator.close();
        await this.start(false);
        return { raw: await this.emulator.invoke(payload, this.timing()), initTimedOut: true, earlierLogs: expired.logs + report };
    }

    /** An invoke's result from the emulator's answer (and, with profileInit, a cold start's import profile). */
    private resultOf(raw: RawInvoke, initTimedOut: boolean | undefined, earlierLogs: string): InvokeResult {
        const { spec, options, interpreter, emulated, timeoutSeconds } = this.plan;
        const { task, opt, bytecode } = this.folders;
        const initProfile =
            options.profileInit && raw.coldStart
                ? buildInitProfile({
                      lines: raw.captured ?? [],
                      handler: spec.handler,
                      initDurationMs: raw.initDurationMs,
                      task,
                      opt,
                      interpreter,
                      architecture: spec.architecture,
                      emulated,
                      precompiled: !!bytecode,
                      emulationTimeFactor: lambdaEnv.defaults.emulationTimeFactor,
                  })
                : undefined;
        const judged = classifyInvoke(raw);
        // A failed init reaches the emulator's "invoke" too (Lambda retries the init with it): no handler ran.
        const handlerRan = raw.handlerDurationMs !== undefined && !judged.duringInit;
        return {
            ...judged,
            ...(initTimedOut ? { initTimedOut } : {}),
            timeoutSeconds,
            durationMs: raw.durationMs,
            ...(raw.coldStart && raw.initDurationMs !== undefined ? { initDurationMs: raw.initDurationMs } : {}),
            ...(handlerRan ? { handlerDurationMs: raw.handlerDurationMs } : {}),
            ...(initProfile ? { initProfile } : {}),
            logs: earlierLogs + raw.logs,
            interpreter,
        };
    }

    /**
     * After a timeout Lambda starts a new execution environment; the emulator, asked again at once,
     * may answer "ErrGateCanceled" while it resets. A new emulator is the faithful and reliable reset.
     */
    private async reset(): Promise<void> {
        await this.emulator.close();
        await this.start();
        if (this.closed) await this.emulator.close();
    }
}

/**
 * A function Lambda could not load: each invoke fails at once with the
 * findings, the way the runtime would fail on Lambda, but without running
 * anything here (the local CPython could load it and answer wrongly).
 */
function refusedFunction(findings: Finding[], interpreter: string, warnings: string[]): WarmFunction {
    const errorMessage = `Lambda could not load this function, so it was not run (the policy pack's checks, as lambda-python inspect runs them): ${findings.map((f) => f.message).join(" ")}`;
    return {
        warnings,
        interpreter,
        cannotLoad: findings,
        async invoke(event: unknown): Promise<InvokeResult> {
            eventPayload(event);
            const error = { errorType: REFUSED, errorMessage };
            return { ok: false, timedOut: false, error, payload: JSON.stringify(error), durationMs: 0, logs: "", interpreter, cannotLoad: findings };
        },
        async close() {},
    };
}

/** Starts the function, invokes it once with `event`, and stops it. */
export async function invokeOnce(spec: FunctionSpec, event: unknown, options: StartOptions = {}): Promise<InvokeResult> {
    const fn = await startFunction(spec, options);
    try {
        return await fn.invoke(event);
    } finally {
        await fn.close();
    }
}
