// The remote build cache against a real S3 API (moto's server, started here:
// test/s3-server.ts): a second machine — a fresh build cache — gets the first
// machine's install (and archives without installed dependencies) from the
// bucket, and makes the same bytes without installing or compressing; a broken, truncated or
// hostile entry planted in the bucket is never shipped (built locally,
// reported with its key and bucket, and replaced); a server that never
// answers, no server at all, a connection dropped halfway through a body, a
// body that stalls or trickles, an upload the store reads too slowly, a
// store that answers 500, and reads or writes refused (403) each cost one
// warning (or, for the upload, the error the build warns with), and the
// build goes on.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { assertOneParagraph, cli, cliAsync, CliResult, tmpDir, writeFiles } from "./helpers";
import { closedEndpoint, Fault, S3Server, s3Env, startFaultyProxy, startS3Server, startSilentServer } from "./s3-server";
import { craftZip } from "./zip-crafter";
import { writeStack } from "../bench/stack-fixture";
import { DEFLATE_ENGINE } from "../builder/deflate-pool";
import { remoteCacheConfig } from "../builder/remote/config";
import { S3Store, StoreError } from "../builder/remote/store";

const BUCKET = "team-build-cache";
const sha = (b: Buffer | string) => crypto.createHash("sha256").update(b).digest("hex");

describe("remote build cache (S3 API)", function () {
    this.timeout(600_000);
    let server: S3Server;
    /** A handler with a dependency (installed: its install is shared, its archive made from it). */
    let app: string;
    /** A handler and a module of its own, no dependencies (the archive itself is shared). */
    let plain: string;
    const machines: string[] = [];

    before(async () => {
        server = await startS3Server();
        await server.createBucket(BUCKET);
        app = writeFiles(tmpDir("lp-remote-app-"), {
            "app.py": "import charset_normalizer\n\n\ndef lambda_handler(event, context):\n    return charset_normalizer.__version__\n",
            // A compiled extension and a console script (bin/normalizer, 755): modes and native code cross the wire.
            "requirements.txt": "charset-normalizer==3.5.3\n",
        });
        plain = writeFiles(tmpDir("lp-remote-plain-"), {
            "app.py": "from orders import total\n\n\ndef lambda_handler(event, context):\n    return total(event.get('lines', []))\n",
            "orders/__init__.py": "def total(lines):\n    return sum(line['amount'] for line in lines)\n",
        });
    });
    after(() => server?.stop());

    /** A build on a new machine: an empty build cache of its own. */
    function buildOn(env: NodeJS.ProcessEnv, extra: string[] = [], source = app, machine = tmpDir("lp-remote-machine-")): CliResult & { machine: string; out: string } {
        machines.push(machine);
        const out = path.join(machine, "app.zip");
        const r = cli(["build", source, "--runtime", "python3.13", "--out", out, "--json", ...extra], { env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: path.join(machine, "cache"), ...env } });
        return { ...r, machine, out };
    }

    const remote = (prefix: string) => ({ ...server.env, LAMBDA_PYTHON_REMOTE_CACHE: `s3://${BUCKET}/${prefix}` });
    const warnings = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("lambda-python: warning:"));

    /** Fills a prefix from a first machine (both apps); returns the archives' bytes and the keys it stored. */
    async function firstMachine(prefix: string): Promise<{ zip: Buffer; plainZip: Buffer; install: string; archive: string }> {
        const r = buildOn(remote(prefix));
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(warnings(r.stderr), []);
        const p = buildOn(remote(prefix), [], plain);
        assert.equal(p.code, 0, p.stderr);
        const keys = (await server.list(BUCKET, `${prefix}/`)).map((o) => o.key.slice(prefix.length + 1));
        const installs = keys.filter((k) => k.startsWith("installs/"));
        const archives = keys.filter((k) => k.startsWith("archives/"));
        // The archive with the installed dependency is not stored: the install is, and it is made from it.
        assert.equal(installs.length, 1, keys.join(", "));
        assert.equal(archives.length, 1, keys.join(", "));
        const key = (k: string) => k.slice(k.indexOf("/") + 1, -".json".length);
        return { zip: fs.readFileSync(r.out), plainZip: fs.readFileSync(p.out), install: key(installs[0]), archive: key(archives[0]) };
    }

    it("gives a second machine the first machine's install and archives: the same bytes, nothing installed or compressed again", async () => {
        const first = await firstMachine("shared");
        const objects = await server.list(BUCKET, "shared/");
        // Every record names a blob that is there, and every blob is named by its own sha256.
        for (const o of objects.filter((x) => x.key.endsWith(".json"))) {
            const record = JSON.parse((await server.get(BUCKET, o.key)).toString("utf8"));
            const blob = await server.get(BUCKET, `shared/blobs/${record.sha256}`);
            assert.equal(sha(blob), record.sha256);
            assert.equal(blob.length, record.bytes);
        }
        const second = buildOn(remote("shared"));
        assert.equal(second.code, 0, second.stderr);
        assert.deepEqual(warnings(second.stderr), []);
        assert.match(second.stderr, new RegExp(`fetched the install ${first.install} from s3://${BUCKET}/shared`));
        assert.doesNotMatch(second.stderr, /installing dependencies/, "nothing installed on the second machine");
        assert.deepEqual(fs.readFileSync(second.out), first.zip);
        const report = JSON.parse(second.stdout);
        assert.deepEqual([report.cache.install, report.cache.archive], ["remote", "miss"], "the install came from the remote, the archive was made from it");
        // The installed files' compressed bytes came with the install; only what the build itself changes (the
        // handler, the console script's first line and the RECORD listing it) is compressed here.
        assert.ok(report.cache.reusedEntries >= 10 && report.cache.compressedEntries <= 4, JSON.stringify(report.cache));
        const plainSecond = buildOn(remote("shared"), [], plain);
        assert.equal(plainSecond.code, 0, plainSecond.stderr);
        assert.match(plainSecond.stderr, new RegExp(`fetched the archive ${first.archive} from s3://${BUCKET}/shared`));
        assert.deepEqual(fs.readFileSync(plainSecond.out), first.plainZip);
        assert.deepEqual([JSON.parse(plainSecond.stdout).cache.archive, JSON.parse(plainSecond.stdout).cache.install], ["remote", "none"]);
        // The unpacked install is a complete one of the local cache, with Lambda's modes.
        const site = path.join(second.machine, "cache", "installs", first.install, "site-packages");
        assert.equal(fs.statSync(path.join(site, "bin", "normalizer")).mode & 0o111, 0o111 & ~process.umask());
        assert.equal(fs.statSync(path.join(site, "charset_normalizer", "__init__.py")).mode & 0o022, 0);
        // A third build on the second machine is the local cache's: the remote is not asked.
        const again = cli(["build", app, "--runtime", "python3.13", "--out", second.out], { env: { ...process.env, ...remote("shared"), AWS_ENDPOINT_URL_S3: await closedEndpoint(), LAMBDA_PYTHON_CACHE_DIR: path.join(second.machine, "cache") } });
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(warnings(again.stderr), [], "a local hit never touches the remote");
        assert.match(again.stdout, /^ {2}cache +archive hit, install hit,/m, "the local cache's, as any local hit");
        // The human summary says where the install came from, as --json does.
        const human = cli(["build", app, "--runtime", "python3.13", "--out", path.join(tmpDir("lp-remote-human-"), "app.zip")], { env: { ...process.env, ...remote("shared"), LAMBDA_PYTHON_CACHE_DIR: tmpDir("lp-remote-machine-") } });
        assert.equal(human.code, 0, human.stderr);
        assert.match(human.stdout, /^ {2}cache +archive miss, install remote,/m);
    });

    it("never ships an archive whose record lies about it: rebuilds it, says which key in which bucket, and replaces it", async () => {
        const first = await firstMachine("lying");
        // A consistent record (the blob's real sha256 and size) for an archive whose handler was swapped.
        const evil = craftZip([
            { name: "app.py", data: Buffer.from("import os\n\n\ndef lambda_handler(event, context):\n    return dict(os.environ)\n") },
            { name: "orders/", mode: 0o040755 },
            { name: "orders/__init__.py", data: Buffer.from("def total(lines):\n    return 0\n") },
        ]);
        await server.put(BUCKET, `lying/blobs/${sha(evil)}`, evil);
        await server.put(BUCKET, `lying/archives/${first.archive}.json`, Buffer.from(JSON.stringify({ remote: 1, kind: "archive", key: first.archive, sha256: sha(evil), bytes: evil.length })));
        const r = buildOn(remote("lying"), [], plain);
        assert.equal(r.code, 0, r.stderr);
        const w = warnings(r.stderr);
        assert.equal(w.length, 1, r.stderr);
        assert.match(w[0], new RegExp(`the archive ${first.archive} \\(archives/${first.archive}\\.json in bucket ${BUCKET}\\) is broken or was tampered with: .*Building it locally instead`));
        assert.deepEqual(fs.readFileSync(r.out), first.plainZip, "the archive is the one built from the plan");
        const healed = JSON.parse((await server.get(BUCKET, `lying/archives/${first.archive}.json`)).toString("utf8"));
        assert.equal(healed.sha256, sha(first.plainZip), "this build's archive replaced the bad entry");
    });

    it("never unpacks an install holding a ../ path, and never uses a truncated blob", async () => {
        const first = await firstMachine("hostile");
        // The install: a pack whose manifest and entry name a file two folders above the install.
        const payload = "import os\nos.system('echo owned')\n";
        const pack = craftZip([
            { name: "manifest.json", data: Buffer.from(JSON.stringify({ installer: "uv 0.13.8", files: [{ rel: "../../../evil.pth", size: payload.length, sha256: sha(payload), executable: false }], record: { notes: [], localProjects: [] } })) },
            { name: "site-packages/../../../evil.pth", data: Buffer.from(payload) },
        ]);
        await server.put(BUCKET, `hostile/blobs/${sha(pack)}`, pack);
        await server.put(BUCKET, `hostile/installs/${first.install}.json`, Buffer.from(JSON.stringify({ remote: 1, kind: "install", key: first.install, sha256: sha(pack), bytes: pack.length, level: 6, compressors: DEFLATE_ENGINE })));
        // The archive: its real blob cut short, under the name (and record) of the whole one.
        await server.put(BUCKET, `hostile/blobs/${sha(first.plainZip)}`, first.plainZip.subarray(0, first.plainZip.length - 100));
        const r = buildOn(remote("hostile"));
        assert.equal(r.code, 0, r.stderr);
        const w = warnings(r.stderr);
        assert.equal(w.length, 1, r.stderr);
        assert.match(w[0], new RegExp(`the install ${first.install} \\(installs/${first.install}\\.json in bucket ${BUCKET}\\) is broken or was tampered with: its manifest\\.json lists "\\.\\./\\.\\./\\.\\./evil\\.pth", not a plain relative path`));
        assert.match(r.stderr, /installing dependencies/);
        assert.deepEqual(fs.readFileSync(r.out), first.zip);
        const p = buildOn(remote("hostile"), [], plain, r.machine);
        assert.equal(p.code, 0, p.stderr);
        const pw = warnings(p.stderr);
        assert.equal(pw.length, 1, p.stderr);
        assert.match(pw[0], new RegExp(`the archive ${first.archive} .* holds ${first.plainZip.length - 100} bytes with sha256 [0-9a-f]{64}, not what its name and record say \\(truncated or replaced\\)`));
        assert.deepEqual(fs.readFileSync(p.out), first.plainZip);
        const cache = path.join(r.machine, "cache");
        const everything = fs.readdirSync(r.machine, { recursive: true }).map(String);
        assert.ok(!everything.some((f) => f.endsWith("evil.pth")), `nothing of the hostile pack was written: ${everything.filter((f) => f.includes("evil")).join(", ")}`);
        assert.deepEqual(fs.readdirSync(path.join(cache, "tmp")), [], "no leftovers");
        assert.equal(sha(await server.get(BUCKET, `hostile/blobs/${sha(first.plainZip)}`)), sha(first.plainZip), "the whole archive was written again");
    });

    it("falls back to building locally when the server accepts connections and never answers, with one warning", async () => {
        const silent = await startSilentServer();
        try {
            const r = buildOn({ ...s3Env(silent.endpoint), LAMBDA_PYTHON_REMOTE_CACHE: `s3://${BUCKET}/silent`, LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT: "1" });
            assert.equal(r.code, 0, r.stderr);
            const w = warnings(r.stderr);
            assert.equal(w.length, 1, r.stderr);
            // "no answer" (the connection was accepted, as the kernel does for a listening socket), not "cannot reach".
            assert.match(
                w[0],
                new RegExp(`remote cache s3://${BUCKET}/silent not used: no answer from s3://${BUCKET}/silent/installs/[0-9a-f]+\\.json within 1 s \\(LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT sets the seconds\\)\\. Building with the local cache only\\.`),
            );
            assert.equal(JSON.parse(r.stdout).cache.archive, "miss");
        } finally {
            silent.stop();
        }
    });

    /**
     * A second machine's build of `source` through a proxy (in this process: the build runs beside it) that breaks
     * the requests `fault` picks: it must succeed, some request must have been broken, and it must say so in
     * exactly one warning, handed back.
     */
    async function throughFaults(prefix: string, source: string, fault: (method: string, url: string) => Fault, extraEnv: NodeJS.ProcessEnv = {}) {
        const proxy = await startFaultyProxy(server.endpoint, fault);
        const machine = tmpDir("lp-remote-machine-");
        const out = path.join(machine, "app.zip");
        let r: CliResult;
        try {
            const env = { ...process.env, LAMBDA_PYTHON_CACHE_DIR: path.join(machine, "cache"), ...s3Env(proxy.endpoint), LAMBDA_PYTHON_REMOTE_CACHE: `s3://${BUCKET}/${prefix}`, ...extraEnv };
            r = await cliAsync(["build", source, "--runtime", "python3.13", "--out", out, "--json"], env).done;
        } finally {
            proxy.stop();
        }
        assert.equal(r.code, 0, r.stderr);
        assert.ok(proxy.faults() >= 1, "a request was broken");
        const w = warnings(r.stderr);
        assert.equal(w.length, 1, r.stderr);
        return { ...r, machine, out, warning: w[0] };
    }

    /** Blobs broken halfway by `fault`: the local build, the first machine's bytes, one warning `says` after the blob's address, nothing left in tmp/. */
    for (const [when, prefix, fault, says, env] of [
        ["the connection drops halfway through", "dropped", "cut", "dropped before its answer was complete \\(.+\\)", {}],
        [
            "the bytes stop halfway on a connection left open, through",
            "stalled",
            "stall",
            "stopped before it was complete and sent nothing more for 1 s \\(LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT sets the seconds\\)",
            { LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT: "1" },
        ],
    ] as const) {
        it(`builds locally, with one warning, when ${when} the install's or the archive's bytes`, async () => {
            const first = await firstMachine(prefix);
            for (const [source, zip] of [
                [app, first.zip],
                [plain, first.plainZip],
            ] as const) {
                const r = await throughFaults(prefix, source, (method, url) => (method === "GET" && url.includes("/blobs/") ? fault : undefined), env);
                const blob = `s3://${BUCKET}/${prefix}/blobs/[0-9a-f]{64}`;
                const subject = fault === "cut" ? `the connection to ${blob}` : `the answer from ${blob}`;
                assert.match(r.warning, new RegExp(`^lambda-python: warning: remote cache s3://${BUCKET}/${prefix} not used: ${subject} ${says}\\. Building with the local cache only\\.$`));
                assert.deepEqual(fs.readFileSync(r.out), zip, "the local build's bytes, the same as the first machine's");
                const tmp = path.join(r.machine, "cache", "tmp");
                assert.deepEqual(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], [], "nothing of the broken download is left");
            }
        });
    }

    it("gives up on a remote that sends a byte at a time once the blob has taken longer than its size allows, and builds locally", async () => {
        const first = await firstMachine("trickle");
        // A byte every 100 ms: never idle for the 0.5 s timeout, and never done within the 2 s (twice the timeout and a
        // second, plus 0.5 s per 10 MB) a blob of its size may take. Before, only the build's budget (30 timeouts, 15 s here) ended it. (A machine so
        // starved that this proxy's timer slips past 0.5 s ends it by the idle timeout instead: bounded too, said too.)
        const r = await throughFaults("trickle", app, (method, url) => (method === "GET" && url.includes("/blobs/") ? "trickle" : undefined), { LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT: "0.5" });
        const blob = `s3://${BUCKET}/trickle/blobs/[0-9a-f]{64}`;
        const slow = `reading ${blob} \\(\\d+ bytes\\) had not finished after 2(\\.\\d+)? s, the time a transfer of its size may take \\(twice the 0\\.5 s timeout and a second, plus 0\\.5 s per 10 MB\\): a remote this slow costs more than it spares \\(LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT sets the seconds\\)`;
        const idle = `the answer from ${blob} stopped before it was complete and sent nothing more for 0.5 s \\(LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT sets the seconds\\)`;
        assert.match(r.warning, new RegExp(`^lambda-python: warning: remote cache s3://${BUCKET}/trickle not used: (${slow}|${idle})\\. Building with the local cache only\\.$`));
        assert.deepEqual(fs.readFileSync(r.out), first.zip, "the local build's bytes, the same as the first machine's");
    });

    it("gives up on an upload the store takes a chunk at a time, once it has taken longer than its size allows", async () => {
        // The store's own call, as an upload of a 16 MB pack makes it: the proxy reads at most ~3.2 MB/s, so the
        // body is never sent within the 2.8 s (twice the 0.5 s timeout and a second, plus 0.5 s per 10 MB) it may take.
        const proxy = await startFaultyProxy(server.endpoint, (method) => (method === "PUT" ? "sip" : undefined));
        const dir = tmpDir("lp-remote-sip-");
        const file = path.join(dir, "pack.zip");
        fs.writeFileSync(file, crypto.randomBytes(16 << 20));
        const saved = { ...process.env };
        Object.assign(process.env, s3Env(proxy.endpoint));
        const store = new S3Store(remoteCacheConfig(`s3://${BUCKET}/sip`, { LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT: "0.5" })!);
        try {
            const where = `s3://${BUCKET}/sip/blobs/pack`;
            await assert.rejects(store.put("blobs/pack", { file, bytes: 16 << 20 }, new AbortController().signal), (e: unknown) => {
                assert.ok(e instanceof StoreError && e.failure === "unreachable", String(e));
                // (A machine so starved that the proxy's pauses slip past 0.5 s ends it by the idle timeout instead.)
                assert.match(
                    e.message,
                    new RegExp(
                        `^(writing ${where} \\(16777216 bytes\\) had not finished after 2\\.8 s, the time a transfer of its size may take \\(twice the 0\\.5 s timeout and a second, plus 0\\.5 s per 10 MB\\): a remote this slow costs more than it spares|no answer from ${where} within 0\\.5 s) \\(LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT sets the seconds\\)$`,
                    ),
                );
                return true;
            });
            assert.ok(proxy.faults() >= 1);
        } finally {
            store.close();
            proxy.stop();
            for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
            Object.assign(process.env, saved);
        }
    });

    it("builds locally, with one warning, when every request is answered with S3's InternalError (500)", async () => {
        const first = await firstMachine("failing");
        const r = await throughFaults("failing", app, () => "error");
        assert.match(
            r.warning,
            new RegExp(
                `remote cache s3://${BUCKET}/failing: a request failed \\(s3://${BUCKET}/failing/installs/[0-9a-f]+\\.json: InternalError: We encountered an internal error\\. Please try again\\. \\(HTTP 500\\)\\); what it was for is built locally\\.$`,
            ),
        );
        assert.deepEqual(fs.readFileSync(r.out), first.zip);
    });

    it("builds locally and still uploads when reads are refused (403, as S3 answers a missing key without s3:ListBucket), with one warning that says which permission", async () => {
        const r = await throughFaults("no-list", app, (method) => (method === "GET" || method === "HEAD" ? "forbidden" : undefined));
        assert.match(
            r.warning,
            new RegExp(
                `remote cache s3://${BUCKET}/no-list: a read was refused \\(s3://${BUCKET}/no-list/installs/[0-9a-f]+\\.json: AccessDenied: Access Denied\\)\\. .*grant s3:ListBucket on it \\(prefix no-list\\).*Such entries are built locally\\.$`,
            ),
        );
        const stored = (await server.list(BUCKET, "no-list/")).map((o) => o.key);
        assert.ok(stored.some((k) => k.startsWith("no-list/installs/")) && stored.some((k) => k.startsWith("no-list/blobs/")), `the install was uploaded: ${stored.join(", ")}`);
    });

    it("builds, and stops uploading with one warning, when writes are refused (403)", async () => {
        const r = await throughFaults("no-write", app, (method) => (method === "PUT" || method === "POST" ? "forbidden" : undefined));
        assert.match(
            r.warning,
            new RegExp(`remote cache s3://${BUCKET}/no-write: uploads refused, so this process stops uploading \\(.*AccessDenied.*\\)\\. Builds still fetch from it; set LAMBDA_PYTHON_REMOTE_CACHE_READ_ONLY=1 where only reading is meant\\.$`),
        );
        assert.deepEqual(await server.list(BUCKET, "no-write/"), []);
    });

    it("falls back to building locally when there is no server at all, with one warning", async () => {
        const r = buildOn({ ...s3Env(await closedEndpoint()), LAMBDA_PYTHON_REMOTE_CACHE: `s3://${BUCKET}/absent` });
        assert.equal(r.code, 0, r.stderr);
        const w = warnings(r.stderr);
        assert.equal(w.length, 1, r.stderr);
        assert.match(w[0], /remote cache s3:\/\/team-build-cache\/absent not used: cannot reach .*ECONNREFUSED.*Building with the local cache only\./);
    });

    it("only reads with LAMBDA_PYTHON_REMOTE_CACHE_READ_ONLY=1", async () => {
        const r = buildOn({ ...remote("read-only"), LAMBDA_PYTHON_REMOTE_CACHE_READ_ONLY: "1" });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(warnings(r.stderr), []);
        assert.deepEqual(await server.list(BUCKET, "read-only/"), []);
    });

    it("refuses a remote cache that is not an s3:// URL in one paragraph", () => {
        assertOneParagraph(buildOn({}, ["--remote-cache", "https://team-build-cache.s3.amazonaws.com/ci"]), /--remote-cache.*must be s3:\/\/BUCKET or s3:\/\/BUCKET\/PREFIX/);
        assertOneParagraph(cli(["preview", app, "--remote-cache", "s3://Team_Cache"]), /"Team_Cache" is not a bucket name/);
    });

    it("serves a Pulumi program's preview on a second machine (--remote-cache)", async () => {
        const { programDir } = writeStack(tmpDir("lp-remote-stack-"), { sets: 1, functionsPerSet: 2 });
        const previewOn = (machine: string) => {
            machines.push(machine);
            return cli(["preview", programDir, "--remote-cache", `s3://${BUCKET}/preview`], { env: { ...process.env, ...server.env, LAMBDA_PYTHON_CACHE_DIR: path.join(machine, "cache") } });
        };
        const first = previewOn(tmpDir("lp-remote-machine-"));
        assert.equal(first.code, 0, first.stderr);
        const second = previewOn(tmpDir("lp-remote-machine-"));
        assert.equal(second.code, 0, second.stderr);
        assert.deepEqual(warnings(second.stderr), []);
        assert.doesNotMatch(second.stderr, /installing dependencies/);
        // The installs (the functions' set, the powertools layer's) and the archives of the code layers came from the bucket.
        assert.equal(new Set(second.stderr.match(/fetched the install [0-9a-f]+/g)).size, 2, second.stderr);
        assert.equal(new Set(second.stderr.match(/fetched the archive [0-9a-f]+/g)).size, 2, second.stderr);
        assert.equal(second.stdout.replace(/\d+(\.\d+)? ?[kMG]?B/g, ""), first.stdout.replace(/\d+(\.\d+)? ?[kMG]?B/g, ""));
    });
});
