// What every rule returns, and the names the rules report under. The names
// are a public surface: the policy pack, `lambda-python inspect --json` and
// the components' build-time checks all use them.

export const POLICY_NAMES = [
    "lambda-zip-size",
    "lambda-unzipped-size",
    "lambda-layer-count",
    "lambda-architecture-compatibility",
    "lambda-runtime-deprecation",
    "lambda-no-pycache",
    "lambda-handler-at-root",
    "lambda-layer-python-path",
    "lambda-zip-entry-safety",
    "lambda-function-url-public",
    "lambda-partial-boto3",
    "lambda-package-secrets",
    "lambda-environment-secrets",
    "lambda-environment-limits",
    "lambda-permission-public",
    "lambda-function-url-cors",
] as const;

export type PolicyName = (typeof POLICY_NAMES)[number];

/**
 * "mandatory" findings are reported at the policy's enforcement level (which
 * config may lower); "advisory" ones are always advisory.
 */
export type FindingLevel = "advisory" | "mandatory";

export interface Finding {
    policy: PolicyName;
    level: FindingLevel;
    message: string;
}

export type ArchiveKind = "function" | "layer";

export function finding(policy: PolicyName, level: FindingLevel, message: string): Finding {
    return { policy, level, message };
}
