// lambda-runtime-deprecation: judge a Python runtime against the lifecycle
// table (policies/data/runtime-lifecycle.json), with an injectable clock and
// config that can override or add runtimes.
import lifecycle from "../data/runtime-lifecycle.json";
import { comparePython, parsePythonRuntime } from "../target";
import { finding, Finding } from "./types";

export interface RuntimeDates {
    os?: string;
    deprecated?: string;
    blockCreate?: string;
    blockUpdate?: string;
    /** Past every date; exact dates not kept. */
    retired?: boolean;
}

export interface RuntimeDeprecationConfig {
    /** "Today" as YYYY-MM-DD; defaults to the real date. */
    now?: string;
    /** Days before deprecation from which an advisory is reported. */
    warnDays: number;
    /** Rows that override or extend the built-in table, by runtime identifier. */
    runtimes?: Record<string, RuntimeDates>;
}

export const runtimeDeprecationDefaults: RuntimeDeprecationConfig = { warnDays: 90 };

const dateSchema = { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" };
export const runtimeDeprecationSchema = {
    now: { ...dateSchema, description: "Evaluate as of this day (YYYY-MM-DD) instead of today." },
    warnDays: { type: "integer", minimum: 0, default: 90, description: "Report an advisory this many days before a runtime's deprecation date." },
    runtimes: {
        type: "object",
        description: `Override or add lifecycle rows, e.g. {"python3.15": {"deprecated": "2030-06-30", "blockCreate": "2030-07-31", "blockUpdate": "2030-08-31"}}. Built-in table as of ${lifecycle.asOf}.`,
        additionalProperties: {
            type: "object",
            properties: { os: { type: "string" }, deprecated: dateSchema, blockCreate: dateSchema, blockUpdate: dateSchema, retired: { type: "boolean" } },
            additionalProperties: false,
        },
    },
};

export function lifecycleTable(config?: Pick<RuntimeDeprecationConfig, "runtimes">): Record<string, RuntimeDates> {
    const table: Record<string, RuntimeDates> = { ...(lifecycle.runtimes as Record<string, RuntimeDates>) };
    for (const [runtime, row] of Object.entries(config?.runtimes ?? {})) table[runtime] = { ...table[runtime], ...row };
    return table;
}

/** The newest Python runtime that is not yet deprecated on `today`. */
export function recommendedRuntime(table: Record<string, RuntimeDates>, today: string): string | undefined {
    const candidates = Object.entries(table)
        .filter(([r, d]) => parsePythonRuntime(r) && !d.retired && (!d.deprecated || d.deprecated > today))
        .map(([r]) => r)
        .sort((a, b) => comparePython(parsePythonRuntime(a)!, parsePythonRuntime(b)!));
    return candidates[candidates.length - 1];
}

export function today(config?: Pick<RuntimeDeprecationConfig, "now">): string {
    return config?.now ?? new Date().toISOString().slice(0, 10);
}

export function checkRuntimeDeprecation(subject: string, runtime: string, config: RuntimeDeprecationConfig = runtimeDeprecationDefaults): Finding[] {
    if (!runtime.startsWith("python")) return [];
    const table = lifecycleTable(config);
    const now = today(config);
    const row = table[runtime];
    const best = recommendedRuntime(table, now);
    const upgrade = best && best !== runtime ? ` Move to ${best}.` : "";
    const f = (level: "advisory" | "mandatory", text: string) => [finding("lambda-runtime-deprecation", level, `${subject} uses ${runtime}: ${text}${upgrade}`)];

    if (!row) {
        return f("mandatory", `this runtime is not in the lifecycle table (as of ${lifecycle.asOf}). If AWS has released it, add its dates with the policy's \`runtimes\` config; otherwise fix the runtime name.`);
    }
    if (row.retired) return f("mandatory", "the runtime is retired; Lambda no longer creates or updates functions that use it.");
    const blocks = describeBlocks(row, now);
    if (row.blockUpdate && now >= row.blockUpdate) return f("mandatory", `deprecated since ${row.deprecated}; Lambda blocks creating functions on it${row.blockCreate ? ` since ${row.blockCreate}` : ""} and updating them since ${row.blockUpdate}.`);
    if (row.blockCreate && now >= row.blockCreate) return f("mandatory", `deprecated since ${row.deprecated}; Lambda blocks creating functions on it since ${row.blockCreate}${blocks}.`);
    if (row.deprecated && now >= row.deprecated) return f("mandatory", `deprecated since ${row.deprecated} (no more security patches)${blocks}.`);
    if (row.deprecated && daysBetween(now, row.deprecated) <= config.warnDays) {
        return f("advisory", `deprecated on ${row.deprecated}, in ${daysBetween(now, row.deprecated)} days${blocks}.`);
    }
    return [];
}

/** Past the date after which Lambda refuses to create functions on this runtime. */
export function isCreateBlocked(runtime: string, config?: Pick<RuntimeDeprecationConfig, "now" | "runtimes">): RuntimeDates | undefined {
    const row = lifecycleTable(config)[runtime];
    if (!row) return undefined;
    const now = today(config);
    return row.retired || (row.blockCreate && now >= row.blockCreate) ? row : undefined;
}

function describeBlocks(row: RuntimeDates, now: string): string {
    const parts: string[] = [];
    if (row.blockCreate && now < row.blockCreate) parts.push(`creating functions is blocked from ${row.blockCreate}`);
    if (row.blockUpdate && now < row.blockUpdate) parts.push(`updating them from ${row.blockUpdate}`);
    return parts.length ? `; ${parts.join(" and ")}` : "";
}

function daysBetween(from: string, to: string): number {
    return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
