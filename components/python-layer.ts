// PythonLayer: a Lambda layer of Python dependencies and/or modules, built
// for its runtimes and architecture, published as an aws.lambda.LayerVersion
// whose compatible runtimes and architectures are what was actually built.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { checkArchiveArchitecture } from "../policies/rules/architecture";
import { comparePython, isArchitecture, NEWEST_RUNTIME, parsePythonRuntime } from "../policies/target";
import { Architecture, BuildSettings, builderOptions, SlimSettings, slimOption } from "./args";
import { BuildResult } from "../builder";
import { isUserError } from "../shared/errors";
import { componentErrors } from "./component-error";
import { sharedBuild } from "./shared-build";

/** Arguments of a PythonLayer. Paths are resolved from the program's folder. */
export interface PythonLayerArgs {
    /** Folder of modules to ship in the layer (under python/). Optional when dependencies are given. */
    source?: pulumi.Input<string>;
    /** A requirements.txt whose packages the layer holds. */
    requirements?: pulumi.Input<string>;
    /** A pyproject.toml: installed from the lock beside it, else its dependencies resolved for the target. */
    pyproject?: pulumi.Input<string>;
    /** A lock (poetry.lock, Pipfile.lock, pdm.lock, uv.lock, pylock.toml) whose packages the layer holds, read with the project file beside it. */
    lock?: pulumi.Input<string>;
    /** An already-installed site-packages folder. */
    sitePackages?: pulumi.Input<string>;
    /**
     * Runtimes the layer is for (at most 15). Dependencies are installed for the oldest and the
     * archive is checked against every one. @default [the newest runtime in the lifecycle table]
     */
    runtimes?: pulumi.Input<string>[];
    /** Instruction set of the layer's native code. @default "x86_64" */
    architecture?: Architecture;
    /**
     * Instead of `architecture`: every architecture the layer is compatible with. A layer with native
     * code is for one; a pure-Python layer may list both. @default [architecture]
     */
    architectures?: Architecture[];
    /** The layer's name in AWS. @default the component's name */
    layerName?: pulumi.Input<string>;
    /** @default none */
    description?: pulumi.Input<string>;
    /** SPDX identifier or URL of the layer's license. @default none */
    licenseInfo?: pulumi.Input<string>;
    /** Keep old layer versions when the layer is replaced or deleted. @default false */
    skipDestroy?: pulumi.Input<boolean>;
    /** More builder options (include/exclude globs, installer, layerLayout, compressionLevel …). @default none */
    build?: BuildSettings;
    /** Slim the dependencies: leave out tests, headers, stubs, docs and build leftovers, strip shared objects, then prove every top-level module still imports on the target (README "Slimming"). @default false */
    slim?: boolean;
    /** How `slim` slims and when it proves the result. @default all defaults */
    slimSettings?: SlimSettings;
}

/** What a PythonLayer built: enough for a PythonFunction to check itself against it. */
export interface LayerBuild {
    name: string;
    result: BuildResult;
    runtimes: string[];
    architectures: Architecture[];
}

/**
 * Each layer's build, for the PythonFunctions that use it. Kept off the class so it is not a
 * component output (it holds the archive's facts, which no schema needs).
 */
const layerBuilds = new WeakMap<PythonLayer, pulumi.Output<LayerBuild>>();

/**
 * The PythonLayers this process created, by URN. A program in another language passes a layer
 * to a PythonFunction as a resource reference, which reaches the provider as the layer's URN
 * (see provider/DESIGN.md); the function finds the layer, and so its build, here. Kept for the
 * process: the provider plugin serves one deployment, whose URNs are unique, and a later program
 * in the same process (tests) sets its own layers here as their URNs resolve.
 */
const layersByUrn = new Map<string, PythonLayer>();

/** The PythonLayer with this URN, if this process created it. */
export function pythonLayerByUrn(urn: string): PythonLayer | undefined {
    return layersByUrn.get(urn);
}

/** What a PythonLayer built and was checked to support. */
export function layerBuildOf(layer: PythonLayer): pulumi.Output<LayerBuild> {
    return layerBuilds.get(layer)!;
}

export class PythonLayer extends pulumi.ComponentResource {
    readonly layer: aws.lambda.LayerVersion;
    readonly arn: pulumi.Output<string>;
    readonly version: pulumi.Output<string>;
    /** sha256 (base64) of the archive, as Lambda reports it. */
    readonly sha256: pulumi.Output<string>;
    readonly zippedBytes: pulumi.Output<number>;
    readonly unzippedBytes: pulumi.Output<number>;
    readonly runtimes: pulumi.Output<string[]>;
    readonly architectures: pulumi.Output<string[]>;

    constructor(name: string, args: PythonLayerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lambda-python:index:PythonLayer", name, {}, opts);
        this.urn.apply((urn) => layersByUrn.set(urn, this));
        const fail = componentErrors(`PythonLayer "${name}"`, this);
        if (args.architecture !== undefined && args.architectures !== undefined) {
            throw fail("give either architecture or architectures, not both.");
        }
        // JavaScript callers of earlier versions passed a list as `architecture`; it still means `architectures`.
        const given: unknown = args.architectures ?? args.architecture ?? "x86_64";
        const listed: unknown[] = Array.isArray(given) ? given : [given];
        if (!listed.length || listed.length > 2 || !listed.every(isArchitecture) || new Set(listed).size !== listed.length) {
            throw fail(`architectures must be "x86_64", "arm64" or both; got ${JSON.stringify(given)}.`);
        }
        const architectures: Architecture[] = listed;
        const runtimeInputs = args.runtimes ?? [NEWEST_RUNTIME];
        if (runtimeInputs.length === 0 || runtimeInputs.length > 15) throw fail(`runtimes must list 1 to 15 runtimes (AWS's limit for a layer); got ${runtimeInputs.length}.`);

        const built = pulumi.all([args.source, args.requirements, args.pyproject, args.lock, args.sitePackages, pulumi.all(runtimeInputs)]).apply(async ([source, requirements, pyproject, lock, sitePackages, runtimes]) => {
            const bad = runtimes.find((r) => !parsePythonRuntime(r));
            if (bad) throw fail(`runtime "${bad}" is not a Python runtime; list Python runtimes such as ${NEWEST_RUNTIME}.`);
            // Wheels for the oldest runtime are the ones most likely to load on the newer ones (abi3).
            const oldest = [...runtimes].sort((a, b) => comparePython(parsePythonRuntime(a)!, parsePythonRuntime(b)!))[0];
            let result: BuildResult;
            try {
                result = await sharedBuild(
                    { ...builderOptions(args.build), ...slimOption(args.slim, args.slimSettings), kind: "layer", source, requirements, pyproject, lock, sitePackages, runtime: oldest, architecture: architectures[0] },
                    this,
                    `PythonLayer "${name}"`,
                    args.slimSettings?.prove,
                );
            } catch (e) {
                throw isUserError(e) ? fail(e.message) : e;
            }
            if (architectures.length > 1 && result.nativeArchitectures.length) {
                throw fail(`the layer holds native code built for ${result.nativeArchitectures.join(", ")}, so it can only be compatible with one architecture, not ${architectures.join(" and ")}. Create one PythonLayer per architecture.`);
            }
            for (const runtime of runtimes) {
                const findings = checkArchiveArchitecture(result.facts, { label: `the layer built for ${oldest}`, architectures, runtimes: [runtime] }).filter((f) => f.level === "mandatory");
                if (findings.length) {
                    throw fail(`it cannot be compatible with ${runtime}: ${findings[0].message} Build one layer per runtime, or list only ${oldest}.`);
                }
            }
            return { name, result, runtimes, architectures };
        });
        layerBuilds.set(this, built);

        const result = built.apply((b) => b.result);
        this.layer = new aws.lambda.LayerVersion(
            name,
            {
                layerName: args.layerName ?? name,
                code: result.apply((r) => new pulumi.asset.FileArchive(r.path)),
                sourceCodeHash: result.apply((r) => r.sha256Base64),
                compatibleRuntimes: built.apply((b) => b.runtimes),
                compatibleArchitectures: built.apply((b) => b.architectures),
                description: args.description,
                licenseInfo: args.licenseInfo,
                skipDestroy: args.skipDestroy,
            },
            { parent: this },
        );
        this.arn = this.layer.arn;
        this.version = this.layer.version;
        this.sha256 = result.apply((r) => r.sha256Base64);
        this.zippedBytes = result.apply((r) => r.zippedBytes);
        this.unzippedBytes = result.apply((r) => r.unzippedBytes);
        this.runtimes = built.apply((b) => b.runtimes);
        this.architectures = built.apply((b) => b.architectures);
        this.registerOutputs({
            layer: this.layer,
            arn: this.arn,
            version: this.version,
            sha256: this.sha256,
            zippedBytes: this.zippedBytes,
            unzippedBytes: this.unzippedBytes,
            runtimes: this.runtimes,
            architectures: this.architectures,
        });
    }
}
