// Inputs to invoke and the runner that Lambda itself refuses: more layers than
// its quota, an event past the synchronous payload limit, more than 4 KB of
// environment variables, endless or device inputs, a runner cache that cannot
// be written. Each ends in one paragraph, never in a cut-short event reaching
// the function; and invoke answers signals while it reads.
import * as assert from "assert";
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../shared/errors";
import { startFunction } from "../runner";
import { CLI, cli, CliResult, ROOT, tmpDir } from "./helpers";
import { craftZip } from "./zip-crafter";

const HANDLER = Buffer.from("def lambda_handler(event, context):\n    return {'keys': sorted(event)}\n");

function assertOneParagraph(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^lambda-python: error: /);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
}

describe("lambda-python invoke: inputs past Lambda's limits", () => {
    const dir = tmpDir("lp-invoke-limits-");
    const fn = path.join(dir, "fn.zip");
    const layer = path.join(dir, "layer.zip");
    fs.writeFileSync(fn, craftZip([{ name: "lambda_function.py", data: HANDLER }]));
    fs.writeFileSync(layer, craftZip([{ name: "python/shared.py", data: Buffer.from("X = 1\n") }]));

    it("refuses an event file over Lambda's 6 MB synchronous payload limit", () => {
        const big = path.join(dir, "big.json");
        fs.writeFileSync(big, JSON.stringify({ data: "x".repeat(7 * 1024 * 1024) }));
        assertOneParagraph(cli(["invoke", fn, "--event", big]), /event file .*big\.json is 7,340,\d{3} bytes; Lambda refuses a synchronous invoke's payload over 6,291,456 bytes/);
    });

    it("refuses six layers: a function can use at most five", () => {
        const six = Array.from({ length: 6 }, () => ["--layer", layer]).flat();
        assertOneParagraph(cli(["invoke", fn, ...six]), /6 layers given; a Lambda function can use at most 5\./);
    });

    it("refuses environment variables over Lambda's 4 KB total, as the policy pack does", () => {
        assertOneParagraph(cli(["invoke", fn, "--env", `BIG=${"a".repeat(5000)}`]), /the function's environment variables take 4\.89 KB \(5,003 bytes\), over Lambda's 4\.00 KB \(4,096 bytes\) limit/);
    });

    it("calls python3.7 retired, for invoke and build alike, rather than unknown", () => {
        assertOneParagraph(cli(["invoke", fn, "--runtime", "python3.7"]), /runtime "python3\.7" is retired: Lambda no longer creates or updates functions on it\. Use one of python3\.8, .*\(newest: python3\.\d+\)\./);
        const src = path.join(dir, "src");
        fs.mkdirSync(src, { recursive: true });
        fs.writeFileSync(path.join(src, "lambda_function.py"), HANDLER);
        assertOneParagraph(cli(["build", src, "--runtime", "python3.6", "--out", path.join(dir, "out.zip")]), /runtime "python3\.6" is retired/);
        assert.equal(fs.existsSync(path.join(dir, "out.zip")), false);
    });

    it("points a Pulumi program folder to preview --invoke and serve instead of building it as a function", () => {
        const program = path.join(ROOT, "examples", "hello-url");
        assertOneParagraph(cli(["invoke", program]), /examples\/hello-url is a Pulumi program folder, not a function's source folder\. Invoke every function of the program with lambda-python preview .* --invoke/);
    });

    it("a warm function refuses an oversized event as a UserError and still answers the next one", async () => {
        const warm = await startFunction({ code: fn, handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture: "x86_64" });
        try {
            await assert.rejects(warm.invoke({ data: "x".repeat(6 * 1024 * 1024) }), (e: unknown) => e instanceof UserError && /over 6,291,456 bytes/.test(e.message));
            const ok = await warm.invoke({ a: 1, b: 2 });
            assert.equal(ok.ok, true, ok.payload);
            assert.deepEqual(JSON.parse(ok.payload), { keys: ["a", "b"] });
        } finally {
            await warm.close();
        }
    });
});

/** The CLI with a stdin that `feed` controls: it may write forever, or never. */
function withStdin(args: string[], feed: (stdin: NodeJS.WritableStream, stop: () => boolean) => void): { done: Promise<CliResult>; kill: (s: NodeJS.Signals) => void; started: Promise<void> } {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let over = false;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.on("error", () => {}); // the CLI stops reading and closes its end: expected
    const done = new Promise<CliResult>((resolve) =>
        child.on("close", (code, signal) => {
            over = true;
            resolve({ code: code ?? (signal ? 128 + (signal === "SIGTERM" ? 15 : 2) : -1), stdout, stderr });
        }),
    );
    const started = new Promise<void>((resolve) => child.on("spawn", () => resolve()));
    feed(child.stdin, () => over);
    return { done, kill: (s) => child.kill(s), started };
}

/** Writes `chunk` again and again until the reader goes away. */
function endless(chunk: Buffer): (stdin: NodeJS.WritableStream, stop: () => boolean) => void {
    return (stdin, stop) => {
        const pump = () => {
            while (!stop() && stdin.write(chunk));
            if (!stop()) stdin.once("drain", pump);
        };
        stdin.on("error", () => {});
        pump();
    };
}

describe("lambda-python invoke: reads what it is given within Lambda's limits, and answers signals meanwhile", () => {
    const dir = tmpDir("lp-invoke-bounded-");
    const fn = path.join(dir, "fn.zip");
    fs.writeFileSync(fn, craftZip([{ name: "lambda_function.py", data: Buffer.from("def lambda_handler(event, context):\n    return event\n") }]));

    it("refuses --event /dev/zero as a device, without reading it", () => {
        assertOneParagraph(cli(["invoke", fn, "--event", "/dev/zero"]), /event file \/dev\/zero is a device, not a file/);
    });

    it("refuses a 300 MB event file by its size, before reading it", () => {
        const big = path.join(dir, "huge.json");
        fs.closeSync(fs.openSync(big, "w"));
        fs.truncateSync(big, 300 * 1024 * 1024); // sparse: no disk used, and nothing is read
        assertOneParagraph(cli(["invoke", fn, "--event", big]), /event file .*huge\.json is 314,572,800 bytes; Lambda refuses a synchronous invoke's payload over 6,291,456 bytes/);
    });

    it("stops reading an endless stdin once it passes 6 MB, and refuses it", async () => {
        const run = withStdin(["invoke", fn, "--event", "-"], endless(Buffer.alloc(1 << 16, 0x20)));
        assertOneParagraph(await run.done, /the event on stdin is over 6,291,456 bytes/);
    });

    it("stops copying an endless piped archive once it is larger than any archive Lambda accepts", async () => {
        const run = withStdin(["invoke", "/dev/stdin"], endless(Buffer.alloc(1 << 20, 0x50)));
        assertOneParagraph(await run.done, /function archive or folder \/dev\/stdin goes on past 329,252,864 bytes, more than any archive Lambda accepts/);
    });

    for (const [signal, code] of [
        ["SIGTERM", 143],
        ["SIGINT", 130],
    ] as const) {
        it(`ends on ${signal} while it waits for an event on a stdin that never sends one`, async () => {
            const run = withStdin(["invoke", fn, "--event", "-"], () => {});
            await run.started;
            // Once the CLI waits on stdin; a signal that comes earlier must end it just the same.
            await new Promise((r) => setTimeout(r, 500));
            run.kill(signal);
            const r = await run.done;
            assert.equal(r.code, code, r.stderr);
        });
    }

    it("ends on SIGTERM while it copies a piped archive that stops sending without ending", async () => {
        // One megabyte, then silence with the pipe left open: the copy waits, whatever the machine's speed.
        const run = withStdin(["invoke", "/dev/stdin"], (stdin) => stdin.write(Buffer.alloc(1 << 20, 0x50)));
        await run.started;
        await new Promise((r) => setTimeout(r, 500));
        run.kill("SIGTERM");
        assert.equal((await run.done).code, 143);
    });

    it("sends a 100,000-deep event as it is: the runtime client answers Runtime.UnmarshalError, exit 1", () => {
        const deep = path.join(dir, "deep.json");
        fs.writeFileSync(deep, `${"[".repeat(100_000)}${"]".repeat(100_000)}`);
        const r = cli(["invoke", fn, "--event", deep, "--runtime", "python3.13", "--quiet"]);
        assert.equal(r.code, 1, r.stderr);
        const doc = JSON.parse(r.stdout);
        assert.equal(doc.errorType, "Runtime.UnmarshalError");
        assert.match(doc.errorMessage, /^Unable to unmarshal input: maximum recursion depth exceeded/);
        assert.doesNotMatch(r.stderr, /internal error|RangeError/);
    });

    it("sends the event's text as written: a 20-digit number arrives exactly, and a deep response prints with --json", () => {
        const event = path.join(dir, "bigint.json");
        fs.writeFileSync(event, '{"n": 12345678901234567890}');
        const r = cli(["invoke", fn, "--event", event, "--runtime", "python3.13", "--quiet"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), '{"n": 12345678901234567890}');
        const deep = path.join(dir, "deep-ok.json");
        fs.writeFileSync(deep, `${"[".repeat(900)}${"]".repeat(900)}`); // within Python's recursion limit, beyond nothing
        const j = cli(["invoke", fn, "--event", deep, "--runtime", "python3.13", "--quiet", "--json"]);
        assert.equal(j.code, 0, j.stderr);
        assert.equal(JSON.stringify(JSON.parse(j.stdout).response), `${"[".repeat(900)}${"]".repeat(900)}`);
    });
});

describe("lambda-python invoke: when the runner's cache cannot be written", () => {
    // The archive is extracted into the runner's cache (LAMBDA_PYTHON_CACHE_DIR); a full or read-only one is the
    // cache's fault, said as such (before: "internal error" with Node's ENOSPC, or ENOENT for a read-only one).
    const dir = tmpDir("lp-invoke-cache-");
    const fn = path.join(dir, "fn.zip");
    // 8 MB of incompressible data: more than the 4 MB file system below holds once extracted.
    fs.writeFileSync(
        fn,
        craftZip([
            { name: "lambda_function.py", data: HANDLER },
            { name: "data.bin", data: crypto.randomBytes(8 * 1024 * 1024), stored: true },
        ]),
    );
    const inMountNamespace = (mount: string, cache: string) => ({
        prefix: ["unshare", "-m", "sh", "-c", `${mount} && exec "$@"`, "sh"],
        env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: cache },
    });

    before(function () {
        if (process.getuid?.() !== 0) this.skip(); // mounting needs root
    });

    it("names the runner's cache when it is full", () => {
        const cache = path.join(dir, "full");
        fs.mkdirSync(cache);
        const r = cli(["invoke", fn, "--quiet"], inMountNamespace(`mount -t tmpfs -o size=4m tmpfs ${cache}`, cache));
        assertOneParagraph(r, /no space left for the runner's cache .*full\/runner \(LAMBDA_PYTHON_CACHE_DIR\)/);
    });

    it("names the runner's cache when it is on a read-only file system, made or not yet made", () => {
        const ro = path.join(dir, "ro");
        fs.mkdirSync(ro);
        for (const cache of [ro, path.join(ro, "not-yet")]) {
            const r = cli(["invoke", fn, "--quiet"], inMountNamespace(`mount --bind -o ro ${ro} ${ro}`, cache));
            assertOneParagraph(r, /the runner's cache .*\/runner \(LAMBDA_PYTHON_CACHE_DIR\) is on a read-only file system/);
        }
    });
});
