// What `npm start` runs (preview --invoke on the showcase): every example's
// function invoked the way Lambda runs it, each returning what its seed
// story shows.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Invocation } from "../preview/invoke-all";
import { cli, ROOT, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";

const env = { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE };

describe("npm start: preview, then invoke every showcase function", () => {
    let invocations: Record<string, Invocation> = {};
    let run: { code: number; stderr: string } = { code: -1, stderr: "" };

    before(() => {
        const r = cli(["preview", ROOT, "--invoke", "--json", "--quiet"], { env });
        run = r;
        invocations = Object.fromEntries(((JSON.parse(r.stdout).invocations ?? []) as Invocation[]).map((i) => [i.function, i]));
    });

    it("invokes all six functions, each with its example's event, and exits 0", () => {
        assert.equal(run.code, 0, `${run.stderr}\n${JSON.stringify(invocations, null, 2)}`);
        assert.deepEqual(Object.keys(invocations).sort(), ["cowsay", "datasette", "flask-version-1", "flask-version-2", "hello-url", "numpy-stats"]);
        assert.equal(invocations["hello-url"].event, path.join("examples", "hello-url", "events", "hello-url.json"));
        assert.equal(invocations["numpy-stats"].event, path.join("examples", "numpy-arm64", "events", "numpy-stats.json"));
        for (const i of Object.values(invocations)) assert.ok(i.ok && i.durationMs > 0, `${i.function}: ${i.status} ${i.response}`);
    });

    it("hello-url answers its HTML page through the function URL rules", () => {
        assert.equal(invocations["hello-url"].status, "200");
        assert.equal(invocations["hello-url"].response, "<h1>Hello World from Python</h1>");
    });

    it("cowsay answers the pig", () => {
        const { status, response } = invocations.cowsay;
        assert.equal(status, "200");
        assert.match(response, /\| Hello world, I am a pig \|/);
        assert.match(response, /^\s+\("\)\s+\\'$/m, "the pig's snout");
        assert.match(response, /\/_\]'\|_\| \/_\)_\/$/m, "the pig's trotters");
    });

    it("both Flask functions return Flask's version from the shared layer at /opt", () => {
        for (const name of ["flask-version-1", "flask-version-2"]) {
            const result = JSON.parse(invocations[name].response);
            assert.equal(result.statusCode, 200);
            assert.equal(JSON.parse(result.body), "3.1.3");
            assert.match(result.layer, /^\/opt\/python\/flask\/__init__\.py$/);
        }
    });

    it("Datasette lists the shipped database's tables as JSON through Mangum", () => {
        const { status, response } = invocations.datasette;
        assert.equal(status, "200");
        const page = JSON.parse(response);
        assert.equal(page.database, "fixtures");
        assert.deepEqual(page.tables.map((t: { name: string }) => t.name).sort(), ["examples", "runtimes"]);
        assert.deepEqual(Object.fromEntries(page.tables.map((t: { name: string; count: number }) => [t.name, t.count])), { examples: 5, runtimes: 3 });
    });

    it("numpy computes on arm64 under emulation, with the layer's numpy", () => {
        const result = JSON.parse(invocations["numpy-stats"].response);
        const body = JSON.parse(result.body);
        assert.equal(body.mean, 4.5);
        assert.ok(Math.abs(body.std - 2.29128784747792) < 1e-12, String(body.std));
        assert.equal(body.numpy, "2.4.6");
    });

    it("prints the invocations after the preview table, and fails when a function fails", () => {
        const dir = writeFiles(tmpDir("start-"), {
            "Pulumi.yaml": "name: failing\nruntime: nodejs\nmain: index.ts\n",
            "index.ts": `import { PythonFunction } from ${JSON.stringify(path.join(ROOT, "components"))};\nnew PythonFunction("boom", { source: __dirname + "/app", handler: "app.handler", runtime: "python3.13" });\n`,
            "app/app.py": "def handler(event, context):\n    raise RuntimeError('no ' + event['what'])\n",
            "events/boom.json": JSON.stringify({ what: "luck" }),
        });
        const r = cli(["preview", dir, "--invoke", "--quiet"], { env });
        assert.equal(r.code, 1, r.stderr);
        const table = r.stdout.indexOf("Previewing failing");
        const invoked = r.stdout.indexOf("Invocations");
        assert.ok(table >= 0 && invoked > table, r.stdout);
        assert.match(r.stdout, /^boom\s+error\s+\d+ ms\s+RuntimeError: no luck$/m);
        assert.match(r.stdout, /1 function invoked; 1 failed\./);
    });
});

describe("npm start itself (cli/start.js): the build check, setup and preview --invoke in one process", () => {
    it("prints the preview, then the invocation table, then the same for the Python example, and exits 0", () => {
        const r = spawnSync(process.execPath, [path.join(ROOT, "cli", "start.js")], { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
        const table = r.stdout.indexOf("policy violations: 0 mandatory");
        const invoked = r.stdout.indexOf("6 functions invoked; 0 failed.");
        assert.ok(table >= 0 && invoked > table, r.stdout);
        // examples/python-program, on the Pulumi Python SDK and the generated SDK, after the showcase.
        const python = r.stdout.indexOf("Previewing lambda-python-from-python");
        assert.ok(python > invoked, r.stdout);
        assert.match(r.stdout.slice(python), /\+ {4}hello +aws:lambda:Function +python3\.13 +arm64[\s\S]*\nhello +200 [\s\S]*1 function invoked; 0 failed\./);
    });
});

describe("npm start's build check: the build runs only when a source changed", () => {
    // Plain JavaScript (it runs before anything is compiled), so it is loaded as it is.
    const { staleReason }: { staleReason(root: string, ignore?: string[]): string | undefined } = require("../preview/build-if-changed.js");
    const at = (file: string, seconds: number) => fs.utimesSync(file, seconds, seconds);

    function project(): string {
        const dir = writeFiles(tmpDir("prestart-"), {
            "tsconfig.json": JSON.stringify({ include: ["lib/**/*.ts", "examples/**/*.ts"] }),
            "lib/a.ts": "export const a = 1;\n",
            "lib/table.json": "{}\n",
            "lib/unused.json": "{}\n",
            "dist/lib/table.json": "{}\n",
            "lib/types.d.ts": "declare const x: number;\n",
            "examples/b/index.ts": "export const b = 2;\n",
            "dist/lib/a.js": "exports.a = 1;\n",
            "dist/examples/b/index.js": "exports.b = 2;\n",
            "notes/c.ts": "not part of the build\n",
            // tsc's wildcards skip dot folders (bench/.work): never compiled, so never stale.
            "lib/.work/d.ts": "not part of the build either\n",
        });
        for (const f of ["tsconfig.json", "lib/a.ts", "lib/table.json", "lib/unused.json", "lib/types.d.ts", "examples/b/index.ts", "notes/c.ts"]) at(path.join(dir, f), 1_000);
        for (const f of ["dist/lib/a.js", "dist/lib/table.json", "dist/examples/b/index.js"]) at(path.join(dir, f), 2_000);
        return dir;
    }

    it("skips the build when every compiled source is older than its output", () => {
        assert.equal(staleReason(project()), undefined);
    });

    it("builds when a source was saved after its output, naming it", () => {
        const dir = project();
        at(path.join(dir, "examples/b/index.ts"), 3_000);
        assert.equal(staleReason(dir), `${path.join("examples", "b", "index.ts")} changed`);
    });

    it("builds when a source has no output yet (a new file, or a fresh clone)", () => {
        const dir = project();
        fs.rmSync(path.join(dir, "dist/lib/a.js"));
        assert.equal(staleReason(dir), `${path.join("lib", "a.ts")} has not been compiled`);
    });

    it("builds when a data file the build copies changed, not for one it does not", () => {
        const dir = project();
        at(path.join(dir, "lib/unused.json"), 3_000);
        assert.equal(staleReason(dir), undefined);
        at(path.join(dir, "lib/table.json"), 3_000);
        assert.equal(staleReason(dir), `${path.join("lib", "table.json")} changed`);
    });

    it("the test run's check (test/build-first.ts) leaves out folders nobody runs compiled, and only those", () => {
        const dir = project();
        at(path.join(dir, "examples/b/index.ts"), 3_000);
        assert.equal(staleReason(dir, ["examples"]), undefined);
        at(path.join(dir, "lib/a.ts"), 3_000);
        assert.equal(staleReason(dir, ["examples"]), `${path.join("lib", "a.ts")} changed`);
    });

    it("builds when tsconfig.json changed after the build", () => {
        const dir = project();
        at(path.join(dir, "tsconfig.json"), 3_000);
        assert.equal(staleReason(dir), "tsconfig.json changed");
    });
});
