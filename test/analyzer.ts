// Drives policies through @pulumi/policy's analyzer entry points with real
// AnalyzeRequest / AnalyzeStackRequest protobufs, as the Pulumi engine sends
// them (and as pulumi-policy's own server tests do).
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import { Policy } from "@pulumi/policy";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { lambdaPolicies } from "../policies/pack/policies";

// The entry points are internal to @pulumi/policy (not in its typings).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const server = require("@pulumi/policy/server") as {
    makeAnalyzeRpcFun(name: string, version: string, level: string, policies: Policy[]): (call: { request: unknown }, cb: (err: unknown, res?: analyzerproto.AnalyzeResponse) => void) => Promise<void>;
    makeAnalyzeStackRpcFun(name: string, version: string, level: string, policies: Policy[]): (call: { request: unknown }, cb: (err: unknown, res?: analyzerproto.AnalyzeResponse) => void) => Promise<void>;
};

const SIG = "4dabf18193072939515e22adb298388d";
const ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7";
const ASSET = "c44067f5952c0a294b673a41bacd8c17";
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const UNKNOWN_ARCHIVE = "e48ece36-62e2-4504-bad9-02848725956a";

export const fileArchive = (path: string) => ({ [SIG]: ARCHIVE, path });
export const remoteArchive = (uri: string) => ({ [SIG]: ARCHIVE, uri });
export const assetArchive = (assets: Record<string, unknown>) => ({ [SIG]: ARCHIVE, assets });
export const stringAsset = (text: string) => ({ [SIG]: ASSET, text });
export const fileAsset = (path: string) => ({ [SIG]: ASSET, path });

export const FUNCTION = "aws:lambda/function:Function";
export const LAYER = "aws:lambda/layerVersion:LayerVersion";
export const FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl";

export interface Diagnostic {
    policy: string;
    level: "advisory" | "mandatory" | "disabled" | "remediate";
    message: string;
    urn: string;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

function toDiagnostics(res: analyzerproto.AnalyzeResponse): Diagnostic[] {
    return res.getDiagnosticsList().map((d) => ({
        policy: d.getPolicyname(),
        level: LEVELS[d.getEnforcementlevel()],
        message: d.getMessage(),
        urn: d.getUrn(),
    }));
}

/** Props as the engine sends them: plain JSON, no undefined values. */
const struct = (props: Record<string, unknown>) => structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));

export const urnOf = (type: string, name: string) => `urn:pulumi:test::lambda::${type}::${name}`;

async function call(fn: ReturnType<typeof server.makeAnalyzeRpcFun>, request: unknown): Promise<Diagnostic[]> {
    let result: analyzerproto.AnalyzeResponse | undefined;
    let error: unknown;
    await fn({ request }, (err, res) => {
        error = err;
        result = res;
    });
    if (error) throw error;
    return toDiagnostics(result!);
}

/** One resource through the per-resource entry point (every resource policy of the pack). */
export async function analyze(type: string, name: string, props: Record<string, unknown>, policies: Policy[] = lambdaPolicies): Promise<Diagnostic[]> {
    const req = new analyzerproto.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(urnOf(type, name));
    req.setProperties(struct(props));
    req.setOptions(new analyzerproto.AnalyzerResourceOptions());
    return call(server.makeAnalyzeRpcFun("lambda-python", "0.1.0", "advisory", policies), req);
}

export interface StackResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
    parent?: string;
    /** property name -> URNs it depends on */
    propertyDependencies?: Record<string, string[]>;
}

/** A whole stack through the stack entry point (every stack policy of the pack). */
export async function analyzeStack(resources: StackResource[], policies: Policy[] = lambdaPolicies): Promise<Diagnostic[]> {
    const req = new analyzerproto.AnalyzeStackRequest();
    req.setResourcesList(
        resources.map((r) => {
            const res = new analyzerproto.AnalyzerResource();
            res.setType(r.type);
            res.setName(r.name);
            res.setUrn(urnOf(r.type, r.name));
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
    return call(server.makeAnalyzeStackRpcFun("lambda-python", "0.1.0", "advisory", policies), req);
}

export function only(diags: Diagnostic[], policy: string): Diagnostic[] {
    return diags.filter((d) => d.policy === policy);
}
