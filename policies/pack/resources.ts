// What the pack reads from Lambda resources' props, tolerant of values that
// are unknown during preview: labels for messages, runtimes, architectures,
// environment variables, and which rules apply to a function or layer (its
// "scope": Python, another language, or not known yet).
import { ArchiveFacts } from "../inspect/facts";
import { EnvVar } from "../rules/environment-limits";
import { isPythonRuntime, layerIsPython } from "../rules/runtimes";
import { ArchiveKind } from "../rules/types";
import { Architecture, isArchitecture } from "../target";
import { isUnknown, knownArray, knownString, prop, unwrap } from "./code";
import { isSecretAt } from "./secrets";

export const FUNCTION = "aws:lambda/function:Function";
export const LAYER = "aws:lambda/layerVersion:LayerVersion";
export const FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl";
export const PERMISSION = "aws:lambda/permission:Permission";

/** Which rules apply: Python-specific ones only to "python"; "unknown" is reported once as not checked yet. */
export type Scope = "python" | "other" | "unknown";

export function kindOf(type: string): ArchiveKind | undefined {
    return type === FUNCTION ? "function" : type === LAYER ? "layer" : undefined;
}

export function labelOf(type: string, name: string): string {
    switch (type) {
        case LAYER:
            return `layer "${name}"`;
        case FUNCTION_URL:
            return `function URL "${name}"`;
        case PERMISSION:
            return `permission "${name}"`;
        default:
            return `function "${name}"`;
    }
}

export function functionRuntime(props: unknown): string | undefined {
    return knownString(prop(props, "runtime"));
}

/** The function's architecture: x86_64 when not set, undefined when not known yet. */
export function functionArchitecture(props: unknown): Architecture | undefined {
    const raw = prop(props, "architectures");
    if (raw === undefined || raw === null) return "x86_64";
    const archs = knownArray(raw);
    if (archs === undefined) return undefined;
    if (archs.length === 0) return "x86_64";
    return isArchitecture(archs[0]) ? archs[0] : undefined;
}

export function functionScope(props: unknown): Scope {
    const raw = prop(props, "runtime");
    if (isUnknown(raw)) return "unknown";
    return isPythonRuntime(knownString(raw)) ? "python" : "other";
}

export function layerRuntimes(props: unknown): string[] {
    return (knownArray(prop(props, "compatibleRuntimes")) ?? []).filter((r): r is string => !!r);
}

export function layerScope(props: unknown, facts?: ArchiveFacts): Scope {
    if (layerIsPython(layerRuntimes(props), facts?.files ?? [])) return "python";
    const raw = prop(props, "compatibleRuntimes");
    if (isUnknown(raw) || (Array.isArray(unwrap(raw)) && knownArray(raw)!.some((r) => r === undefined))) return "unknown";
    return "other";
}

export function scopeOf(type: string, props: unknown, facts?: ArchiveFacts): Scope {
    return type === LAYER ? layerScope(props, facts) : functionScope(props);
}

/**
 * A function's environment variables, or undefined when the whole map is not
 * known yet. A value is undefined when unknown or not a string; `secret`
 * says the engine sent it as a Pulumi secret.
 */
export function environmentOf(props: unknown): EnvVar[] | undefined {
    const env = unwrap(prop(props, "environment")) as Record<string, unknown> | undefined;
    if (env === undefined || env === null) return [];
    if (isUnknown(env) || typeof env !== "object") return undefined;
    const vars = unwrap(env.variables) as Record<string, unknown> | undefined;
    if (vars === undefined || vars === null) return [];
    if (isUnknown(vars) || typeof vars !== "object") return undefined;
    const raw = unwrap(props);
    return Object.keys(vars).map((name) => ({ name, value: knownString(unwrap(vars[name])), secret: isSecretAt(raw, ["environment", "variables", name]) }));
}
