// Python projects as their tools keep them: a lock written by the real tool
// (Poetry 2 and 1.x, Pipenv, PDM, uv, pip lock), built by `lambda-python
// build` for a Lambda target, and the handler run by `lambda-python invoke`
// on the official emulator with a Debian CPython of that runtime and
// architecture: it must import exactly the versions its lock pins, its own
// package included, and nothing from the dev groups. A tampered hash, a
// stale lock and a lock for another machine stop the build in one paragraph.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "smol-toml";
import { BuildResult } from "../builder";
import { PythonFunction, PythonLayer } from "../components";
import { outputValue } from "../preview/mock-stack";
import { defaultToolsDir } from "../shared/cache-dirs";
import { assertOneParagraph, cli, pyZip, ROOT, SHARED_CACHE, tmpDir, useMockStack, writeFiles } from "./helpers";
import { runTool, uvForTests } from "./project-tools";

type BuildReport = Omit<BuildResult, "facts">;

/** A handler that imports the packages (so native ones must load) and reports the versions importlib.metadata sees. */
function handler(imports: string[], names: string[]): string {
    return [
        "import importlib.metadata, platform, sys",
        ...imports.map((m) => `import ${m}`),
        "",
        "def lambda_handler(event, context):",
        "    def version(name):",
        "        try:",
        "            return importlib.metadata.version(name)",
        "        except importlib.metadata.PackageNotFoundError:",
        "            return None",
        `    return {"versions": {n: version(n) for n in ${JSON.stringify(names)}}, "machine": platform.machine(), "python": "%d.%d" % sys.version_info[:2]}`,
        "",
    ].join("\n");
}

function build(folder: string, args: string[]): BuildReport {
    const out = path.join(tmpDir("pyprojects-out-"), "function.zip");
    const r = cli(["build", folder, "--json", "--quiet", "--out", out, "--cache-dir", SHARED_CACHE, ...args]);
    assert.equal(r.code, 0, r.stderr);
    return { ...(JSON.parse(r.stdout) as BuildReport), out };
}

function invoke(zip: string, handlerName: string, runtime: string, arch: string): { versions: Record<string, string | null>; machine: string; python: string } {
    const r = cli(["invoke", zip, "--handler", handlerName, "--runtime", runtime, "--arch", arch, "--quiet"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return JSON.parse(r.stdout);
}

/** Versions a TOML lock pins, by normalised name (Poetry's and PDM's `package`, PEP 751's `packages`). */
function lockedVersions(lock: string): Record<string, string> {
    const data = parse(fs.readFileSync(lock, "utf8")) as Record<string, { name: string; version?: string }[]>;
    const out: Record<string, string> = {};
    for (const p of data.package ?? data.packages ?? []) if (p.version) out[p.name.toLowerCase().replace(/[-_.]+/g, "-")] = p.version;
    return out;
}

describe("Python projects as Poetry, Pipenv, PDM, uv and pip keep them", () => {
    describe("Poetry 2 ([project] pyproject, lock 2.1), its package under src/", () => {
        let project: string;
        let first: BuildReport;
        before(() => {
            project = writeFiles(tmpDir("poetry2-"), {
                "pyproject.toml": [
                    "[project]",
                    'name = "orders"',
                    'version = "0.1.0"',
                    'requires-python = ">=3.11"',
                    'dependencies = ["orjson (==3.10.18)", "six (>=1.16)"]',
                    "",
                    "[tool.poetry]",
                    'packages = [{ include = "orders", from = "src" }]',
                    "",
                    "[tool.poetry.group.dev.dependencies]",
                    'iniconfig = "^2.0"',
                    "",
                    "[build-system]",
                    'requires = ["poetry-core>=2.0.0,<3.0.0"]',
                    'build-backend = "poetry.core.masonry.api"',
                    "",
                ].join("\n"),
                "src/orders/__init__.py": "",
                "src/orders/handler.py": handler(["orjson", "six"], ["orjson", "six", "iniconfig", "orders"]),
            });
            runTool("poetry-2.5.1", ["lock", "--quiet"], project);
            // The constraint is relaxed and the lock kept, as `poetry lock` keeps what still satisfies it: newer orjson
            // releases are now allowed, and only the lock says 3.10.18.
            const pyproject = path.join(project, "pyproject.toml");
            fs.writeFileSync(pyproject, fs.readFileSync(pyproject, "utf8").replace("orjson (==3.10.18)", "orjson (>=3.10)"));
            runTool("poetry-2.5.1", ["lock", "--quiet"], project);
            assert.equal(lockedVersions(path.join(project, "poetry.lock")).orjson, "3.10.18");
            first = build(project, ["--runtime", "python3.13", "--arch", "arm64"]);
        });

        it("runs on python3.13 arm64 with the locked versions and its own package, without the dev group", () => {
            const locked = lockedVersions(path.join(project, "poetry.lock"));
            const r = invoke(first.out!, "orders.handler.lambda_handler", "python3.13", "arm64");
            assert.deepEqual(r.versions, { orjson: "3.10.18", six: locked.six, iniconfig: null, orders: "0.1.0" });
            assert.equal(r.machine, "aarch64");
            assert.equal(first.dependencies.from, "poetry-lock");
            assert.equal(first.dependencies.pinned, true);
            assert.ok(first.dependencies.packages.includes("orders==0.1.0"), first.dependencies.packages.join(", "));
            assert.ok(!first.dependencies.packages.some((p) => p.startsWith("iniconfig")));
        });

        it("rebuilds from the cache when nothing changed, and installs again when the groups change", () => {
            const again = build(project, ["--runtime", "python3.13", "--arch", "arm64"]);
            assert.deepEqual([again.cache.archive, again.cache.install, again.sha256], ["hit", "hit", first.sha256]);
            const withDev = build(project, ["--runtime", "python3.13", "--arch", "arm64", "--group", "dev"]);
            assert.equal(withDev.cache.install, "miss");
            assert.ok(
                withDev.dependencies.packages.some((p) => p.startsWith("iniconfig==")),
                withDev.dependencies.packages.join(", "),
            );
            assert.deepEqual(withDev.dependencies.groups, ["dev"]);
        });

        it("refuses a group the project does not define", () => {
            assertOneParagraph(cli(["build", project, "--group", "docs", "--quiet", "--cache-dir", SHARED_CACHE, "--out", path.join(tmpDir(), "x.zip")]), /pyproject\.toml defines no group "docs"\. Its groups: dev, main\./);
        });
    });

    describe("Poetry 1.x ([tool.poetry.dependencies], lock 2.0), a flat function", () => {
        let project: string;
        before(() => {
            project = writeFiles(tmpDir("poetry1-"), {
                "pyproject.toml": [
                    "[tool.poetry]",
                    'name = "orders"',
                    'version = "0.1.0"',
                    'description = ""',
                    'authors = ["Ops <ops@example.com>"]',
                    "package-mode = false",
                    "",
                    "[tool.poetry.dependencies]",
                    'python = "^3.11"',
                    'requests = "^2.31"',
                    "",
                    "[tool.poetry.group.dev.dependencies]",
                    'iniconfig = "^2.0"',
                    "",
                ].join("\n"),
                "app.py": handler(["requests"], ["requests", "charset-normalizer", "urllib3", "iniconfig"]),
            });
            runTool("poetry-1.8.5", ["lock", "--no-update", "--quiet"], project);
        });

        it("runs on python3.11 x86_64 with the versions Poetry 1.8 locked (charset-normalizer's native wheel included)", () => {
            const locked = lockedVersions(path.join(project, "poetry.lock"));
            const report = build(project, ["--runtime", "python3.11"]);
            const r = invoke(report.out!, "app.lambda_handler", "python3.11", "x86_64");
            assert.deepEqual(r.versions, { requests: locked.requests, "charset-normalizer": locked["charset-normalizer"], urllib3: locked.urllib3, iniconfig: null });
            assert.ok(report.nativeArchitectures.includes("x86_64"), "charset-normalizer ships compiled code");
        });

        it("stops at a download whose hash is not the lock's, naming the package and the lock", () => {
            const tampered = path.join(tmpDir("poetry1-tampered-"), "fn");
            fs.cpSync(project, tampered, { recursive: true });
            const lock = path.join(tampered, "poetry.lock");
            // Every file of idna gets a hash it does not have: what a replaced file on the index would look like.
            fs.writeFileSync(
                lock,
                fs.readFileSync(lock, "utf8").replace(/(\{file = "idna-[^"]+", hash = "sha256:)([0-9a-f])/g, (_, head, c) => `${head}${c === "0" ? "1" : "0"}`),
            );
            assertOneParagraph(
                cli(["build", tampered, "--runtime", "python3.12", "--quiet", "--cache-dir", SHARED_CACHE, "--out", path.join(tmpDir(), "x.zip")]),
                /the download of idna==\S+ for python3\.12 .*does not match any hash .*poetry\.lock records for it, so nothing was installed/,
            );
        });
    });

    describe("Pipenv (Pipfile.lock)", () => {
        it("runs on python3.11 x86_64 with the default packages as locked, not the develop ones", () => {
            const project = writeFiles(tmpDir("pipenv-"), {
                Pipfile: [
                    "[[source]]",
                    'url = "https://pypi.org/simple"',
                    "verify_ssl = true",
                    'name = "pypi"',
                    "",
                    "[packages]",
                    'six = "==1.16.0"',
                    'orjson = "*"',
                    "",
                    "[dev-packages]",
                    'iniconfig = "*"',
                    "",
                    "[requires]",
                    'python_version = "3.11"',
                    "",
                ].join("\n"),
                "app.py": handler(["six", "orjson"], ["six", "orjson", "iniconfig"]),
            });
            runTool("pipenv-2026.10.3", ["lock"], project);
            fs.rmSync(path.join(project, ".venv"), { recursive: true, force: true });
            const lock = JSON.parse(fs.readFileSync(path.join(project, "Pipfile.lock"), "utf8"));
            const report = build(project, ["--runtime", "python3.11"]);
            assert.equal(report.dependencies.from, "pipfile-lock");
            const r = invoke(report.out!, "app.lambda_handler", "python3.11", "x86_64");
            assert.deepEqual(r.versions, { six: "1.16.0", orjson: lock.default.orjson.version.slice(2), iniconfig: null });
        });
    });

    describe("PDM (pdm.lock), its package under src/ built by pdm-backend", () => {
        it("runs on python3.14 x86_64 with the locked versions and the extra asked for", () => {
            const project = writeFiles(tmpDir("pdm-"), {
                "pyproject.toml": [
                    "[project]",
                    'name = "orders"',
                    'version = "0.2.0"',
                    'requires-python = ">=3.11"',
                    'dependencies = ["orjson>=3.10"]',
                    "",
                    "[project.optional-dependencies]",
                    'color = ["colorama>=0.4"]',
                    "",
                    "[dependency-groups]",
                    'dev = ["iniconfig>=2.0"]',
                    "",
                    "[build-system]",
                    'requires = ["pdm-backend"]',
                    'build-backend = "pdm.backend"',
                    "",
                ].join("\n"),
                "src/orders/__init__.py": "",
                "src/orders/handler.py": handler(["orjson", "colorama"], ["orjson", "colorama", "iniconfig", "orders"]),
            });
            runTool("pdm-2.29.4", ["lock", "-G", ":all", "--quiet"], project);
            fs.rmSync(path.join(project, ".venv"), { recursive: true, force: true });
            const locked = lockedVersions(path.join(project, "pdm.lock"));
            const report = build(project, ["--runtime", "python3.14", "--extra", "color"]);
            assert.equal(report.dependencies.from, "pdm-lock");
            const r = invoke(report.out!, "orders.handler.lambda_handler", "python3.14", "x86_64");
            assert.deepEqual(r.versions, { orjson: locked.orjson, colorama: locked.colorama, iniconfig: null, orders: "0.2.0" });
        });
    });

    describe("uv (uv.lock), a package made by uv init", () => {
        let project: string;
        before(() => {
            project = tmpDir("uv-");
            const uv = uvForTests();
            for (const args of [
                ["init", "--package", "--name", "orders", "--vcs", "none", "--no-workspace", "--quiet", project],
                ["add", "--no-sync", "--quiet", "--project", project, "orjson", "six"],
            ]) {
                const r = spawnSync(uv, args, { encoding: "utf8", env: { ...process.env, UV_PYTHON_DOWNLOADS: "never" } });
                assert.equal(r.status, 0, r.stderr);
            }
            writeFiles(project, { "src/orders/handler.py": handler(["orjson", "six"], ["orjson", "six", "orders"]) });
        });

        it("runs on python3.13 x86_64 with the locked versions and its own package", () => {
            const locked = lockedVersions(path.join(project, "uv.lock"));
            const report = build(project, ["--runtime", "python3.13"]);
            assert.equal(report.dependencies.from, "uv-lock");
            const r = invoke(report.out!, "orders.handler.lambda_handler", "python3.13", "x86_64");
            assert.deepEqual(r.versions, { orjson: locked.orjson, six: locked.six, orders: locked.orders });
        });

        it("refuses a lock older than a path dependency's pyproject.toml, even after a build that cached it", () => {
            const withLib = path.join(tmpDir("uv-lib-"), "fn");
            fs.cpSync(project, withLib, { recursive: true });
            writeFiles(withLib, {
                "libs/pricing/pyproject.toml": '[project]\nname = "pricing"\nversion = "1.0"\n\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
                "libs/pricing/src/pricing/__init__.py": "RATE = 2\n",
            });
            const r = spawnSync(uvForTests(), ["add", "--no-sync", "--quiet", "--project", withLib, path.join(withLib, "libs", "pricing")], { encoding: "utf8", env: { ...process.env, UV_PYTHON_DOWNLOADS: "never" } });
            assert.equal(r.status, 0, r.stderr);
            const report = build(withLib, ["--runtime", "python3.13"]);
            assert.ok(report.dependencies.packages.includes("pricing==1.0"), report.dependencies.packages.join(", "));
            const lib = path.join(withLib, "libs", "pricing", "pyproject.toml");
            fs.writeFileSync(lib, fs.readFileSync(lib, "utf8").replace('version = "1.0"', 'version = "1.0"\ndependencies = ["idna"]'));
            assertOneParagraph(cli(["build", withLib, "--runtime", "python3.13", "--quiet", "--cache-dir", SHARED_CACHE, "--out", path.join(tmpDir(), "x.zip")]), /uv\.lock is out of date: .*workspace member or path dependency/);
        });

        it("refuses a lock older than its pyproject.toml", () => {
            const stale = path.join(tmpDir("uv-stale-"), "fn");
            fs.cpSync(project, stale, { recursive: true });
            const pyproject = path.join(stale, "pyproject.toml");
            fs.writeFileSync(pyproject, fs.readFileSync(pyproject, "utf8").replace(/dependencies = \[/, 'dependencies = [\n    "idna",'));
            assertOneParagraph(cli(["build", stale, "--quiet", "--cache-dir", SHARED_CACHE, "--out", path.join(tmpDir(), "x.zip")]), /uv\.lock is out of date: .*Run `uv lock`/);
        });
    });

    describe("a uv workspace (test/fixtures/projects/uv-workspace), built from a member's folder", () => {
        it("installs the member's part of the root's uv.lock, its workspace sibling included, on python3.13 arm64", () => {
            const repo = path.join(tmpDir("uv-workspace-"), "repo");
            fs.cpSync(path.join(ROOT, "test", "fixtures", "projects", "uv-workspace"), repo, { recursive: true });
            fs.mkdirSync(path.join(repo, ".git"));
            const report = build(path.join(repo, "functions", "orders"), ["--runtime", "python3.13", "--arch", "arm64"]);
            assert.equal(report.dependencies.from, "uv-lock");
            assert.equal(report.dependencies.file, path.join(repo, "uv.lock"));
            const r = invoke(report.out!, "app.lambda_handler", "python3.13", "arm64") as unknown as { versions: Record<string, string | null>; rate: number };
            assert.deepEqual(r.versions, { pricing: "1.2.0", six: lockedVersions(path.join(repo, "uv.lock")).six, iniconfig: null });
            assert.equal(r.rate, 2);
        });

        it("refuses in one paragraph when uv finds no Python to check the lock with, saying which to install", () => {
            // uv checks a lock against its projects (--locked) only with an interpreter the project's requires-python admits.
            const repo = path.join(tmpDir("uv-nopython-"), "repo");
            fs.cpSync(path.join(ROOT, "test", "fixtures", "projects", "uv-workspace"), repo, { recursive: true });
            const noPython = { HOME: process.env.HOME, PATH: tmpDir("empty-path-"), UV_PYTHON_INSTALL_DIR: tmpDir("no-managed-pythons-") };
            const r = cli(["build", path.join(repo, "functions", "orders"), "--runtime", "python3.13", "--quiet", "--cache-dir", SHARED_CACHE, "--out", path.join(tmpDir(), "x.zip")], { env: noPython });
            assertOneParagraph(
                r,
                /uv\.lock is read with uv, which checks it against .*pyproject\.toml \(`uv export --locked`\) with a Python interpreter that requires-python admits \(>=3\.11\), and uv found none on this machine.*Install Python 3\.13/,
            );
            assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
        });
    });

    describe("pylock.toml (PEP 751) written by pip lock", () => {
        let project: string;
        before(() => {
            project = writeFiles(tmpDir("pylock-"), { "app.py": handler(["orjson", "six"], ["orjson", "six"]) });
            const python = path.join(defaultToolsDir(), "venv", "bin", "python");
            const r = spawnSync(python, ["-m", "pip", "lock", "--quiet", "orjson==3.10.18", "six", "-o", path.join(project, "pylock.toml")], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
        });

        it("runs on the machine's own target (python3.11 x86_64) from the files it names", () => {
            const locked = lockedVersions(path.join(project, "pylock.toml"));
            const report = build(project, ["--runtime", "python3.11"]);
            assert.equal(report.dependencies.from, "pylock");
            const r = invoke(report.out!, "app.lambda_handler", "python3.11", "x86_64");
            assert.deepEqual(r.versions, { orjson: "3.10.18", six: locked.six });
        });

        it("refuses another target, naming the file it does have", () => {
            assertOneParagraph(
                cli(["build", project, "--runtime", "python3.13", "--arch", "arm64", "--quiet", "--cache-dir", SHARED_CACHE, "--out", path.join(tmpDir(), "x.zip")]),
                /pylock\.toml lists no file of orjson 3\.10\.18 that installs on python3\.13 arm64: only its wheel \(orjson-3\.10\.18-cp311-cp311-manylinux/,
            );
        });
    });

    describe("a pyproject.toml without a lock, and a folder without dependencies", () => {
        it("resolves [project].dependencies for the target and says it is not pinned", () => {
            const project = writeFiles(tmpDir("pep621-"), {
                "pyproject.toml": '[project]\nname = "orders"\nversion = "0.1.0"\ndependencies = ["six>=1.16"]\n',
                "app.py": "import six\n",
            });
            const report = build(project, ["--runtime", "python3.12"]);
            assert.equal(report.dependencies.from, "pyproject");
            assert.equal(report.dependencies.pinned, false);
            assert.match(report.dependencies.notes.join("\n"), /not pinned: .*pyproject\.toml has no lock/);
            assert.ok(report.dependencies.packages.some((p) => /^six==/.test(p)));
            assert.ok(pyZip(report.out!).entries.some((e) => e.name === "six.py"));
        });

        it("names the project and its build backend's own error, in one paragraph, when the function's package does not build", () => {
            const project = writeFiles(tmpDir("badpkg-"), {
                "pyproject.toml": '[project]\nname = "orders"\nversion = "0.1.0"\nreadme = "README.md"\n\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
                "src/orders/__init__.py": "",
            });
            const r = cli(["build", project, "--quiet", "--cache-dir", SHARED_CACHE, "--out", path.join(tmpDir(), "x.zip")]);
            assertOneParagraph(r, new RegExp(`the local project ${project} .*could not be built into a wheel by its build backend: ".*README\\.md.*"`));
            assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
            assert.doesNotMatch(r.stderr, /local-src/, "the user's folder, not the snapshot it was built from");
        });

        it("says why there is nothing to install, in the text report and the JSON", () => {
            const bare = writeFiles(tmpDir("bare-"), { "app.py": "def handler(event, context):\n    return 1\n" });
            const out = path.join(tmpDir(), "bare.zip");
            const text = cli(["build", bare, "--quiet", "--out", out, "--cache-dir", SHARED_CACHE]);
            assert.equal(text.code, 0, text.stderr);
            assert.match(text.stdout, /\n {2}dependencies {3}none: no requirements\.txt, pyproject\.toml, Pipfile or lock file in .*bare-\w+ or the folders above it/);
            const report = build(bare, []);
            assert.equal(report.dependencies.from, "none");
            assert.equal(report.dependencies.notes.length, 1);
        });
    });

    describe("through the components, as a Pulumi program gives them", () => {
        const mock = useMockStack();
        const poetry = path.join(ROOT, "test", "fixtures", "projects", "poetry2");

        it("a PythonLayer from a poetry.lock holds the main dependencies and the group and extra asked for", async () => {
            const layer = new PythonLayer("orders-deps", { lock: path.join(poetry, "poetry.lock"), runtimes: ["python3.12"], build: { groups: ["dev"], extras: ["color"] } });
            await outputValue(layer.arn);
            await mock().settle();
            const code = mock().byName("aws:lambda/layerVersion:LayerVersion", "orders-deps").wire.code as Record<string, string>;
            const names = pyZip(code.path).entries.map((e) => e.name);
            for (const expected of ["python/six.py", "python/iniconfig/__init__.py", "python/colorama/__init__.py"]) assert.ok(names.includes(expected), expected);
            assert.ok(!names.some((n) => n.startsWith("python/exceptiongroup")), "its marker does not hold on python3.12");
        });

        it("a PythonFunction asking for a group its lock does not have fails at preview, naming the component", async () => {
            const fn = new PythonFunction("orders", { source: writeFiles(tmpDir("fn-"), { "app.py": "def handler(e, c):\n    return 1\n" }), handler: "app.handler", lock: path.join(poetry, "poetry.lock"), build: { groups: ["docs"] } });
            await assert.rejects(outputValue(fn.archive), /PythonFunction "orders": .*defines no group "docs"/);
        });
    });
});
