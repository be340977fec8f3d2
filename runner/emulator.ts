// Driving the AWS Lambda Runtime Interface Emulator: one emulator process per
// warm function, on ports of its own, answering one invoke at a time (as the
// emulator does). It starts the bootstrap (the sandboxed runtime client) on
// the first invoke and again after a timeout or crash, as Lambda does.
//
// What the function prints reaches the emulator's stdout between its
// "START RequestId" and "REPORT RequestId" lines; those frame each invoke's
// logs. The emulator runs in its own process group, under `setpriv
// --pdeathsig KILL` so it dies with us even if we are killed outright, and
// the sandbox dies with it (bwrap --die-with-parent).
import { ChildProcess, spawn } from "child_process";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { UserError } from "../shared/errors";
import { which } from "../target-python/host";
import type { FunctionNetwork } from "./network";
import { portListeners } from "./port-owner";
import { runningInGroup } from "./process-group";

const INVOKE_PATH = "/2015-03-31/functions/function/invocations";
/** How long a started emulator has to listen on its port before it is stopped and the start fails. */
const LISTEN_WITHIN_MS = 10_000;
/** How long to wait for the emulator's REPORT line after the response, before giving up on late logs. */
const LOG_GRACE_MS = 2000;
/** An invoke's logs kept for its result (all of them go to onLog as they come): the last 4 MiB. */
const KEPT_LOG_BYTES = 4 * 1024 * 1024;
/** Captured lines kept per invoke (an import-time profile has one per module imported: thousands at most). */
const CAPTURED_LINES = 200_000;
/** A line longer than this (a function printing without newlines) is passed on in pieces. */
const MAX_LINE_BYTES = 1024 * 1024;

export interface RawInvoke {
    /** The emulator's HTTP status: 200 for an answer or a function error document, 502 when the runtime died. */
    status: number;
    body: string;
    durationMs: number;
    logs: string;
    /** The invoke's request id, from the emulator's START line. */
    requestId?: string;
    /** What the emulator logged about a runtime that failed: Lambda's error type and message. */
    failure?: RuntimeFailure;
    /** The runtime failed or timed out before the handler was called (its init). */
    duringInit: boolean;
    /** A phase that outlasted its limit (InvokeTiming): the emulator was stopped, `body` is Lambda's timeout sentence. */
    expired?: "init" | "handler";
    /**
     * A cold start: the runtime was started for this invoke (the emulator's "INIT START"). Its init took
     * `initDurationMs` (the emulator's "INIT REPORT", Lambda's "Init Duration"; our clock, from INIT START, when
     * the init failed or was stopped before it reported).
     */
    coldStart: boolean;
    initDurationMs?: number;
    /** The handler's run (the emulator's "INVOKE RTDONE" duration; our clock from INVOKE START when it has none). */
    handlerDurationMs?: number;
    /** `captureLines`' lines printed during this invoke, taken out of its logs. */
    captured?: string[];
}

/**
 * Lambda's clocks for one invoke, kept here rather than by the emulator, which
 * starts the runtime at the first invoke and counts that init in the invoke's
 * timeout. `initMs` runs from the invoke until the runtime asks for the event
 * (the emulator's "INVOKE START"), `handlerMs` from then on. Either one, when
 * it runs out, stops the emulator: the invoke ends as `expired`. Without
 * them, the emulator's own timeout (AWS_LAMBDA_FUNCTION_TIMEOUT) is the only one.
 */
export interface InvokeTiming {
    initMs?: number;
    handlerMs?: number;
    /** The function's timeout as Lambda states it in "Task timed out after N.00 seconds". */
    timeoutSeconds: number;
}

/** A failure the emulator reports only in its log ("First fatal error stored in appctx: Runtime.ExitError"). */
export interface RuntimeFailure {
    errorType?: string;
    /** e.g. "Runtime exited with error: exit status 1", as Lambda words it. */
    message?: string;
}

export interface EmulatorProcess {
    invoke(payload: string, timing: InvokeTiming): Promise<RawInvoke>;
    close(): Promise<void>;
    readonly pid: number | undefined;
}

// ------------------------------------------------------------ process registry

// Process-wide on purpose: whoever started an emulator, it must not outlive us; each leaves the set when it exits.
const live = new Set<ChildProcess>();
let exitHook = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
        process.kill(-child.pid, signal);
    } catch {
        // not a group leader (the network's helpers), or already gone
        child.kill(signal);
    }
}

/** The network helpers (network.ts) of those emulators. */
const helpers = new Set<ChildProcess>();

function register(child: ChildProcess, set = live): void {
    set.add(child);
    child.on("exit", () => set.delete(child));
    if (!exitHook) {
        exitHook = true;
        // Whatever way we leave (Ctrl-C in the CLI calls process.exit), the emulators go with us.
        process.on("exit", () => {
            for (const c of [...live, ...helpers]) killGroup(c, "SIGKILL");
        });
    }
}

/** Emulators still running (for tests and for a last-resort cleanup). */
export function liveEmulatorPids(): number[] {
    return [...live].map((c) => c.pid!).filter((p) => p !== undefined);
}

// ------------------------------------------------------------------ ports

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

function canConnect(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ the emulator

export interface EmulatorOptions {
    emulator: string;
    bootstrap: string[];
    env: Record<string, string>;
    /** Each line the function prints, as it prints it. */
    onLog?: (line: string) => void;
    /** Puts the bootstrap in a network of its own that reaches the Runtime API at `apiPort` (network.ts). */
    network?: (apiPort: number) => FunctionNetwork;
    /** A network already being set up, for the first try, with the Runtime API port it forwards. */
    prepared?: PreparedNetwork;
    /**
     * Lines of the function's output to take out of its logs (neither `onLog` nor `logs` see them) and hand back
     * with the invoke (`captured`): the import-time profile's lines (init-profile.ts).
     */
    captureLines?: RegExp;
    /** How long the emulator has to listen once started (LISTEN_WITHIN_MS; shorter in tests). */
    listenWithinMs?: number;
}

export interface PreparedNetwork {
    apiPort: number;
    network: FunctionNetwork;
}

export async function startEmulator(options: EmulatorOptions): Promise<EmulatorProcess> {
    let lastError = "";
    // Ports are picked free but could be taken before the emulator binds them: try a few times.
    for (let attempt = 0; attempt < 3; attempt++) {
        const prepared = attempt === 0 ? options.prepared : undefined;
        const [port, apiPort] = [await freePort(), prepared?.apiPort ?? (await freePort())];
        if (port === apiPort) {
            prepared?.network.close();
            continue;
        }
        const started = await launch(options, port, apiPort, prepared?.network);
        if ("process" in started) return started.process;
        lastError = started.error;
        if (!/address already in use/i.test(lastError)) break;
    }
    throw new UserError(`the Lambda emulator (${options.emulator}) did not start: ${lastError || "no output"}`);
}

async function launch(options: EmulatorOptions, port: number, apiPort: number, prepared?: FunctionNetwork): Promise<{ process: EmulatorProcess } | { error: string }> {
    // The bootstrap's network: a namespace of its own that reaches this machine only at the Runtime API's port.
    // Set up while the emulator starts (or before); the bootstrap runs only at the first invoke, after both.
    const network = prepared ?? options.network?.(apiPort);
    for (const p of network?.processes ?? []) register(p, helpers);
    const child = new EmulatorChild(options, port, apiPort, network);
    const error = await child.untilListening(port, apiPort, options.listenWithinMs ?? LISTEN_WITHIN_MS);
    if (error !== undefined) return { error };
    if (network) await child.untilReady(network);
    return { process: new Emulator(child, port, options.captureLines !== undefined) };
}

/** The emulator's process: its output framed into each invoke's logs, the tail of its stderr, its exit. */
class EmulatorChild {
    readonly process: ChildProcess;
    /** The emulator's file. */
    readonly emulator: string;
    readonly logs: LogFramer;
    readonly rapid: RapidLog;
    /** The last 8,000 characters of its stderr (and why it could not be spawned). */
    stderr = "";
    exited = false;
    readonly exit: Promise<void>;

    constructor(options: EmulatorOptions, port: number, apiPort: number, network: FunctionNetwork | undefined) {
        this.emulator = options.emulator;
        const setpriv = which("setpriv");
        // "info": the emulator says only in its log how a runtime failed and when the handler was called.
        const command = [options.emulator, "--runtime-interface-emulator-address", `127.0.0.1:${port}`, "--runtime-api-address", `127.0.0.1:${apiPort}`, "--log-level", "info", ...(network?.enter ?? []), ...options.bootstrap];
        const argv = setpriv ? [setpriv, "--pdeathsig", "KILL", "--", ...command] : command;
        const child = spawn(argv[0], argv.slice(1), { env: options.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        this.process = child;
        register(child);
        child.on("close", () => network?.close());
        this.logs = new LogFramer(options.onLog, options.captureLines);
        this.rapid = new RapidLog(() => setTimeout(() => this.logs.end(), 20));
        child.stdout!.setEncoding("utf8").on("data", (c: string) => this.logs.push(c));
        child.stderr!.setEncoding("utf8").on("data", (c: string) => {
            this.stderr = (this.stderr + c).slice(-8000);
            this.rapid.push(c);
        });
        this.exit = new Promise<void>((resolve) =>
            child.on("close", () => {
                this.exited = true;
                this.logs.flush();
                resolve();
            }),
        );
        child.on("error", (e) => {
            this.stderr += String(e);
        });
    }

    /**
     * Undefined once the emulator listens on `port` and `apiPort`; else why not, and it is stopped: it exited (its
     * output), another process took one of the ports (picked free, they can be bound by anyone before the emulator
     * binds them: startEmulator tries other ports), or it did not listen within `withinMs`. Read before the kill,
     * which makes any emulator look exited.
     */
    async untilListening(port: number, apiPort: number, withinMs: number): Promise<string | undefined> {
        const deadline = Date.now() + withinMs;
        for (;;) {
            // No pid: the spawn failed, and nothing listening can be ours (its error ends the wait below).
            const pid = this.process.pid;
            const owners = pid === undefined ? ["none", "none"] : portListeners([port, apiPort], pid);
            const taken = [port, apiPort].find((_, i) => owners[i] === "another");
            if (taken !== undefined) {
                await this.kill();
                return `127.0.0.1:${taken}: address already in use by another process`;
            }
            // Where /proc cannot say who listens, a connection is taken for the emulator's.
            if (owners.every((o) => o === "ours") || (owners[0] === undefined && (await canConnect(port)))) return undefined;
            if (this.exited) return this.stderr.trim() || (this.process.exitCode !== null ? `it exited with status ${this.process.exitCode}` : `it was ended by ${this.process.signalCode}`);
            if (Date.now() > deadline) {
                await this.kill();
                const output = this.stderr.trim() ? ` Its last output: ${this.stderr.trim().split("\n").slice(-3).join(" ")}` : "";
                return `it was not listening on 127.0.0.1:${port} after ${withinMs < 1000 ? `${withinMs} ms` : `${Math.round(withinMs / 1000)} s`}, so it was stopped.${output} A machine this busy (builds, many emulators at once: serve starts one per function) can be that slow: try again when it is quieter. If it keeps happening, the emulator file may be damaged: delete its folder (${path.dirname(this.emulator)}) and run \`lambda-python setup\` again.`;
            }
            await sleep(15);
        }
    }

    /** Waits for the bootstrap's network; one that fails stops the emulator. */
    async untilReady(network: FunctionNetwork): Promise<void> {
        try {
            await network.ready;
            for (const p of network.processes) register(p, helpers);
        } catch (e) {
            await this.kill();
            throw e;
        }
    }

    /** Ends the emulator and every process of its group: when this returns, none of them runs. */
    async kill(): Promise<void> {
        const group = this.process.pid;
        killGroup(this.process, "SIGKILL");
        await this.exit;
        if (group === undefined) return;
        // SIGKILL cannot be refused, only delayed (a process in an uninterruptible wait): 5 s is far more than that.
        const deadline = Date.now() + 5000;
        while ((runningInGroup(group)?.length ?? 0) > 0 && Date.now() < deadline) await sleep(5);
    }
}

/** A started emulator: invokes queue on it one at a time, as on one execution environment. */
class Emulator implements EmulatorProcess {
    readonly pid: number | undefined;
    private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    private queue: Promise<unknown> = Promise.resolve();
    private closed = false;

    constructor(
        private readonly child: EmulatorChild,
        private readonly port: number,
        /** Whether the options' captureLines are taken out of the logs and handed back with each invoke. */
        private readonly capturing: boolean,
    ) {
        this.pid = child.process.pid;
    }

    invoke(payload: string, timing: InvokeTiming): Promise<RawInvoke> {
        const result = this.queue.then(() => this.invokeNow(payload, timing));
        this.queue = result.catch(() => undefined);
        return result;
    }

    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        // The runtime client complains when its emulator goes away under it; that is not the function's output.
        this.child.logs.mute();
        this.agent.destroy();
        // Nothing in the group keeps state worth a graceful stop; the emulator takes seconds to honour SIGTERM.
        await this.child.kill();
    }

    private async invokeNow(payload: string, timing: InvokeTiming): Promise<RawInvoke> {
        const { child } = this;
        if (this.closed || child.exited) throw new UserError(`the Lambda emulator has stopped${child.stderr.trim() ? `: ${child.stderr.trim().split("\n").slice(-3).join(" ")}` : ""}.`);
        const segment = child.logs.nextSegment();
        const events = child.rapid.nextInvoke();
        const started = process.hrtime.bigint();
        const now = () => Number(process.hrtime.bigint() - started) / 1e6;
        child.rapid.clock = now;
        const clocks = startClocks(child, events, timing, now);
        let answer: { status: number; body: string };
        try {
            // The emulator enforces its own timeout; ours only catches an emulator that never answers.
            const limitMs = (timing.initMs ?? 0) + (timing.handlerMs ?? 0) + (timing.timeoutSeconds + 60) * 1000;
            answer = await post(this.agent, this.port, payload, limitMs, () => (child.exited ? child.stderr : undefined));
        } catch (e) {
            if (!clocks.expired) throw e;
            await child.exit;
            answer = { status: 200, body: `Task timed out after ${timing.timeoutSeconds.toFixed(2)} seconds` };
        } finally {
            clocks.stop();
        }
        const { status, body } = answer;
        const durationMs = now();
        const { expired } = clocks;
        if (expired) {
            // Stopped by our clock: the emulator is gone, and with it the rest of the logs.
            return { status, body, durationMs, logs: segment.soFar(), requestId: child.logs.requestId, duringInit: expired === "init", expired, ...this.phases(events, segment, durationMs) };
        }
        let grace: NodeJS.Timeout | undefined;
        const late = new Promise<string>((resolve) => (grace = setTimeout(() => resolve(segment.soFar()), LOG_GRACE_MS)));
        // A failed runtime's log ends with the emulator's "Invoke DONE failed", which also carries the failure.
        const text = await Promise.race([segment.done, late]);
        clearTimeout(grace);
        const failure = events.failure.errorType || events.failure.message ? events.failure : undefined;
        return { status, body, durationMs, logs: text, requestId: child.logs.requestId, failure, duringInit: events.initFailed, ...this.phases(events, segment, durationMs) };
    }

    /** The init's and the handler's durations, from the emulator's reports, else from our clock (read once the invoke's logs are in). */
    private phases(events: InvokeEvents, segment: Segment, durationMs: number): Pick<RawInvoke, "coldStart" | "initDurationMs" | "handlerDurationMs" | "captured"> {
        const handlerStart = events.invokeStartMs;
        const initEnd = handlerStart ?? durationMs;
        const initDurationMs = events.initStartMs === undefined ? undefined : (events.initReportMs ?? initEnd - events.initStartMs);
        const handlerDurationMs = handlerStart === undefined ? undefined : (events.handlerReportMs ?? durationMs - handlerStart);
        return { coldStart: events.initStartMs !== undefined, initDurationMs, handlerDurationMs, ...(this.capturing ? { captured: segment.captured() } : {}) };
    }
}

/**
 * Lambda's two clocks for one invoke (InvokeTiming): the init's until the runtime takes the event, then the
 * handler's timeout. Either one, when it runs out, stops the emulator; `expired` says which did.
 */
function startClocks(child: EmulatorChild, events: InvokeEvents, timing: InvokeTiming, now: () => number): { readonly expired: "init" | "handler" | undefined; stop(): void } {
    let expired: "init" | "handler" | undefined;
    let clock: NodeJS.Timeout | undefined;
    const expire = (phase: "init" | "handler") => {
        expired = phase;
        killGroup(child.process, "SIGKILL");
    };
    if (timing.initMs !== undefined) clock = setTimeout(() => expire("init"), timing.initMs);
    events.onInvokeStart = () => {
        events.invokeStartMs = now();
        clearTimeout(clock);
        if (timing.handlerMs !== undefined && !expired) clock = setTimeout(() => expire("handler"), timing.handlerMs);
    };
    return {
        get expired() {
            return expired;
        },
        stop() {
            clearTimeout(clock);
            events.onInvokeStart = undefined;
        },
    };
}

function post(agent: http.Agent, port: number, payload: string, limitMs: number, diedWith: () => string | undefined): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: INVOKE_PATH, method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", reject);
        });
        req.setTimeout(limitMs, () => req.destroy(new Error(`no answer from the Lambda emulator after ${Math.round(limitMs / 1000)} s`)));
        req.on("error", (e) => {
            const died = diedWith();
            reject(new UserError(`the Lambda emulator failed during the invoke: ${died?.trim() || e.message}`));
        });
        req.end(payload);
    });
}

// ------------------------------------------------------------------ the emulator's own log

interface InvokeEvents {
    failure: RuntimeFailure;
    /** "INIT RTDONE(status: error)": the runtime failed (exited, or timed out) before it was ready for the event. */
    initFailed: boolean;
    /** Called at "INVOKE START": the runtime took the event, the handler runs. */
    onInvokeStart?: () => void;
    /** When (ms into the invoke) the emulator started a runtime ("INIT START"): a cold start. */
    initStartMs?: number;
    /** The init's duration as the emulator reports it ("INIT REPORT(durationMs: …)"). */
    initReportMs?: number;
    /** When (ms into the invoke) the handler got the event ("INVOKE START"). */
    invokeStartMs?: number;
    /** The handler's duration as the emulator reports it ("INVOKE RTDONE(… duration: …ms)"). */
    handlerReportMs?: number;
}

/**
 * The emulator's log (stderr, "[LEVEL] (rapid) …" lines) for the invoke under
 * way. A runtime that exits answers HTTP 502 with an empty body; only this log
 * says why, in Lambda's words ("First fatal error stored in appctx:
 * Runtime.ExitError", "Invoke failed error=Runtime exited with error: exit
 * status 1").
 */
class RapidLog {
    private partial = "";
    private current: InvokeEvents = RapidLog.fresh();

    constructor(private readonly onInvokeFailed: () => void) {}

    /** Milliseconds into the invoke under way (set by the invoke). */
    clock: () => number = () => 0;

    private static fresh(): InvokeEvents {
        return { failure: {}, initFailed: false };
    }

    nextInvoke(): InvokeEvents {
        this.current = RapidLog.fresh();
        return this.current;
    }

    push(chunk: string): void {
        // Bounded: a line longer than this is not one of the emulator's own.
        const parts = (this.partial + chunk).split("\n");
        this.partial = parts.pop()!.slice(-4096);
        for (const line of parts) this.line(line);
    }

    private line(line: string): void {
        const e = this.current;
        let m: RegExpExecArray | null;
        if (/\(rapid\) INVOKE START\(/.test(line)) {
            if (e.onInvokeStart) e.onInvokeStart();
            else e.invokeStartMs ??= this.clock();
        } else if (/\(rapid\) INIT START\(/.test(line)) e.initStartMs ??= this.clock();
        else if ((m = /\(rapid\) INIT REPORT\(durationMs: ([\d.]+)/.exec(line))) e.initReportMs ??= Number(m[1]);
        else if ((m = /\(rapid\) INVOKE RTDONE\(.*?duration: ([\d.]+)ms/.exec(line))) e.handlerReportMs ??= Number(m[1]);
        else if ((m = /First fatal error stored in appctx: (\S+)/.exec(line))) e.failure.errorType ??= m[1];
        else if ((m = /\(rapid\) INIT RTDONE\(status: (\w+)/.exec(line))) e.initFailed ||= m[1] !== "success";
        else if ((m = /\(rapid\) (?:Init|Invoke) failed .*?error=(.+?)(?: InvokeID=.*)?$/.exec(line))) {
            // The init's message is the first cause; the invoke's repeats it.
            if (!e.failure.message && m[1] !== "errResetReceived") e.failure.message = m[1].trim();
        } else if (/\(rapid\) Invoke DONE failed/.test(line)) {
            // An invoke whose runtime died (a failed init, a crash) gets no REPORT line, only this.
            this.onInvokeFailed();
        }
    }
}

// ------------------------------------------------------------------ logs

interface Segment {
    done: Promise<string>;
    soFar(): string;
    /** The captured lines (EmulatorOptions.captureLines) of this invoke. */
    captured(): string[];
}

/** Splits the emulator's stdout into lines and frames each invoke's logs by START/REPORT. */
class LogFramer {
    private partial = "";
    private lines: string[] = [];
    private keptBytes = 0;
    private droppedBytes = 0;
    private inInvoke = false;
    private finish?: (text: string) => void;
    private muted = false;
    /** The request id of the invoke under way (the emulator's START line). */
    requestId?: string;

    private capturedLines: string[] = [];

    constructor(
        private readonly onLog?: (line: string) => void,
        private readonly capture?: RegExp,
    ) {}

    /** The logs of the invoke about to be sent. */
    nextSegment(): Segment {
        this.lines = [];
        this.keptBytes = 0;
        this.droppedBytes = 0;
        this.inInvoke = false;
        this.requestId = undefined;
        this.capturedLines = [];
        let resolve!: (t: string) => void;
        const done = new Promise<string>((r) => (resolve = r));
        this.finish = resolve;
        const captured = this.capturedLines;
        return { done, soFar: () => this.text(), captured: () => captured };
    }

    mute(): void {
        this.muted = true;
    }

    push(chunk: string): void {
        if (this.muted) return;
        const parts = (this.partial + chunk).split("\n");
        this.partial = parts.pop()!;
        for (const line of parts) this.line(line);
        // A function that prints without newlines must not grow one line without bound.
        while (this.partial.length > MAX_LINE_BYTES) {
            this.line(this.partial.slice(0, MAX_LINE_BYTES));
            this.partial = this.partial.slice(MAX_LINE_BYTES);
        }
    }

    /** Ends the current invoke's logs without a REPORT line. */
    end(): void {
        this.inInvoke = false;
        const f = this.finish;
        this.finish = undefined;
        f?.(this.text());
    }

    flush(): void {
        if (this.partial) this.line(this.partial);
        this.partial = "";
        this.finish?.(this.text());
    }

    private text(): string {
        const dropped = this.droppedBytes ? `[lambda-python: the first ${this.droppedBytes} bytes of this invoke's logs are not kept]\n` : "";
        return dropped + this.lines.map((l) => `${l}\n`).join("");
    }

    private keep(line: string): void {
        this.lines.push(line);
        this.keptBytes += line.length + 1;
        while (this.keptBytes > KEPT_LOG_BYTES && this.lines.length > 1) {
            const first = this.lines.shift()!;
            this.keptBytes -= first.length + 1;
            this.droppedBytes += first.length + 1;
        }
    }

    private line(raw: string): void {
        // awslambdaric writes a multi-line record (a traceback) as one line with \r separators, for CloudWatch.
        const line = raw.replace(/\r(?!$)/g, "\n").replace(/\r$/, "");
        // The emulator's own lines share the function's stdout, so a function can print lines of the same shape
        // (one that passes on another function's CloudWatch logs does): only a START between two invokes, and an
        // END or REPORT naming that START's request, are the emulator's; any other is the function's output.
        const start = /^START RequestId: (\S+)\s+Version: /.exec(line);
        if (start && !this.inInvoke) {
            this.inInvoke = true;
            this.requestId = start[1];
            return;
        }
        const id = /^(END|REPORT) RequestId: (\S+)/.exec(line);
        if (id && this.inInvoke && id[2] === this.requestId) {
            if (id[1] === "REPORT") this.end();
            return;
        }
        if (this.capture?.test(line)) {
            // Bounded as the logs are: a profile of more lines than that is cut, not kept whole.
            if (this.capturedLines.length < CAPTURED_LINES) this.capturedLines.push(line);
            return;
        }
        this.onLog?.(`${line}\n`);
        if (this.inInvoke || this.finish) this.keep(line);
    }
}
