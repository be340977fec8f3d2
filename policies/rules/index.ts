// Every rule that can be judged from one archive, run together. This is the
// code behind `lambda-python inspect`, the builder's checks, and the policy
// pack's resource policies.
import { InspectedArchive } from "../inspect/facts";
import { Architecture } from "../target";
import { checkArchiveArchitecture } from "./architecture";
import { configFor, PartialRuleConfigs } from "./config";
import { checkEntrySafety } from "./zip-entry-safety";
import { checkHandlerAtRoot } from "./handler-at-root";
import { checkLayerPythonPath } from "./layer-python-path";
import { checkNoPycache } from "./no-pycache";
import { checkPackageSecrets } from "./package-secrets";
import { checkPartialBoto3 } from "./partial-boto3";
import { checkRuntimeDeprecation } from "./runtime-deprecation";
import { isPythonRuntime, layerIsPython } from "./runtimes";
import { ArchiveKind, Finding } from "./types";
import { checkUnzippedSize } from "./unzipped-size";
import { checkZipSize } from "./zip-size";

export * from "./types";

export interface ArchiveCheck {
    kind: ArchiveKind;
    /** The function's runtime, or a layer's compatible runtimes. */
    runtimes?: string[];
    /** The function's architecture, or a layer's compatible architectures. */
    architectures?: Architecture[];
    /** module.function, for functions. */
    handler?: string;
    /** The function has layers that might provide the handler. */
    hasLayers?: boolean;
    config?: PartialRuleConfigs;
}

/**
 * Whether the Python-specific rules apply. With no runtime given (the CLI's
 * and the builder's case) the archive is taken to be Python; otherwise a
 * function must use python3.*, and a layer declare Python or hold python/.
 */
export function isPythonArchive(facts: InspectedArchive["facts"], kind: ArchiveKind, runtimes: string[]): boolean {
    if (runtimes.length === 0) return true;
    return kind === "function" ? runtimes.some(isPythonRuntime) : layerIsPython(runtimes, facts.files);
}

export function checkArchive(archive: InspectedArchive, check: ArchiveCheck): Finding[] {
    const facts = archive.facts;
    const runtimes = check.runtimes ?? [];
    const python = isPythonArchive(facts, check.kind, runtimes);
    const out: Finding[] = [];
    out.push(...checkEntrySafety(facts));
    out.push(...checkPackageSecrets(facts, configFor("lambda-package-secrets", check.config)));
    out.push(...checkZipSize(facts, configFor("lambda-zip-size", check.config)));
    out.push(...checkUnzippedSize(facts.label, [{ label: facts.label, bytes: facts.unzippedBytes }], configFor("lambda-unzipped-size", check.config)));
    out.push(...checkArchiveArchitecture(facts, { label: facts.label, architectures: check.architectures ?? [], runtimes, python }));
    if (python) {
        out.push(...checkNoPycache(facts, runtimes));
        if (check.kind === "function" && check.handler !== undefined) out.push(...checkHandlerAtRoot(archive, check.handler, check.hasLayers));
        if (check.kind === "layer") out.push(...checkLayerPythonPath(facts, runtimes));
        out.push(...checkPartialBoto3(archive, check.kind, configFor("lambda-partial-boto3", check.config)));
    }
    for (const runtime of runtimes) out.push(...checkRuntimeDeprecation(check.kind === "function" ? "the function" : "the layer", runtime, configFor("lambda-runtime-deprecation", check.config)));
    return out;
}

export function hasMandatory(findings: Finding[]): boolean {
    return findings.some((f) => f.level === "mandatory");
}
