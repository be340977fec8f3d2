// A pure-Python dependency (cowsay) installed into the function's zip for the
// Lambda target, not this machine (seed 004's pig).
import * as path from "path";
import { PythonFunction } from "pulumi-lambda-python";

const cowsay = new PythonFunction("cowsay", {
    source: path.join(__dirname, "app"),
    handler: "lambda_function.lambda_handler",
    url: { authType: "NONE" },
});

export const url = cowsay.url;
export const archive = cowsay.archive;
