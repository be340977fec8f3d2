// One Flask layer shared by two functions, each returning Flask's version
// (seed 002). Both functions use the same source folder: it is built once.
import * as path from "path";
import { PythonFunction, PythonLayer } from "pulumi-lambda-python";

const flask = new PythonLayer("flask", {
    requirements: path.join(__dirname, "layer", "requirements.txt"),
    runtimes: ["python3.14"],
    description: "Flask for Python 3.14",
});

const first = new PythonFunction("flask-version-1", {
    source: path.join(__dirname, "app"),
    handler: "lambda_function.lambda_handler",
    runtime: "python3.14",
    layers: [flask],
});

const second = new PythonFunction("flask-version-2", {
    source: path.join(__dirname, "app"),
    handler: "lambda_function.lambda_handler",
    runtime: "python3.14",
    layers: [flask],
});

export const layerArn = flask.arn;
export const functions = [first.name, second.name];
