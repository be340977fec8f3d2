// Whether this process is the provider plugin: Pulumi's plugin launcher
// (`@pulumi/pulumi/cmd/run-plugin`, which `pulumi up` and the offline
// preview start for a program in another language) loaded this package. Then
// the process is this package's alone, and before this package loads
// @pulumi/aws and its own modules:
// - Node's compile cache is turned on (@pulumi/aws alone: ~0.35 s to load
//   without it, ~0.22 s with it; the launcher has loaded the SDK itself by
//   then);
// - V8's young generation is kept at the size it has for the plugin's whole
//   life (builder/young-generation.ts). The plugin's registrations, each
//   component's children and their promises, live until the engine has them,
//   so V8 grew it to two 32 MB semi-spaces (128 MB committed) that it never
//   gave back: the plugin's RSS in a no-change preview of the 50-function
//   stack as a Python program went from 320-350 MB to 210-250 MB, in the same
//   time (docs/BENCHMARKS.md, "The stack of 50 functions as a Python program").
//   Each build's own hold nests inside this one and never releases it.
import { enableCompileCache } from "module";
import { holdYoungGeneration } from "../builder/young-generation";

/** True when Pulumi's plugin launcher (`@pulumi/pulumi/cmd/run-plugin`) is the process's entry. */
export function loadedByPluginLauncher(): boolean {
    return /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run-plugin[\\/]/.test(require.main?.filename ?? "");
}

if (loadedByPluginLauncher()) {
    enableCompileCache();
    holdYoungGeneration();
}
