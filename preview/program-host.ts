// The child process a previewed program runs in, as Pulumi's Node.js
// language host runs it in a `node` process of its own: the program cannot
// block its supervisor (a synchronous loop, a handler that swallows Ctrl-C),
// nor reach into the CLI's module cache or process state.
//
// The program is run by its own @pulumi/pulumi's `cmd/run` (the module the
// language host starts), so its TypeScript handling is the language host's:
// ts-node with the program's tsconfig (module and moduleResolution nodenext
// by default, the tsconfig's own settings first), ESM through the SDK's
// ts-node/esm hooks for "type": "module", the entry point from Pulumi.yaml's
// `main` or package.json's `main`/`exports`, an exported function called.
// The engine is the SDK's mock monitor with the preview's answers
// (engine-mocks.ts). Every registration is recorded as the engine receives
// it and sent to the parent (program.ts) over the IPC channel, with the
// program's errors and the notes for the user.
import * as fs from "fs";
import { enableCompileCache } from "module";
import * as os from "os";
import * as path from "path";
import { removePendingTemps } from "../shared/atomic";
import { defaultCacheDir } from "../shared/cache-dirs";
import { stopChildren } from "../shared/process";
import { skipPromiseStackTraces } from "../shared/promise-stack-traces";
import { deferArborist } from "./deferred-modules";
import { checkAsTheEngineDoes } from "./engine-checks";
import { EngineMocks } from "./engine-mocks";
import type { HostMessage, HostRequest, ProgramError } from "./program";
import { RecordedResource, recordOf, RegisterRequest } from "./records";
import { cacheCompiles, TsNodeService } from "./typescript-cache";
import { TYPESCRIPT, callSites } from "./call-sites";

// V8's code cache for @pulumi/aws and the SDK, before either loads (the CLI does the same).
enableCompileCache();

const request: HostRequest = JSON.parse(process.argv[2]);

// The CLI's own handling of Ctrl-C and SIGTERM, in this process: stop the builds' pip/uv, remove temporary files.
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
        if (stopping) return;
        stopping = true;
        stopChildren().finally(() => {
            removePendingTemps();
            process.exit(128 + os.constants.signals[signal]);
        });
    });
}

const notes = new Set<string>();
const errors: ProgramError[] = [];
const limits: ProgramError[] = [];
const resources: RecordedResource[] = [];
let stackOutputs: Record<string, unknown> | undefined;
let finished = false;

function send(message: HostMessage): Promise<void> {
    return new Promise((resolve) => process.send!(message, () => resolve()));
}

/** The program's @pulumi/pulumi (the language host runs the program's own `cmd/run`); this package's when it has none. */
function sdkFolder(): string {
    for (const from of [request.programDir, __dirname]) {
        try {
            return path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [from] }));
        } catch {
            // not installed there: try the next place
        }
    }
    throw new Error("@pulumi/pulumi is not installed");
}

/** Where a registration came from: the first frame in the program's own files, else the SDK's source position. */
function origin(req: { getStacktrace?(): { getFramesList(): { getPc(): { getUri(): string; getLine(): number } | undefined }[] } | undefined }): string | undefined {
    const frames = (req.getStacktrace?.()?.getFramesList() ?? []).map((f) => f.getPc()).filter((pc) => !!pc);
    const file = (uri: string) => (uri.startsWith("file://") ? new URL(uri).pathname : uri);
    const own = frames.find((pc) => {
        const f = file(pc!.getUri());
        return f.startsWith(request.programDir + path.sep) && !f.includes(`${path.sep}node_modules${path.sep}`);
    });
    const pc = own ?? frames[0];
    return pc ? `${path.relative(request.programDir, file(pc.getUri()))}:${pc.getLine()}` : undefined;
}

/** ts-node as the SDK will load it, with its transpiled output kept between previews (typescript-cache.ts). */
function keepTranspiledFiles(sdk: string): void {
    let entry: string;
    try {
        entry = require.resolve("ts-node", { paths: [sdk] });
    } catch {
        return; // the SDK falls back to its vendored ts-node; it is left as it is
    }
    const tsnode = require(entry) as { register(o: object): TsNodeService };
    const register = tsnode.register;
    tsnode.register = (options: object) => {
        const service = register(options);
        cacheCompiles(service, options, packageDir(entry), path.join(defaultCacheDir(), "preview", "typescript"));
        return service;
    };
}

/** The folder of the package a resolved entry file belongs to (the nearest package.json above it). */
function packageDir(entry: string): string {
    for (let dir = path.dirname(entry); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json")) || path.dirname(dir) === dir) return dir;
    }
}

/** An error as one line for the user: its message, and where in the program's own files it was thrown. */
function describe(e: unknown): string {
    if (!(e instanceof Error)) return String(e);
    // The SDK prefixes errors raised while it resolves an input (once per level of nesting). Node's "Require
    // stack" after a module it cannot find lists the preview's own files; the program's line says where.
    const message = e.message.replace(/^(error serializing property "[^"]*": )+/, "").replace(/\nRequire stack:\n(- .*(\n|$))*/, "");
    const at = (e.stack ?? "")
        .split("\n")
        .map((l) => /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?$/.exec(l.trim()))
        .find((m) => m?.[1].replace(/^file:\/\//, "").startsWith(request.programDir + path.sep) && !m[1].includes("/node_modules/"));
    return at && e.name !== "TSError" ? `${message} (${path.relative(request.programDir, at[1].replace(/^file:\/\//, ""))}:${at[2]})` : message;
}

async function main(): Promise<void> {
    const sdk = sdkFolder();
    // Before anything loads the SDK (this package's components do).
    deferArborist(request.programDir);
    keepTranspiledFiles(sdk);
    skipPromiseStackTraces(sdk);
    if (!request.quiet) {
        const { onBuildProgress } = require("../components/shared-build") as typeof import("../components/shared-build");
        onBuildProgress((message) => process.stderr.write(`lambda-python: ${message}\n`));
    }
    const pulumi = require(sdk);
    const settings = require(path.join(sdk, "runtime", "settings"));
    const log = require(path.join(sdk, "log"));
    const state = require(path.join(sdk, "runtime", "state"));
    await mockEngine(pulumi);
    recordRegistrations(settings.getMonitor());
    const logged = takeLoggedErrors(log, state);
    // Node runs out of work while the program is unfinished when it awaits or exports a promise that never settles.
    process.on("beforeExit", () => {
        if (finished) return;
        finished = true;
        errors.push({ message: "the program never finished: Node.js ran out of work while it was still waiting (a promise the program awaits, or one it exports as an output, never settles).", kind: "program" });
        void done();
    });

    const { run } = requireRun(sdk);
    await send({ kind: "started" });
    try {
        await run(
            { _: [request.main], pwd: request.programDir },
            () => undefined,
            logged.report,
            (e: unknown) => logged.reported.has(e),
        );
        await settings.waitForRPCs();
    } catch (e) {
        if (!logged.reported.has(e)) errors.push({ message: describe(e), kind: "program" });
    }
    if (finished) return;
    finished = true;
    // Since @pulumi/pulumi 3.2xx a failed RPC releases its keep-alive before its rejection is reported:
    // let Node report pending rejections before the result is sent.
    await new Promise((resolve) => setImmediate(resolve));
    await done();
}

/** The program's SDK's mocks, set up as the engine answers during a preview (engine-mocks.ts). */
async function mockEngine(pulumi: typeof import("@pulumi/pulumi")): Promise<void> {
    const mocks = new EngineMocks({
        project: request.project,
        stack: request.stack,
        config: JSON.parse(process.env.PULUMI_CONFIG ?? "{}"),
        given: request.invokeResults,
        stackOutputs: request.stackOutputs,
        note: (text) => notes.add(text),
        limit: (e, token) => limits.push({ message: `${e.what}${callSites(request.programDir, token, TYPESCRIPT)} ${e.remedy}`, kind: "limit" }),
    });
    await pulumi.runtime.setMocks(mocks, request.project, request.stack, true, request.organization);
}

/** Every registration as the engine receives it, and the stack's outputs. */
// biome-ignore lint/suspicious/noExplicitAny: the program's own SDK's mock monitor, loaded from its folder
function recordRegistrations(monitor: any): void {
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterRequest & { getRemote(): boolean }, callback: unknown) => {
        const record = recordOf(req, monitor.newUrn(req.getParent(), req.getType(), req.getName()));
        record.origin = origin(req as never);
        resources.push(record);
        if (req.getRemote()) notes.add(`${req.getType()} "${req.getName()}" is a component built by its provider plugin, which the offline preview does not run: its outputs are unknown and its child resources are not checked.`);
        return register(req, callback);
    };
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: { getUrn(): string; getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined }, callback: unknown) => {
        if (req.getUrn().split("::")[2] === "pulumi:pulumi:Stack") stackOutputs = req.getOutputs()?.toJavaScript() ?? {};
        return registerOutputs(req, callback);
    };
}

/**
 * Errors the program logs (pulumi.log.error, and the SDK's report of an unhandled error) fail the preview,
 * as they fail `pulumi preview`; they are said once, by the parent, without the SDK's stack traces.
 * `report` is the SDK's hook for an error it logged; `reported` holds them.
 */
// biome-ignore lint/suspicious/noExplicitAny: the program's own SDK's log and state modules, loaded from its folder
function takeLoggedErrors(log: any, state: any): { reported: Set<unknown>; report: (e: unknown) => void } {
    log.error = (message: string, resource?: { __name?: string }) => {
        state.getStore().logErrorCount++;
        errors.push({ message: resource?.__name ? `${resource.__name}: ${message}` : message, kind: "program" });
        return Promise.resolve();
    };
    const reported = new Set<unknown>();
    const report = (e: unknown) => {
        reported.add(e);
        errors.pop(); // the SDK's own wording, with the stack trace
        errors.push({ message: describe(e), kind: "program" });
    };
    return { reported, report };
}

/**
 * The SDK's `cmd/run/run` module, without two modules it loads that are the language host's process and
 * not the program's: `cmd/run/index` (the entry script: it parses the command line and connects to an
 * engine; run reads one constant from it, the exit code meaning "the user was told") and `cmd/run/tracing`
 * (OpenTelemetry export to an endpoint the preview never has; ~60 ms of loading). Stand-ins take their
 * place in Node's module cache: the constant, and a tracer whose every call does nothing.
 */
function requireRun(sdk: string): { run: (...args: unknown[]) => Promise<unknown> } {
    const dir = path.join(sdk, "cmd", "run");
    standIn(path.join(dir, "index.js"), { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 });
    standIn(path.join(dir, "tracing.js"), doesNothing);
    return require(path.join(dir, "run"));
}

/** A value whose properties and calls all give itself back: a span, a tracer, `start`, `stop`. Not a promise. */
const doesNothing: unknown = new Proxy(() => undefined, { get: (_, key) => (key === "then" ? undefined : doesNothing), apply: () => doesNothing });

function standIn(file: string, exports: unknown): void {
    if (!fs.existsSync(file) || require.cache[file]) return;
    const Module = require("module") as { new (id: string): NodeJS.Module };
    const entry = new Module(file);
    entry.filename = file;
    entry.loaded = true;
    entry.exports = exports;
    require.cache[file] = entry;
}

async function done(): Promise<void> {
    // A data source the preview could not answer explains the program's failure, if it failed: say that instead.
    const failures = dedupe(limits.length ? limits : errors);
    // The engine refuses what the mock monitor lets through (the same URN twice, an archive that is not there).
    if (!failures.length) for (const message of checkAsTheEngineDoes(resources, request.programDir)) failures.push({ message, kind: "program" });
    await send({ kind: "ran", resources, stackOutputs: stackOutputs ?? {}, errors: failures, notes: [...notes] });
    if (request.analyze && !failures.length) {
        const { checkWithPack } = require("./policy-check") as typeof import("./policy-check");
        await send({ kind: "analyzed", ...(await checkWithPack(resources, request.programDir, request.policyConfig)) });
    }
    process.exit(0); // a timer or socket the program left open must not keep it running (pulumi preview ends too)
}

function dedupe(list: ProgramError[]): ProgramError[] {
    const seen = new Set<string>();
    return list.filter((e) => !seen.has(e.message) && seen.add(e.message));
}

process.channel?.unref();
main().catch(async (e) => {
    errors.push({ message: describe(e), kind: "program" });
    finished = true;
    await done();
});
