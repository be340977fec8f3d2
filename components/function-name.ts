// A PythonFunction's name in AWS, known before anything is created, so that
// its log group can be Lambda's own `/aws/lambda/<function name>` (where
// `aws logs tail /aws/lambda/<fn>`, the console and every tool look) and
// still exist before the function: created by the stack, with its retention,
// rather than by Lambda on the first invocation.
//
// Pulumi's auto-naming (the component's name and 7 random hex digits) is done
// by the provider when the function is created, too late for a log group that
// must precede it; CloudFormation and CDK generate the name at deploy time
// for the same reason a custom resource then sets the retention. Here the
// suffix is derived from the project, the stack and the component's name:
// stable across runs (so no diff), different between stacks and projects
// sharing an account, as auto-naming's would be.
import * as crypto from "crypto";

/** Lambda's limit on a function's name (CreateFunction, FunctionName). */
export const MAX_FUNCTION_NAME = 64;
const VALID = /^[A-Za-z0-9_-]+$/;

/** `<name>-<7 hex digits>`, the component's name made a valid function name and cut to fit in 64 characters. */
export function derivedFunctionName(name: string, project: string, stack: string): string {
    const suffix = crypto.createHash("sha256").update(`${project}\0${stack}\0${name}`).digest("hex").slice(0, 7);
    const base = name.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, MAX_FUNCTION_NAME - suffix.length - 1) || "function";
    return `${base}-${suffix}`;
}

/** Why `name` cannot be a Lambda function's name, or undefined when it can. */
export function functionNameProblem(name: string): string | undefined {
    if (name.length === 0 || name.length > MAX_FUNCTION_NAME)
        return `functionArgs.name must be 1 to ${MAX_FUNCTION_NAME} characters (Lambda's limit); ${JSON.stringify(name)} has ${name.length}. Shorten it, or leave it out and the component derives one.`;
    if (!VALID.test(name)) return `functionArgs.name ${JSON.stringify(name)} may hold only letters, digits, hyphens and underscores (Lambda's rule for function names). Change it, or leave it out and the component derives one.`;
    return undefined;
}

/** The log group Lambda writes a function's logs to unless told otherwise. */
export function logGroupNameOf(functionName: string): string {
    return `/aws/lambda/${functionName}`;
}
