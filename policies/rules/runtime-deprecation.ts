// lambda-runtime-deprecation: judge any Lambda runtime (Python, Node.js,
// Java, .NET, Ruby, OS-only) against the lifecycle table
// (policies/data/runtime-lifecycle.json), with an injectable clock and
// config that can override or add runtimes.
import lifecycle from "../data/runtime-lifecycle.json";
import { compareVersions, runtimeFamily, runtimeVersion } from "./runtimes";
import { finding, Finding } from "./types";

export interface RuntimeDates {
    os?: string;
    deprecated?: string;
    blockCreate?: string;
    blockUpdate?: string;
    /** Past every date; exact dates not kept. */
    retired?: boolean;
    /** Where the row's dates come from. */
    source?: string;
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
            properties: { os: { type: "string" }, deprecated: dateSchema, blockCreate: dateSchema, blockUpdate: dateSchema, retired: { type: "boolean" }, source: { type: "string" } },
            additionalProperties: false,
        },
    },
};

function lifecycleTable(config?: Pick<RuntimeDeprecationConfig, "runtimes">): Record<string, RuntimeDates> {
    const table: Record<string, RuntimeDates> = { ...(lifecycle.runtimes as unknown as Record<string, RuntimeDates>) };
    for (const [runtime, row] of Object.entries(config?.runtimes ?? {})) table[runtime] = { ...table[runtime], ...row };
    return table;
}

/** The newest runtime of the same language that is not yet deprecated on `today`. */
function recommendedRuntime(table: Record<string, RuntimeDates>, today: string, like = "python3"): string | undefined {
    const family = runtimeFamily(like);
    const candidates = Object.entries(table)
        .filter(([r, d]) => runtimeFamily(r) === family && !d.retired && (!d.deprecated || d.deprecated > today))
        .map(([r]) => r)
        .sort((a, b) => compareVersions(runtimeVersion(a), runtimeVersion(b)));
    return candidates[candidates.length - 1];
}

/** A runtime the table does not know, but newer than every row of its language: AWS released it after the table. */
function newerThanTable(table: Record<string, RuntimeDates>, runtime: string): boolean {
    const family = runtimeFamily(runtime);
    if (!family) return false;
    const known = Object.keys(table).filter((r) => runtimeFamily(r) === family);
    return known.length > 0 && known.every((r) => compareVersions(runtimeVersion(runtime), runtimeVersion(r)) > 0);
}

function today(config?: Pick<RuntimeDeprecationConfig, "now">): string {
    return config?.now ?? new Date().toISOString().slice(0, 10);
}

export function checkRuntimeDeprecation(subject: string, runtime: string, config: RuntimeDeprecationConfig = runtimeDeprecationDefaults): Finding[] {
    const table = lifecycleTable(config);
    const now = today(config);
    const row = table[runtime];
    const best = recommendedRuntime(table, now, runtime);
    const upgrade = best && best !== runtime && (!row || compareVersions(runtimeVersion(best), runtimeVersion(runtime)) > 0) ? ` Move to ${best}.` : "";
    const f = (level: "advisory" | "mandatory", text: string) => [finding("lambda-runtime-deprecation", level, `${subject} uses ${runtime}: ${text}${upgrade}`)];

    if (!row) {
        // A newer runtime than the table knows is most likely real: say so, but never block a deployment on it.
        if (newerThanTable(table, runtime)) {
            return [finding("lambda-runtime-deprecation", "advisory", `${subject} uses ${runtime}, which is newer than the lifecycle table (as of ${lifecycle.asOf}); its dates are not checked. Add them with the policy's \`runtimes\` config.`)];
        }
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
