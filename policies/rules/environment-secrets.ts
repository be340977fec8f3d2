// lambda-environment-secrets: secrets kept in plain text in a function's
// environment variables, where anyone who can read the function's
// configuration (or the stack's state) sees them. Judged by the variable's
// name and by its value. Values that are Pulumi secrets, references to a
// secret store, or not known yet are skipped. Messages name the variable
// and never print its value.
import { secretShapeOf } from "../inspect/secrets";
import { listSome } from "./format";
import { EnvVar } from "./environment-limits";
import { finding, Finding } from "./types";

const POLICY = "lambda-environment-secrets";

export interface EnvironmentSecretsConfig {
    /** Name patterns (case-insensitive, `*` for any text) of variables that hold secrets. */
    namePatterns: string[];
    /** Names (same pattern syntax) never reported: variables that hold a reference, not the secret. */
    allowNames: string[];
    /** Shannon entropy (bits per character) above which a long token-like value is reported as a likely secret; 0 turns it off. */
    entropyBits: number;
    /** Shortest value judged by entropy. */
    entropyMinLength: number;
}

export const environmentSecretsDefaults: EnvironmentSecretsConfig = {
    namePatterns: ["*SECRET*", "*PASSWORD*", "*PASSWD*", "*PASSPHRASE*", "*TOKEN*", "*API_KEY*", "*APIKEY*", "*PRIVATE_KEY*", "*CREDENTIAL*", "*ACCESS_KEY*"],
    allowNames: ["*_ARN", "*_NAME", "*_ID", "*_PATH", "*_PARAM", "*_PARAMETER", "*_URL", "*_URI", "*_TTL", "*_EXPIRY", "*_TABLE", "*_BUCKET", "*_HEADER", "*_FILE", "*_ENDPOINT", "*_REGION"],
    entropyBits: 4.5,
    entropyMinLength: 24,
};

export const environmentSecretsSchema = {
    namePatterns: { type: "array", items: { type: "string" }, default: environmentSecretsDefaults.namePatterns, description: "Variable name patterns (case-insensitive, * wildcard) whose values are secrets." },
    allowNames: { type: "array", items: { type: "string" }, default: environmentSecretsDefaults.allowNames, description: "Variable name patterns never reported (they name or point to a secret, e.g. DB_SECRET_ARN)." },
    entropyBits: { type: "number", minimum: 0, default: environmentSecretsDefaults.entropyBits, description: "Report token-like values above this Shannon entropy (bits per character) as likely secrets (advisory); 0 turns it off." },
    entropyMinLength: { type: "integer", minimum: 1, default: environmentSecretsDefaults.entropyMinLength, description: "Shortest value judged by entropy." },
};

/** Values that point to a secret rather than hold one: ARNs, secret-store references, template references. */
function isReference(value: string): boolean {
    return /^arn:aws[a-z-]*:/.test(value) || /^\{\{resolve:/.test(value) || /^(ssm|secretsmanager):/i.test(value) || value.startsWith("/aws/reference/secretsmanager/");
}

const compiled = new Map<string, RegExp>();

/** A name pattern ("*SECRET*") as a case-insensitive regular expression, compiled once. */
function patternRegExp(pattern: string): RegExp {
    let re = compiled.get(pattern);
    if (!re) {
        re = new RegExp(
            `^${pattern
                .split("*")
                .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
                .join(".*")}$`,
            "i",
        );
        compiled.set(pattern, re);
    }
    return re;
}

function matches(name: string, patterns: string[]): boolean {
    return patterns.some((p) => patternRegExp(p).test(name));
}

/** Shannon entropy of a string, in bits per character. */
function entropy(value: string): number {
    const counts = new Map<string, number>();
    for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
    let bits = 0;
    for (const n of counts.values()) {
        const p = n / value.length;
        bits -= p * Math.log2(p);
    }
    return bits;
}

/** A value that is worth judging: not empty, not a number, a boolean or a reference. */
function substantive(value: string): boolean {
    const v = value.trim();
    return v.length >= 6 && !/^(true|false|yes|no|on|off|none|null|changeme|-?\d+(\.\d+)?)$/i.test(v) && !isReference(v);
}

export interface SecretsContext {
    /** False when the pack could not tell which values are Pulumi secrets; name-based findings are then advisories. */
    secretsKnown: boolean;
}

export function checkEnvironmentSecrets(subject: string, vars: EnvVar[], config: EnvironmentSecretsConfig = environmentSecretsDefaults, ctx: SecretsContext = { secretsKnown: true }): Finding[] {
    const byName: string[] = [];
    const byValue: string[] = [];
    const likely: string[] = [];
    for (const v of vars) {
        if (v.secret || v.value === undefined) continue;
        const shape = secretShapeOf(v.value);
        if (shape) {
            byValue.push(`${v.name} (holds ${shape.what})`);
            continue;
        }
        if (matches(v.name, config.allowNames)) continue;
        if (matches(v.name, config.namePatterns) && substantive(v.value)) {
            byName.push(v.name);
            continue;
        }
        const token = v.value.trim();
        if (config.entropyBits > 0 && token.length >= config.entropyMinLength && /^[A-Za-z0-9+/=_-]+$/.test(token) && !isReference(token) && entropy(token) >= config.entropyBits) {
            likely.push(v.name);
        }
    }
    const out: Finding[] = [];
    const advice = "Read it at run time from Secrets Manager or SSM Parameter Store, or at least pass it as a Pulumi secret (pulumi.secret, config.requireSecret) so it is encrypted in the stack's state.";
    if (byValue.length) {
        out.push(finding(POLICY, "mandatory", `${subject} has a plain-text secret in environment variable${byValue.length > 1 ? "s" : ""} ${listSome(byValue)}. Anyone who can read the function's configuration can read it. ${advice}`));
    }
    if (byName.length) {
        out.push(
            finding(
                POLICY,
                ctx.secretsKnown ? "mandatory" : "advisory",
                `${subject} sets environment variable${byName.length > 1 ? "s" : ""} ${listSome(byName)} in plain text; the name says it holds a secret. ${advice}` +
                    (ctx.secretsKnown ? "" : " (This policy pack could not tell whether the value is a Pulumi secret.)"),
            ),
        );
    }
    if (likely.length) {
        out.push(
            finding(
                POLICY,
                "advisory",
                `${subject}: environment variable${likely.length > 1 ? "s" : ""} ${listSome(likely)} look${likely.length > 1 ? "" : "s"} like a random token (high entropy), perhaps a secret. ${advice} If it is not a secret, add the name to this policy's allowNames config.`,
            ),
        );
    }
    return out;
}
