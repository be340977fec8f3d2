// Whether this process is the provider plugin: Pulumi's plugin launcher
// (`@pulumi/pulumi/cmd/run-plugin`, which `pulumi up` and the offline
// preview start for a program in another language) loaded this package. Then
// the process is this package's alone, and Node's compile cache is turned on
// before the heavy modules load (@pulumi/aws, the SDK's provider, this
// package's own): ~0.4 s of compiling on every start of the plugin.
import { enableCompileCache } from "module";

/** True when Pulumi's plugin launcher (`@pulumi/pulumi/cmd/run-plugin`) is the process's entry. */
export function loadedByPluginLauncher(): boolean {
    return /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run-plugin[\\/]/.test(require.main?.filename ?? "");
}

if (loadedByPluginLauncher()) enableCompileCache();
