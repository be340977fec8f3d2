// The Lambda functions of a Pulumi program run offline (runProgram), as the
// runner needs them: code archive, layer archives in order, handler,
// runtime, architecture, timeout, memory, environment — all read from the
// registrations the engine would receive. `serve` and `preview --invoke`
// share it.
import * as path from "path";
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
    /**
     * The problem is what the offline runner runs (python3.* functions whose code and layers are local
     * archives), not a defect of the function: a Node.js function, an image, code in S3.
     */
    notRunHere?: boolean;
    /** The name of its aws.lambda.FunctionUrl, when it has one. */
    url?: string;
}

/**
 * Every aws.lambda.Function of the program, in registration order. Relative archive paths are the program
 * folder's (the engine runs the program there), so `programDir` makes them absolute for a runner started
 * elsewhere (`preview <dir> --invoke` from another folder).
 */
export function programFunctions(resources: RecordedResource[], programDir?: string): ProgramFunction[] {
    return resources
        .filter((r) => r.type === FUNCTION)
        .map((f) => {
            const url = resources.find((u) => u.type === FUNCTION_URL && (u.propertyDependencies.functionName ?? []).includes(f.urn));
            const out: ProgramFunction = { name: f.name, urn: f.urn, url: url?.name };
            try {
                out.spec = specOf(f, resources, programDir);
            } catch (e) {
                out.problem = (e as Error).message;
                out.notRunHere = e instanceof NotRunHere;
            }
            return out;
        });
}

/** Why a function is not run offline when that is a limit of the runner, not a defect of the function. */
class NotRunHere extends Error {}

function specOf(f: RecordedResource, resources: RecordedResource[], programDir: string | undefined): FunctionSpec {
    const w = f.wire;
    const fromProgram = (p: string) => (programDir ? path.resolve(programDir, p) : p);
    if (typeof w.runtime === "string" && w.runtime !== UNKNOWN && !w.runtime.startsWith("python3.")) throw new NotRunHere(`its runtime is ${w.runtime}; only python3.* functions run here`);
    const code = archivePath(w.code, fromProgram);
    if (!code) {
        throw new NotRunHere(
            w.s3Bucket ? "its code is in S3 (s3Bucket/s3Key), which cannot be fetched offline" : w.imageUri ? "it is a container image function" : "its code is not a local archive (an AssetArchive of separate assets is not assembled offline)",
        );
    }
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
        const file = layer && archivePath(layer.wire.code, fromProgram);
        if (!file) throw new NotRunHere(`its layer ${name === undefined ? "(an ARN not known during preview)" : String(arn)} is not built by this program, so it cannot be fetched offline`);
        return file;
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
        // Unset in the program: the runner applies Lambda's defaults (runner/lambda-environment.json), as AWS would.
        timeoutSeconds: typeof w.timeout === "number" ? w.timeout : undefined,
        memoryMB: typeof w.memorySize === "number" ? w.memorySize : undefined,
        environment,
        // The name it will have in AWS when the program gives one (PythonFunction always does), so the function
        // sees the AWS_LAMBDA_FUNCTION_NAME and /aws/lambda/<name> log group it will have there.
        functionName: typeof plain(w.name) === "string" && plain(w.name) !== UNKNOWN ? (plain(w.name) as string) : f.name,
    };
}

/**
 * The path of a FileArchive in wire form ({ __pulumiArchive, path }), also when it is the only entry of an
 * AssetArchive under "." (`new AssetArchive({ ".": new FileArchive("./app") })`: its contents at the root,
 * as the engine packs it; a common way to write a function's code).
 */
function archivePath(code: unknown, resolve: (p: string) => string): string | undefined {
    const archive = plain(code) as { path?: unknown; assets?: unknown } | undefined;
    if (typeof archive?.path === "string") return resolve(archive.path);
    const assets = plain(archive?.assets) as Record<string, unknown> | undefined;
    return assets && Object.keys(assets).length === 1 && "." in assets ? archivePath(assets["."], resolve) : undefined;
}

/** A value without the engine's secret wrapper. */
const plain = unsecret;
