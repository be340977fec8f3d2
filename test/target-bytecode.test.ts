// Bytecode for the target (issue 28): what `build --bytecode` adds, that the
// runner runs the archive's own bytecode as Lambda would (on this machine's
// CPython, and under qemu with and without the runner's precompiled prefix),
// and lambda-no-pycache's three cases through the policy pack's analyzer
// entry points, with hand-made .pyc headers and with real ones.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildArchive } from "../builder";
import { BuildCache, UNUSED_FOR_MS } from "../builder/cache";
import { Architecture, invokeOnce } from "../runner";
import { compileBytecode } from "../target-python/bytecode";
import { rootDir } from "../target-python/debian-root";
import { hostArchitecture } from "../target-python/host";
import { qemuPath } from "../target-python/qemu";
import { compileForTarget, ensureTargetCompiler } from "../target-python/target-bytecode";
import { analyze, Diagnostic, FUNCTION, fileArchive, only } from "./analyzer";
import { assertOneParagraph, cli, SHARED_CACHE, tmpDir } from "./helpers";
import { CraftEntry, craftZip } from "./zip-crafter";

const RUNTIME = "python3.13";
const HANDLER = "lambda_function.lambda_handler";
const OTHER_ARCH: Architecture = hostArchitecture() === "x86_64" ? "arm64" : "x86_64";

/** The .pyc CPython `interpreter` writes for `source` at /var/task/<name> (unchecked-hash, or timestamp-based). */
async function realPyc(name: string, source: string, options: { interpreter?: string; timestamp?: boolean } = {}): Promise<Buffer> {
    const interpreter = options.interpreter ?? RUNTIME;
    await ensureTargetCompiler(interpreter);
    const stage = tmpDir("lp-pyc-");
    fs.mkdirSync(path.dirname(path.join(stage, name)), { recursive: true });
    fs.writeFileSync(path.join(stage, name), source);
    if (options.timestamp) await compileBytecode(rootDir(interpreter, hostArchitecture()!), interpreter, ["--bind", stage, "/var/task"], ["/var/task"]);
    else await compileForTarget(interpreter, stage, "/var/task");
    const dir = path.join(stage, path.dirname(name), "__pycache__");
    const [pyc] = fs.readdirSync(dir);
    return fs.readFileSync(path.join(dir, pyc));
}

/** A .pyc header as PEP 552 lays it out, with a body that is not code (the rule reads the header only). */
function handMadePyc(magic: number, flags: number): Buffer {
    const b = Buffer.alloc(32);
    b.writeUInt16LE(magic, 0);
    b.write("\r\n", 2, "latin1");
    b.writeUInt32LE(flags, 4);
    return b;
}

function zipOf(entries: CraftEntry[]): string {
    const p = path.join(tmpDir("lp-bc-zip-"), "code.zip");
    fs.writeFileSync(p, craftZip(entries));
    return p;
}

const HANDLER_SOURCE = Buffer.from("def lambda_handler(event, context):\n    return 1\n");

function levelsOf(diags: Diagnostic[]): string[] {
    return only(diags, "lambda-no-pycache").map((d) => d.level);
}

describe("bytecode for the target", function () {
    this.timeout(900_000);

    describe("lambda-no-pycache through the policy pack", () => {
        const analyzeWith = (pyc: Buffer, pycName = "__pycache__/util.cpython-313.pyc", extra: CraftEntry[] = [{ name: "util.py", data: Buffer.from("X = 1\n") }]) =>
            analyze(FUNCTION, "api", {
                code: fileArchive(zipOf([{ name: "lambda_function.py", data: HANDLER_SOURCE }, ...extra, { name: pycName, data: pyc }])),
                handler: HANDLER,
                runtime: RUNTIME,
                architectures: ["x86_64"],
            });

        it("hand-made headers: the runtime's magic and unchecked-hash beside the source is an advisory naming the opt-in", async () => {
            const diags = await analyzeWith(handMadePyc(3571, 1));
            assert.deepEqual(levelsOf(diags), ["advisory"]);
            assert.match(only(diags, "lambda-no-pycache")[0].message, /bytecode for 1 module compiled for python3\.13 .*lambda-python build --bytecode/);
        });

        it("hand-made headers: another version's magic, timestamp-based, orphaned or -O bytecode is an error that says why", async () => {
            const cases: [Buffer, string, CraftEntry[] | undefined, RegExp][] = [
                [handMadePyc(3531, 1), "__pycache__/util.cpython-312.pyc", undefined, /compiled by CPython 3\.12, not 3\.13/],
                [handMadePyc(3531, 1), "__pycache__/util.cpython-313.pyc", undefined, /named cpython-313 but compiled by CPython 3\.12/],
                [handMadePyc(3571, 0), "__pycache__/util.cpython-313.pyc", undefined, /timestamp-based/],
                [handMadePyc(3571, 1), "__pycache__/gone.cpython-313.pyc", undefined, /orphaned: no gone\.py beside its __pycache__/],
                [handMadePyc(3571, 1), "__pycache__/util.cpython-313.opt-1.pyc", undefined, /python -O/],
                [handMadePyc(3571, 1), "util.pyc", [], /outside __pycache__/],
                [Buffer.alloc(32), "__pycache__/util.cpython-313.pyc", undefined, /not a CPython bytecode header/],
            ];
            for (const [pyc, name, extra, why] of cases) {
                const diags = await analyzeWith(pyc, name, extra);
                assert.deepEqual(levelsOf(diags), ["mandatory"], name);
                assert.match(only(diags, "lambda-no-pycache")[0].message, why);
                assert.match(only(diags, "lambda-no-pycache")[0].message, /pip install --no-compile/);
            }
        });

        it("real bytecode: Debian's CPython 3.13 unchecked-hash is an advisory; its timestamp-based, and CPython 3.11's, are errors", async () => {
            const source = "X = 1\n";
            assert.deepEqual(levelsOf(await analyzeWith(await realPyc("util.py", source))), ["advisory"]);
            const timestamp = await realPyc("util.py", source, { timestamp: true });
            assert.equal(timestamp.readUInt32LE(4), 0, "compileall's default is timestamp-based");
            assert.match(only(await analyzeWith(timestamp), "lambda-no-pycache")[0].message, /timestamp-based/);
            const py311 = await realPyc("util.py", source, { interpreter: "python3.11" });
            assert.match(only(await analyzeWith(py311, "__pycache__/util.cpython-311.pyc"), "lambda-no-pycache")[0].message, /compiled by CPython 3\.11, not 3\.13/);
        });
    });

    describe("the runner uses the archive's bytecode", () => {
        let zip: string;
        before(async () => {
            // The bytecode says "bytecode", the source beside it "source": an unchecked-hash .pyc is loaded without
            // looking at the source, so the answer tells which one ran.
            const pyc = await realPyc("greet.py", 'WHO = "bytecode"\n');
            zip = zipOf([
                { name: "lambda_function.py", data: Buffer.from("import greet\n\n\ndef lambda_handler(event, context):\n    return {'who': greet.WHO}\n") },
                { name: "greet.py", data: Buffer.from('WHO = "source"\n') },
                { name: "__pycache__/greet.cpython-313.pyc", data: pyc },
            ]);
        });
        const who = async (architecture: Architecture, precompile?: boolean) => {
            const r = await invokeOnce({ code: zip, handler: HANDLER, runtime: RUNTIME, architecture, timeoutSeconds: 30 }, {}, { precompile });
            assert.ok(r.ok, r.payload + r.logs);
            return JSON.parse(r.payload).who;
        };
        it("on this machine's architecture", async () => assert.equal(await who(hostArchitecture()!), "bytecode"));
        it("under qemu, as Lambda runs it (precompile: false)", async () => assert.equal(await who(OTHER_ARCH, false), "bytecode"));
        it("under qemu, with the runner's precompiled prefix laid under it", async () => assert.equal(await who(OTHER_ARCH), "bytecode"));
    });

    describe("build --bytecode", () => {
        const source = tmpDir("lp-bc-src-");
        fs.mkdirSync(path.join(source, "shop"));
        fs.writeFileSync(path.join(source, "shop", "__init__.py"), "");
        fs.writeFileSync(path.join(source, "shop", "prices.py"), "def total(items):\n    return sum(i['price'] * i['qty'] for i in items)\n");
        // Every module Python compiles while the handler module imports its own: an audit hook sees each compile().
        fs.writeFileSync(
            path.join(source, "lambda_function.py"),
            "import sys\ncompiled = []\nsys.addaudithook(lambda ev, args: compiled.append(args[1]) if ev == 'compile' and isinstance(args[1], str) else None)\nimport shop.prices\n\n\ndef lambda_handler(event, context):\n    return {'total': shop.prices.total(event['items']), 'compiled': compiled, 'cached': shop.prices.__cached__}\n",
        );
        const event = { items: [{ price: 3, qty: 2 }] };
        const compiledAtStart = async (zip: string, architecture: Architecture) => {
            const r = await invokeOnce({ code: zip, handler: HANDLER, runtime: RUNTIME, architecture, timeoutSeconds: 30 }, event, { precompile: false });
            assert.ok(r.ok, r.payload + r.logs);
            const out = JSON.parse(r.payload);
            assert.equal(out.total, 6);
            return out as { compiled: string[]; cached: string };
        };

        it("adds each module's unchecked-hash bytecode beside it, and the cold start compiles none of them", async () => {
            const plain = await buildArchive({ source, runtime: RUNTIME, cacheDir: SHARED_CACHE });
            const withPyc = await buildArchive({ source, runtime: RUNTIME, bytecode: true, cacheDir: SHARED_CACHE });
            const pycs = withPyc.facts.files.filter((f) => f.pyc);
            assert.deepEqual(
                pycs.map((f) => f.name),
                ["__pycache__/lambda_function.cpython-313.pyc", "shop/__pycache__/__init__.cpython-313.pyc", "shop/__pycache__/prices.cpython-313.pyc"],
            );
            for (const f of pycs) assert.deepEqual(f.pyc, { magic: 3571, flags: 1 }, f.name);
            assert.deepEqual(
                withPyc.findings.map((f) => `${f.policy} ${f.level}`),
                ["lambda-no-pycache advisory"],
            );
            for (const architecture of [hostArchitecture()!, OTHER_ARCH]) {
                const without = await compiledAtStart(plain.path, architecture);
                assert.deepEqual(without.compiled, ["/var/task/shop/__init__.py", "/var/task/shop/prices.py"], architecture);
                const withBytecode = await compiledAtStart(withPyc.path, architecture);
                assert.deepEqual(withBytecode.compiled, [], architecture);
                assert.equal(withBytecode.cached, "/var/task/shop/__pycache__/prices.cpython-313.pyc");
            }
        });

        it("is deterministic: another cache, the same archive bytes", async () => {
            const a = await buildArchive({ source, runtime: RUNTIME, bytecode: true, cacheDir: tmpDir("lp-bc-cache-") });
            const b = await buildArchive({ source, runtime: RUNTIME, bytecode: true, cacheDir: tmpDir("lp-bc-cache-") });
            assert.equal(a.sha256, b.sha256);
        });

        it("the modules a build uses stay in the cache's sweep, those unused for a month go", async () => {
            const cacheDir = tmpDir("lp-bc-cache-");
            await buildArchive({ source, runtime: RUNTIME, bytecode: true, cacheDir });
            const stores = fs.readdirSync(path.join(cacheDir, "bytecode")).map((d) => path.join(cacheDir, "bytecode", d));
            const pycs = stores.flatMap((d) => fs.readdirSync(d).map((n) => path.join(d, n)));
            assert.equal(pycs.length, 3, pycs.join(", "));
            const unused = path.join(stores[0], `${"e".repeat(40)}.pyc`);
            fs.writeFileSync(unused, "");
            const monthAgo = new Date(Date.now() - UNUSED_FOR_MS - 24 * 3600_000);
            for (const f of [...pycs, unused]) fs.utimesSync(f, monthAgo, monthAgo);
            // The same modules from another folder (not the no-change shortcut of the same one): compiled no more, used.
            const copy = tmpDir("lp-bc-copy-");
            fs.cpSync(source, copy, { recursive: true });
            await buildArchive({ source: copy, runtime: RUNTIME, bytecode: true, cacheDir });
            new BuildCache(cacheDir).sweep({ evenIfRecent: true }); // the builds above swept within the hour
            assert.deepEqual(stores.flatMap((d) => fs.readdirSync(d).map((n) => path.join(d, n))).sort(), [...pycs].sort());
        });

        it("the other architecture's CPython, under qemu, writes the same bytes as this machine's", async () => {
            const text = fs.readFileSync(path.join(source, "shop", "prices.py"));
            const native = await realPyc("shop/prices.py", text.toString());
            const stage = tmpDir("lp-pyc-qemu-");
            fs.mkdirSync(path.join(stage, "shop"));
            fs.writeFileSync(path.join(stage, "shop", "prices.py"), text);
            const root = rootDir(RUNTIME, OTHER_ARCH);
            const qemu = qemuPath(OTHER_ARCH);
            assert.ok(fs.existsSync(root) && fs.existsSync(qemu), "the tests above set up the other architecture's root and qemu");
            const r = spawnSync(
                "bwrap",
                [
                    "--ro-bind",
                    root,
                    "/",
                    "--ro-bind",
                    qemu,
                    "/usr/libexec/lambda-python-qemu",
                    "--bind",
                    stage,
                    "/var/task",
                    "--proc",
                    "/proc",
                    "--dev",
                    "/dev",
                    "--tmpfs",
                    "/tmp",
                    "--unshare-all",
                    "--",
                    "/usr/libexec/lambda-python-qemu",
                    "-L",
                    "/",
                    `/usr/bin/${RUNTIME}`,
                    "-s",
                    "-P",
                    "-m",
                    "compileall",
                    "-q",
                    "--invalidation-mode",
                    "unchecked-hash",
                    "/var/task",
                ],
                { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.ok(fs.readFileSync(path.join(stage, "shop", "__pycache__", "prices.cpython-313.pyc")).equals(native));
        });

        it("compiles a layer's modules where Lambda puts them (/opt/python), and the function's cold start compiles none of them", async () => {
            const layerSource = tmpDir("lp-bc-layer-");
            fs.mkdirSync(path.join(layerSource, "shop"));
            fs.writeFileSync(path.join(layerSource, "shop", "__init__.py"), "");
            fs.writeFileSync(path.join(layerSource, "shop", "prices.py"), "def total(items):\n    return sum(i['price'] * i['qty'] for i in items)\n");
            const layer = await buildArchive({ source: layerSource, kind: "layer", runtime: RUNTIME, bytecode: true, cacheDir: SHARED_CACHE });
            assert.deepEqual(
                layer.facts.files.filter((f) => f.pyc).map((f) => f.name),
                ["python/shop/__pycache__/__init__.cpython-313.pyc", "python/shop/__pycache__/prices.cpython-313.pyc"],
            );
            const fnZip = zipOf([{ name: "lambda_function.py", data: fs.readFileSync(path.join(source, "lambda_function.py")) }]);
            const r = await invokeOnce({ code: fnZip, layers: [layer.path], handler: HANDLER, runtime: RUNTIME, architecture: hostArchitecture()!, timeoutSeconds: 30 }, event, { precompile: false });
            assert.ok(r.ok, r.payload + r.logs);
            assert.deepEqual(JSON.parse(r.payload).compiled, []);
            assert.equal(JSON.parse(r.payload).cached, "/opt/python/shop/__pycache__/prices.cpython-313.pyc");
        });

        it("the CLI: build --bytecode, then inspect says advisory for its runtime and an error for another", () => {
            const out = path.join(tmpDir(), "app.zip");
            const built = cli(["build", source, "--runtime", RUNTIME, "--bytecode", "--out", out, "--json", "--quiet"]);
            assert.equal(built.code, 0, built.stderr);
            assert.deepEqual(
                JSON.parse(built.stdout).findings.map((f: { policy: string; level: string }) => `${f.policy} ${f.level}`),
                ["lambda-no-pycache advisory"],
            );
            const same = cli(["inspect", out, "--runtime", RUNTIME, "--json"]);
            assert.equal(same.code, 0, same.stderr);
            assert.deepEqual(
                JSON.parse(same.stdout)
                    .findings.filter((f: { policy: string }) => f.policy === "lambda-no-pycache")
                    .map((f: { level: string }) => f.level),
                ["advisory"],
            );
            const other = cli(["inspect", out, "--runtime", "python3.14", "--json"]);
            assert.equal(other.code, 1, other.stderr);
            assert.match(JSON.parse(other.stdout).findings.find((f: { policy: string }) => f.policy === "lambda-no-pycache").message, /compiled by CPython 3\.13, not 3\.14/);
        });

        it("refuses a runtime without its own CPython here, in one paragraph", () => {
            assertOneParagraph(cli(["build", source, "--runtime", "python3.12", "--bytecode", "--out", path.join(tmpDir(), "x.zip")]), /bytecode for python3\.12 needs CPython 3\.12 itself .*Build python3\.12 without bytecode/);
        });
    });
});
