// lambda-python invoke, through the compiled CLI: the response on stdout,
// the function's logs on stderr, exit 0 / 1 / 2, and nothing left running.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildArchive } from "../builder";
import { assertOneParagraph, CLI, cli, cliAsync, ROOT, SHARED_CACHE, tmpDir } from "./helpers";
import { glibc234Function } from "./runner-fixtures";
import { craftZip, elfHeader } from "./zip-crafter";

const FIXTURES = path.join(ROOT, "test", "fixtures", "runner");

/** The PIDs of processes whose environment names this function (the emulator, the sandbox, the runtime). */
function processesOf(functionName: string): number[] {
    const found: number[] = [];
    for (const pid of fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
        try {
            if (fs.readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`AWS_LAMBDA_FUNCTION_NAME=${functionName}`)) found.push(Number(pid));
        } catch {
            // gone, or not ours to read
        }
    }
    return found;
}

describe("lambda-python invoke", () => {
    let probe: string;
    const dir = tmpDir("lp-invoke-");
    const event = (name: string, value: unknown) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
        return file;
    };

    before(async () => {
        probe = (await buildArchive({ source: path.join(FIXTURES, "probe"), kind: "function", runtime: "python3.13", architecture: "x86_64", cacheDir: SHARED_CACHE })).path;
    });

    it("builds the hello example's source folder, prints its response on stdout and exits 0", () => {
        const r = cli(["invoke", path.join(ROOT, "examples", "hello-url", "app")]);
        assert.equal(r.code, 0, r.stderr);
        const response = JSON.parse(r.stdout);
        assert.equal(response.statusCode, 200);
        assert.equal(response.body, "<h1>Hello World from Python</h1>");
        assert.match(r.stderr, /lambda_function\.lambda_handler returned in \d+ ms \(python3\.14, x86_64\)/);
    });

    it("exits 1 on a raised exception, showing its type, message and Python traceback", () => {
        const r = cli(["invoke", probe, "--event", event("raise.json", { action: "raise", n: 3 })]);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(JSON.parse(r.stdout).errorType, "ValueError");
        assert.match(
            r.stderr,
            /lambda-python: the function failed with ValueError: boom 3\nTraceback \(most recent call last\):\n {2}File "\/var\/task\/lambda_function\.py", line \d+, in lambda_handler\n {4}raise ValueError\(f"boom \{event\.get\('n', 0\)\}"\)\nValueError: boom 3\n/,
        );
    });

    it('exits 1 with "timed out after N s" when the handler outlives --timeout', () => {
        const r = cli(["invoke", probe, "--timeout", "1", "--event", event("sleep.json", { action: "sleep", seconds: 60 })]);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stdout, "Task timed out after 1.00 seconds\n");
        assert.match(r.stderr, /lambda-python: the function timed out: its handler ran longer than the function's timeout of 1 s \(Task timed out after 1\.00 seconds\)\. .*--timeout S/);
    });

    it("times the init apart from the handler: an import slower than --timeout answers; one past Lambda's 10 s init limit says so", () => {
        const folder = path.join(FIXTURES, "init-failures");
        const slow = cli(["invoke", folder, "--handler", "slow_init.lambda_handler", "--runtime", "python3.13", "--timeout", "1"]);
        assert.equal(slow.code, 0, slow.stderr);
        assert.ok(JSON.parse(slow.stdout).remaining_ms <= 1000, slow.stdout);
        const over = cli(["invoke", folder, "--handler", "slow_import.lambda_handler", "--runtime", "python3.13", "--timeout", "1"]);
        assert.equal(over.code, 1, over.stderr);
        assert.equal(over.stdout, "Task timed out after 1.00 seconds\n");
        assert.match(
            over.stderr,
            /lambda-python: the function's init \(importing slow_import, the handler's module, and what it imports, before the handler runs\) ran past Lambda's 10 s init limit; Lambda then retries the init with the invoke, counted in the function's timeout \(1 s\), as was done here, and it timed out again .*--timeout S/,
        );
    });

    it("reads the event from stdin, passes --env, and prints the function's logs on stderr", () => {
        const r = cli(["invoke", probe, "--event", "-", "--env", "GREETING=hi there", "--env", "EMPTY=", "--quiet"], { input: JSON.stringify({ action: "describe" }) });
        assert.equal(r.code, 0, r.stderr);
        const seen = JSON.parse(r.stdout);
        assert.equal(seen.env.GREETING, "hi there");
        assert.equal(seen.env.EMPTY, "");
        const printed = cli(["invoke", probe, "--event", event("print.json", { action: "print", text: "to stderr please" }), "--quiet"]);
        assert.equal(printed.stdout, '"printed"\n');
        assert.equal(printed.stderr, "to stderr please\n");
    });

    it("prints one JSON document with --json", () => {
        const r = cli(["invoke", probe, "--json", "--quiet", "--event", event("raise2.json", { action: "raise" })]);
        assert.equal(r.code, 1);
        const doc = JSON.parse(r.stdout);
        assert.equal(doc.ok, false);
        assert.equal(doc.error.errorType, "ValueError");
        assert.equal(doc.response.errorMessage, "boom 0");
        assert.equal(doc.runtime, "python3.14", "a pure-Python archive runs on the newest runtime unless --runtime says otherwise");
    });

    it("exits 1 for a function that dies during init, with Lambda's Runtime.ExitError document on stdout", () => {
        const r = cli(["invoke", path.join(FIXTURES, "init-failures"), "--handler", "system_exit.lambda_handler", "--runtime", "python3.13"]);
        assert.equal(r.code, 1, r.stderr);
        const doc = JSON.parse(r.stdout);
        assert.equal(doc.errorType, "Runtime.ExitError");
        assert.match(doc.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 3$/);
        assert.match(r.stderr, /lambda-python: the function failed during init with Runtime\.ExitError: RequestId: .* Error: Runtime exited with error: exit status 3/);
        const json = cli(["invoke", path.join(FIXTURES, "init-failures"), "--handler", "exits.lambda_handler", "--runtime", "python3.13", "--json", "--quiet"]);
        assert.equal(json.code, 1, json.stderr);
        const out = JSON.parse(json.stdout);
        assert.equal(out.ok, false);
        assert.equal(out.duringInit, true);
        assert.equal(out.error.errorType, "Runtime.ExitError");
        assert.match(out.error.errorMessage, /Runtime exited without providing a reason$/);
    });

    describe("what Lambda could not load is a failure, whatever Debian's CPython tolerates", () => {
        let glibc234: string;
        before(() => {
            glibc234 = glibc234Function(dir);
        });

        it("refuses to run a python3.11 function whose library needs GLIBC_2.34 (Amazon Linux 2 has 2.26): exit 1, as inspect refuses it", () => {
            const r = cli(["invoke", glibc234, "--runtime", "python3.11"]);
            assert.equal(r.code, 1, r.stderr);
            assert.equal(JSON.parse(r.stdout).errorType, "LambdaPython.CannotLoad");
            assert.match(r.stderr, /lambda-python: the function was not run: Lambda could not load it .*\n {2}\[lambda-architecture-compatibility\] .*\(AL2, glibc 2\.26\).*libthreads\.so needs GLIBC_2\.34/);
            assert.equal(cli(["inspect", glibc234, "--runtime", "python3.11", "--arch", "x86_64"]).code, 1, "inspect refuses it too");
        });

        it("runs the same archive for python3.12 (glibc 2.34), on python3.13, and says so in the summary and the JSON", () => {
            const r = cli(["invoke", glibc234, "--runtime", "python3.12"]);
            assert.equal(r.code, 0, r.stderr);
            assert.deepEqual(JSON.parse(r.stdout), { started: 0 });
            assert.match(r.stderr, /returned in \d+ ms \(python3\.12, run on python3\.13, x86_64\)/);
            const j = JSON.parse(cli(["invoke", glibc234, "--runtime", "python3.12", "--json", "--quiet"]).stdout);
            assert.equal(j.runtime, "python3.12");
            assert.equal(j.interpreter, "python3.13");
        });

        it("says in the JSON that a python3.10 function ran on python3.11", () => {
            const j = JSON.parse(cli(["invoke", probe, "--runtime", "python3.10", "--json", "--quiet"]).stdout);
            assert.equal(j.ok, true);
            assert.equal(j.runtime, "python3.10");
            assert.equal(j.interpreter, "python3.11");
            assert.equal(j.response.env.AWS_EXECUTION_ENV, "AWS_Lambda_python3.10");
        });

        it("refuses an x86_64 function holding an AArch64 shared object", () => {
            const zip = path.join(dir, "arm-inside.zip");
            fs.writeFileSync(
                zip,
                craftZip([
                    { name: "lambda_function.py", data: Buffer.from("def lambda_handler(e, c):\n    return 1\n") },
                    { name: "lib/native.so", data: elfHeader(183) },
                ]),
            );
            const r = cli(["invoke", zip, "--arch", "x86_64", "--json", "--quiet"]);
            assert.equal(r.code, 1, r.stderr);
            const j = JSON.parse(r.stdout);
            assert.equal(j.ok, false);
            assert.equal(j.error.errorType, "LambdaPython.CannotLoad");
            assert.equal(j.cannotLoad[0].policy, "lambda-architecture-compatibility");
            assert.match(j.cannotLoad[0].message, /runs on x86_64 but holds 1 shared object built for arm64: lib\/native\.so/);
        });
    });

    it("answers bad input with one paragraph and exit 2", () => {
        assertOneParagraph(cli(["invoke", path.join(dir, "missing.zip")]), /function archive or folder .*missing\.zip does not exist/);
        assertOneParagraph(cli(["invoke", probe, "--env", "NOEQUALS"]), /--env wants NAME=VALUE; got "NOEQUALS"/);
        assertOneParagraph(cli(["invoke", probe, "--env", "AWS_REGION=eu-west-1"]), /AWS_REGION is reserved/);
        assertOneParagraph(cli(["invoke", probe, "--event", event("bad.json", "{not json")]), /event file .*bad\.json is not valid JSON/);
        assertOneParagraph(cli(["invoke", probe, "--event", path.join(dir, "nope.json")]), /event file .*nope\.json does not exist/);
        assertOneParagraph(cli(["invoke", probe, "--timeout", "0"]), /timeout 0 is not a whole number of seconds from 1 to 900/);
        assertOneParagraph(cli(["invoke", probe, "--timeout", "soon"]), /--timeout wants a whole number; got "soon"/);
        assertOneParagraph(cli(["invoke", probe, "--arch", "sparc"]), /--arch must be one of x86_64, arm64/);
        assertOneParagraph(cli(["invoke", probe, "--runtime", "python3.99"]), /unknown runtime "python3\.99": use one of Lambda's Python runtimes, .*python3\.13/);
        assertOneParagraph(cli(["invoke", probe, "--handler", "nodot"]), /handler "nodot" is not of the form module\.function/);
        assertOneParagraph(cli(["invoke", probe, "--layer", path.join(dir, "nolayer.zip")]), /layer archive .*nolayer\.zip does not exist/);
        assertOneParagraph(cli(["invoke", event("notzip.zip", "plain text")]), /notzip\.zip is not a usable zip/);
        assertOneParagraph(cli(["invoke"]), /invoke takes one function \.zip or source folder/);
        assertOneParagraph(cli(["invoke", "/dev/zero"]), /function archive or folder \/dev\/zero is a device, not a \.zip archive/);
        assertOneParagraph(cli(["invoke", probe, "--layer", "/dev/null"]), /layer archive \/dev\/null is a device, not a \.zip archive/);
    });

    it("takes the function and a layer through pipes, as /dev/stdin and a shell's <(…) give them", () => {
        const r = cli(["invoke", "/dev/stdin", "--quiet", "--event", event("describe.json", { action: "describe" })], { input: fs.readFileSync(probe) });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(typeof JSON.parse(r.stdout).env, "object");
        const layered = spawnSync("bash", ["-c", `"$0" "$1" invoke "$2" --quiet --layer <(cat "$2")`, process.execPath, CLI, probe], { encoding: "utf8" });
        assert.equal(layered.status, 0, layered.stderr);
        assert.match(layered.stdout, /\S/);
    });

    it("answers a python3.12 archive with cp312 extension modules with the documented paragraph", async () => {
        const source = path.join(FIXTURES, "compiled");
        const zip = (await buildArchive({ source, kind: "function", runtime: "python3.12", architecture: "x86_64", requirements: path.join(source, "requirements.txt"), cacheDir: SHARED_CACHE })).path;
        const r = cli(["invoke", zip]);
        assertOneParagraph(r, /python3\.12 cannot run here: no Debian release ships CPython 3\.12 .* markupsafe\/_speedups\.cpython-312-x86_64-linux-gnu\.so .* build it for python3\.13/);
        assert.equal(r.stderr.trim().split("\n").length, 1, "one paragraph");
    });

    it("leaves no emulator, sandbox or runtime behind when interrupted", async () => {
        const name = `interrupt-${process.pid}`;
        const run = cliAsync(["invoke", probe, "--name", name, "--timeout", "60", "--event", event("long.json", { action: "sleep", seconds: 60 })]);
        // Wait until the handler runs (it prints "sleeping"), then interrupt as Ctrl-C would.
        for (let i = 0; i < 600 && processesOf(name).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(processesOf(name).length >= 3, "the emulator, bwrap and Python are running");
        run.kill("SIGINT");
        const r = await run.done;
        assert.equal(r.code, 130);
        for (let i = 0; i < 100 && processesOf(name).length; i++) await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(processesOf(name), []);
    });

    it("ends on SIGTERM during a function's init, leaving no emulator, sandbox, runtime or network helper behind", async () => {
        const name = `sigterm-init-${process.pid}`;
        const run = cliAsync(["invoke", path.join(FIXTURES, "init-failures"), "--handler", "slow_import.lambda_handler", "--runtime", "python3.13", "--name", name, "--timeout", "600"]);
        // Wait until the import runs (it prints before it sleeps); the processes carry the function's environment.
        for (let i = 0; i < 600 && processesOf(name).length < 4; i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(processesOf(name).length >= 4, "the emulator, the network's helpers, bwrap and Python are running");
        run.kill("SIGTERM");
        const r = await run.done;
        assert.equal(r.code, 143, r.stderr);
        for (let i = 0; i < 100 && processesOf(name).length; i++) await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(processesOf(name), []);
    });
});
