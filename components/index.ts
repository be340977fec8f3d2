// pulumi-lambda-python: Pulumi components for Python AWS Lambda functions
// and layers, and the archive builder behind them.
export { PythonFunction, PythonFunctionArgs, PythonFunctionUrlArgs, ArchiveInfo } from "./python-function";
export { PythonLayer, PythonLayerArgs } from "./python-layer";
export { buildArchive, BuildOptions, BuildResult, BuildCheckError } from "./build";
export { UserError } from "./errors";
