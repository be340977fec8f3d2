// Running `lambda-python serve` from tests: start it, wait for its URLs, and
// see the processes it started.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import { CLI, SHARED_CACHE } from "./helpers";

const env = { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE };

export interface Served {
    child: ChildProcess;
    /** function name -> its URL */
    urls: Record<string, string>;
    stderr: () => string;
    stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Starts `lambda-python serve` and waits until it prints the URLs of `expected` functions. */
export function serve(args: string[], expected: number): Promise<Served> {
    const child = spawn(process.execPath, [CLI, "serve", ...args, "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
        if (child.exitCode === null) child.kill(signal);
        return exited;
    };
    return new Promise((resolve, reject) => {
        child.stderr!.on("data", (d) => (stderr += d));
        child.stdout!.on("data", (d) => {
            stdout += d;
            const urls = Object.fromEntries([...stdout.matchAll(/^(\S+): (http:\/\/\S+)$/gm)].map((m) => [m[1], m[2]]));
            if (Object.keys(urls).length === expected) resolve({ child, urls, stderr: () => stderr, stop });
        });
        exited.then((code) => reject(new Error(`serve exited (${code}) before listening:\n${stderr}`)));
    });
}

/** Every process below `pid`, from /proc. */
export function descendants(pid: number): number[] {
    const parents = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
        } catch {
            // gone meanwhile
        }
    }
    const out: number[] = [];
    const walk = (p: number) => {
        for (const [child, parent] of parents) {
            if (parent !== p) continue;
            out.push(child);
            walk(child);
        }
    };
    walk(pid);
    return out;
}

export const alive = (pid: number) => {
    try {
        process.kill(pid, 0);
        return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
    } catch {
        return false;
    }
};

/** Resolves once `check` holds (output written by another process arrives when it arrives). */
export async function eventually(check: () => boolean, what: string, seconds = 30): Promise<void> {
    for (const end = Date.now() + seconds * 1000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (check()) return;
    throw new Error(`gave up waiting for ${what}`);
}
