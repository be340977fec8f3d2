// Whether this process is the provider plugin: Pulumi's plugin launcher
// (`@pulumi/pulumi/cmd/run-plugin`, which `pulumi up` and the offline
// preview start for a program in another language) loaded this package. Then
// the process is this package's alone, and Node's compile cache is turned on
// before this package loads @pulumi/aws and its own modules (@pulumi/aws
// alone: ~0.35 s to load without it, ~0.22 s with it; the launcher has
// loaded the SDK itself by then).
import { enableCompileCache } from "module";

/** True when Pulumi's plugin launcher (`@pulumi/pulumi/cmd/run-plugin`) is the process's entry. */
export function loadedByPluginLauncher(): boolean {
    return /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run-plugin[\\/]/.test(require.main?.filename ?? "");
}

if (loadedByPluginLauncher()) enableCompileCache();
