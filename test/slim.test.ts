// `slim`: the stripper on both architectures and on libraries it would break,
// the import proof putting back a package that breaks without its files, the
// components and the CLI. The rules alone: test/unit/slim-rules.test.ts.
// Needs the runner (lambda-python setup for python3.13 on x86_64 and arm64).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { buildArchive } from "../builder";
import { BuildCache, UNUSED_FOR_MS } from "../builder/cache";
import { slimTree } from "../builder/slim";
import { buildSlimProven } from "../runner/slim-proof";
import { loadSegments } from "../builder/slim/rules";
import { PythonFunction, PythonLayer } from "../components";
import { outputValue } from "../preview/mock-stack";
import { hostArchitecture } from "../target-python/host";
import { cli, elfMachine, pyRead, pyZip, SHARED_CACHE, tmpDir, useMockStack, writeFiles } from "./helpers";
import { elfHeader } from "./zip-crafter";

/** A site-packages folder as an installer leaves it: each package with its .dist-info (METADATA, RECORD). */
function sitePackages(dir: string, packages: Record<string, Record<string, string | Buffer>>): string {
    for (const [name, files] of Object.entries(packages)) {
        const info = `${name}-1.0.dist-info`;
        const all: Record<string, string | Buffer> = { ...files, [`${info}/METADATA`]: `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\n` };
        const record = [...Object.keys(all).map((f) => `${f},,`), `${info}/RECORD,,`].join("\n");
        writeFiles(dir, { ...all, [`${info}/RECORD`]: `${record}\n` });
    }
    return dir;
}

describe("slim", function () {
    this.timeout(20 * 60_000);

    describe("shared objects", () => {
        for (const architecture of ["x86_64", "arm64"] as const) {
            it(`strips scipy's auditwheel-grafted libraries on ${architecture} with their segments in place, and every scipy extension module imports there`, async () => {
                const source = writeFiles(tmpDir("lp-slim-scipy-"), { "app.py": "import scipy.linalg\ndef handler(e, c):\n    return 1\n", "requirements.txt": "scipy==1.18.1\nnumpy==2.5.5\n" });
                const { result, proof } = await buildSlimProven({ source, runtime: "python3.13", architecture, slim: true, cacheDir: SHARED_CACHE }, "always");
                const whole = await buildArchive({ source, runtime: "python3.13", architecture, cacheDir: SHARED_CACHE });
                // GNU strip moves patchelf's segments off their pages (scipy.linalg then fails to import): compact.ts keeps them in place.
                const openblas = result.facts.files.find((f) => /^scipy\.libs\/libscipy_openblas/.test(f.name))!;
                const before = whole.facts.files.find((f) => f.name === openblas.name)!;
                assert.ok(openblas.size < before.size - 500_000, `${openblas.name}: ${before.size} -> ${openblas.size}`);
                assert.ok(!result.slim!.notStripped.some((n) => n.file === openblas.name), JSON.stringify(result.slim!.notStripped));
                const bytes = pyRead(result.path, openblas.name);
                for (const seg of loadSegments((position, length) => bytes.subarray(position, position + length))) assert.equal((seg.vaddr - seg.offset) % 4096, 0, `segment at 0x${seg.vaddr.toString(16)}`);
                for (const n of result.slim!.notStripped) assert.match(n.why, /saves nothing|no symbol table or debug sections/, n.file);
                // scipy's developer scripts went with the test suite they import; the proof imported every package and extension module.
                const names = result.facts.files.map((f) => f.name);
                assert.ok(!names.some((n) => n.startsWith("scipy/special/_precompute/") || n.startsWith("scipy/special/tests/")));
                assert.ok(proof.ran);
                assert.deepEqual(proof.keptWhole, []);
                // What fails even without slimming (scipy 1.18.1's _matfuncs_sqrtm_triu imported on its own: a circular import) is no loader error.
                for (const f of proof.failingAnyway) assert.doesNotMatch(f.error, /ELF|page-aligned|shared object|symbol/, f.module);
                for (const m of ["scipy.linalg", "scipy.linalg._flapack", "scipy.stats", "scipy.integrate._odepack", "numpy.linalg"]) assert.ok(proof.imported.includes(m), m);
            });
        }

        it("leaves a .so that is not ELF and an ELF of the other architecture as they are, and says why", async () => {
            const dir = tmpDir("lp-slim-elf-");
            writeFiles(dir, { "fake/lib.so": "not a library\n", "other/_ext.cpython-313-aarch64-linux-gnu.so": elfHeader(183), "fake/__init__.py": "" });
            const files = ["fake/lib.so", "other/_ext.cpython-313-aarch64-linux-gnu.so", "fake/__init__.py"].map((rel) => ({ rel, size: fs.statSync(path.join(dir, rel)).size, executable: false, abs: path.join(dir, rel) }));
            const r = await slimTree(files, "x86_64", { keepTyped: false, keepWhole: [] }, SHARED_CACHE, () => {});
            assert.equal(r.stripped.size, 0);
            assert.deepEqual(r.report.notStripped, [
                { file: "fake/lib.so", why: "not an ELF file" },
                { file: "other/_ext.cpython-313-aarch64-linux-gnu.so", why: "an ELF file for another architecture than x86_64" },
            ]);
        });

        it("keeps the stripped copies a build uses through the cache's sweep, and removes those unused for a month", async () => {
            const dir = tmpDir("lp-slim-sweep-");
            writeFiles(dir, { "fastsum/_speed.c": "int add(int a, int b) { return a + b; }\n" });
            // Debug information, as a package built from source has it: what strip removes.
            const cc = spawnSync("gcc", ["-g", "-shared", "-fPIC", "-o", path.join(dir, "fastsum", "_speed.abi3.so"), path.join(dir, "fastsum", "_speed.c")], { encoding: "utf8" });
            assert.equal(cc.status, 0, cc.stderr);
            const rel = "fastsum/_speed.abi3.so";
            const files = [{ rel, size: fs.statSync(path.join(dir, rel)).size, executable: false, abs: path.join(dir, rel) }];
            const cacheDir = tmpDir("lp-slim-sweep-cache-");
            const slim = () => slimTree(files, hostArchitecture()!, { keepTyped: false, keepWhole: [] }, cacheDir, () => {});
            assert.equal((await slim()).stripped.size, 1);
            const stored = new BuildCache(cacheDir).slimDir();
            const entries = fs.readdirSync(stored).sort();
            assert.deepEqual(
                entries.map((n) => path.extname(n)),
                [".json", ".so"],
            );
            const unused = path.join(stored, `${"e".repeat(64)}.json`);
            fs.writeFileSync(unused, '{"why":"not smaller"}');
            const monthAgo = new Date(Date.now() - UNUSED_FOR_MS - 24 * 3600_000);
            for (const n of [...entries, path.basename(unused)]) fs.utimesSync(path.join(stored, n), monthAgo, monthAgo);
            const again = await slim();
            assert.equal(again.stripped.get(rel)?.path, path.join(stored, entries[1]), "the stripped copy from the cache");
            new BuildCache(cacheDir).sweep();
            assert.deepEqual(fs.readdirSync(stored).sort(), entries);
        });

        for (const architecture of ["x86_64", "arm64"] as const) {
            it(`strips numpy's shared objects for ${architecture} (multiarch strip) and numpy still imports there`, async () => {
                const source = writeFiles(tmpDir("lp-slim-np-"), { "app.py": "import numpy\ndef handler(e, c):\n    return float(numpy.linalg.det(numpy.eye(3)))\n", "requirements.txt": "numpy==2.5.5\n" });
                const { result, proof } = await buildSlimProven({ source, runtime: "python3.13", architecture, slim: true, cacheDir: SHARED_CACHE }, "always");
                const whole = await buildArchive({ source, runtime: "python3.13", architecture, cacheDir: SHARED_CACHE });
                const before = new Map(whole.facts.files.map((f) => [f.name, f.size]));
                const smaller = result.facts.files.filter((f) => /\.so(\.\d+)*$/.test(f.name) && f.size < before.get(f.name)!);
                assert.ok(smaller.length > 0, "some shared objects are smaller");
                for (const f of smaller.slice(0, 5)) assert.equal(elfMachine(pyRead(result.path, f.name, 20)), architecture === "x86_64" ? 62 : 183, f.name);
                // RECORD states the stripped file's own hash and size (importlib.metadata's files() reads it).
                const record = pyRead(result.path, result.facts.files.find((f) => /^numpy-[^/]+\.dist-info\/RECORD$/.test(f.name))!.name).toString("utf8");
                const stripped = smaller[0];
                const digest = crypto.createHash("sha256").update(pyRead(result.path, stripped.name)).digest("base64url");
                assert.ok(record.includes(`${stripped.name},sha256=${digest},${stripped.size}`), `RECORD line of ${stripped.name}`);
                assert.ok(result.slim!.strippedFiles > 0);
                assert.deepEqual(result.slim!.notStripped, []);
                assert.ok(proof.ran);
                assert.deepEqual(proof.keptWhole, []);
                assert.ok(proof.imported.includes("numpy"), proof.imported.join(", "));
                assert.ok(result.unzippedBytes < whole.unzippedBytes * 0.85, `${result.unzippedBytes} vs ${whole.unzippedBytes}`);
                // numpy.testing is a module numpy users import: it stays; numpy's tests do not.
                const names = result.facts.files.map((f) => f.name);
                assert.ok(names.includes("numpy/testing/__init__.py"));
                assert.ok(!names.some((n) => n.includes("/tests/")));
            });
        }
    });

    describe("Lambda's unzipped limit", () => {
        it("builds with slim a tree that is over the limit whole and under it slimmed, judging the install by what slimming keeps", async () => {
            const source = writeFiles(tmpDir("lp-slim-limit-"), { "app.py": "import numpy\ndef handler(e, c):\n    return 1\n", "requirements.txt": "numpy==2.5.5\n" });
            const probe = await buildArchive({ source, runtime: "python3.13", cacheDir: SHARED_CACHE });
            const slimmed = await buildArchive({ source, runtime: "python3.13", cacheDir: SHARED_CACHE, slim: true });
            const limit = Math.round((probe.unzippedBytes + slimmed.unzippedBytes) / 2);
            const checks = { "lambda-unzipped-size": { maxUnzippedBytes: limit } };
            // A fresh build cache: the install is listed (and judged before compressing) again.
            const fresh = tmpDir("lp-slim-limit-cache-");
            await assert.rejects(buildArchive({ source, runtime: "python3.13", cacheDir: fresh, checks }), /lambda-unzipped-size/);
            const r = await buildArchive({ source, runtime: "python3.13", cacheDir: tmpDir("lp-slim-limit-cache2-"), checks, slim: true });
            assert.ok(r.unzippedBytes < limit);
        });
    });

    describe("proof", () => {
        it("puts back whole a package that reads its own tests folder at import, names it, and slims the others", async () => {
            const root = tmpDir("lp-slim-hostile-");
            const site = sitePackages(path.join(root, "site"), {
                readsown: {
                    "readsown/__init__.py": "import json, os\nEXPECTED = json.load(open(os.path.join(os.path.dirname(__file__), 'tests', 'expected.json')))\n",
                    "readsown/tests/expected.json": '{"answer": 42}\n',
                    "readsown/tests/test_it.py": "def test_it():\n    pass\n",
                },
                importsown: {
                    "importsown/__init__.py": "from .tests import fixtures\nVALUE = fixtures.VALUE\n",
                    "importsown/tests/__init__.py": "",
                    "importsown/tests/fixtures.py": "VALUE = 1\n",
                },
                plain: {
                    "plain/__init__.py": "import pathlib\nDATA = (pathlib.Path(__file__).parent / 'data' / 'table.csv').read_text()\n",
                    "plain/__init__.pyi": "DATA: str\n",
                    "plain/py.typed": "",
                    "plain/data/table.csv": "a,b\n1,2\n",
                    "plain/include/plain.h": "int plain(void);\n",
                    "plain/_speedups.c": "int plain(void) { return 1; }\n",
                    "plain/tests/test_plain.py": "import plain\n",
                    "plain/docs/index.rst": "Plain\n=====\n",
                },
                needsmissing: {
                    "needsmissing/__init__.py": "import some_module_nobody_installed\n",
                    "needsmissing/tests/test_x.py": "",
                },
            });
            const source = writeFiles(path.join(root, "app"), {
                "app.py": "import readsown, importsown, plain\ndef handler(e, c):\n    return readsown.EXPECTED\n",
                "tests/test_app.py": "def test_app():\n    pass\n",
                "app.pyi": "def handler(e, c): ...\n",
            });
            const { result, proof } = await buildSlimProven({ source, sitePackages: site, runtime: "python3.13", architecture: "x86_64", slim: true, cacheDir: SHARED_CACHE }, "always");
            const names = pyZip(result.path).entries.map((e) => e.name);
            assert.ok(proof.ran);
            assert.deepEqual(
                proof.keptWhole.map((k) => [k.package, k.module]),
                [["readsown", "readsown"]],
            );
            assert.match(proof.keptWhole[0].error, /FileNotFoundError: .*expected\.json/);
            assert.deepEqual(
                proof.failingAnyway.map((f) => f.module),
                ["needsmissing"],
            );
            assert.deepEqual(result.slim!.keptWhole, ["readsown"]);
            assert.deepEqual(result.slim!.keptFolders, ["importsown/tests"]);
            for (const kept of ["tests/test_app.py", "app.pyi", "readsown/tests/expected.json", "readsown/tests/test_it.py", "importsown/tests/fixtures.py", "plain/data/table.csv", "plain/__init__.py", "plain-1.0.dist-info/METADATA", "app.py"])
                assert.ok(names.includes(kept), `${kept} kept`);
            for (const gone of ["plain/__init__.pyi", "plain/py.typed", "plain/include/plain.h", "plain/_speedups.c", "plain/tests/test_plain.py", "plain/docs/index.rst", "needsmissing/tests/test_x.py"])
                assert.ok(!names.includes(gone), `${gone} removed`);
            // RECORD tells what the archive holds.
            const record = pyRead(result.path, "plain-1.0.dist-info/RECORD").toString("utf8");
            assert.ok(record.includes("plain/data/table.csv"));
            assert.ok(!record.includes("plain/__init__.pyi"));
            const plain = result.slim!.packages.find((p) => p.name === "plain")!;
            assert.deepEqual(Object.keys(plain.byReason).sort(), ["build leftovers", "docs and examples", "headers", "tests", "type stubs"]);
            // inspect: what --slim's rules still match is what the build kept on purpose; the function's own code never counts.
            const inspected = cli(["inspect", result.path, "--json"]);
            assert.equal(inspected.code, 0, inspected.stderr);
            assert.deepEqual(
                JSON.parse(inspected.stdout)
                    .slimmable.packages.map((p: { name: string }) => p.name)
                    .sort(),
                ["importsown", "readsown"],
            );
        });
    });

    describe("proof of the new rules", () => {
        it("keeps whole a package whose developer folder it imports by a computed name, once the proof finds it", async () => {
            // The textual check cannot see `import_module` of a built name: slimming removes `_gen` with the tests it imports,
            // the import breaks on the target, and the package is put back whole; the plain one stays slimmed.
            const site = sitePackages(tmpDir("lp-slim-devfolder-"), {
                dynload: {
                    "dynload/__init__.py": "import importlib\nGEN = importlib.import_module('.'.join([__name__, '_' + 'gen']))\n",
                    "dynload/_gen/__init__.py": "from dynload.tests.fixtures import VALUE\n",
                    "dynload/tests/__init__.py": "",
                    "dynload/tests/fixtures.py": "VALUE = 3\n",
                },
                plaindev: {
                    "plaindev/__init__.py": "VALUE = 1\n",
                    "plaindev/_precompute/__init__.py": "",
                    "plaindev/_precompute/make_tables.py": "from plaindev.tests.test_tables import reference\n",
                    "plaindev/tests/__init__.py": "",
                    "plaindev/tests/test_tables.py": "def reference():\n    return 1\n",
                },
            });
            const source = writeFiles(tmpDir("lp-slim-devfolder-app-"), { "app.py": "import dynload, plaindev\ndef handler(e, c):\n    return dynload.GEN.VALUE\n" });
            const { result, proof } = await buildSlimProven({ source, sitePackages: site, runtime: "python3.13", slim: true, cacheDir: SHARED_CACHE }, "always");
            assert.deepEqual(
                proof.keptWhole.map((k) => k.package),
                ["dynload"],
            );
            assert.match(proof.keptWhole[0].error, /No module named 'dynload\._gen'|No module named 'dynload\.tests'/);
            const names = pyZip(result.path).entries.map((e) => e.name);
            for (const kept of ["dynload/_gen/__init__.py", "dynload/tests/fixtures.py"]) assert.ok(names.includes(kept), kept);
            for (const gone of ["plaindev/_precompute/make_tables.py", "plaindev/tests/test_tables.py"]) assert.ok(!names.includes(gone), gone);
        });
    });

    describe("proof across packages", () => {
        it("keeps whole the other package a broken import names (its tests module), with the importer", async () => {
            const site = sitePackages(tmpDir("lp-slim-cross-"), {
                helperpkg: { "helperpkg/__init__.py": "", "helperpkg/tests/__init__.py": "", "helperpkg/tests/fixtures.py": "VALUE = 7\n" },
                usesother: { "usesother/__init__.py": "from helperpkg.tests.fixtures import VALUE\n" },
            });
            const source = writeFiles(tmpDir("lp-slim-cross-app-"), { "app.py": "import usesother\ndef handler(e, c):\n    return usesother.VALUE\n" });
            const { result, proof } = await buildSlimProven({ source, sitePackages: site, runtime: "python3.13", slim: true, cacheDir: SHARED_CACHE }, "always");
            assert.deepEqual(proof.keptWhole.map((k) => k.package).sort(), ["helperpkg"]);
            assert.match(proof.keptWhole[0].error, /No module named 'helperpkg\.tests'/);
            assert.ok(pyZip(result.path).entries.some((e) => e.name === "helperpkg/tests/fixtures.py"));
        });

        it("builds without slimming, and says so, when keeping the named packages whole does not mend an import", async () => {
            // A path relative to the working directory names no package: nothing to keep whole but the importer itself.
            const site = sitePackages(tmpDir("lp-slim-giveup-"), {
                datapkg: { "datapkg/__init__.py": "", "datapkg/tests/table.txt": "1\n" },
                readsrelative: { "readsrelative/__init__.py": "TABLE = open('datapkg/tests/table.txt').read()\n" },
            });
            const source = writeFiles(tmpDir("lp-slim-giveup-app-"), { "app.py": "import readsrelative\ndef handler(e, c):\n    return 1\n" });
            const { result, proof } = await buildSlimProven({ source, sitePackages: site, runtime: "python3.13", slim: true, cacheDir: SHARED_CACHE }, "always");
            assert.match(proof.gaveUp ?? "", /readsrelative: FileNotFoundError: .*datapkg\/tests\/table\.txt.*built without slimming/);
            assert.equal(result.slim, undefined);
            assert.ok(pyZip(result.path).entries.some((e) => e.name === "datapkg/tests/table.txt"));
        });
    });

    describe("components", () => {
        const mock = useMockStack();
        /** A package that reads its tests folder at import, and one whose tests can go. */
        const hostileSite = () =>
            sitePackages(tmpDir("lp-slim-comp-site-"), {
                readsown: { "readsown/__init__.py": "import os\nDATA = open(os.path.join(os.path.dirname(__file__), 'tests', 'data.txt')).read()\n", "readsown/tests/data.txt": "42\n" },
                plain: { "plain/__init__.py": "", "plain/tests/test_plain.py": "", "plain/__init__.pyi": "" },
            });

        it("PythonFunction slim: the archive is slimmed and proven at pulumi up, the package that broke put back whole", async () => {
            const fn = new PythonFunction("slim-fn", {
                source: writeFiles(tmpDir("lp-slim-comp-"), { "app.py": "import readsown\ndef handler(e, c):\n    return readsown.DATA\n" }),
                handler: "app.handler",
                runtime: "python3.13",
                sitePackages: hostileSite(),
                slim: true,
                slimSettings: { prove: "always" },
            });
            const archive = await outputValue(fn.archive);
            await mock().settle();
            const names = pyZip(archive.path).entries.map((e) => e.name);
            assert.ok(names.includes("readsown/tests/data.txt"), "kept whole after the proof");
            assert.ok(!names.includes("plain/tests/test_plain.py") && !names.includes("plain/__init__.pyi"), "slimmed");
        });

        it("PythonLayer slim: the layer is slimmed under python/, proven as a layer", async () => {
            const layer = new PythonLayer("slim-layer", { sitePackages: hostileSite(), runtimes: ["python3.13"], slim: true, slimSettings: { prove: "always", keepTyped: true } });
            await outputValue(layer.arn);
            await mock().settle();
            const code = mock().byName("aws:lambda/layerVersion:LayerVersion", "slim-layer").wire.code as Record<string, string>;
            const names = pyZip(code.path).entries.map((e) => e.name);
            assert.ok(names.includes("python/readsown/tests/data.txt"));
            assert.ok(names.includes("python/plain/__init__.pyi"), "keepTyped keeps stubs");
            assert.ok(!names.includes("python/plain/tests/test_plain.py"));
        });
    });

    describe("lambda-python build --slim", () => {
        it("reports what slimming removed per package and the proof, in text and JSON", () => {
            const source = writeFiles(tmpDir("lp-slim-cli-"), { "app.py": "import six\ndef handler(e, c):\n    return 1\n", "requirements.txt": "six==1.17.0\nPyYAML==6.0.2\n" });
            const r = cli(["build", source, "--slim", "--runtime", "python3.13", "--out", path.join(source, "..", "slim.zip"), "--cache-dir", SHARED_CACHE, "--json", "--quiet"]);
            assert.equal(r.code, 0, r.stderr);
            const report = JSON.parse(r.stdout);
            assert.ok(
                report.slim.packages.some((p: { name: string }) => p.name === "PyYAML"),
                JSON.stringify(report.slim.packages),
            );
            assert.ok(report.slimProof.ran, JSON.stringify(report.slimProof));
            assert.deepEqual(report.slimProof.imported, ["_yaml", "six", "yaml", "yaml._yaml"]);
            const text = cli(["build", source, "--slim", "--runtime", "python3.13", "--out", path.join(source, "..", "slim.zip"), "--cache-dir", SHARED_CACHE, "--quiet"]);
            assert.equal(text.code, 0, text.stderr);
            assert.match(text.stdout, /slim +[\d.]+ \w?B .*less: \d+ files removed/);
            assert.match(text.stdout, /proof +4 modules \(every package and extension module\) imported on the target/);
        });

        it("refuses the slim options without --slim, in one paragraph", () => {
            const r = cli(["build", tmpDir("lp-slim-usage-"), "--slim-keep", "scipy"]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /--slim-keep, --keep-typed and --no-prove go with --slim/);
            const bad = cli(["build", tmpDir("lp-slim-usage-"), "--slim", "--slim-keep", "not a name!"]);
            assert.equal(bad.code, 2);
            assert.match(bad.stderr, /--slim-keep "not a name!" is not a distribution name/);
        });
    });
});
