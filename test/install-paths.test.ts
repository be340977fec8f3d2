// The package as a new user gets it, outside this repository: `npm pack`'s tarball, a git URL and a
// path, each installed into a fresh Pulumi program folder of its own that holds nothing else from
// here, then the README's loop run there with the installed `lambda-python` (build, the offline
// preview with invokes, invoke), and the multi-language provider started from the installed folder.
// The policy pack is tested as `pulumi policy publish` ships it: its own tarball, installed in a fresh
// folder and started by @pulumi/pulumi's policy pack launcher, answering over gRPC.
//
// npm installs with --prefer-offline from the machine's npm cache (what `npm ci` here filled), so the
// three installs take seconds but the git one, which installs the clone's dev dependencies and
// compiles it as npm does for any git dependency (`prepare`).
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import * as providerrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerproto from "@pulumi/pulumi/proto/provider_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { fileArchive, FUNCTION, urnOf } from "./analyzer";
import { ROOT, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";
import { craftZip } from "./zip-crafter";
import { pluginPort } from "../preview/plugin-port";

/** npm and the package's bin run on the Node.js running the tests (Node 24 from .ci/node24.sh), whatever is first on PATH. */
const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
    LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
};
for (const k of Object.keys(env)) if (/^npm_(lifecycle|package)_/.test(k) || k === "npm_config_prefix") delete env[k];

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

function run(cmd: string, args: string[], cwd: string): Run {
    const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function ok(cmd: string, args: string[], cwd: string): Run {
    const r = run(cmd, args, cwd);
    assert.equal(r.code, 0, `${cmd} ${args.join(" ")} (in ${cwd}) failed:\n${r.stdout}\n${r.stderr}`);
    return r;
}

/** A Pulumi program as `pulumi new aws-typescript` lays one out, with a Python function beside it. */
const PROGRAM: Record<string, string> = {
    "Pulumi.yaml": "name: hello-lambda\nruntime: nodejs\ndescription: A Python function deployed with pulumi-lambda-python\n",
    "package.json": `${JSON.stringify({ name: "hello-lambda", main: "index.ts", private: true, dependencies: { "@pulumi/pulumi": "^3.270.0" }, devDependencies: { "@types/node": "^24.19.2", typescript: "^5.9.3" } }, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify({ compilerOptions: { strict: true, outDir: "bin", target: "es2020", module: "commonjs", moduleResolution: "node", sourceMap: true, experimentalDecorators: true, forceConsistentCasingInFileNames: true }, files: ["index.ts"] }, null, 2)}\n`,
    "index.ts": [
        'import * as pulumi from "@pulumi/pulumi";',
        'import { PythonFunction } from "pulumi-lambda-python";',
        "",
        'const hello = new PythonFunction("hello", {',
        '    source: "app",',
        '    handler: "app.handler",',
        '    runtime: "python3.13",',
        '    url: { authType: "NONE" },',
        "});",
        "",
        "export const url = hello.url;",
        "export const stack = pulumi.getStack();",
        "",
    ].join("\n"),
    "app/app.py": "import json\n\n\ndef handler(event, context):\n    return {'statusCode': 200, 'body': json.dumps({'greeting': 'hello ' + event.get('name', 'world')})}\n",
    "events/hello.json": `${JSON.stringify({ name: "installed" })}\n`,
};

/** The files `npm pack` must carry: derived from the sources, so a new module is expected without editing this test. */
function expectedFiles(): string[] {
    const out = ["package.json", "README.md", "LICENSE", "PulumiPlugin.yaml", "provider/index.ts", "provider/package.json", "provider/tsconfig.json", "provider/schema.json"];
    const walk = (dir: string): string[] =>
        fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
            const rel = path.posix.join(dir, e.name);
            if (e.isDirectory()) return e.name === "node_modules" || e.name.startsWith(".") ? [] : walk(rel);
            return [rel];
        });
    // The compiled package: each source's .js and .d.ts, and the JSON data tsc copies beside them.
    for (const part of ["components", "builder", "runner", "target-python", "preview", "serve", "cli", "shared", "policies"]) {
        for (const rel of walk(part)) {
            if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) out.push(`dist/${rel.replace(/\.ts$/, ".js")}`, `dist/${rel.replace(/\.ts$/, ".d.ts")}`);
            else if (rel.endsWith(".json") && fs.existsSync(path.join(ROOT, "dist", rel))) out.push(`dist/${rel}`);
        }
    }
    // The multi-language provider's analyzer reads the components' sources (their `as const` enums are not in the .d.ts).
    out.push(...walk("components").filter((f) => f.endsWith(".ts")));
    // The policy pack, as a folder `pulumi preview --policy-pack` and `pulumi policy publish` take.
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "package.json"), "utf8")).files as string[];
    out.push("policies/package.json", ...pack.flatMap((f) => (fs.statSync(path.join(ROOT, "policies", f)).isDirectory() ? walk(`policies/${f}`) : [`policies/${f}`])));
    return [...new Set(out)].sort();
}

interface Packed {
    file: string;
    size: number;
    unpackedSize: number;
    files: string[];
}

/** `npm pack` of a folder into a fresh one; its scripts skipped (the global setup compiled dist/ already; a real pack runs `prepare`, the same build). */
function pack(dir: string): Packed {
    const dest = tmpDir("lp-pack-");
    const r = ok("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dest], dir);
    const [info] = JSON.parse(r.stdout);
    return { file: path.join(dest, info.filename), size: info.size, unpackedSize: info.unpackedSize, files: info.files.map((f: { path: string }) => f.path).sort() };
}

/** A git repository holding the working tree as it is on disk (tracked files and new ones git does not ignore), committed. */
function snapshotRepository(): string {
    const repo = tmpDir("lp-git-");
    const listed = ok("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT).stdout.split("\0").filter(Boolean);
    for (const rel of listed) {
        const from = path.join(ROOT, rel);
        if (!fs.existsSync(from)) continue; // deleted, not yet committed
        fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
        fs.copyFileSync(from, path.join(repo, rel));
        fs.chmodSync(path.join(repo, rel), fs.statSync(from).mode);
    }
    ok("git", ["init", "-q"], repo);
    ok("git", ["add", "-A"], repo);
    ok("git", ["-c", "user.name=lambda-python tests", "-c", "user.email=tests@example.invalid", "commit", "-q", "-m", "the working tree"], repo);
    return repo;
}

/** Starts the installed package as the Pulumi CLI starts a nodejs plugin; the port it printed. */
async function startPlugin(program: string, plugin: string): Promise<{ proc: ChildProcess; port: string }> {
    const runPlugin = path.join(program, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin");
    const proc = spawn(process.execPath, [runPlugin, plugin, "127.0.0.1:1"], { cwd: program, env, stdio: ["ignore", "pipe", "pipe"] });
    const port = await pluginPort(proc, "the installed plugin");
    return { proc, port };
}

/** Starts a policy pack folder as the Pulumi CLI runs a Node.js pack: @pulumi/pulumi's launcher from the pack's own dependencies, in its folder. */
async function startPolicyPack(folder: string): Promise<{ proc: ChildProcess; client: analyzerrpc.AnalyzerClient }> {
    const launcher = path.join(folder, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    const proc = spawn(process.execPath, [launcher, "127.0.0.1:1", "."], { cwd: folder, env, stdio: ["ignore", "pipe", "pipe"] });
    const port = await pluginPort(proc, "the policy pack");
    return { proc, client: new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) };
}

function unary<Req, Res>(client: grpc.Client, fn: (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => fn.call(client, req, (e, r) => (e ? reject(e) : resolve(r))));
}

describe("installing pulumi-lambda-python outside this repository", () => {
    let packed: Packed;

    before(() => {
        packed = pack(ROOT);
    });

    describe("npm pack", () => {
        it("carries the compiled code with its types, the plugin files, the pack and its data, the licence, and nothing else", () => {
            const expected = expectedFiles();
            const extra = packed.files.filter((f) => !expected.includes(f));
            const missing = expected.filter((f) => !packed.files.includes(f));
            assert.deepEqual({ extra, missing }, { extra: [], missing: [] }, "a file in dist/ without a source is left from an old build: remove dist/ and build again");
        });

        it("ships no source maps, no tests, examples or benchmarks", () => {
            assert.deepEqual(
                packed.files.filter((f) => /\.map$|^(dist\/)?(test|examples|bench)\//.test(f)),
                [],
            );
            for (const f of packed.files.filter((f) => f.endsWith(".js"))) {
                assert.doesNotMatch(fs.readFileSync(path.join(ROOT, f), "utf8"), /\/\/# sourceMappingURL=/, `${f} points at a source map`);
            }
        });

        it("stays small: under 1 MB packed and 3 MB unpacked", () => {
            // Measured at 0.1.0: 0.47 MB packed, 1.65 MB unpacked, 355 files (with the source maps it was 2.1 MB unpacked).
            assert.ok(packed.size < 1_000_000, `packed ${packed.size} bytes`);
            assert.ok(packed.unpackedSize < 3_000_000, `unpacked ${packed.unpackedSize} bytes`);
        });

        it("names its licence (the Apache-2.0 text), repository, homepage, bug tracker and keywords", () => {
            const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
            assert.equal(pkg.license, "Apache-2.0");
            assert.match(fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8"), /^\s*Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/);
            assert.match(pkg.repository.url, /^git\+https:\/\/.+\.git$/);
            assert.match(pkg.homepage, /^https:\/\//);
            assert.match(pkg.bugs.url, /^https:\/\//);
            assert.ok(pkg.keywords.includes("pulumi") && pkg.keywords.includes("lambda"), pkg.keywords);
        });
    });

    // `installArgs`: npm runs a linked folder's `prepare` in the folder itself, which would compile this
    // repository's dist/ again in the middle of the suite (20 s), without the source maps `npm run
    // coverage:full` built it with, so c8 could no longer map the CLI processes' coverage. Skipped for
    // that way: dist/ is current (the global setup), and the git URL way still proves `prepare` builds.
    const ways: { name: string; spec: () => string; resolvesInside: boolean; installArgs?: string[] }[] = [
        { name: "the packed tarball", spec: () => packed.file, resolvesInside: true },
        { name: "a git URL", spec: () => `git+file://${snapshotRepository()}`, resolvesInside: true },
        // npm links a folder (node_modules/pulumi-lambda-python → the clone, with its own node_modules).
        { name: "a path to a clone", spec: () => ROOT, resolvesInside: false, installArgs: ["--ignore-scripts"] },
    ];

    for (const way of ways) {
        describe(`from ${way.name}, in a fresh program folder`, () => {
            let program: string;
            let bin: string;
            const lp = (args: string[]) => run(process.execPath, [bin, ...args], program);

            before(() => {
                program = writeFiles(tmpDir("lp-program-"), PROGRAM);
                ok("npm", ["install", "--prefer-offline", ...(way.installArgs ?? []), way.spec()], program);
                bin = path.join(program, "node_modules", ".bin", "lambda-python");
            });

            it("installs the lambda-python command and the components where the program resolves them", () => {
                assert.ok(fs.existsSync(bin), `${bin} is missing`);
                // Resolved by a Node.js started in the program (in this process, the package's own name resolves to itself).
                const resolved = fs.realpathSync(ok(process.execPath, ["-p", 'require.resolve("pulumi-lambda-python")'], program).stdout.trim());
                if (way.resolvesInside) assert.ok(resolved.startsWith(fs.realpathSync(program) + path.sep), resolved);
                assert.match(resolved, /dist[\\/]components[\\/]index\.js$/);
                const usage = run(bin, ["--help"], program);
                assert.equal(usage.code, 0, usage.stderr);
                assert.match(usage.stdout, /lambda-python build <source-dir>/);
            });

            it("builds the function", () => {
                const r = lp(["build", "app", "--runtime", "python3.13", "--out", "hello.zip", "--json"]);
                assert.equal(r.code, 0, r.stderr);
                assert.ok(fs.statSync(path.join(program, "hello.zip")).size > 0);
            });

            it("previews the program offline and invokes its function with the event in events/", () => {
                const r = lp(["preview", ".", "--invoke", "--json", "--quiet"]);
                assert.equal(r.code, 0, r.stderr);
                const result = JSON.parse(r.stdout);
                const [hello] = result.invocations;
                assert.equal(hello.function, "hello");
                assert.ok(hello.ok, JSON.stringify(hello));
                assert.deepEqual(JSON.parse(hello.response), { greeting: "hello installed" });
            });

            it("invokes the function from its source folder", () => {
                const r = lp(["invoke", "app", "--handler", "app.handler", "--runtime", "python3.13", "--event", "events/hello.json"]);
                assert.equal(r.code, 0, r.stderr);
                const response = JSON.parse(r.stdout);
                assert.equal(response.statusCode, 200);
                assert.deepEqual(JSON.parse(response.body), { greeting: "hello installed" });
            });

            if (way.name === "the packed tarball") {
                it("ships the policy pack, which runs once copied out of node_modules, as docs/ci.md runs it", async () => {
                    // Out of node_modules: Pulumi's launcher loads a TypeScript pack through its vendored ts-node 7,
                    // which leaves files under node_modules to Node.js, and Node 24 refuses to strip types there
                    // (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING): `--policy-pack node_modules/…` fails.
                    const folder = path.join(program, ".lambda-python-policies");
                    ok("cp", ["-r", path.join("node_modules", "pulumi-lambda-python", "policies"), folder], program);
                    ok("npm", ["install", "--prefer-offline", "--prefix", folder], program);
                    const { proc, client } = await startPolicyPack(folder);
                    try {
                        const info = await unary<Empty, analyzerproto.AnalyzerInfo>(client, client.getAnalyzerInfo, new Empty());
                        assert.equal(info.getName(), "lambda-python");
                        assert.equal(info.getVersion(), JSON.parse(fs.readFileSync(path.join(folder, "package.json"), "utf8")).version);
                        assert.equal(info.getPoliciesList().length, 16);
                    } finally {
                        client.close();
                        proc.kill();
                    }
                });

                it("starts as a Pulumi plugin from the installed folder and serves the reviewed schema", async () => {
                    const plugin = await startPlugin(program, path.join(program, "node_modules", "pulumi-lambda-python"));
                    const client = new providerrpc.ResourceProviderClient(`127.0.0.1:${plugin.port}`, grpc.credentials.createInsecure());
                    try {
                        const res = await unary<providerproto.GetSchemaRequest, providerproto.GetSchemaResponse>(client, client.getSchema, new providerproto.GetSchemaRequest());
                        assert.deepEqual(JSON.parse(res.getSchema()), JSON.parse(fs.readFileSync(path.join(ROOT, "provider", "schema.json"), "utf8")));
                    } finally {
                        client.close();
                        plugin.proc.kill();
                    }
                });
            }
        });
    }
});

describe("the policy pack as `pulumi policy publish` ships it", () => {
    let packed: Packed;
    let folder: string;
    let analyzer: ChildProcess;
    let client: analyzerrpc.AnalyzerClient;
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "package.json"), "utf8"));

    before(async () => {
        packed = pack(path.join(ROOT, "policies"));
        folder = tmpDir("lp-policy-pack-");
        ok("tar", ["-xzf", packed.file, "-C", folder, "--strip-components=1"], folder);
        ok("npm", ["install", "--prefer-offline"], folder);
        ({ proc: analyzer, client } = await startPolicyPack(folder));
    });

    after(() => {
        client?.close();
        analyzer?.kill();
    });

    it("is its own tarball: PulumiPolicy.yaml, package.json, README and the pack's sources and data, nothing else", () => {
        assert.ok(packed.files.includes("PulumiPolicy.yaml") && packed.files.includes("package.json") && packed.files.includes("README.md") && packed.files.includes("index.ts"), packed.files.join("\n"));
        for (const f of packed.files) assert.match(f, /^(PulumiPolicy\.yaml|package\.json|README\.md|index\.ts|target\.ts|tsconfig\.json|(data|pack|rules|inspect|zip)\/[\w.-]+\.(ts|json))$/, f);
        assert.equal(path.basename(packed.file), `${manifest.name}-${manifest.version}.tgz`);
    });

    it("names itself and its version (package.json's) and publishes every policy", async () => {
        const info = await unary<Empty, analyzerproto.AnalyzerInfo>(client, client.getAnalyzerInfo, new Empty());
        assert.equal(info.getName(), "lambda-python");
        assert.equal(info.getVersion(), manifest.version);
        assert.equal(info.getPoliciesList().length, 16);
        assert.ok(info.getPoliciesList().some((p) => p.getName() === "lambda-no-pycache"));
    });

    it("finds __pycache__ in a function's archive as a mandatory violation", async () => {
        const code = path.join(tmpDir("lp-pack-zip-"), "code.zip");
        fs.writeFileSync(
            code,
            craftZip([
                { name: "lambda_function.py", data: Buffer.from("def lambda_handler(e, c):\n    return 1\n") },
                { name: "__pycache__/lambda_function.cpython-313.pyc", data: Buffer.alloc(8) },
            ]),
        );
        const req = new analyzerproto.AnalyzeRequest();
        req.setType(FUNCTION);
        req.setName("fn");
        req.setUrn(urnOf(FUNCTION, "fn"));
        req.setProperties(structproto.Struct.fromJavaScript({ code: fileArchive(code), handler: "lambda_function.lambda_handler", runtime: "python3.13", architectures: ["x86_64"] } as never));
        req.setOptions(new analyzerproto.AnalyzerResourceOptions());
        const res = await unary<analyzerproto.AnalyzeRequest, analyzerproto.AnalyzeResponse>(client, client.analyze, req);
        const found = res.getDiagnosticsList().filter((d) => d.getPolicyname() === "lambda-no-pycache");
        assert.equal(
            found.length,
            1,
            res
                .getDiagnosticsList()
                .map((d) => d.getMessage())
                .join("\n"),
        );
        assert.equal(found[0].getEnforcementlevel(), analyzerproto.EnforcementLevel.MANDATORY);
    });
});
