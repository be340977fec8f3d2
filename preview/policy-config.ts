// A policy pack config file, as `pulumi preview --policy-pack-config FILE`
// takes it, for the offline preview's policy pack (`--policy-config FILE`):
//
//   { "all": "advisory",                                  every policy's level
//     "lambda-function-url-public": "disabled",           one policy's level
//     "lambda-zip-size": { "enforcementLevel": "mandatory", "maxZippedBytes": 10485760 } }
//
// The Pulumi CLI checks such a file against the schemas the pack publishes
// (GetAnalyzerInfo) and hands it to the pack through the analyzer's Configure
// call; @pulumi/policy keeps it in a variable of its server module that
// nothing exported sets. So the offline preview checks the file here, against
// the same schemas, and hands each policy its level and config by wrapping
// the policy: its enforcementLevel replaced, its validations given a
// getConfig that answers the file's properties.
import * as fs from "fs";
import type { Policy, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { describeFsError, describeThrown, UserError } from "../shared/errors";

/** Levels a policy of this pack can be set to (none of its policies remediates). */
const LEVELS = ["advisory", "mandatory", "disabled"] as const;
type Level = (typeof LEVELS)[number];

interface PolicySettings {
    enforcementLevel?: Level;
    properties: Record<string, unknown>;
}

/** A checked config: each configured policy's settings, by name. */
export type PolicyPackConfig = Record<string, PolicySettings>;

/** The subset of JSON Schema the pack's config schemas use (policies/rules/*, policies/pack). */
interface Schema {
    type?: "string" | "number" | "integer" | "boolean" | "array" | "object";
    minimum?: number;
    maximum?: number;
    pattern?: string;
    items?: Schema;
    properties?: Record<string, Schema>;
    additionalProperties?: Schema | boolean;
    default?: unknown;
    description?: string;
}

/** Schema keywords checkValue understands; a schema using another one is a bug here (test/unit/policy-config.test.ts). */
export const SCHEMA_KEYWORDS = new Set(["type", "minimum", "maximum", "pattern", "items", "properties", "additionalProperties", "default", "description"]);

/** Reads and checks `file` against the policies' names and config schemas; a UserError says what is wrong and where. */
export function readPolicyConfig(file: string, policies: Policy[]): PolicyPackConfig {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw describeFsError(e, file, "policy config file");
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (e) {
        throw new UserError(
            `policy config file ${file} is not JSON (${describeThrown(e)}). It takes what pulumi preview --policy-pack-config takes: { "<policy>": "advisory" | "mandatory" | "disabled" | { "enforcementLevel": …, "<field>": … }, "all": "<level>" }.`,
        );
    }
    return checkPolicyConfig(parsed, policies, file);
}

/** Checks a parsed config; `where` names it in messages. */
export function checkPolicyConfig(parsed: unknown, policies: Policy[], where: string): PolicyPackConfig {
    if (!isObject(parsed)) throw new UserError(`policy config file ${where} must hold a JSON object keyed by policy name, not ${describeJson(parsed)}.`);
    const byName = new Map(policies.map((p) => [p.name, p]));
    const config: PolicyPackConfig = {};
    for (const [name, value] of Object.entries(parsed)) {
        if (name === "all") {
            const level = isObject(value) && Object.keys(value).every((k) => k === "enforcementLevel") ? value.enforcementLevel : value;
            config.all = { enforcementLevel: checkLevel(level, `"all" in ${where}`), properties: {} };
            continue;
        }
        const policy = byName.get(name);
        if (!policy) throw new UserError(`policy config file ${where} names "${name}", which is not a policy of the lambda-python pack. Its policies: ${[...byName.keys()].join(", ")} (and "all" for every policy's level).`);
        if (typeof value === "string") {
            config[name] = { enforcementLevel: checkLevel(value, `"${name}" in ${where}`), properties: {} };
            continue;
        }
        if (!isObject(value)) throw new UserError(`"${name}" in policy config file ${where} must be an enforcement level or an object of its config, not ${describeJson(value)}.`);
        const { enforcementLevel, ...properties } = value;
        const schema = (policy.configSchema ?? {}) as Schema;
        for (const [field, v] of Object.entries(properties)) {
            const fieldSchema = schema.properties?.[field];
            if (!fieldSchema) {
                const fields = Object.keys(schema.properties ?? {});
                throw new UserError(`"${name}" in policy config file ${where} has no field "${field}". Its fields: ${fields.length ? fields.join(", ") : "none"} (and enforcementLevel).`);
            }
            const problem = checkValue(v, fieldSchema, `${name}.${field}`);
            if (problem) throw new UserError(`policy config file ${where}: ${problem}`);
        }
        config[name] = { enforcementLevel: enforcementLevel === undefined ? undefined : checkLevel(enforcementLevel, `"${name}".enforcementLevel in ${where}`), properties };
    }
    return config;
}

/** The policies with the config applied: each one's level, and getConfig answering its properties. */
export function configurePolicies(policies: Policy[], config: PolicyPackConfig): Policy[] {
    return policies.map((p) => {
        const settings = config[p.name];
        const level = settings?.enforcementLevel ?? config.all?.enforcementLevel;
        if (!settings && !level) return p;
        const properties = settings?.properties ?? {};
        const withConfig = <A extends { getConfig: <T extends object>() => T }>(args: A): A => ({ ...args, getConfig: () => ({ ...(args.getConfig() as object), ...properties }) as never });
        const configured = { ...p, enforcementLevel: level ?? p.enforcementLevel } as Policy & { validateResource?: unknown; validateStack?: unknown };
        const resource = (p as { validateResource?: ResourceValidation | ResourceValidation[] }).validateResource;
        if (resource) configured.validateResource = Array.isArray(resource) ? resource.map((v) => wrapResource(v, withConfig)) : wrapResource(resource, withConfig);
        const stack = (p as { validateStack?: StackValidation }).validateStack;
        if (stack) configured.validateStack = (args: StackValidationArgs, report: never) => stack(withConfig(args), report);
        return configured;
    });
}

type ResourceValidation = ((args: ResourceValidationArgs, report: never) => unknown) & { __pulumiType?: string };
type StackValidation = (args: StackValidationArgs, report: never) => unknown;

function wrapResource(v: ResourceValidation, withConfig: <A extends { getConfig: <T extends object>() => T }>(args: A) => A): ResourceValidation {
    const wrapped: ResourceValidation = (args, report) => v(withConfig(args), report);
    // The server skips a validation for other types by this mark (validateResourceOfType sets it).
    if (v.__pulumiType) wrapped.__pulumiType = v.__pulumiType;
    return wrapped;
}

function checkLevel(value: unknown, where: string): Level {
    if (typeof value === "string" && (LEVELS as readonly string[]).includes(value)) return value as Level;
    if (value === "remediate") throw new UserError(`${where}: "remediate" needs a policy that remediates, and no lambda-python policy does. Use "advisory", "mandatory" or "disabled".`);
    throw new UserError(`${where} must be "advisory", "mandatory" or "disabled", not ${describeJson(value)}.`);
}

/** Why `value` does not fit `schema`, or undefined. */
function checkValue(value: unknown, schema: Schema, path: string): string | undefined {
    switch (schema.type) {
        case "string":
            if (typeof value !== "string") return `${path} must be a string, not ${describeJson(value)}.`;
            if (schema.pattern && !new RegExp(schema.pattern).test(value)) return `${path} ${JSON.stringify(value)} does not match ${schema.pattern}.`;
            return undefined;
        case "boolean":
            return typeof value === "boolean" ? undefined : `${path} must be true or false, not ${describeJson(value)}.`;
        case "integer":
        case "number": {
            if (typeof value !== "number" || (schema.type === "integer" && !Number.isInteger(value))) return `${path} must be ${schema.type === "integer" ? "a whole number" : "a number"}, not ${describeJson(value)}.`;
            if (schema.minimum !== undefined && value < schema.minimum) return `${path} must be at least ${schema.minimum}, not ${value}.`;
            if (schema.maximum !== undefined && value > schema.maximum) return `${path} must be at most ${schema.maximum}, not ${value}.`;
            return undefined;
        }
        case "array": {
            if (!Array.isArray(value)) return `${path} must be a list, not ${describeJson(value)}.`;
            for (const [i, item] of value.entries()) {
                const problem = schema.items && checkValue(item, schema.items, `${path}[${i}]`);
                if (problem) return problem;
            }
            return undefined;
        }
        case "object": {
            if (!isObject(value)) return `${path} must be an object, not ${describeJson(value)}.`;
            for (const [k, v] of Object.entries(value)) {
                const fieldSchema = schema.properties?.[k] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
                if (!fieldSchema) {
                    if (schema.additionalProperties === false) return `${path} has no field "${k}"${schema.properties ? `; its fields: ${Object.keys(schema.properties).join(", ")}` : ""}.`;
                    continue;
                }
                const problem = checkValue(v, fieldSchema, `${path}.${k}`);
                if (problem) return problem;
            }
            return undefined;
        }
        default:
            return undefined;
    }
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describeJson(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    if (typeof v === "object") return "an object";
    return JSON.stringify(v) ?? String(v);
}
