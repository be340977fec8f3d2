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
import { BuildResult } from "../builder";
import { isUserError } from "../shared/errors";
import { LayerBuild, layerBuildOf, PythonLayer, pythonLayerByUrn } from "./python-layer";
import { componentErrors } from "./component-error";
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
        const fail = componentErrors(subject, this);
        // The shared rules' config (BuildSettings.checks): a limit changed there applies to these checks too.
        const checks = builderOptions(args.build).checks;
        const artifactBucket = args.artifactBucket;
        // Layers: PythonLayers and ARNs. From other languages a PythonLayer arrives as its URN, and
        // a list whose elements depend on other resources can arrive as one Output.
        const layerRef = (item: PythonLayer | pulumi.Input<string>) => (typeof item === "string" ? layerFromReference(item, fail) : item);
        const layers = Array.isArray(args.layers) ? args.layers.map(layerRef) : [];
        const lateLayers = args.layers !== undefined && !Array.isArray(args.layers) ? pulumi.output(args.layers as pulumi.Input<string[]>).apply((items) => items.map(layerRef)) : undefined;
        const layerCount = lateLayers ? lateLayers.apply((l) => l.length) : pulumi.output(layers.length);
        const judgeLayerCount = (count: number) => judge(checkLayerCount(subject, count, configFor("lambda-layer-count", checks)), this);
        judgeLayerCount(layers.length);
        if (args.url && args.url.authType !== "AWS_IAM" && args.url.authType !== "NONE") {
            throw fail(`url.authType must be "AWS_IAM" or "NONE", not ${JSON.stringify(args.url.authType)}.`);
        }
        const runtime = pulumi.output(args.runtime ?? NEWEST_RUNTIME);
        const architecture = pulumi.output(args.architecture ?? "x86_64");
        const pythonLayers = layers.filter((l): l is PythonLayer => l instanceof PythonLayer);

        // Build, then check everything that can be known before AWS is called.
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
        const lateBuilds = lateLayers ? lateLayers.apply((items) => pulumi.all(items.filter((l): l is PythonLayer => l instanceof PythonLayer).map(layerBuildOf))) : pulumi.output([]);
        const layerBuilds = pulumi.all([pulumi.all(pythonLayers.map(layerBuildOf)), lateBuilds]).apply(([early, late]): LayerBuild[] => [...early, ...late]);
        const built = pulumi.all([inputs, layerBuilds, layerCount]).apply(async ([{ source, handler, rt: runtimeValue, arch, requirements, pyproject, lock, sitePackages }, layerBuilds, layerCount]) => {
            judgeLayerCount(layerCount);
            if (!source) throw fail("source must name the folder with the function's code.");
            if (!handler) throw fail('handler must be given as module.function, e.g. "lambda_function.lambda_handler".');
            const rt = runtimeValue ?? NEWEST_RUNTIME;
            if (!isArchitecture(arch)) throw fail(`architecture must be "x86_64" or "arm64", not ${JSON.stringify(arch)}.`);
            const blocked = isCreateBlocked(rt, configFor("lambda-runtime-deprecation", checks));
            if (blocked) {
                throw fail(`runtime ${rt} is past the date from which Lambda blocks creating functions on it (${blocked.retired ? "retired" : blocked.blockCreate}). Use ${NEWEST_RUNTIME}.`);
            }
            for (const layer of layerBuilds) {
                judge(checkLayerDeclaration(subject, rt, arch, { label: layerLabel(layer), compatibleRuntimes: layer.runtimes, compatibleArchitectures: layer.architectures }), this);
            }
            let result: BuildResult;
            try {
                result = await sharedBuild(
                    { ...builderOptions(args.build), ...slimOption(args.slim, args.slimSettings), kind: "function", source, requirements, pyproject, lock, sitePackages, runtime: rt, architecture: arch },
                    this,
                    subject,
                    args.slimSettings?.prove,
                );
            } catch (e) {
                throw isUserError(e) ? fail(e.message) : e;
            }
            const handlerFindings = checkHandlerAtRoot({ facts: { ...result.facts, label: "its archive" }, readText: (n, max) => readZipText(result.path, n, max) }, handler, layerCount > 0);
            const handlerError = handlerFindings.find((f) => f.level === "mandatory");
            if (handlerError) throw fail(handlerError.message);
            // Layers given by ARN cannot be inspected at preview: they are parts of unknown size.
            const parts: SizedPart[] = [
                { label: subject, bytes: result.unzippedBytes },
                ...layerBuilds.map((l) => ({ label: layerLabel(l), bytes: l.result.unzippedBytes })),
                ...Array.from({ length: layerCount - layerBuilds.length }, () => ({ label: "a layer given by ARN" })),
            ];
            judge(checkUnzippedSize(subject, parts, configFor("lambda-unzipped-size", checks)), this);
            if (artifactBucket === undefined) judge(checkZipSize({ ...result.facts, label: `${subject}'s archive`, zippedBytes: result.zippedBytes }, configFor("lambda-zip-size", checks)), this);
            return result;
        });

        // With an artifact bucket the archive goes through an S3 object, declared here so that preview shows it.
        const upload =
            artifactBucket === undefined
                ? undefined
                : new aws.s3.BucketObjectv2(
                      `${name}-code`,
                      {
                          bucket: artifactBucket,
                          key: built.apply((r) => `lambda-python/${name}/${r.sha256}.zip`),
                          source: built.apply((r) => new pulumi.asset.FileAsset(r.path)),
                          contentType: "application/zip",
                      },
                      { parent: this },
                  );

        let roleArn: pulumi.Input<string>;
        const dependsOn: pulumi.Resource[] = [];
        if (args.role) {
            roleArn = args.role;
        } else {
            this.role = new aws.iam.Role(
                `${name}-role`,
                {
                    assumeRolePolicy: JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
                    }),
                    tags: args.tags,
                },
                { parent: this },
            );
            const policies: pulumi.Input<string>[] = [aws.iam.ManagedPolicy.AWSLambdaBasicExecutionRole, ...(args.managedPolicyArns ?? [])];
            policies.forEach((policyArn, i) => {
                dependsOn.push(new aws.iam.RolePolicyAttachment(i === 0 ? `${name}-basic-execution` : `${name}-policy-${i}`, { role: this.role!.name, policyArn }, { parent: this }));
            });
            if (args.policyStatements?.length) {
                dependsOn.push(new aws.iam.RolePolicy(`${name}-inline`, { role: this.role.id, policy: pulumi.output(args.policyStatements).apply((Statement) => JSON.stringify({ Version: "2012-10-17", Statement })) }, { parent: this }));
            }
            roleArn = this.role.arn;
        }

        // The function's name is known before anything is created (function-name.ts), so its log group can be
        // Lambda's own /aws/lambda/<name> and exist before the function: the stack owns the logs and their retention.
        const derived = derivedFunctionName(name, pulumi.getProject(), pulumi.getStack());
        const checkName = (given: string | undefined) => {
            if (given === undefined) return derived;
            const problem = functionNameProblem(given);
            if (problem) throw fail(problem);
            return given;
        };
        const givenName = args.functionArgs?.name;
        const functionName: pulumi.Input<string> = givenName === undefined || typeof givenName === "string" ? checkName(givenName) : pulumi.output(givenName).apply(checkName);
        const logGroupName = pulumi.output(functionName).apply(logGroupNameOf);
        const checkFormat = (format: string) => {
            if (format !== LogFormat.Text && format !== LogFormat.Json) throw fail(`logFormat must be "Text" or "JSON", not ${JSON.stringify(format)}.`);
            return format;
        };
        const logFormat = typeof args.logFormat === "string" ? checkFormat(args.logFormat) : pulumi.output(args.logFormat ?? LogFormat.Text).apply(checkFormat);
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
                role: roleArn,
                code: upload ? undefined : built.apply((r) => new pulumi.asset.FileArchive(r.path)),
                s3Bucket: upload?.bucket,
                s3Key: upload?.key,
                sourceCodeHash: built.apply((r) => r.sha256Base64),
                layers: lateLayers ? lateLayers.apply((items) => pulumi.all(items.map(arnOf))) : layers.map(arnOf),
                memorySize: args.memorySize,
                timeout: args.timeout,
                environment: args.environment ? { variables: args.environment } : args.functionArgs?.environment,
                description: args.description,
                tags: args.tags,
                loggingConfig: { logFormat, logGroup: this.logGroup.name },
            },
            { parent: this, dependsOn: [...dependsOn, this.logGroup] },
        );
        this.arn = this.function.arn;
        this.name = this.function.name;

        if (args.url) {
            this.functionUrl = new aws.lambda.FunctionUrl(`${name}-url`, { functionName: this.function.name, authorizationType: args.url.authType, cors: args.url.cors }, { parent: this });
            this.url = this.functionUrl.functionUrl;
            if (args.url.authType === "NONE") {
                // Since October 2025 a public URL needs both permissions; the second only for calls through the URL.
                new aws.lambda.Permission(`${name}-url-invoke-url`, { function: this.function.name, action: "lambda:InvokeFunctionUrl", principal: "*", functionUrlAuthType: "NONE" }, { parent: this });
                new aws.lambda.Permission(`${name}-url-invoke`, { function: this.function.name, action: "lambda:InvokeFunction", principal: "*", invokedViaFunctionUrl: true }, { parent: this });
            }
        }

        this.archive = built.apply((r) => ({
            path: r.path,
            sha256: r.sha256,
            zippedBytes: r.zippedBytes,
            unzippedBytes: r.unzippedBytes,
            entries: r.entries,
            nativeArchitectures: r.nativeArchitectures,
            upload: upload ? ArchiveUpload.S3 : ArchiveUpload.Direct,
        }));
        this.registerOutputs({ function: this.function, role: this.role, logGroup: this.logGroup, url: this.url, arn: this.arn, name: this.name, archive: this.archive });
    }
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
