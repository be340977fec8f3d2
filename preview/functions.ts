// The Lambda functions of a Pulumi program run offline (runProgram), as the
// runner needs them: code archive, layer archives in order, handler,
// runtime, architecture, timeout, memory, environment — all read from the
// registrations the engine would receive. `serve` and `preview --invoke`
// share it.
import type { FunctionSpec } from "../runner";
import { RecordedResource } from "./records";
import { UNKNOWN, unsecret } from "./wire";

const FUNCTION = "aws:lambda/function:Function";
const LAYER = "aws:lambda/layerVersion:LayerVersion";
const FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl";

export interface ProgramFunction {
    /** The aws.lambda.Function resource's name. */
    name: string;
    urn: string;
    /** The spec to run it, or why it cannot run offline. */
    spec?: FunctionSpec;
    problem?: string;
    /** The name of its aws.lambda.FunctionUrl, when it has one. */
    url?: string;
}

/** Every aws.lambda.Function of the program, in registration order. */
export function programFunctions(resources: RecordedResource[]): ProgramFunction[] {
    return resources
        .filter((r) => r.type === FUNCTION)
        .map((f) => {
            const url = resources.find((u) => u.type === FUNCTION_URL && (u.propertyDependencies.functionName ?? []).includes(f.urn));
            const out: ProgramFunction = { name: f.name, urn: f.urn, url: url?.name };
            try {
                out.spec = specOf(f, resources);
            } catch (e) {
                out.problem = (e as Error).message;
            }
            return out;
        });
}

function specOf(f: RecordedResource, resources: RecordedResource[]): FunctionSpec {
    const w = f.wire;
    const code = archivePath(w.code);
    if (!code) throw new Error(w.s3Bucket ? "its code is in S3 (s3Bucket/s3Key), which cannot be fetched offline" : w.imageUri ? "it is a container image function" : "its code is not a local archive");
    if (typeof w.handler !== "string" || !w.handler) throw new Error("it has no handler");
    if (typeof w.runtime !== "string" || !w.runtime.startsWith("python3.")) throw new Error(`its runtime is ${JSON.stringify(w.runtime ?? "unset")}; only python3.* functions run here`);
    const layerResources = resources.filter((r) => r.type === LAYER && (f.propertyDependencies.layers ?? []).includes(r.urn));
    // A layer this program creates has an unknown ARN during preview (the engine's answer); the function's
    // unknown entries are its layer dependencies, in order. A known ARN names the layer: match it by name.
    const unmatched = [...layerResources];
    const layers = ((w.layers as unknown[]) ?? []).map((arn) => {
        const name = typeof arn === "string" && arn !== UNKNOWN ? arn.split(":")[6] : undefined;
        const layer = name === undefined ? unmatched[0] : unmatched.find((l) => (plain(l.wire.layerName) ?? l.name) === name);
        if (layer) unmatched.splice(unmatched.indexOf(layer), 1);
        const path = layer && archivePath(layer.wire.code);
        if (!path) throw new Error(`its layer ${name === undefined ? "(an ARN not known during preview)" : String(arn)} is not built by this program, so it cannot be fetched offline`);
        return path;
    });
    // A value not known during preview (another resource's output) cannot be given to the function offline.
    const variables = (plain(w.environment) as { variables?: Record<string, unknown> } | undefined)?.variables ?? {};
    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries(variables)) if (plain(v) !== UNKNOWN) environment[k] = String(plain(v));
    const architectures = (w.architectures as string[] | undefined) ?? ["x86_64"];
    return {
        code,
        layers,
        handler: w.handler,
        runtime: w.runtime,
        architecture: architectures[0] === "arm64" ? "arm64" : "x86_64",
        timeoutSeconds: typeof w.timeout === "number" ? w.timeout : 3,
        memoryMB: typeof w.memorySize === "number" ? w.memorySize : 128,
        environment,
        functionName: f.name,
    };
}

/** The path of a FileArchive in wire form ({ __pulumiArchive, path }). */
function archivePath(code: unknown): string | undefined {
    const p = (plain(code) as { path?: unknown } | undefined)?.path;
    return typeof p === "string" ? p : undefined;
}

/** A value without the engine's secret wrapper. */
const plain = unsecret;
