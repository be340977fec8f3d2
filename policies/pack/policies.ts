// The policy pack's policies, as objects tests can import without starting
// the pack (constructing a PolicyPack starts a gRPC server at once). Each
// policy only gathers props and code and calls the shared rule in ../rules.
import { EnforcementLevel, Policy, PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { InspectedArchive } from "../inspect";
import { checkArchiveArchitecture, checkLayerDeclaration } from "../rules/architecture";
import { configFor, PartialRuleConfigs, RuleConfigs, ruleSchemas } from "../rules/config";
import { checkFunctionUrlPublic } from "../rules/function-url-public";
import { checkHandlerAtRoot } from "../rules/handler-at-root";
import { checkLayerCount } from "../rules/layer-count";
import { checkLayerPythonPath } from "../rules/layer-python-path";
import { checkNoPycache } from "../rules/no-pycache";
import { checkPartialBoto3 } from "../rules/partial-boto3";
import { checkRuntimeDeprecation } from "../rules/runtime-deprecation";
import { ArchiveKind, Finding, PolicyName } from "../rules/types";
import { checkUnzippedSize, SizedPart } from "../rules/unzipped-size";
import { checkEntrySafety } from "../rules/zip-entry-safety";
import { checkZipSize } from "../rules/zip-size";
import { Architecture, isArchitecture } from "../target";
import { CodeResolution, knownArray, knownString, prop, resolveCode } from "./code";

export const FUNCTION = "aws:lambda/function:Function";
export const LAYER = "aws:lambda/layerVersion:LayerVersion";
export const FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl";

const programDirSchema = {
    programDir: { type: "string", description: "Folder of the Pulumi program, for archives given by relative path (default: the directory pulumi was run from)." },
};

type Config = Record<string, unknown>;

/** Reports findings: advisory ones always as advisories, the rest at the policy's enforcement level. */
function report(reportViolation: ReportViolation, description: string, findings: Finding[], urn?: string): void {
    for (const f of findings) {
        if (f.level === "advisory") {
            // @pulumi/policy's server accepts an object with its own enforcement level (it is not in the typings).
            (reportViolation as unknown as (v: object) => void)({ message: `${description}\n${f.message}`, enforcementLevel: "advisory", urn });
        } else reportViolation(f.message, urn);
    }
}

/** A policy's config from the stack's policy config, with the rule's defaults filled in. */
function ruleConfig<K extends keyof RuleConfigs>(policy: K, config: Config): RuleConfigs[K] {
    return configFor(policy, { [policy]: config } as PartialRuleConfigs);
}

function kindOf(type: string): ArchiveKind | undefined {
    return type === FUNCTION ? "function" : type === LAYER ? "layer" : undefined;
}

function labelOf(type: string, name: string): string {
    return `${type === LAYER ? "layer" : "function"} "${name}"`;
}

/** The function's or layer's code, inspected and labelled for messages. */
async function codeOf(type: string, name: string, props: unknown, config: Config): Promise<CodeResolution> {
    const resolved = await resolveCode(props, { programDir: typeof config.programDir === "string" ? config.programDir : undefined });
    if (resolved.kind !== "archive") return resolved;
    const labelled: InspectedArchive = { facts: { ...resolved.archive.facts, label: labelOf(type, name) }, readText: resolved.archive.readText };
    return { kind: "archive", archive: labelled };
}

/** A resource policy that needs the code of a function or layer. */
function archivePolicy(
    name: PolicyName,
    description: string,
    enforcementLevel: EnforcementLevel,
    check: (archive: InspectedArchive, args: ResourceValidationArgs, kind: ArchiveKind, config: Config) => Finding[],
    appliesTo: ArchiveKind[] = ["function", "layer"],
): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel,
        configSchema: { properties: { ...(ruleSchemas[name] ?? {}), ...programDirSchema } as never },
        validateResource: async (args, reportViolation) => {
            const kind = kindOf(args.type);
            if (!kind || !appliesTo.includes(kind)) return;
            const config = args.getConfig<Config>();
            const code = await codeOf(args.type, args.name, args.props, config);
            if (code.kind === "none") return;
            if (code.kind === "not-inspected") {
                report(reportViolation, description, [{ policy: name, level: "advisory", message: `could not inspect the code of ${labelOf(args.type, args.name)}: ${code.reason}.` }]);
                return;
            }
            const notInspected = code.archive.facts.notInspected;
            const findings = check(code.archive, args, kind, config);
            if (notInspected.length) findings.push({ policy: name, level: "advisory", message: `parts of ${labelOf(args.type, args.name)} could not be inspected: ${notInspected.slice(0, 3).join("; ")}.` });
            report(reportViolation, description, findings);
        },
    };
}

function functionRuntime(props: unknown): string | undefined {
    return knownString(prop(props, "runtime"));
}

function functionArchitecture(props: unknown): Architecture | undefined {
    const archs = knownArray(prop(props, "architectures"));
    if (archs === undefined || archs.length === 0) return prop(props, "architectures") === undefined || archs?.length === 0 ? "x86_64" : undefined;
    const a = archs[0];
    return isArchitecture(a) ? a : undefined;
}

// ------------------------------------------------------------------ resource policies

export const zipSize = archivePolicy(
    "lambda-zip-size",
    "Code uploaded directly (not through S3) must be at most 50 MB zipped.",
    "mandatory",
    (archive, _args, _kind, config) => checkZipSize(archive.facts, ruleConfig("lambda-zip-size", config)),
);

export const noPycache = archivePolicy(
    "lambda-no-pycache",
    "Deployment packages must not contain __pycache__ folders or .pyc files.",
    "mandatory",
    (archive) => checkNoPycache(archive.facts),
);

export const zipEntrySafety = archivePolicy(
    "lambda-zip-entry-safety",
    "Archives must be intact, and every entry extractable and readable by Lambda (no absolute or '..' paths, no unreadable modes, no zip bombs).",
    "mandatory",
    (archive) => checkEntrySafety(archive.facts),
);

export const handlerAtRoot = archivePolicy(
    "lambda-handler-at-root",
    "A function's handler module must be at the root of its archive and define the handler.",
    "mandatory",
    (archive, args) => {
        const handler = knownString(prop(args.props, "handler"));
        if (!handler) return [];
        const layers = knownArray(prop(args.props, "layers"));
        return checkHandlerAtRoot(archive, handler, (layers?.length ?? 0) > 0);
    },
    ["function"],
);

export const layerPythonPath = archivePolicy(
    "lambda-layer-python-path",
    "A Python layer's modules must be under python/ (or python/lib/python3.X/site-packages/).",
    "mandatory",
    (archive, args) => checkLayerPythonPath(archive.facts, (knownArray(prop(args.props, "compatibleRuntimes")) ?? []).filter((r): r is string => !!r)),
    ["layer"],
);

export const partialBoto3 = archivePolicy(
    "lambda-partial-boto3",
    "Bundle the whole AWS SDK (boto3 with botocore, s3transfer, urllib3) or none of it.",
    "advisory",
    (archive, _args, kind, config) => checkPartialBoto3(archive, kind, ruleConfig("lambda-partial-boto3", config)),
);

export const layerCount: ResourceValidationPolicy = {
    name: "lambda-layer-count",
    description: "A function can use at most 5 layers.",
    enforcementLevel: "mandatory",
    configSchema: { properties: ruleSchemas["lambda-layer-count"] as never },
    validateResource: (args, reportViolation) => {
        if (args.type !== FUNCTION) return;
        const layers = knownArray(prop(args.props, "layers"));
        if (!layers) return;
        const config = ruleConfig("lambda-layer-count", args.getConfig<Config>());
        report(reportViolation, layerCount.description!, checkLayerCount(labelOf(args.type, args.name), layers.length, config));
    },
};

export const runtimeDeprecation: ResourceValidationPolicy = {
    name: "lambda-runtime-deprecation",
    description: "Python runtimes must not be past, or close to, their deprecation dates.",
    enforcementLevel: "mandatory",
    configSchema: { properties: ruleSchemas["lambda-runtime-deprecation"] as never },
    validateResource: (args, reportViolation) => {
        const config = ruleConfig("lambda-runtime-deprecation", args.getConfig<Config>());
        if (args.type === FUNCTION) {
            const runtime = functionRuntime(args.props);
            if (runtime) report(reportViolation, runtimeDeprecation.description!, checkRuntimeDeprecation(labelOf(args.type, args.name), runtime, config));
        } else if (args.type === LAYER) {
            // A layer listing an old runtime breaks nothing by itself; the functions using that runtime are flagged.
            const runtimes = (knownArray(prop(args.props, "compatibleRuntimes")) ?? []).filter((r): r is string => !!r);
            const findings = runtimes.flatMap((r) => checkRuntimeDeprecation(labelOf(args.type, args.name), r, config)).map((f) => ({ ...f, level: "advisory" as const }));
            report(reportViolation, runtimeDeprecation.description!, findings);
        }
    },
};

// ------------------------------------------------------------------ stack policies

/** Resources a function's property (e.g. layers) depends on, looking through components to their children. */
function dependenciesOf(resource: PolicyResource, property: string, all: PolicyResource[]): PolicyResource[] {
    const out: PolicyResource[] = [];
    for (const dep of resource.propertyDependencies[property] ?? []) {
        if (dep.type === LAYER || dep.type === FUNCTION) out.push(dep);
        else out.push(...all.filter((r) => r.parent?.urn === dep.urn && (r.type === LAYER || r.type === FUNCTION)));
    }
    return [...new Set(out)];
}

export const unzippedSize: StackValidationPolicy = {
    name: "lambda-unzipped-size",
    description: "A function and all its layers, unzipped, must fit in 262,144,000 bytes.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...ruleSchemas["lambda-unzipped-size"], ...programDirSchema } as never },
    validateStack: async (args: StackValidationArgs, reportViolation) => {
        const config = args.getConfig<Config>();
        const rule = ruleConfig("lambda-unzipped-size", config);
        const sizeOf = async (r: PolicyResource): Promise<SizedPart> => {
            const code = await codeOf(r.type, r.name, r.props, config);
            return { label: labelOf(r.type, r.name), bytes: code.kind === "archive" ? code.archive.facts.unzippedBytes : undefined };
        };
        for (const fn of args.resources.filter((r) => r.type === FUNCTION)) {
            if (prop(fn.props, "packageType") === "Image") continue;
            const layers = dependenciesOf(fn, "layers", args.resources).filter((r) => r.type === LAYER);
            const declared = knownArray(prop(fn.props, "layers"))?.length ?? layers.length;
            const parts = [await sizeOf(fn), ...(await Promise.all(layers.map(sizeOf)))];
            for (let i = layers.length; i < declared; i++) parts.push({ label: "a layer outside this stack (by ARN)" });
            report(reportViolation, unzippedSize.description!, checkUnzippedSize(labelOf(fn.type, fn.name), parts, rule), fn.urn);
        }
        for (const layer of args.resources.filter((r) => r.type === LAYER)) {
            const part = await sizeOf(layer);
            if (part.bytes !== undefined && part.bytes > rule.maxUnzippedBytes) {
                report(reportViolation, unzippedSize.description!, checkUnzippedSize(part.label, [part], rule), layer.urn);
            }
        }
    },
};

export const architectureCompatibility: StackValidationPolicy = {
    name: "lambda-architecture-compatibility",
    description: "Native code, wheels and layers must match the function's architecture and Python runtime.",
    enforcementLevel: "mandatory",
    configSchema: { properties: programDirSchema as never },
    validateStack: async (args, reportViolation) => {
        const config = args.getConfig<Config>();
        const description = architectureCompatibility.description!;
        const archives = new Map<string, InspectedArchive | undefined>();
        const archiveOf = async (r: PolicyResource) => {
            if (!archives.has(r.urn)) {
                const code = await codeOf(r.type, r.name, r.props, config);
                archives.set(r.urn, code.kind === "archive" ? code.archive : undefined);
            }
            return archives.get(r.urn);
        };
        for (const layer of args.resources.filter((r) => r.type === LAYER)) {
            const archive = await archiveOf(layer);
            if (!archive) continue;
            const archs = (knownArray(prop(layer.props, "compatibleArchitectures")) ?? []).filter(isArchitecture);
            const runtimes = (knownArray(prop(layer.props, "compatibleRuntimes")) ?? []).filter((r): r is string => !!r);
            report(reportViolation, description, checkArchiveArchitecture(archive.facts, { label: labelOf(layer.type, layer.name), architectures: archs, runtimes }), layer.urn);
        }
        for (const fn of args.resources.filter((r) => r.type === FUNCTION)) {
            const architecture = functionArchitecture(fn.props);
            const runtime = functionRuntime(fn.props);
            const label = labelOf(fn.type, fn.name);
            const archive = await archiveOf(fn);
            if (archive && architecture) {
                report(reportViolation, description, checkArchiveArchitecture(archive.facts, { label, architectures: [architecture], runtimes: runtime ? [runtime] : [] }), fn.urn);
            }
            if (!architecture) continue;
            for (const layer of dependenciesOf(fn, "layers", args.resources).filter((r) => r.type === LAYER)) {
                const findings = checkLayerDeclaration(label, runtime, architecture, {
                    label: labelOf(layer.type, layer.name),
                    compatibleArchitectures: (knownArray(prop(layer.props, "compatibleArchitectures")) ?? []).filter((a): a is string => !!a),
                    compatibleRuntimes: (knownArray(prop(layer.props, "compatibleRuntimes")) ?? []).filter((r): r is string => !!r),
                });
                // The layer's own content, judged for this function's target.
                const layerArchive = await archiveOf(layer);
                if (layerArchive) {
                    findings.push(
                        ...checkArchiveArchitecture(layerArchive.facts, { label: `${labelOf(layer.type, layer.name)} (used by ${label})`, architectures: [architecture], runtimes: runtime ? [runtime] : [] }),
                    );
                }
                report(reportViolation, description, dedupe(findings), fn.urn);
            }
        }
    },
};

export const functionUrlPublic: StackValidationPolicy = {
    name: "lambda-function-url-public",
    description: "Function URLs with auth type NONE let anyone on the internet invoke the function.",
    enforcementLevel: "advisory",
    configSchema: { properties: ruleSchemas["lambda-function-url-public"] as never },
    validateStack: (args, reportViolation) => {
        const config = ruleConfig("lambda-function-url-public", args.getConfig<Config>());
        for (const url of args.resources.filter((r) => r.type === FUNCTION_URL)) {
            const authType = knownString(prop(url.props, "authorizationType"));
            const fn = dependenciesOf(url, "functionName", args.resources).find((r) => r.type === FUNCTION);
            const names = [url.name, knownString(prop(url.props, "functionName")), fn?.name, fn && knownString(prop(fn.props, "name")), fn?.parent?.name].filter((n): n is string => !!n);
            const subject = fn ? `function "${fn.name}"` : `the function of URL "${url.name}"`;
            report(reportViolation, functionUrlPublic.description!, checkFunctionUrlPublic(subject, authType, names, config), url.urn);
        }
    },
};

function dedupe(findings: Finding[]): Finding[] {
    const seen = new Set<string>();
    return findings.filter((f) => (seen.has(f.message) ? false : (seen.add(f.message), true)));
}

/** Every policy of the pack, in the order they are listed. */
export const lambdaPolicies: Policy[] = [
    zipSize,
    unzippedSize,
    layerCount,
    architectureCompatibility,
    runtimeDeprecation,
    noPycache,
    handlerAtRoot,
    layerPythonPath,
    zipEntrySafety,
    functionUrlPublic,
    partialBoto3,
];
