// The archive builder end to end: real pip (and uv) against PyPI, real zips
// checked with Python's zipfile, and handlers invoked the way Lambda runs
// them (the runner: official emulator, Debian CPython for the target runtime
// and architecture, arm64 under qemu).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { BuildResult } from "../builder";
import { defaultToolsDir } from "../shared/cache-dirs";
import { RACY_MS } from "../builder/content-hash";
import { invokeOnce } from "../runner";
import { cli, elfMachine, pyRead, pyZip, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";

const COWSAY_HANDLER = `import cowsay


def lambda_handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": cowsay.get_output_string("pig", "Hello world, I am a pig")}
`;

function cowsayApp(dir = tmpDir("cowsay-")): string {
    return writeFiles(dir, { "lambda_function.py": COWSAY_HANDLER, "requirements.txt": "cowsay==6.1\n" });
}

/** What `build --json` prints: the build result with its facts reduced to counts. */
type BuildReport = Omit<BuildResult, "facts"> & { wheels: number; natives: number };

function buildJson(args: string[], env?: NodeJS.ProcessEnv): BuildReport {
    const r = cli(["build", ...args, "--json", "--quiet"], { env: env ?? process.env });
    assert.equal(r.code, 0, `build failed:\n${r.stderr}\n${r.stdout}`);
    return JSON.parse(r.stdout);
}

const sha = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

describe("lambda-python build", () => {
    describe("a pure-Python function (cowsay)", () => {
        let app: string;
        let out: string;
        let report: BuildReport;
        before(() => {
            app = cowsayApp();
            out = path.join(tmpDir(), "cowsay.zip");
            report = buildJson([app, "--runtime", "python3.12", "--handler", "lambda_function.lambda_handler", "--installer", "pip", "--out", out, "--cache-dir", SHARED_CACHE]);
        });

        it("puts the handler and cowsay at the zip root", () => {
            const names = pyZip(out).entries.map((e) => e.name);
            assert.ok(names.includes("lambda_function.py"));
            assert.ok(names.includes("cowsay/__init__.py"));
            assert.ok(
                names.some((n) => /^cowsay-6\.1\.dist-info\/METADATA$/.test(n)),
                "dist-info metadata kept for importlib.metadata",
            );
            assert.deepEqual(report.findings, []);
            assert.equal(report.dependencies.installer?.split(" ")[0], "pip");
        });

        it("counts entries in its progress as its summary does", () => {
            const zip = path.join(tmpDir(), "counted.zip");
            const r = cli(["build", app, "--runtime", "python3.12", "--installer", "pip", "--out", zip, "--cache-dir", tmpDir("lp-cache-fresh-")]);
            assert.equal(r.code, 0, r.stderr);
            const entries = pyZip(zip).entries.length;
            assert.match(r.stdout, new RegExp(`^  entries        ${entries.toLocaleString("en-US")}$`, "m"));
            assert.match(r.stderr, new RegExp(`^lambda-python: writing ${entries.toLocaleString("en-US")} entries$`, "m"));
            assert.match(r.stderr, new RegExp(`^lambda-python: wrote ${entries.toLocaleString("en-US")}/${entries.toLocaleString("en-US")} entries$`, "m"), r.stderr);
        });

        it("writes no bytecode, fixed timestamps and Lambda's modes", () => {
            const { entries, bad } = pyZip(out);
            assert.equal(bad, null, "every CRC checks out");
            assert.ok(!entries.some((e) => /__pycache__|\.pyc$/.test(e.name)));
            for (const e of entries) {
                assert.deepEqual(e.date_time, [1980, 1, 1, 0, 0, 0], e.name);
                if (e.name.endsWith("/")) assert.equal(e.mode, 0o040755, e.name);
                else assert.ok(e.mode === 0o100644 || e.mode === 0o100755, `${e.name} has mode ${e.mode.toString(8)}`);
            }
            assert.equal(entries.find((e) => e.name === "lambda_function.py")!.mode, 0o100644);
            assert.deepEqual(
                entries.map((e) => e.name),
                [...entries.map((e) => e.name)].sort(),
                "entries are sorted",
            );
        });

        it("rewrites console scripts for Lambda's interpreter and keeps RECORD true", () => {
            const script = pyRead(out, "bin/cowsay").toString();
            assert.match(script, /^#!\/var\/lang\/bin\/python3\n/);
            const record = pyRead(out, "cowsay-6.1.dist-info/RECORD").toString();
            const line = record.split("\n").find((l) => l.endsWith("bin/cowsay") || l.includes("bin/cowsay,"))!;
            const [, hash, size] = line.split(",");
            assert.equal(hash, `sha256=${crypto.createHash("sha256").update(script).digest("base64url")}`);
            assert.equal(Number(size), Buffer.byteLength(script));
        });

        it("runs the way Lambda runs it: the handler returns cowsay's pig (emulator, Debian CPython, /var/task read-only)", async () => {
            // python3.12 has no Debian CPython: a pure-Python archive runs on python3.13, with a warning.
            const r = await invokeOnce({ code: out, handler: "lambda_function.lambda_handler", runtime: "python3.12", architecture: "x86_64" }, {});
            assert.equal(r.ok, true, r.payload + r.logs);
            assert.match(JSON.parse(r.payload).body, /Hello world, I am a pig/);
        });

        it("is byte-identical when built from two folders, at two times, with cold caches", () => {
            const a = cowsayApp();
            const b = cowsayApp();
            // Different modes and timestamps on the build machine must not matter.
            fs.chmodSync(path.join(b, "lambda_function.py"), 0o600);
            fs.utimesSync(path.join(a, "lambda_function.py"), new Date("2001-02-03T04:05:06Z"), new Date("2001-02-03T04:05:06Z"));
            fs.utimesSync(path.join(b, "lambda_function.py"), new Date("2030-01-01T00:00:00Z"), new Date("2030-01-01T00:00:00Z"));
            const outA = path.join(tmpDir(), "a.zip");
            const outB = path.join(tmpDir(), "b.zip");
            buildJson([a, "--runtime", "python3.12", "--installer", "pip", "--out", outA, "--cache-dir", tmpDir("cache-a-")]);
            buildJson([b, "--runtime", "python3.12", "--installer", "pip", "--out", outB, "--cache-dir", tmpDir("cache-b-")]);
            assert.equal(sha(outA), sha(outB));
            assert.equal(sha(outA), sha(out));
        });

        it("does no install and no compression when nothing changed (pip is observed, not assumed)", () => {
            // A python3 that logs every invocation, then runs the real one.
            const bin = tmpDir("logging-python-");
            const log = path.join(bin, "calls.log");
            const real = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();
            fs.writeFileSync(path.join(bin, "python3"), `#!/bin/sh\necho "$@" >> ${log}\nexec ${real} "$@"\n`, { mode: 0o755 });
            const cache = tmpDir("cache-observed-");
            const app2 = cowsayApp();
            const args = [app2, "--runtime", "python3.12", "--installer", "pip", "--python", path.join(bin, "python3"), "--cache-dir", cache, "--out", path.join(tmpDir(), "o.zip")];
            const first = buildJson(args);
            assert.equal(first.cache.install, "miss");
            assert.match(fs.readFileSync(log, "utf8"), /main\(\)\) \{.*\} install --target/, "pip install ran (through the target-markers launcher)");
            fs.writeFileSync(log, "");
            const second = buildJson(args);
            assert.equal(fs.readFileSync(log, "utf8").includes("pip install"), false, "pip install ran again");
            assert.equal(second.cache.archive, "hit");
            assert.equal(second.cache.install, "hit");
            assert.equal(second.cache.compressedEntries, 0);
            assert.equal(second.sha256, first.sha256);
        });

        it("recompresses only the handler after the handler changes", () => {
            const cache = tmpDir("cache-change-");
            const app3 = cowsayApp();
            const o = path.join(tmpDir(), "o.zip");
            const args = [app3, "--runtime", "python3.12", "--installer", "pip", "--cache-dir", cache, "--out", o];
            const first = buildJson(args);
            fs.appendFileSync(path.join(app3, "lambda_function.py"), "\n# changed\n");
            const second = buildJson(args);
            assert.equal(second.cache.archive, "miss");
            assert.equal(second.cache.install, "hit");
            assert.equal(second.cache.compressedEntries, 1);
            const files = pyZip(o).entries.filter((e) => !e.name.endsWith("/") && e.file_size > 0).length;
            assert.equal(second.cache.reusedEntries, files - 1);
            assert.notEqual(second.sha256, first.sha256);
            assert.match(pyRead(o, "lambda_function.py").toString(), /# changed/);
            assert.equal(pyZip(o).bad, null);
        });
    });

    describe("native dependencies for the target, not this machine", () => {
        const machines = (zip: string) => {
            const sos = pyZip(zip).entries.filter((e) => /\.so(\.|$)/.test(e.name));
            assert.ok(sos.length > 5, "numpy ships shared objects");
            return new Set(sos.map((e) => elfMachine(pyRead(zip, e.name, 64))));
        };

        it("installs numpy for arm64: every .so is an AArch64 ELF", () => {
            const app = writeFiles(tmpDir(), { "app.py": "import numpy\ndef handler(e, c):\n    return int(numpy.arange(4).sum())\n", "requirements.txt": "numpy\n" });
            const out = path.join(tmpDir(), "arm.zip");
            const report = buildJson([app, "--runtime", "python3.12", "--arch", "arm64", "--handler", "app.handler", "--installer", "pip", "--out", out, "--cache-dir", SHARED_CACHE]);
            assert.deepEqual([...machines(out)], [183]);
            assert.deepEqual(report.nativeArchitectures, ["arm64"]);
        });

        it("installs numpy for x86_64: every .so is an x86-64 ELF", () => {
            const app = writeFiles(tmpDir(), { "app.py": "import numpy\n", "requirements.txt": "numpy\n" });
            const out = path.join(tmpDir(), "x86.zip");
            const report = buildJson([app, "--runtime", "python3.12", "--arch", "x86_64", "--installer", "pip", "--out", out, "--cache-dir", SHARED_CACHE]);
            assert.deepEqual([...machines(out)], [62]);
            assert.deepEqual(report.nativeArchitectures, ["x86_64"]);
        });

        it("installs pydantic-core for arm64 on python3.13", () => {
            const app = writeFiles(tmpDir(), { "app.py": "import pydantic_core\n", "requirements.txt": "pydantic-core\n" });
            const out = path.join(tmpDir(), "pc.zip");
            buildJson([app, "--runtime", "python3.13", "--arch", "arm64", "--installer", "pip", "--out", out, "--cache-dir", SHARED_CACHE]);
            const ext = pyZip(out).entries.find((e) => /^pydantic_core\/_pydantic_core\..*\.so$/.test(e.name))!;
            assert.match(ext.name, /cpython-313-aarch64-linux-gnu\.so$/);
            assert.equal(elfMachine(pyRead(out, ext.name, 64)), 183);
            const wheel = pyZip(out).entries.find((e) => /^pydantic_core-.*\.dist-info\/WHEEL$/.test(e.name))!;
            assert.match(pyRead(out, wheel.name).toString(), /Tag: cp313-cp313-manylinux_2_\d+_aarch64/);
        });

        it("builds a python3.11 x86_64 function whose handler imports numpy from /var/task on python3.11 (invoked)", async () => {
            const app = writeFiles(tmpDir(), { "app.py": "import numpy\n\ndef handler(event, context):\n    return {'sum': int(numpy.arange(10).sum()), 'from': numpy.__file__}\n", "requirements.txt": "numpy\n" });
            const out = path.join(tmpDir(), "np311.zip");
            buildJson([app, "--runtime", "python3.11", "--arch", "x86_64", "--handler", "app.handler", "--installer", "pip", "--out", out, "--cache-dir", SHARED_CACHE]);
            const r = await invokeOnce({ code: out, handler: "app.handler", runtime: "python3.11", architecture: "x86_64", timeoutSeconds: 30 }, {});
            assert.equal(r.ok, true, r.payload + r.logs);
            assert.deepEqual(JSON.parse(r.payload), { sum: 45, from: "/var/task/numpy/__init__.py" });
        });

        it("builds a python3.13 arm64 function whose handler validates with pydantic-core under emulation (invoked)", async () => {
            const app = writeFiles(tmpDir(), {
                "app.py": "import platform\nfrom pydantic_core import SchemaValidator\n\nv = SchemaValidator({'type': 'int'})\n\ndef handler(event, context):\n    return {'value': v.validate_python('42'), 'machine': platform.machine()}\n",
                "requirements.txt": "pydantic-core\n",
            });
            const out = path.join(tmpDir(), "pc-arm.zip");
            buildJson([app, "--runtime", "python3.13", "--arch", "arm64", "--handler", "app.handler", "--installer", "pip", "--out", out, "--cache-dir", SHARED_CACHE]);
            const r = await invokeOnce({ code: out, handler: "app.handler", runtime: "python3.13", architecture: "arm64", timeoutSeconds: 30 }, {});
            assert.equal(r.ok, true, r.payload + r.logs);
            assert.deepEqual(JSON.parse(r.payload), { value: 42, machine: "aarch64" });
        });

        it("puts flask under python/ in a layer", () => {
            const out = path.join(tmpDir(), "flask-layer.zip");
            const req = writeFiles(tmpDir(), { "requirements.txt": "flask\n" });
            const report = buildJson(["--kind", "layer", "--requirements", path.join(req, "requirements.txt"), "--runtime", "python3.12", "--installer", "pip", "--out", out, "--cache-dir", SHARED_CACHE]);
            const names = pyZip(out).entries.map((e) => e.name);
            assert.ok(names.includes("python/flask/__init__.py"));
            assert.ok(
                names.every((n) => n.startsWith("python/")),
                "everything under python/",
            );
            assert.equal(report.kind, "layer");
            assert.deepEqual(report.findings, []);
        });

        it("builds a pure-Python source distribution (docopt) into a py3-none-any wheel", () => {
            const app = writeFiles(tmpDir(), { "app.py": "import docopt\n", "requirements.txt": "docopt==0.6.2\n" });
            const out = path.join(tmpDir(), "docopt.zip");
            buildJson([app, "--runtime", "python3.12", "--arch", "arm64", "--installer", "pip", "--out", out, "--cache-dir", SHARED_CACHE]);
            assert.ok(pyZip(out).entries.some((e) => e.name === "docopt.py"));
            assert.match(pyRead(out, "docopt-0.6.2.dist-info/WHEEL").toString(), /Tag: py3-none-any/);
        });

        it("installs with uv when asked, with the same layout and no uv lock file", () => {
            const app = cowsayApp();
            const out = path.join(tmpDir(), "uv.zip");
            const report = buildJson([app, "--runtime", "python3.12", "--installer", "uv", "--out", out, "--cache-dir", SHARED_CACHE]);
            assert.match(report.dependencies.installer ?? "", /^uv /);
            const names = pyZip(out).entries.map((e) => e.name);
            assert.ok(names.includes("cowsay/__init__.py"));
            assert.ok(!names.includes(".lock"));
            assert.equal(pyRead(out, "cowsay-6.1.dist-info/INSTALLER").toString().trim(), "uv");
        });

        it("installs from a pyproject.toml with uv.lock", () => {
            const app = writeFiles(tmpDir(), {
                "app.py": "import cowsay\n",
                "pyproject.toml": '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = ["cowsay==6.1"]\n',
            });
            const r = spawnSync(findUvForTest(), ["lock", "--project", app], { encoding: "utf8", env: { ...process.env, UV_PYTHON_DOWNLOADS: "never" } });
            assert.equal(r.status, 0, r.stderr);
            const out = path.join(tmpDir(), "lock.zip");
            const report = buildJson([app, "--runtime", "python3.12", "--out", out, "--cache-dir", SHARED_CACHE]);
            assert.equal(report.dependencies.from, "uv-lock");
            assert.ok(pyZip(out).entries.some((e) => e.name === "cowsay/__init__.py"));
        });

        it("takes an existing site-packages folder, leaving out bytecode and local direct_url.json", () => {
            const site = tmpDir("site-");
            const pkg = writeFiles(tmpDir("localpkg-"), {
                "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "localpkg"\nversion = "1.0"\n',
                "localpkg/__init__.py": "VALUE = 42\n",
            });
            // A normal pip install: compiles bytecode and records the local path.
            const r = spawnSync("python3", ["-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-warn-conflicts", "--target", site, "cowsay==6.1", pkg], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            const direct = fs.readdirSync(site).find((n) => n.startsWith("localpkg-") && n.endsWith(".dist-info"))!;
            assert.ok(fs.existsSync(path.join(site, direct, "direct_url.json")), "pip recorded the local path");
            const app = writeFiles(tmpDir(), { "app.py": "import localpkg\n" });
            const out = path.join(tmpDir(), "site.zip");
            buildJson([app, "--site-packages", site, "--runtime", "python3.12", "--out", out, "--cache-dir", SHARED_CACHE]);
            const names = pyZip(out).entries.map((e) => e.name);
            assert.ok(names.includes("localpkg/__init__.py"));
            assert.ok(!names.some((n) => /__pycache__|\.pyc$/.test(n)));
            assert.ok(!names.includes(`${direct}/direct_url.json`));
            const record = pyRead(out, `${direct}/RECORD`).toString();
            assert.ok(!/direct_url\.json|\.pyc/.test(record), "RECORD no longer lists removed files");
        });
    });
});

function findUvForTest(): string {
    const candidates = [process.env.LAMBDA_PYTHON_UV, path.join(defaultToolsDir(), "venv", "bin", "uv")];
    for (const c of candidates) if (c && fs.existsSync(c)) return c;
    const which = spawnSync("sh", ["-c", "command -v uv"], { encoding: "utf8" });
    if (which.status === 0) return which.stdout.trim();
    throw new Error("uv not found; run lambda-python setup");
}

describe("a rebuild with nothing changed", () => {
    // Within a few seconds of a change (mtime or ctime), the builder, like git's index, does not trust a
    // file's stat; the test waits that window out after each edit rather than reaching into the builder.
    const age = (dir: string) => {
        const then = new Date(Date.now() - 3600_000);
        for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) fs.utimesSync(path.join(dir, f), then, then);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RACY_MS + 100);
    };
    const build = (app: string, cache: string, extra: string[] = []) => {
        // --out into the cache folder: without it the archive lands in the current folder (the repository).
        const out = path.join(cache, "out.zip");
        const r = cli(["build", app, "--runtime", "python3.12", "--cache-dir", cache, "--out", out, "--json", ...extra], { env: { ...process.env, LAMBDA_PYTHON_TIMING: "1" } });
        assert.equal(r.code, 0, r.stderr);
        return { sha256: (JSON.parse(r.stdout) as BuildResult).sha256, shortcut: /unchanged since the last build/.test(r.stderr) };
    };

    it("reuses the last archive without planning again, and never once a source file, the options or the install changed", () => {
        const app = writeFiles(tmpDir("shortcut-"), { "app.py": "def handler(event, context):\n    return 'one'\n", "requirements.txt": "six==1.17.0\n" });
        const cache = tmpDir("shortcut-cache-");
        age(app);
        const first = build(app, cache);
        const again = build(app, cache);
        assert.equal(again.sha256, first.sha256);
        assert.ok(again.shortcut, "the second build took the shortcut");

        // Same size, new content, an old date again: the stat differs (mtime, ctime), so the archive is planned anew.
        fs.writeFileSync(path.join(app, "app.py"), "def handler(event, context):\n    return 'two'\n");
        age(app);
        const edited = build(app, cache);
        assert.ok(!edited.shortcut);
        assert.notEqual(edited.sha256, first.sha256, "the edited handler is in the archive");
        assert.ok(build(app, cache).shortcut, "and the next build takes the shortcut again");

        // An option that changes what is packed.
        const excluded = build(app, cache, ["--exclude", "requirements.txt"]);
        assert.ok(!excluded.shortcut);
        assert.notEqual(excluded.sha256, edited.sha256);

        // Another install (a different requirement): the install folder differs.
        fs.writeFileSync(path.join(app, "requirements.txt"), "six==1.16.0\n");
        age(app);
        const reinstalled = build(app, cache);
        assert.ok(!reinstalled.shortcut);
        assert.notEqual(reinstalled.sha256, edited.sha256);
    });

    it("plans again while a source file is younger than the racy window", () => {
        const app = writeFiles(tmpDir("shortcut-racy-"), { "app.py": "def handler(event, context):\n    return 1\n" });
        const cache = tmpDir("shortcut-racy-cache-");
        build(app, cache);
        assert.ok(!build(app, cache).shortcut, "a file written this second is hashed, not trusted by its stat");
    });
});
