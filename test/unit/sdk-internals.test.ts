// The Pulumi SDK internals this package relies on, under `^` version ranges
// (@pulumi/pulumi, @pulumi/policy). None is in the SDKs' typings or docs, so
// a minor release may change them; each test here uses the internal the way
// our code does and fails, naming it, when it no longer behaves so.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { ComponentError } from "../../components/component-error";
import { analyzeResource, analyzeStackResources } from "../../preview/analyze";
import { outputValue } from "../../preview/mock-stack";
import { unwrap } from "../../policies/pack/code";
import { isSecretAt, secretsKnown } from "../../policies/pack/secrets";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const FUNCTION = "aws:lambda/function:Function";

/** A resource policy that hands the props it was given to `seen`. */
function probe(seen: unknown[], type?: string): ResourceValidationPolicy {
    const validateResource = (args: { type: string; props: unknown }) => {
        seen.push(args.props);
    };
    // How @pulumi/policy's validateResourceOfType marks a validation (policies/pack/policies.ts ofType does the same).
    if (type) (validateResource as { __pulumiType?: string }).__pulumiType = type;
    return { name: "probe", description: "records props", enforcementLevel: "advisory", validateResource };
}

const fn = (props: Record<string, unknown>) => ({ type: FUNCTION, name: "api", urn: `urn:pulumi:dev::app::${FUNCTION}::api`, props });

describe("Pulumi SDK internals we rely on", () => {
    it("@pulumi/policy/deserialize: deserializeProperties can be wrapped, and the analyzer calls the wrapped one (policies/pack/secrets.ts)", async () => {
        assert.equal(secretsKnown, true, "the wrap could not be installed: @pulumi/policy/deserialize no longer exports a replaceable deserializeProperties");
        const seen: unknown[] = [];
        await analyzeResource(fn({ environment: { variables: { API_KEY: { [SIG]: SECRET_SIG, value: "s3cr3t" }, STAGE: "prod" } } }), [probe(seen)]);
        assert.equal(seen.length, 1);
        const props = unwrap(seen[0]) as { environment: { variables: Record<string, string> } };
        assert.equal(props.environment.variables.API_KEY, "s3cr3t", "the SDK unwraps secrets before a policy sees them");
        assert.equal(isSecretAt(props, ["environment", "variables", "API_KEY"]), true, "the server no longer calls deserializeProperties through its module, so the wrap never runs");
        assert.equal(isSecretAt(props, ["environment", "variables", "STAGE"]), false);
    });

    it("@pulumi/policy/server: makeAnalyzeRpcFun and makeAnalyzeStackRpcFun take an AnalyzeRequest and answer diagnostics (preview/analyze.ts)", async () => {
        const say: ResourceValidationPolicy = { name: "say", description: "", enforcementLevel: "mandatory", validateResource: (_args, report) => report("hello") };
        const [d] = await analyzeResource(fn({ runtime: "python3.12" }), [say]);
        assert.deepEqual([d.policy, d.level], ["say", "mandatory"]);
        assert.match(d.message, /hello/);
        const stackPolicy: StackValidationPolicy = { name: "stack", description: "", enforcementLevel: "advisory", validateStack: (_args, report) => report("stack hello") };
        const stack = await analyzeStackResources([fn({})], [stackPolicy]);
        assert.deepEqual(
            stack.map((x) => [x.policy, x.level]),
            [["stack", "advisory"]],
        );
    });

    it("@pulumi/policy: props come through a proxy whose target is under __getSpecialProxyTarget (policies/pack/code.ts unwrap)", async () => {
        const seen: unknown[] = [];
        await analyzeResource(fn({ runtime: "python3.12", layers: ["arn:a"] }), [probe(seen)]);
        const raw = (seen[0] as Record<string, unknown>).__getSpecialProxyTarget;
        assert.ok(raw && raw !== seen[0], "the props are no longer a proxy with __getSpecialProxyTarget");
        assert.deepEqual(unwrap(seen[0]), { runtime: "python3.12", layers: ["arn:a"] });
    });

    it("@pulumi/policy: a validation marked with __pulumiType is not run for other resource types (policies/pack/policies.ts ofType)", async () => {
        const seen: unknown[] = [];
        const policy = probe(seen, FUNCTION);
        await analyzeResource({ type: "aws:s3/bucket:Bucket", name: "b", urn: "urn:pulumi:dev::app::aws:s3/bucket:Bucket::b", props: {} }, [policy]);
        assert.equal(seen.length, 0, "the server ran a validation marked for Functions on a Bucket");
        await analyzeResource(fn({}), [policy]);
        assert.equal(seen.length, 1);
    });

    it("@pulumi/pulumi: an Output has promise() (preview/mock-stack.ts outputValue)", async () => {
        assert.equal(await outputValue(pulumi.output(Promise.resolve(42))), 42);
        await assert.rejects(outputValue(pulumi.output(Promise.reject(new Error("failed build")))), /failed build/);
    });

    it("@pulumi/pulumi/runtime/settings: getMonitor, waitForRPCs and terminateRpcs (the mock stack, the multi-language test)", () => {
        const settings = require("@pulumi/pulumi/runtime/settings");
        for (const name of ["getMonitor", "waitForRPCs", "terminateRpcs"]) assert.equal(typeof settings[name], "function", `@pulumi/pulumi/runtime/settings no longer exports ${name}`);
    });

    it("@pulumi/pulumi/provider/experimental: ComponentProvider with getSchema, and the plugin launcher where provider.ts looks for it", () => {
        assert.equal(typeof ComponentProvider.prototype.getSchema, "function");
        const launcher = require.resolve("@pulumi/pulumi/cmd/run-plugin");
        assert.match(launcher, /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run-plugin[\\/]/, "components/plugin-launch.ts loadedByPluginLauncher() matches this path");
        assert.ok(fs.existsSync(path.join(path.dirname(launcher), "run.js")));
    });
    it("@pulumi/pulumi/runtime/rpc: an error rejecting an input is rethrown as the same object, its message prefixed; a ComponentError keeps its own (components/component-error.ts)", async () => {
        const { serializeProperties } = require("@pulumi/pulumi/runtime/rpc");
        const plain = new Error('PythonFunction "api": broken');
        await assert.rejects(serializeProperties("test", { code: Promise.reject(plain) }), (e: unknown) => e === plain);
        assert.match(plain.message, /^error serializing property "code": /, "the SDK no longer prefixes the message: ComponentError's fixed message may be unneeded");
        const ours = new ComponentError('PythonFunction "api": broken', new pulumi.ComponentResource("test:index:Probe", "probe", {}, {}));
        await assert.rejects(serializeProperties("test", { code: Promise.reject(ours) }), (e: unknown) => e === ours);
        assert.equal(ours.message, 'PythonFunction "api": broken');
        assert.equal(ours.hideStack, true);
        assert.ok(pulumi.ResourceError.isInstance(ours));
    });
});
