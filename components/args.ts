// Argument types shared by PythonFunction and PythonLayer, written so the
// Pulumi SDK's component analyzer can turn them into a package schema for
// every language: enums as `as const` objects (a TypeScript user still
// passes the plain string), named interfaces for nested options, no
// Omit<>/Pick<> of our own types and no unions the schema cannot express.
import * as aws from "@pulumi/aws";
import { BuildOptions } from "../builder";

/** Instruction set of a Lambda function or layer. */
export const Architecture = {
    /** Intel/AMD 64-bit. */
    X86_64: "x86_64",
    /** AWS Graviton (aarch64). */
    Arm64: "arm64",
} as const;
export type Architecture = (typeof Architecture)[keyof typeof Architecture];

/** Who may call a function URL. */
export const FunctionUrlAuthType = {
    /** Callers sign requests with IAM credentials. */
    AwsIam: "AWS_IAM",
    /** Anyone on the internet can call the function. */
    None: "NONE",
} as const;
export type FunctionUrlAuthType = (typeof FunctionUrlAuthType)[keyof typeof FunctionUrlAuthType];

/** How Lambda writes a function's logs. */
export const LogFormat = {
    /** Plain text lines (Lambda's default). */
    Text: "Text",
    /** One JSON object per line, with the level and request ID as fields. */
    Json: "JSON",
} as const;
export type LogFormat = (typeof LogFormat)[keyof typeof LogFormat];

/** Which tool installs the dependencies. */
export const Installer = {
    /** uv (its pinned version is installed on first use); pip only if that fails. */
    Auto: "auto",
    Pip: "pip",
    Uv: "uv",
} as const;
export type Installer = (typeof Installer)[keyof typeof Installer];

/** Where a layer's packages go inside its archive. */
export const LayerLayout = {
    /** python/ */
    Python: "python",
    /** python/lib/python3.X/site-packages/ */
    SitePackages: "site-packages",
} as const;
export type LayerLayout = (typeof LayerLayout)[keyof typeof LayerLayout];

/**
 * More builder options (types named without "Args": generated SDKs add that suffix). The same fields as the builder's own options
 * (builder/options.ts) minus those the component sets itself;
 * `BuildSettingsMatchBuildOptions` below fails to compile if the two drift apart.
 */
export interface BuildSettings {
    /** Only files matching these globs (relative to their folder) go in. @default all */
    include?: string[];
    /** Files and folders matching these globs stay out, in addition to the defaults. @default none */
    exclude?: string[];
    /** Leave out VCS folders, virtualenvs, node_modules, caches and .env files. @default true */
    defaultExcludes?: boolean;
    /** Set false to ignore the dependency files found in the source folder and above it. @default true */
    detectDependencies?: boolean;
    /** Dependency groups to install besides the main dependencies (Poetry groups, [dependency-groups], PDM groups, Pipfile categories such as "develop"). @default none: production dependencies only */
    groups?: string[];
    /** Extras of the project to install ([project.optional-dependencies], Poetry extras). @default none */
    extras?: string[];
    /** @default "auto": uv (installed on first use); pip only if that fails */
    installer?: Installer;
    /** Python interpreter that runs pip. @default "python3" */
    python?: string;
    /** Path of the uv executable. @default found on PATH */
    uv?: string;
    /** Passed to the installer as is: ["--index-url", "https://…"], ["--find-links", "./wheels"] … @default none */
    installerArgs?: string[];
    /** Layers only: where packages go. @default "python" */
    layerLayout?: LayerLayout;
    /** Deflate level: 0 stores, 1-12 trade speed for size. @default 6 */
    compressionLevel?: number;
    /** Add each module's bytecode, compiled by the runtime's own CPython (unchecked-hash .pyc in __pycache__): Lambda then does not compile the modules at each cold start; the archive grows. Needs Linux and a runtime Debian ships (python3.11, 3.13, 3.14). @default false */
    bytecode?: boolean;
    /** The build cache. @default $LAMBDA_PYTHON_CACHE_DIR, else ~/.cache/lambda-python */
    cacheDir?: string;
    /**
     * Config of the shared rules, by policy name, e.g. { "lambda-zip-size": { maxZippedBytes: 10485760 } }
     * (see the README's policy sections for each policy's fields). @default the policies' defaults
     */
    // biome-ignore lint/suspicious/noExplicitAny: each policy's fields differ (policies/rules/config.ts); the schema analyzer maps any to the schema's Any
    checks?: { [policy: string]: { [field: string]: any } };
}

// Compile-time guard: every BuildSettings field is a BuildOptions field of a compatible type.
type BuildSettingsMatchBuildOptions = { [K in keyof BuildSettings]-?: NonNullable<BuildSettings[K]> extends NonNullable<BuildOptions[K]> ? true : K };
const buildSettingsMatchBuildOptions: BuildSettingsMatchBuildOptions[keyof BuildSettings] = true;
void buildSettingsMatchBuildOptions;

/** When a slimmed archive is proven by importing its modules on the target (README "Slimming"). */
export const SlimProofMode = {
    /** When the local runner is set up for the target (lambda-python setup); otherwise a warning says it was not. */
    Auto: "auto",
    /** Always: the runner's tools are installed first if missing (needs root once, like lambda-python setup). */
    Always: "always",
    /** Never: the archive is slimmed unproven. */
    Never: "never",
} as const;
export type SlimProofMode = (typeof SlimProofMode)[keyof typeof SlimProofMode];

/** How `slim` slims (types named without "Args": generated SDKs add that suffix). */
export interface SlimSettings {
    /** Distributions kept whole (neither slimmed nor stripped), e.g. ["scipy"]. @default none */
    keepWhole?: string[];
    /** Keep py.typed markers and .pyi stubs. @default false */
    keepTyped?: boolean;
    /** When the slimmed archive is proven. @default "auto" */
    prove?: SlimProofMode;
}

/** The builder's `slim` option from a component's `slim` and `slimSettings`. */
export function slimOption(slim: boolean | undefined, settings: SlimSettings | undefined): Pick<BuildOptions, "slim"> {
    return slim ? { slim: { keepWhole: settings?.keepWhole, keepTyped: settings?.keepTyped } } : {};
}

/** The builder options a BuildSettings names (the `checks` map is the rules' partial config). */
export function builderOptions(args: BuildSettings | undefined): Partial<BuildOptions> {
    return { ...(args ?? {}), checks: args?.checks as BuildOptions["checks"] };
}

/**
 * The aws.lambda.Function arguments a PythonFunction passes through as given (same types as
 * aws.lambda.FunctionArgs). The component sets code, handler, runtime, role, architectures,
 * layers, packageType, s3Bucket, s3Key, sourceCodeHash and loggingConfig itself; memorySize,
 * timeout, description, tags and logFormat have their own PythonFunction arguments.
 */
export interface FunctionPassThrough {
    /** The function's name in AWS (1-64 letters, digits, - and _); its log group is /aws/lambda/<name>. Without it, the component's name, a hyphen and 7 hex digits derived from the project, stack and component name. */
    name?: aws.lambda.FunctionArgs["name"];
    /** Subnets and security groups, to reach resources in a VPC. */
    vpcConfig?: aws.lambda.FunctionArgs["vpcConfig"];
    /** Reserved concurrency (-1 for none, 0 stops the function). */
    reservedConcurrentExecutions?: aws.lambda.FunctionArgs["reservedConcurrentExecutions"];
    /** Size of /tmp. */
    ephemeralStorage?: aws.lambda.FunctionArgs["ephemeralStorage"];
    /** Where failed asynchronous invocations go. */
    deadLetterConfig?: aws.lambda.FunctionArgs["deadLetterConfig"];
    /** X-Ray tracing mode. */
    tracingConfig?: aws.lambda.FunctionArgs["tracingConfig"];
    /** KMS key for the environment variables. */
    kmsKeyArn?: aws.lambda.FunctionArgs["kmsKeyArn"];
    /** Publish a version on each change. */
    publish?: aws.lambda.FunctionArgs["publish"];
    /** An EFS access point to mount. */
    fileSystemConfig?: aws.lambda.FunctionArgs["fileSystemConfig"];
    /** SnapStart (published versions only). */
    snapStart?: aws.lambda.FunctionArgs["snapStart"];
    /** Code signing configuration. */
    codeSigningConfigArn?: aws.lambda.FunctionArgs["codeSigningConfigArn"];
    /** Environment variables, when the component's `environment` is not given. */
    environment?: aws.lambda.FunctionArgs["environment"];
    /** Region to create the function in. @default the provider's */
    region?: aws.lambda.FunctionArgs["region"];
    /** Keep the function when it is removed from the stack. */
    skipDestroy?: aws.lambda.FunctionArgs["skipDestroy"];
    /** Replace the function's security groups when it is destroyed. */
    replaceSecurityGroupsOnDestroy?: aws.lambda.FunctionArgs["replaceSecurityGroupsOnDestroy"];
    /** Security groups to use when replaceSecurityGroupsOnDestroy is set. */
    replacementSecurityGroupIds?: aws.lambda.FunctionArgs["replacementSecurityGroupIds"];
}
