// The package as other Pulumi languages use it: started the way the Pulumi
// CLI starts a nodejs source-based plugin (`node @pulumi/pulumi/cmd/run-plugin
// <plugin folder> <engine address>`, working directory = the consumer's
// program folder, port on stdout), spoken to over the provider protocol. The
// test plays the engine: it serves the Engine service and the real
// ResourceMonitor service, answering registrations with the SDK's mock
// monitor (the same fake outputs the TypeScript tests get), and records every
// RegisterResource so a Construct can be compared with the TypeScript class.
import { strict as assert } from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as providerrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerproto from "@pulumi/pulumi/proto/provider_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { PythonFunction, PythonLayer } from "../components";
import { MockStack, RecordedResource, outputValue as resolved } from "../preview/mock-stack";
import { FakeEngine } from "./fake-engine";
import { ROOT, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";
import { pluginPort } from "../preview/plugin-port";

const PROJECT = "lambda-python";
/** The wire form of an output value (what the engine sends a provider that accepts outputs, as ours does). */
const outputValue = (value: string, dependencies: string[]) => ({ "4dabf18193072939515e22adb298388d": "d0e6a833031e9bbcd3f4e8bde6ca49a4", value, dependencies });
/** The wire form of a resource reference (what a Python program's `layers=[flask]` sends). */
const resourceRef = (urn: string) => ({ "4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e", urn, packageVersion: "" });
const STACK = "preview";

/** The parts of a Pulumi package schema (pulumi.com, "Pulumi Package Schema") these tests read. */
interface SchemaProperty {
    $ref?: string;
    type?: string;
    items?: unknown;
}
interface SchemaType {
    properties?: Record<string, SchemaProperty>;
    enum?: { name: string; value: string }[];
}
interface SchemaResource {
    isComponent?: boolean;
    inputProperties: Record<string, SchemaProperty>;
    properties: Record<string, SchemaProperty>;
    requiredInputs: string[];
}
interface PackageSchema {
    name: string;
    version: string;
    resources: Record<string, SchemaResource>;
    types: Record<string, SchemaType>;
    dependencies: { name: string; version: string }[];
}

/** The outputs Construct returns as the components' state, as far as these tests read them. */
interface LayerState {
    arn: string;
}
interface FunctionState {
    arn: string;
    url: string;
    archive: { upload: string };
}
const REVIEWED_SCHEMA = path.join(ROOT, "provider", "schema.json");
const HANDLER = "import helpers\n\ndef lambda_handler(event, context):\n    return {'statusCode': 200, 'body': helpers.GREETING}\n";

/** Starts the package as the CLI starts a nodejs plugin; resolves with a client once it printed its port. */
async function startPlugin(cwd: string, engineAddress: string, env: NodeJS.ProcessEnv = {}): Promise<{ proc: ChildProcess; client: providerrpc.ResourceProviderClient; stderr: () => string }> {
    const runPlugin = path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin");
    const proc = spawn(process.execPath, [runPlugin, ROOT, engineAddress], {
        cwd,
        env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE, ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr!.on("data", (d) => (stderr += d));
    const port = await pluginPort(proc, "the plugin");
    const client = new providerrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return { proc, client, stderr: () => stderr };
}

function unary<Req, Res>(fn: (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => fn(req, (e, r) => (e ? reject(e) : resolve(r))));
}

describe("the package from other languages (provider protocol, started as the Pulumi CLI starts it)", () => {
    let stack: MockStack;
    let engine: FakeEngine;
    let plugin: Awaited<ReturnType<typeof startPlugin>>;
    let program: string;
    let previousCache: string | undefined;

    before(async () => {
        // The CLI runs package.json's main: the compiled package, so build it from these sources.
        execFileSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(ROOT, "tsconfig.json")], { stdio: "inherit" });
        previousCache = process.env.LAMBDA_PYTHON_CACHE_DIR;
        process.env.LAMBDA_PYTHON_CACHE_DIR = SHARED_CACHE;
        stack = await MockStack.start({ project: PROJECT, stack: STACK });
        engine = new FakeEngine();
        await engine.start();
        // The consumer's program folder: a Python program with its Lambda code beside it.
        program = writeFiles(tmpDir("py-program-"), {
            "Pulumi.yaml": "name: lambda-python\nruntime: python\n",
            "__main__.py": "# the consumer's program (not run here)\n",
            "app/lambda_function.py": HANDLER,
            "shared/helpers.py": "GREETING = 'hello from a layer'\n",
        });
        plugin = await startPlugin(program, engine.address);
    });

    after(() => {
        plugin?.client.close();
        plugin?.proc.kill();
        engine?.stop();
        stack?.stop();
        if (previousCache === undefined) delete process.env.LAMBDA_PYTHON_CACHE_DIR;
        else process.env.LAMBDA_PYTHON_CACHE_DIR = previousCache;
    });

    describe("GetSchema", () => {
        let schema: PackageSchema;
        before(async () => {
            const res = await unary<providerproto.GetSchemaRequest, providerproto.GetSchemaResponse>((r, cb) => plugin.client.getSchema(r, cb), new providerproto.GetSchemaRequest());
            schema = JSON.parse(res.getSchema()) as PackageSchema;
        });

        it("serves the reviewed schema (provider/schema.json), without analyzing the package's TypeScript on start", () => {
            assert.deepEqual(schema, JSON.parse(fs.readFileSync(REVIEWED_SCHEMA, "utf8")));
        });

        it("has in the reviewed schema what the SDK's analyzer infers from the classes; regenerate and review it when the args change", async () => {
            const analyzing = await startPlugin(program, engine.address, { LAMBDA_PYTHON_ANALYZE_SCHEMA: "1" });
            try {
                const res = await unary<providerproto.GetSchemaRequest, providerproto.GetSchemaResponse>((r, cb) => analyzing.client.getSchema(r, cb), new providerproto.GetSchemaRequest());
                const analyzed = JSON.parse(res.getSchema()) as PackageSchema;
                if (process.env.LAMBDA_PYTHON_WRITE_SCHEMA) fs.writeFileSync(REVIEWED_SCHEMA, `${JSON.stringify(analyzed, null, 2)}\n`);
                const reviewed = JSON.parse(fs.readFileSync(REVIEWED_SCHEMA, "utf8"));
                assert.deepEqual(analyzed, reviewed, "the schema differs from provider/schema.json: run with LAMBDA_PYTHON_WRITE_SCHEMA=1, review the diff, commit it");
            } finally {
                analyzing.proc.kill();
            }
        });

        it("names the package lambda-python, so the type tokens are the ones existing stacks hold", () => {
            assert.equal(schema.name, "lambda-python");
            assert.equal(schema.version, JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
            assert.deepEqual(Object.keys(schema.resources).sort(), ["lambda-python:index:PythonFunction", "lambda-python:index:PythonLayer"]);
            assert.ok(Object.values(schema.resources).every((r) => r.isComponent));
        });

        it("keeps the design's argument and output names", () => {
            const fn = schema.resources["lambda-python:index:PythonFunction"];
            for (const arg of ["source", "handler", "runtime", "architecture", "requirements", "layers", "url", "memorySize", "timeout", "environment"]) assert.ok(fn.inputProperties[arg], `PythonFunction input ${arg}`);
            for (const out of ["function", "role", "arn", "url"]) assert.ok(fn.properties[out], `PythonFunction output ${out}`);
            assert.deepEqual(fn.requiredInputs, ["handler", "source"]);
            const layer = schema.resources["lambda-python:index:PythonLayer"];
            for (const arg of ["source", "requirements", "runtimes", "architecture", "layerName"]) assert.ok(layer.inputProperties[arg], `PythonLayer input ${arg}`);
            for (const out of ["layer", "arn"]) assert.ok(layer.properties[out], `PythonLayer output ${out}`);
        });

        it("types architectures and URL auth as enums, and options as named object types", () => {
            const enumValues = (token: string) => (schema.types[token].enum ?? []).map((e) => e.value);
            assert.deepEqual(enumValues("lambda-python:index:Architecture"), ["x86_64", "arm64"]);
            assert.deepEqual(enumValues("lambda-python:index:FunctionUrlAuthType"), ["AWS_IAM", "NONE"]);
            const fn = schema.resources["lambda-python:index:PythonFunction"].inputProperties;
            assert.equal(fn.architecture.$ref, "#/types/lambda-python:index:Architecture");
            assert.equal(fn.url.$ref, "#/types/lambda-python:index:PythonFunctionUrl");
            assert.equal(fn.build.$ref, "#/types/lambda-python:index:BuildSettings");
            assert.equal(fn.functionArgs.$ref, "#/types/lambda-python:index:FunctionPassThrough");
            assert.equal(schema.types["lambda-python:index:FunctionPassThrough"].properties?.vpcConfig.$ref, "#/types/lambda-python:index:FunctionVpcConfig");
        });

        it("takes PythonLayers or ARNs as layers (the one reference the analyzer cannot write)", () => {
            assert.deepEqual(schema.resources["lambda-python:index:PythonFunction"].inputProperties.layers.items, {
                oneOf: [{ type: "string" }, { $ref: "#/resources/lambda-python:index:PythonLayer" }],
            });
        });

        it("refers to @pulumi/aws resources for the children it outputs", () => {
            const aws = schema.dependencies.find((d) => d.name === "aws");
            assert.ok(aws, "aws is a dependency");
            assert.equal(schema.resources["lambda-python:index:PythonFunction"].properties.function.$ref, `/aws/v${aws.version}/schema.json#/resources/aws:lambda%2Ffunction:Function`);
        });
    });

    describe("Construct: a function with a layer and a public URL", () => {
        // What a consumer's program writes, relative paths and all (they resolve from its folder).
        const layerInputs = { source: "shared", runtimes: ["python3.13"], architecture: "arm64" as const };
        const functionInputs = <L>(layerArn: L) => ({
            source: "app",
            handler: "lambda_function.lambda_handler",
            runtime: "python3.13",
            architecture: "arm64" as const,
            layers: [layerArn],
            url: { authType: "NONE" as const },
            memorySize: 256,
            environment: { STAGE: "test" },
        });
        let viaTypeScript: RecordedResource[];
        let viaProtocol: RecordedResource[];
        let layerState: LayerState;
        let functionState: FunctionState;

        async function construct(type: string, name: string, inputs: Record<string, unknown>, inputDependencies: Record<string, string[]> = {}): Promise<providerproto.ConstructResponse> {
            const req = new providerproto.ConstructRequest()
                .setProject(PROJECT)
                .setStack(STACK)
                .setDryrun(true)
                .setParallel(4)
                .setMonitorendpoint(engine.address)
                .setType(type)
                .setName(name)
                .setInputs(structproto.Struct.fromJavaScript(inputs as { [key: string]: structproto.JavaScriptValue }));
            for (const [k, urns] of Object.entries(inputDependencies)) req.getInputdependenciesMap().set(k, new providerproto.ConstructRequest.PropertyDependencies().setUrnsList(urns));
            return unary<providerproto.ConstructRequest, providerproto.ConstructResponse>((r, cb) => plugin.client.construct(r, cb), req);
        }

        before(async () => {
            // The TypeScript class, under the SDK's mock monitor.
            const layer = new PythonLayer("greeting", { ...layerInputs, source: path.join(program, "shared") });
            const fn = new PythonFunction("hello", { ...functionInputs(""), source: path.join(program, "app"), layers: [layer] });
            await resolved(fn.archive);
            await stack.settle();
            viaTypeScript = stack.resources.slice();

            // The same through the protocol, as the engine forwards a Python program's calls: the layer's
            // `arn` output is an output value carrying the dependencies Construct reported for it.
            const layerRes = await construct("lambda-python:index:PythonLayer", "greeting", layerInputs);
            layerState = layerRes.getState()!.toJavaScript() as unknown as LayerState;
            const arnDeps = layerRes.getStatedependenciesMap().get("arn")!.getUrnsList();
            const fnRes = await construct("lambda-python:index:PythonFunction", "hello", functionInputs(outputValue(layerState.arn, arnDeps)), { layers: arnDeps });
            functionState = fnRes.getState()!.toJavaScript() as unknown as FunctionState;
            viaProtocol = engine.registrations.slice();
        });

        const summary = (rs: RecordedResource[]) =>
            rs.map((r) => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, custom: r.custom, wire: r.wire, propertyDependencies: r.propertyDependencies, dependencies: r.dependencies })).sort((a, b) => (a.urn < b.urn ? -1 : 1));

        it("registers the same resources, parents, inputs and dependencies as the TypeScript class", () => {
            assert.equal(viaProtocol.length, 10, "2 components, a LayerVersion and the function's 7 children");
            assert.deepEqual(summary(viaProtocol), summary(viaTypeScript));
        });

        it("registers the components and their children under them", () => {
            const childrenOf = (type: string, name: string) => {
                const parent = viaProtocol.find((r) => r.type === type && r.name === name)!;
                assert.equal(parent.custom, false);
                return viaProtocol
                    .filter((r) => r.parent === parent.urn)
                    .map((r) => `${r.type}::${r.name}`)
                    .sort();
            };
            assert.deepEqual(childrenOf("lambda-python:index:PythonLayer", "greeting"), ["aws:lambda/layerVersion:LayerVersion::greeting"]);
            assert.deepEqual(childrenOf("lambda-python:index:PythonFunction", "hello"), [
                "aws:cloudwatch/logGroup:LogGroup::hello-logs",
                "aws:iam/role:Role::hello-role",
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment::hello-basic-execution",
                "aws:lambda/function:Function::hello",
                "aws:lambda/functionUrl:FunctionUrl::hello-url",
                "aws:lambda/permission:Permission::hello-url-invoke",
                "aws:lambda/permission:Permission::hello-url-invoke-url",
            ]);
        });

        it("resolves relative paths from the consumer's program folder", () => {
            const f = viaProtocol.find((r) => r.type === "aws:lambda/function:Function")!;
            const code = f.wire.code as Record<string, string>;
            assert.ok(path.isAbsolute(code.path) && fs.existsSync(code.path));
            assert.deepEqual(f.wire.architectures, ["arm64"]);
            assert.equal(f.wire.layers && (f.wire.layers as string[])[0], layerState.arn);
            assert.ok(f.propertyDependencies.layers.includes(viaProtocol.find((r) => r.type === "aws:lambda/layerVersion:LayerVersion")!.urn));
        });

        it("returns the outputs the schema declares", () => {
            assert.match(layerState.arn, /^arn:aws:lambda:us-east-1:123456789012:layer:greeting:1$/);
            assert.match(functionState.url, /^https:\/\/hello-url\.lambda-url\./);
            assert.match(functionState.arn, /^arn:aws:lambda:/);
            assert.equal(functionState.archive.upload, "direct");
        });

        const layerUrn = () => viaProtocol.find((r) => r.type === "lambda-python:index:PythonLayer")!.urn;
        const layerVersionUrn = () => viaProtocol.find((r) => r.type === "aws:lambda/layerVersion:LayerVersion")!.urn;

        for (const [how, withDependencies] of [
            ["with its dependency (one Output of the list)", true],
            ["without dependencies (a plain list)", false],
        ] as const) {
            it(`takes a PythonLayer passed by reference ${how}, and uses the layer's ARN`, async () => {
                const before = engine.registrations.length;
                const { url: _url, ...withoutUrl } = functionInputs(resourceRef(layerUrn()));
                const name = `by-ref-${withDependencies ? "deps" : "plain"}`;
                await construct("lambda-python:index:PythonFunction", name, withoutUrl, withDependencies ? { layers: [layerUrn()] } : {});
                const f = engine.registrations.slice(before).find((r) => r.type === "aws:lambda/function:Function")!;
                assert.deepEqual(f.wire.layers, [layerState.arn]);
                assert.ok(f.propertyDependencies.layers.includes(layerVersionUrn()), "the function depends on the LayerVersion");
                // Otherwise as the TypeScript class registers it (names aside; the reference adds a dependency on the PythonLayer itself).
                const fromTypeScript = viaTypeScript.find((r) => r.type === "aws:lambda/function:Function" && r.name === "hello")!;
                const comparable = (w: Record<string, unknown>) => ({ ...w, name: undefined, loggingConfig: undefined, role: undefined });
                assert.deepEqual(comparable(f.wire), comparable(fromTypeScript.wire));
            });
        }

        it("checks a PythonLayer passed by reference against the function, as from TypeScript", async () => {
            const { url: _url, ...withoutUrl } = functionInputs(resourceRef(layerUrn()));
            await assert.rejects(construct("lambda-python:index:PythonFunction", "x86-on-arm", { ...withoutUrl, architecture: "x86_64" }, { layers: [layerUrn()] }), (e: grpc.ServiceError) => {
                assert.match(e.details, /PythonFunction "x86-on-arm" runs on x86_64 but PythonLayer "greeting" is built for arm64\. Build the layer for x86_64/);
                return true;
            });
        });

        it("rejects a reference to a PythonLayer the plugin did not create, asking for its ARN", async () => {
            const stranger = layerUrn().replace(/greeting$/, "elsewhere");
            const { url: _url, ...withoutUrl } = functionInputs(resourceRef(stranger));
            await assert.rejects(construct("lambda-python:index:PythonFunction", "stranger", withoutUrl), (e: grpc.ServiceError) => {
                assert.match(e.details, /PythonFunction "stranger": layer urn:\S+::elsewhere is a PythonLayer this plugin did not create, so it cannot be checked; pass its arn instead/);
                return true;
            });
        });

        it("takes layers as plain ARNs with dependencies too (engines that do not send output values)", async () => {
            const before = engine.registrations.length;
            const layerVersion = viaProtocol.find((r) => r.type === "aws:lambda/layerVersion:LayerVersion")!;
            const { url: _url, ...withoutUrl } = functionInputs(layerState.arn);
            await construct("lambda-python:index:PythonFunction", "hello-plain", withoutUrl, { layers: [layerVersion.urn] });
            const f = engine.registrations.slice(before).find((r) => r.type === "aws:lambda/function:Function")!;
            assert.deepEqual(f.wire.layers, [layerState.arn]);
            assert.deepEqual(f.propertyDependencies.layers, [layerVersion.urn]);
        });

        it("fails a handler module the source lacks with the component's message (an error found while building)", async () => {
            await assert.rejects(construct("lambda-python:index:PythonFunction", "no-module", { source: "app", handler: "app.handler" }), (e: grpc.ServiceError) => {
                assert.match(e.details, /PythonFunction "no-module": handler "app\.handler" needs app\.py at the root/);
                assert.doesNotMatch(e.details, /\n\s+at /, "no stack trace");
                return true;
            });
        });

        it("fails a missing source folder with one paragraph naming the component and the path in the program folder", async () => {
            await assert.rejects(construct("lambda-python:index:PythonFunction", "missing", { source: "no-such-folder", handler: "lambda_function.lambda_handler" }), (e: grpc.ServiceError) => {
                assert.match(e.details, new RegExp(`PythonFunction "missing": source folder ${program.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/no-such-folder does not exist`));
                assert.doesNotMatch(e.details, /\n\s+at /, "no stack trace");
                return true;
            });
        });
    });
});

// The SDKs a Python, Go or Node.js program is written against (generated from this schema by Pulumi's
// own generators) and the example programs that use them: test/sdks.test.ts.
