// lambda-permission-public: an aws.lambda.Permission that lets anyone ("*")
// invoke a function, with nothing (sourceArn, sourceAccount,
// principalOrgId) narrowing who. Function-URL permissions are left to
// lambda-function-url-public, which judges the URL itself.
import { finding, Finding } from "./types";

export interface PermissionFacts {
    principal?: string;
    action?: string;
    sourceArn?: unknown;
    sourceAccount?: unknown;
    principalOrgId?: unknown;
    functionUrlAuthType?: unknown;
    invokedViaFunctionUrl?: unknown;
}

/** Whether this permission exists for a function URL (the URL's auth type is what matters there). */
function isFunctionUrlPermission(p: PermissionFacts): boolean {
    return p.action === "lambda:InvokeFunctionUrl" || present(p.functionUrlAuthType) || p.invokedViaFunctionUrl === true;
}

function present(v: unknown): boolean {
    return v !== undefined && v !== null && v !== "";
}

export function checkPermissionPublic(subject: string, p: PermissionFacts): Finding[] {
    if (p.principal !== "*") return [];
    if (isFunctionUrlPermission(p)) return [];
    if (present(p.sourceArn) || present(p.sourceAccount) || present(p.principalOrgId)) return [];
    return [
        finding(
            "lambda-permission-public",
            "mandatory",
            `${subject} lets principal "*" (anyone, in any AWS account) ${p.action ? `call ${p.action}` : "invoke the function"}, with no sourceArn, sourceAccount or principalOrgId to narrow it. Name the service or account that needs it and set sourceArn/sourceAccount, or principalOrgId for your organisation.`,
        ),
    ];
}
