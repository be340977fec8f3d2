// Installing dependencies for the Lambda target, not this machine: both
// installers give the same distributions and versions (markers judged for the
// target's Python, every manylinux wheel its glibc accepts), native sdists are
// refused before anything is compiled, and only the indexes the user named are
// ever asked (a local PEP 503 index served on 127.0.0.1).
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { rescueFailedInstall } from "../builder/install/diagnose";
import { packageIndexes } from "../builder/install/indexes";
import { hostPython } from "../builder/install/host-tools";
import { ensureUv, PIP_VERSION, resolverPython, UV_VERSION } from "../builder/tools";
import { lambdaTarget } from "../policies/target";
import { cli, pyRead, pyZip, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";

const HANDLER = "def handler(event, context):\n    return 'ok'\n";

function build(args: string[], env: NodeJS.ProcessEnv = process.env) {
    const out = path.join(tmpDir("out-"), "fn.zip");
    const r = cli(["build", ...args, "--out", out, "--json", "--quiet"], { env });
    return { ...r, out };
}

function builtZip(args: string[], env?: NodeJS.ProcessEnv): string {
    const r = build(args, env);
    assert.equal(r.code, 0, `build failed:\n${r.stderr}\n${r.stdout}`);
    return r.out;
}

/** "name==version" of every distribution in an archive, from its .dist-info folders. */
function distributions(zip: string): string[] {
    return pyZip(zip)
        .entries.map((e) => /^([^/]+)-([^-/]+)\.dist-info\/METADATA$/.exec(e.name))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) => `${m[1].toLowerCase()}==${m[2]}`)
        .sort();
}

/** The Tag lines of one distribution's WHEEL file. */
function wheelTags(zip: string, dist: string): string[] {
    const name = pyZip(zip).entries.find((e) => new RegExp(`^${dist}-[^/]+\\.dist-info/WHEEL$`, "i").test(e.name))!.name;
    return pyRead(zip, name)
        .toString("utf8")
        .split("\n")
        .filter((l) => l.startsWith("Tag:"))
        .map((l) => l.slice(4).trim());
}

describe("installing for the target", () => {
    // Every distribution pinned but exceptiongroup, whose marker (from anyio) is what is judged: a release between
    // the pip and the uv install (idna 3.21 came out during a CI run) would otherwise make the two differ.
    const pins = ["fastapi==0.115.12", "anyio==4.9.0", "starlette==0.46.2", "pydantic==2.14.4", "pydantic-core==2.50.5", "annotated-types==0.8.0", "typing-extensions==4.16.0", "typing-inspection==0.4.5", "sniffio==1.3.1", "idna==3.21"];
    const app = writeFiles(tmpDir("fastapi-"), { "app.py": HANDLER, "requirements.txt": `${pins.join("\n")}\n` });

    for (const runtime of ["python3.10", "python3.12"]) {
        it(`gives the same distributions with pip and uv for FastAPI on ${runtime}, markers judged for ${runtime}`, () => {
            const common = [app, "--runtime", runtime, "--cache-dir", SHARED_CACHE];
            const pip = distributions(builtZip([...common, "--installer", "pip"]));
            const uv = distributions(builtZip([...common, "--installer", "uv"]));
            assert.deepEqual(pip, uv);
            assert.ok(pip.includes("fastapi==0.115.12"), pip.join(" "));
            // anyio 4.9 needs exceptiongroup only below Python 3.11; this machine runs 3.11.
            const hasExceptionGroup = pip.some((d) => d.startsWith("exceptiongroup=="));
            assert.equal(hasExceptionGroup, runtime === "python3.10", pip.join(" "));
        });
    }

    it("takes pandas 3's manylinux_2_24 wheel for python3.11 (glibc 2.26) with both installers, never a 2_27+ numpy", () => {
        const pandasApp = writeFiles(tmpDir("pandas-"), { "app.py": HANDLER, "requirements.txt": "pandas>=3\n" });
        const common = [pandasApp, "--runtime", "python3.11", "--arch", "x86_64", "--cache-dir", SHARED_CACHE];
        const pipZip = builtZip([...common, "--installer", "pip"]);
        const uvZip = builtZip([...common, "--installer", "uv"]);
        const pip = distributions(pipZip);
        assert.deepEqual(pip, distributions(uvZip));
        assert.ok(
            pip.some((d) => /^pandas==3\./.test(d)),
            pip.join(" "),
        );
        for (const zip of [pipZip, uvZip]) {
            assert.ok(
                wheelTags(zip, "pandas").some((t) => t.endsWith("manylinux_2_24_x86_64")),
                "pandas came from its wheel",
            );
            for (const tag of wheelTags(zip, "numpy")) {
                const glibc = /manylinux_2_(\d+)_/.exec(tag);
                if (glibc) assert.ok(Number(glibc[1]) <= 26, `numpy wheel ${tag} needs a newer glibc than Amazon Linux 2's`);
            }
        }
    });

    it("for Amazon Linux 2 takes uv's resolution when every version has a wheel on the target's ladder, and pip's when one does not", () => {
        const timed = { ...process.env, LAMBDA_PYTHON_TIMING: "1" };
        const steps = (r: { stderr: string }) => [...r.stderr.matchAll(/^timing: {3}(uv resolve|uv install|pip resolve)[^\n]*? [\d.]+ ms$/gm)].map((m) => m[1]);
        // numpy 2.2.6 and pandas 2.3.2 have wheels for glibc 2.26 or older: uv's answer (at 2_28), the files pip would pick, no pip resolution.
        const fresh = () => ["--runtime", "python3.11", "--arch", "x86_64", "--installer", "uv", "--cache-dir", tmpDir("al2-cache-")];
        const easy = build([writeFiles(tmpDir("al2-"), { "app.py": HANDLER, "requirements.txt": "numpy==2.2.6\npandas==2.3.2\n" }), ...fresh()], timed);
        assert.equal(easy.code, 0, easy.stderr);
        assert.deepEqual(steps(easy), ["uv resolve", "uv install"]);
        assert.deepEqual(
            distributions(easy.out).filter((d) => !d.startsWith("tzdata") && !d.startsWith("pytz") && !d.startsWith("python_dateutil")),
            ["numpy==2.2.6", "pandas==2.3.2"],
        );
        // REQUESTED stays only on what was asked for, as a plain install leaves it.
        const requested = pyZip(easy.out)
            .entries.map((e) => /^([^/]+)-[^-/]+\.dist-info\/REQUESTED$/.exec(e.name)?.[1])
            .filter(Boolean);
        assert.deepEqual(requested.sort(), ["numpy", "pandas"]);
        // Unpinned numpy: uv's newest (2.3+) has only manylinux_2_27+ wheels, so pip (with glibc 2.26's ladder) decides.
        const hard = build([writeFiles(tmpDir("al2-"), { "app.py": HANDLER, "requirements.txt": "numpy\n" }), ...fresh()], timed);
        assert.equal(hard.code, 0, hard.stderr);
        assert.deepEqual(steps(hard), ["uv resolve", "pip resolve", "uv install"]);
        assert.deepEqual(distributions(hard.out), ["numpy==2.2.6"]);
    });

    it("refuses a source-only package with C code (psycopg2) without compiling it, pointing at psycopg2-binary", () => {
        const pg = writeFiles(tmpDir("pg-"), { "app.py": HANDLER, "requirements.txt": "psycopg2==2.9.10\n" });
        for (const installer of ["pip", "uv"]) {
            const r = build([pg, "--runtime", "python3.12", "--installer", installer, "--cache-dir", SHARED_CACHE]);
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, /psycopg2 has no wheel for python3\.12 on x86_64 \(.*\), and its source distribution psycopg2-2\.9\.10\.tar\.gz contains native code \(.*\.c/);
            assert.match(r.stderr, /so it was not built/);
            assert.match(r.stderr, /Use psycopg2-binary .* or psycopg\[binary\]/);
            assert.doesNotMatch(r.stderr, /Building wheel|pg_config|subprocess-exited-with-error/, "no installer noise after the paragraph");
        }
    });
});

describe("uv and pip ship the same wheel files", () => {
    // lxml 6.2.1 publishes cp311 wheels for manylinux2014 (glibc 2.17) and manylinux_2_26: pip, given Amazon Linux 2's
    // ladder (2.26 down), prefers the 2_26 one; uv took the 2014 one. Only INSTALLER (and its RECORD line) may differ.
    it("installs lxml's manylinux_2_26 wheel for python3.11 with both, every other file byte for byte the same", () => {
        const app = writeFiles(tmpDir("lxml-"), { "app.py": "def handler(event, context):\n    return 1\n", "requirements.txt": "lxml==6.2.1\n" });
        const zips = ["pip", "uv"].map((installer) => {
            const out = path.join(tmpDir(), `${installer}.zip`);
            const r = cli(["build", app, "--installer", installer, "--runtime", "python3.11", "--arch", "x86_64", "--out", out, "--cache-dir", SHARED_CACHE, "--quiet"]);
            assert.equal(r.code, 0, r.stderr);
            return out;
        });
        const tags = zips.map((z) =>
            pyRead(z, "lxml-6.2.1.dist-info/WHEEL")
                .toString()
                .match(/^Tag: .*$/gm),
        );
        assert.deepEqual(tags[0], ["Tag: cp311-cp311-manylinux_2_26_x86_64", "Tag: cp311-cp311-manylinux_2_28_x86_64"]);
        assert.deepEqual(tags[1], tags[0]);
        // Python's zipfile, independent of our reader: names and bytes of every member but INSTALLER and RECORD.
        const compare = [
            "import re, sys, zipfile",
            "a, b = (zipfile.ZipFile(p) for p in sys.argv[1:3])",
            "keep = lambda z: sorted(n for n in z.namelist() if not re.search(r'\\.dist-info/(INSTALLER|RECORD)$', n))",
            "names = keep(a)",
            "print('names differ' if names != keep(b) else '\\n'.join(n for n in names if a.read(n) != b.read(n)) or 'same')",
        ].join("\n");
        const r = spawnSync("python3", ["-c", compare, ...zips], { encoding: "utf8" });
        assert.equal(r.stdout.trim(), "same", r.stderr);
        assert.ok(pyZip(zips[1]).entries.some((e) => /^lxml\/etree\.cpython-311-x86_64-linux-gnu\.so$/.test(e.name)));
    });
});

describe("the user's own package folder in requirements", () => {
    for (const runtime of ["python3.11", "python3.12"]) {
        it(`installs ./mypkg (a pyproject.toml folder) with pip and uv alike, though both install with --only-binary (${runtime})`, () => {
            const app = writeFiles(tmpDir("localpkg-"), {
                "app.py": `import mypkg\n${HANDLER}`,
                "requirements.txt": "./libs/mypkg\nsix==1.17.0\n",
                "libs/mypkg/pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "mypkg"\nversion = "0.1"\n',
                "libs/mypkg/mypkg/__init__.py": "VALUE = 1\n",
                // What an earlier `pip install .` of the folder left: setuptools would reuse it.
                "libs/mypkg/build/lib/mypkg/deleted_since.py": "GONE = True\n",
            });
            for (const installer of ["pip", "uv"]) {
                const zip = builtZip([app, "--runtime", runtime, "--installer", installer, "--cache-dir", SHARED_CACHE]);
                assert.deepEqual(distributions(zip), ["mypkg==0.1", "six==1.17.0"], installer);
                assert.equal(pyRead(zip, "mypkg/__init__.py").toString("utf8"), "VALUE = 1\n");
                assert.ok(!pyZip(zip).entries.some((e) => e.name === "mypkg/deleted_since.py"), `${installer}: a stale build/lib module was shipped`);
            }
            // Built from a snapshot: the user's folder gets no build outputs of ours.
            assert.deepEqual(fs.readdirSync(path.join(app, "libs", "mypkg")).sort(), ["build", "mypkg", "pyproject.toml"]);
            assert.deepEqual(fs.readdirSync(path.join(app, "libs", "mypkg", "build", "lib", "mypkg")), ["deleted_since.py"]);
        });
    }
});

describe("an editable local package (-e ./libs/pkg)", () => {
    it("is installed plainly with pip as with uv: an editable finder would point at this machine's folder", () => {
        const app = writeFiles(tmpDir("editable-"), {
            "app.py": `import edpkg\n${HANDLER}`,
            "requirements.txt": "-e ./libs/edpkg\n",
            "libs/edpkg/pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "edpkg"\nversion = "0.2"\n',
            "libs/edpkg/edpkg/__init__.py": "VALUE = 3\n",
        });
        for (const installer of ["pip", "uv"]) {
            const zip = builtZip([app, "--runtime", "python3.12", "--installer", installer, "--cache-dir", SHARED_CACHE]);
            assert.deepEqual(distributions(zip), ["edpkg==0.2"], installer);
            assert.equal(pyRead(zip, "edpkg/__init__.py").toString("utf8"), "VALUE = 3\n", installer);
            assert.ok(!pyZip(zip).entries.some((e) => e.name.includes("__editable__")), `${installer}: no editable finder`);
        }
    });
});

describe("a local package that takes its version from git", () => {
    it("is built in place, inside its repository, so setuptools-scm finds the tag (pip and uv)", () => {
        const app = writeFiles(tmpDir("scmpkg-"), {
            "app.py": `import scmpkg\n${HANDLER}`,
            "requirements.txt": "./libs/scmpkg\n",
            "libs/scmpkg/pyproject.toml": '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "scmpkg"\ndynamic = ["version"]\n[tool.setuptools_scm]\nroot = "../.."\n',
            "libs/scmpkg/scmpkg/__init__.py": "VALUE = 2\n",
        });
        const git = (...args: string[]) => {
            const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: app, encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
        };
        git("init", "-q");
        git("add", ".");
        git("commit", "-q", "-m", "first");
        git("tag", "v1.2.3");
        for (const installer of ["pip", "uv"]) {
            const zip = builtZip([app, "--runtime", "python3.12", "--installer", installer, "--cache-dir", SHARED_CACHE]);
            assert.deepEqual(distributions(zip), ["scmpkg==1.2.3"], installer);
        }
    });
});

describe("uv installed on first use", () => {
    it("installs the pinned uv once when builds start together, into a fresh tools folder", async function () {
        // uv on PATH (or LAMBDA_PYTHON_UV) is used as it is; there is nothing to install then.
        if (process.env.LAMBDA_PYTHON_UV || spawnSync("uv", ["--version"]).status === 0) this.skip();
        const dir = tmpDir("tools-");
        const [a, b, c] = await Promise.all([ensureUv(dir), ensureUv(dir), ensureUv(dir)]);
        assert.equal(a, b);
        assert.equal(b, c);
        assert.match(spawnSync(a, ["--version"], { encoding: "utf8" }).stdout, new RegExp(`^uv ${UV_VERSION.replace(/\./g, "\\.")}`));
        assert.deepEqual(fs.readdirSync(dir), ["venv"], "no temporary virtualenv left behind");
        // Beside it, the pinned pip that resolves for python3.8-3.11 (uv has no manylinux_2_26 platform).
        const resolver = await resolverPython(dir);
        assert.equal(resolver?.command, path.join(dir, "venv", "bin", "python"));
        assert.match(spawnSync(resolver!.command, ["-m", "pip", "--version"], { encoding: "utf8" }).stdout, new RegExp(`^pip ${PIP_VERSION.replace(/\./g, "\\.")} `));
    });
});

describe("reproducible with source distributions", () => {
    for (const installer of ["pip", "uv"]) {
        it(`gives byte-identical archives from two cold caches for an sdist-only pure package (docopt, ${installer})`, () => {
            const app = writeFiles(tmpDir("sdist-"), { "app.py": HANDLER, "requirements.txt": "docopt==0.6.2\n" });
            const args = [app, "--runtime", "python3.12", "--installer", installer];
            const first = builtZip([...args, "--cache-dir", tmpDir("cold-a-")]);
            const second = builtZip([...args, "--cache-dir", tmpDir("cold-b-")]);
            assert.ok(distributions(first).includes("docopt==0.6.2"));
            assert.equal(
                pyZip(first).entries.some((e) => /uv_cache\.json$/.test(e.name)),
                false,
                "no build-time state shipped",
            );
            assert.deepEqual(fs.readFileSync(first), fs.readFileSync(second));
        });
    }
});

describe("only the indexes the user named (dependency confusion)", () => {
    let server: ChildProcess;
    let index: string;

    before(async () => {
        const root = tmpDir("index-");
        fs.mkdirSync(path.join(root, "simple", "lp-private"), { recursive: true });
        makeWheel(path.join(root, "simple", "lp-private", "lp_private-1.0-py3-none-any.whl"));
        const port = await freePort();
        server = spawn("python3", ["-m", "http.server", "--bind", "127.0.0.1", String(port), "--directory", root], { stdio: "ignore" });
        index = `http://127.0.0.1:${port}/simple`;
        await waitForPort(port);
    });
    after(() => server?.kill());

    function privateApp(requirements: string): string {
        return writeFiles(tmpDir("private-"), { "app.py": `import lp_private\n${HANDLER}`, "requirements.txt": requirements });
    }

    it("installs a package the private index holds", () => {
        for (const installer of ["pip", "uv"]) {
            const zip = builtZip([privateApp(`--index-url ${index}\nlp-private\n`), "--installer", installer, "--cache-dir", tmpDir("cache-")]);
            assert.deepEqual(distributions(zip), ["lp_private==1.0"]);
        }
    });

    const cases: { name: string; requirements: (i: string) => string; args: (i: string) => string[]; env: (i: string) => NodeJS.ProcessEnv }[] = [
        { name: "--index-url in requirements.txt", requirements: (i) => `--index-url ${i}\nlp-private\nsix\n`, args: () => [], env: () => ({}) },
        { name: "UV_INDEX_URL", requirements: () => "lp-private\nsix\n", args: () => [], env: (i) => ({ UV_INDEX_URL: i }) },
        { name: "PIP_INDEX_URL", requirements: () => "lp-private\nsix\n", args: () => [], env: (i) => ({ PIP_INDEX_URL: i }) },
        { name: "--installer-arg", requirements: () => "lp-private\nsix\n", args: (i) => [`--installer-arg=--index-url=${i}`], env: () => ({}) },
        // The installers' own configuration files: with our explicit --index-url, pip and uv would otherwise take PyPI instead.
        { name: "pip.conf (PIP_CONFIG_FILE)", requirements: () => "lp-private\nsix\n", args: () => [], env: (i) => ({ PIP_CONFIG_FILE: configFile("pip.conf", `[global]\nindex-url = ${i}\n`) }) },
        { name: "uv.toml (UV_CONFIG_FILE)", requirements: () => "lp-private\nsix\n", args: () => [], env: (i) => ({ UV_CONFIG_FILE: configFile("uv.toml", `[pip]\nindex-url = "${i}"\n`) }) },
        {
            name: "uv.toml [[index]] default",
            requirements: () => "lp-private\nsix\n",
            args: () => [],
            env: (i) => ({ UV_CONFIG_FILE: configFile("uv.toml", `[[index]]\nname = "corp"\nurl = "${i}"\ndefault = true\n`) }),
        },
    ];
    for (const c of cases) {
        for (const installer of ["pip", "uv"]) {
            it(`fails, never falling back to PyPI, for a package the index named by ${c.name} lacks (${installer})`, () => {
                const r = build([privateApp(c.requirements(index)), "--installer", installer, "--cache-dir", tmpDir("cache-"), ...c.args(index)], {
                    ...process.env,
                    ...c.env(index),
                });
                assert.equal(r.code, 2, `expected a failure, got:\n${r.stdout}\n${r.stderr}`);
                assert.match(r.stderr, new RegExp(`six was not found on the package index ${index.replace(/[.]/g, "\\.")}\\. Check its name`));
                assert.doesNotMatch(r.stderr, /pypi\.org/);
            });
        }
    }

    it("installs from the private index a pip.conf names", () => {
        for (const installer of ["pip", "uv"]) {
            const env = { ...process.env, PIP_CONFIG_FILE: configFile("pip.conf", `[install]\nindex-url = ${index}\n`) };
            const zip = builtZip([privateApp("lp-private\n"), "--installer", installer, "--cache-dir", tmpDir("cache-")], env);
            assert.deepEqual(distributions(zip), ["lp_private==1.0"]);
        }
    });

    it("says so when the named index cannot be reached, with pip and with uv (both of uv's routes)", () => {
        for (const args of [
            ["--installer", "pip"],
            ["--installer", "uv", "--runtime", "python3.11"],
            ["--installer", "uv", "--runtime", "python3.13"],
        ]) {
            const r = build([privateApp("--index-url http://127.0.0.1:9/simple\nsix\n"), ...args, "--cache-dir", tmpDir("cache-")], { ...process.env, LAMBDA_PYTHON_TIMING: "1" });
            assert.equal(r.code, 2, r.stdout);
            assert.match(r.stderr, /six could not be looked up: the package index http:\/\/127\.0\.0\.1:9\/simple could not be read \(.*Connection refused/, args.join(" "));
            // uv's route for Amazon Linux 2 (python3.11) does not ask pip again once uv found the index unreachable.
            if (args.includes("python3.11")) assert.match(r.stderr, /uv resolve \(covering platform\)/);
            if (args.includes("uv")) assert.doesNotMatch(r.stderr, /pip resolve/);
        }
    });

    // An install that could not reach this index, which answers by the time of the diagnosis.
    describe("an install that could not reach an index that answers now", () => {
        // What uv and pip print when a connection is refused (their own words, from runs against a closed port).
        const outputs = {
            uv: (i: string) =>
                `error: Request failed after 3 retries in 11.2s\n  cause: Failed to fetch: ${i}/lp-private/\n  cause: error sending request for url (${i}/lp-private/)\n  cause: client error (Connect)\n  cause: tcp connect error\n  cause: Connection refused (os error 111)\n`,
            pip: (_index: string) =>
                `WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused')': /simple/lp-private/\nERROR: Could not find a version that satisfies the requirement lp-private (from versions: none)\nERROR: No matching distribution found for lp-private\n`,
        };

        for (const [installer, output] of Object.entries(outputs)) {
            it(`says to build again, not that the package has no wheel (${installer})`, async () => {
                const ctx = {
                    target: lambdaTarget("python3.13", "x86_64"),
                    python: await hostPython(),
                    requirementLines: ["lp-private"],
                    indexes: packageIndexes([], ["--index-url", index], {}),
                    pre: false,
                    wheelsDir: path.join(tmpDir("rescue-"), "wheels"),
                    what: "requirements.txt",
                    installerName: installer,
                };
                await assert.rejects(rescueFailedInstall({ code: 1, stdout: "", stderr: output(index) }, ctx, new Set()), (e: Error) => {
                    assert.match(
                        e.message,
                        /^lp-private could not be installed: the package index http:\/\/127\.0\.0\.1:\d+\/simple could not be reached during the install \((Connection refused \(os error 111\)|Failed to establish a new connection: \[Errno 111\] Connection refused)\), but it answers now/,
                    );
                    assert.match(e.message, /Build again\./);
                    return true;
                });
            });
        }
    });
});

function configFile(name: string, text: string): string {
    return path.join(writeFiles(tmpDir("config-"), { [name]: text }), name);
}

/** A minimal pure-Python wheel, written with Python's zipfile. */
function makeWheel(file: string): void {
    const script = [
        "import sys, zipfile",
        "files = {",
        "  'lp_private.py': 'VALUE = 1\\n',",
        "  'lp_private-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\\nName: lp-private\\nVersion: 1.0\\n',",
        "  'lp_private-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\\nGenerator: hand\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n',",
        "}",
        "with zipfile.ZipFile(sys.argv[1], 'w') as z:",
        "    for name, text in files.items(): z.writestr(name, text)",
        "    z.writestr('lp_private-1.0.dist-info/RECORD', ''.join(n + ',,\\n' for n in files) + 'lp_private-1.0.dist-info/RECORD,,\\n')",
    ].join("\n");
    const r = spawnSync("python3", ["-c", script, file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
        s.on("error", reject);
    });
}

async function waitForPort(port: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
        const ok = await new Promise<boolean>((resolve) => {
            const c = net.connect(port, "127.0.0.1", () => {
                c.end();
                resolve(true);
            });
            c.on("error", () => resolve(false));
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the test index on port ${port} did not start`);
}
