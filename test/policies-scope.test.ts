// The pack switched on for a whole organisation: functions in every
// language, judged through @pulumi/policy's analyzer entry points with real
// protobufs. Python rules only for Python; language-neutral rules (sizes,
// architecture, entry safety, runtime dates, environment, permissions,
// URLs) for everyone; unknowns "not checked yet"; exemptions reported.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { analyze, analyzeStack, assetArchive, Diagnostic, FUNCTION, FUNCTION_URL, fileArchive, LAYER, only, stringAsset, UNKNOWN_STRING, urnOf } from "./analyzer";
import { tmpDir } from "./helpers";
import { CraftEntry, craftZip, elfHeader } from "./zip-crafter";

const PERMISSION = "aws:lambda/permission:Permission";
const SECRET = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
const ROLE = "arn:aws:iam::123456789012:role/lambda";

function zip(entries: CraftEntry[]): string {
    const p = path.join(tmpDir("scope-"), "code.zip");
    fs.writeFileSync(p, craftZip(entries));
    return p;
}

/** A PE header: i386 machine, PE32 optional header, with or without a CLR (.NET) data directory. */
function peHeader(managed: boolean): Buffer {
    const b = Buffer.alloc(512);
    b.write("MZ", 0, "latin1");
    b.writeUInt32LE(0x80, 0x3c);
    b.write("PE\0\0", 0x80, "latin1");
    b.writeUInt16LE(0x14c, 0x84);
    b.writeUInt16LE(0x10b, 0x98);
    if (managed) b.writeUInt32LE(0x48, 0x98 + 96 + 14 * 8 + 4);
    return b;
}

const summary = (diags: Diagnostic[]) => diags.map((d) => `${d.policy}/${d.level}: ${d.message}`).join("\n");
function clean(diags: Diagnostic[]) {
    assert.deepEqual(diags, [], summary(diags));
}
function one(diags: Diagnostic[], policy: string, level: Diagnostic["level"] = "mandatory"): Diagnostic {
    const found = only(diags, policy);
    assert.equal(found.length, 1, `expected one ${policy}:\n${summary(diags)}`);
    assert.equal(found[0].level, level, found[0].message);
    return found[0];
}

/** Every resource policy on the function, then every stack policy on a stack of it (and extra resources). */
async function everything(name: string, props: Record<string, unknown>, extra: { type: string; name: string; props: Record<string, unknown> }[] = []) {
    return [...(await analyze(FUNCTION, name, props)), ...(await analyzeStack([{ type: FUNCTION, name, props }, ...extra]))];
}

describe("policy pack across languages (analyzer entry points, real protobufs)", () => {
    describe("correct non-Python functions get nothing at all", () => {
        it("a Node.js function whose archive carries node-gyp's .py and .pyc files", async () => {
            const code = zip([
                { name: "index.mjs", data: Buffer.from("export const handler = async () => 1;\n") },
                { name: "node_modules/node-gyp/gyp/pylib/gyp/common.py", data: Buffer.from("x = 1\n") },
                { name: "node_modules/node-gyp/gyp/pylib/gyp/__pycache__/common.cpython-311.pyc", data: Buffer.alloc(16) },
                { name: "node_modules/botocore/__init__.py", data: Buffer.from("") },
            ]);
            clean(await everything("node", { code: fileArchive(code), handler: "index.handler", runtime: "nodejs24.x", role: ROLE }));
        });
        it("a Go bootstrap for arm64 on provided.al2023", async () => {
            const code = zip([{ name: "bootstrap", data: Buffer.concat([elfHeader(183), Buffer.alloc(256)]), mode: 0o100755 }]);
            clean(await everything("go", { code: fileArchive(code), handler: "bootstrap", runtime: "provided.al2023", architectures: ["arm64"], role: ROLE }));
        });
        it("a Java function with a Class::method handler", async () => {
            const code = zip([
                { name: "com/example/Handler.class", data: Buffer.concat([Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 65]), Buffer.alloc(64)]) },
                { name: "lib/gson-2.11.0.jar", data: Buffer.alloc(64) },
            ]);
            clean(await everything("java", { code: fileArchive(code), handler: "com.example.Handler::handleRequest", runtime: "java21", role: ROLE }));
        });
        it("a .NET function: its assemblies are PE files, but managed, not native", async () => {
            const code = zip([
                { name: "HelloWorld.dll", data: peHeader(true) },
                { name: "Amazon.Lambda.Core.dll", data: peHeader(true) },
            ]);
            clean(await everything("dotnet", { code: fileArchive(code), handler: "HelloWorld::HelloWorld.Function::FunctionHandler", runtime: "dotnet10", role: ROLE }));
        });
        it("a Node.js addon shipping prebuilds for every platform (node-gyp-build picks linux-arm64)", async () => {
            const addon = (dir: string, head: Buffer) => ({ name: `node_modules/utf-8-validate/prebuilds/${dir}/node.napi.node`, data: Buffer.concat([head, Buffer.alloc(256)]) });
            const prebuilds = [
                addon("darwin-x64+arm64", Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0x07, 0, 0, 0x01]), Buffer.alloc(56)])),
                addon("win32-x64", peHeader(false)),
                addon("linux-x64", elfHeader(62)),
                addon("linux-arm64", elfHeader(183)),
            ];
            const code = zip([{ name: "index.mjs", data: Buffer.from("export const handler = async () => 1;\n") }, ...prebuilds]);
            clean(await everything("node", { code: fileArchive(code), handler: "index.handler", runtime: "nodejs24.x", architectures: ["arm64"], role: ROLE }));
            // Without a linux-arm64 build the addon cannot load on arm64: that is reported.
            const x64only = zip([{ name: "index.mjs", data: Buffer.from("1") }, prebuilds[0], prebuilds[2]]);
            const text = summary(only(await analyzeStack([{ type: FUNCTION, name: "node", props: { code: fileArchive(x64only), handler: "index.handler", runtime: "nodejs24.x", architectures: ["arm64"] } }]), "lambda-architecture-compatibility"));
            assert.match(text, /contains macOS \(Mach-O\) binaries/);
            assert.match(text, /runs on arm64 but holds 1 native binary built for x86_64: node_modules\/utf-8-validate\/prebuilds\/linux-x64\/node\.napi\.node\. Reinstall native modules for Linux on arm64 \(`npm install --os=linux --cpu=arm64`\)/);
        });
        it("a framework-dependent .NET publish with runtimes/<rid>/native for every platform", async () => {
            const native = (rid: string, head: Buffer, file: string) => ({ name: `runtimes/${rid}/native/${file}`, data: Buffer.concat([head, Buffer.alloc(256)]) });
            const code = zip([
                { name: "HelloWorld.dll", data: peHeader(true) },
                native("win-x64", peHeader(false), "e_sqlite3.dll"),
                native("osx-arm64", Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0, 0, 0x01]), Buffer.alloc(56)]), "libe_sqlite3.dylib"),
                native("linux-musl-x64", elfHeader(62), "libe_sqlite3.so"),
                native("linux-x64", elfHeader(62), "libe_sqlite3.so"),
                native("linux-arm64", elfHeader(183), "libe_sqlite3.so"),
            ]);
            clean(await everything("dotnet", { code: fileArchive(code), handler: "A::B::C", runtime: "dotnet10", architectures: ["arm64"], role: ROLE }));
        });
        it("a Ruby function and a Node.js layer without declared runtimes", async () => {
            clean(await everything("ruby", { code: assetArchive({ "lambda_function.rb": stringAsset("def handler(event:, context:) = 1\n") }), handler: "lambda_function.handler", runtime: "ruby3.4", role: ROLE }));
            const layer = zip([
                { name: "nodejs/node_modules/a/index.js", data: Buffer.from("") },
                { name: "nodejs/node_modules/a/setup.py", data: Buffer.from("") },
                { name: "tools/x.pyc", data: Buffer.alloc(4) },
            ]);
            clean(await analyze(LAYER, "node-deps", { code: fileArchive(layer) }));
        });
    });

    describe("language-neutral rules still apply to every function", () => {
        it("an x86-64 Go bootstrap in an arm64 function is an error that does not talk about pip", async () => {
            const code = zip([{ name: "bootstrap", data: Buffer.concat([elfHeader(62), Buffer.alloc(256)]), mode: 0o100755 }]);
            const d = one(await analyzeStack([{ type: FUNCTION, name: "go", props: { code: fileArchive(code), handler: "bootstrap", runtime: "provided.al2023", architectures: ["arm64"] } }]), "lambda-architecture-compatibility");
            assert.match(d.message, /function "go" runs on arm64 but holds 1 native binary built for x86_64: bootstrap\. Rebuild the executable for Linux on arm64 \(Go: `GOOS=linux GOARCH=arm64`/);
            assert.doesNotMatch(d.message, /pip|wheel|manylinux/);
        });
        it("a native (not .NET) Windows DLL in a .NET function is an error", async () => {
            const code = zip([
                { name: "HelloWorld.dll", data: peHeader(true) },
                { name: "runtimes/win-x86/native/sqlite3.dll", data: peHeader(false) },
            ]);
            const d = one(await analyzeStack([{ type: FUNCTION, name: "dotnet", props: { code: fileArchive(code), handler: "A::B::C", runtime: "dotnet10" } }]), "lambda-architecture-compatibility");
            assert.match(d.message, /contains Windows \(PE\) binaries, which can never load on Lambda: runtimes\/win-x86\/native\/sqlite3\.dll \[i386\]/);
            assert.doesNotMatch(d.message, /pip/);
        });
        it("runtime dates for Node.js, Ruby, Java, .NET and Go, from the table", async () => {
            const rt = async (runtime: string) => only(await analyze(FUNCTION, "f", { code: assetArchive({ a: stringAsset("1") }), handler: "a.b", runtime }), "lambda-runtime-deprecation");
            assert.match((await rt("nodejs18.x"))[0].message, /function "f" uses nodejs18\.x: deprecated since 2025-07-31.* Move to nodejs24\.x\./);
            assert.match((await rt("ruby2.7"))[0].message, /uses ruby2\.7: deprecated since 2023-12-07.*Move to ruby3\.4\./);
            assert.match((await rt("go1.x"))[0].message, /uses go1\.x: deprecated since 2024-01-08.*Move to provided\.al2023\./);
            assert.match((await rt("dotnetcore3.1"))[0].message, /retired.*Move to dotnet10\./);
            for (const ok of ["nodejs24.x", "java25", "java21", "dotnet10", "ruby3.4", "provided.al2023"]) assert.deepEqual(await rt(ok), [], ok);
            const newer = await rt("nodejs26.x");
            assert.equal(newer[0].level, "advisory");
            assert.match(newer[0].message, /nodejs26\.x, which is newer than the lifecycle table/);
        });
    });

    describe("Python rules only for Python", () => {
        it("a layer holding python/ is Python even without declared runtimes", async () => {
            const layer = zip([
                { name: "python/flask/__init__.py", data: Buffer.from("") },
                { name: "requests/__init__.py", data: Buffer.from("") },
            ]);
            assert.match(one(await analyze(LAYER, "deps", { code: fileArchive(layer) }), "lambda-layer-python-path").message, /Python code outside python\/: requests\//);
        });
        it("a Python function still gets the handler and __pycache__ rules", async () => {
            const code = zip([
                { name: "app/lambda_function.py", data: Buffer.from("def h(e, c):\n    return 1\n") },
                { name: "app/__pycache__/x.pyc", data: Buffer.alloc(4) },
            ]);
            const diags = await analyze(FUNCTION, "py", { code: fileArchive(code), handler: "lambda_function.h", runtime: "python3.13" });
            one(diags, "lambda-handler-at-root");
            one(diags, "lambda-no-pycache");
        });
        it("a runtime unknown during preview gives one advisory 'not checked yet', never a pass or an error", async () => {
            const code = zip([
                { name: "app/lambda_function.py", data: Buffer.from("") },
                { name: "__pycache__/x.pyc", data: Buffer.alloc(4) },
            ]);
            const diags = await everything("later", { code: fileArchive(code), handler: "lambda_function.h", runtime: UNKNOWN_STRING, architectures: UNKNOWN_STRING, environment: UNKNOWN_STRING });
            assert.equal(diags.length, 1, summary(diags));
            assert.match(one(diags, "lambda-runtime-deprecation", "advisory").message, /the runtime of function "later" is not known during preview, so its deprecation date and the Python-specific checks .* are not checked yet/);
        });
        it("a layer whose runtimes are unknown during preview gets one 'not checked yet'", async () => {
            const layer = zip([{ name: "flask/__init__.py", data: Buffer.from("") }]);
            const diags = await analyze(LAYER, "deps", { code: fileArchive(layer), compatibleRuntimes: UNKNOWN_STRING });
            assert.equal(diags.length, 1, summary(diags));
            assert.match(one(diags, "lambda-runtime-deprecation", "advisory").message, /compatible runtimes of layer "deps" are not known during preview/);
        });
    });

    describe("lambda-environment-secrets", () => {
        const env = (variables: Record<string, unknown>) => ({ code: assetArchive({ "index.js": stringAsset("1") }), handler: "index.handler", runtime: "nodejs24.x", environment: { variables } });
        it("names the variable, never the value: by name, by AWS key id, by private key", async () => {
            const diags = only(
                await analyze(FUNCTION, "api", env({ DB_PASSWORD: "s3cr3t-passw0rd", KEY: "AKIAIOSFODNN7EXAMPLE", PEM: "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", LOG_LEVEL: "debug" })),
                "lambda-environment-secrets",
            );
            const text = summary(diags);
            assert.match(text, /environment variables KEY \(holds an AWS access key id\), PEM \(holds a private key\)/);
            assert.match(text, /sets environment variable DB_PASSWORD in plain text; the name says it holds a secret/);
            for (const secret of ["s3cr3t", "AKIAIOSFODNN7EXAMPLE", "MIIB"]) assert.ok(!text.includes(secret), `printed ${secret}`);
            assert.ok(diags.every((d) => d.level === "mandatory"));
        });
        it("skips Pulumi secrets, references and values not known yet", async () => {
            clean(
                only(
                    await analyze(FUNCTION, "api", env({ DB_PASSWORD: SECRET("s3cr3t-passw0rd"), API_TOKEN: UNKNOWN_STRING, DB_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:x", TOKEN_TTL: "3600", PASSWORD_PARAM: "/prod/db/password" })),
                    "lambda-environment-secrets",
                ),
            );
        });
        it("calls a random-looking token an advisory", async () => {
            const d = one(await analyze(FUNCTION, "api", env({ WEBHOOK: "q8Zr3LmX0vT9pK2sW7yB4nE6hJ1cF5gA" })), "lambda-environment-secrets", "advisory");
            assert.match(d.message, /WEBHOOK looks like a random token \(high entropy\)/);
        });
    });

    describe("lambda-environment-limits", () => {
        const env = (variables: Record<string, unknown>) => ({ code: assetArchive({ "index.js": stringAsset("1") }), handler: "index.handler", runtime: "nodejs24.x", environment: { variables } });
        it("rejects names Lambda reserves, invalid names and more than 4 KB", async () => {
            const text = summary(only(await analyze(FUNCTION, "api", env({ AWS_REGION: "eu-west-1", _HANDLER: "x", "1BAD": "x", BIG: "y".repeat(4100) })), "lambda-environment-limits"));
            assert.match(text, /sets AWS_REGION, _HANDLER, which Lambda reserves/);
            assert.match(text, /names Lambda rejects: "1BAD"/);
            assert.match(text, /take 4\.0\d KB \(4,1\d\d bytes\), over Lambda's 4\.00 KB \(4,096 bytes\) limit/);
        });
        it("accepts AWS_LAMBDA_EXEC_WRAPPER and an ordinary environment", async () => {
            clean(only(await analyze(FUNCTION, "api", env({ AWS_LAMBDA_EXEC_WRAPPER: "/opt/otel-handler", TABLE: "orders" })), "lambda-environment-limits"));
        });
    });

    describe("lambda-permission-public and lambda-function-url-cors", () => {
        const perm = (props: Record<string, unknown>) => analyze(PERMISSION, "p", { action: "lambda:InvokeFunction", function: "api", ...props });
        it("flags principal * with nothing narrowing it", async () => {
            assert.match(one(await perm({ principal: "*" }), "lambda-permission-public").message, /permission "p" on function api lets principal "\*" \(anyone, in any AWS account\) call lambda:InvokeFunction/);
        });
        it("passes narrowed permissions, service principals and function-URL permissions", async () => {
            clean(await perm({ principal: "*", sourceArn: "arn:aws:execute-api:us-east-1:1:abc/*" }));
            clean(await perm({ principal: "*", principalOrgId: "o-abc123" }));
            clean(await perm({ principal: "*", sourceAccount: UNKNOWN_STRING }));
            clean(await perm({ principal: "s3.amazonaws.com" }));
            clean(await perm({ principal: "*", action: "lambda:InvokeFunctionUrl", functionUrlAuthType: "NONE" }));
            clean(await perm({ principal: "*", invokedViaFunctionUrl: true }));
        });
        it("flags CORS allowing every origin with credentials, not one without", async () => {
            const url = (cors: Record<string, unknown>) => analyze(FUNCTION_URL, "u", { functionName: "api", authorizationType: "AWS_IAM", cors });
            assert.match(one(await url({ allowOrigins: ["*"], allowCredentials: true }), "lambda-function-url-cors").message, /function "api" has a function URL whose CORS allows every origin \("\*"\) together with credentials/);
            clean(await url({ allowOrigins: ["*"], allowCredentials: false }));
            clean(await url({ allowOrigins: ["https://app.example.com"], allowCredentials: true }));
        });
    });

    describe("exemptions", () => {
        it("a lambda-python:skip tag turns the findings into one advisory that says why", async () => {
            const props = {
                code: assetArchive({ "index.js": stringAsset("1") }),
                handler: "index.handler",
                runtime: "nodejs18.x",
                tags: { "lambda-python:skip": "lambda-runtime-deprecation, lambda-environment-secrets" },
                environment: { variables: { DB_PASSWORD: "plain-text-pw" } },
            };
            const diags = await analyze(FUNCTION, "legacy", props);
            assert.equal(diags.length, 2, summary(diags));
            assert.ok(diags.every((d) => d.level === "advisory"));
            assert.match(one(diags, "lambda-runtime-deprecation", "advisory").message, /Exempt: function "legacy" has the tag lambda-python:skip=.*, so this finding is not enforced: function "legacy" uses nodejs18\.x/);
        });
        it("tagging a function exempts its URL from the public-URL policy", async () => {
            const diags = await analyzeStack([
                { type: FUNCTION, name: "hello", props: { code: assetArchive({ "index.js": stringAsset("1") }), handler: "index.handler", runtime: "nodejs24.x", tags: { "lambda-python:skip": "lambda-function-url-public" } } },
                { type: FUNCTION_URL, name: "hello-url", props: { functionName: UNKNOWN_STRING, authorizationType: "NONE" }, propertyDependencies: { functionName: [urnOf(FUNCTION, "hello")] } },
            ]);
            assert.match(one(diags, "lambda-function-url-public", "advisory").message, /Exempt: function "hello" has the tag lambda-python:skip=lambda-function-url-public/);
        });
    });
});
