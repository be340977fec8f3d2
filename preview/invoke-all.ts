// `preview --invoke` (what `npm start` runs): after the preview, every
// function of the program is invoked once, the way Lambda runs it, with its
// example's event (events/<function-name>.json in the program folder or an
// example folder under it; {} when there is none). A function with a URL is
// judged as its function URL would answer (payload 2.0 response rules).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatInitProfile, InitProfile, invokeOnce } from "../runner";
import { readEventFile } from "../runner/event-file";
import { hostArchitecture } from "../target-python/host";
import { toHttpResponse } from "../runner/http/response";
import { ProgramFunction, programFunctions } from "./functions";
import { ProgramRun } from "./program";

export interface Invocation {
    function: string;
    /** The event file used, relative to the program folder; absent when the event was {}. */
    event?: string;
    ok: boolean;
    /** "200" … for a function with a URL (its HTTP status), else "ok" / "error" / "timeout" / "cannot load" / "not run" / "not run here"; "(on python3.X)" when another CPython version ran it. */
    status: string;
    durationMs: number;
    /** The cold start's init (the runtime's start and the handler module's imports), apart from the handler. */
    initDurationMs?: number;
    handlerDurationMs?: number;
    /** With `profileInit` (preview --invoke --profile-init): where the init's time went (runner/init-profile.ts). */
    initProfile?: InitProfile;
    /** The HTTP body for a function with a URL, the raw result otherwise, or what went wrong. */
    response: string;
    firstLine: string;
    /** Not run because of what the offline runner runs (python3.* functions from local archives): neither passed nor failed. */
    notRunHere?: boolean;
}

export interface InvokeAllOptions {
    /**
     * Profile each function's cold start (runner StartOptions.profileInit). The functions are then invoked one at
     * a time, so that no two cold starts share the processor and each profile's shares are its own.
     */
    profileInit?: boolean;
}

export async function invokeAll(run: ProgramRun, say: (message: string) => void, options: InvokeAllOptions = {}): Promise<Invocation[]> {
    const functions = programFunctions(run.resources, run.programDir);
    // Each function gets its own emulator on its own ports, so they run side by side, as many at once as
    // there are cores (a cold start is CPU-bound). Longest first, so that no slot is left with a long one
    // at the end: the emulated (qemu) ones are by far the slowest, then the others by the size of their
    // archives (a cold start's imports grow with the code). The table keeps the program's order.
    const order = functions.map((f, i) => ({ f, i, emulated: emulated(f), bytes: archiveBytes(f) })).sort((a, b) => Number(b.emulated) - Number(a.emulated) || b.bytes - a.bytes);
    const out: Invocation[] = new Array(functions.length);
    let next = 0;
    const worker = async () => {
        while (next < order.length) {
            const { f, i } = order[next++];
            out[i] = await invokeOne(run, f, say, options);
        }
    };
    const workers = options.profileInit ? 1 : Math.min(order.length, Math.max(2, os.availableParallelism()));
    await Promise.all(Array.from({ length: workers }, worker));
    return out;
}

function emulated(f: ProgramFunction): boolean {
    return !!f.spec && f.spec.architecture !== hostArchitecture();
}

/** The size of a function's code and layer archives (0 for a folder or a missing file: it is reported later). */
function archiveBytes(f: ProgramFunction): number {
    const size = (file: string) => {
        try {
            const st = fs.statSync(file);
            return st.isFile() ? st.size : 0;
        } catch {
            return 0;
        }
    };
    return f.spec ? [f.spec.code, ...(f.spec.layers ?? [])].reduce((sum, file) => sum + size(file), 0) : 0;
}

async function invokeOne(run: ProgramRun, f: ProgramFunction, say: (message: string) => void, options: InvokeAllOptions): Promise<Invocation> {
    const eventFile = findEvent(run.programDir, f.name);
    const base = { function: f.name, event: eventFile && path.relative(run.programDir, eventFile) };
    if (!f.spec) {
        // A Node.js function, an image, code in S3: a limit of running offline, said as such, not a failure.
        if (f.notRunHere) return { ...base, ok: true, notRunHere: true, status: "not run here", durationMs: 0, response: f.problem!, firstLine: f.problem! };
        return { ...base, ok: false, status: "not run", durationMs: 0, response: f.problem!, firstLine: f.problem! };
    }
    let event: unknown = {};
    if (eventFile) {
        try {
            event = await readEventFile(eventFile);
        } catch (e) {
            const problem = (e as Error).message;
            return { ...base, ok: false, status: "not run", durationMs: 0, response: problem, firstLine: problem };
        }
    }
    say(`invoking ${f.name} (${f.spec.runtime}, ${f.spec.architecture})`);
    try {
        const result = await invokeOnce(f.spec, event, { onProgress: say, profileInit: options.profileInit });
        let ok = result.ok && !result.timedOut;
        // A function that died in init, or that Lambda could not load (not run), failed: never counted as passing.
        let status = result.timedOut ? "timeout" : result.ok ? "ok" : result.cannotLoad ? "cannot load" : "error";
        let response = result.ok ? result.payload : `${result.error.errorType}: ${result.error.errorMessage}`;
        if (f.url && ok) {
            const http = toHttpResponse(result);
            status = String(http.statusCode);
            ok = http.statusCode < 400;
            response = http.problem ?? http.body.toString("utf8");
        }
        if (!ok && result.logs) say(`${f.name}'s logs:\n${result.logs.trimEnd()}`);
        // The answer of another CPython version than the runtime's says so where it is read.
        if (result.interpreter !== f.spec.runtime && !result.cannotLoad) status += ` (on ${result.interpreter})`;
        const phases = {
            ...(result.initDurationMs === undefined ? {} : { initDurationMs: result.initDurationMs }),
            ...(result.handlerDurationMs === undefined ? {} : { handlerDurationMs: result.handlerDurationMs }),
            ...(result.initProfile ? { initProfile: result.initProfile } : {}),
        };
        return { ...base, ok, status, durationMs: result.durationMs, ...phases, response, firstLine: firstLine(response) };
    } catch (e) {
        const problem = (e as Error)?.message ?? String(e);
        return { ...base, ok: false, status: "not run", durationMs: 0, response: problem, firstLine: firstLine(problem) };
    }
}

/** events/<name>.json in the program folder, or in any folder below it (examples/<x>/events/<name>.json). */
function findEvent(programDir: string, name: string): string | undefined {
    const direct = path.join(programDir, "events", `${name}.json`);
    if (fs.existsSync(direct)) return direct;
    const skip = new Set(["node_modules", ".git", "dist"]);
    const search = (dir: string, depth: number): string | undefined => {
        if (depth === 0) return undefined;
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            if (!entry.isDirectory() || skip.has(entry.name) || entry.name.startsWith(".")) continue;
            const candidate = path.join(dir, entry.name, "events", `${name}.json`);
            if (fs.existsSync(candidate)) return candidate;
            const deeper = search(path.join(dir, entry.name), depth - 1);
            if (deeper) return deeper;
        }
        return undefined;
    };
    return search(programDir, 2);
}

function firstLine(text: string): string {
    const line = text.split(/\r?\n/).find((l) => l.trim()) ?? "";
    return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}

export function formatInvocations(invocations: Invocation[]): string {
    const rows = invocations.map((i) => [i.function, i.status, i.durationMs ? `${Math.round(i.durationMs)} ms` : "", i.firstLine]);
    const header = ["function", "status", "duration", "response (first line)"];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const line = (cells: string[]) =>
        cells
            .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
            .join("  ")
            .trimEnd();
    const failed = invocations.filter((i) => !i.ok).length;
    const notRunHere = invocations.filter((i) => i.notRunHere).length;
    const invoked = invocations.length - notRunHere;
    return [
        "Invocations (the official Lambda Runtime Interface Emulator, each function on its own runtime and architecture)",
        "",
        line(header),
        ...rows.map(line),
        "",
        `${invoked} function${invoked === 1 ? "" : "s"} invoked; ${failed} failed.${notRunHere ? ` ${notRunHere} not run here: the offline runner runs python3.* functions whose code is a local archive (a zip or folder).` : ""}`,
    ].join("\n");
}

/** preview --invoke --profile-init: each function's init profile, after the table. */
export function formatInitProfiles(invocations: Invocation[]): string {
    return invocations
        .filter((i) => i.initProfile)
        .map((i) => `Init profile of ${i.function} (CPython's -X importtime):\n${formatInitProfile(i.initProfile!, i.handlerDurationMs).replace(/^(?=.)/gm, "  ")}`)
        .join("\n\n");
}
