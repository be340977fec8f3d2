// Shared test tooling: temporary folders, running the compiled CLI, and an
// independent view of zips through Python's zipfile (so the builder is not
// checked only by our own reader).
import { strict as assert } from "assert";
import { spawn, spawnSync, SpawnSyncOptions } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MockStack } from "../preview/mock-stack";

export const ROOT = path.resolve(__dirname, "..");
export const CLI = path.join(ROOT, "dist", "cli", "main.js");

const made: string[] = [];
after(() => {
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

export function tmpDir(prefix = "lp-test-"): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(d);
    return d;
}

/** One build cache for the whole test run, so installs done by one test are reused by others. */
export const SHARED_CACHE = tmpDir("lp-cache-");

export function writeFiles(dir: string, files: Record<string, string | Buffer>): string {
    for (const [rel, content] of Object.entries(files)) {
        const p = path.join(dir, rel);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, content);
    }
    return dir;
}

export interface CliResult {
    code: number;
    stdout: string;
    stderr: string;
}

export function cli(args: string[], options: SpawnSyncOptions & { prefix?: string[] } = {}): CliResult {
    const [cmd, ...pre] = options.prefix ?? [process.execPath];
    const argv = options.prefix ? [...pre, process.execPath, CLI, ...args] : [CLI, ...args];
    const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options });
    return { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A refusal as the CLI must give it: exit 2, nothing on stdout, one paragraph on stderr without a stack trace. */
export function assertOneParagraph(r: CliResult, pattern: RegExp): void {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^lambda-python: error: /);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.doesNotMatch(r.stderr, /internal error/);
}

export function cliAsync(args: string[], env?: NodeJS.ProcessEnv): { done: Promise<CliResult>; pid: () => number | undefined; kill: (sig: NodeJS.Signals) => void } {
    const child = spawn(process.execPath, [CLI, ...args], { env: env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const done = new Promise<CliResult>((resolve) => child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr })));
    return { done, pid: () => child.pid, kill: (sig) => child.kill(sig) };
}

export interface PyEntry {
    name: string;
    mode: number;
    date_time: number[];
    compress_type: number;
    file_size: number;
    compress_size: number;
}

/** Entries of a zip as Python's zipfile sees them; also verifies every CRC. */
export function pyZip(zipPath: string): { entries: PyEntry[]; bad: string | null } {
    const script = [
        "import json, sys, zipfile",
        "z = zipfile.ZipFile(sys.argv[1])",
        "bad = z.testzip()",
        "print(json.dumps({'bad': bad, 'entries': [dict(name=i.filename, mode=i.external_attr >> 16, date_time=list(i.date_time), compress_type=i.compress_type, file_size=i.file_size, compress_size=i.compress_size) for i in z.infolist()]}))",
    ].join("\n");
    const r = spawnSync("python3", ["-c", script, zipPath], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`python zipfile could not read ${zipPath}: ${r.stderr}`);
    return JSON.parse(r.stdout);
}

/** Reads one member with Python's zipfile. */
export function pyRead(zipPath: string, name: string, bytes = 0): Buffer {
    const script = "import sys, zipfile\nd = zipfile.ZipFile(sys.argv[1]).read(sys.argv[2])\nn = int(sys.argv[3])\nsys.stdout.buffer.write(d[:n] if n else d)";
    const r = spawnSync("python3", ["-c", script, zipPath, name, String(bytes)], { maxBuffer: 256 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`python zipfile could not read ${name} from ${zipPath}: ${r.stderr}`);
    return r.stdout as Buffer;
}

/** ELF e_machine of a buffer's header: 62 x86-64, 183 AArch64. */
export function elfMachine(head: Buffer): number | undefined {
    if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
    return head.readUInt16LE(18);
}

/** Files (not temp leftovers) in a folder, for "nothing left behind" checks. */
export function listing(dir: string): string[] {
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/**
 * The SDK's mock monitor for a describe block (MockStack), with builds in the tests' shared cache; the
 * returned function gives the stack once the block's hooks ran.
 */
export function useMockStack(): () => MockStack {
    let stack: MockStack | undefined;
    let previousCache: string | undefined;
    before(async () => {
        previousCache = process.env.LAMBDA_PYTHON_CACHE_DIR;
        process.env.LAMBDA_PYTHON_CACHE_DIR = SHARED_CACHE;
        stack = await MockStack.start();
    });
    after(() => {
        stack?.stop();
        if (previousCache === undefined) delete process.env.LAMBDA_PYTHON_CACHE_DIR;
        else process.env.LAMBDA_PYTHON_CACHE_DIR = previousCache;
    });
    return () => {
        if (!stack) throw new Error("useMockStack: the stack is started by a before() hook; use it inside it() or later hooks");
        return stack;
    };
}
