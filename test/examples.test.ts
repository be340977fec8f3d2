// Each example program, and the showcase that deploys them all, run under
// the Pulumi SDK's mock monitor (one process per program): the resource
// graph and the inputs that matter, with archives built for real.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { RecordedResource } from "../preview/mock-stack";
import { ProgramRun } from "../preview/program";
import { elfMachine, pyRead, pyZip, ROOT, SHARED_CACHE } from "./helpers";

const FUNCTION = "aws:lambda/function:Function";
const LAYER = "aws:lambda/layerVersion:LayerVersion";
const URL = "aws:lambda/functionUrl:FunctionUrl";
const PERMISSION = "aws:lambda/permission:Permission";

function run(dir: string): ProgramRun {
    const script = "require(process.argv[1]).runProgram(process.argv[2]).then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(3); })";
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script, path.join(ROOT, "preview", "program.ts"), dir], {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE },
    });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as ProgramRun;
    assert.deepEqual(result.errors, [], "the program ran without errors");
    return result;
}

const find = (run: ProgramRun, type: string, name: string): RecordedResource => {
    const r = run.resources.find((x) => x.type === type && x.name === name);
    assert.ok(r, `${type} ${name} registered (have ${run.resources.map((x) => x.name).join(", ")})`);
    return r!;
};
const archiveOf = (r: RecordedResource) => (r.wire.code as { path: string }).path;
const componentOf = (run: ProgramRun, r: RecordedResource) => run.resources.find((x) => x.urn === r.parent);

function assertPublicUrl(result: ProgramRun, name: string) {
    assert.equal(find(result, URL, `${name}-url`).wire.authorizationType, "NONE");
    assert.equal(find(result, PERMISSION, `${name}-url-invoke-url`).wire.functionUrlAuthType, "NONE");
    assert.equal(find(result, PERMISSION, `${name}-url-invoke`).wire.invokedViaFunctionUrl, true);
}

describe("example programs (mock monitor)", () => {
    it("hello-url: a function behind a public URL, with its role and log group", () => {
        const result = run(path.join(ROOT, "examples", "hello-url"));
        const fn = find(result, FUNCTION, "hello-url");
        assert.equal(componentOf(result, fn)!.type, "lambda-python:index:PythonFunction");
        assert.equal(fn.wire.handler, "lambda_function.lambda_handler");
        assert.equal(fn.wire.runtime, "python3.14");
        assertPublicUrl(result, "hello-url");
        find(result, "aws:iam/role:Role", "hello-url-role");
        find(result, "aws:cloudwatch/logGroup:LogGroup", "hello-url-logs");
        // AWS makes the URL when it creates it: during a preview it is not known yet (as in `pulumi preview`).
        assert.equal(result.outputs.url, "output<string>");
        assert.deepEqual(
            pyZip(archiveOf(fn)).entries.map((e) => e.name),
            ["lambda_function.py"],
        );
    });

    it("cowsay: cowsay is in the function's own zip", () => {
        const result = run(path.join(ROOT, "examples", "cowsay"));
        const fn = find(result, FUNCTION, "cowsay");
        const names = pyZip(archiveOf(fn)).entries.map((e) => e.name);
        assert.ok(names.includes("cowsay/__init__.py") && names.includes("lambda_function.py"));
        assertPublicUrl(result, "cowsay");
    });

    it("flask-layer: one Flask layer shared by two functions built from one source folder", () => {
        const result = run(path.join(ROOT, "examples", "flask-layer"));
        const layer = find(result, LAYER, "flask");
        assert.equal(componentOf(result, layer)!.type, "lambda-python:index:PythonLayer");
        assert.deepEqual(layer.wire.compatibleRuntimes, ["python3.14"]);
        assert.deepEqual(layer.wire.compatibleArchitectures, ["x86_64"]);
        assert.ok(pyZip(archiveOf(layer)).entries.some((e) => e.name === "python/flask/__init__.py"));
        const a = find(result, FUNCTION, "flask-version-1");
        const b = find(result, FUNCTION, "flask-version-2");
        for (const fn of [a, b]) {
            assert.equal((fn.wire.layers as string[]).length, 1);
            assert.deepEqual(fn.propertyDependencies.layers, [layer.urn]);
        }
        assert.equal(archiveOf(a), archiveOf(b), "one build for both");
    });

    it("datasette: Datasette, Mangum and pysqlite3 for x86_64 python3.13, the database in the zip, 256 MB", () => {
        const result = run(path.join(ROOT, "examples", "datasette"));
        const fn = find(result, FUNCTION, "datasette");
        assert.equal(fn.wire.runtime, "python3.13");
        assert.deepEqual(fn.wire.architectures, ["x86_64"]);
        assert.equal(fn.wire.memorySize, 256);
        const zip = archiveOf(fn);
        const names = new Set(pyZip(zip).entries.map((e) => e.name));
        for (const n of ["fixtures.db", "datasette/app.py", "mangum/__init__.py", "lambda_function.py"]) assert.ok(names.has(n), n);
        const sqlite = [...names].find((n) => /^pysqlite3\/_sqlite3\..*\.so$/.test(n))!;
        assert.equal(elfMachine(pyRead(zip, sqlite, 64)), 62);
        assert.equal(pyRead(zip, "fixtures.db", 16).toString("latin1"), "SQLite format 3\0");
        assertPublicUrl(result, "datasette");
    });

    it("numpy-arm64: numpy's AArch64 build in a layer for an arm64 function", () => {
        const result = run(path.join(ROOT, "examples", "numpy-arm64"));
        const layer = find(result, LAYER, "numpy-arm64");
        assert.deepEqual(layer.wire.compatibleArchitectures, ["arm64"]);
        const fn = find(result, FUNCTION, "numpy-stats");
        assert.deepEqual(fn.wire.architectures, ["arm64"]);
        const sos = pyZip(archiveOf(layer)).entries.filter((e) => e.name.endsWith(".so"));
        assert.ok(sos.length > 5);
        assert.equal(elfMachine(pyRead(archiveOf(layer), sos[0].name, 64)), 183);
    });

    it("the showcase (root Pulumi.yaml) deploys every example", () => {
        const result = run(ROOT);
        assert.equal(result.project, "lambda-python-showcase");
        const functions = result.resources
            .filter((r) => r.type === FUNCTION)
            .map((r) => r.name)
            .sort();
        assert.deepEqual(functions, ["cowsay", "datasette", "flask-version-1", "flask-version-2", "hello-url", "numpy-stats"]);
        assert.deepEqual(
            result.resources
                .filter((r) => r.type === LAYER)
                .map((r) => r.name)
                .sort(),
            ["flask", "numpy-arm64"],
        );
        assert.equal(result.outputs.datasetteUrl, "output<string>");
    });

    it("the showcase previewed twice gives every function and layer the same archive and sourceCodeHash (no phantom update)", () => {
        const hashes = (result: ProgramRun) => Object.fromEntries(result.resources.filter((r) => r.type === FUNCTION || r.type === LAYER).map((r) => [r.name, { hash: r.wire.sourceCodeHash, archive: archiveOf(r) }]));
        const first = hashes(run(ROOT));
        const second = hashes(run(ROOT));
        assert.equal(Object.keys(first).length, 8);
        for (const [name, h] of Object.entries(first)) assert.match(String(h.hash), /^[A-Za-z0-9+/=]{20,}$/, `${name} has a sourceCodeHash`);
        assert.deepEqual(second, first);
    });
});
