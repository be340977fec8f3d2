// Runs the policy pack over resources through @pulumi/policy's analyzer
// entry points, with AnalyzeRequest / AnalyzeStackRequest protobufs built
// the way the Pulumi engine builds them. Used by the offline preview, the
// policy benchmark and the tests.
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import { Policy } from "@pulumi/policy";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import packJson from "../policies/package.json";
import { lambdaPolicies } from "../policies/pack/policies";
import { OUTPUT_SIG, RESOURCE_SIG, SECRET_SIG, SIG, UNKNOWN } from "./wire";

// The entry points are internal to @pulumi/policy (not in its typings).
type RpcFun = (call: { request: unknown }, cb: (err: unknown, res?: analyzerproto.AnalyzeResponse) => void) => Promise<void>;
// eslint-disable-next-line @typescript-eslint/no-var-requires
const server = require("@pulumi/policy/server") as {
    makeAnalyzeRpcFun(name: string, version: string, level: string, policies: Policy[]): RpcFun;
    makeAnalyzeStackRpcFun(name: string, version: string, level: string, policies: Policy[]): RpcFun;
};

const PACK_NAME = "lambda-python";
const PACK_VERSION: string = packJson.version;

export interface Diagnostic {
    policy: string;
    level: "advisory" | "mandatory" | "disabled" | "remediate";
    message: string;
    urn: string;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

/**
 * A program's wire value as the engine passes it on to a policy pack: the
 * engine marshals analyzer props with KeepUnknowns and KeepSecrets but not
 * KeepResources or KeepOutputValues, so a resource reference (`role: role`)
 * arrives as the resource's ID (unknown while the ID is), or its URN for a
 * component; an output value as its value, a secret or an unknown.
 */
function asEngineSends(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(asEngineSends);
    if (!value || typeof value !== "object") return value;
    const o = value as Record<string, unknown>;
    switch (o[SIG]) {
        case RESOURCE_SIG:
            if ("id" in o) return typeof o.id === "string" && o.id !== "" ? o.id : UNKNOWN;
            return o.urn;
        case OUTPUT_SIG: {
            if (!("value" in o)) return UNKNOWN;
            const v = asEngineSends(o.value);
            return o.secret ? { [SIG]: SECRET_SIG, value: v } : v;
        }
        case SECRET_SIG:
            return { [SIG]: SECRET_SIG, value: asEngineSends(o.value) };
        default:
            if (o[SIG]) return o; // assets and archives go as they are
            return Object.fromEntries(
                Object.entries(o)
                    .filter(([, v]) => v !== undefined)
                    .map(([k, v]) => [k, asEngineSends(v)]),
            );
    }
}

// The same props go to the per-resource and the stack entry points; convert them once.
const structs = new WeakMap<object, structproto.Struct>();

/** Props as the engine sends them: plain JSON, no undefined values, resource references resolved. */
function struct(props: Record<string, unknown>): structproto.Struct {
    let s = structs.get(props);
    if (!s) {
        s = structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(asEngineSends(props))));
        structs.set(props, s);
    }
    return s;
}

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
