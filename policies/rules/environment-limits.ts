// lambda-environment-limits: environment variables Lambda refuses at
// deploy time — keys it reserves (AWS_REGION, _HANDLER, …), keys that are
// not valid names, and more than 4 KB in total — found before the deploy.
import env from "../data/lambda-environment.json";
import limits from "../data/lambda-limits.json";
import { formatBytes, formatMB, listSome } from "./format";
import { finding, Finding } from "./types";

const POLICY = "lambda-environment-limits";

export interface EnvironmentLimitsConfig {
    /** Most bytes of keys and values together (AWS: 4 KB). */
    maxBytes: number;
}

export const environmentLimitsDefaults: EnvironmentLimitsConfig = { maxBytes: limits.environmentBytes };

export const environmentLimitsSchema = {
    maxBytes: { type: "integer", minimum: 1, default: limits.environmentBytes, description: "Most bytes of environment variable keys and values together (AWS: 4 KB)." },
};

/** One variable: its value is undefined when not known yet (preview) or not a string. */
export interface EnvVar {
    name: string;
    value?: string;
    secret?: boolean;
}

const RESERVED = new Set(env.reserved);
const SETTABLE = new Set(env.settable);

/** A name Lambda sets itself and refuses in a function's configuration (the runner refuses it too). */
export function isReservedEnvironmentName(name: string): boolean {
    return RESERVED.has(name);
}

/** A name Lambda accepts as an environment variable's key: a letter, then at least one letter, digit or underscore. */
export function isValidEnvironmentName(name: string): boolean {
    return /^[a-zA-Z][a-zA-Z0-9_]+$/.test(name);
}

export function checkEnvironmentLimits(subject: string, vars: EnvVar[], config: EnvironmentLimitsConfig = environmentLimitsDefaults): Finding[] {
    const out: Finding[] = [];
    const reserved = vars.filter((v) => isReservedEnvironmentName(v.name)).map((v) => v.name);
    if (reserved.length) {
        out.push(finding(POLICY, "mandatory", `${subject} sets ${listSome(reserved)}, which Lambda reserves: the deploy fails with "Reserved keys used in this request". Lambda sets these itself; rename your variables.`));
    }
    const namespace = vars.filter((v) => v.name.startsWith("AWS_LAMBDA_") && !isReservedEnvironmentName(v.name) && !SETTABLE.has(v.name)).map((v) => v.name);
    if (namespace.length) {
        out.push(finding(POLICY, "advisory", `${subject} sets ${listSome(namespace)} in Lambda's AWS_LAMBDA_ namespace; Lambda may reserve or override such names. Prefer your own prefix.`));
    }
    const invalid = vars.filter((v) => !isValidEnvironmentName(v.name)).map((v) => JSON.stringify(v.name));
    if (invalid.length) {
        out.push(finding(POLICY, "mandatory", `${subject} has environment variable names Lambda rejects: ${listSome(invalid)}. A key starts with a letter and has at least two letters, digits or underscores.`));
    }
    // Lambda counts keys and values; unknown values are not counted, so only an overflow of the known part is certain.
    const known = vars.reduce((sum, v) => sum + Buffer.byteLength(v.name) + (v.value === undefined ? 0 : Buffer.byteLength(v.value)), 0);
    if (known > config.maxBytes) {
        const largest = [...vars]
            .filter((v) => v.value !== undefined)
            .sort((a, b) => b.value!.length - a.value!.length)
            .slice(0, 3)
            .map((v) => `${v.name} (${formatMB(Buffer.byteLength(v.value!))})`);
        out.push(
            finding(
                POLICY,
                "mandatory",
                `${subject}'s environment variables take ${formatBytes(known)}, over Lambda's ${formatBytes(config.maxBytes)} limit; the deploy fails. Largest: ${largest.join(", ")}. Move big values to SSM Parameter Store, Secrets Manager or S3.`,
            ),
        );
    }
    return out;
}
