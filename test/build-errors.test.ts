// Mistakes users make, each met with one readable paragraph (no stack
// trace), a non-zero exit and no archive left behind; and the cache under
// concurrent and interrupted builds.
import { strict as assert } from "assert";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { cli, cliAsync, listing, pyZip, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";
import { writeLocalWheel } from "./zip-crafter";

const HANDLER = "def handler(event, context):\n    return 'ok'\n";

/** Runs a build that must fail; checks the message reads as one paragraph for people and nothing was written. */
function failingBuild(args: string[], options: { prefix?: string[] } = {}) {
    const outDir = tmpDir("out-");
    const out = path.join(outDir, "fn.zip");
    const r = cli(["build", ...args, "--out", out, "--cache-dir", SHARED_CACHE, "--quiet"], options);
    assert.notEqual(r.code, 0, `expected failure, got:\n${r.stdout}`);
    assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, "no stack trace for a user mistake");
    assert.deepEqual(listing(outDir), [], "no zip or temporary file left behind");
    return r;
}

describe("lambda-python build: mistakes", () => {
    it("a source folder that does not exist", () => {
        const r = failingBuild(["/nonexistent/app"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /source folder \/nonexistent\/app does not exist/);
    });

    it("a requirements file that does not exist", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const r = failingBuild([app, "--requirements", path.join(app, "reqs.txt")]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /requirements file .*reqs\.txt does not exist/);
    });

    it("a requirements file that is a folder, a device or a shell's <(…) pipe says which", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        assert.match(failingBuild([app, "--requirements", app]).stderr, /requirements file .* is a folder; expected a file\./);
        assert.match(failingBuild([app, "--requirements", "/dev/null"]).stderr, /requirements file \/dev\/null is a device; expected a file\./);
        const fifo = path.join(tmpDir(), "reqs");
        execFileSync("mkfifo", [fifo]);
        const r = failingBuild([app, "--requirements", fifo]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /requirements file .*reqs is a pipe \(such as a shell's <\(…\)\), which can be read only once; expected a file\./);
        assert.match(failingBuild(["/dev/null"]).stderr, /source folder \/dev\/null is a device; expected a folder\./);
    });

    it("a package that does not exist on PyPI", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "requirements.txt": "no-such-package-lambda-python-test-xyzzy\n" });
        const r = failingBuild([app, "--installer", "pip"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /no-such-package-lambda-python-test-xyzzy was not found on the package index \(PyPI\)\. Check its name in .*requirements\.txt/);
    });

    it("a package with no wheel for arm64 (pysqlite3-binary) names the package, runtime, architecture and the way out", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "requirements.txt": "pysqlite3-binary\n" });
        const r = failingBuild([app, "--arch", "arm64", "--runtime", "python3.12", "--installer", "pip"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /pysqlite3-binary has no wheel for python3\.12 on arm64/);
        assert.match(r.stderr, /no source distribution/);
        assert.match(r.stderr, /manylinux/);
        assert.match(r.stderr, /x86_64 architecture/);
        assert.match(r.stderr, /Amazon Linux 2023/);
    });

    it("the same package for arm64 with uv gives the same diagnosis", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "requirements.txt": "pysqlite3-binary\n" });
        const r = failingBuild([app, "--arch", "arm64", "--runtime", "python3.12", "--installer", "uv"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /pysqlite3-binary has no wheel for python3\.12 on arm64/);
    });

    it("an unknown runtime string", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const r = failingBuild([app, "--runtime", "python3.99"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /unknown runtime "python3\.99": use one of python3\.8, .*python3\.14/);
    });

    it("an unreadable file (even for root: the build runs without DAC override)", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "secret.py": "x = 1\n" });
        fs.chmodSync(path.join(app, "secret.py"), 0o000);
        const prefix = process.getuid?.() === 0 ? ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] : undefined;
        const r = failingBuild([app], { prefix });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /cannot read file in the source folder .*secret\.py: permission denied/);
    });

    it("a socket in the source folder", async () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const server = net.createServer();
        await new Promise<void>((resolve) => server.listen(path.join(app, "agent.sock"), resolve));
        try {
            const r = failingBuild([app]);
            assert.match(r.stderr, /agent\.sock is not a regular file/);
        } finally {
            server.close();
        }
    });

    it("a symbolic link pointing outside the source folder", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        fs.symlinkSync("/etc/hostname", path.join(app, "hostname"));
        const r = failingBuild([app]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /hostname is a symbolic link to \/etc\/hostname, outside the source folder/);
    });

    it("follows a symbolic link that stays inside the source folder", () => {
        const app = writeFiles(tmpDir(), { "lib/real.py": "X = 1\n", "app.py": HANDLER });
        fs.symlinkSync("lib/real.py", path.join(app, "alias.py"));
        const out = path.join(tmpDir(), "fn.zip");
        const r = cli(["build", app, "--out", out, "--cache-dir", SHARED_CACHE, "--quiet"]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(pyZip(out).entries.some((e) => e.name === "alias.py"));
    });

    it("a handler module that is not in the folder", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const r = failingBuild([app, "--handler", "lambda_function.lambda_handler"]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /\[lambda-handler-at-root\] handler "lambda_function\.lambda_handler" needs lambda_function\.py at the root/);
        assert.match(r.stderr, /No archive was written/);
    });

    it("a handler whose module sits in a subfolder says to zip the folder's contents", () => {
        const app = writeFiles(tmpDir(), { "my_function/lambda_function.py": HANDLER });
        const r = failingBuild([app, "--handler", "lambda_function.handler"]);
        assert.match(r.stderr, /it is at my_function\/lambda_function\.py/);
    });

    it("a handler module that does not define the function", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const r = failingBuild([app, "--handler", "app.lambda_handler"]);
        assert.match(r.stderr, /app\.py in .* does not define lambda_handler/);
    });

    it("an option with a bad value", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const r = failingBuild([app, "--arch", "sparc"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--arch must be one of x86_64, arm64; got "sparc"/);
    });

    it("a --level that is not a level names --level, not the components' compressionLevel", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        for (const [level, message] of [
            ["abc", /--level wants a whole number; got "abc"/],
            ["1.5", /--level wants a whole number; got "1\.5"/],
            ["13", /--level must be from 0 \(store\) to 12; got 13/],
        ] as const) {
            const r = failingBuild([app, `--level=${level}`]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, message);
            assert.doesNotMatch(r.stderr, /compressionLevel|NaN/);
        }
    });

    it("an --out where nothing can be written (/proc): one paragraph", () => {
        const src = tmpDir("lp-out-proc-");
        fs.writeFileSync(path.join(src, "lambda_function.py"), "def lambda_handler(event, context):\n    return 1\n");
        const r = cli(["build", src, "--out", "/proc/lp-function.zip"], { env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE } });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /lambda-python: error: cannot write the archive's destination \/proc\/lp-function\.zip \(--out\): ENOENT, .* Choose a file in a writable folder\./);
        assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
    });
});

/** A PEP 503 index served by `python3 -m http.server` from a folder: localpkg 1.0 only. */
async function privateIndex(): Promise<{ url: string; stop: () => void }> {
    const root = tmpDir("index-");
    const wheel = path.basename(writeLocalWheel(path.join(root, "simple", "localpkg")));
    fs.writeFileSync(path.join(root, "simple", "localpkg", "index.html"), `<html><body><a href="${wheel}">${wheel}</a></body></html>\n`);
    const port = await new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, "127.0.0.1", () => {
            const p = (probe.address() as net.AddressInfo).port;
            probe.close(() => resolve(p));
        });
    });
    const server = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", root], { stdio: "ignore" });
    // Ready once it answers.
    for (let i = 0; i < 100; i++) {
        const up = await new Promise<boolean>((r) => {
            const c = net
                .connect(port, "127.0.0.1", () => {
                    c.end();
                    r(true);
                })
                .on("error", () => r(false));
        });
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
    }
    return { url: `http://127.0.0.1:${port}/simple`, stop: () => server.kill() };
}

describe("lambda-python build: what an index lacks", () => {
    for (const installer of ["pip", "uv"]) {
        it(`a version the private index does not have is said to be missing, not "no wheel for python3.X" (${installer})`, async () => {
            const index = await privateIndex();
            try {
                const app = writeFiles(tmpDir(), { "app.py": HANDLER, "requirements.txt": `--index-url ${index.url}\nlocalpkg==2.0\n` });
                const r = failingBuild([app, "--installer", installer, "--runtime", "python3.12"]);
                assert.equal(r.code, 2, r.stderr);
                assert.match(
                    r.stderr,
                    /no release of localpkg on the package index http:\/\/127\.0\.0\.1:\d+\/simple matches localpkg==2\.0 \(the newest there: 1\.0\)\. Check the version in .*requirements\.txt, or publish that version to your index/,
                );
                assert.doesNotMatch(r.stderr, /no wheel/);
            } finally {
                index.stop();
            }
        });
    }
});

describe("lambda-python build: credentials in index URLs are never printed or cached", () => {
    const PASSWORD = "s3cr3t-PW_42";
    /** Every file under `dir` whose bytes hold `text`. */
    const holding = (dir: string, text: string): string[] => {
        const out: string[] = [];
        const walk = (d: string) => {
            for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
                const p = path.join(d, e.name);
                if (e.isDirectory()) walk(p);
                else if (e.isFile() && fs.readFileSync(p).includes(text)) out.push(p);
            }
        };
        walk(dir);
        return out;
    };

    for (const installer of ["pip", "uv"]) {
        it(`an unreachable index's password stays masked in every message, from the requirements file, --installer-arg or the environment (${installer})`, () => {
            const url = `https://alice:${PASSWORD}@127.0.0.1:9/simple`;
            const ways: { files: Record<string, string>; args: string[]; env?: NodeJS.ProcessEnv }[] = [
                { files: { "requirements.txt": `--index-url ${url}\nsix==1.16.0\n` }, args: [] },
                { files: { "requirements.txt": "six==1.16.0\n" }, args: [`--installer-arg=--index-url=${url}`] },
                { files: { "requirements.txt": "six==1.16.0\n" }, args: [], env: { ...process.env, PIP_INDEX_URL: url } },
            ];
            for (const way of ways) {
                const app = writeFiles(tmpDir(), { "app.py": HANDLER, ...way.files });
                const cache = tmpDir("cache-");
                const r = cli(["build", app, "--installer", installer, "--runtime", "python3.12", "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", cache, ...way.args], { env: way.env });
                assert.equal(r.code, 2, r.stderr);
                assert.match(r.stderr, /six could not be looked up: the package index https:\/\/\*\*\*@127\.0\.0\.1:9\/simple could not be read/);
                assert.ok(!`${r.stdout}${r.stderr}`.includes(PASSWORD), r.stderr);
                assert.ok(!`${r.stdout}${r.stderr}`.includes("alice:"), r.stderr);
                assert.deepEqual(holding(cache, PASSWORD), []);
            }
        });
    }

    it("a requirements file holding an index password is not copied into the build cache", async () => {
        const index = await privateIndex();
        try {
            const withCredentials = index.url.replace("http://", `http://alice:${PASSWORD}@`);
            const app = writeFiles(tmpDir(), { "app.py": HANDLER, "requirements.txt": `--index-url ${withCredentials}\nlocalpkg==1.0\n` });
            const cache = tmpDir("cache-");
            const r = cli(["build", app, "--installer", "pip", "--runtime", "python3.12", "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", cache, "--json"]);
            assert.equal(r.code, 0, r.stderr);
            assert.ok(!`${r.stdout}${r.stderr}`.includes(PASSWORD));
            assert.deepEqual(holding(cache, PASSWORD), []);
        } finally {
            index.stop();
        }
    });
});

describe("lambda-python build: the cache under pressure", () => {
    it("two builds of the same inputs at once both succeed with the same archive", async () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "requirements.txt": "cowsay==6.1\n" });
        const cache = tmpDir("cache-race-");
        const outs = [path.join(tmpDir(), "a.zip"), path.join(tmpDir(), "b.zip")];
        const runs = outs.map((out) => cliAsync(["build", app, "--installer", "pip", "--cache-dir", cache, "--out", out, "--json", "--quiet"]));
        const results = await Promise.all(runs.map((r) => r.done));
        for (const r of results) assert.equal(r.code, 0, r.stderr);
        const [a, b] = results.map((r) => JSON.parse(r.stdout));
        assert.equal(a.sha256, b.sha256);
        assert.equal(pyZip(outs[0]).bad, null);
        assert.deepEqual(
            listing(path.join(cache, "archives")).filter((n) => n.includes(".tmp-")),
            [],
            "no temporary files left in the cache",
        );
    });

    it("a build killed while writing leaves nothing a later build would use", async () => {
        // Enough content that the kill lands mid-build; the assertions hold wherever it lands.
        const app = tmpDir("big-");
        for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(app, `blob${i}.bin`), Buffer.alloc(1 << 20, i));
        fs.writeFileSync(path.join(app, "app.py"), HANDLER);
        const cache = tmpDir("cache-kill-");
        const archives = path.join(cache, "archives");
        const run = cliAsync(["build", app, "--cache-dir", cache, "--out", path.join(tmpDir(), "k.zip"), "--quiet"]);
        // Kill as soon as a temporary archive appears (or when the build ends first).
        let finished = false;
        run.done.then(() => (finished = true));
        while (!finished && !listing(archives).some((n) => n.includes(".tmp-"))) await new Promise((r) => setTimeout(r, 5));
        run.kill("SIGKILL");
        await run.done;
        for (const name of listing(archives).filter((n) => n.endsWith(".zip") && !n.startsWith("."))) {
            assert.ok(fs.existsSync(path.join(archives, name.replace(/\.zip$/, ".json"))), `${name} is only used with its record, written after it is complete`);
        }
        const out = path.join(tmpDir(), "after.zip");
        const again = cli(["build", app, "--cache-dir", cache, "--out", out, "--json", "--quiet"]);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(pyZip(out).bad, null);
        const clean = path.join(tmpDir(), "clean.zip");
        const reference = cli(["build", app, "--cache-dir", tmpDir("cache-clean-"), "--out", clean, "--json", "--quiet"]);
        assert.equal(JSON.parse(again.stdout).sha256, JSON.parse(reference.stdout).sha256);
    });
});
