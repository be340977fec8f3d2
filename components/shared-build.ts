// One build per distinct set of builder options in a Pulumi program: two
// functions sharing a source folder and options share one archive, and the
// build's errors reach each component that asked for it.
//
// The key is the options, not the files, so a kept build is right only while
// the files do not change: within one program run. A process that runs
// several programs (the offline preview and `serve` release theirs after the
// run, tests between stacks) starts each with resetSharedBuilds(). The
// provider plugin keeps one set for its whole life: the engine starts it for
// one deployment, whose Construct calls should share builds.
import * as pulumi from "@pulumi/pulumi";
import { buildArchive, BuildOptions, BuildResult } from "../builder";
import { ProveMode, SlimProof } from "../builder/slim";
import { buildSlimProven } from "../runner/slim-proof";
import { slimLines } from "../builder/slim/report";

/** Options that change the archive (not progress callbacks, not per-function checks). */
export function buildKey(options: BuildOptions): string {
    const { onProgress: _p, handler: _h, hasLayers: _l, ...rest } = options;
    // Sorted top-level entries (an array replacer would also drop nested keys, e.g. of `checks`).
    return JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The builds of one program run. */
class SharedBuilds {
    private readonly builds = new Map<string, Promise<BuildResult>>();
    /** Where build progress goes besides each component's own log (the offline preview prints it). */
    progress: ((message: string) => void) | undefined;

    /** Builds (once per distinct options); `label` names the component in progress messages, `log` gets them as they are. */
    build(options: BuildOptions, label: string, log: (message: string) => void = () => {}, prove: ProveMode = "auto", told: (proof: SlimProof, result: BuildResult) => void = () => {}): Promise<BuildResult> {
        const key = buildKey(options) + (options.slim ? `\0${prove}` : "");
        let build = this.builds.get(key);
        if (!build) {
            const buildOptions: BuildOptions = {
                ...options,
                handler: undefined,
                onProgress: (message) => {
                    log(message);
                    this.progress?.(`${label}: ${message}`);
                },
            };
            // A slimmed archive is proven (or said not to be) before any component uses it.
            build = options.slim
                ? buildSlimProven(buildOptions, prove).then(({ result, proof }) => {
                      told(proof, result);
                      return result;
                  })
                : buildArchive(buildOptions);
            this.builds.set(key, build);
            // A failed build is not kept: a program that fixes its input and runs again in the same process builds again.
            build.catch(() => this.builds.delete(key));
        }
        return build;
    }

    /** How many distinct builds were started and kept (for tests and reports). */
    get size(): number {
        return this.builds.size;
    }
}

let current = new SharedBuilds();

/** The builds of the program running now. */
export function sharedBuilds(): SharedBuilds {
    return current;
}

/**
 * Forgets every build (and the progress listener): the next program builds afresh, as its source
 * folders may have changed. Builds still running finish for the components that asked for them.
 */
export function resetSharedBuilds(): void {
    current.progress = undefined;
    current = new SharedBuilds();
}

/** Where build progress goes besides Pulumi's debug log (the offline preview prints it). */
export function onBuildProgress(listener: ((message: string) => void) | undefined): void {
    current.progress = listener;
}

/** Builds for `resource` (once per distinct options in this program); `label` names it in progress messages. */
export function sharedBuild(options: BuildOptions, resource: pulumi.Resource, label: string, prove?: ProveMode): Promise<BuildResult> {
    return current.build(
        options,
        label,
        (message) => pulumi.log.debug(message, resource),
        prove,
        // What slimming did, on the component: a warning when the archive is unproven or a package was put back whole.
        (proof, result) => {
            const text = `${label}: ${slimLines(result.slim, proof)
                .map((l) => l.trim().replace(/ {2,}/g, ": "))
                .join("\n")}`;
            if (!proof.ran || proof.keptWhole.length || proof.gaveUp) pulumi.log.warn(text, resource);
            else pulumi.log.info(text, resource);
        },
    );
}
