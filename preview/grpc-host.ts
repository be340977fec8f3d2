// The child process a previewed Python or Go program is supervised from (the
// counterpart of program-host.ts for Node.js programs), standing where the
// Pulumi engine stands in `pulumi preview`: it serves the ResourceMonitor and
// Engine services (monitor-server.ts) answered as the engine answers during
// a preview (engine-mocks.ts, data-sources.ts), starts the program on its
// own SDK as its language host does (python-program.ts, go-program.ts), hands
// `lambda-python:index:*` components to this package's provider plugin
// (component-provider.ts), records every registration, then checks them as
// the engine does and with the policy pack, and reports to the parent
// (program.ts) over the IPC channel exactly as program-host.ts does.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as engineproto from "@pulumi/pulumi/proto/engine_pb";
import type * as resourceproto from "@pulumi/pulumi/proto/resource_pb";
import { ComponentProvider } from "./component-provider";
import { deferArborist, deferTypeScript } from "./deferred-modules";
import { skipPromiseStackTraces } from "../shared/promise-stack-traces";
import { engineParallel } from "./project";
import { checkAsTheEngineDoes } from "./engine-checks";
import { EngineMocks } from "./engine-mocks";
import { MockMonitorLike, MonitorHooks, serveMonitor } from "./monitor-server";
import type { HostMessage, HostRequest, ProgramError } from "./program";
import { formatGoError, formatGoFailure, goEnvironment } from "./go-program";
import { formatTraceback, missingModuleHint, NO_SDK_MARKER, shimArguments } from "./python-program";
import { RecordedResource, recordOf } from "./records";
import { GO, PYTHON, callSites } from "./call-sites";

const request: HostRequest = JSON.parse(process.argv[2]);
const python = request.python;
const go = request.go;
const language = python ? "Python" : "Go";

const notes = new Set<string>();
const errors: ProgramError[] = [];
const limits: ProgramError[] = [];
const resources: RecordedResource[] = [];
let stackOutputs: Record<string, unknown> = {};
let program: ChildProcess | undefined;
let provider: ComponentProvider | undefined;

// Ctrl-C and SIGTERM: the program (which may ignore them) and the plugin end before this process does.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
        provider?.stop();
        const exit = () => process.exit(128 + os.constants.signals[signal]);
        if (!program || program.exitCode !== null || program.signalCode !== null) return exit();
        program.once("exit", exit);
        program.kill("SIGKILL");
    });
}

function send(message: HostMessage): Promise<void> {
    return new Promise((resolve) => process.send!(message, () => resolve()));
}

/** Where a registration came from: the SDK's source position, when in the program's own files. */
function origin(req: resourceproto.RegisterResourceRequest): string | undefined {
    const pos = req.getSourceposition();
    if (!pos?.getUri()) return undefined;
    const file = pos.getUri().startsWith("file://") ? new URL(pos.getUri()).pathname : pos.getUri();
    return file.startsWith(request.programDir + path.sep) ? `${path.relative(request.programDir, file)}:${pos.getLine()}` : undefined;
}

async function main(): Promise<void> {
    const { mock, config } = await mockEngine();
    const constructs: Promise<unknown>[] = [];
    let address = "";
    const componentProvider = () =>
        new ComponentProvider(request.programDir, {
            project: request.project,
            stack: request.stack,
            organization: request.organization,
            monitor: address,
            config,
            secretKeys: JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]"),
            parallel: engineParallel(),
        });
    const server = await serveMonitor(mock, monitorHooks(mock, constructs, componentProvider));
    address = server.address;
    // A program that imports this package's SDK gets the plugin started beside it (its start, loading
    // @pulumi/aws, is as long as the program's own): the first component does not wait for it.
    if (importsOurSdk(request.programDir)) (provider = componentProvider()).warmUp();
    const started = startProgram(server.address);
    program = started.child;
    await send({ kind: "started" });
    const code = await started.exitCode;
    await Promise.all(constructs);
    provider?.stop();
    server.stop();
    explainExit(code, started.stderrTail());
    notes.add(`${language}: ${(python ?? go)!.from}`);
    await done();
}

/** The SDK's mocks set up as the engine answers during a preview (engine-mocks.ts), and the mock monitor they make. */
async function mockEngine(): Promise<{ mock: MockMonitorLike; config: Record<string, string> }> {
    // Before the SDK loads: its index would load npm's arborist (~300 modules) and TypeScript, which only closure
    // serialization uses, and a Python or Go program never serializes a JavaScript closure.
    deferArborist(__dirname);
    deferTypeScript(__dirname);
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    skipPromiseStackTraces(path.dirname(require.resolve("@pulumi/pulumi/package.json")));
    const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): MockMonitorLike };
    const config = JSON.parse(process.env.PULUMI_CONFIG ?? "{}") as Record<string, string>;
    const mocks = new EngineMocks({
        project: request.project,
        stack: request.stack,
        config,
        given: request.invokeResults,
        stackOutputs: request.stackOutputs,
        note: (text) => notes.add(text),
        limit: (e, token) => limits.push({ message: `${e.what}${callSites(request.programDir, token, python ? PYTHON : GO)} ${e.remedy}`, kind: "limit" }),
    });
    await pulumi.runtime.setMocks(mocks, request.project, request.stack, true, request.organization);
    return { mock: settings.getMonitor(), config };
}

/** What the engine does with the program's requests: records registrations, hands our components to the plugin, logs. */
function monitorHooks(mock: MockMonitorLike, constructs: Promise<unknown>[], componentProvider: () => ComponentProvider): MonitorHooks {
    return {
        registered(req) {
            // A remote component is registered by the provider that constructs it (its own registration comes in
            // from the plugin): the program's request is not a resource of its own.
            if (req.getRemote() && ComponentProvider.serves(req.getType())) return;
            const record = recordOf(req, mock.newUrn(req.getParent(), req.getType(), req.getName()));
            record.origin = origin(req);
            resources.push(record);
            if (req.getRemote()) notes.add(`${req.getType()} "${req.getName()}" is a component built by its provider plugin, which the offline preview does not run: its outputs are unknown and its child resources are not checked.`);
        },
        construct(req) {
            if (!ComponentProvider.serves(req.getType())) return undefined;
            provider ??= componentProvider();
            const where = origin(req);
            // The program raises the plugin's error as its own; where the component was made is the program's line.
            const done = provider.construct(req).catch((e: Error) => Promise.reject(new Error(where ? `${e.message} (${where})` : e.message)));
            constructs.push(done.catch(() => undefined));
            return done;
        },
        outputs(urn, outputs) {
            if (urn.split("::")[2] === "pulumi:pulumi:Stack") stackOutputs = outputs;
        },
        log(severity, message) {
            if (severity === engineproto.LogSeverity.ERROR) {
                // The program's (a Python traceback, a RunError's message, a Go error), or the provider plugin's (a Node.js error).
                const error = python && /^(Program failed with|Traceback)/.test(message) ? formatTraceback(message, request.programDir) : go && message.startsWith("an unhandled error occurred") ? formatGoError(message) : nodeError(message);
                const hint = python && missingModuleHint(error, python);
                errors.push({ message: hint ? `${error} ${hint}` : error, kind: "program" });
            } else if (severity === engineproto.LogSeverity.WARNING) process.stderr.write(`lambda-python: warning from the program: ${message.trim()}\n`);
            else if (severity === engineproto.LogSeverity.INFO) process.stderr.write(`${message.trimEnd()}\n`);
        },
    };
}

/**
 * The program on its own SDK, as its language host starts it; its output goes to stderr (stdout is the preview's,
 * --json). `exitCode` is watched from the spawn on: a program that cannot be started fails in an event of the next
 * turn, which with no listener yet would end this host with a stack trace.
 */
function startProgram(monitor: string): { child: ChildProcess; exitCode: Promise<number>; stderrTail: () => string } {
    const parallel = engineParallel();
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(base)) if (k.startsWith("PULUMI_NODEJS_")) delete base[k];
    let child: ChildProcess;
    if (python) {
        const env: NodeJS.ProcessEnv = { ...base, PYTHONUNBUFFERED: "1" };
        if (python.pythonPath.length) env.PYTHONPATH = [...python.pythonPath, ...(process.env.PYTHONPATH ? [process.env.PYTHONPATH] : [])].join(path.delimiter);
        const args = shimArguments({ monitor, project: request.project, stack: request.stack, organization: request.organization, programDir: request.programDir, main: request.main, parallel });
        child = spawn(python.python, args, { cwd: request.programDir, env, stdio: ["ignore", "pipe", "pipe"] });
    } else {
        const env = goEnvironment(base, { monitor, project: request.project, stack: request.stack, organization: request.organization, programDir: request.programDir, parallel });
        child = spawn(go!.binary, [], { cwd: request.programDir, env, stdio: ["ignore", "pipe", "pipe"] });
    }
    const code = exitCode(child);
    let stderrTail = "";
    child.stdout!.on("data", (d: Buffer) => process.stderr.write(d));
    child.stderr!.on("data", (d: Buffer) => {
        stderrTail = (stderrTail + d.toString("utf8")).slice(-4000);
        if (!d.toString("utf8").startsWith(NO_SDK_MARKER)) process.stderr.write(d);
    });
    return { child, exitCode: code, stderrTail: () => stderrTail };
}

/** The program's exit status (128 + the signal that ended it; -1 when it could not be started, which is an error). */
function exitCode(child: ChildProcess): Promise<number> {
    return new Promise<number>((resolve) => {
        child.once("error", (e: NodeJS.ErrnoException) => {
            errors.push({ message: couldNotStart(child.spawnfile, e), kind: "program" });
            resolve(-1);
        });
        child.once("exit", (c, signal) => resolve(c ?? 128 + (signal ? os.constants.signals[signal] : 0)));
    });
}

/** Why the program's interpreter or binary could not be started, and what to do about it. */
function couldNotStart(file: string, e: NodeJS.ErrnoException): string {
    const why = e.code === "ENOENT" ? "it does not exist" : e.code === "EACCES" ? "it is not an executable file (permission denied)" : e.code === "ENOEXEC" ? "it is not a program this machine can run" : e.message;
    const venv = path.dirname(path.dirname(file));
    const remedy = python
        ? python.from.startsWith("the program's virtualenv")
            ? `Recreate the program's virtualenv (python3 -m venv ${venv}, then ${path.join(venv, "bin", "pip")} install -r requirements.txt).`
            : `Remove the preview's SDK virtualenv (${venv}) and preview again: it is made anew.`
        : go!.buildDir
          ? `The preview built it into ${go!.buildDir}: if that folder's file system does not allow running programs (mounted noexec), set TMPDIR to a folder that does and preview again.`
          : `Build it for this machine (go build -o ${path.relative(request.programDir, file)}), or remove runtime.options.binary from Pulumi.yaml to have the preview build the program.`;
    return `the ${language} program could not be started: ${python ? "its Python" : "its binary"} ${file} cannot be run: ${why}, so there is no preview. ${remedy}`;
}

/** A program that failed without saying why in an error the engine logged: why, from its last output. */
function explainExit(code: number, stderrTail: string): void {
    if (go && code !== 0 && !errors.length) {
        const failure = formatGoFailure(stderrTail, request.programDir);
        if (failure) errors.push({ message: failure, kind: "program" });
    }
    if (python && code === 3 && stderrTail.includes(NO_SDK_MARKER)) {
        errors.push({ message: `the Pulumi Python SDK is not installed in ${python.from} (${python.python}: \`import pulumi\` fails). Install the program's requirements there (pip install -r requirements.txt).`, kind: "program" });
    } else if (code !== 0 && !errors.length) {
        errors.push({ message: `the ${language} program ended with exit ${code} before it finished, so there is no preview.${stderrTail.trim() ? ` Its last output: ${stderrTail.trim().split("\n").slice(-3).join(" ")}` : ""}`, kind: "program" });
    }
}

/** Whether a .py or .go file at the top of the program's folder imports this package's SDK (a guess: the plugin is started anyway on first use). */
function importsOurSdk(dir: string): boolean {
    const imports = python ? /^\s*(import|from)\s+pulumi_lambda_python\b/m : /"[^"\n]*\/lambdapython"/;
    try {
        return fs.readdirSync(dir).some((f) => f.endsWith(python ? ".py" : ".go") && imports.test(fs.readFileSync(path.join(dir, f), "utf8")));
    } catch {
        return false;
    }
}

async function done(): Promise<void> {
    // A data source the preview could not answer explains the program's failure, if it failed: say that instead.
    const failures = dedupe(limits.length ? limits : errors);
    if (!failures.length) for (const message of checkAsTheEngineDoes(resources, request.programDir)) failures.push({ message, kind: "program" });
    await send({ kind: "ran", resources, stackOutputs, errors: failures, notes: [...notes] });
    if (request.analyze && !failures.length) {
        const { checkWithPack } = require("./policy-check") as typeof import("./policy-check");
        await send({ kind: "analyzed", ...(await checkWithPack(resources, request.programDir, request.policyConfig)) });
    }
    process.exit(0);
}

/** Each error once: the provider plugin logs a component's failure that the program then raises with its line. */
function dedupe(list: ProgramError[]): ProgramError[] {
    const seen = new Set<string>();
    return list.filter((e) => !seen.has(e.message) && seen.add(e.message) && !list.some((x) => x.message !== e.message && x.message.includes(e.message)));
}

/** A Node.js error the provider plugin logged: its message, without its stack or the SDK's serialization prefixes. */
function nodeError(message: string): string {
    return message
        .split(/\n\s+at /)[0]
        .replace(/^(Error: )?(error serializing property "[^"]*": )*/, "")
        .trim();
}

process.channel?.unref();
main().catch(async (e) => {
    program?.kill("SIGKILL");
    provider?.stop();
    errors.push({ message: e instanceof Error ? e.message : String(e), kind: "program" });
    await done();
});
