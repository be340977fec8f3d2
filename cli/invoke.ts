// lambda-python invoke: run a function archive (or a source folder, built
// first) once, the way Lambda runs it, and print its response.
import * as fs from "fs";
import * as path from "path";
import { buildArchive } from "../builder";
import { describeFsError, UserError } from "../shared/errors";
import { checkLayerCount, detectTarget, formatInitProfile, FunctionSpec, INIT_SECONDS, InvokeFailure, InvokeResult, JsonText, startFunction } from "../runner";
import { Architecture, ARCHITECTURES, isArchitecture, NEWEST_RUNTIME } from "../policies/target";
import { debugPortOption, namedValues, oneOf, Options, parse, Parsed, profileInitOption, progressPrinter, wholeNumber } from "./args";
import { invokeUsage } from "./usage";
import { seekableArchive } from "./archive-input";
import { readEventFile } from "../runner/event-file";
import limits from "../policies/data/lambda-limits.json";

const help = `${invokeUsage}

Runs the function once in the official AWS Lambda Runtime Interface Emulator,
with awslambdaric (the runtime client AWS's images use) on a real CPython for
the runtime and architecture (Debian's; arm64 through qemu), in a bubblewrap
sandbox laid out as Lambda's: the function read-only at /var/task, the layers
merged in order at /opt, a writable /tmp, Lambda's sys.path and environment.
A source folder is built first (same cache as lambda-python build).

  --layer ZIP             a layer archive, merged at /opt in the order given (repeatable)
  --handler MOD.FN        default lambda_function.lambda_handler
  --runtime python3.X     default: what the archive's extension modules were built for, else ${NEWEST_RUNTIME}
  --arch x86_64|arm64     default: the archive's shared objects' architecture, else x86_64
  --event FILE|-          the event, a JSON file or - for stdin (default {})
  --timeout S             the handler's seconds, 1-900 (default 3, as Lambda); the init
                          (imports) has Lambda's 10 s init limit of its own
  --memory MB             128-10240 (default 128; recorded, not enforced)
  --env K=V               an environment variable (repeatable)
  --name NAME             the function's name (default: the archive's or folder's name)
  --debug-port N          run the function under debugpy on 127.0.0.1:N and wait for a
                          debugger to attach before its init (VS Code: "attach" with
                          pathMappings to /var/task, see the README); no timeout stops it
                          while it is debugged
  --profile-init          profile the cold start's imports (CPython's -X importtime in the
                          sandbox): the import tree, the ten slowest imports by their own
                          and cumulative time with their package and its size in the
                          archive, and each one's share of the init (on stderr; in the
                          JSON as initProfile). Under qemu the milliseconds are inflated,
                          the shares are not; the profile says which bytecode it ran with
  --json                  print {ok, response, error, timedOut, durationMs, initDurationMs,
                          handlerDurationMs, logs, warnings, initProfile} as JSON
  --quiet                 no progress or summary on stderr (the function's logs still go there)

The response goes to stdout, the function's logs to stderr. Tools missing on
first use are installed (see lambda-python setup).

Exit status: 0 the function returned, 1 it raised or timed out, 2 a usage or input error.`;

export function waitingForDebugger(port: number): string {
    return `the function starts under debugpy and waits for a debugger on 127.0.0.1:${port} before its init: attach now (VS Code: an "attach" configuration with "connect": {"host": "127.0.0.1", "port": ${port}} and pathMappings to /var/task)`;
}

/** The profile as the CLI prints it on stderr, under a heading naming the function. */
export function initProfileText(result: InvokeResult, what: string): string | undefined {
    if (!result.initProfile) return undefined;
    const body = formatInitProfile(result.initProfile, result.handlerDurationMs);
    return `lambda-python: init profile of ${what} (CPython's -X importtime):\n${body.replace(/^(?=.)/gm, "  ")}\n`;
}

/** "init 812 ms, handler 3 ms" for a cold start, "handler 3 ms" for a warm one (as Lambda's REPORT line separates them). */
export function phasesText(result: InvokeResult): string {
    const ms = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
    const parts = [result.initDurationMs === undefined ? undefined : `init ${ms(result.initDurationMs)}`, result.handlerDurationMs === undefined ? undefined : `handler ${ms(result.handlerDurationMs)}`];
    return parts.filter(Boolean).join(", ");
}

/** The event the user gave (runner/event-file.ts), or {} when none. */
async function readEvent(source: string | undefined): Promise<JsonText> {
    return source === undefined ? new JsonText("{}") : readEventFile(source);
}

/** The init phase in words: the handler's module and what it imports, before the handler runs. */
function initPhase(handler: string | undefined): string {
    const module = handler ? handler.slice(0, handler.lastIndexOf(".")).replace(/\//g, ".") : undefined;
    return `init (importing ${module ? `${module}, the handler's module,` : "the handler's module"} and what it imports, before the handler runs)`;
}

/** What an init over Lambda's limit led to, when it did (runner/DESIGN.md, "Init and timeouts"). */
function initLimitNote(result: InvokeResult, handler?: string): string | undefined {
    if (!result.initTimedOut) return undefined;
    return `the function's ${initPhase(handler)} ran past Lambda's ${INIT_SECONDS} s init limit; Lambda then retries the init with the invoke, counted in the function's timeout (${result.timeoutSeconds ?? "?"} s), as was done here`;
}

/** A function error as Python prints it: the traceback, then "Type: message"; a timeout says which clock ran out and what to change. */
export function formatFunctionError(result: InvokeFailure, handler?: string): string {
    if (result.timedOut) {
        const seconds = result.timeoutSeconds ?? /after ([\d.]+) seconds/.exec(result.payload)?.[1];
        const said = `(${result.payload.trim()})`;
        if (result.initTimedOut) {
            return `${initLimitNote(result, handler)}, and it timed out again ${said}. Make the import faster (do the slow work in the handler, or import it there), or give the function a timeout its init and handler fit in with --timeout S (up to ${limits.timeoutSeconds}; the component's timeout).`;
        }
        if (result.duringInit) {
            return `the function timed out during its ${initPhase(handler)}, within its timeout of ${seconds ?? "?"} s ${said}. Make the import faster, or give it more time with --timeout S (up to ${limits.timeoutSeconds}; the component's timeout).`;
        }
        return `the function timed out: its handler ran longer than the function's timeout of ${seconds ?? "?"} s ${said}. The timeout counts the handler only (the init has Lambda's ${INIT_SECONDS} s of its own); give it more with --timeout S (up to ${limits.timeoutSeconds}; the component's timeout).`;
    }
    if (result.cannotLoad) {
        return `the function was not run: Lambda could not load it (the policy pack's checks for its runtime and architecture, as lambda-python inspect runs them):\n${result.cannotLoad.map((f) => `  [${f.policy}] ${f.message}`).join("\n")}`;
    }
    const e = result.error;
    const trace = e.stackTrace?.length ? `Traceback (most recent call last):\n${e.stackTrace.map((l) => (l.endsWith("\n") ? l : `${l}\n`)).join("")}` : "";
    const retried = result.initTimedOut ? ` (${initLimitNote(result, handler)})` : "";
    return `the function failed${result.duringInit ? " during init" : ""}${retried} with ${e.errorType}: ${e.errorMessage}\n${trace}${e.errorType}: ${e.errorMessage}`;
}

/**
 * The --json document. The function's response is spliced in as the JSON text
 * it returned, not parsed and written again: a response nested deeper than
 * JavaScript's JSON writer can go would otherwise end the command.
 */
function jsonReport(result: InvokeResult, about: Record<string, unknown>): string {
    const doc = JSON.stringify({ ...result, ...about }, null, 2);
    try {
        JSON.parse(result.payload);
    } catch {
        return doc; // not JSON: no "response", the text is in "payload"
    }
    return `{\n  "response": ${result.payload.trim()},${doc.slice(1)}`;
}

/** invoke's options, as parseArgs takes them (--help comes with every command). */
const OPTIONS = {
    layer: { type: "string", multiple: true },
    handler: { type: "string" },
    runtime: { type: "string" },
    arch: { type: "string" },
    event: { type: "string" },
    timeout: { type: "string" },
    memory: { type: "string" },
    env: { type: "string", multiple: true },
    name: { type: "string" },
    json: { type: "boolean" },
    quiet: { type: "boolean" },
    "debug-port": { type: "string" },
    "profile-init": { type: "boolean" },
} satisfies Options;

type Values = Parsed<typeof OPTIONS>["values"];

export async function invokeCommand(argv: string[]): Promise<number> {
    const { values: v, positionals } = parse("invoke", argv, OPTIONS, invokeUsage);
    if (v.help) {
        console.log(help);
        return 0;
    }
    if (positionals.length !== 1) throw new UserError(`invoke takes one function .zip or source folder${positionals.length ? `; got ${positionals.join(", ")}` : ""}.\nUsage: ${invokeUsage}`);
    const say = progressPrinter(!!v.quiet);
    const { input, isFolder } = await functionInput(positionals[0]);
    const request = await checkedRequest(v);
    const spec = await functionSpec(v, input, isFolder, request, say);
    const { result, warnings } = await invokeOnce(spec, request, say);
    return report(result, spec, warnings, !!v.json, say);
}

/** What the user asked for beside the function, every value checked before anything slow happens. */
interface Request {
    event: JsonText;
    environment: Record<string, string>;
    timeoutSeconds: number | undefined;
    memoryMB: number | undefined;
    debugPort: number | undefined;
    profileInit: boolean;
    architecture: Architecture | undefined;
    /** The layers as files (a piped layer copied to one). */
    layers: string[];
}

/** The function archive or source folder as a file (a piped archive copied to one); a Pulumi program's folder refused. */
async function functionInput(given: string): Promise<{ input: string; isFolder: boolean }> {
    const input = await seekableArchive(given, "function archive or folder");
    let stat: fs.Stats;
    try {
        stat = fs.statSync(input);
    } catch (e) {
        throw describeFsError(e, input, "function archive or folder");
    }
    if (stat.isDirectory() && fs.existsSync(path.join(input, "Pulumi.yaml"))) {
        // Built as a function it would hold the program's own files and fail to import the handler.
        throw new UserError(
            `${input} is a Pulumi program folder, not a function's source folder. Invoke every function of the program with lambda-python preview ${input} --invoke, serve its URL functions with lambda-python serve ${input}, or give invoke one function's source folder or .zip.`,
        );
    }
    return { input, isFolder: stat.isDirectory() };
}

/** Everything the user typed, checked (a UserError names the option) before anything slow happens. */
async function checkedRequest(v: Values): Promise<Request> {
    const event = await readEvent(v.event);
    const environment = namedValues("env", v.env);
    const timeoutSeconds = wholeNumber("timeout", v.timeout);
    const memoryMB = wholeNumber("memory", v.memory);
    const debugPort = debugPortOption(v["debug-port"]);
    const profileInit = profileInitOption(v["profile-init"], debugPort);
    const architecture = oneOf("arch", v.arch, ARCHITECTURES);
    const given = v.layer ?? [];
    checkLayerCount(given); // before a piped layer is copied
    const layers: string[] = [];
    for (const layer of given) layers.push(await seekableArchive(layer, "layer archive"));
    return { event, environment, timeoutSeconds, memoryMB, debugPort, profileInit, architecture, layers };
}

/** The function to run: a folder is built first (its target is then the build's); an archive's target, where not given, is detected from its files. */
async function functionSpec(v: Values, input: string, isFolder: boolean, request: Request, say: (message: string) => void): Promise<FunctionSpec> {
    let code = input;
    let runtime = v.runtime;
    let architecture = request.architecture;
    if (isFolder) {
        const built = await buildArchive({ source: input, kind: "function", runtime, architecture, onProgress: say });
        code = built.path;
        runtime = built.runtime;
        if (isArchitecture(built.architecture)) architecture = built.architecture;
    } else {
        const detected = detectTarget(input);
        runtime ??= detected.runtime;
        architecture ??= detected.architecture;
    }
    return {
        code,
        layers: request.layers,
        handler: v.handler ?? "lambda_function.lambda_handler",
        runtime: runtime ?? NEWEST_RUNTIME,
        architecture: architecture ?? "x86_64",
        timeoutSeconds: request.timeoutSeconds,
        memoryMB: request.memoryMB,
        environment: request.environment,
        functionName: v.name ?? path.basename(path.resolve(input)).replace(/\.zip$/i, ""),
    };
}

/** Starts the function, invokes it once with the event and stops it; its warnings (and the wait for a debugger) go to stderr first. */
async function invokeOnce(spec: FunctionSpec, request: Request, say: (message: string) => void): Promise<{ result: InvokeResult; warnings: string[] }> {
    const { debugPort, profileInit } = request;
    const fn = await startFunction(spec, { onLog: (line) => process.stderr.write(line), onProgress: say, debugPort, profileInit });
    try {
        for (const w of fn.warnings) process.stderr.write(`lambda-python: warning: ${w}\n`);
        // Said even with --quiet: the command waits for the user's editor.
        if (debugPort !== undefined) process.stderr.write(`lambda-python: ${waitingForDebugger(debugPort)}\n`);
        return { result: await fn.invoke(request.event), warnings: fn.warnings };
    } finally {
        await fn.close();
    }
}

/** The response on stdout (or the --json document), then on stderr the function's error (exit 1), or any init warning and the summary line (exit 0). */
function report(result: InvokeResult, spec: FunctionSpec, warnings: string[], json: boolean, say: (message: string) => void): number {
    if (json) {
        console.log(jsonReport(result, { runtime: spec.runtime, architecture: spec.architecture, handler: spec.handler, warnings }));
    } else {
        process.stdout.write(result.payload.endsWith("\n") ? result.payload : `${result.payload}\n`);
        // Asked for, so printed even with --quiet; with --json it is the document's initProfile.
        const profile = initProfileText(result, `${spec.handler} (${spec.runtime}, ${spec.architecture})`);
        if (profile) process.stderr.write(profile);
    }
    if (!result.ok) {
        process.stderr.write(`lambda-python: ${formatFunctionError(result, spec.handler)}\n`);
        return 1;
    }
    const slowInit = initLimitNote(result, spec.handler);
    if (slowInit) process.stderr.write(`lambda-python: warning: ${slowInit}.\n`);
    // Where Debian has no CPython of the runtime's version, the answer came from another: said here, not only in a warning.
    const ranOn = result.interpreter === spec.runtime ? "" : `, run on ${result.interpreter}`;
    const phases = phasesText(result);
    say(`${spec.handler} returned in ${Math.round(result.durationMs)} ms (${spec.runtime}${ranOn}, ${spec.architecture})${phases ? `: ${phases}` : ""}`);
    return 0;
}
