// The archives every example builds, in one list: used by `npm start` until
// the offline preview of the showcase program replaces it.
import * as path from "path";
import { BuildOptions } from "../components/build";

export interface ExampleArchive {
    example: string;
    name: string;
    options: BuildOptions;
}

const here = (...p: string[]) => path.join(__dirname, "..", "..", "examples", ...p).replace(`${path.sep}dist${path.sep}examples`, `${path.sep}examples`);

export const EXAMPLE_ARCHIVES: ExampleArchive[] = [
    { example: "hello-url", name: "function", options: { source: here("hello-url", "app"), handler: "lambda_function.lambda_handler", runtime: "python3.14" } },
    { example: "cowsay", name: "function", options: { source: here("cowsay", "app"), handler: "lambda_function.lambda_handler", runtime: "python3.14" } },
    { example: "flask-layer", name: "layer", options: { kind: "layer", requirements: here("flask-layer", "layer", "requirements.txt"), runtime: "python3.14" } },
    { example: "flask-layer", name: "function", options: { source: here("flask-layer", "app"), handler: "lambda_function.lambda_handler", runtime: "python3.14", hasLayers: true } },
    { example: "datasette", name: "function", options: { source: here("datasette", "app"), handler: "lambda_function.lambda_handler", runtime: "python3.12", architecture: "x86_64" } },
    { example: "numpy-arm64", name: "layer", options: { kind: "layer", requirements: here("numpy-arm64", "layer", "requirements.txt"), runtime: "python3.13", architecture: "arm64" } },
    { example: "numpy-arm64", name: "function", options: { source: here("numpy-arm64", "app"), handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture: "arm64", hasLayers: true } },
];
