// invoke / serve / preview --invoke with --profile-init: the cold start's
// imports, profiled with CPython's -X importtime in the sandbox, under the real
// emulator. The fixture's slowpkg builds its tables when imported (a second's
// sleep), tinymod is a one-line module of the function's own: the ranking is
// asserted, never a time.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ImportNode, InitProfile } from "../runner";
import { cli, ROOT, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";
import { serve } from "./serve-helpers";
import { craftZip } from "./zip-crafter";

const FIXTURE = path.join(ROOT, "test", "fixtures", "runner", "init-profile");
const env = { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE };

function all(nodes: ImportNode[]): ImportNode[] {
    return nodes.flatMap((n) => [n, ...all(n.children)]);
}

/** The unzipped size of slowpkg's files as its RECORD lists them (the fixture's own files). */
function recordSize(): number {
    const record = fs.readFileSync(path.join(FIXTURE, "slowpkg-1.2.0.dist-info", "RECORD"), "utf8");
    return record
        .split("\n")
        .filter(Boolean)
        .reduce((sum, line) => sum + fs.statSync(path.join(FIXTURE, line.split(",")[0])).size, 0);
}

/** What every profile of the fixture's handler holds, whatever the machine's speed. */
function assertProfileShape(p: InitProfile, handlerModule: string): void {
    assert.equal(p.handlerModule, handlerModule);
    assert.equal(p.tree.length, 1, "one root: the handler's module");
    assert.equal(p.tree[0].module, handlerModule);
    const nodes = all(p.tree);
    for (const n of nodes) {
        assert.ok(n.selfMs >= 0 && n.cumulativeMs >= n.selfMs, `${n.module}: self within cumulative`);
        const childSum = n.children.reduce((s, c) => s + c.cumulativeMs, 0);
        assert.ok(Math.abs(n.cumulativeMs - n.selfMs - childSum) < 0.01, `${n.module}: cumulative = self + children`);
    }
    // The self times add up to the handler module's import, which is part of the init: shares sum to at most 1.
    const selfSum = nodes.reduce((s, n) => s + n.selfMs, 0);
    assert.ok(Math.abs(selfSum - p.handlerImportMs) < 0.01, `${selfSum} vs ${p.handlerImportMs}`);
    assert.ok(p.handlerImportMs <= p.initDurationMs, "the import is part of the init");
    assert.ok(p.handlerImportShare > 0 && p.handlerImportShare <= 1);
    const shares = p.slowestBySelf.reduce((s, r) => s + r.selfShare, 0);
    assert.ok(shares > 0 && shares <= p.handlerImportShare + 1e-4, `self shares ${shares} within the import's ${p.handlerImportShare}`);
    // The module whose import does the work is the slowest by its own time, far above a trivial import.
    assert.equal(p.slowestBySelf[0].module, "slowpkg.tables");
    const rank = (m: string) => p.slowestBySelf.findIndex((r) => r.module === m);
    assert.ok(rank("tinymod") > rank("slowpkg.tables"));
    assert.ok(p.slowestBySelf[0].selfMs > p.slowestBySelf[rank("tinymod")].selfMs);
    // By cumulative time, slowpkg (with what it imports) is above tinymod too.
    const cumulative = p.slowestByCumulative.map((r) => r.module);
    assert.ok(cumulative.indexOf("slowpkg") >= 0 && cumulative.indexOf("slowpkg") < cumulative.indexOf("tinymod"), cumulative.join(", "));
    // Packages: slowpkg by its dist-info's RECORD, with its unzipped size; tinymod is the function's own module.
    const slow = p.slowestBySelf[0].package;
    assert.deepEqual(slow, { name: "slowpkg", version: "1.2.0", where: "function", sizeBytes: recordSize() });
    assert.deepEqual(p.slowestBySelf[rank("tinymod")].package, { name: "tinymod", where: "function", sizeBytes: fs.statSync(path.join(FIXTURE, "tinymod.py")).size });
}

describe("init profile (--profile-init)", function () {
    this.timeout(300_000);

    it("invoke: the import tree and the slowest imports on stderr, the response and the function's own logs untouched", () => {
        const r = cli(["invoke", FIXTURE, "--runtime", "python3.13", "--profile-init"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), { answer: 306, body: "{}" });
        assert.match(r.stderr, /^tables ready$/m, "the function's print is in its logs");
        assert.doesNotMatch(r.stderr, /^import time:/m, "the profile's raw lines are not");
        assert.match(r.stderr, /lambda-python: init profile of lambda_function\.lambda_handler \(python3\.13, x86_64\) \(CPython's -X importtime\):\n {2}init [\d.]+ ms, then the handler [\d.]+ ms\n/);
        assert.match(r.stderr, /import tree .*\n {6}lambda_function +[\d.]+ ms +\d+%\n {8}slowpkg > slowpkg\.tables +[\d.]+ ms +\d+%\n/);
        // The first row of "by their own time" is slowpkg.tables, with its distribution and size.
        assert.match(r.stderr, new RegExp(String.raw`ten slowest imports by their own time:\n.*\n {6}slowpkg\.tables +[\d.]+ ms +[\d.]+ ms +\d+% +slowpkg 1\.2\.0 \(function, ${recordSize()} B\)\n`));
        // legacypkg has a dist-info without RECORD: its top_level.txt names it.
        assert.match(r.stderr, / legacypkg +[\d.]+ ms +[\d.]+ ms +[\d.]+% +legacypkg 0\.3 \(function, 10 B\)/);
        assert.match(r.stderr, /note: Bytecode: the archive ships none, so every module of the function and its layers was compiled during this init, as on Lambda/);
        assert.match(r.stderr, /returned in \d+ ms \(python3\.13, x86_64\): init [\d.]+ ms, handler [\d.]+ ms/);
    });

    it("invoke --json: initDurationMs, handlerDurationMs and initProfile, in the documented shape", () => {
        const r = cli(["invoke", FIXTURE, "--runtime", "python3.13", "--profile-init", "--json", "--quiet"], { env });
        assert.equal(r.code, 0, r.stderr);
        const doc = JSON.parse(r.stdout);
        assert.equal(typeof doc.initDurationMs, "number");
        assert.equal(typeof doc.handlerDurationMs, "number");
        assert.doesNotMatch(doc.logs, /import time:/);
        assert.match(doc.logs, /tables ready/);
        const p: InitProfile = doc.initProfile;
        assert.deepEqual(Object.keys(p).sort(), ["complete", "handlerImportMs", "handlerImportShare", "handlerModule", "initDurationMs", "measured", "notes", "slowestByCumulative", "slowestBySelf", "tree"]);
        assert.equal(p.complete, true);
        assert.equal(p.initDurationMs, doc.initDurationMs);
        assert.deepEqual(p.measured, { architecture: "x86_64", emulated: false, bytecode: "at-cold-start", archiveBytecode: false });
        assert.deepEqual(Object.keys(p.slowestBySelf[0]).sort(), ["cumulativeMs", "cumulativeShare", "module", "package", "selfMs", "selfShare"]);
        assertProfileShape(p, "lambda_function");
        // Modules the runtime imported before the handler (json) cost it nothing and are not under it.
        assert.ok(!all(p.tree).some((n) => n.module === "json"));
        // Without the flag: the init apart from the handler, and no profile.
        const plain = JSON.parse(cli(["invoke", FIXTURE, "--runtime", "python3.13", "--json", "--quiet"], { env }).stdout);
        assert.equal(typeof plain.initDurationMs, "number");
        assert.equal(plain.initProfile, undefined);
    });

    it("an init that fails is still a failure, with the profile up to the failing import", () => {
        const r = cli(["invoke", FIXTURE, "--runtime", "python3.13", "--handler", "broken.lambda_handler", "--profile-init", "--json", "--quiet"], { env });
        assert.equal(r.code, 1, r.stderr);
        const doc = JSON.parse(r.stdout);
        assert.equal(doc.ok, false);
        assert.equal(doc.duringInit, true);
        assert.equal(doc.error.errorType, "Runtime.ImportModuleError");
        assert.equal(doc.handlerDurationMs, undefined, "the handler never ran");
        const p: InitProfile = doc.initProfile;
        assert.equal(p.complete, false);
        assert.deepEqual(
            p.tree[0].children.map((c) => c.module),
            ["slowpkg", "tinymod", "not_in_the_archive"],
        );
        assertProfileShape(p, "broken");
        assert.match(p.notes.join("\n"), /The import of broken did not finish \(it raised an exception\)/);
        const text = cli(["invoke", FIXTURE, "--runtime", "python3.13", "--handler", "broken.lambda_handler", "--profile-init"], { env });
        assert.equal(text.code, 1);
        assert.match(text.stderr, /init profile of broken\.lambda_handler[^\n]*\n {2}init [\d.]+ ms\n/, "no handler time: it never ran");
        assert.match(text.stderr, /broken did not finish importing/);
        assert.match(text.stderr, /lambda-python: the function failed during init with Runtime\.ImportModuleError: Unable to import module 'broken': No module named 'not_in_the_archive'/);
    });

    it("a package from a layer is the layer's, in site-packages, with its RECORD's size; the function's own module is the function's", () => {
        const dir = tmpDir("lp-profile-layer-");
        const file = (name: string, text: string) => ({ name, data: Buffer.from(text) });
        const site = "python/lib/python3.13/site-packages";
        const sources = [file(`${site}/shapes/__init__.py`, "from shapes import geometry\n"), file(`${site}/shapes/geometry.py`, "import time\n\ntime.sleep(0.5)\nSIDES = 4\n")];
        const record = sources.map((f) => `${f.name.slice(site.length + 1)},,${f.data.length}`).join("\n");
        const layer = path.join(dir, "layer.zip");
        fs.writeFileSync(layer, craftZip([...sources, file(`${site}/shapes-0.9.1.dist-info/METADATA`, "Metadata-Version: 2.1\nName: shapes\nVersion: 0.9.1\n"), file(`${site}/shapes-0.9.1.dist-info/RECORD`, `${record}\n`)]));
        const fn = path.join(dir, "fn.zip");
        fs.writeFileSync(fn, craftZip([file("lambda_function.py", "import shapes\n\n\ndef lambda_handler(event, context):\n    return shapes.geometry.SIDES\n")]));
        const r = cli(["invoke", fn, "--layer", layer, "--runtime", "python3.13", "--profile-init", "--json", "--quiet"], { env });
        assert.equal(r.code, 0, r.stderr);
        const p: InitProfile = JSON.parse(r.stdout).initProfile;
        assert.equal(p.slowestBySelf[0].module, "shapes.geometry");
        // RECORD lists the two sources (the dist-info's own files are not in this one): their bytes.
        assert.deepEqual(p.slowestBySelf[0].package, { name: "shapes", version: "0.9.1", where: "layer", sizeBytes: sources.reduce((n, f) => n + f.data.length, 0) });
        assert.deepEqual(p.slowestByCumulative[0].package, { name: "lambda_function", where: "function", sizeBytes: 85 });
    });

    it("says when the archive ships bytecode of its own (build --bytecode), used where it matches as on Lambda", () => {
        const zip = path.join(tmpDir("lp-profile-bytecode-"), "fn.zip");
        const built = cli(["build", FIXTURE, "--runtime", "python3.13", "--arch", "x86_64", "--bytecode", "--out", zip, "--quiet"], { env });
        assert.equal(built.code, 0, built.stderr);
        const r = cli(["invoke", zip, "--runtime", "python3.13", "--profile-init", "--json", "--quiet"], { env });
        assert.equal(r.code, 0, r.stderr);
        const p: InitProfile = JSON.parse(r.stdout).initProfile;
        assert.deepEqual(p.measured, { architecture: "x86_64", emulated: false, bytecode: "at-cold-start", archiveBytecode: true });
        assert.match(p.notes.join("\n"), /the archive's own __pycache__ was used where it matches this CPython/);
        assertProfileShape(p, "lambda_function");
    });

    it("arm64 under qemu: says the milliseconds are inflated and the bytecode was precompiled", () => {
        const r = cli(["invoke", FIXTURE, "--runtime", "python3.13", "--arch", "arm64", "--profile-init", "--json", "--quiet"], { env });
        assert.equal(r.code, 0, r.stderr);
        const p: InitProfile = JSON.parse(r.stdout).initProfile;
        assert.deepEqual(p.measured, { architecture: "arm64", emulated: true, bytecode: "precompiled", archiveBytecode: false });
        assert.match(p.notes.join("\n"), /arm64 ran under qemu .* the milliseconds are not Lambda's\. The ranking of the imports and their shares of one another carry over better/);
        assert.match(p.notes.join("\n"), /compiled to bytecode before this run .* Lambda's init is longer by that compile time/);
        assertProfileShape(p, "lambda_function");
    });

    it("refuses --profile-init with --debug-port, and preview's without --invoke, in one paragraph", () => {
        const r = cli(["invoke", FIXTURE, "--profile-init", "--debug-port", "5890"], { env });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /^lambda-python: error: --profile-init and --debug-port cannot be used together/);
        const p = cli(["preview", FIXTURE, "--profile-init"], { env });
        assert.equal(p.code, 2);
        assert.match(p.stderr, /--profile-init profiles the functions' cold starts, which only --invoke runs/);
    });

    it("serve --profile-init prints the cold start's profile, once per execution environment", async () => {
        const served = await serve([FIXTURE, "--runtime", "python3.13", "--profile-init", "--quiet"], 1);
        try {
            const url = Object.values(served.urls)[0];
            for (let i = 0; i < 2; i++) assert.equal((await fetch(url)).status, 200);
            const err = served.stderr();
            assert.equal(err.match(/init profile of init-profile's cold start/g)?.length, 1, err);
            assert.match(err, /ten slowest imports by their own time:\n.*\n +slowpkg\.tables .* slowpkg 1\.2\.0 \(function, \d+ B\)/);
        } finally {
            await served.stop();
        }
    });

    it("serve without the flag logs each cold start's init apart from its handler, once, and no profile", async () => {
        const served = await serve([FIXTURE, "--runtime", "python3.13"], 1);
        try {
            const url = Object.values(served.urls)[0];
            for (let i = 0; i < 2; i++) assert.equal((await fetch(url)).status, 200);
            const err = served.stderr();
            assert.equal(err.match(/lambda-python: init-profile: cold start: init [\d.]+ ms, handler [\d.]+ ms\n/g)?.length, 1, err);
            assert.doesNotMatch(err, /init profile of|import time:/);
            assert.match(err, /\[init-profile\] tables ready/, "the function's own output, once");
        } finally {
            await served.stop();
        }
    });

    it("preview --invoke --profile-init: each function's profile after the table, and in the JSON", () => {
        const dir = writeFiles(tmpDir("lp-profile-preview-"), {
            "Pulumi.yaml": "name: profiled\nruntime: nodejs\nmain: index.ts\n",
            "index.ts": `import { PythonFunction } from ${JSON.stringify(path.join(ROOT, "components"))};\nnew PythonFunction("tables", { source: ${JSON.stringify(FIXTURE)}, handler: "lambda_function.lambda_handler", runtime: "python3.13" });\n`,
        });
        const text = cli(["preview", dir, "--invoke", "--profile-init", "--quiet"], { env });
        assert.equal(text.code, 0, text.stdout + text.stderr);
        assert.match(text.stdout, /\nInit profile of tables \(CPython's -X importtime\):\n {2}init [\d.]+ ms, then the handler/);
        assert.match(text.stdout, / slowpkg\.tables .* slowpkg 1\.2\.0 \(function, \d+ B\)/);
        const json = cli(["preview", dir, "--invoke", "--profile-init", "--json", "--quiet"], { env });
        assert.equal(json.code, 0, json.stderr);
        const [invocation] = JSON.parse(json.stdout).invocations;
        assert.equal(typeof invocation.initDurationMs, "number");
        assertProfileShape(invocation.initProfile, "lambda_function");
    });
});
