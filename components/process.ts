// Running external tools (pip, uv, python) and collecting what they print.
import { spawn } from "child_process";

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

/** Runs a command to completion. Rejects only when it cannot be started at all. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        const lines = (chunk: string) => {
            if (!options.onLine) return;
            for (const line of chunk.split(/\r?\n|\r/)) if (line.trim()) options.onLine(line);
        };
        child.stdout.setEncoding("utf8").on("data", (c: string) => {
            stdout += c;
            lines(c);
        });
        child.stderr.setEncoding("utf8").on("data", (c: string) => {
            stderr += c;
            lines(c);
        });
        child.on("error", reject);
        child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
        // A child that exits without reading its input (uv --version) closes the pipe: EPIPE here is not a failure.
        child.stdin.on("error", (e: NodeJS.ErrnoException) => {
            if (e.code !== "EPIPE") reject(e);
        });
        child.stdin.end(options.input ?? "");
    });
}

/** The last lines of a tool's output, for error messages. */
export function tail(text: string, lines = 12): string {
    return text
        .split(/\r?\n/)
        .filter((l) => l.trim() && !/^\s*(WARNING: Running pip as the 'root' user|━)/.test(l))
        .slice(-lines)
        .join("\n");
}
