// Outsider's inputs to invoke and the runner that Lambda itself refuses: more
// layers than its quota, an event past the synchronous payload limit, more
// than 4 KB of environment variables. Each
// ends in one paragraph, never in a cut-short event reaching the function.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../shared/errors";
import { startFunction } from "../runner";
import { cli, ROOT, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";
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

describe("qa: invoke inputs past Lambda's limits", () => {
    const dir = tmpDir("lp-qa-invoke-");
    const fn = path.join(dir, "fn.zip");
    const layer = path.join(dir, "layer.zip");
    fs.writeFileSync(fn, craftZip([{ name: "lambda_function.py", data: HANDLER }]));
    fs.writeFileSync(layer, craftZip([{ name: "python/shared.py", data: Buffer.from("X = 1\n") }]));

    it("refuses an event file over Lambda's 6 MB synchronous payload limit", () => {
        const big = path.join(dir, "big.json");
        fs.writeFileSync(big, JSON.stringify({ data: "x".repeat(7 * 1024 * 1024) }));
        assertOneParagraph(cli(["invoke", fn, "--event", big]), /the event is 7,340,\d{3} bytes as JSON; Lambda refuses a synchronous invoke's payload over 6,291,456 bytes/);
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

describe("qa: preview --invoke counts what Lambda would count", () => {
    it("counts a function that dies during init as failed, and exits 1", () => {
        const dir = writeFiles(tmpDir("lp-qa-preview-init-"), {
            "Pulumi.yaml": "name: dies\nruntime: nodejs\nmain: index.ts\n",
            "index.ts": `import { PythonFunction } from ${JSON.stringify(path.join(ROOT, "components"))};\nnew PythonFunction("quits", { source: __dirname + "/app", handler: "app.handler", runtime: "python3.13" });\n`,
            "app/app.py": "raise SystemExit(0)\n\ndef handler(event, context):\n    return 'never'\n",
        });
        const r = cli(["preview", dir, "--invoke", "--quiet"], { env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE } });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /^quits\s+error\s+\d+ ms\s+Runtime\.ExitError: RequestId: [0-9a-f-]{36} Error: Runtime exited without/m);
        assert.match(r.stdout, /1 function invoked; 1 failed\./);
    });
});
