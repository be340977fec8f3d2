// Test-side helpers over preview/analyze.ts: archive and asset
// values in the engine's wire form, and short names for the calls.
import { Policy } from "@pulumi/policy";
import { analyzeResource, analyzeStackResources, Diagnostic } from "../preview/analyze";
import { lambdaPolicies } from "../policies/pack/policies";

export { Diagnostic } from "../preview/analyze";

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

export const urnOf = (type: string, name: string) => `urn:pulumi:test::lambda::${type}::${name}`;

export function analyze(type: string, name: string, props: Record<string, unknown>, policies: Policy[] = lambdaPolicies): Promise<Diagnostic[]> {
    return analyzeResource({ type, name, urn: urnOf(type, name), props }, policies);
}

export interface StackResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
    parent?: string;
    propertyDependencies?: Record<string, string[]>;
}

export function analyzeStack(resources: StackResource[], policies: Policy[] = lambdaPolicies): Promise<Diagnostic[]> {
    return analyzeStackResources(
        resources.map((r) => ({ ...r, urn: urnOf(r.type, r.name) })),
        policies,
    );
}

export function only(diags: Diagnostic[], policy: string): Diagnostic[] {
    return diags.filter((d) => d.policy === policy);
}
