// The function URL server: one HTTP listener and one warm function (the
// runner's emulator) per function. Each function gets its own port, as each
// function URL is its own origin, so a function sees the paths a client
// asked for and its absolute links work. Requests to one function are
// serialised: the emulator answers one invoke at a time, as one Lambda
// execution environment does.
import { randomUUID } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { UserError } from "../shared/errors";
import { FunctionSpec, InvokeResult, MAX_PAYLOAD_BYTES, startFunction, WarmFunction } from "../runner";
import { ApiKind, buildApiEvent } from "../runner/http/event";
import { badGateway, HttpResponse, toApiResponse } from "../runner/http/response";

/** Lambda's limit on a synchronous invocation's request payload. */
const MAX_REQUEST_BYTES = MAX_PAYLOAD_BYTES;

function tooLarge(): HttpResponse {
    return { statusCode: 413, headers: [["content-type", "text/plain"]], body: Buffer.from(`Request must be smaller than ${MAX_REQUEST_BYTES} bytes for the InvokeFunction operation`) };
}

export interface ServedFunction {
    /** Shown in logs and used as the URL id. */
    name: string;
    spec: FunctionSpec;
}

export interface ServeOptions {
    host?: string;
    /** Port of the first function; the next ones take the following ports. 0: any free port for each. */
    port?: number;
    /** One line per request, and the function's own logs. */
    log?: (line: string) => void;
    /** Progress while the runner installs what a function needs (first use of a runtime). */
    progress?: (message: string) => void;
    /** Which front end's events and response rules: a function URL (default), an HTTP API (2.0) or a REST API (1.0). */
    api?: ApiKind;
    /** Shown each event built, before it is sent (serve --print-events). */
    printEvent?: (name: string, event: object) => void;
    /** Run the functions under debugpy on this port (the next ones on the following ports): runner StartOptions.debugPort. */
    debugPort?: number;
    /** Profile each cold start's imports (runner StartOptions.profileInit): the cold start's result has `initProfile`. */
    profileInit?: boolean;
    /** Each cold start's result (its init apart from the handler, `initProfile` with `profileInit`). */
    onColdStart?: (name: string, result: InvokeResult) => void;
}

export interface Listening {
    name: string;
    url: string;
    warnings: string[];
}

export interface RunningServer {
    listening: Listening[];
    /**
     * Starts these functions (matched by name to the ones served) and, once each has started, sends the next
     * requests to it; requests that come meanwhile wait for it, requests under way finish on the old one, which
     * is then stopped. A function that fails to start leaves the old one serving (the error is rejected).
     */
    reload(functions: ServedFunction[]): Promise<void>;
    /** Stops the listeners and every function started; safe to call twice. */
    close(): Promise<void>;
}

export async function serveFunctions(functions: ServedFunction[], options: ServeOptions = {}): Promise<RunningServer> {
    const host = options.host ?? "127.0.0.1";
    const log = options.log ?? (() => {});
    const debugPortOf = (i: number) => (options.debugPort === undefined ? undefined : options.debugPort + i);
    const started: Slot[] = [];
    let closing: Promise<void> | undefined;
    const close = () =>
        (closing ??= (async () => {
            for (const s of started) {
                s.server?.closeAllConnections();
                await new Promise<void>((resolve) => (s.server ? s.server.close(() => resolve()) : resolve()));
            }
            await Promise.all(started.map((s) => s.warm?.close().catch(() => {})));
        })());
    try {
        const listening: Listening[] = [];
        for (const [i, f] of functions.entries()) {
            const slot: Slot = { name: f.name, ready: Promise.resolve(), pending: new Set() };
            started.push(slot);
            slot.warm = await startFunction(f.spec, { onProgress: options.progress, onLog: (text) => logLines(log, f.name, text), debugPort: debugPortOf(i), profileInit: options.profileInit });
            const port = options.port ? options.port + i : 0;
            slot.server = await listen(handlerFor(slot, log, options), host, port, f.name);
            const actual = (slot.server.address() as AddressInfo).port;
            const notes = [...slot.warm.warnings];
            if (slot.warm.cannotLoad) notes.push(`every request is answered 502: Lambda could not load this function — ${slot.warm.cannotLoad.map((c) => c.message).join(" ")}`);
            if (slot.warm.interpreter !== f.spec.runtime) notes.push(`${f.spec.runtime} runs on ${slot.warm.interpreter} here.`);
            listening.push({ name: f.name, url: `http://${host.includes(":") ? `[${host}]` : host}:${actual}/`, warnings: notes });
        }
        const reload = async (next: ServedFunction[]) => {
            const failures: string[] = [];
            await Promise.all(
                next.map(async (f) => {
                    const slot = started.find((s) => s.name === f.name);
                    if (!slot) return;
                    let done!: () => void;
                    const previous = slot.ready;
                    slot.ready = new Promise<void>((r) => (done = r));
                    try {
                        await previous;
                        if (options.debugPort !== undefined) {
                            // The debugger's port is held by the running function's network: it goes first.
                            await Promise.allSettled([...slot.pending]);
                            await slot.warm?.close();
                        }
                        const fresh = await startFunction(f.spec, {
                            onProgress: options.progress,
                            onLog: (text) => logLines(log, f.name, text),
                            debugPort: debugPortOf(started.indexOf(slot)),
                            profileInit: options.profileInit,
                        });
                        const old = slot.warm;
                        slot.warm = fresh;
                        // Requests under way finish on the old function before it is stopped.
                        const inFlight = [...slot.pending];
                        void Promise.allSettled(inFlight).then(() => old?.close());
                    } catch (e) {
                        failures.push(`${f.name}: ${(e as Error)?.message ?? e}`);
                    } finally {
                        done();
                    }
                }),
            );
            if (failures.length) throw new UserError(failures.join("\n"));
        };
        return { listening, close, reload };
    } catch (e) {
        await close();
        throw e;
    }
}

/** One served function: its listener, the warm function answering it now, and the requests under way. */
interface Slot {
    name: string;
    server?: http.Server;
    warm?: WarmFunction;
    /** Settles when a reload under way has swapped the function (or failed to). */
    ready: Promise<void>;
    /** The invokes under way on `warm`. */
    pending: Set<Promise<unknown>>;
}

function logLines(log: (line: string) => void, name: string, text: string): void {
    for (const l of text.split(/\r?\n/)) if (l) log(`[${name}] ${l}`);
}

function listen(handler: http.RequestListener, host: string, port: number, name: string): Promise<http.Server> {
    return new Promise((resolve, reject) => {
        const server = http.createServer(handler);
        server.once("error", (e: NodeJS.ErrnoException) => {
            if (e.code === "EADDRINUSE") reject(new UserError(`cannot serve ${name} on ${host}:${port}: the port is in use. Pick another with --port (or --port 0 for any free port).`));
            else if (e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND") reject(new UserError(`cannot serve ${name} on ${host}: no such address on this machine. Use --host 127.0.0.1 or 0.0.0.0.`));
            else if (e.code === "EACCES") reject(new UserError(`cannot serve ${name} on ${host}:${port}: permission denied (ports below 1024 need root). Pick a port above 1024.`));
            else reject(e);
        });
        server.listen(port, host, () => resolve(server));
    });
}

/** One function's request handler: read, translate, invoke, translate back. */
function handlerFor(slot: Slot, log: (line: string) => void, options: ServeOptions): http.RequestListener {
    const name = slot.name;
    return (req, res) => {
        const started = process.hrtime.bigint();
        const chunks: Buffer[] = [];
        let size = 0;
        let answered = false;
        const answer = (response: HttpResponse) => {
            if (answered) return;
            answered = true;
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            log(`[${name}] ${req.method} ${req.url} -> ${response.statusCode} (${ms.toFixed(1)} ms)${response.problem ? `: ${response.problem}` : ""}`);
            send(req, res, response);
        };
        req.on("data", (c: Buffer) => {
            if (answered) return;
            size += c.length;
            chunks.push(c);
            if (size > MAX_REQUEST_BYTES) {
                // Refused as soon as it is over the limit: the rest is neither read nor kept.
                chunks.length = 0;
                res.setHeader("connection", "close");
                answer(tooLarge());
            }
        });
        req.on("error", () => {}); // a client that goes away mid-request: nothing to answer
        req.on("end", () => {
            if (answered) return;
            // A reload under way (serve --watch) answers with the new function.
            slot.ready
                .then(() => {
                    // In flight on this function from now on: a reload stops it only once these are answered.
                    const work = respond(name, slot.warm!, req, Buffer.concat(chunks), options);
                    slot.pending.add(work);
                    return work.finally(() => slot.pending.delete(work));
                })
                .catch((e) => badGateway(`serve could not answer this request: ${(e as Error)?.message ?? e}`))
                .then(answer);
        });
    };
}

async function respond(name: string, warm: WarmFunction, req: http.IncomingMessage, body: Buffer, options: ServeOptions): Promise<HttpResponse> {
    const local = req.socket.localPort ?? 0;
    const api = options.api ?? "url";
    const event = buildApiEvent(
        api,
        { method: req.method ?? "GET", url: req.url ?? "/", httpVersion: req.httpVersion, rawHeaders: req.rawHeaders, body, sourceIp: req.socket.remoteAddress ?? "127.0.0.1" },
        { requestId: randomUUID(), now: new Date(), domainName: req.headers.host ?? `localhost:${local}`, urlId: name, port: local },
    );
    // The limit is on the event as JSON: a binary body grows by a third in base64, headers add more.
    if (Buffer.byteLength(JSON.stringify(event)) > MAX_REQUEST_BYTES) return tooLarge();
    options.printEvent?.(name, event);
    try {
        const result = await warm.invoke(event); // the runner queues invokes, one at a time
        if (result.initDurationMs !== undefined) options.onColdStart?.(name, result);
        return toApiResponse(api, result);
    } catch (e) {
        return badGateway(`the function could not be invoked: ${(e as Error)?.message ?? e}`);
    }
}

/** Statuses whose responses have no body (RFC 9110): no content-length is sent for them. */
const NO_BODY = new Set([204, 304]);

function send(req: http.IncomingMessage, res: http.ServerResponse, r: HttpResponse): void {
    const headers = r.headers.filter(([n]) => !["content-length", "transfer-encoding", "connection"].includes(n.toLowerCase()));
    const bodyless = NO_BODY.has(r.statusCode);
    if (!bodyless) headers.push(["content-length", String(r.body.length)]);
    try {
        res.writeHead(r.statusCode, headers.flat());
    } catch {
        // toHttpResponse checks every header; should Node still refuse one, this request fails, not the server.
        if (res.headersSent) res.destroy();
        else res.writeHead(502, { "content-type": "text/plain", "content-length": "21" }).end("Internal Server Error");
        return;
    }
    res.end(req.method === "HEAD" || bodyless ? undefined : r.body);
}
