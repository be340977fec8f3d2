// HTML hello world behind a public function URL (seed 004's first deploy):
// role, function, URL and both invoke permissions in one component.
import * as path from "path";
import { PythonFunction } from "pulumi-lambda-python";

const hello = new PythonFunction("hello-url", {
    source: path.join(__dirname, "app"),
    handler: "lambda_function.lambda_handler",
    url: { authType: "NONE" },
});

export const url = hello.url;
export const functionName = hello.name;
