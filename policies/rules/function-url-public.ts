// lambda-function-url-public: a function URL with auth type NONE lets anyone
// on the internet invoke the function; allow it only for listed functions.
import { finding, Finding } from "./types";

export interface FunctionUrlPublicConfig {
    /** Function names (or resource names) allowed to have a public URL. */
    allowedFunctions: string[];
}

export const functionUrlPublicDefaults: FunctionUrlPublicConfig = { allowedFunctions: [] };

export const functionUrlPublicSchema = {
    allowedFunctions: { type: "array", items: { type: "string" }, default: [], description: "Function names or Pulumi resource names allowed to have an auth-type NONE URL." },
};

export function checkFunctionUrlPublic(subject: string, authType: string | undefined, names: string[], config: FunctionUrlPublicConfig = functionUrlPublicDefaults): Finding[] {
    if (authType !== "NONE") return [];
    if (names.some((n) => config.allowedFunctions.includes(n))) return [];
    return [
        finding(
            "lambda-function-url-public",
            "mandatory",
            `${subject} has a function URL with auth type NONE: anyone on the internet can invoke it. Use AWS_IAM, or add the function to this policy's allowedFunctions config if it is meant to be public.`,
        ),
    ];
}
