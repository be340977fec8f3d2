// The policy pack's policies, as objects tests can import without starting
// the pack (constructing a PolicyPack starts a gRPC server at once). Each
// policy only gathers props and code, decides whether it applies (Python
// rules only to Python functions and layers), and calls the shared rule in
// ../rules; report.ts handles levels and exemptions, metadata.ts the
// published name, severity, remediation and docs link.
import { EnforcementLevel, Policy, PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { InspectedArchive } from "../inspect";
import { checkArchiveArchitecture, checkLayerDeclaration } from "../rules/architecture";
import { configFor, PartialRuleConfigs, RuleConfigs, ruleSchemas } from "../rules/config";
import { checkEnvironmentLimits } from "../rules/environment-limits";
import { checkEnvironmentSecrets } from "../rules/environment-secrets";
import { checkFunctionUrlCors } from "../rules/function-url-cors";
import { checkFunctionUrlPublic } from "../rules/function-url-public";
import { checkHandlerAtRoot } from "../rules/handler-at-root";
import { checkLayerCount } from "../rules/layer-count";
import { checkLayerPythonPath } from "../rules/layer-python-path";
import { checkNoPycache } from "../rules/no-pycache";
import { checkPackageSecrets } from "../rules/package-secrets";
import { checkPartialBoto3 } from "../rules/partial-boto3";
import { checkPermissionPublic } from "../rules/permission-public";
import { checkRuntimeDeprecation } from "../rules/runtime-deprecation";
import { ArchiveKind, Finding, PolicyName } from "../rules/types";
import { checkUnzippedSize, SizedPart } from "../rules/unzipped-size";
import { checkEntrySafety } from "../rules/zip-entry-safety";
import { checkZipSize } from "../rules/zip-size";
import { isArchitecture } from "../target";
import { CodeResolution, isUnknown, knownArray, knownString, prop, resolveCode, unwrap } from "./code";
import { docsUrl, metadata } from "./metadata";
import { exemptSchema, report, ReportContext, Subject } from "./report";
import { environmentOf, FUNCTION, FUNCTION_URL, functionArchitecture, functionRuntime, functionScope, kindOf, labelOf, LAYER, layerRuntimes, layerScope, PERMISSION, scopeOf } from "./resources";
import { secretsKnown } from "./secrets";

/** The one policy that says when a resource's code cannot be inspected, so a resource gets that advisory once. */
const REPORTS_NOT_INSPECTED: PolicyName = "lambda-zip-entry-safety";

const programDirSchema = {
    programDir: { type: "string", description: "Folder of the Pulumi program, for archives given by relative path (default: the directory pulumi was run from)." },
};

type Config = Record<string, unknown>;

/** A policy's config from the stack's policy config, with the rule's defaults filled in. */
function ruleConfig<K extends keyof RuleConfigs>(policy: K, config: Config): RuleConfigs[K] {
    return configFor(policy, { [policy]: config } as PartialRuleConfigs);
}

/** The fields every policy shares: description, level, metadata, config schema (its rule's, exemptions, programDir when it reads code). */
function base(name: PolicyName, description: string, enforcementLevel: EnforcementLevel, readsCode: boolean): Omit<Policy, "name"> & { name: PolicyName } {
    const m = metadata[name];
    return {
        name,
        description,
        enforcementLevel,
        displayName: m.displayName,
        severity: m.severity,
        tags: m.tags,
        remediationSteps: m.remediationSteps,
        url: docsUrl(name),
        configSchema: { properties: { ...(ruleSchemas[name] ?? {}), ...exemptSchema, ...(readsCode ? programDirSchema : {}) } as never },
    };
}

const subjectOf = (r: { type: string; name: string; urn?: string; props: unknown }): Subject => ({ type: r.type, name: r.name, urn: r.urn, props: r.props });

/** The function's or layer's code, inspected and labelled for messages. */
async function codeOf(type: string, name: string, props: unknown, config: Config): Promise<CodeResolution> {
    const resolved = await resolveCode(props, { programDir: typeof config.programDir === "string" ? config.programDir : undefined });
    if (resolved.kind !== "archive") return resolved;
    const labelled: InspectedArchive = { facts: { ...resolved.archive.facts, label: labelOf(type, name) }, readText: resolved.archive.readText };
    return { kind: "archive", archive: labelled };
}

interface ArchivePolicyOptions {
    appliesTo?: ArchiveKind[];
    /** Python-specific: judged only for Python functions and layers. */
    pythonOnly?: boolean;
}

/** A resource policy that needs the code of a function or layer. */
function archivePolicy(
    name: PolicyName,
    description: string,
    enforcementLevel: EnforcementLevel,
    check: (archive: InspectedArchive, args: ResourceValidationArgs, kind: ArchiveKind, config: Config) => Finding[],
    options: ArchivePolicyOptions = {},
): ResourceValidationPolicy {
    const appliesTo = options.appliesTo ?? ["function", "layer"];
    return {
        ...base(name, description, enforcementLevel, true),
        validateResource: ofType(
            async (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
                const kind = kindOf(args.type);
                if (!kind || !appliesTo.includes(kind)) return;
                // A function's language is known without its code; skip the work when a Python rule does not apply.
                if (options.pythonOnly && kind === "function" && functionScope(args.props) !== "python") return;
                const config = args.getConfig<Config>();
                const ctx: ReportContext = { policy: name, description, config, subjects: [subjectOf(args)] };
                const code = await codeOf(args.type, args.name, args.props, config);
                if (code.kind === "none") return;
                if (code.kind === "not-inspected") {
                    if (name === REPORTS_NOT_INSPECTED) report(reportViolation, ctx, [{ policy: name, level: "advisory", message: `could not inspect the code of ${labelOf(args.type, args.name)}: ${code.reason}.` }]);
                    return;
                }
                if (options.pythonOnly && kind === "layer" && layerScope(args.props, code.archive.facts) !== "python") return;
                const findings = check(code.archive, args, kind, config);
                const notInspected = code.archive.facts.notInspected;
                if (name === REPORTS_NOT_INSPECTED && notInspected.length) {
                    findings.push({ policy: name, level: "advisory", message: `parts of ${labelOf(args.type, args.name)} could not be inspected: ${notInspected.slice(0, 3).join("; ")}.` });
                }
                report(reportViolation, ctx, findings);
            },
            appliesTo.map((k) => (k === "function" ? FUNCTION : LAYER)),
        ),
    };
}

/**
 * Marks a validation as applying to one resource type, the way @pulumi/policy's validateResourceOfType
 * does: the server then skips other resources before deserializing their props (and tells the engine
 * the policy does not apply), which matters for stacks of hundreds of resources.
 */
function ofType<F extends object>(validate: F, types: string[]): F {
    if (types.length === 1) (validate as { __pulumiType?: string }).__pulumiType = types[0];
    return validate;
}

/** A resource policy on props alone. */
function propsPolicy(name: PolicyName, description: string, enforcementLevel: EnforcementLevel, types: string | string[], check: (args: ResourceValidationArgs, config: Config) => Finding[]): ResourceValidationPolicy {
    const list = ([] as string[]).concat(types);
    return {
        ...base(name, description, enforcementLevel, false),
        validateResource: ofType((args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (!list.includes(args.type)) return;
            const config = args.getConfig<Config>();
            report(reportViolation, { policy: name, description, config, subjects: [subjectOf(args)] }, check(args, config));
        }, list),
    };
}

// ------------------------------------------------------------------ resource policies: archives

const zipSize = archivePolicy("lambda-zip-size", "Code uploaded directly (not through S3) must be at most 50 MB zipped.", "mandatory", (archive, _args, _kind, config) => checkZipSize(archive.facts, ruleConfig("lambda-zip-size", config)));

const noPycache = archivePolicy(
    "lambda-no-pycache",
    "Python deployment packages must not contain bytecode Lambda's runtime would not use (__pycache__ from the build machine); bytecode compiled for the function's runtime is an advisory.",
    "mandatory",
    (archive, args, kind) => {
        const runtime = kind === "function" ? functionRuntime(args.props) : undefined;
        return checkNoPycache(archive.facts, kind === "function" ? (runtime ? [runtime] : []) : layerRuntimes(args.props));
    },
    { pythonOnly: true },
);

const zipEntrySafety = archivePolicy("lambda-zip-entry-safety", "Archives must be intact, and every entry extractable and readable by Lambda (no absolute or '..' paths, no unreadable modes, no zip bombs).", "mandatory", (archive) =>
    checkEntrySafety(archive.facts),
);

const handlerAtRoot = archivePolicy(
    "lambda-handler-at-root",
    "A Python function's handler module must be at the root of its archive and define the handler.",
    "mandatory",
    (archive, args) => {
        const handler = knownString(prop(args.props, "handler"));
        if (!handler) return [];
        const layers = knownArray(prop(args.props, "layers"));
        return checkHandlerAtRoot(archive, handler, (layers?.length ?? 0) > 0 || isUnknown(prop(args.props, "layers")));
    },
    { appliesTo: ["function"], pythonOnly: true },
);

const layerPythonPath = archivePolicy(
    "lambda-layer-python-path",
    "A Python layer's modules must be under python/ (or python/lib/python3.X/site-packages/).",
    "mandatory",
    (archive, args) => checkLayerPythonPath(archive.facts, layerRuntimes(args.props)),
    { appliesTo: ["layer"], pythonOnly: true },
);

const partialBoto3 = archivePolicy(
    "lambda-partial-boto3",
    "Bundle the whole AWS SDK for Python (boto3 with botocore, s3transfer, urllib3) or none of it.",
    "advisory",
    (archive, _args, kind, config) => checkPartialBoto3(archive, kind, ruleConfig("lambda-partial-boto3", config)),
    { pythonOnly: true },
);

const packageSecrets = archivePolicy(
    "lambda-package-secrets",
    "The code must not carry credentials (AWS keys, private keys, tokens, passwords in URLs): anyone who can read the function's code can use them.",
    "mandatory",
    (archive, _args, _kind, config) => checkPackageSecrets(archive.facts, ruleConfig("lambda-package-secrets", config)),
);

// ------------------------------------------------------------------ resource policies: props

const layerCount = propsPolicy("lambda-layer-count", "A function can use at most 5 layers.", "mandatory", FUNCTION, (args, config) => {
    const layers = knownArray(prop(args.props, "layers"));
    return layers ? checkLayerCount(labelOf(args.type, args.name), layers.length, ruleConfig("lambda-layer-count", config)) : [];
});

const runtimeDeprecation = propsPolicy("lambda-runtime-deprecation", "Runtimes (Python, Node.js, Java, .NET, Ruby, OS-only) must not be past, or close to, their deprecation dates.", "mandatory", [FUNCTION, LAYER], (args, config) => {
    const rule = ruleConfig("lambda-runtime-deprecation", config);
    if (args.type === LAYER) {
        if (layerScope(args.props) === "unknown") {
            return [
                {
                    policy: "lambda-runtime-deprecation",
                    level: "advisory",
                    message: `the compatible runtimes of ${labelOf(args.type, args.name)} are not known during preview, so their dates (and, unless it holds python/, the Python layer checks) are not checked yet; they run when the update runs.`,
                },
            ];
        }
        // An old runtime listed by a layer breaks nothing by itself (the functions using it are flagged): advisories only.
        return layerRuntimes(args.props)
            .flatMap((r) => checkRuntimeDeprecation(labelOf(args.type, args.name), r, rule))
            .map((f) => ({ ...f, level: "advisory" as const }));
    }
    if (isUnknown(prop(args.props, "runtime"))) {
        // The one "not checked yet" for a function whose runtime (and so its language) is not known during preview.
        return [
            {
                policy: "lambda-runtime-deprecation",
                level: "advisory",
                message: `the runtime of ${labelOf(args.type, args.name)} is not known during preview, so its deprecation date and the Python-specific checks (handler, __pycache__, AWS SDK, wheel tags) are not checked yet; they run when the update runs.`,
            },
        ];
    }
    const runtime = functionRuntime(args.props);
    if (runtime) return checkRuntimeDeprecation(labelOf(args.type, args.name), runtime, rule);
    // A .zip function without a runtime (often a runtime constant the installed @pulumi/aws does not have,
    // so `undefined`) passes `pulumi preview` and fails when Lambda is asked to create it. An image brings its own.
    const packageType = prop(args.props, "packageType");
    if (packageType !== undefined && packageType !== "Zip") return [];
    return [
        {
            policy: "lambda-runtime-deprecation",
            level: "mandatory",
            message: `${labelOf(args.type, args.name)} has no runtime, and a .zip function needs one: Lambda refuses to create it ("Runtime and Handler are mandatory parameters for functions created with deployment packages"). Set runtime (e.g. nodejs24.x, python3.14); if the program takes it from a constant of @pulumi/aws, check that the installed version still has that constant.`,
        },
    ];
});

const environmentSecrets = propsPolicy("lambda-environment-secrets", "Environment variables must not hold secrets in plain text.", "mandatory", FUNCTION, (args, config) => {
    const vars = environmentOf(args.props);
    return vars ? checkEnvironmentSecrets(labelOf(args.type, args.name), vars, ruleConfig("lambda-environment-secrets", config), { secretsKnown }) : [];
});

const environmentLimits = propsPolicy("lambda-environment-limits", "Environment variables must not use names Lambda reserves, and must fit in 4 KB together.", "mandatory", FUNCTION, (args, config) => {
    const vars = environmentOf(args.props);
    return vars ? checkEnvironmentLimits(labelOf(args.type, args.name), vars, ruleConfig("lambda-environment-limits", config)) : [];
});

const permissionPublic = propsPolicy("lambda-permission-public", "Lambda permissions for principal '*' must be narrowed by sourceArn, sourceAccount or principalOrgId.", "mandatory", PERMISSION, (args) => {
    const p = (k: string) => {
        const v = prop(args.props, k);
        // Unknown during preview means "set to something": a reference narrows the permission.
        return isUnknown(v) ? "(unknown)" : unwrap(v);
    };
    const principal = prop(args.props, "principal");
    if (isUnknown(principal)) return [];
    const fn = knownString(prop(args.props, "function"));
    return checkPermissionPublic(`${labelOf(args.type, args.name)}${fn ? ` on function ${fn}` : ""}`, {
        principal: knownString(principal),
        action: knownString(prop(args.props, "action")),
        sourceArn: p("sourceArn"),
        sourceAccount: p("sourceAccount"),
        principalOrgId: p("principalOrgId"),
        functionUrlAuthType: p("functionUrlAuthType"),
        invokedViaFunctionUrl: p("invokedViaFunctionUrl"),
    });
});

const functionUrlCors = propsPolicy("lambda-function-url-cors", "A function URL's CORS must not allow every origin together with credentials.", "mandatory", FUNCTION_URL, (args) => {
    const cors = unwrap(prop(args.props, "cors")) as Record<string, unknown> | undefined;
    if (!cors || typeof cors !== "object") return [];
    const fn = knownString(prop(args.props, "functionName"));
    return checkFunctionUrlCors(fn ? `function "${fn}"` : labelOf(args.type, args.name), knownArray(cors.allowOrigins), unwrap(cors.allowCredentials));
});

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

function stackPolicy(
    name: PolicyName,
    description: string,
    enforcementLevel: EnforcementLevel,
    readsCode: boolean,
    validate: (args: StackValidationArgs, say: (findings: Finding[], about: PolicyResource, more?: PolicyResource[]) => void, config: Config) => Promise<void> | void,
): StackValidationPolicy {
    return {
        ...base(name, description, enforcementLevel, readsCode),
        validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
            const config = args.getConfig<Config>();
            const say = (findings: Finding[], about: PolicyResource, more: PolicyResource[] = []) => {
                if (findings.length) report(reportViolation, { policy: name, description, config, subjects: [about, ...more].map(subjectOf), urn: about.urn }, findings);
            };
            return validate(args, say, config);
        },
    };
}

const unzippedSize = stackPolicy("lambda-unzipped-size", "A function and all its layers, unzipped, must fit in 262,144,000 bytes.", "mandatory", true, async (args, say, config) => {
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
        say(checkUnzippedSize(labelOf(fn.type, fn.name), parts, rule), fn);
    }
    for (const layer of args.resources.filter((r) => r.type === LAYER)) {
        const part = await sizeOf(layer);
        if (part.bytes !== undefined && part.bytes > rule.maxUnzippedBytes) say(checkUnzippedSize(part.label, [part], rule), layer);
    }
});

const architectureCompatibility = stackPolicy(
    "lambda-architecture-compatibility",
    "Native code (executables, shared libraries, Python extension modules) and layers must match the function's architecture and runtime.",
    "mandatory",
    true,
    async (args, say, config) => {
        const archives = new Map<string, InspectedArchive | undefined>();
        const archiveOf = async (r: PolicyResource) => {
            if (!archives.has(r.urn)) {
                const code = await codeOf(r.type, r.name, r.props, config);
                archives.set(r.urn, code.kind === "archive" ? code.archive : undefined);
            }
            return archives.get(r.urn);
        };
        const isPython = (r: PolicyResource, archive?: InspectedArchive): boolean => scopeOf(r.type, r.props, archive?.facts) === "python";
        for (const layer of args.resources.filter((r) => r.type === LAYER)) {
            const archive = await archiveOf(layer);
            if (!archive) continue;
            const archs = (knownArray(prop(layer.props, "compatibleArchitectures")) ?? []).filter(isArchitecture);
            say(checkArchiveArchitecture(archive.facts, { label: labelOf(layer.type, layer.name), architectures: archs, runtimes: layerRuntimes(layer.props), python: isPython(layer, archive) }), layer);
        }
        for (const fn of args.resources.filter((r) => r.type === FUNCTION)) {
            const architecture = functionArchitecture(fn.props);
            const runtime = functionRuntime(fn.props);
            const label = labelOf(fn.type, fn.name);
            const python = isPython(fn);
            const archive = await archiveOf(fn);
            if (archive && architecture) say(checkArchiveArchitecture(archive.facts, { label, architectures: [architecture], runtimes: runtime ? [runtime] : [], python }), fn);
            if (!architecture) continue;
            for (const layer of dependenciesOf(fn, "layers", args.resources).filter((r) => r.type === LAYER)) {
                const findings = checkLayerDeclaration(label, runtime, architecture, {
                    label: labelOf(layer.type, layer.name),
                    compatibleArchitectures: (knownArray(prop(layer.props, "compatibleArchitectures")) ?? []).filter((a): a is string => !!a),
                    compatibleRuntimes: layerRuntimes(layer.props),
                });
                // The layer's own content, judged for this function's target.
                const layerArchive = await archiveOf(layer);
                if (layerArchive) {
                    findings.push(
                        ...checkArchiveArchitecture(layerArchive.facts, {
                            label: `${labelOf(layer.type, layer.name)} (used by ${label})`,
                            architectures: [architecture],
                            runtimes: runtime ? [runtime] : [],
                            python: python && isPython(layer, layerArchive),
                        }),
                    );
                }
                say(dedupe(findings), fn, [layer]);
            }
        }
    },
);

const functionUrlPublic = stackPolicy("lambda-function-url-public", "Function URLs with auth type NONE let anyone on the internet invoke the function.", "advisory", false, (args, say, config) => {
    const rule = ruleConfig("lambda-function-url-public", config);
    for (const url of args.resources.filter((r) => r.type === FUNCTION_URL)) {
        const authType = knownString(prop(url.props, "authorizationType"));
        const fn = dependenciesOf(url, "functionName", args.resources).find((r) => r.type === FUNCTION);
        const names = [url.name, knownString(prop(url.props, "functionName")), fn?.name, fn && knownString(prop(fn.props, "name")), fn?.parent?.name].filter((n): n is string => !!n);
        const subject = fn ? `function "${fn.name}"` : `the function of URL "${url.name}"`;
        say(checkFunctionUrlPublic(subject, authType, names, rule), url, fn ? [fn] : []);
    }
});

function dedupe(findings: Finding[]): Finding[] {
    const seen = new Set<string>();
    return findings.filter((f) => {
        if (seen.has(f.message)) return false;
        seen.add(f.message);
        return true;
    });
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
    packageSecrets,
    environmentSecrets,
    environmentLimits,
    permissionPublic,
    functionUrlCors,
];
