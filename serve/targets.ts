// What `serve` was pointed at, as functions to start: a function .zip, a
// source folder (built first, with the build cache), or a Pulumi program
// (run offline, as `preview` does; every function with a URL is served).
import * as fs from "fs";
import * as path from "path";
import { buildArchive } from "../builder";
import { describeFsError, UserError } from "../shared/errors";
import { programFunctions } from "../preview/functions";
import { runProgram } from "../preview/program";
import { Architecture, detectTarget, FunctionSpec } from "../runner";
import { onBuildProgress, resetSharedBuilds } from "../components/shared-build";
import { NEWEST_RUNTIME } from "../policies/target";
import { ServedFunction } from "./server";

export interface TargetOptions {
    layers: string[];
    handler?: string;
    runtime?: string;
    architecture?: Architecture;
    timeoutSeconds?: number;
    memoryMB?: number;
    environment: Record<string, string>;
    say: (message: string) => void;
}

export const DEFAULT_HANDLER = "lambda_function.lambda_handler";

export async function resolveTargets(target: string, o: TargetOptions): Promise<ServedFunction[]> {
    const where = path.resolve(target);
    let stat: fs.Stats;
    try {
        stat = fs.statSync(where);
    } catch (e) {
        throw describeFsError(e, target, "function archive or folder");
    }
    if (stat.isDirectory() && fs.existsSync(path.join(where, "Pulumi.yaml"))) {
        const given = [o.layers.length && "--layer", o.handler && "--handler", o.runtime && "--runtime", o.architecture && "--arch", o.timeoutSeconds && "--timeout", o.memoryMB && "--memory"].filter(Boolean);
        if (given.length) throw new UserError(`${target} is a Pulumi program: its functions' settings come from the program, so ${given.join(", ")} cannot be given (--env is added to every function).`);
        return programTargets(where, o);
    }
    for (const layer of o.layers) {
        if (!fs.existsSync(layer) || !fs.statSync(layer).isFile()) throw new UserError(`layer ${layer} is not a file; --layer takes a layer .zip (build one with "lambda-python build --kind layer").`);
    }
    let code: string;
    let runtime = o.runtime;
    let architecture = o.architecture;
    if (stat.isDirectory()) {
        o.say(`building ${target}`);
        const built = await buildArchive({ source: where, runtime, architecture, handler: o.handler ?? DEFAULT_HANDLER, hasLayers: o.layers.length > 0, onProgress: o.say });
        code = built.path;
        runtime = built.runtime;
        architecture = built.architecture as Architecture;
    } else if (where.endsWith(".zip")) {
        code = where;
        // As invoke does: what the archive's extension modules and shared objects were built for.
        const detected = detectTarget(where);
        runtime ??= detected.runtime;
        architecture ??= detected.architecture;
    } else {
        throw new UserError(`${target} is neither a function .zip, a source folder nor a Pulumi program folder.`);
    }
    const spec: FunctionSpec = {
        code,
        layers: o.layers.map((l) => path.resolve(l)),
        handler: o.handler ?? DEFAULT_HANDLER,
        runtime: runtime ?? NEWEST_RUNTIME,
        architecture: architecture ?? "x86_64",
        timeoutSeconds: o.timeoutSeconds,
        memoryMB: o.memoryMB,
        environment: o.environment,
        functionName: path.basename(where).replace(/\.zip$/i, ""),
    };
    return [{ name: spec.functionName!, spec }];
}

async function programTargets(dir: string, o: TargetOptions): Promise<ServedFunction[]> {
    o.say(`running ${dir} under the Pulumi mock monitor`);
    onBuildProgress(o.say);
    // serve runs for hours: the program's builds (and the archive facts they hold) are not kept past the run.
    const run = await runProgram(dir).finally(resetSharedBuilds);
    if (!run.ok) throw new UserError(`the program ${run.project} failed:\n${run.errors.map((e) => `  ${e}`).join("\n")}`);
    const functions = programFunctions(run.resources);
    const withUrl = functions.filter((f) => f.url);
    if (!withUrl.length) {
        throw new UserError(
            `the program ${run.project} has no function with a URL (${functions.length} functions${functions.length ? `: ${functions.map((f) => f.name).join(", ")}` : ""}); serve one of them by its archive, or give it url: { authType: ... }.`,
        );
    }
    const out: ServedFunction[] = [];
    for (const f of withUrl) {
        if (!f.spec) {
            o.say(`skipping ${f.name}: ${f.problem}`);
            continue;
        }
        out.push({ name: f.name, spec: { ...f.spec, environment: { ...f.spec.environment, ...o.environment } } });
    }
    if (!out.length) throw new UserError(`none of the program's functions with a URL can run offline: ${withUrl.map((f) => `${f.name} (${f.problem})`).join("; ")}.`);
    return out;
}
