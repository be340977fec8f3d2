// The policy pack as the Pulumi CLI runs it: its own process, started in the
// policies/ folder, speaking gRPC. This is the path for policy config (the
// injected clock, thresholds, runtime overrides, enforcement levels).
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as grpc from "@grpc/grpc-js";
import * as path from "path";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { fileArchive, FUNCTION, FUNCTION_URL, urnOf } from "./analyzer";
import { ROOT, tmpDir } from "./helpers";
import { craftZip } from "./zip-crafter";

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"];
const LEVELS_SEVERITY = ["unspecified", "low", "medium", "high", "critical"];

describe("policy pack over gRPC (started like the Pulumi CLI starts it)", () => {
    let pack: ChildProcess;
    let client: analyzerrpc.AnalyzerClient;
    const code = path.join(tmpDir("grpc-"), "code.zip");

    before(async () => {
        fs.writeFileSync(
            code,
            craftZip([
                { name: "lambda_function.py", data: Buffer.from("def lambda_handler(e, c):\n    return 1\n") },
                { name: "__pycache__/x.cpython-311.pyc", data: Buffer.alloc(8) },
            ]),
        );
        pack = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "index.ts"], { cwd: path.join(ROOT, "policies"), stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        pack.stderr!.on("data", (d) => (stderr += d));
        const port = await new Promise<string>((resolve, reject) => {
            pack.stdout!.once("data", (d) => resolve(String(d).trim()));
            pack.once("exit", (c) => reject(new Error(`policy pack exited with ${c}: ${stderr}`)));
        });
        client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        pack?.kill();
    });

    const rpc = <Req, Res>(method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req) => new Promise<Res>((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));

    async function configure(config: Record<string, { level?: number; properties?: Record<string, unknown> }>) {
        const req = new analyzerproto.ConfigureAnalyzerRequest();
        for (const [policy, c] of Object.entries(config)) {
            const pc = new analyzerproto.PolicyConfig();
            pc.setEnforcementlevel(c.level ?? analyzerproto.EnforcementLevel.MANDATORY);
            pc.setProperties(structproto.Struct.fromJavaScript((c.properties ?? {}) as never));
            req.getPolicyconfigMap().set(policy, pc);
        }
        await rpc(client.configure, req);
    }

    async function analyzeFunction(name: string, props: Record<string, unknown>) {
        const req = new analyzerproto.AnalyzeRequest();
        req.setType(FUNCTION);
        req.setName(name);
        req.setUrn(urnOf(FUNCTION, name));
        req.setProperties(structproto.Struct.fromJavaScript(props as never));
        req.setOptions(new analyzerproto.AnalyzerResourceOptions());
        const res = await rpc<analyzerproto.AnalyzeRequest, analyzerproto.AnalyzeResponse>(client.analyze, req);
        return res.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: LEVELS[d.getEnforcementlevel()], message: d.getMessage() }));
    }

    const fn = (runtime: string) => ({ code: fileArchive(code), handler: "lambda_function.lambda_handler", runtime, architectures: ["x86_64"] });

    it("publishes every policy with its config schema and default level", async () => {
        const info = await rpc<Empty, analyzerproto.AnalyzerInfo>(client.getAnalyzerInfo, new Empty());
        assert.equal(info.getName(), "lambda-python");
        assert.equal(info.getVersion(), JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "package.json"), "utf8")).version);
        const policies = Object.fromEntries(info.getPoliciesList().map((p) => [p.getName(), p]));
        assert.deepEqual(Object.keys(policies).sort(), [
            "lambda-architecture-compatibility",
            "lambda-environment-limits",
            "lambda-environment-secrets",
            "lambda-function-url-cors",
            "lambda-function-url-public",
            "lambda-handler-at-root",
            "lambda-layer-count",
            "lambda-layer-python-path",
            "lambda-no-pycache",
            "lambda-package-secrets",
            "lambda-partial-boto3",
            "lambda-permission-public",
            "lambda-runtime-deprecation",
            "lambda-unzipped-size",
            "lambda-zip-entry-safety",
            "lambda-zip-size",
        ]);
        assert.equal(LEVELS[policies["lambda-function-url-public"].getEnforcementlevel()], "advisory");
        assert.equal(LEVELS[policies["lambda-no-pycache"].getEnforcementlevel()], "mandatory");
        const schema = policies["lambda-runtime-deprecation"].getConfigschema()!.getProperties()!.toJavaScript() as Record<string, { default?: unknown }>;
        assert.deepEqual(Object.keys(schema).sort(), ["exempt", "now", "runtimes", "warnDays"]);
        assert.equal(schema.warnDays.default, 90);
    });

    it("publishes the pack's display name and each policy's severity, remediation, docs link and tags", async () => {
        const info = await rpc<Empty, analyzerproto.AnalyzerInfo>(client.getAnalyzerInfo, new Empty());
        assert.equal(info.getDisplayname(), "AWS Lambda packaging and safety");
        const docs = fs.readFileSync(path.join(ROOT, "docs", "policies.md"), "utf8");
        for (const p of info.getPoliciesList()) {
            assert.ok(p.getDisplayname(), `${p.getName()} has no display name`);
            assert.ok(p.getRemediationSteps(), `${p.getName()} has no remediation steps`);
            assert.ok(p.getTagsList().includes("lambda"), `${p.getName()} tags: ${p.getTagsList()}`);
            assert.ok(["low", "medium", "high", "critical"].includes(LEVELS_SEVERITY[p.getSeverity()]), `${p.getName()} severity ${p.getSeverity()}`);
            assert.ok(p.getUrl().endsWith(`docs/policies.md#${p.getName()}`), p.getUrl());
            assert.ok(docs.includes(`<a id="${p.getName()}"></a>`), `docs/policies.md has no anchor for ${p.getName()}`);
        }
    });

    it("exempts resources listed in a policy's exempt config, reporting the finding as an advisory", async () => {
        await configure({ "lambda-no-pycache": { properties: { exempt: ["legacy"] } } });
        const exempt = (await analyzeFunction("legacy", fn("python3.14"))).filter((x) => x.policy === "lambda-no-pycache");
        assert.equal(exempt.length, 1);
        assert.equal(exempt[0].level, "advisory");
        assert.match(exempt[0].message, /Exempt: function "legacy" is in the policy's exempt config, so this finding is not enforced: function "legacy" contains 1 bytecode cache entries/);
        const other = (await analyzeFunction("api", fn("python3.14"))).filter((x) => x.policy === "lambda-no-pycache");
        assert.equal(other[0].level, "mandatory");
    });

    it("tells Pulumi secrets from plain text in environment variables, as the engine sends them", async () => {
        const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "s3cr3t-passw0rd" };
        const withEnv = (value: unknown) => ({ ...fn("python3.14"), environment: { variables: { DB_PASSWORD: value } } });
        const plain = (await analyzeFunction("api", withEnv("s3cr3t-passw0rd"))).filter((d) => d.policy === "lambda-environment-secrets");
        assert.equal(plain.length, 1);
        assert.equal(plain[0].level, "mandatory");
        assert.match(plain[0].message, /sets environment variable DB_PASSWORD in plain text/);
        assert.doesNotMatch(plain[0].message, /s3cr3t/);
        assert.deepEqual(
            (await analyzeFunction("api", withEnv(secret))).filter((d) => d.policy === "lambda-environment-secrets"),
            [],
        );
    });

    it("uses the injected clock: an advisory before deprecation, a violation after, with the block dates", async () => {
        await configure({ "lambda-runtime-deprecation": { properties: { now: "2027-05-01", warnDays: 90 } } });
        const before = (await analyzeFunction("api", fn("python3.11"))).filter((d) => d.policy === "lambda-runtime-deprecation");
        assert.equal(before.length, 1);
        assert.equal(before[0].level, "advisory");
        assert.match(before[0].message, /deprecated on 2027-06-30, in 60 days; creating functions is blocked from 2027-07-31 and updating them from 2027-08-31/);

        await configure({ "lambda-runtime-deprecation": { properties: { now: "2027-07-01" } } });
        const after = (await analyzeFunction("api", fn("python3.11"))).filter((d) => d.policy === "lambda-runtime-deprecation");
        assert.equal(after[0].level, "mandatory");
        assert.match(after[0].message, /deprecated since 2027-06-30 \(no more security patches\); creating functions is blocked from 2027-07-31/);

        await configure({ "lambda-runtime-deprecation": { properties: { now: "2026-01-01" } } });
        assert.deepEqual(
            (await analyzeFunction("api", fn("python3.11"))).filter((d) => d.policy === "lambda-runtime-deprecation"),
            [],
        );
    });

    it("takes runtime rows from config: a new runtime, and a moved date", async () => {
        await configure({
            "lambda-runtime-deprecation": {
                properties: { now: "2026-11-21", runtimes: { "python3.15": { os: "AL2023", deprecated: "2031-06-30", blockCreate: "2031-07-31", blockUpdate: "2031-08-31" }, "python3.12": { deprecated: "2026-12-01" } } },
            },
        });
        assert.deepEqual(
            (await analyzeFunction("api", fn("python3.15"))).filter((d) => d.policy === "lambda-runtime-deprecation"),
            [],
        );
        const moved = (await analyzeFunction("api", fn("python3.12"))).filter((d) => d.policy === "lambda-runtime-deprecation");
        assert.match(moved[0].message, /deprecated on 2026-12-01, in 10 days/);
    });

    it("honours a policy's enforcement level from config", async () => {
        await configure({ "lambda-no-pycache": { level: analyzerproto.EnforcementLevel.ADVISORY } });
        const d = (await analyzeFunction("api", fn("python3.14"))).filter((x) => x.policy === "lambda-no-pycache");
        assert.equal(d[0].level, "advisory");
        await configure({ "lambda-no-pycache": { level: analyzerproto.EnforcementLevel.DISABLED } });
        assert.deepEqual(
            (await analyzeFunction("api", fn("python3.14"))).filter((x) => x.policy === "lambda-no-pycache"),
            [],
        );
    });

    it("applies thresholds from config", async () => {
        await configure({ "lambda-zip-size": { properties: { maxZippedBytes: 100 } } });
        const d = (await analyzeFunction("api", fn("python3.14"))).filter((x) => x.policy === "lambda-zip-size");
        assert.match(d[0].message, /over the 100 B \(100 bytes\) limit/);
    });

    it("allows a public function URL for a function listed in config", async () => {
        const stack = (authorizationType: string) => {
            const req = new analyzerproto.AnalyzeStackRequest();
            const f = new analyzerproto.AnalyzerResource();
            f.setType(FUNCTION);
            f.setName("hello");
            f.setUrn(urnOf(FUNCTION, "hello"));
            f.setProperties(structproto.Struct.fromJavaScript(fn("python3.14") as never));
            f.setOptions(new analyzerproto.AnalyzerResourceOptions());
            const u = new analyzerproto.AnalyzerResource();
            u.setType(FUNCTION_URL);
            u.setName("hello-url");
            u.setUrn(urnOf(FUNCTION_URL, "hello-url"));
            u.setProperties(structproto.Struct.fromJavaScript({ functionName: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", authorizationType }));
            u.setOptions(new analyzerproto.AnalyzerResourceOptions());
            const deps = new analyzerproto.AnalyzerPropertyDependencies();
            deps.setUrnsList([urnOf(FUNCTION, "hello")]);
            u.getPropertydependenciesMap().set("functionName", deps);
            req.setResourcesList([f, u]);
            return rpc<analyzerproto.AnalyzeStackRequest, analyzerproto.AnalyzeResponse>(client.analyzeStack, req);
        };
        await configure({ "lambda-function-url-public": { level: analyzerproto.EnforcementLevel.MANDATORY, properties: { allowedFunctions: [] } } });
        const flagged = (await stack("NONE")).getDiagnosticsList().filter((d) => d.getPolicyname() === "lambda-function-url-public");
        assert.equal(LEVELS[flagged[0].getEnforcementlevel()], "mandatory");
        await configure({ "lambda-function-url-public": { level: analyzerproto.EnforcementLevel.MANDATORY, properties: { allowedFunctions: ["hello"] } } });
        assert.equal((await stack("NONE")).getDiagnosticsList().filter((d) => d.getPolicyname() === "lambda-function-url-public").length, 0);
    });
});
