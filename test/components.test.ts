// PythonFunction and PythonLayer under the Pulumi SDK's mock monitor: the
// resource graph, the inputs that matter (as the engine receives them), and
// every mistake failing at preview with a message that names the component.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LogFormat, PythonFunction, PythonLayer } from "../components";
import { programFunctions } from "../preview/functions";
import { RecordedResource, outputValue } from "../preview/mock-stack";
import { sharedBuilds } from "../components/shared-build";
import { EngineLog, FakeEngine } from "./fake-engine";
import { ROOT, SHARED_CACHE, tmpDir, useMockStack, writeFiles } from "./helpers";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const HANDLER = "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': 'hi'}\n";
const FUNCTION = "aws:lambda/function:Function";
/**
 * A Pulumi TypeScript template's tsconfig (CommonJS), plus the two options this package's own sources
 * need when ts-node compiles them from the program (a user gets them compiled, from dist/).
 */
const TSCONFIG = JSON.stringify({
    compilerOptions: {
        esModuleInterop: true,
        resolveJsonModule: true,
        strict: true,
        outDir: "bin",
        target: "es2020",
        module: "commonjs",
        moduleResolution: "node",
        sourceMap: true,
        experimentalDecorators: true,
        pretty: true,
        noFallthroughCasesInSwitch: true,
        noImplicitReturns: true,
        forceConsistentCasingInFileNames: true,
    },
    files: ["index.ts"],
});
const LAYER = "aws:lambda/layerVersion:LayerVersion";

describe("components under the mock monitor", () => {
    const mock = useMockStack();

    const app = (files: Record<string, string | Buffer> = { "lambda_function.py": HANDLER }) => writeFiles(tmpDir("fn-"), files);
    const componentUrn = (type: string, name: string) => `urn:pulumi:preview::lambda-python::${type}::${name}`;
    /** The URN of a component a program creates (its parent is the stack). */
    const programComponentUrn = (type: string, name: string) => `urn:pulumi:preview::lambda-python::pulumi:pulumi:Stack$${type}::${name}`;
    const childrenOf = (urn: string) => mock().resources.filter((r) => r.parent === urn);

    /**
     * Awaits a component output that must fail. (The failing child resource itself never resolves:
     * the runtime logs the error and fails the program, which is what `pulumi preview` shows.)
     */
    async function expectFailure(output: pulumi.Output<unknown>, pattern: RegExp): Promise<void> {
        await assert.rejects(outputValue(output), (e: Error) => {
            assert.match(e.message, pattern);
            assert.match(e.message, /^Python(Function|Layer) "/, "the message starts with the component, with nothing before it");
            return true;
        });
    }

    function archivePath(r: RecordedResource): string {
        const code = r.wire.code as Record<string, string>;
        assert.equal(code[SIG], "0def7320c3a5731c473e5ecbe6d01bc7", "code is an archive");
        return code.path;
    }

    describe("PythonFunction", () => {
        describe("a function with defaults", () => {
            let fn: PythonFunction;
            before(async () => {
                fn = new PythonFunction("basic", {
                    source: app({ "lambda_function.py": HANDLER, "requirements.txt": "cowsay==6.1\n" }),
                    handler: "lambda_function.lambda_handler",
                    environment: { STAGE: "test", API_KEY: pulumi.secret("s3cr3t") },
                    memorySize: 256,
                    timeout: 10,
                    build: { installer: "pip" },
                });
                await outputValue(fn.arn);
                await mock().settle();
            });

            it("registers the component and its children, parented and named from it", () => {
                const urn = componentUrn("lambda-python:index:PythonFunction", "basic");
                assert.ok(mock().resources.some((r) => r.urn === urn && !r.custom));
                const children = childrenOf(urn)
                    .map((r) => `${r.type}::${r.name}`)
                    .sort();
                assert.deepEqual(children, ["aws:cloudwatch/logGroup:LogGroup::basic-logs", "aws:iam/role:Role::basic-role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment::basic-basic-execution", `${FUNCTION}::basic`]);
            });

            it("passes the runtime, architecture, handler and sizes", () => {
                const f = mock().byName(FUNCTION, "basic").wire;
                assert.equal(f.runtime, "python3.14");
                assert.deepEqual(f.architectures, ["x86_64"]);
                assert.equal(f.handler, "lambda_function.lambda_handler");
                assert.equal(f.packageType, "Zip");
                assert.equal(f.memorySize, 256);
                assert.equal(f.timeout, 10);
            });

            it("ships the archive by absolute path with a sourceCodeHash of its bytes", () => {
                const f = mock().byName(FUNCTION, "basic");
                const p = archivePath(f);
                assert.ok(path.isAbsolute(p) && fs.existsSync(p));
                assert.equal(f.wire.sourceCodeHash, crypto.createHash("sha256").update(fs.readFileSync(p)).digest("base64"));
            });

            it("creates a role trusting lambda.amazonaws.com with AWSLambdaBasicExecutionRole", () => {
                const trust = JSON.parse(mock().byName("aws:iam/role:Role", "basic-role").wire.assumeRolePolicy as string);
                assert.deepEqual(trust.Statement, [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]);
                assert.equal(mock().byName("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "basic-basic-execution").wire.policyArn, "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");
            });

            it("names the function before it is created: the component's name and a suffix of the project, stack and name", async () => {
                const f = mock().byName(FUNCTION, "basic");
                assert.match(String(f.wire.name), /^basic-[0-9a-f]{7}$/);
                assert.equal(await outputValue(fn.name), f.wire.name);
            });

            it("runs offline (serve, preview --invoke) under the name it will have in AWS", () => {
                const [basic] = programFunctions(mock().resources).filter((f) => f.name === "basic");
                assert.equal(basic.spec?.functionName, mock().byName(FUNCTION, "basic").wire.name);
            });

            it("creates the log group Lambda uses, /aws/lambda/<function name>, first, with 14 days of retention, and logs as text into it", () => {
                const logs = mock().byName("aws:cloudwatch/logGroup:LogGroup", "basic-logs");
                const f = mock().byName(FUNCTION, "basic");
                assert.equal(logs.wire.name, `/aws/lambda/${f.wire.name}`);
                assert.equal(logs.wire.namePrefix, undefined);
                assert.equal(logs.wire.retentionInDays, 14);
                assert.ok(f.dependencies.includes(logs.urn), "the function depends on its log group");
                assert.ok(mock().resources.indexOf(logs) < mock().resources.indexOf(f));
                assert.deepEqual(f.wire.loggingConfig, { logFormat: "Text", logGroup: logs.wire.name });
            });

            it("keeps secret environment values secret", () => {
                const vars = ((mock().byName(FUNCTION, "basic").wire.environment as Record<string, unknown>).variables ?? {}) as Record<string, unknown>;
                assert.equal(vars.STAGE, "test");
                const secret = vars.API_KEY as Record<string, unknown>;
                assert.equal(secret[SIG], SECRET_SIG);
                assert.equal(secret.value, "s3cr3t");
            });

            it("reports the archive it built", async () => {
                const info = await outputValue(fn.archive);
                assert.equal(info.upload, "direct");
                assert.ok(info.unzippedBytes > 90_000, "cowsay is in the archive");
            });
        });

        it("logs as JSON when asked", async () => {
            const fn = new PythonFunction("json-logs", { source: app(), handler: "lambda_function.lambda_handler", logFormat: "JSON" });
            await outputValue(fn.arn);
            assert.deepEqual(mock().byName(FUNCTION, "json-logs").wire.loggingConfig, { logFormat: "JSON", logGroup: `/aws/lambda/${await outputValue(fn.name)}` });
        });

        it("uses the name given in functionArgs, for the function and its log group", async () => {
            const fn = new PythonFunction("named", { source: app(), handler: "lambda_function.lambda_handler", functionArgs: { name: pulumi.output("orders-api") } });
            await outputValue(fn.arn);
            assert.equal(mock().byName(FUNCTION, "named").wire.name, "orders-api");
            assert.equal(mock().byName("aws:cloudwatch/logGroup:LogGroup", "named-logs").wire.name, "/aws/lambda/orders-api");
        });

        it("derives a valid function name of at most 64 characters from any component name", async () => {
            const long = `Reports.v2/${"monthly-".repeat(10)}`;
            const fn = new PythonFunction(long, { source: app(), handler: "lambda_function.lambda_handler" });
            await outputValue(fn.arn);
            const name = String(mock().byName(FUNCTION, long).wire.name);
            assert.match(name, /^Reports-v2-monthly-[A-Za-z0-9_-]*-[0-9a-f]{7}$/);
            assert.equal(name.length, 64);
        });

        it("creates a public URL with both permissions required since October 2025", async () => {
            const fn = new PythonFunction("public", { source: app(), handler: "lambda_function.lambda_handler", url: { authType: "NONE", cors: { allowOrigins: ["*"] } } });
            assert.match(await outputValue(fn.url!), /^https:\/\/public-url\.lambda-url/);
            await mock().settle();
            assert.equal(mock().byName("aws:lambda/functionUrl:FunctionUrl", "public-url").wire.authorizationType, "NONE");
            const viaUrl = mock().byName("aws:lambda/permission:Permission", "public-url-invoke-url").wire;
            assert.deepEqual([viaUrl.action, viaUrl.principal, viaUrl.functionUrlAuthType], ["lambda:InvokeFunctionUrl", "*", "NONE"]);
            const invoke = mock().byName("aws:lambda/permission:Permission", "public-url-invoke").wire;
            assert.deepEqual([invoke.action, invoke.principal, invoke.invokedViaFunctionUrl], ["lambda:InvokeFunction", "*", true]);
        });

        it("creates an IAM-auth URL without public permissions", async () => {
            const fn = new PythonFunction("private", { source: app(), handler: "lambda_function.lambda_handler", url: { authType: "AWS_IAM" } });
            await outputValue(fn.url!);
            await mock().settle();
            assert.equal(mock().byName("aws:lambda/functionUrl:FunctionUrl", "private-url").wire.authorizationType, "AWS_IAM");
            assert.equal(
                mock()
                    .ofType("aws:lambda/permission:Permission")
                    .filter((p) => p.name.startsWith("private-")).length,
                0,
            );
        });

        it("uses an existing role, and attaches extra policies to a created one", async () => {
            const own = new PythonFunction("own-role", { source: app(), handler: "lambda_function.lambda_handler", role: "arn:aws:iam::123456789012:role/existing" });
            const extra = new PythonFunction("extra", {
                source: app(),
                handler: "lambda_function.lambda_handler",
                managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
                policyStatements: [{ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: "*" }],
            });
            await Promise.all([outputValue(own.arn), outputValue(extra.arn)]);
            await mock().settle();
            assert.equal(own.role, undefined);
            assert.equal(mock().byName(FUNCTION, "own-role").wire.role, "arn:aws:iam::123456789012:role/existing");
            assert.equal(mock().byName("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "extra-policy-1").wire.policyArn, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
            assert.match(String(mock().byName("aws:iam/rolePolicy:RolePolicy", "extra-inline").wire.policy), /sqs:SendMessage/);
        });

        it("ships its modules' bytecode for the runtime with build: { bytecode: true }", async () => {
            const fn = new PythonFunction("compiled", { source: app({ "lambda_function.py": HANDLER, "util.py": "X = 1\n" }), handler: "lambda_function.lambda_handler", runtime: "python3.13", build: { bytecode: true } });
            const info = await outputValue(fn.archive);
            await mock().settle();
            assert.equal(archivePath(mock().byName(FUNCTION, "compiled")), info.path);
            const names = fs.readFileSync(info.path).toString("latin1");
            for (const pyc of ["__pycache__/lambda_function.cpython-313.pyc", "__pycache__/util.cpython-313.pyc"]) assert.ok(names.includes(pyc), pyc);
        });

        it("uploads an archive over 50 MB through S3 when given a bucket", async () => {
            const source = app({ "lambda_function.py": HANDLER, "model.bin": crypto.randomBytes(55 * 1024 * 1024) });
            const fn = new PythonFunction("large", { source, handler: "lambda_function.lambda_handler", artifactBucket: "my-artifacts" });
            const info = await outputValue(fn.archive);
            await mock().settle();
            assert.equal(info.upload, "s3");
            const object = mock().byName("aws:s3/bucketObjectv2:BucketObjectv2", "large-code").wire;
            assert.equal(object.bucket, "my-artifacts");
            assert.equal(object.key, `lambda-python/large/${info.sha256}.zip`);
            assert.equal((object.source as Record<string, string>).path, info.path);
            const f = mock().byName(FUNCTION, "large").wire;
            assert.equal(f.code, undefined);
            assert.equal(f.s3Bucket, "my-artifacts");
            assert.equal(f.s3Key, object.key);
        });

        it("uploads through a given bucket whatever the archive's size, the object a child the function depends on", async () => {
            const fn = new PythonFunction("small-s3", { source: app(), handler: "lambda_function.lambda_handler", artifactBucket: "my-artifacts" });
            const info = await outputValue(fn.archive);
            await mock().settle();
            assert.equal(info.upload, "s3");
            const object = mock().byName("aws:s3/bucketObjectv2:BucketObjectv2", "small-s3-code");
            assert.equal(object.parent, componentUrn("lambda-python:index:PythonFunction", "small-s3"));
            const f = mock().byName(FUNCTION, "small-s3");
            assert.deepEqual([f.wire.code, f.wire.s3Bucket, f.wire.s3Key], [undefined, "my-artifacts", `lambda-python/small-s3/${info.sha256}.zip`]);
            assert.ok(f.propertyDependencies.s3Key.includes(object.urn), "the function's s3Key comes from the object");
        });
    });

    let flask: PythonLayer;
    const requirements = () => path.join(writeFiles(tmpDir("layer-"), { "requirements.txt": "flask==3.1.3\n" }), "requirements.txt");

    describe("PythonLayer", () => {
        before(async () => {
            flask = new PythonLayer("flask", { requirements: requirements(), runtimes: ["python3.14"], description: "Flask", build: { installer: "pip" } });
            await outputValue(flask.arn);
            await mock().settle();
        });

        it("publishes a LayerVersion with what was built: runtimes and the one architecture of its native code", () => {
            const urn = componentUrn("lambda-python:index:PythonLayer", "flask");
            assert.deepEqual(
                childrenOf(urn).map((r) => `${r.type}::${r.name}`),
                [`${LAYER}::flask`],
            );
            const l = mock().byName(LAYER, "flask");
            assert.deepEqual(l.wire.compatibleRuntimes, ["python3.14"]);
            assert.deepEqual(l.wire.compatibleArchitectures, ["x86_64"]);
            assert.equal(l.wire.layerName, "flask");
            assert.ok(fs.existsSync(archivePath(l)));
            assert.equal(
                l.wire.sourceCodeHash,
                crypto
                    .createHash("sha256")
                    .update(fs.readFileSync(archivePath(l)))
                    .digest("base64"),
            );
        });

        it("lists both architectures for a pure-Python layer when asked", async () => {
            const pure = new PythonLayer("pure", { source: writeFiles(tmpDir(), { "helpers.py": "X = 1\n" }), architectures: ["x86_64", "arm64"], runtimes: ["python3.13", "python3.14"] });
            assert.deepEqual(await outputValue(pure.architectures), ["x86_64", "arm64"]);
            assert.deepEqual(await outputValue(pure.runtimes), ["python3.13", "python3.14"]);
        });

        it("still reads a list given as `architecture` (JavaScript callers of earlier versions) as `architectures`", async () => {
            const legacy = new PythonLayer("pure-legacy", { source: writeFiles(tmpDir(), { "helpers.py": "X = 1\n" }), architecture: ["x86_64", "arm64"] as unknown as "arm64" });
            assert.deepEqual(await outputValue(legacy.architectures), ["x86_64", "arm64"]);
        });

        it("is used by two functions sharing one source folder, built once", async () => {
            const source = app({ "lambda_function.py": `import flask\n${HANDLER}` });
            const before = sharedBuilds().size;
            const a = new PythonFunction("flask-a", { source, handler: "lambda_function.lambda_handler", layers: [flask] });
            const b = new PythonFunction("flask-b", { source, handler: "lambda_function.lambda_handler", layers: [flask] });
            await Promise.all([outputValue(a.arn), outputValue(b.arn)]);
            await mock().settle();
            assert.equal(sharedBuilds().size - before, 1, "one build for both functions");
            const layerArn = await outputValue(flask.arn);
            assert.deepEqual(mock().byName(FUNCTION, "flask-a").wire.layers, [layerArn]);
            assert.ok(mock().byName(FUNCTION, "flask-a").propertyDependencies.layers.includes(mock().byName(LAYER, "flask").urn));
            assert.equal(archivePath(mock().byName(FUNCTION, "flask-a")), archivePath(mock().byName(FUNCTION, "flask-b")));
        });
    });

    // What `pulumi preview` prints comes from the SDK's language host (cmd/run): its handler for an
    // unhandled error logs the error's message to the engine, under the resource the error names.
    describe("a failing build, as the Pulumi CLI reports it (the SDK's language host against an engine)", () => {
        let engine: FakeEngine;
        before(async () => {
            engine = new FakeEngine();
            await engine.start();
        });
        after(() => engine?.stop());

        /** Runs `index.ts` (which gets the components as `components`) as `pulumi preview` runs a program; the engine's diagnostics from it. */
        async function preview(files: Record<string, string>): Promise<{ code: number | null; errors: EngineLog[] }> {
            const program = writeFiles(tmpDir("program-"), { "Pulumi.yaml": "name: lambda-python\nruntime: nodejs\n", "package.json": '{ "name": "scratch", "main": "index.ts" }\n', "tsconfig.json": TSCONFIG, ...files });
            const prelude = `import * as path from "path";\nimport * as components from ${JSON.stringify(path.join(ROOT, "components"))};\n`;
            fs.writeFileSync(path.join(program, "index.ts"), prelude + fs.readFileSync(path.join(program, "index.ts"), "utf8"));
            const from = engine.diagnostics.length;
            const run = path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run");
            const args = [run, `--monitor=${engine.address}`, `--engine=${engine.address}`, "--project=lambda-python", "--stack=preview", "--dry-run", `--pwd=${program}`, "index.ts"];
            const child = spawn(process.execPath, args, { cwd: program, env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE, PULUMI_CONFIG: "{}", PULUMI_NODEJS_TYPESCRIPT: "true", PULUMI_NODEJS_TRANSPILE_ONLY: "true" }, stdio: "inherit" });
            const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
            return { code, errors: engine.diagnostics.slice(from).filter((d) => d.severity === "error") };
        }

        /**
         * An error reported while the program's main module still runs is shown under the component; one that
         * comes later (the build outlasted the program's top level) is shown on its own, from the language host's
         * own handler, which prints the error's stack. Either way the text is the component's sentence alone.
         */
        function assertSaidFor(error: EngineLog, urn: string): void {
            assert.ok(error.urn === "" || error.urn === urn, `said under ${error.urn}`);
            assert.doesNotMatch(error.message, /error serializing property|\n\s+at /);
        }

        it("says the component's message and nothing before it: a handler module the source lacks", async () => {
            const r = await preview({ "app/lambda_function.py": HANDLER, "index.ts": 'new components.PythonFunction("broken", { source: path.join(__dirname, "app"), handler: "app.handler" });\n' });
            assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
            assert.match(r.errors[0].message, /^PythonFunction "broken": handler "app\.handler" needs app\.py at the root of its archive, and the archive has no such module\. Check the handler name and what the archive contains\.$/);
            assertSaidFor(r.errors[0], programComponentUrn("lambda-python:index:PythonFunction", "broken"));
            assert.equal(r.code, 32, "the language host's exit code for an error it has reported");
        });

        it("says the component's message and nothing before it: a dependency the index does not have", async () => {
            const r = await preview({
                "app/lambda_function.py": HANDLER,
                "app/requirements.txt": "no-such-package-lambda-python-test-xyzzy==1.0\n",
                "index.ts": 'new components.PythonFunction("unresolvable", { source: path.join(__dirname, "app"), handler: "lambda_function.lambda_handler", build: { installer: "pip" } });\n',
            });
            assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
            assert.match(r.errors[0].message, /^PythonFunction "unresolvable": .*no-such-package-lambda-python-test-xyzzy was not found on the package index \(PyPI\)\. Check its name/s);
            assertSaidFor(r.errors[0], programComponentUrn("lambda-python:index:PythonFunction", "unresolvable"));
        });

        it("says a PythonLayer's message and nothing before it", async () => {
            const r = await preview({ "index.ts": 'new components.PythonLayer("no-source", { source: path.join(__dirname, "missing") });\n' });
            assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
            assert.match(r.errors[0].message, /^PythonLayer "no-source": source folder \S+missing does not exist/);
            assertSaidFor(r.errors[0], programComponentUrn("lambda-python:index:PythonLayer", "no-source"));
        });
    });

    // Last: a registration whose inputs fail never releases the runtime's RPC keep-alive (the
    // program is over at that point), so nothing here waits for all registrations afterwards.
    describe("mistakes, each failing at preview with a message naming the component", () => {
        describe("PythonFunction", () => {
            it("an archive over 50 MB without a bucket", async () => {
                const source = app({ "lambda_function.py": HANDLER, "model.bin": crypto.randomBytes(55 * 1024 * 1024) });
                await expectFailure(
                    new PythonFunction("large-no-bucket", { source, handler: "lambda_function.lambda_handler" }).archive,
                    /PythonFunction "large-no-bucket"'s archive is 55\.\d MB .* zipped, over the 50\.0 MB .* limit for direct upload\. Upload it to S3 .*\(PythonFunction does this when given artifactBucket\)/,
                );
            });

            it("a handler module that is not in the source", async () => {
                await expectFailure(new PythonFunction("no-module", { source: app(), handler: "app.handler" }).archive, /PythonFunction "no-module": handler "app\.handler" needs app\.py at the root/);
            });

            it("a handler function the module does not define", async () => {
                await expectFailure(new PythonFunction("no-func", { source: app(), handler: "lambda_function.main" }).archive, /PythonFunction "no-func": handler "lambda_function\.main": lambda_function\.py in its archive does not define main/);
            });

            it("a function name Lambda refuses", () => {
                assert.throws(
                    () => new PythonFunction("dotted", { source: app(), handler: "lambda_function.lambda_handler", functionArgs: { name: "orders.api" } }),
                    /^Error: PythonFunction "dotted": functionArgs\.name "orders\.api" may hold only letters, digits, hyphens and underscores .* Change it, or leave it out and the component derives one\.$/,
                );
                assert.throws(
                    () => new PythonFunction("long-name", { source: app(), handler: "lambda_function.lambda_handler", functionArgs: { name: "x".repeat(65) } }),
                    /PythonFunction "long-name": functionArgs\.name must be 1 to 64 characters .* has 65\./,
                );
            });

            it("a log format Lambda does not have", () => {
                assert.throws(
                    () => new PythonFunction("yaml-logs", { source: app(), handler: "lambda_function.lambda_handler", logFormat: "YAML" as LogFormat }),
                    /^Error: PythonFunction "yaml-logs": logFormat must be "Text" or "JSON", not "YAML"\.$/,
                );
            });

            it("six layers", () => {
                const arns = [1, 2, 3, 4, 5, 6].map((i) => `arn:aws:lambda:us-east-1:123456789012:layer:l${i}:1`);
                assert.throws(() => new PythonFunction("six", { source: app(), handler: "lambda_function.lambda_handler", layers: arns }), /PythonFunction "six" uses 6 layers; Lambda allows at most 5\./);
            });

            it("more layers than the lambda-layer-count config allows", () => {
                const arns = [1, 2].map((i) => `arn:aws:lambda:us-east-1:123456789012:layer:l${i}:1`);
                const build = { checks: { "lambda-layer-count": { maxLayers: 1 } } };
                assert.throws(() => new PythonFunction("two", { source: app(), handler: "lambda_function.lambda_handler", layers: arns, build }), /PythonFunction "two" uses 2 layers; Lambda allows at most 1\./);
            });

            it("a runtime past its block-create date", async () => {
                await expectFailure(
                    new PythonFunction("old", { source: app(), handler: "lambda_function.lambda_handler", runtime: "python3.7" }).archive,
                    /PythonFunction "old": runtime python3\.7 is past the date from which Lambda blocks creating functions on it/,
                );
            });

            it("an unknown runtime", async () => {
                await expectFailure(new PythonFunction("unknown-rt", { source: app(), handler: "lambda_function.lambda_handler", runtime: "python3.99" }).archive, /PythonFunction "unknown-rt": unknown runtime "python3\.99"/);
            });
        });
        describe("PythonLayer", () => {
            it("two architectures for a layer with native code", async () => {
                const both = new PythonLayer("native-both", { requirements: requirements(), architectures: ["x86_64", "arm64"], build: { installer: "pip" } });
                await expectFailure(both.zippedBytes, /PythonLayer "native-both": the layer holds native code built for x86_64, so it can only be compatible with one architecture, not x86_64 and arm64/);
            });

            it("a runtime that is not Python's", async () => {
                const layer = new PythonLayer("java-layer", { source: app(), runtimes: ["java21"] });
                await expectFailure(layer.zippedBytes, /^PythonLayer "java-layer": runtime "java21" is not a Python runtime; list Python runtimes such as python3\.\d+\.$/);
            });

            it("both architecture and architectures", () => {
                assert.throws(() => new PythonLayer("both-ways", { source: app(), architecture: "arm64", architectures: ["arm64"] }), /PythonLayer "both-ways": give either architecture or architectures, not both/);
            });

            it("an arm64 function with an x86_64 PythonLayer", async () => {
                const fn = new PythonFunction("arm-on-x86", { source: app(), handler: "lambda_function.lambda_handler", architecture: "arm64", layers: [flask] });
                await expectFailure(fn.archive, /PythonFunction "arm-on-x86" runs on arm64 but PythonLayer "flask" is built for x86_64\. Build the layer for arm64/);
            });

            it("a function runtime the layer was not built for", async () => {
                const fn = new PythonFunction("rt-mismatch", { source: app(), handler: "lambda_function.lambda_handler", runtime: "python3.12", layers: [flask] });
                await expectFailure(fn.archive, /PythonFunction "rt-mismatch" uses python3\.12 but PythonLayer "flask" lists only python3\.14 as compatible runtimes\. Rebuild the layer for python3\.12\./);
            });

            it("a layer whose wheels cannot serve all its runtimes", async () => {
                const multi = new PythonLayer("multi", { requirements: requirements(), runtimes: ["python3.12", "python3.14"], build: { installer: "pip" } });
                await expectFailure(multi.zippedBytes, /PythonLayer "multi": it cannot be compatible with python3\.14: .*markupsafe/i);
            });

            it("over 250 MB unzipped with its layers", async () => {
                const sparse = (mb: number) => {
                    const dir = tmpDir("big-layer-");
                    const fd = fs.openSync(path.join(dir, "weights.bin"), "w");
                    fs.ftruncateSync(fd, mb * 1024 * 1024);
                    fs.closeSync(fd);
                    return dir;
                };
                const l1 = new PythonLayer("weights-1", { source: sparse(130) });
                const l2 = new PythonLayer("weights-2", { source: sparse(130) });
                const fn = new PythonFunction("too-big", { source: app(), handler: "lambda_function.lambda_handler", layers: [l1, l2] });
                await expectFailure(
                    fn.archive,
                    /PythonFunction "too-big" unzips to 260 MB .* \(PythonFunction "too-big" .* \+ PythonLayer "weights-1" 130 MB \+ PythonLayer "weights-2" 130 MB\), over Lambda's limit of 250 MB .* for a function and all its layers/,
                );
            });
        });
    });
});
