// The runner against the real thing: archives built by our builder, run by
// the official Lambda Runtime Interface Emulator and awslambdaric on Debian's
// CPython in a bubblewrap sandbox (arm64 through qemu). Slow, so each warm
// function serves several checks.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { buildArchive } from "../builder";
import { isUserError } from "../shared/errors";
import { classifyResponse, detectTarget, FunctionSpec, InvokeResult, invokeOnce, startFunction, WarmFunction } from "../runner";
import { checkedFoldersDir } from "../runner/code";
import { rootDir } from "../target-python/debian-root";
import { liveEmulatorPids } from "../runner/emulator";
import { QEMU_DEBIAN_VERSION, QEMU_VERSION } from "../target-python/qemu";
import { ROOT, SHARED_CACHE, tmpDir } from "./helpers";

const FIXTURES = path.join(ROOT, "test", "fixtures", "runner");

async function build(source: string, options: { runtime: string; architecture?: "x86_64" | "arm64"; kind?: "function" | "layer"; requirements?: string }): Promise<string> {
    const r = await buildArchive({ source, kind: options.kind ?? "function", runtime: options.runtime, architecture: options.architecture ?? "x86_64", requirements: options.requirements, cacheDir: SHARED_CACHE });
    return r.path;
}

/** What the probe fixture's handler reports by default. */
interface ProbeReport {
    path: string[];
    env: Record<string, string | undefined>;
    cwd: string;
    uid: number;
    version: [number, number];
    machine: string;
    shared: string;
    only_in_layer: string | null;
    function_name: string;
    memory: number;
}

function json<T = unknown>(payload: string): T {
    return JSON.parse(payload) as T;
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

describe("runner: a python3.13 x86_64 function with a layer, in the Lambda emulator", () => {
    let fn: WarmFunction;
    let pidsBefore: number[];

    before(async () => {
        const code = await build(path.join(FIXTURES, "probe"), { runtime: "python3.13" });
        const layer = await build(path.join(FIXTURES, "layer"), { runtime: "python3.13", kind: "layer" });
        pidsBefore = liveEmulatorPids();
        fn = await startFunction({ code, layers: [layer], handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture: "x86_64", memoryMB: 256, environment: { GREETING: "hello" }, functionName: "probe" });
    });

    it("runs the handler with Lambda's sys.path order, environment, user and working folder", async () => {
        const r = await fn.invoke({});
        assert.ok(r.ok, r.payload);
        const seen = json<ProbeReport>(r.payload);
        assert.deepEqual(seen.path.slice(0, 3), ["/var/task", "/opt/python/lib/python3.13/site-packages", "/opt/python"]);
        assert.ok(seen.path.indexOf("/var/runtime") > seen.path.indexOf("/usr/lib/python3.13"), "the runtime client comes after the runtime's own files");
        assert.deepEqual(seen.version, [3, 13]);
        assert.equal(seen.machine, "x86_64");
        assert.equal(seen.cwd, "/var/task");
        assert.equal(seen.uid, 993, "Lambda's sandbox user, not root");
        assert.equal(seen.function_name, "probe");
        assert.equal(seen.memory, 256);
        const env = seen.env;
        assert.equal(env.GREETING, "hello");
        assert.equal(env._HANDLER, "lambda_function.lambda_handler");
        assert.equal(env.LAMBDA_TASK_ROOT, "/var/task");
        assert.equal(env.LAMBDA_RUNTIME_DIR, "/var/runtime");
        assert.equal(env.AWS_EXECUTION_ENV, "AWS_Lambda_python3.13");
        assert.equal(env.AWS_LAMBDA_FUNCTION_NAME, "probe");
        assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "256");
        assert.equal(env.AWS_LAMBDA_LOG_GROUP_NAME, "/aws/lambda/probe");
        assert.match(env.AWS_LAMBDA_LOG_STREAM_NAME ?? "", /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
        assert.equal(env.TZ, ":UTC");
        assert.ok(env.AWS_REGION && env.AWS_REGION === env.AWS_DEFAULT_REGION);
        const libraryPath = (env.LD_LIBRARY_PATH ?? "").split(":");
        assert.ok(libraryPath.includes("/opt/lib") && libraryPath.includes("/var/task/lib"));
        assert.ok((env.PATH ?? "").split(":").includes("/opt/bin"));
        assert.equal(env.HOME, undefined, "nothing of this machine's environment leaks in");
    });

    it("lets the function's module shadow a layer's, and imports what only the layer has", async () => {
        const seen = json<ProbeReport>((await fn.invoke({})).payload);
        assert.equal(seen.shared, "function");
        assert.equal(seen.only_in_layer, "layer");
    });

    it("refuses writes to /var/task with EROFS while /tmp is writable", async () => {
        const r = await fn.invoke({ action: "write" });
        assert.deepEqual(json(r.payload), { task: "EROFS", tmp: "tmp works" });
    });

    it("reports a raised exception with its type, message and traceback, and serves the next invoke", async () => {
        const r = await fn.invoke({ action: "raise", n: 7 });
        assert.equal(r.ok, false);
        assert.equal(r.timedOut, false);
        assert.equal(r.error?.errorType, "ValueError");
        assert.equal(r.error?.errorMessage, "boom 7");
        assert.ok(
            r.error?.stackTrace?.some((l) => l.includes('File "/var/task/lambda_function.py"') && l.includes("in lambda_handler")),
            String(r.error?.stackTrace),
        );
        assert.match(r.logs, /\[ERROR\] ValueError: boom 7/);
        const next = await fn.invoke({ action: "print", text: "still here" });
        assert.ok(next.ok);
        assert.equal(next.payload, '"printed"');
    });

    it("gives each invoke the logs it printed, and only those", async () => {
        const a = await fn.invoke({ action: "print", text: "first invoke" });
        const b = await fn.invoke({ action: "print", text: "second invoke" });
        assert.match(a.logs, /first invoke/);
        assert.doesNotMatch(a.logs, /second invoke/);
        assert.match(b.logs, /second invoke/);
        assert.doesNotMatch(b.logs, /first invoke/);
    });

    it("leaves no process behind once closed", async () => {
        const mine = liveEmulatorPids().filter((p) => !pidsBefore.includes(p));
        assert.equal(mine.length, 1);
        await fn.close();
        assert.deepEqual(
            liveEmulatorPids().filter((p) => !pidsBefore.includes(p)),
            [],
        );
        assert.equal(alive(mine[0]), false);
    });
});

describe("runner: timeouts and missing handlers", () => {
    let code: string;
    const spec = (over: Partial<FunctionSpec>): FunctionSpec => ({ code, handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture: "x86_64", ...over });

    before(async () => {
        code = await build(path.join(FIXTURES, "probe"), { runtime: "python3.13" });
    });

    it("stops a handler at its timeout and starts the runtime again for the next invoke", async () => {
        const fn = await startFunction(spec({ timeoutSeconds: 2 }));
        try {
            // Both sent at once: the second waits its turn, as on one execution environment.
            const [r, next] = await Promise.all([fn.invoke({ action: "sleep", seconds: 60 }), fn.invoke({ action: "print", text: "after the timeout" })]);
            assert.equal(r.ok, false);
            assert.equal(r.timedOut, true);
            assert.equal(r.payload, "Task timed out after 2.00 seconds");
            assert.match(r.logs, /sleeping/);
            assert.ok(next.ok, next.payload);
            assert.match(next.logs, /after the timeout/);
        } finally {
            await fn.close();
        }
    });

    it("reports a handler module that does not exist as Runtime.ImportModuleError", async () => {
        const r = await invokeOnce(spec({ handler: "no_such_module.lambda_handler" }), {});
        assert.equal(r.ok, false);
        assert.equal(r.error?.errorType, "Runtime.ImportModuleError");
        assert.match(r.error!.errorMessage, /No module named 'no_such_module'/);
    });

    it("reports a handler function that does not exist as Runtime.HandlerNotFound", async () => {
        const r = await invokeOnce(spec({ handler: "lambda_function.no_such_function" }), {});
        assert.equal(r.ok, false);
        assert.equal(r.error?.errorType, "Runtime.HandlerNotFound");
        assert.match(r.error!.errorMessage, /no_such_function/);
    });
});

describe("runner: a runtime that dies, reported as Lambda reports it", () => {
    const folder = path.join(FIXTURES, "init-failures");
    const spec = (handler: string, over: Partial<FunctionSpec> = {}): FunctionSpec => ({ code: folder, handler, runtime: "python3.13", architecture: "x86_64", ...over });
    const EXIT_MESSAGE = /^RequestId: [0-9a-f-]{36} Error: /;

    function assertExitError(r: InvokeResult, reason: string): void {
        assert.equal(r.ok, false, r.payload);
        assert.equal(r.timedOut, false);
        assert.equal(r.error?.errorType, "Runtime.ExitError");
        assert.match(r.error!.errorMessage, EXIT_MESSAGE);
        assert.equal(r.error!.errorMessage.replace(EXIT_MESSAGE, ""), reason);
        // The invoke's payload is Lambda's error document, as the Invoke API returns it.
        assert.deepEqual(JSON.parse(r.payload), { errorType: "Runtime.ExitError", errorMessage: r.error!.errorMessage });
    }

    it("os._exit(0) during import: Runtime.ExitError, without a reason, during init", async () => {
        const r = await invokeOnce(spec("exits.lambda_handler"), {});
        assertExitError(r, "Runtime exited without providing a reason");
        assert.equal(r.duringInit, true);
    });

    it("SystemExit(3) during import: Runtime.ExitError with exit status 3, on every invoke (Lambda retries the init)", async () => {
        const fn = await startFunction(spec("system_exit.lambda_handler"));
        try {
            for (let i = 0; i < 2; i++) {
                const r = await fn.invoke({});
                assertExitError(r, "Runtime exited with error: exit status 3");
                assert.equal(r.duringInit, true);
            }
        } finally {
            await fn.close();
        }
    });

    it("a segmentation fault during import: Runtime.ExitError naming the signal", async () => {
        assertExitError(await invokeOnce(spec("segfault.lambda_handler"), {}), "Runtime exited with error: signal: segmentation fault");
    });

    it("a function module that shadows the standard library's json breaks the runtime client: Runtime.ExitError, with the traceback in the logs", async () => {
        const r = await invokeOnce({ code: path.join(FIXTURES, "shadows-stdlib"), handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture: "x86_64" }, {});
        assertExitError(r, "Runtime exited with error: exit status 1");
        assert.match(r.logs, /File "\/var\/task\/json\.py"/);
    });

    it("a layer whose python/json.py shadows the standard library's: Runtime.ExitError as well", async () => {
        const layer = await build(path.join(FIXTURES, "shadowing-layer"), { runtime: "python3.13", kind: "layer" });
        const r = await invokeOnce({ code: path.join(FIXTURES, "probe"), layers: [layer], handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture: "x86_64" }, {});
        assertExitError(r, "Runtime exited with error: exit status 1");
        assert.match(r.logs, /File "\/opt\/python\/json\.py"/);
    });

    it("an import slower than the function's timeout but within Lambda's 10 s init limit: the handler answers, with its whole timeout ahead of it", async () => {
        // The import sleeps 4 s against a timeout of 1 s: the init has its own limit, the timeout is the handler's.
        const r = await invokeOnce(spec("slow_init.lambda_handler", { timeoutSeconds: 1 }), {});
        assert.equal(r.ok, true, r.payload);
        assert.equal(r.initTimedOut, undefined);
        const { remaining_ms } = JSON.parse(r.payload);
        assert.ok(remaining_ms > 0 && remaining_ms <= 1000, `the handler's deadline is its own timeout from when it got the event; remaining ${remaining_ms} ms`);
        assert.match(r.logs, /importing a heavy framework/);
    });

    it("an import past Lambda's 10 s init limit: retried with the invoke within the function's timeout, as Lambda does, and timed out there", async () => {
        const r = await invokeOnce(spec("slow_import.lambda_handler", { timeoutSeconds: 1 }), {});
        assert.equal(r.ok, false);
        assert.equal(r.timedOut, true);
        assert.equal(r.initTimedOut, true);
        assert.equal(r.duringInit, true);
        assert.equal(r.payload, "Task timed out after 1.00 seconds");
        assert.match(r.logs, /importing slowly[\s\S]*INIT_REPORT Init Duration: 10000\.00 ms\tPhase: init\tStatus: timeout\n[\s\S]*importing slowly/);
    });

    it("a handler that ends the runtime: Runtime.ExitError for that invoke, then a fresh runtime answers the next", async () => {
        const fn = await startFunction(spec("exits_in_handler.lambda_handler"));
        try {
            const r = await fn.invoke({ exit: 2 });
            assertExitError(r, "Runtime exited with error: exit status 2");
            assert.equal(r.duringInit, false);
            const next = await fn.invoke({});
            assert.equal(next.ok, true, next.payload);
            assert.equal(next.payload, '"still here"');
        } finally {
            await fn.close();
        }
    });
});

describe("runner: what a function prints is kept within bounds", () => {
    it("keeps the last 4 MiB of an invoke's logs, saying how much came before", async () => {
        const fn = await startFunction({ code: path.join(FIXTURES, "noisy"), handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture: "x86_64", timeoutSeconds: 60 });
        try {
            const r = await fn.invoke({ mb: 24 });
            assert.ok(r.ok, r.payload);
            assert.ok(r.logs.length <= 4 * 1024 * 1024 + 200, String(r.logs.length));
            assert.match(r.logs, /^\[lambda-python: the first \d+ bytes of this invoke's logs are not kept\]\n/);
            assert.match(r.logs, /the last line\n$/);
            const one = await fn.invoke({ mb: 24, one_line: true });
            assert.ok(one.ok, one.payload);
            assert.ok(one.logs.length <= 4 * 1024 * 1024 + 200, String(one.logs.length));
        } finally {
            await fn.close();
        }
    });
});

describe("runner: an invoke's logs are the function's, whatever it prints", () => {
    it("keeps lines shaped like the emulator's START, END and REPORT that another request's id names, and the lines after them", async () => {
        // A function passing on another function's CloudWatch logs prints such lines; before, its REPORT line ended
        // this invoke's logs (the rest was lost) and its START line changed the request id errors are reported with.
        const code = tmpDir("lp-echo-");
        const other = "11111111-2222-3333-4444-555555555555";
        const lines = [`START RequestId: ${other}\tVersion: $LATEST`, `END RequestId: ${other}`, `REPORT RequestId: ${other}\tDuration: 1.00 ms`, "the last line"];
        fs.writeFileSync(path.join(code, "lambda_function.py"), `def lambda_handler(event, context):\n    for line in ${JSON.stringify(lines)}:\n        print(line, flush=True)\n    return context.aws_request_id\n`);
        const fn = await startFunction({ code, handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture: "x86_64" });
        try {
            for (const attempt of [1, 2]) {
                const r = await fn.invoke({});
                assert.ok(r.ok, r.payload);
                assert.equal(r.logs, lines.map((l) => `${l}\n`).join(""), `invoke ${attempt}`);
            }
        } finally {
            await fn.close();
        }
    });
});

describe("runner: nothing a function does changes what another function, the tools or the host see", () => {
    const attacker = path.join(FIXTURES, "attacker");
    const victim = path.join(FIXTURES, "victim");
    const spec = (code: string, architecture: "x86_64" | "arm64"): FunctionSpec => ({ code, handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture, timeoutSeconds: 30 });
    const digest = (file: string) => (fs.existsSync(file) ? crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex") : "absent");

    for (const architecture of ["x86_64", "arm64"] as const) {
        it(`${architecture}: a function can write nowhere but /tmp, and cannot rewrite the standard library's bytecode for the next function`, async () => {
            // Every .pyc of colorsys the runner keeps on this machine, before the attack.
            const pycs = (dir: string): string[] =>
                fs.existsSync(dir)
                    ? fs
                          .readdirSync(dir, { recursive: true, encoding: "utf8" })
                          .filter((f) => /(^|\/)colorsys\.cpython-313\.pyc$/.test(f))
                          .map((f) => path.join(dir, f))
                    : [];
            const root = rootDir("python3.13", architecture);
            const watched = [...pycs(path.join(root, "usr", "lib", "python3.13")), ...pycs(path.join(root, "var")), ...pycs(checkedFoldersDir("pyc"))];
            const before = watched.map(digest);

            const fn = await startFunction(spec(attacker, architecture));
            try {
                const writable = await fn.invoke({ action: "writable" });
                assert.ok(writable.ok, writable.payload + writable.logs);
                assert.deepEqual(JSON.parse(writable.payload), []);
                const attack = await fn.invoke({ action: "poison" });
                assert.ok(attack.ok, attack.payload + attack.logs);
                for (const [target, outcome] of Object.entries(JSON.parse(attack.payload) as Record<string, string>)) assert.notEqual(outcome, "rewritten", target);
            } finally {
                await fn.close();
            }
            const seen = await invokeOnce(spec(victim, architecture), {});
            assert.ok(seen.ok, seen.payload + seen.logs);
            assert.deepEqual(JSON.parse(seen.payload), { poisoned: null, rgb: [1, 1, 1] });
            assert.deepEqual(watched.map(digest), before, "no .pyc on this machine changed");
        });
    }
});

describe("runner: python3.12, which no Debian release ships", () => {
    it("runs a pure-Python archive on python3.13, with a warning that says so", async () => {
        const code = await build(path.join(FIXTURES, "probe"), { runtime: "python3.12" });
        const fn = await startFunction({ code, handler: "lambda_function.lambda_handler", runtime: "python3.12", architecture: "x86_64" });
        try {
            assert.equal(fn.warnings.length, 1);
            assert.match(fn.warnings[0], /python3\.12 has no Debian CPython .* runs on python3\.13 instead/);
            const seen = json<ProbeReport>((await fn.invoke({})).payload);
            assert.deepEqual(seen.version, [3, 13]);
            assert.equal(seen.env.AWS_EXECUTION_ENV, "AWS_Lambda_python3.12", "the function is still told its configured runtime");
        } finally {
            await fn.close();
        }
    });

    it("refuses an archive holding cp312 extension modules, naming one and saying what to build instead", async () => {
        const source = path.join(FIXTURES, "compiled");
        const code = await build(source, { runtime: "python3.12", requirements: path.join(source, "requirements.txt") });
        await assert.rejects(startFunction({ code, handler: "lambda_function.lambda_handler", runtime: "python3.12", architecture: "x86_64" }), (e: Error) => {
            assert.ok(isUserError(e), String(e));
            assert.match(e.message, /^python3\.12 cannot run here: no Debian release ships CPython 3\.12/);
            assert.match(e.message, /markupsafe\/_speedups\.cpython-312-x86_64-linux-gnu\.so/);
            assert.match(e.message, /lambda-python build --runtime python3\.13/);
            return true;
        });
    });
});

describe("runner: arm64 under emulation", () => {
    it("runs numpy's AArch64 build from a layer on an arm64 CPython (the numpy-arm64 example)", async () => {
        const example = path.join(ROOT, "examples", "numpy-arm64");
        const layer = await buildArchive({ kind: "layer", requirements: path.join(example, "layer", "requirements.txt"), runtime: "python3.13", architecture: "arm64", cacheDir: SHARED_CACHE });
        const code = await build(path.join(example, "app"), { runtime: "python3.13", architecture: "arm64" });
        assert.deepEqual(layer.nativeArchitectures, ["arm64"]);
        const fn = await startFunction({ code, layers: [layer.path], handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture: "arm64" });
        try {
            assert.ok(fn.warnings.some((w) => /arm64 runs under qemu/.test(w)));
            const r = await fn.invoke({ values: [1, 2, 3, 4] });
            assert.ok(r.ok, r.payload + r.logs);
            const body = JSON.parse(json<{ body: string }>(r.payload).body);
            assert.equal(body.mean, 2.5);
            assert.equal(body.numpy, "2.4.6");
        } finally {
            await fn.close();
        }
    });

    it("runs under the pinned qemu from the tools folder (Debian trixie's), not the host's qemu-user-static, as a Graviton2", async () => {
        const r = await invokeOnce({ code: path.join(FIXTURES, "qemu-probe"), handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture: "arm64" }, {});
        assert.ok(r.ok, r.payload + r.logs);
        const report = json<{ machine: string; qemu: string; features: string[] }>(r.payload);
        assert.equal(report.machine, "aarch64");
        // A Neoverse N1 (Graviton2): Armv8.2 atomics and dot product, no SVE (qemu's default "max" has it).
        assert.deepEqual(report.features, ["asimd", "asimddp", "atomics"]);
        assert.equal(report.qemu, `qemu-aarch64 version ${QEMU_VERSION} (Debian ${QEMU_DEBIAN_VERSION})`);
        assert.match(report.qemu, /version 10\./);
    });
});

describe("runner: reading the emulator's answers and an archive's target", () => {
    it("tells a function error and a timeout from an answer", () => {
        assert.deepEqual(classifyResponse('{"statusCode": 200}'), { ok: true, timedOut: false });
        assert.deepEqual(classifyResponse('"plain string"'), { ok: true, timedOut: false });
        assert.deepEqual(classifyResponse("not json at all"), { ok: true, timedOut: false });
        // An answer that merely mentions errorType is still an answer: only Lambda's exact error document is an error.
        assert.deepEqual(classifyResponse('{"errorType": "x", "errorMessage": "y", "statusCode": 500}'), { ok: true, timedOut: false });
        assert.deepEqual(classifyResponse('{"errorMessage": "boom", "errorType": "ValueError", "requestId": "r", "stackTrace": ["  File x"]}'), {
            ok: false,
            timedOut: false,
            error: { errorType: "ValueError", errorMessage: "boom", stackTrace: ["  File x"] },
        });
        assert.deepEqual(classifyResponse("Task timed out after 3.00 seconds"), { ok: false, timedOut: true, error: { errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 3.00 seconds" } });
    });

    it("reads the runtime and architecture an archive was built for from its extension modules", async () => {
        const source = path.join(FIXTURES, "compiled");
        const zip = await build(source, { runtime: "python3.12", requirements: path.join(source, "requirements.txt") });
        assert.deepEqual(detectTarget(zip), { runtime: "python3.12", architecture: "x86_64" });
        const pure = await build(path.join(FIXTURES, "probe"), { runtime: "python3.13" });
        assert.deepEqual(detectTarget(pure), { runtime: undefined, architecture: undefined });
    });
});
