// pulumi-lambda-python: Pulumi components for Python AWS Lambda functions
// and layers, and the archive builder behind them.
// First: a Node.js older than package.json's engines throws one clear sentence at import.
import "../shared/node-version";
// Next: as the provider plugin, Node's compile cache on and the young generation held before anything heavy loads.
import { loadedByPluginLauncher } from "./plugin-launch";
import { serveComponents } from "./provider";
import { PythonFunction } from "./python-function";
import { PythonLayer } from "./python-layer";

export { PythonFunction, PythonFunctionArgs, PythonFunctionUrl, PythonFunctionUrlArgs, ArchiveInfo, ArchiveUpload } from "./python-function";
export { PythonLayer, PythonLayerArgs } from "./python-layer";
export { Architecture, BuildSettings, FunctionPassThrough, FunctionUrlAuthType, Installer, LayerLayout, LogFormat, SlimProofMode, SlimSettings } from "./args";
export { buildArchive, BuildOptions, BuildResult, BuildCheckError } from "../builder";
export { SlimProof } from "../builder/slim";
export { buildSlimProven } from "../runner/slim-proof";
export { UserError } from "../shared/errors";

// Loaded by `pulumi package add` / a program in another language: serve the components.
if (loadedByPluginLauncher()) void serveComponents([PythonFunction, PythonLayer]);
