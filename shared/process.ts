// Running external tools (pip, uv, python) and collecting what they print.
//
// Every child is started in a process group of its own, so that an
// interrupted build can stop it together with whatever it started (pip runs
// build backends, uv runs Python) — see stopChildren. With a temp root set
// (setChildTempRoot), each child also gets a private TMPDIR inside it, removed
// when the child ends or the build is interrupted: pip and uv put unpacked
// wheels and source builds there, hundreds of MB that would otherwise outlive
// a killed build in /tmp.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { removeQuietly, trackTemp } from "./atomic";
import { ownerTag, tagOf } from "./owner";

/** In a child's private TMPDIR: the child's owner tag (pid and start time), so a dead build's orphaned installer can be found. */
export const CHILD_MARKER = ".lambda-python-child";

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface RunOptions {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    /** Called with each line the tool prints, for progress. */
    onLine?: (line: string) => void;
    input?: string;
}

const running = new Set<ChildProcess>();
let tempRoot: string | undefined;

/** Children started from now on get a private TMPDIR under `dir` (undefined: the inherited one). */
export function setChildTempRoot(dir: string | undefined): void {
    tempRoot = dir;
}

/** Runs a command to completion. Rejects only when it cannot be started at all. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const env = { ...(options.env ?? process.env) };
        let tmp: string | undefined;
        if (tempRoot) {
            fs.mkdirSync(tempRoot, { recursive: true });
            tmp = trackTemp(fs.mkdtempSync(path.join(tempRoot, `child-${ownerTag()}-`)));
            env.TMPDIR = env.TEMP = env.TMP = tmp;
        }
        const cleanup = () => {
            running.delete(child);
            if (tmp) removeQuietly(tmp);
        };
        // detached: a process group of its own (see stopChildren); the child is still waited for.
        const child = spawn(command, args, { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"], detached: process.platform !== "win32" });
        running.add(child);
        // Who to stop if this process is killed outright (SIGKILL) while the child runs: the next build reads it (builder/leftovers.ts).
        const tag = tmp && child.pid !== undefined ? tagOf(child.pid) : undefined;
        if (tmp && tag) fs.writeFileSync(path.join(tmp, CHILD_MARKER), tag);
        let stdout = "";
        let stderr = "";
        const lines = (chunk: string) => {
            if (!options.onLine) return;
            for (const line of chunk.split(/\r?\n|\r/)) if (line.trim()) options.onLine(line);
        };
        child.stdout!.setEncoding("utf8").on("data", (c: string) => {
            stdout += c;
            lines(c);
        });
        child.stderr!.setEncoding("utf8").on("data", (c: string) => {
            stderr += c;
            lines(c);
        });
        child.on("error", (e) => {
            cleanup();
            reject(e);
        });
        child.on("close", (code, signal) => {
            cleanup();
            resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
        });
        // A child that exits without reading its input (most do) makes this write fail with EPIPE
        // under load; the exit status is what tells whether it worked.
        child.stdin!.on("error", () => {});
        child.stdin!.end(options.input ?? "");
    });
}

/**
 * Kills every running child with everything it started (its process group)
 * and waits, at most `waitMs`, until they have exited, so that their
 * temporary folders can be removed without a dying child writing into them.
 */
export async function stopChildren(waitMs = 5000): Promise<void> {
    const children = [...running];
    const exited = children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once("exit", () => r()))));
    for (const c of children) {
        try {
            process.kill(-c.pid!, "SIGKILL");
        } catch {
            c.kill("SIGKILL"); // the group is gone already; the child itself, if it is still there
        }
    }
    await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, waitMs).unref())]);
}

/** The last lines of a tool's output, for error messages. */
export function tail(text: string, lines = 12): string {
    return text
        .split(/\r?\n/)
        .filter((l) => l.trim() && !/^\s*(WARNING: Running pip as the 'root' user|━)/.test(l))
        .slice(-lines)
        .join("\n");
}
