// The install layer (builder/install/) around its installer, with the fake
// installer (fake-installer.ts) in place of pip and uv: what the install key
// covers, the cache and its manifest, one install per key in a process, what
// a failed install leaves and says (the diagnosis asks only a local
// find-links folder, through the host's python3: no network), and a lock's
// own failures. The same paths with the real installers are tested end to
// end in test/install.test.ts and test/deps-*.test.ts.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { BuildCache, UNUSED_FOR_MS } from "../../builder/cache";
import { installDependencies, InstallContext, InstalledDependencies } from "../../builder/install/dependencies";
import { lambdaTarget } from "../../policies/target";
import { UserError } from "../../shared/errors";
import { FakeDistribution, FakeInstaller } from "./fake-installer";

const py313 = lambdaTarget("python3.13", "x86_64");
const catalog: FakeDistribution[] = [
    { name: "requests", version: "2.32.5", requires: ["urllib3", "idna", "certifi", "charset-normalizer"] },
    { name: "urllib3", version: "2.5.0" },
    { name: "idna", version: "3.10" },
    { name: "certifi", version: "2025.8.3" },
    { name: "charset-normalizer", version: "3.4.3", files: { "charset_normalizer/__init__.py": "", "charset_normalizer/md.cpython-313-x86_64-linux-gnu.so": Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]) } },
    { name: "six", version: "1.17.0" },
    { name: "PyYAML", version: "6.0.2" },
];

const dirs: string[] = [];
function tmp(prefix: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `lp-install-${prefix}-`));
    dirs.push(d);
    return d;
}

/** A function folder with its requirements.txt (and more files, by relative path). */
function app(requirements: string, more: Record<string, string> = {}): string {
    const dir = tmp("app");
    fs.writeFileSync(path.join(dir, "requirements.txt"), requirements);
    for (const [rel, text] of Object.entries(more)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
    }
    return dir;
}

function context(installer: FakeInstaller, cacheRoot = tmp("cache"), more: Partial<InstallContext> = {}): InstallContext & { messages: string[] } {
    const messages: string[] = [];
    return { cache: new BuildCache(cacheRoot), installer: "pip", toolsDir: tmp("tools"), extraArgs: [], progress: (m) => messages.push(m), chooseInstaller: installer.choose, messages, ...more };
}

/** `<folder>/<base>.tar.gz`, a source distribution of these files under `<base>/`. */
function sdist(folder: string, base: string, files: Record<string, string>): void {
    const src = tmp("sdist");
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(src, base, rel)), { recursive: true });
        fs.writeFileSync(path.join(src, base, rel), text);
    }
    const tar = spawnSync("tar", ["-czf", path.join(folder, `${base}.tar.gz`), "-C", src, base]);
    assert.equal(tar.status, 0, String(tar.stderr));
}

/** A PEP 517 build backend of a few lines: a py3-none-any wheel of the tinyjson package, as any backend would make it. */
const TINY_BACKEND = `import base64, hashlib, os, zipfile
NAME, VERSION = "tinyjson", "1.0"
def get_requires_for_build_wheel(config_settings=None):
    return []
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist = "%s-%s.dist-info" % (NAME, VERSION)
    files = {
        NAME + "/__init__.py": open(os.path.join(NAME, "__init__.py"), "rb").read(),
        dist + "/METADATA": ("Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)).encode(),
        dist + "/WHEEL": b"Wheel-Version: 1.0\\nGenerator: tiny_backend\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    name = "%s-%s-py3-none-any.whl" % (NAME, VERSION)
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for path, data in files.items():
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
        record.append(dist + "/RECORD,,")
        z.writestr(dist + "/RECORD", "\\n".join(record) + "\\n")
    return name
`;

const install = (dir: string, ctx: InstallContext, target = py313) => installDependencies({ kind: "requirements", file: path.join(dir, "requirements.txt") }, target, ctx);
const listed = (r: InstalledDependencies) => r.files.map((f) => f.rel);
const installsIn = (root: string) => (fs.existsSync(path.join(root, "installs")) ? fs.readdirSync(path.join(root, "installs")) : []);
const leftInTmp = (root: string) => (fs.existsSync(path.join(root, "tmp")) ? fs.readdirSync(path.join(root, "tmp")) : []);

describe("the install layer, with a fake installer", () => {
    // Hermetic: the machine's pip and uv configuration (PIP_FIND_LINKS, pip.conf, uv.toml …) joins the indexes otherwise.
    // Set aside for these tests only: hooks outside a describe would be the whole run's, end-to-end files included.
    const saved = Object.entries(process.env).filter(([k]) => /^(PIP|UV)_/.test(k));
    before(() => {
        for (const [k] of saved) delete process.env[k];
        process.env.PIP_CONFIG_FILE = os.devNull;
        process.env.UV_NO_CONFIG = "1";
    });
    after(() => {
        delete process.env.PIP_CONFIG_FILE;
        delete process.env.UV_NO_CONFIG;
        for (const [k, v] of saved) process.env[k] = v;
        for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    });

    describe("a fresh install", () => {
        it("lists every installed file with its size and sha256, and keeps the installer's site-packages with its dist-info", async () => {
            const fake = new FakeInstaller(catalog);
            const ctx = context(fake);
            const r = await install(app("requests==2.32.5\n"), ctx);
            assert.equal(r.cacheHit, false);
            assert.equal(r.installer, "pip 25.0");
            assert.equal(fake.requests.length, 1);
            assert.deepEqual(fake.requests[0].target, py313);
            for (const f of ["requests/__init__.py", "requests-2.32.5.dist-info/RECORD", "requests-2.32.5.dist-info/REQUESTED", "urllib3-2.5.0.dist-info/METADATA", "charset_normalizer/md.cpython-313-x86_64-linux-gnu.so"]) {
                assert.ok(listed(r).includes(f), `${f} listed`);
            }
            // Only what the requirements name is REQUESTED, as pip and uv record it.
            assert.ok(!listed(r).includes("urllib3-2.5.0.dist-info/REQUESTED"));
            for (const f of r.files) {
                const data = fs.readFileSync(path.join(r.siteDir, f.rel));
                assert.equal(f.size, data.length, f.rel);
                assert.equal(f.sha256, crypto.createHash("sha256").update(data).digest("hex"), f.rel);
            }
            assert.deepEqual(listed(r), [...listed(r)].sort(), "sorted by path");
            assert.match(ctx.messages.join("\n"), /installing dependencies from requirements\.txt for python3\.13 x86_64 with pip 25\.0/);
            // What is kept is the install and its manifest: none of the installer's scratch, nothing left in tmp.
            assert.deepEqual(fs.readdirSync(path.dirname(r.siteDir)).sort(), ["manifest.json", "site-packages"]);
            assert.deepEqual(leftInTmp(ctx.cache.root), []);
        });

        it("hands the installer the requirements with their includes, and only the indexes the files name", async () => {
            const fake = new FakeInstaller(catalog);
            const wheels = tmp("wheels");
            const dir = app(`--no-index\n--find-links ${wheels}\n-r base.txt\nsix==1.17.0\n`, { "base.txt": "PyYAML==6.0.2\n" });
            const r = await install(dir, context(fake));
            assert.ok(listed(r).includes("pyyaml-6.0.2.dist-info/REQUESTED"));
            assert.ok(listed(r).includes("six-1.17.0.dist-info/REQUESTED"));
            assert.equal(fake.requests[0].indexes.noIndex, true);
            assert.deepEqual(fake.requests[0].indexes.findLinks, [wheels]);
            assert.deepEqual(fake.requests[0].findLinks, [], "no wheels of our own were built");
        });

        it("installs an empty requirements file as an empty site-packages", async () => {
            const r = await install(app("# nothing yet\n"), context(new FakeInstaller(catalog)));
            assert.deepEqual(r.files, []);
            assert.ok(fs.statSync(r.siteDir).isDirectory());
        });
    });

    describe("the install key", () => {
        it("reuses an install for the same requirements, target, installer and options, without running the installer", async () => {
            const fake = new FakeInstaller(catalog);
            const cache = tmp("cache");
            const dir = app("six==1.17.0\n");
            const first = await install(dir, context(fake, cache));
            const again = await install(dir, context(fake, cache));
            assert.equal(fake.requests.length, 1);
            assert.equal(again.cacheHit, true);
            assert.equal(again.siteDir, first.siteDir);
            assert.deepEqual(again.files, first.files);
            assert.deepEqual(again.record, first.record);
            // Another folder with the same requirements text shares the install.
            const twin = await install(app("six==1.17.0\n"), context(fake, cache));
            assert.equal(twin.cacheHit, true);
            assert.equal(installsIn(cache).length, 1);
        });

        it("marks a reused install used, so the cache's sweep keeps it another month", async () => {
            const fake = new FakeInstaller(catalog);
            const cache = tmp("cache");
            const dir = app("six==1.17.0\n");
            await install(dir, context(fake, cache));
            const [key] = installsIn(cache);
            const manifest = new BuildCache(cache).installManifestPath(key);
            const monthAgo = new Date(Date.now() - UNUSED_FOR_MS - 24 * 3600_000);
            fs.utimesSync(manifest, monthAgo, monthAgo);
            assert.equal((await install(dir, context(fake, cache))).cacheHit, true);
            assert.ok(Date.now() - fs.statSync(manifest).mtimeMs < 3600_000, "marked used now");
            new BuildCache(cache).sweep({ evenIfRecent: true });
            assert.deepEqual(installsIn(cache), [key]);
        });

        it("installs again when the requirements, a file they include, the target, the installer or its options change", async () => {
            const fake = new FakeInstaller(catalog);
            const cache = tmp("cache");
            const dir = app("-r base.txt\n", { "base.txt": "six==1.17.0\n" });
            const seen = new Set<string>();
            const fresh = async (r: Promise<InstalledDependencies>, what: string) => {
                const got = await r;
                assert.equal(got.cacheHit, false, what);
                assert.ok(!seen.has(got.siteDir), what);
                seen.add(got.siteDir);
            };
            await fresh(install(dir, context(fake, cache)), "first");
            fs.writeFileSync(path.join(dir, "base.txt"), "six==1.17.0\nidna==3.10\n");
            await fresh(install(dir, context(fake, cache)), "an included file changed");
            fs.writeFileSync(path.join(dir, "requirements.txt"), "-r base.txt\ncertifi\n");
            await fresh(install(dir, context(fake, cache)), "the requirements changed");
            await fresh(install(dir, context(fake, cache), lambdaTarget("python3.12", "x86_64")), "another Python");
            await fresh(install(dir, context(fake, cache), lambdaTarget("python3.13", "arm64")), "another architecture");
            await fresh(install(dir, context(new FakeInstaller(catalog, { version: "25.1" }), cache)), "another pip version");
            await fresh(install(dir, context(new FakeInstaller(catalog, { name: "uv" }), cache)), "uv instead of pip");
            await fresh(install(dir, context(fake, cache, { extraArgs: ["--pre"] })), "an installer option");
            assert.equal(installsIn(cache).length, seen.size);
            // Going back to an earlier input finds its install again.
            assert.equal((await install(dir, context(fake, cache))).cacheHit, true);
        });

        it("installs again when the contents of a local project the requirements name change", async () => {
            const fake = new FakeInstaller(catalog);
            const cache = tmp("cache");
            const dir = app("./shared-lib\n", {
                "shared-lib/pyproject.toml": '[project]\nname = "shared-lib"\nversion = "0.1.0"\n',
                "shared-lib/shared_lib/__init__.py": "GREETING = 'hello'\n",
            });
            const first = await install(dir, context(fake, cache));
            assert.equal(fs.readFileSync(path.join(first.siteDir, "shared_lib", "__init__.py"), "utf8"), "GREETING = 'hello'\n");
            assert.equal((await install(dir, context(fake, cache))).cacheHit, true);
            fs.writeFileSync(path.join(dir, "shared-lib", "shared_lib", "__init__.py"), "GREETING = 'hi'\n");
            const second = await install(dir, context(fake, cache));
            assert.equal(second.cacheHit, false);
            assert.equal(fs.readFileSync(path.join(second.siteDir, "shared_lib", "__init__.py"), "utf8"), "GREETING = 'hi'\n");
        });

        it("installs again over an install whose manifest was lost (a damaged cache entry), and finds it afterwards", async () => {
            const fake = new FakeInstaller(catalog);
            const cache = tmp("cache");
            const dir = app("six==1.17.0\n");
            const first = await install(dir, context(fake, cache));
            fs.rmSync(path.join(path.dirname(first.siteDir), "manifest.json"));
            const repaired = await install(dir, context(fake, cache));
            assert.equal(repaired.cacheHit, false);
            assert.equal(repaired.siteDir, first.siteDir);
            assert.deepEqual(repaired.files, first.files);
            assert.equal((await install(dir, context(fake, cache))).cacheHit, true);
            assert.equal(fake.requests.length, 2);
        });
    });

    describe("builds of one process asking for the same install", () => {
        it("run the installer once: the others wait for it and share its result", async () => {
            let open!: () => void;
            const opened = new Promise<void>((resolve) => (open = resolve));
            const fake = new FakeInstaller(catalog, { gate: () => opened });
            const cache = tmp("cache");
            const dir = app("requests==2.32.5\n");
            const contexts = [1, 2, 3].map(() => context(fake, cache));
            const running = contexts.map((ctx) => install(dir, ctx));
            // Every build has started (the first is inside the installer) before any may finish.
            while (fake.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
            open();
            const results = await Promise.all(running);
            assert.equal(fake.requests.length, 1);
            assert.deepEqual(
                results.map((r) => r.cacheHit),
                [false, true, true],
            );
            for (const r of results) assert.deepEqual(r.files, results[0].files);
            for (const ctx of contexts.slice(1)) assert.match(ctx.messages.join("\n"), /waiting for the same install, started by another build/);
        });

        it("all fail with the install's failure, and the next build tries again", async () => {
            let open!: () => void;
            const opened = new Promise<void>((resolve) => (open = resolve));
            let broken = true;
            const fake = new FakeInstaller(catalog, { gate: () => opened, answer: () => (broken ? { code: 1, stdout: "", stderr: "ERROR: the disk is full\n" } : undefined) });
            const cache = tmp("cache");
            const dir = app("six==1.17.0\n");
            const running = [1, 2].map(() =>
                install(dir, context(fake, cache)).then(
                    () => "installed",
                    (e: Error) => e.message,
                ),
            );
            while (fake.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
            open();
            const outcomes = await Promise.all(running);
            assert.equal(fake.requests.length, 1);
            for (const o of outcomes) assert.match(o, /installing the dependencies in .*requirements\.txt for python3\.13 on x86_64 .* with pip 25\.0 failed:\nERROR: the disk is full/);
            assert.deepEqual(installsIn(cache), []);
            broken = false;
            assert.equal((await install(dir, context(fake, cache))).cacheHit, false);
            assert.equal(fake.requests.length, 2);
        });
    });

    describe("a failed install", () => {
        it("names the package the installer could not find, having looked for it only where the requirements say (pip's and uv's words)", async () => {
            for (const name of ["pip", "uv"] as const) {
                const fake = new FakeInstaller(catalog, { name });
                const cache = tmp("cache");
                const wheels = tmp("wheels");
                const dir = app(`--no-index\n--find-links ${wheels}\nsix==1.17.0\nsixx==1.0\n`);
                await assert.rejects(install(dir, context(fake, cache)), (e: Error) => {
                    assert.ok(e instanceof UserError, e.stack);
                    assert.equal(e.message, `sixx was not found on no package index (--no-index). Check its name in ${path.join(dir, "requirements.txt")}, or publish it to your index. Also searched: ${wheels}.`);
                    return true;
                });
                assert.deepEqual(installsIn(cache), [], `${name}: nothing installed`);
                assert.deepEqual(leftInTmp(cache), [], `${name}: nothing left in tmp`);
            }
        });

        it("says which releases there are when none matches the version asked for", async () => {
            const fake = new FakeInstaller(catalog);
            const wheels = tmp("wheels");
            for (const v of ["1.16.0", "1.17.0"]) fs.writeFileSync(path.join(wheels, `six-${v}-py2.py3-none-any.whl`), "");
            const dir = app(`--no-index\n--find-links ${wheels}\nsix==9.9\n`);
            await assert.rejects(install(dir, context(fake)), /^UserError: no release of six on the find-links locations \(--no-index\) matches six==9\.9 \(the newest there: 1\.17\.0, 1\.16\.0\)\./);
        });

        it("builds a pure-Python package that has only a source distribution into a wheel, and installs again with it", async () => {
            const fake = new FakeInstaller(catalog);
            const wheels = tmp("wheels");
            // A pure sdist whose build backend is in the tree (backend-path) and requires nothing: pip builds it offline.
            sdist(wheels, "tinyjson-1.0", {
                "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "tiny_backend"\nbackend-path = ["."]\n',
                "tinyjson/__init__.py": "import json\ndumps = json.dumps\n",
                "tiny_backend.py": TINY_BACKEND,
            });
            const dir = app(`--no-index\n--find-links ${wheels}\nsix==1.17.0\ntinyjson==1.0\n`);
            const ctx = context(fake);
            const r = await install(dir, ctx);
            assert.equal(fake.requests.length, 2, "installed again after building the wheel");
            assert.equal(path.basename(fake.requests[1].findLinks[0]), "wheels", "with the built wheels as find-links");
            assert.match(ctx.messages.join("\n"), /built tinyjson from its pure-Python source distribution/);
            assert.ok(listed(r).includes("tinyjson/__init__.py"));
            assert.ok(listed(r).includes("tinyjson-1.0.dist-info/REQUESTED"));
            assert.ok(listed(r).includes("six-1.17.0.dist-info/RECORD"));
            // Only the install and its manifest are kept: not the sdist, nor the wheel built from it.
            assert.deepEqual(fs.readdirSync(path.dirname(r.siteDir)).sort(), ["manifest.json", "site-packages"]);
        });

        it("refuses a package whose only source distribution holds C code, without building it", async () => {
            const fake = new FakeInstaller(catalog);
            const wheels = tmp("wheels");
            sdist(wheels, "fastcalc-1.0", {
                "setup.py": "from setuptools import setup, Extension\nsetup(name='fastcalc', version='1.0', ext_modules=[Extension('fastcalc', ['src/fastcalc.c'])])\n",
                "src/fastcalc.c": "int add(int a, int b) { return a + b; }\n",
            });
            const dir = app(`--no-index\n--find-links ${wheels}\nfastcalc==1.0\n`);
            await assert.rejects(install(dir, context(fake)), (e: Error) => {
                assert.ok(e instanceof UserError, e.stack);
                assert.match(
                    e.message,
                    /^fastcalc has no wheel for python3\.13 on x86_64 \(CPython 3\.13, manylinux_2_\d+_x86_64 or older\), and its source distribution fastcalc-1\.0\.tar\.gz contains native code \(src\/fastcalc\.c\): built here it would be for this machine, not Lambda, so it was not built\./,
                );
                return true;
            });
            assert.equal(fake.requests.length, 1, "not retried: nothing was built");
        });

        it("gives the installer's own words when they blame no package", async () => {
            const fake = new FakeInstaller(catalog, { answer: () => ({ code: 2, stdout: "Collecting six\n", stderr: "ERROR: Exception:\nOSError: [Errno 28] No space left on device\n" }) });
            const dir = app("six==1.17.0\n");
            await assert.rejects(install(dir, context(fake)), (e: Error) => {
                assert.ok(e instanceof UserError);
                assert.equal(e.message.split("\n")[0], `installing the dependencies in ${path.join(dir, "requirements.txt")} for python3.13 on x86_64 (CPython 3.13, ${e.message.match(/manylinux_2_\d+_x86_64/)![0]} or older) with pip 25.0 failed:`);
                assert.match(e.message, /No space left on device/);
                return true;
            });
        });
    });

    describe("a project with a pyproject.toml and a package of its own", () => {
        const project = () =>
            app("", {
                "pyproject.toml": '[project]\nname = "orders"\nversion = "0.1.0"\ndependencies = ["six==1.17.0"]\n\n[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n',
                "orders/__init__.py": "def handler(event, context):\n    return {'orders': []}\n",
            });
        const spec = (dir: string) => ({ kind: "pyproject" as const, file: path.join(dir, "pyproject.toml"), groups: [], extras: [] });

        it("installs the dependencies, then the package itself beside them without dependencies", async () => {
            const fake = new FakeInstaller(catalog);
            const r = await installDependencies(spec(project()), py313, context(fake));
            assert.equal(fake.requests.length, 2);
            assert.ok(listed(r).includes("six-1.17.0.dist-info/RECORD"));
            assert.ok(!fake.requests[0].extraArgs.includes("--no-deps"));
            assert.ok(fake.requests[1].extraArgs.includes("--no-deps"));
            assert.ok(r.local, "the project's own install");
            assert.ok(listed(r.local).includes("orders/__init__.py"));
            assert.ok(!listed(r.local).some((f) => f.startsWith("six")));
        });

        it("installs only the package again when its code changes: the dependencies' install is reused", async () => {
            const fake = new FakeInstaller(catalog);
            const cache = tmp("cache");
            const dir = project();
            const first = await installDependencies(spec(dir), py313, context(fake, cache));
            fs.writeFileSync(path.join(dir, "orders", "__init__.py"), "def handler(event, context):\n    return {'orders': ['one']}\n");
            const second = await installDependencies(spec(dir), py313, context(fake, cache));
            assert.equal(fake.requests.length, 3, "one more install: the package's");
            assert.equal(second.siteDir, first.siteDir);
            assert.equal(second.cacheHit, false);
            assert.notEqual(second.local!.siteDir, first.local!.siteDir);
            assert.match(fs.readFileSync(path.join(second.local!.siteDir, "orders", "__init__.py"), "utf8"), /'one'/);
            assert.equal((await installDependencies(spec(dir), py313, context(fake, cache))).cacheHit, true);
            assert.equal(fake.requests.length, 3);
        });
    });

    describe("a locked install", () => {
        const lock = path.join(__dirname, "..", "fixtures", "projects", "pylock-uv", "pylock.toml");
        const arm = lambdaTarget("python3.13", "arm64");
        const spec = () => {
            const dir = tmp("locked");
            fs.copyFileSync(lock, path.join(dir, "pylock.toml"));
            return { kind: "pylock" as const, file: path.join(dir, "pylock.toml"), groups: [], extras: [] };
        };

        it("hands the installer the lock's pins with their hashes", async () => {
            let requirements = "";
            const fake = new FakeInstaller(catalog, {
                answer: (req) => {
                    requirements = fs.readFileSync(req.requirementsFile, "utf8");
                    return { code: 0, stdout: "", stderr: "" };
                },
            });
            const r = await installDependencies(spec(), arm, context(fake));
            assert.equal(r.record.pinned, true);
            assert.match(requirements, /^six @ https:\/\/\S+six-1\.17\.0-py2\.py3-none-any\.whl --hash=sha256:[0-9a-f]{64}$/m);
        });

        it("blames the lock, not the package, when a download does not match the hash it records", async () => {
            const fake = new FakeInstaller(catalog, {
                answer: () => ({
                    code: 1,
                    stdout: "",
                    stderr: "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.\n    six==1.17.0 from https://files.pythonhosted.org/packages/six-1.17.0-py2.py3-none-any.whl:\n        Expected sha256 0000\n             Got        1111\n",
                }),
            });
            const s = spec();
            await assert.rejects(installDependencies(s, arm, context(fake)), (e: Error) => {
                assert.ok(e instanceof UserError);
                assert.match(e.message, new RegExp(`^the download of six==1\\.17\\.0 for python3\\.13 on arm64 .* does not match any hash ${s.file.replace(/[.\\/]/g, "\\$&")} records for it, so nothing was installed`));
                return true;
            });
            assert.equal(fake.requests.length, 1, "a lock's failure is not rescued");
        });
    });
});
