// What Lambda could not load, judged before anything runs. The local CPython
// is Debian's, on a newer glibc than Lambda's Amazon Linux (2.26 for
// python3.8-3.11, 2.34 for 3.12+), and may be another minor version than the
// target (python3.10 code runs on 3.11): it loads what Lambda would refuse.
// So invoke, serve and preview --invoke apply the policy pack's own archive
// rules for the target (the code `lambda-python inspect` runs: policies/rules)
// and report a function those rules say cannot load as a failed invoke,
// without running it.
import { InspectedArchive } from "../policies/inspect/facts";
import { checkArchive, Finding } from "../policies/rules";
import { checkUnzippedSize } from "../policies/rules/unzipped-size";
import { Architecture } from "../policies/target";

/**
 * The rules whose mandatory findings mean the code cannot run on Lambda at
 * all: shared objects for the wrong architecture or a newer glibc, wheels and
 * extension modules for another CPython (lambda-architecture-compatibility),
 * and more than 250 MB unzipped with the layers. The others are about
 * deploying (50 MB direct upload: S3 takes more), hygiene (__pycache__) or
 * dates; a layer laid out wrongly fails here as there, by itself.
 */
const CANNOT_LOAD = new Set(["lambda-architecture-compatibility", "lambda-unzipped-size"]);

export interface LoadCheckInput {
    code: InspectedArchive;
    layers: InspectedArchive[];
    runtime: string;
    architecture: Architecture;
}

/** The findings that mean Lambda could not load this function; empty when it could. */
export function cannotLoad(i: LoadCheckInput): Finding[] {
    const target = { runtimes: [i.runtime], architectures: [i.architecture] };
    const perArchive = [...checkArchive(i.code, { kind: "function", ...target, hasLayers: i.layers.length > 0 }), ...i.layers.flatMap((layer) => checkArchive(layer, { kind: "layer", ...target }))];
    // The size limit is on the function and its layers together: judged once, on the sum.
    const total = checkUnzippedSize(
        "the function with its layers",
        [i.code, ...i.layers].map((a) => ({ label: a.facts.label, bytes: a.facts.unzippedBytes })),
    );
    return [...perArchive.filter((f) => f.policy !== "lambda-unzipped-size"), ...total].filter((f) => f.level === "mandatory" && CANNOT_LOAD.has(f.policy));
}

/** The error type of a function not run because Lambda could not load it (not one of Lambda's: Lambda would run it and fail). */
export const REFUSED = "LambdaPython.CannotLoad";
