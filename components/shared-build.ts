// One build per distinct set of builder options in a Pulumi program: two
// functions sharing a source folder and options share one archive, and the
// build's errors reach each component that asked for it.
import * as pulumi from "@pulumi/pulumi";
import { buildArchive, BuildOptions, BuildResult } from "../builder";

const builds = new Map<string, Promise<BuildResult>>();
let progress: ((message: string) => void) | undefined;

/** Where build progress goes besides Pulumi's debug log (the offline preview prints it). */
export function onBuildProgress(listener: ((message: string) => void) | undefined): void {
    progress = listener;
}

/** Options that change the archive (not progress callbacks, not per-function checks). */
export function buildKey(options: BuildOptions): string {
    const { onProgress: _p, handler: _h, hasLayers: _l, ...rest } = options;
    // Sorted top-level entries (an array replacer would also drop nested keys, e.g. of `checks`).
    return JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Builds (once per distinct options); `label` names the component in progress messages. */
export function sharedBuild(options: BuildOptions, resource: pulumi.Resource, label: string): Promise<BuildResult> {
    const key = buildKey(options);
    let build = builds.get(key);
    if (!build) {
        build = buildArchive({
            ...options,
            handler: undefined,
            onProgress: (message) => {
                pulumi.log.debug(message, resource);
                progress?.(`${label}: ${message}`);
            },
        });
        builds.set(key, build);
        // A failed build is not kept: a program that fixes its input and runs again in the same process builds again.
        build.catch(() => builds.delete(key));
    }
    return build;
}

/** How many distinct builds this program started (for tests and reports). */
export function distinctBuilds(): number {
    return builds.size;
}
