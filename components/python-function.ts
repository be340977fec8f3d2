// PythonFunction: a Python Lambda function from a source folder, with its
// dependencies built for the target, its IAM role, its log group, its layers
// and (if asked) a function URL — every manual step of deploying a .zip,
// checked at preview before anything reaches AWS.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { checkLayerDeclaration } from "../policies/rules/architecture";
import { configFor } from "../policies/rules/config";
import { checkHandlerAtRoot } from "../policies/rules/handler-at-root";
import { checkLayerCount } from "../policies/rules/layer-count";
import { isCreateBlocked } from "../policies/rules/runtime-deprecation";
import { checkUnzippedSize, SizedPart } from "../policies/rules/unzipped-size";
import { checkZipSize } from "../policies/rules/zip-size";
import { isArchitecture, NEWEST_RUNTIME } from "../policies/target";
import { readZipText } from "../policies/inspect";
import { Architecture, BuildSettings, builderOptions, SlimSettings, slimOption, FunctionPassThrough, FunctionUrlAuthType, LogFormat } from "./args";
import { BuildOptions, BuildResult } from "../builder";
import { isUserError } from "../shared/errors";
import { LayerBuild, layerBuildOf, PythonLayer, pythonLayerByUrn } from "./python-layer";
import { ComponentError, componentErrors } from "./component-error";
import { derivedFunctionName, functionNameProblem, logGroupNameOf } from "./function-name";
import { judge } from "./rule-findings";
import { sharedBuild } from "./shared-build";

/** A function URL. (Named without "Args": generated SDKs add that suffix to input types.) */
export interface PythonFunctionUrl {
    /** "AWS_IAM" (callers sign requests) or "NONE" (anyone on the internet can call it; must be asked for). */
    authType: FunctionUrlAuthType;
    /** Cross-origin settings for browsers. @default none */
    cors?: pulumi.Input<aws.types.input.lambda.FunctionUrlCors>;
}

/** The earlier name of PythonFunctionUrl. */
export type PythonFunctionUrlArgs = PythonFunctionUrl;

/** Arguments of a PythonFunction. Paths are resolved from the program's folder. */
export interface PythonFunctionArgs {
    /** Folder with the handler module and the rest of the function's code. */
    source: pulumi.Input<string>;
    /** module.function, e.g. "lambda_function.lambda_handler"; checked at preview. */
    handler: pulumi.Input<string>;
    /** @default the newest runtime in the lifecycle table */
    runtime?: pulumi.Input<string>;
    /** @default "x86_64" */
    architecture?: pulumi.Input<Architecture>;
    /** A requirements.txt. @default found from source (requirements.txt, or a project file or lock in source or above it; README "Dependencies") */
    requirements?: pulumi.Input<string>;
    /** A pyproject.toml: installed from the lock beside it, else its dependencies resolved for the target. @default found from source */
    pyproject?: pulumi.Input<string>;
    /** A lock: poetry.lock, Pipfile.lock, pdm.lock, uv.lock or pylock.toml, read with the project file beside it. @default found from source */
    lock?: pulumi.Input<string>;
    /** An already-installed site-packages folder. @default none */
    sitePackages?: pulumi.Input<string>;
    /** Layers in order (at most 5): PythonLayers (checked against the function at preview) or layer ARNs. @default none */
    layers?: (PythonLayer | pulumi.Input<string>)[];
    /** @default 128 */
    memorySize?: pulumi.Input<number>;
    /** Seconds. @default 3 */
    timeout?: pulumi.Input<number>;
    /** Environment variables (secret values stay secret). @default none */
    environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** @default none */
    description?: pulumi.Input<string>;
    /** @default none */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** ARN of an existing execution role; no role is created then. @default a new role trusting lambda.amazonaws.com with AWSLambdaBasicExecutionRole */
    role?: pulumi.Input<string>;
    /** More managed policies for the created role. @default none */
    managedPolicyArns?: pulumi.Input<string>[];
    /** Inline IAM statements for the created role, as IAM JSON (Effect, Action, Resource …). @default none */
    // biome-ignore lint/suspicious/noExplicitAny: IAM JSON has no fixed shape; the schema analyzer maps any to the schema's Any
    policyStatements?: pulumi.Input<{ [key: string]: any }>[];
    /** Days to keep logs in the function's log group, /aws/lambda/<function name>. @default 14 */
    logRetentionDays?: pulumi.Input<number>;
    /** "Text" (Lambda's default) or "JSON" (one object per line, with the level and request ID). @default "Text" */
    logFormat?: pulumi.Input<LogFormat>;
    /** A function URL. @default none */
    url?: PythonFunctionUrl;
    /** S3 bucket to upload the archive through (an aws.s3.BucketObjectv2 the function's s3Bucket/s3Key point at); needed for archives over Lambda's 50 MB direct-upload limit. @default none: the archive goes in the request; one over 50 MB fails at preview */
    artifactBucket?: pulumi.Input<string>;
    /** More builder options (include/exclude globs, installer, compressionLevel …). @default none */
    build?: BuildSettings;
    /** Slim the dependencies: leave out tests, headers, stubs, docs and build leftovers, strip shared objects, then prove every top-level module still imports on the target (README "Slimming"). @default false */
    slim?: boolean;
    /** How `slim` slims and when it proves the result. @default all defaults */
    slimSettings?: SlimSettings;
    /** Other aws.lambda.Function arguments, passed through as given (vpcConfig, reservedConcurrentExecutions, ephemeralStorage, …). @default none */
    functionArgs?: FunctionPassThrough;
}

/** How a function's archive reaches Lambda. */
export const ArchiveUpload = {
    /** In the CreateFunction/UpdateFunctionCode request. */
    Direct: "direct",
    /** Through an object in the artifact bucket (when one is given). */
    S3: "s3",
} as const;
export type ArchiveUpload = (typeof ArchiveUpload)[keyof typeof ArchiveUpload];

/** What was built, for stack outputs and reports. */
export interface ArchiveInfo {
    path: string;
    sha256: string;
    zippedBytes: number;
    unzippedBytes: number;
    entries: number;
    nativeArchitectures: string[];
    upload: ArchiveUpload;
}

export class PythonFunction extends pulumi.ComponentResource {
    readonly function: aws.lambda.Function;
    /** The execution role, unless an existing one was given. */
    readonly role?: aws.iam.Role;
    readonly logGroup: aws.cloudwatch.LogGroup;
    readonly functionUrl?: aws.lambda.FunctionUrl;
    /** The function URL, when one was asked for. */
    readonly url?: pulumi.Output<string>;
    readonly arn: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly archive: pulumi.Output<ArchiveInfo>;

    constructor(name: string, args: PythonFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lambda-python:index:PythonFunction", name, {}, opts);
        const subject = `PythonFunction "${name}"`;
        // The shared rules' config (BuildSettings.checks): a limit changed there applies to these checks too.
        const self: Self = { name, subject, resource: this, fail: componentErrors(subject, this), checks: builderOptions(args.build).checks };
        const layers = functionLayers(self, args.layers);
        if (args.url && args.url.authType !== "AWS_IAM" && args.url.authType !== "NONE") {
            throw self.fail(`url.authType must be "AWS_IAM" or "NONE", not ${JSON.stringify(args.url.authType)}.`);
        }
        const runtime = pulumi.output(args.runtime ?? NEWEST_RUNTIME);
        const architecture = pulumi.output(args.architecture ?? "x86_64");
        const built = buildChecked(self, args, runtime, architecture, layers);
        const upload = args.artifactBucket === undefined ? undefined : archiveObject(self, args.artifactBucket, built);
        const execution = executionRole(self, args);
        this.role = execution.role;
        const functionName = functionNameOf(self, args.functionArgs?.name);
        const logFormat = typeof args.logFormat === "string" ? checkLogFormat(self, args.logFormat) : pulumi.output(args.logFormat ?? LogFormat.Text).apply((f) => checkLogFormat(self, f));
        // Lambda's own /aws/lambda/<name>, created before the function: the stack owns the logs and their retention.
        const logGroupName = pulumi.output(functionName).apply(logGroupNameOf);
        this.logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: logGroupName, retentionInDays: args.logRetentionDays ?? 14, tags: args.tags }, { parent: this });

        this.function = new aws.lambda.Function(
            name,
            {
                ...args.functionArgs,
                name: functionName,
                packageType: "Zip",
                runtime,
                architectures: [architecture],
                handler: args.handler,
                role: execution.roleArn,
                code: upload ? undefined : built.apply((r) => new pulumi.asset.FileArchive(r.path)),
                s3Bucket: upload?.bucket,
                s3Key: upload?.key,
                sourceCodeHash: built.apply((r) => r.sha256Base64),
                layers: layers.arns,
                memorySize: args.memorySize,
                timeout: args.timeout,
                environment: args.environment ? { variables: args.environment } : args.functionArgs?.environment,
                description: args.description,
                tags: args.tags,
                loggingConfig: { logFormat, logGroup: this.logGroup.name },
            },
            { parent: this, dependsOn: [...execution.dependsOn, this.logGroup] },
        );
        this.arn = this.function.arn;
        this.name = this.function.name;
        if (args.url) {
            this.functionUrl = functionUrl(self, this.function, args.url);
            this.url = this.functionUrl.functionUrl;
        }
        this.archive = built.apply((r) => archiveInfo(r, upload ? ArchiveUpload.S3 : ArchiveUpload.Direct));
        this.registerOutputs({ function: this.function, role: this.role, logGroup: this.logGroup, url: this.url, arn: this.arn, name: this.name, archive: this.archive });
    }
}

/** What each step of a PythonFunction's construction needs to know about it. */
interface Self {
    name: string;
    /** How messages name it: `PythonFunction "api"`. */
    subject: string;
    resource: PythonFunction;
    fail: (message: string) => ComponentError;
    /** The shared rules' config from BuildSettings.checks. */
    checks: BuildOptions["checks"];
}

/** A function's layers: what they are, how many, what was built for the PythonLayers, the ARNs for Lambda. */
interface FunctionLayers {
    count: pulumi.Output<number>;
    builds: pulumi.Output<LayerBuild[]>;
    arns: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * Layers: PythonLayers and ARNs. From other languages a PythonLayer arrives as its URN, and a list whose
 * elements depend on other resources can arrive as one Output. A count known now is checked now.
 */
function functionLayers(self: Self, given: PythonFunctionArgs["layers"]): FunctionLayers {
    const layerRef = (item: PythonLayer | pulumi.Input<string>) => (typeof item === "string" ? layerFromReference(item, self.fail) : item);
    const layers = Array.isArray(given) ? given.map(layerRef) : [];
    const late = given !== undefined && !Array.isArray(given) ? pulumi.output(given as pulumi.Input<string[]>).apply((items) => items.map(layerRef)) : undefined;
    judgeLayerCount(self, layers.length);
    const isPythonLayer = (l: PythonLayer | pulumi.Input<string>): l is PythonLayer => l instanceof PythonLayer;
    const lateBuilds = late ? late.apply((items) => pulumi.all(items.filter(isPythonLayer).map(layerBuildOf))) : pulumi.output([]);
    return {
        count: late ? late.apply((l) => l.length) : pulumi.output(layers.length),
        builds: pulumi.all([pulumi.all(layers.filter(isPythonLayer).map(layerBuildOf)), lateBuilds]).apply(([early, lateOnes]): LayerBuild[] => [...early, ...lateOnes]),
        arns: late ? late.apply((items) => pulumi.all(items.map(arnOf))) : layers.map(arnOf),
    };
}

function judgeLayerCount(self: Self, count: number): void {
    judge(checkLayerCount(self.subject, count, configFor("lambda-layer-count", self.checks)), self.resource);
}

/** The build, once its inputs are known, with everything checked that can be known before AWS is called. */
function buildChecked(self: Self, args: PythonFunctionArgs, runtime: pulumi.Output<string>, architecture: pulumi.Output<Architecture>, layers: FunctionLayers): pulumi.Output<BuildResult> {
    const direct = args.artifactBucket === undefined;
    const inputs = pulumi.all({
        source: args.source,
        handler: args.handler,
        rt: runtime,
        arch: architecture,
        requirements: args.requirements,
        pyproject: args.pyproject,
        lock: args.lock,
        sitePackages: args.sitePackages,
    });
    return pulumi.all([inputs, layers.builds, layers.count]).apply(async ([{ source, handler, rt: runtimeValue, arch, requirements, pyproject, lock, sitePackages }, layerBuilds, layerCount]) => {
        judgeLayerCount(self, layerCount);
        if (!source) throw self.fail("source must name the folder with the function's code.");
        if (!handler) throw self.fail('handler must be given as module.function, e.g. "lambda_function.lambda_handler".');
        const rt = runtimeValue ?? NEWEST_RUNTIME;
        if (!isArchitecture(arch)) throw self.fail(`architecture must be "x86_64" or "arm64", not ${JSON.stringify(arch)}.`);
        checkTarget(self, rt, arch, layerBuilds);
        let result: BuildResult;
        try {
            result = await sharedBuild(
                { ...builderOptions(args.build), ...slimOption(args.slim, args.slimSettings), kind: "function", source, requirements, pyproject, lock, sitePackages, runtime: rt, architecture: arch },
                self.resource,
                self.subject,
                args.slimSettings?.prove,
            );
        } catch (e) {
            throw isUserError(e) ? self.fail(e.message) : e;
        }
        checkArchive(self, result, handler, layerBuilds, layerCount, direct);
        return result;
    });
}

/** Before building: a runtime Lambda still lets functions be created on, and layers declared for this target. */
function checkTarget(self: Self, rt: string, arch: Architecture, layerBuilds: LayerBuild[]): void {
    const blocked = isCreateBlocked(rt, configFor("lambda-runtime-deprecation", self.checks));
    if (blocked) {
        throw self.fail(`runtime ${rt} is past the date from which Lambda blocks creating functions on it (${blocked.retired ? "retired" : blocked.blockCreate}). Use ${NEWEST_RUNTIME}.`);
    }
    for (const layer of layerBuilds) {
        judge(checkLayerDeclaration(self.subject, rt, arch, { label: layerLabel(layer), compatibleRuntimes: layer.runtimes, compatibleArchitectures: layer.architectures }), self.resource);
    }
}

/** After building: the handler at the archive's root, the unzipped size with the layers, the zipped size if uploaded directly. */
function checkArchive(self: Self, result: BuildResult, handler: string, layerBuilds: LayerBuild[], layerCount: number, direct: boolean): void {
    const handlerFindings = checkHandlerAtRoot({ facts: { ...result.facts, label: "its archive" }, readText: (n, max) => readZipText(result.path, n, max) }, handler, layerCount > 0);
    const handlerError = handlerFindings.find((f) => f.level === "mandatory");
    if (handlerError) throw self.fail(handlerError.message);
    // Layers given by ARN cannot be inspected at preview: they are parts of unknown size.
    const parts: SizedPart[] = [
        { label: self.subject, bytes: result.unzippedBytes },
        ...layerBuilds.map((l) => ({ label: layerLabel(l), bytes: l.result.unzippedBytes })),
        ...Array.from({ length: layerCount - layerBuilds.length }, () => ({ label: "a layer given by ARN" })),
    ];
    judge(checkUnzippedSize(self.subject, parts, configFor("lambda-unzipped-size", self.checks)), self.resource);
    if (direct) judge(checkZipSize({ ...result.facts, label: `${self.subject}'s archive`, zippedBytes: result.zippedBytes }, configFor("lambda-zip-size", self.checks)), self.resource);
}

/** With an artifact bucket the archive goes through an S3 object, declared here so that preview shows it. */
function archiveObject(self: Self, bucket: pulumi.Input<string>, built: pulumi.Output<BuildResult>): aws.s3.BucketObjectv2 {
    return new aws.s3.BucketObjectv2(
        `${self.name}-code`,
        {
            bucket,
            key: built.apply((r) => `lambda-python/${self.name}/${r.sha256}.zip`),
            source: built.apply((r) => new pulumi.asset.FileAsset(r.path)),
            contentType: "application/zip",
        },
        { parent: self.resource },
    );
}

/** The role the function runs as: the one given, or a new one with its policies (which the function then waits for). */
function executionRole(self: Self, args: PythonFunctionArgs): { roleArn: pulumi.Input<string>; role?: aws.iam.Role; dependsOn: pulumi.Resource[] } {
    if (args.role) return { roleArn: args.role, dependsOn: [] };
    const { name } = self;
    const role = new aws.iam.Role(
        `${name}-role`,
        {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags: args.tags,
        },
        { parent: self.resource },
    );
    const dependsOn: pulumi.Resource[] = [];
    const policies: pulumi.Input<string>[] = [aws.iam.ManagedPolicy.AWSLambdaBasicExecutionRole, ...(args.managedPolicyArns ?? [])];
    policies.forEach((policyArn, i) => {
        dependsOn.push(new aws.iam.RolePolicyAttachment(i === 0 ? `${name}-basic-execution` : `${name}-policy-${i}`, { role: role.name, policyArn }, { parent: self.resource }));
    });
    if (args.policyStatements?.length) {
        const policy = pulumi.output(args.policyStatements).apply((Statement) => JSON.stringify({ Version: "2012-10-17", Statement }));
        dependsOn.push(new aws.iam.RolePolicy(`${name}-inline`, { role: role.id, policy }, { parent: self.resource }));
    }
    return { roleArn: role.arn, role, dependsOn };
}

/**
 * The function's name, known before anything is created (function-name.ts) so that its log group can be
 * named after it: the name given (checked), or one derived from the project, stack and component.
 */
function functionNameOf(self: Self, given: NonNullable<PythonFunctionArgs["functionArgs"]>["name"]): pulumi.Input<string> {
    const derived = derivedFunctionName(self.name, pulumi.getProject(), pulumi.getStack());
    const checkName = (name: string | undefined) => {
        if (name === undefined) return derived;
        const problem = functionNameProblem(name);
        if (problem) throw self.fail(problem);
        return name;
    };
    return given === undefined || typeof given === "string" ? checkName(given) : pulumi.output(given).apply(checkName);
}

function checkLogFormat(self: Self, format: string): string {
    if (format !== LogFormat.Text && format !== LogFormat.Json) throw self.fail(`logFormat must be "Text" or "JSON", not ${JSON.stringify(format)}.`);
    return format;
}

/** The function URL, and for a public one ("NONE") the permissions that let anyone call it. */
function functionUrl(self: Self, fn: aws.lambda.Function, url: PythonFunctionUrl): aws.lambda.FunctionUrl {
    const { name, resource: parent } = self;
    const functionUrl = new aws.lambda.FunctionUrl(`${name}-url`, { functionName: fn.name, authorizationType: url.authType, cors: url.cors }, { parent });
    if (url.authType === "NONE") {
        // Since October 2025 a public URL needs both permissions; the second only for calls through the URL.
        new aws.lambda.Permission(`${name}-url-invoke-url`, { function: fn.name, action: "lambda:InvokeFunctionUrl", principal: "*", functionUrlAuthType: "NONE" }, { parent });
        new aws.lambda.Permission(`${name}-url-invoke`, { function: fn.name, action: "lambda:InvokeFunction", principal: "*", invokedViaFunctionUrl: true }, { parent });
    }
    return functionUrl;
}

function archiveInfo(r: BuildResult, upload: ArchiveUpload): ArchiveInfo {
    return { path: r.path, sha256: r.sha256, zippedBytes: r.zippedBytes, unzippedBytes: r.unzippedBytes, entries: r.entries, nativeArchitectures: r.nativeArchitectures, upload };
}

const LAYER_TYPE = "lambda-python:index:PythonLayer";

/** A layer given as a string: an ARN, or (from another language) a PythonLayer's URN. */
function layerFromReference(item: string, fail: (m: string) => Error): PythonLayer | string {
    if (!item.startsWith("urn:pulumi:")) return item;
    const type = item.split("::")[2]?.split("$").pop();
    if (type !== LAYER_TYPE) throw fail(`layers takes PythonLayers and layer ARNs; ${item} is a ${type}. Pass a LayerVersion's arn.`);
    const layer = pythonLayerByUrn(item);
    if (!layer) throw fail(`layer ${item} is a PythonLayer this plugin did not create, so it cannot be checked; pass its arn instead.`);
    return layer;
}

function arnOf(layer: PythonLayer | pulumi.Input<string>): pulumi.Input<string> {
    return layer instanceof PythonLayer ? layer.arn : layer;
}

/** How messages name a PythonLayer a function uses. */
function layerLabel(layer: LayerBuild): string {
    return `PythonLayer "${layer.name}"`;
}
