// What the Pulumi SDK's component analyzer reads to write the package schema
// (components/provider.ts points it here): the components other languages get.
// package.json beside this file names the package (`lambda-python`, the
// prefix of the type tokens) and tsconfig.json the sources the analyzer sees.
export { PythonFunction } from "../components/python-function";
export { PythonLayer } from "../components/python-layer";
