// What the pack publishes about each policy besides its code: a display
// name, severity, tags, remediation steps and a link to its section in
// docs/policies.md (one anchor per policy). Kept apart from the policies so
// the docs and the pack can be checked against each other in tests.
import { Severity } from "@pulumi/policy";
import { PolicyName } from "../rules/types";

/** Where docs/policies.md is published; each policy links to its own anchor. Set to the repository's URL when publishing. */
const POLICY_DOCS_URL = "https://github.com/pulumi-lambda-python/pulumi-lambda-python/blob/main/docs/policies.md";

export interface PolicyMetadata {
    displayName: string;
    severity: Severity;
    tags: string[];
    remediationSteps: string;
}

export const PACK_DISPLAY_NAME = "AWS Lambda packaging and safety";

export const PACK_README = `Checks every aws.lambda.Function, LayerVersion, FunctionUrl and Permission in a stack, whatever the function's language:
sizes, layer count, native code for the wrong architecture, unsafe archives, runtime deprecation dates (Node.js, Python, Java, .NET, Ruby, OS-only),
secrets and reserved names in environment variables, public function URLs and permissions. Python-specific packaging rules (handler module,
__pycache__, layer python/ folder, partial AWS SDK, wheel tags) apply only to Python functions and layers.
Every policy takes an \`exempt\` list (resource names or URNs) in its config; a resource tag \`lambda-python:skip=<policy>[,<policy>]\` exempts it too.
Exemptions are reported as advisories. Docs: ${POLICY_DOCS_URL}`;

export const metadata: Record<PolicyName, PolicyMetadata> = {
    "lambda-zip-size": {
        displayName: "Deployment package at most 50 MB zipped",
        severity: "high",
        tags: ["lambda", "packaging", "limits"],
        remediationSteps: "Upload the archive to S3 and set s3Bucket/s3Key on the function, or move dependencies into a layer.",
    },
    "lambda-unzipped-size": {
        displayName: "Function and layers at most 250 MB unzipped",
        severity: "high",
        tags: ["lambda", "packaging", "limits"],
        remediationSteps: "Drop unused dependencies (tests, docs, optional extras), split the function, or deploy it as a container image.",
    },
    "lambda-layer-count": {
        displayName: "At most 5 layers per function",
        severity: "high",
        tags: ["lambda", "limits"],
        remediationSteps: "Merge layers that are always used together into one layer.",
    },
    "lambda-architecture-compatibility": {
        displayName: "Native code matches the function's architecture",
        severity: "high",
        tags: ["lambda", "packaging", "architecture"],
        remediationSteps: "Rebuild native code for Linux on the function's architecture (x86_64 or arm64), or change the function's architecture; declare layers for the function's architecture and runtime.",
    },
    "lambda-runtime-deprecation": {
        displayName: "Runtime not deprecated",
        severity: "medium",
        tags: ["lambda", "runtime", "lifecycle"],
        remediationSteps: "Move the function to the newest runtime of its language (the message names it) and test it; AWS blocks creating, then updating, functions on deprecated runtimes.",
    },
    "lambda-no-pycache": {
        displayName: "No stray Python bytecode",
        severity: "low",
        tags: ["lambda", "packaging", "python"],
        remediationSteps:
            "Install with `pip install --no-compile` and leave __pycache__ folders out of the archive (lambda-python build does both), or ship bytecode compiled for the function's runtime (lambda-python build --bytecode, or build: { bytecode: true } in PythonFunction/PythonLayer).",
    },
    "lambda-handler-at-root": {
        displayName: "Python handler module at the archive root",
        severity: "high",
        tags: ["lambda", "packaging", "python"],
        remediationSteps: "Zip the contents of the source folder rather than the folder itself, or fix the handler string (module.function).",
    },
    "lambda-layer-python-path": {
        displayName: "Python layer code under python/",
        severity: "high",
        tags: ["lambda", "packaging", "python", "layers"],
        remediationSteps: "Put the layer's packages under python/ (or python/lib/python3.X/site-packages/) in the layer archive.",
    },
    "lambda-zip-entry-safety": {
        displayName: "Archive intact and safe to extract",
        severity: "critical",
        tags: ["lambda", "packaging", "security"],
        remediationSteps: "Rebuild the archive from the source folder: no absolute or '..' paths, files readable (644/755), stored or deflated entries only.",
    },
    "lambda-function-url-public": {
        displayName: "Function URLs require authentication",
        severity: "high",
        tags: ["lambda", "security", "network"],
        remediationSteps: "Use authorizationType AWS_IAM, or list the function in this policy's allowedFunctions config if it is meant to be public.",
    },
    "lambda-partial-boto3": {
        displayName: "Whole AWS SDK for Python or none of it",
        severity: "low",
        tags: ["lambda", "packaging", "python"],
        remediationSteps: "Add boto3 to the requirements so the whole SDK comes from the package, or leave botocore, s3transfer and urllib3 out.",
    },
    "lambda-package-secrets": {
        displayName: "No credentials in the code",
        severity: "critical",
        tags: ["lambda", "security", "secrets"],
        remediationSteps: "Remove the credentials from the package: give the function an IAM role for AWS access, read other secrets at run time from Secrets Manager or SSM Parameter Store, and rotate the exposed ones.",
    },
    "lambda-environment-secrets": {
        displayName: "No plain-text secrets in environment variables",
        severity: "critical",
        tags: ["lambda", "security", "secrets"],
        remediationSteps: "Keep the secret in AWS Secrets Manager or SSM Parameter Store and read it at run time, or at least pass it as a Pulumi secret (pulumi.secret / config.requireSecret) so it is encrypted in state.",
    },
    "lambda-environment-limits": {
        displayName: "Environment variables Lambda accepts",
        severity: "high",
        tags: ["lambda", "limits", "configuration"],
        remediationSteps: "Rename variables that Lambda reserves (AWS_REGION, _HANDLER, AWS_LAMBDA_*, …) and keep all variables under 4 KB together; move large values to SSM Parameter Store or S3.",
    },
    "lambda-permission-public": {
        displayName: "Lambda permissions not open to everyone",
        severity: "critical",
        tags: ["lambda", "security", "iam"],
        remediationSteps: "Set sourceArn, sourceAccount or principalOrgId on the permission, or name a specific principal instead of '*'.",
    },
    "lambda-function-url-cors": {
        displayName: "Function URL CORS does not allow every origin with credentials",
        severity: "high",
        tags: ["lambda", "security", "network"],
        remediationSteps: "List the origins that may call the URL in cors.allowOrigins, or turn allowCredentials off.",
    },
};

export function docsUrl(policy: PolicyName): string {
    return `${POLICY_DOCS_URL}#${policy}`;
}
