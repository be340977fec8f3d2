// The builder under hostile or unlucky inputs: secrets beside the code, an
// --out that points at an input, names and places it cannot write, full
// disks, interrupted builds, files bigger than Lambda allows, and a build
// cache damaged by hand. Each ends in an archive, one paragraph, or a finding;
// never a stack trace, a hang, or something left behind.
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { run } from "../shared/process";
import { cli, cliAsync, CLI, listing, pyRead, pyZip, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";
import { writeLocalWheel } from "./zip-crafter";

const HANDLER = "def handler(event, context):\n    return 'ok'\n";
const IS_ROOT = process.getuid?.() === 0;
/** Runs the CLI as root without the power to ignore file permissions, so permission errors happen. */
const WITHOUT_DAC = IS_ROOT ? ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] : undefined;
const sha = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

function buildJson(args: string[], options: { cwd?: string } = {}) {
    const r = cli(["build", ...args, "--json", "--quiet"], options);
    assert.equal(r.code, 0, `build failed:\n${r.stderr}\n${r.stdout}`);
    return JSON.parse(r.stdout);
}

/** A failed build: exit 2 (or `code`), one paragraph without a stack trace. */
function assertParagraph(r: { code: number; stderr: string; stdout: string }, pattern: RegExp, code = 2) {
    assert.equal(r.code, code, `expected exit ${code}, got ${r.code}:\n${r.stderr}${r.stdout}`);
    assert.doesNotMatch(r.stderr, /\n\s+at .*:\d+:\d+\)?\n/, "no stack trace");
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.match(r.stderr, pattern);
}

/** Every file below `dir` whose name marks it as temporary. */
function tempLeftovers(dir: string): string[] {
    const found: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
            const p = path.join(d, e.name);
            if (e.name.includes(".tmp-") || /^(install|child)-\d+(\.\d+)?-/.test(e.name)) found.push(p);
            if (e.isDirectory() && !e.name.includes(".tmp-")) walk(p);
        }
    };
    walk(dir);
    return found;
}

describe("build: credential files stay out", () => {
    const secrets = {
        "app.py": HANDLER,
        ".env": "DB_PASSWORD=hunter2\n",
        "prod.env": "TOKEN=x\n",
        ".envrc": "export AWS_SECRET_ACCESS_KEY=x\n",
        ".aws/credentials": "[default]\naws_secret_access_key = x\n",
        "config/credentials": "[default]\naws_secret_access_key = x\n",
        ".ssh/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        "deploy/id_rsa": "-----BEGIN RSA PRIVATE KEY-----\n",
        ".npmrc": "//registry.npmjs.org/:_authToken=x\n",
        ".pypirc": "[pypi]\npassword = x\n",
        ".netrc": "machine example.com password x\n",
        "infra/terraform.tfvars": 'db_password = "x"\n',
        "infra/staging.tfvars": 'db_password = "x"\n',
        "tls/server.key": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
        "tls/ca-bundle.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    };
    const expectedOut = [".aws/credentials", ".env", ".envrc", ".netrc", ".npmrc", ".pypirc", ".ssh/id_ed25519", "config/credentials", "deploy/id_rsa", "infra/staging.tfvars", "infra/terraform.tfvars", "prod.env", "tls/server.key"];

    it("leaves every credential file out and lists them in the JSON report", () => {
        const app = writeFiles(tmpDir(), secrets);
        const out = path.join(tmpDir(), "fn.zip");
        const report = buildJson([app, "--out", out, "--cache-dir", SHARED_CACHE]);
        assert.deepEqual(
            pyZip(out)
                .entries.filter((e) => !e.name.endsWith("/"))
                .map((e) => e.name),
            ["app.py", "tls/ca-bundle.pem"],
        );
        assert.deepEqual([...report.credentialsLeftOut].sort(), expectedOut);
    });

    it("names them in the text report too", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, ".env": "A=1\n", ".npmrc": "x\n" });
        const r = cli(["build", app, "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", SHARED_CACHE, "--quiet"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /left out +2 credential files: \.env, \.npmrc \(an --include naming one puts it back\)/);
    });

    it("judges a symbolic link by its target: a link to .env does not ship the secrets", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, ".env": "DB_PASSWORD=hunter2\n" });
        fs.symlinkSync(".env", path.join(app, "settings.txt"));
        const out = path.join(tmpDir(), "fn.zip");
        const report = buildJson([app, "--out", out, "--cache-dir", SHARED_CACHE]);
        assert.ok(!pyZip(out).entries.some((e) => e.name === "settings.txt"));
        assert.deepEqual(report.credentialsLeftOut.sort(), [".env", "settings.txt"]);
    });

    it("ships one only when an --include names it; catch-alls and --no-default-excludes do not", () => {
        const app = writeFiles(tmpDir(), secrets);
        const named = path.join(tmpDir(), "named.zip");
        const report = buildJson([app, "--out", named, "--cache-dir", SHARED_CACHE, "--include", "*.py", "--include", ".npmrc"]);
        assert.deepEqual(
            pyZip(named).entries.map((e) => e.name),
            [".npmrc", "app.py"],
        );
        assert.deepEqual(report.credentialsLeftOut, []);
        const all = path.join(tmpDir(), "all.zip");
        buildJson([app, "--out", all, "--cache-dir", SHARED_CACHE, "--include", "**", "--no-default-excludes"]);
        assert.deepEqual(
            pyZip(all)
                .entries.filter((e) => !e.name.endsWith("/"))
                .map((e) => e.name),
            ["app.py", "tls/ca-bundle.pem"],
        );
    });
});

describe("build: credentials in the files it would ship", () => {
    // Made up for the test, shaped like real keys.
    const KEY_ID = "AKIAZ7Q3WRTY5UIOP2LK";
    const SECRET_KEY = "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";

    it("refuses a config.json holding AWS keys, naming the file and never the keys", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "config.json": `{"aws_access_key_id": "${KEY_ID}", "aws_secret_access_key": "${SECRET_KEY}"}\n` });
        const out = path.join(tmpDir(), "fn.zip");
        const r = cli(["build", app, "--out", out, "--cache-dir", SHARED_CACHE, "--quiet"]);
        assertParagraph(r, /\[lambda-package-secrets\] fn\.zip ships credentials in a file: config\.json \(an AWS access key id, an AWS secret access key\)/, 1);
        assert.ok(!`${r.stdout}${r.stderr}`.includes(KEY_ID) && !`${r.stdout}${r.stderr}`.includes(SECRET_KEY));
        assert.ok(!fs.existsSync(out));
    });

    it("finds them however the builder came by the bytes: a file reused from the previous archive, a big file streamed in chunks", () => {
        const app = writeFiles(tmpDir(), {
            "app.py": HANDLER,
            "settings.py": `AWS_SECRET_ACCESS_KEY = "${SECRET_KEY}"\n`,
            "model/weights.txt": Buffer.concat([Buffer.from(`-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC${"Qx3v".repeat(16)}\n-----END RSA PRIVATE KEY-----\n`), Buffer.alloc(9 << 20, "a")]),
        });
        const cache = tmpDir("cache-");
        const expected = /ships credentials in 2 files: model\/weights\.txt \(a private key\), settings\.py \(an AWS secret access key\)/;
        const first = cli(["build", app, "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", cache, "--quiet"]);
        assertParagraph(first, expected, 1);
        // One file changed: the others' bytes (and what was found in them) come from the previous archive.
        fs.writeFileSync(path.join(app, "app.py"), `${HANDLER}# changed\n`);
        const second = cli(["build", app, "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", cache, "--quiet"]);
        assertParagraph(second, expected, 1);
    });

    it("leaves out a requirements file that holds an index password, and lists it", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "requirements.txt": "--index-url https://alice:s3cr3t-PW_42@127.0.0.1:9/simple\n", "constraints.txt": "six==1.16.0\n" });
        const out = path.join(tmpDir(), "fn.zip");
        const report = buildJson([app, "--out", out, "--cache-dir", SHARED_CACHE, "--no-detect"]);
        assert.deepEqual(
            pyZip(out)
                .entries.filter((e) => !e.name.endsWith("/"))
                .map((e) => e.name),
            ["app.py", "constraints.txt"],
        );
        assert.deepEqual(report.credentialsLeftOut, ["requirements.txt"]);
    });
});

describe("build: --out never overwrites an input", () => {
    it("refuses the requirements file as --out and leaves it as it was", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "requirements.txt": "cowsay==6.1\n" });
        const r = cli(["build", app, "--out", path.join(app, "requirements.txt"), "--cache-dir", SHARED_CACHE, "--quiet"]);
        assertParagraph(r, /--out .*requirements\.txt is the build's input .*requirements\.txt; writing the archive there would destroy it/);
        assert.equal(fs.readFileSync(path.join(app, "requirements.txt"), "utf8"), "cowsay==6.1\n");
    });

    it("refuses a source file as --out and leaves it as it was", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const r = cli(["build", app, "--out", path.join(app, "app.py"), "--cache-dir", SHARED_CACHE, "--quiet"]);
        assertParagraph(r, /--out .*app\.py is a file of the source folder .* and not an archive this tool wrote/);
        assert.equal(fs.readFileSync(path.join(app, "app.py"), "utf8"), HANDLER);
    });

    it("never packs its previous output: `build . --out ./function.zip` twice gives the same archive", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "lib/util.py": "X = 1\n" });
        const first = buildJson([".", "--out", "./function.zip", "--cache-dir", SHARED_CACHE], { cwd: app });
        const bytes = fs.readFileSync(path.join(app, "function.zip"));
        const second = buildJson([".", "--out", "./function.zip", "--cache-dir", SHARED_CACHE], { cwd: app });
        assert.equal(second.sha256, first.sha256);
        assert.deepEqual(fs.readFileSync(path.join(app, "function.zip")), bytes);
        assert.ok(!pyZip(path.join(app, "function.zip")).entries.some((e) => e.name.endsWith(".zip")));
    });

    it("refuses an --out that is a folder, or under a file, before building", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const folder = tmpDir();
        assertParagraph(cli(["build", app, "--out", folder, "--cache-dir", SHARED_CACHE, "--quiet"]), /--out .* is a folder; give the archive's file name/);
        assert.deepEqual(listing(folder), []);
        const file = path.join(tmpDir(), "plain.txt");
        fs.writeFileSync(file, "x");
        assertParagraph(cli(["build", app, "--out", path.join(file, "fn.zip"), "--cache-dir", SHARED_CACHE, "--quiet"]), /plain\.txt is a file, not a folder/);
    });
});

describe("build: errors, not crashes", () => {
    it("refuses a file name that is not UTF-8, naming it with the bad byte escaped; --exclude lets the build go on", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        fs.writeFileSync(Buffer.concat([Buffer.from(`${app}/caf`), Buffer.from([0xe9]), Buffer.from(".txt")]), "x");
        const out = path.join(tmpDir(), "fn.zip");
        const r = cli(["build", app, "--out", out, "--cache-dir", SHARED_CACHE, "--quiet"]);
        assertParagraph(r, /caf\\xe9\.txt has a name that is not valid UTF-8.*--exclude 'caf\*\.txt'/);
        assert.ok(!fs.existsSync(out));
        const ok = buildJson([app, "--out", out, "--cache-dir", SHARED_CACHE, "--exclude", "caf*.txt"]);
        assert.equal(ok.entries, 1);
    });

    it("refuses a --cache-dir that is a file", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const file = path.join(tmpDir(), "cache");
        fs.writeFileSync(file, "");
        assertParagraph(cli(["build", app, "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", file, "--quiet"]), /--cache-dir .*cache cannot be used: .*cache is a file, not a folder/);
    });

    (IS_ROOT ? it : it.skip)("an unreadable folder in the source folder", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "private/data.txt": "x" });
        fs.chmodSync(path.join(app, "private"), 0o000);
        try {
            const r = cli(["build", app, "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", SHARED_CACHE, "--quiet"], { prefix: WITHOUT_DAC });
            assertParagraph(r, /cannot read folder in the source folder .*private: permission denied/);
        } finally {
            fs.chmodSync(path.join(app, "private"), 0o755);
        }
    });

    (IS_ROOT ? it : it.skip)("an --out folder it cannot write to leaves nothing behind", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const outDir = tmpDir();
        fs.chmodSync(outDir, 0o555);
        try {
            const r = cli(["build", app, "--out", path.join(outDir, "fn.zip"), "--cache-dir", tmpDir("cache-"), "--quiet"], { prefix: WITHOUT_DAC });
            assertParagraph(r, /cannot write to the archive's destination .*fn\.zip \(--out\).*permission denied/);
            assert.deepEqual(listing(outDir), []);
        } finally {
            fs.chmodSync(outDir, 0o755);
        }
    });

    (IS_ROOT ? it : it.skip)("an --out inside the source folder, in a folder it cannot enter, is named as the destination, not a folder to exclude", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "dist/.keep": "" });
        fs.chmodSync(path.join(app, "dist"), 0o000);
        try {
            const r = cli(["build", app, "--out", path.join(app, "dist", "fn.zip"), "--cache-dir", tmpDir("cache-"), "--quiet"], { prefix: WITHOUT_DAC });
            assertParagraph(r, /cannot write to the archive's destination .*dist\/fn\.zip \(--out\).*permission denied/);
            assert.doesNotMatch(r.stderr, /cannot read|exclude it/);
        } finally {
            fs.chmodSync(path.join(app, "dist"), 0o755);
        }
    });

    (IS_ROOT ? it : it.skip)("a cache folder it cannot write to", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const cache = tmpDir("cache-");
        fs.chmodSync(cache, 0o555);
        try {
            const r = cli(["build", app, "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", cache, "--quiet"], { prefix: WITHOUT_DAC });
            assertParagraph(r, /--cache-dir .* is not writable \(permission denied\)/);
        } finally {
            fs.chmodSync(cache, 0o755);
        }
    });

    describe("a full disk", () => {
        let mnt: string | undefined;
        let why = "";
        before(function () {
            if (!IS_ROOT) why = "needs root to mount a small tmpfs";
            else {
                mnt = tmpDir("tmpfs-");
                const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt], { encoding: "utf8" });
                if (r.status !== 0) {
                    why = `cannot mount a tmpfs here: ${r.stderr.trim()}`;
                    mnt = undefined;
                }
            }
            if (!mnt) {
                console.log(`      skipped: ${why}`);
                this.skip();
            }
        });
        after(() => {
            if (mnt) spawnSync("umount", [mnt]);
        });
        const bigApp = () => writeFiles(tmpDir(), { "app.py": HANDLER, "data.bin": crypto.randomBytes(6 << 20) });

        it("in the build cache: one paragraph, no temporary file left", () => {
            const cache = path.join(mnt!, "cache");
            const r = cli(["build", bigApp(), "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", cache, "--quiet"]);
            assertParagraph(r, /no space left for the build cache .* \(--cache-dir, LAMBDA_PYTHON_CACHE_DIR\).*nothing was written/s);
            assert.deepEqual(tempLeftovers(cache), []);
            assert.deepEqual(
                listing(path.join(cache, "archives")).filter((n) => n.endsWith(".zip")),
                [],
            );
        });

        it("in the build cache while many files wait in spill files: the cache is named, not a source file", () => {
            const files: Record<string, string | Buffer> = { "app.py": HANDLER };
            for (let i = 0; i < 24; i++) files[`data/f${i}.bin`] = crypto.randomBytes(1_500_000);
            const cache = path.join(mnt!, "cache");
            const r = cli(["build", writeFiles(tmpDir(), files), "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", cache, "--quiet"]);
            assertParagraph(r, /no space left for the build cache .* \(--cache-dir, LAMBDA_PYTHON_CACHE_DIR\)/);
            assert.doesNotMatch(r.stderr, /cannot read|source folder|changed or disappeared/);
            assert.deepEqual(tempLeftovers(cache), []);
        });

        it("at --out on another file system: one paragraph, no half zip", () => {
            const outDir = path.join(mnt!, "out");
            const r = cli(["build", bigApp(), "--out", path.join(outDir, "fn.zip"), "--cache-dir", tmpDir("cache-"), "--quiet"]);
            assertParagraph(r, /no space left for the archive's destination .*fn\.zip \(--out\)/);
            assert.deepEqual(listing(outDir), []);
        });
    });

    it("checks a handler module of a million blank lines without hanging", async () => {
        const app = writeFiles(tmpDir(), { "app.py": "\n".repeat(1 << 20) });
        // The quadratic pattern took many minutes here; a child with a kill timer turns a hang into a failure.
        const child = spawn(process.execPath, [CLI, "build", app, "--handler", "app.handler", "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", SHARED_CACHE, "--quiet"]);
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
        const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.on("close", (c, s) => r([c, s])));
        clearTimeout(timer);
        assert.equal(signal, null, "the build finished by itself");
        assert.equal(code, 1);
        assert.match(stderr, /app\.py in fn\.zip does not define handler/);
    });

    it("survives a child that exits without reading its input (EPIPE on stdin)", async () => {
        const input = "x".repeat(4 << 20); // far more than a pipe holds, so the write outlives the child
        for (let i = 0; i < 10; i++) {
            const r = await run("true", [], { input });
            assert.equal(r.code, 0);
        }
    });
});

describe("cli: a Node.js too old for it", () => {
    /** A node binary on PATH older than package.json's engines (the machine's own Node 20 here), if there is one. */
    function oldNode(): string | undefined {
        const required = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")).engines.node.replace(/^>=/, "");
        const older = (v: string) => {
            const [a, b] = v.split(".").map(Number);
            const [c, d] = required.split(".").map(Number);
            return a < c || (a === c && b < d);
        };
        for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/bin", "/usr/local/bin"])) {
            const node = path.join(dir, "node");
            if (!fs.existsSync(node)) continue;
            const r = spawnSync(node, ["-p", "process.versions.node"], { encoding: "utf8" });
            if (r.status === 0 && older(r.stdout.trim())) return node;
        }
        return undefined;
    }

    it("gets one sentence and exit 2 before any command runs", function (this: Mocha.Context) {
        const node = oldNode();
        if (!node) {
            console.log("      skipped: no Node.js older than the package's engines on this machine");
            this.skip();
        }
        for (const args of [
            ["preview", tmpDir()],
            ["build", "--help"],
            ["inspect", "/nonexistent.zip"],
        ]) {
            const r = spawnSync(node as string, [CLI, ...args], { encoding: "utf8" }) as { status: number | null; stdout: string; stderr: string };
            assert.equal(r.status, 2, r.stderr);
            assert.equal(r.stdout, "");
            assert.match(r.stderr, /^lambda-python: error: pulumi-lambda-python needs Node\.js 22\.12 or newer, and this is Node\.js \d+\.\d+\.\d+ \(.*\); install Node\.js 24 LTS \(or 22\.12\+\) and run again\.\n$/);
        }
    });
});

describe("build: interrupted", () => {
    /** Live (not zombie) processes whose parent chain reaches `root`. */
    function descendants(root: number): number[] {
        const parent = new Map<number, number>();
        for (const name of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(name)) continue;
            try {
                const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
                const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
                if (fields[0] !== "Z") parent.set(Number(name), Number(fields[1]));
            } catch {
                // gone meanwhile
            }
        }
        const out: number[] = [];
        for (const pid of parent.keys()) {
            for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
                if (p === root) {
                    out.push(pid);
                    break;
                }
            }
        }
        return out;
    }
    const alive = (pid: number) => {
        try {
            return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
        } catch {
            return false;
        }
    };

    /** Polls until `ready()` holds (true) or the build has ended (false). */
    async function until(build: { done: Promise<unknown> }, ready: () => boolean): Promise<boolean> {
        let finished = false;
        build.done.then(() => (finished = true));
        while (!finished) {
            if (ready()) return true;
            await new Promise((r) => setTimeout(r, 20));
        }
        return false;
    }
    const runsPipInstall = (pid: number) =>
        descendants(pid).some((k) => {
            try {
                const cmd = fs.readFileSync(`/proc/${k}/cmdline`, "utf8");
                return /pip/.test(cmd) && /\binstall\b/.test(cmd);
            } catch {
                return false;
            }
        });
    /** Waits (a few seconds at most) for killed processes to be gone; returns those still running. */
    async function stillRunning(pids: number[]): Promise<number[]> {
        for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
        return pids.filter(alive);
    }

    it("SIGKILL while pip installs: the next build stops the orphaned installer and removes what the killed build left", async () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "requirements.txt": "pandas==2.2.3\n" });
        const cache = tmpDir("cache-sigkill-");
        const build = cliAsync(["build", app, "--installer", "pip", "--runtime", "python3.12", "--cache-dir", cache, "--out", path.join(tmpDir("out-"), "fn.zip"), "--quiet"]);
        assert.ok(await until(build, () => runsPipInstall(build.pid()!)), "the build was still installing when it was killed");
        const orphans = descendants(build.pid()!);
        build.kill("SIGKILL"); // no handler runs: nothing is cleaned, and pip (a process group of its own) lives on
        await build.done;
        assert.notDeepEqual(listing(path.join(cache, "tmp")), [], "the killed build left its install and pip's TMPDIR");
        const next = cli(["build", writeFiles(tmpDir(), { "app.py": HANDLER }), "--cache-dir", cache, "--out", path.join(tmpDir(), "fn.zip"), "--quiet"]);
        assert.equal(next.code, 0, next.stderr);
        assert.deepEqual(await stillRunning(orphans), [], "no process of the killed build survives the next build");
        assert.deepEqual(listing(path.join(cache, "tmp")), []);
        assert.deepEqual(tempLeftovers(cache), []);
    });

    it("SIGKILL while compressing: the next build removes the spill and spool files, and ships the same archive", async () => {
        const files: Record<string, string | Buffer> = { "app.py": HANDLER, "big.bin": crypto.randomBytes(12 << 20) };
        for (let i = 0; i < 40; i++) files[`data/f${i}.txt`] = crypto.randomBytes(900_000).toString("base64");
        const app = writeFiles(tmpDir(), files);
        const cache = tmpDir("cache-sigkill-");
        const out = path.join(tmpDir("out-"), "fn.zip");
        const build = cliAsync(["build", app, "--cache-dir", cache, "--out", out, "--quiet"]);
        const spilling = () => listing(path.join(cache, "tmp")).some((n) => /\.(spill|spool)\.tmp-/.test(n));
        assert.ok(await until(build, spilling), "the build was compressing into spill files when it was killed");
        build.kill("SIGKILL");
        await build.done;
        assert.ok(tempLeftovers(cache).length > 0, "the killed build left its spill files");
        const next = buildJson([app, "--cache-dir", cache, "--out", out]);
        assert.equal(next.cache.archive, "miss");
        assert.deepEqual(tempLeftovers(cache), []);
        assert.deepEqual(tempLeftovers(path.dirname(out)), []);
        assert.equal(buildJson([app, "--cache-dir", tmpDir("cache-"), "--out", path.join(tmpDir(), "clean.zip")]).sha256, next.sha256);
    });

    it("SIGTERM during a cold install stops pip with everything it started and removes the temporary folders", async () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER, "requirements.txt": "pandas==2.2.3\n" });
        const cache = tmpDir("cache-kill-");
        const outDir = tmpDir("out-");
        const build = cliAsync(["build", app, "--installer", "pip", "--runtime", "python3.12", "--cache-dir", cache, "--out", path.join(outDir, "fn.zip"), "--quiet"]);
        let finished = false;
        build.done.then(() => (finished = true));
        const seen = new Set<number>();
        // Wait until pip runs (a child whose command line names pip), then stop the build.
        while (!finished) {
            const kids = descendants(build.pid()!);
            kids.forEach((k) => seen.add(k));
            const pip = kids.some((k) => {
                try {
                    const cmd = fs.readFileSync(`/proc/${k}/cmdline`, "utf8");
                    return /pip/.test(cmd) && /\binstall\b/.test(cmd);
                } catch {
                    return false;
                }
            });
            if (pip) break;
            await new Promise((r) => setTimeout(r, 20));
        }
        assert.ok(!finished, "the build was still installing when it was stopped");
        for (const k of descendants(build.pid()!)) seen.add(k);
        build.kill("SIGTERM");
        const r = await build.done;
        assert.equal(r.code, 143, r.stderr);
        assert.deepEqual([...seen].filter(alive), [], "no child process of the build survives it");
        assert.deepEqual(listing(path.join(cache, "tmp")), [], "no temporary folder (ours or pip's TMPDIR) remains");
        assert.deepEqual(tempLeftovers(cache), []);
        assert.deepEqual(listing(outDir), []);
    });
});

describe("build: large files", () => {
    it("refuses a file bigger than Lambda's unzipped limit before compressing it, naming it", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const big = path.join(app, "model.bin");
        fs.writeFileSync(big, "");
        fs.truncateSync(big, 300 * 1024 * 1024); // sparse: 300 MB of zeros without writing them
        const cache = tmpDir("cache-");
        const r = cli(["build", app, "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", cache, "--quiet"]);
        assertParagraph(r, /\[lambda-unzipped-size\] .*model\.bin is 300 MB \(314,572,800 bytes\), more than Lambda's limit of 250 MB .*it was not compressed/, 1);
        assert.deepEqual(listing(path.join(cache, "archives")), []);
        assert.deepEqual(listing(path.join(cache, "tmp")), []);
    });

    it("streams a file above 64 MiB: Python's zipfile reads it back whole and cold builds agree byte for byte", () => {
        const app = writeFiles(tmpDir(), { "app.py": HANDLER });
        const big = path.join(app, "data.bin");
        const fd = fs.openSync(big, "w");
        for (let i = 0; i < 70; i++) fs.writeSync(fd, i % 7 === 0 ? crypto.randomBytes(1 << 20) : Buffer.alloc(1 << 20, i));
        fs.closeSync(fd);
        const outs = [path.join(tmpDir(), "a.zip"), path.join(tmpDir(), "b.zip")];
        const reports = outs.map((out) => buildJson([app, "--out", out, "--cache-dir", tmpDir("cache-")]));
        assert.equal(reports[0].sha256, reports[1].sha256);
        const { entries, bad } = pyZip(outs[0]);
        assert.equal(bad, null, "every CRC checks out");
        const e = entries.find((x) => x.name === "data.bin")!;
        assert.equal(e.compress_type, 8);
        assert.ok(e.compress_size < e.file_size);
        assert.equal(crypto.createHash("sha256").update(pyRead(outs[0], "data.bin")).digest("hex"), sha(big));
    });
});

describe("build: local requirement paths", () => {
    for (const installer of ["pip", "uv"]) {
        it(`resolves ./wheels/… beside the requirements file, whatever the current folder (${installer})`, () => {
            const project = tmpDir("proj-");
            const app = writeFiles(path.join(project, "app"), { "app.py": HANDLER });
            writeLocalWheel(path.join(project, "deps", "wheels"));
            writeFiles(project, { "deps/requirements.txt": "./wheels/localpkg-1.0-py3-none-any.whl\n" });
            const elsewhere = tmpDir("cwd-");
            const out = path.join(tmpDir(), "fn.zip");
            buildJson([app, "--requirements", path.join(project, "deps", "requirements.txt"), "--installer", installer, "--out", out, "--cache-dir", SHARED_CACHE], { cwd: elsewhere });
            assert.equal(pyRead(out, "localpkg/__init__.py").toString(), "VALUE = 42\n");
        });
    }
});

describe("build: a cache damaged by hand is rebuilt, never shipped", () => {
    const build = (app: string, cache: string) => {
        const out = path.join(tmpDir(), "fn.zip");
        return { report: buildJson([app, "--installer", "pip", "--runtime", "python3.12", "--out", out, "--cache-dir", cache]), out };
    };
    const cowsay = () => writeFiles(tmpDir(), { "app.py": HANDLER, "requirements.txt": "cowsay==6.1\n" });
    const only = (dir: string) => {
        const names = listing(dir);
        assert.equal(names.length, 1, `${dir}: ${names}`);
        return path.join(dir, names[0]);
    };

    it("a truncated install manifest: installed again", () => {
        const app = cowsay();
        const cache = tmpDir("cache-");
        const first = build(app, cache);
        const manifest = path.join(only(path.join(cache, "installs")), "manifest.json");
        fs.truncateSync(manifest, 100);
        fs.writeFileSync(path.join(app, "app.py"), `${HANDLER}# changed\n`); // an archive miss, so the install is read
        const second = build(app, cache);
        assert.equal(second.report.cache.install, "miss");
        fs.writeFileSync(path.join(app, "app.py"), HANDLER);
        assert.equal(build(app, cache).report.sha256, first.report.sha256);
        JSON.parse(fs.readFileSync(manifest, "utf8"));
    });

    it("an altered installed file: detected when it is compressed, installed again, the true bytes shipped", () => {
        const app = cowsay();
        const cache = tmpDir("cache-");
        const first = build(app, cache);
        const installed = path.join(only(path.join(cache, "installs")), "site-packages", "cowsay", "__init__.py");
        const original = fs.readFileSync(installed);
        fs.appendFileSync(installed, "\nraise SystemExit('tampered')\n");
        // No archive to reuse: every entry is compressed from the install.
        for (const d of ["archives", "slots"]) fs.rmSync(path.join(cache, d), { recursive: true, force: true });
        const second = build(app, cache);
        assert.equal(second.report.sha256, first.report.sha256);
        assert.deepEqual(pyRead(second.out, "cowsay/__init__.py"), original);
    });

    /** Flips bytes in the middle of a file and puts its mtime back, as rot on disk would leave it. */
    const rot = (file: string) => {
        const st = fs.statSync(file);
        const ns = fs.statSync(file, { bigint: true }).mtimeNs;
        const fd = fs.openSync(file, "r+");
        const at = Math.floor(st.size / 2);
        const b = Buffer.alloc(4);
        fs.readSync(fd, b, 0, 4, at);
        for (let i = 0; i < 4; i++) b[i] ^= 0x5a;
        fs.writeSync(fd, b, 0, 4, at);
        fs.closeSync(fd);
        // To the nanosecond (utimes through Node rounds to microseconds): the mtime the record holds.
        spawnSync("touch", ["-m", "-d", `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, "0")}`, file]);
        assert.equal(fs.statSync(file).mtimeMs, st.mtimeMs);
    };
    const cachedZip = (cache: string) => path.join(cache, "archives", listing(path.join(cache, "archives")).find((n) => n.endsWith(".zip") && !n.startsWith("."))!);

    it("bytes rotted in a cached archive, its size and mtime unchanged: built again, never shipped, on the next build and every later one", () => {
        const files: Record<string, string | Buffer> = { "app.py": HANDLER };
        for (let i = 0; i < 20; i++) files[`lib/m${i}.py`] = `VALUE = ${i}\n${"# filler\n".repeat(500)}`;
        for (const args of [[], ["--site-packages", writeFiles(tmpDir(), { "dep/__init__.py": "X = 1\n" })]]) {
            const app = writeFiles(tmpDir(), files);
            const cache = tmpDir("cache-");
            const first = buildJson([app, "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", cache, ...args]);
            rot(cachedZip(cache));
            for (let i = 0; i < 2; i++) {
                const out = path.join(tmpDir(), "fn.zip");
                const again = buildJson([app, "--out", out, "--cache-dir", cache, ...args]);
                assert.equal(again.cache.archive, i === 0 ? "miss" : "hit");
                assert.equal(again.sha256, first.sha256);
                assert.equal(pyZip(out).bad, null);
            }
        }
    });

    it("bytes rotted in the previous archive a rebuild reuses entries from: not reused, the rebuild is sound", () => {
        const files: Record<string, string | Buffer> = { "app.py": HANDLER };
        for (let i = 0; i < 40; i++) files[`lib/m${i}.py`] = `VALUE = ${i}\n${"# filler line\n".repeat(2000)}`;
        const app = writeFiles(tmpDir(), files);
        const cache = tmpDir("cache-");
        buildJson([app, "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", cache]);
        rot(cachedZip(cache));
        fs.writeFileSync(path.join(app, "app.py"), `${HANDLER}# changed\n`);
        const out = path.join(tmpDir(), "fn.zip");
        const rebuilt = buildJson([app, "--out", out, "--cache-dir", cache]);
        assert.equal(pyZip(out).bad, null, "every entry's CRC checks out");
        assert.equal(rebuilt.sha256, buildJson([app, "--out", path.join(tmpDir(), "clean.zip"), "--cache-dir", tmpDir("cache-")]).sha256);
    });

    it("a previous archive's manifest with changed offsets (still valid JSON): not used, the rebuild is sound", () => {
        const files: Record<string, string | Buffer> = { "app.py": HANDLER };
        for (let i = 0; i < 40; i++) files[`lib/m${i}.py`] = `VALUE = ${i}\n${"# filler line\n".repeat(2000)}`;
        const app = writeFiles(tmpDir(), files);
        const cache = tmpDir("cache-");
        buildJson([app, "--out", path.join(tmpDir(), "fn.zip"), "--cache-dir", cache]);
        const manifest = cachedZip(cache).replace(/\.zip$/, ".manifest.json");
        fs.writeFileSync(
            manifest,
            fs.readFileSync(manifest, "utf8").replace(/"dataOffset":(\d+)/g, (_, n) => `"dataOffset":${Number(n) + 7}`),
        );
        fs.writeFileSync(path.join(app, "app.py"), `${HANDLER}# changed\n`);
        const out = path.join(tmpDir(), "fn.zip");
        const rebuilt = buildJson([app, "--out", out, "--cache-dir", cache]);
        assert.equal(pyZip(out).bad, null);
        assert.equal(rebuilt.sha256, buildJson([app, "--out", path.join(tmpDir(), "clean.zip"), "--cache-dir", tmpDir("cache-")]).sha256);
    });

    it("flipped bytes in a cached archive or a truncated record: built again, identical to a clean build", () => {
        const app = cowsay();
        const cache = tmpDir("cache-");
        const first = build(app, cache);
        const zip = listing(path.join(cache, "archives")).find((n) => n.endsWith(".zip") && !n.startsWith("."))!;
        const zipPath = path.join(cache, "archives", zip);
        const fd = fs.openSync(zipPath, "r+");
        fs.writeSync(fd, Buffer.from([0xff, 0x00, 0xff]), 0, 3, 200);
        fs.closeSync(fd);
        const second = build(app, cache);
        assert.equal(second.report.cache.archive, "miss");
        assert.equal(second.report.sha256, first.report.sha256);
        assert.equal(pyZip(second.out).bad, null);
        fs.truncateSync(path.join(cache, "archives", zip.replace(/\.zip$/, ".json")), 10);
        const third = build(app, cache);
        assert.equal(third.report.cache.archive, "miss");
        assert.equal(third.report.sha256, first.report.sha256);
    });
});
