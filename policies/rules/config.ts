// Each policy's configuration: its JSON schema (published with the pack) and
// the defaults applied in code when a stack's policy config leaves a field out.
import { environmentLimitsDefaults, EnvironmentLimitsConfig, environmentLimitsSchema } from "./environment-limits";
import { environmentSecretsDefaults, EnvironmentSecretsConfig, environmentSecretsSchema } from "./environment-secrets";
import { functionUrlPublicDefaults, FunctionUrlPublicConfig, functionUrlPublicSchema } from "./function-url-public";
import { layerCountDefaults, LayerCountConfig, layerCountSchema } from "./layer-count";
import { packageSecretsDefaults, PackageSecretsConfig, packageSecretsSchema } from "./package-secrets";
import { partialBoto3Defaults, PartialBoto3Config, partialBoto3Schema } from "./partial-boto3";
import { runtimeDeprecationDefaults, RuntimeDeprecationConfig, runtimeDeprecationSchema } from "./runtime-deprecation";
import { PolicyName } from "./types";
import { unzippedSizeDefaults, UnzippedSizeConfig, unzippedSizeSchema } from "./unzipped-size";
import { zipSizeDefaults, ZipSizeConfig, zipSizeSchema } from "./zip-size";

export interface RuleConfigs {
    "lambda-zip-size": ZipSizeConfig;
    "lambda-unzipped-size": UnzippedSizeConfig;
    "lambda-layer-count": LayerCountConfig;
    "lambda-runtime-deprecation": RuntimeDeprecationConfig;
    "lambda-function-url-public": FunctionUrlPublicConfig;
    "lambda-partial-boto3": PartialBoto3Config;
    "lambda-package-secrets": PackageSecretsConfig;
    "lambda-environment-secrets": EnvironmentSecretsConfig;
    "lambda-environment-limits": EnvironmentLimitsConfig;
}

const ruleDefaults: RuleConfigs = {
    "lambda-zip-size": zipSizeDefaults,
    "lambda-unzipped-size": unzippedSizeDefaults,
    "lambda-layer-count": layerCountDefaults,
    "lambda-runtime-deprecation": runtimeDeprecationDefaults,
    "lambda-function-url-public": functionUrlPublicDefaults,
    "lambda-partial-boto3": partialBoto3Defaults,
    "lambda-package-secrets": packageSecretsDefaults,
    "lambda-environment-secrets": environmentSecretsDefaults,
    "lambda-environment-limits": environmentLimitsDefaults,
};

export const ruleSchemas: Partial<Record<PolicyName, Record<string, object>>> = {
    "lambda-zip-size": zipSizeSchema,
    "lambda-unzipped-size": unzippedSizeSchema,
    "lambda-layer-count": layerCountSchema,
    "lambda-runtime-deprecation": runtimeDeprecationSchema,
    "lambda-function-url-public": functionUrlPublicSchema,
    "lambda-partial-boto3": partialBoto3Schema,
    "lambda-package-secrets": packageSecretsSchema,
    "lambda-environment-secrets": environmentSecretsSchema,
    "lambda-environment-limits": environmentLimitsSchema,
};

export type PartialRuleConfigs = { [K in keyof RuleConfigs]?: Partial<RuleConfigs[K]> };

/** A policy's config with defaults for every field the given config leaves out. */
export function configFor<K extends keyof RuleConfigs>(policy: K, given?: PartialRuleConfigs): RuleConfigs[K] {
    const set = Object.fromEntries(Object.entries(given?.[policy] ?? {}).filter(([, v]) => v !== undefined && v !== null));
    return { ...ruleDefaults[policy], ...set } as RuleConfigs[K];
}
