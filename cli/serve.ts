// lambda-python serve: a local function URL (or API Gateway HTTP or REST
// API). HTTP requests become events for a warm function run the way Lambda
// runs it (the official Runtime Interface Emulator, the runtime's own
// CPython, Lambda's file system); results become HTTP responses by that
// front end's rules.
import { describeThrown, UserError } from "../shared/errors";
import type { InvokeResult } from "../runner";
import { resolveTargets, DEFAULT_HANDLER } from "../serve/targets";
import { serveFunctions } from "../serve/server";
import { ARCHITECTURES } from "../policies/target";
import { API_KINDS } from "../runner/http/event";
import { watchSources } from "../serve/watch";
import { debugPortOption, namedValues, oneOf, Options, parse, profileInitOption, progressPrinter, wholeNumber } from "./args";
import { serveUsage } from "./usage";
import { seekableArchive } from "./archive-input";
import { initProfileText, phasesText, waitingForDebugger } from "./invoke";

const help = `${serveUsage}

Serves a function the way its function URL would: each request becomes an API
Gateway payload 2.0 event (headers, cookies, query string, body — base64 when
binary), and the function's result becomes the response (a result without
statusCode is a 200 JSON body; cookies become Set-Cookie; a base64 body is
decoded; a failure or timeout is a 502). One warm function per function,
invoked one request at a time, as one Lambda execution environment.

What to serve:
  <function.zip>          a function archive (add --layer for its layers)
  <source-dir>            a source folder: built first (same cache as build)
  <program-dir>           a Pulumi program (has Pulumi.yaml): run offline as
                          preview does; every function with a URL is served,
                          each on its own port (--port, --port+1, … in the
                          program's order)

Options:
  --port N                port of the first function (default 3000; 0: any free port)
  --host ADDR             address to listen on (default 127.0.0.1)
  --layer ZIP             a layer archive, in order (repeatable)
  --handler MOD.FN        default ${DEFAULT_HANDLER}
  --runtime python3.X     default: what the zip's extension modules were built for, else the newest
  --arch x86_64|arm64     default: the zip's shared objects' architecture, else x86_64
  --timeout S             seconds per request (default 3, as Lambda)
  --memory MB             default 128
  --env K=V               an environment variable (repeatable; added to a program's functions too)
  --api url|http|rest     the front end to play (default url): a function URL; an API
                          Gateway HTTP API (payload 2.0, $default route; a failure is a
                          500 {"message":"Internal Server Error"}); or a REST API's
                          Lambda proxy integration (payload 1.0 on ANY /{proxy+}, stage
                          prod; its response rules: statusCode required, body a
                          string, no other keys, else 502 "Malformed Lambda proxy
                          response")
  --print-events          print each event built, as JSON, on stderr before it is sent
                          (lambda-python event url|http|rest writes one to a file)
  --debug-port N          run the function under debugpy on 127.0.0.1:N (the next
                          functions of a program on N+1, …); each cold start waits for
                          a debugger to attach (VS Code: see the README)
  --profile-init          profile each cold start's imports, as invoke --profile-init does,
                          and print the profile on stderr (after the first request, and
                          after each new execution environment: a timeout, a crash, a reload)
  --watch                 rebuild when the source folder, program folder or .zip changes;
                          the next request runs the new code (requests that come during
                          the rebuild wait for it; a failed rebuild keeps the old code)
  --quiet                 no request log on stderr

Stop with Ctrl-C (or SIGTERM): every function it started is stopped.`;

/** serve's options, as parseArgs takes them (--help comes with every command). */
const OPTIONS = {
    port: { type: "string" },
    host: { type: "string" },
    layer: { type: "string", multiple: true },
    handler: { type: "string" },
    runtime: { type: "string" },
    arch: { type: "string" },
    timeout: { type: "string" },
    memory: { type: "string" },
    env: { type: "string", multiple: true },
    quiet: { type: "boolean" },
    api: { type: "string" },
    "print-events": { type: "boolean" },
    watch: { type: "boolean" },
    "debug-port": { type: "string" },
    "profile-init": { type: "boolean" },
} satisfies Options;

export async function serveCommand(argv: string[]): Promise<number> {
    const { values: v, positionals } = parse("serve", argv, OPTIONS, serveUsage);
    if (v.help) {
        console.log(help);
        return 0;
    }
    if (positionals.length !== 1) throw new UserError(`serve takes one function .zip, source folder or Pulumi program folder.\nUsage: ${serveUsage}`);
    const port = wholeNumber("port", v.port, { min: 0, max: 65535 }) ?? 3000;
    const environment = namedValues("env", v.env);
    const api = oneOf("api", v.api, API_KINDS) ?? "url";
    const debugPort = debugPortOption(v["debug-port"]);
    const profileInit = profileInitOption(v["profile-init"], debugPort);
    const say = progressPrinter(false);
    const target = await seekableArchive(positionals[0], "function archive or folder");
    const layers: string[] = [];
    for (const layer of v.layer ?? []) layers.push(await seekableArchive(layer, "layer archive"));
    const targetOptions = {
        layers,
        handler: v.handler,
        runtime: v.runtime,
        architecture: oneOf("arch", v.arch, ARCHITECTURES),
        timeoutSeconds: wholeNumber("timeout", v.timeout),
        memoryMB: wholeNumber("memory", v.memory),
        environment,
        say,
    };
    const functions = await resolveTargets(target, targetOptions);
    say(`starting ${functions.map((f) => `${f.name} (${f.spec.runtime}, ${f.spec.architecture})`).join(", ")}`);
    const printEvent = v["print-events"] ? (name: string, event: object) => process.stderr.write(`[${name}] event: ${JSON.stringify(event, null, 2)}\n`) : undefined;
    // Every cold start is said (init apart from the handler); with --profile-init, with its profile, even with --quiet.
    const onColdStart = (name: string, result: InvokeResult) => {
        if (profileInit) process.stderr.write(initProfileText(result, `${name}'s cold start`) ?? "");
        else if (!v.quiet) say(`${name}: cold start: ${phasesText(result)}`);
    };
    const server = await serveFunctions(functions, {
        host: v.host ?? "127.0.0.1",
        port,
        progress: say,
        log: v.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
        api,
        printEvent,
        debugPort,
        profileInit,
        onColdStart,
    });
    if (debugPort !== undefined) server.listening.forEach((l, i) => say(`${l.name}: ${waitingForDebugger(debugPort + i)} (at its first request)`));
    for (const l of server.listening) {
        for (const w of l.warnings) say(`${l.name}: warning: ${w}`);
        console.log(`${l.name}: ${l.url}`);
    }
    let watcher: { close(): void } | undefined;
    if (v.watch) {
        // One rebuild at a time; changes during one are picked up by the next.
        let rebuilding: Promise<void> = Promise.resolve();
        watcher = watchSources(target, (changed) => {
            rebuilding = rebuilding.then(async () => {
                say(`${changed.slice(0, 3).join(", ")}${changed.length > 3 ? ` and ${changed.length - 3} more` : ""} changed: rebuilding`);
                try {
                    const next = await resolveTargets(target, targetOptions);
                    await server.reload(next);
                    say(`reloaded ${next.map((f) => f.name).join(", ")}`);
                } catch (e) {
                    say(`the rebuild failed; still serving the previous code: ${describeThrown(e)}`);
                }
            });
        });
        say(`watching ${target} for changes`);
    }
    say("serving; press Ctrl-C to stop");
    // The command owns SIGINT/SIGTERM while it serves (main's handlers step aside): stop everything, then exit.
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once("SIGINT", () => resolve("SIGINT"));
        process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    say(`${signal}: stopping`);
    watcher?.close();
    await server.close();
    return signal === "SIGINT" ? 130 : 143;
}
