// Runs the policy pack over resources through @pulumi/policy's analyzer
// entry points, with AnalyzeRequest / AnalyzeStackRequest protobufs built
// the way the Pulumi engine builds them. Used by the offline preview, the
// policy benchmark and the tests.
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import { Policy } from "@pulumi/policy";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import packJson from "../../policies/package.json";
import { lambdaPolicies } from "../../policies/pack/policies";

// The entry points are internal to @pulumi/policy (not in its typings).
type RpcFun = (call: { request: unknown }, cb: (err: unknown, res?: analyzerproto.AnalyzeResponse) => void) => Promise<void>;
// eslint-disable-next-line @typescript-eslint/no-var-requires
const server = require("@pulumi/policy/server") as {
    makeAnalyzeRpcFun(name: string, version: string, level: string, policies: Policy[]): RpcFun;
    makeAnalyzeStackRpcFun(name: string, version: string, level: string, policies: Policy[]): RpcFun;
};

export const PACK_NAME = "lambda-python";
export const PACK_VERSION: string = packJson.version;

export interface Diagnostic {
    policy: string;
    level: "advisory" | "mandatory" | "disabled" | "remediate";
    message: string;
    urn: string;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

/** Props as the engine sends them: plain JSON, no undefined values. */
const struct = (props: Record<string, unknown>) => structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));

async function call(fn: RpcFun, request: unknown): Promise<Diagnostic[]> {
    let result: analyzerproto.AnalyzeResponse | undefined;
    let error: unknown;
    await fn({ request }, (err, res) => {
        error = err;
        result = res;
    });
    if (error) throw error;
    return result!.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: LEVELS[d.getEnforcementlevel()], message: d.getMessage(), urn: d.getUrn() }));
}

export interface AnalyzedResource {
    type: string;
    name: string;
    urn: string;
    /** Inputs, serialized as the engine sends them (archives and assets with their signature keys). */
    props: Record<string, unknown>;
    parent?: string;
    /** property name -> URNs it depends on */
    propertyDependencies?: Record<string, string[]>;
}

/** One resource through the per-resource entry point. */
export async function analyzeResource(r: AnalyzedResource, policies: Policy[] = lambdaPolicies): Promise<Diagnostic[]> {
    const req = new analyzerproto.AnalyzeRequest();
    req.setType(r.type);
    req.setName(r.name);
    req.setUrn(r.urn);
    req.setProperties(struct(r.props));
    req.setOptions(new analyzerproto.AnalyzerResourceOptions());
    return call(server.makeAnalyzeRpcFun(PACK_NAME, PACK_VERSION, "advisory", policies), req);
}

/** A whole stack through the stack entry point. */
export async function analyzeStackResources(resources: AnalyzedResource[], policies: Policy[] = lambdaPolicies): Promise<Diagnostic[]> {
    const req = new analyzerproto.AnalyzeStackRequest();
    req.setResourcesList(
        resources.map((r) => {
            const res = new analyzerproto.AnalyzerResource();
            res.setType(r.type);
            res.setName(r.name);
            res.setUrn(r.urn);
            res.setProperties(struct(r.props));
            res.setOptions(new analyzerproto.AnalyzerResourceOptions());
            if (r.parent) res.setParent(r.parent);
            for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
                const deps = new analyzerproto.AnalyzerPropertyDependencies();
                deps.setUrnsList(urns);
                res.getPropertydependenciesMap().set(k, deps);
            }
            return res;
        }),
    );
    return call(server.makeAnalyzeStackRpcFun(PACK_NAME, PACK_VERSION, "advisory", policies), req);
}

/** Every resource through the resource policies, then the stack through the stack policies. */
export async function analyzeAll(resources: AnalyzedResource[], policies: Policy[] = lambdaPolicies): Promise<Diagnostic[]> {
    const out: Diagnostic[] = [];
    for (const r of resources) for (const d of await analyzeResource(r, policies)) out.push({ ...d, urn: d.urn || r.urn });
    out.push(...(await analyzeStackResources(resources, policies)));
    return out;
}
