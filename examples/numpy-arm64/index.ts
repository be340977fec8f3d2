// numpy in a layer for an arm64 (Graviton) function: the layer's wheels are
// aarch64 manylinux builds, whatever machine runs `pulumi up`.
import * as path from "path";
import { PythonFunction, PythonLayer } from "pulumi-lambda-python";

const numpy = new PythonLayer("numpy-arm64", {
    requirements: path.join(__dirname, "layer", "requirements.txt"),
    runtimes: ["python3.13"],
    architecture: "arm64",
});

const stats = new PythonFunction("numpy-stats", {
    source: path.join(__dirname, "app"),
    handler: "lambda_function.lambda_handler",
    runtime: "python3.13",
    architecture: "arm64",
    layers: [numpy],
});

export const layerArn = numpy.arn;
export const functionName = stats.name;
