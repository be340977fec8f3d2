// The SDKs a Python, Go or Node.js user gets from `pulumi package add`, generated here by Pulumi's own
// generators (sdkgen/) from provider/schema.json as it is now, and used for real: the Python SDK installs
// with `pulumi` and `pulumi-aws` from PyPI and examples/python-program type-checks against it (pyright);
// the Go SDK and examples/go-program compile and vet against it (pulumi-aws from the Go module proxy);
// the Node.js SDK compiles with tsc; the C# sources are generated and the docs' C# names checked in them; the docs' YAML program is checked
// against the schema. The aws schema the generators are fed (sdkgen/aws-schema.json) is
// checked against the installed aws SDKs of each language.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { run } from "../shared/process";
import { ROOT, tmpDir } from "./helpers";
import { AWS_SCHEMA, ensurePythonSdks, ensurePyright, GO_AWS_SDK, generateSdks, PYTHON_SDKS, SCHEMA, sitePackages } from "./sdkgen";

interface Spec {
    name: string;
    version: string;
    meta?: { moduleFormat?: string };
    language: Record<string, Record<string, unknown>>;
    resources: Record<string, unknown>;
    dependencies?: { name: string; version: string }[];
}
// js-yaml (a dependency, as preview/project.ts uses it) has no types installed.
const yaml = require("js-yaml") as { load(text: string): unknown };
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, "utf8")) as T;

/** Every `/aws/v<version>/schema.json#/resources/<token>` reference in a schema, with the version. */
function awsReferences(schemaText: string): { version: string; tokens: string[] } {
    const refs = [...schemaText.matchAll(/"\/aws\/v([^/]+)\/schema\.json#\/resources\/([^"]+)"/g)];
    return { version: [...new Set(refs.map((m) => m[1]))].join(","), tokens: [...new Set(refs.map((m) => decodeURIComponent(m[2])))].sort() };
}

/** Splits an aws token as the schema's moduleFormat does: aws:lambda/function:Function → module lambda, file function, name Function. */
function tokenParts(spec: Spec, token: string): { module: string; file: string; name: string } {
    const [, modulePart, name] = token.split(":");
    const module = new RegExp(`^${spec.meta?.moduleFormat ?? "(.*)"}$`).exec(modulePart)?.[1] ?? modulePart;
    return { module, file: modulePart.slice(module.length + 1), name };
}

async function ok(what: string, command: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Promise<string> {
    const r = await run(command, args, { cwd, env });
    assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${(r.stdout + r.stderr).slice(-6000)}`);
    return r.stdout;
}

const node = process.execPath;

describe("the SDKs `pulumi package add` generates, made by Pulumi's generators and used for real", () => {
    const aws = readJson<Spec>(AWS_SCHEMA);
    let out: string;
    let pythonSdks: string;
    let pyright: string;

    before(async function () {
        // Cold: building the generator is minutes of CPU, the pip install minutes of download; both are cached.
        this.timeout(30 * 60_000);
        out = tmpDir("lp-sdks-");
        [, pythonSdks, pyright] = await Promise.all([generateSdks(out), ensurePythonSdks(), ensurePyright()]);
    });

    describe("the aws schema the generators are fed (sdkgen/aws-schema.json)", () => {
        it("lists exactly the aws resources provider/schema.json refers to, at the version it refers to", () => {
            const refs = awsReferences(fs.readFileSync(SCHEMA, "utf8"));
            const schema = readJson<Spec>(SCHEMA);
            assert.equal(refs.version, aws.version, "the schema's $refs name another aws version than sdkgen/aws-schema.json");
            assert.equal(schema.dependencies?.find((d) => d.name === "aws")?.version, aws.version);
            assert.deepEqual(Object.keys(aws.resources).sort(), refs.tokens, "add (or remove) the resource in sdkgen/aws-schema.json, with its description");
        });

        it("is the version of @pulumi/aws the package depends on, and its tokens are the npm SDK's classes", () => {
            const pkg = readJson<{ version: string; pulumi: { name: string; version: string } }>(path.join(ROOT, "node_modules", "@pulumi", "aws", "package.json"));
            assert.equal(pkg.version, aws.version);
            assert.equal(pkg.pulumi.name, aws.name);
            assert.equal(aws.language.nodejs.packageName, "@pulumi/aws");
            for (const token of Object.keys(aws.resources)) {
                const { module, file } = tokenParts(aws, token);
                const js = fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "aws", module, `${file}.js`), "utf8");
                assert.ok(js.includes(`__pulumiType = '${token}'`), `@pulumi/aws ${module}/${file}.js is not the resource ${token}`);
            }
        });
    });

    describe("Python: the SDK installs from PyPI dependencies and examples/python-program type-checks against it", () => {
        let venv: string;
        const program = path.join(ROOT, "examples", "python-program", "__main__.py");

        before(async () => {
            // A venv of its own for this run, seeing the cached pulumi and pulumi-aws through a .pth file
            // (the interpreter adds the folder to sys.path, so pip and pyright see them as installed).
            venv = path.join(tmpDir("lp-sdk-venv-"), "venv");
            await ok("creating a venv", "python3", ["-m", "venv", venv]);
            fs.writeFileSync(path.join(sitePackages(venv), "lambda_python_sdks.pth"), `${sitePackages(pythonSdks)}\n`);
            await ok("pip install of the generated Python SDK", path.join(venv, "bin", "python"), ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", path.join(out, "python")]);
        });

        it("is, as committed in examples/python-program/sdks/lambda-python (where `pulumi package add` writes it), the generator's output for provider/schema.json", () => {
            // Regenerate after a schema change: copy <out>/python over that folder (the test's message names <out>).
            const files = (root: string) => {
                const found: Record<string, string> = {};
                const walk = (dir: string) => {
                    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                        const p = path.join(dir, e.name);
                        if (e.isDirectory()) {
                            if (e.name !== "__pycache__" && !e.name.endsWith(".egg-info") && e.name !== "build") walk(p);
                        } else found[path.relative(root, p)] = fs.readFileSync(p, "utf8");
                    }
                };
                walk(root);
                return found;
            };
            const committed = path.join(ROOT, "examples", "python-program", "sdks", "lambda-python");
            assert.deepEqual(files(committed), files(path.join(out, "python")), `the committed SDK is not the generator's output: rm -rf ${committed} && cp -r ${path.join(out, "python")} ${committed}`);
        });

        it("uses the PyPI releases of the SDKs package-lock.json has for @pulumi/pulumi and @pulumi/aws", () => {
            const lock = readJson<{ packages: Record<string, { version: string }> }>(path.join(ROOT, "package-lock.json"));
            assert.equal(PYTHON_SDKS.pulumi, lock.packages["node_modules/@pulumi/pulumi"].version);
            assert.equal(PYTHON_SDKS["pulumi-aws"], lock.packages["node_modules/@pulumi/aws"].version);
        });

        it("installs as pulumi_lambda_python, its requirements met by the pinned pulumi and pulumi-aws (pip check)", async () => {
            await ok("pip check", path.join(venv, "bin", "python"), ["-m", "pip", "check"]);
            const versions = JSON.parse(
                await ok("importing the SDK", path.join(venv, "bin", "python"), [
                    "-c",
                    "import json, importlib.metadata as m, pulumi_lambda_python as lp\nprint(json.dumps({d: m.version(d) for d in ['pulumi', 'pulumi_aws', 'pulumi_lambda_python']} | {'module': lp.__file__}))",
                ]),
            );
            assert.equal(versions.pulumi, PYTHON_SDKS.pulumi);
            assert.equal(versions.pulumi_aws, PYTHON_SDKS["pulumi-aws"]);
            assert.equal(versions.pulumi_lambda_python, readJson<Spec>(SCHEMA).version);
            assert.ok(versions.module.startsWith(venv), `imported from the venv, not ${versions.module}`);
        });

        it("names aws classes that exist in the installed pulumi_aws, one for each resource of the aws schema", async () => {
            // The references the generated SDK makes (pulumi.Output['pulumi_aws.lambda_.Function'] …), resolved in the venv.
            const sdk = path.join(out, "python", "pulumi_lambda_python");
            const referenced = new Set<string>();
            for (const f of fs.readdirSync(sdk).filter((f) => f.endsWith(".py"))) {
                for (const m of fs.readFileSync(path.join(sdk, f), "utf8").matchAll(/'(pulumi_aws\.[\w.]+)'/g)) referenced.add(m[1]);
            }
            assert.ok(referenced.size > 0, "the SDK refers to no pulumi_aws class");
            const script = [
                "import importlib, json, sys",
                "out = {}",
                "for ref in sys.argv[1:]:",
                "    mod, _, name = ref.rpartition('.')",
                "    cls = getattr(importlib.import_module(mod), name)",
                "    # the type token @pulumi.type_token sets on the class",
                "    out[ref] = [v for v in vars(cls).values() if isinstance(v, str) and v.startswith('aws:')]",
                "print(json.dumps(out))",
            ].join("\n");
            const tokensOf = JSON.parse(await ok("resolving the pulumi_aws classes", path.join(venv, "bin", "python"), ["-c", script, ...referenced])) as Record<string, string[]>;
            for (const [ref, tokens] of Object.entries(tokensOf)) assert.equal(tokens.length, 1, `${ref} has type tokens ${JSON.stringify(tokens)}`);
            assert.deepEqual(Object.values(tokensOf).flat().sort(), Object.keys(aws.resources).sort(), "each aws resource is one pulumi_aws class");
            assert.equal(aws.language.python.packageName, "pulumi_aws");
        });

        const pyrightOn = async (file: string) => {
            const r = await run(node, [pyright, "--outputjson", "--pythonpath", path.join(venv, "bin", "python"), file], { cwd: path.dirname(file) });
            const report = JSON.parse(r.stdout) as { generalDiagnostics: { severity: string; message: string; range: { start: { line: number } } }[]; summary: { filesAnalyzed: number; errorCount: number } };
            return { code: r.code, report, errors: report.generalDiagnostics.filter((d) => d.severity === "error").map((d) => `line ${d.range.start.line + 1}: ${d.message}`) };
        };

        it("type-checks examples/python-program with pyright: no errors", async () => {
            const { code, report, errors } = await pyrightOn(program);
            assert.deepEqual(errors, []);
            assert.equal(code, 0);
            assert.equal(report.summary.filesAnalyzed, 1);
        });

        it("and pyright does reject a program that misuses the SDK (an unknown argument, a missing enum member)", async () => {
            const wrong = path.join(tmpDir("lp-sdk-wrong-"), "__main__.py");
            const source = fs.readFileSync(program, "utf8");
            assert.match(source, /memory_size=256/);
            assert.match(source, /FunctionUrlAuthType\.NONE/);
            fs.writeFileSync(wrong, source.replace("memory_size=256", "memory_megabytes=256").replace("FunctionUrlAuthType.NONE", "FunctionUrlAuthType.PUBLIC"));
            const { code, errors } = await pyrightOn(wrong);
            assert.notEqual(code, 0);
            assert.ok(
                errors.some((e) => /No parameter named "memory_megabytes"|No overloads for "__init__"/.test(e)),
                errors.join("\n"),
            );
            assert.ok(
                errors.some((e) => /PUBLIC/.test(e)),
                errors.join("\n"),
            );
        });
    });

    describe("Go: the SDK compiles, and examples/go-program builds and vets against it", () => {
        const example = path.join(ROOT, "examples", "go-program");
        let program: string;
        const sdkPackage = "example.com/pulumi-lambda-python/sdk/go/lambdapython";

        before(async () => {
            // The program folder as `pulumi package add ../..` leaves it: its files, and the SDK in sdks/lambda-python.
            program = tmpDir("lp-go-program-");
            for (const f of ["main.go", "go.mod", "go.sum", "Pulumi.yaml"]) fs.copyFileSync(path.join(example, f), path.join(program, f));
            fs.cpSync(path.join(out, "go"), path.join(program, "sdks", "lambda-python"), { recursive: true });
        });

        it("generates the module `pulumi package add` names (example.com/…, no publisher in the schema), as the replace in go.mod expects", () => {
            const mod = fs.readFileSync(path.join(out, "go", "go.mod"), "utf8");
            assert.match(mod, /^module example\.com\/pulumi-lambda-python\/sdk\/go$/m);
            assert.match(fs.readFileSync(path.join(example, "go.mod"), "utf8"), /^replace example\.com\/pulumi-lambda-python\/sdk\/go => \.\/sdks\/lambda-python$/m);
        });

        it("compiles the SDK and the program (go build) and vets both (go vet), with go.mod and go.sum as committed", async () => {
            // -mod=readonly (go's default): a generated SDK importing more than go.sum covers fails here.
            await ok("go build of the SDK and the program", "go", ["build", "-o", path.join(program, "program"), "."], program);
            await ok("go build of the SDK", "go", ["build", sdkPackage], program);
            await ok("go vet", "go", ["vet", sdkPackage, "."], program);
            assert.ok(fs.statSync(path.join(program, "program")).size > 0);
        });

        it("and go build does reject a program that misuses the SDK (a string for a number, an unknown field)", async () => {
            const wrong = tmpDir("lp-go-wrong-");
            fs.cpSync(program, wrong, { recursive: true });
            const source = fs.readFileSync(path.join(wrong, "main.go"), "utf8");
            fs.writeFileSync(path.join(wrong, "main.go"), source.replace("pulumi.Float64(256)", 'pulumi.String("256")').replace("Handler:", "EntryPoint:"));
            const r = await run("go", ["build", "-o", path.join(wrong, "program"), "."], { cwd: wrong });
            assert.notEqual(r.code, 0);
            assert.match(r.stderr, /unknown field EntryPoint/);
            assert.match(r.stderr, /pulumi\.String\("256"\).*cannot use|cannot use pulumi\.String\("256"\)/);
        });

        it("refers to the aws Go SDK's packages and resources the aws schema describes", async () => {
            const info = JSON.parse(await ok("go list -m", "go", ["list", "-m", "-json", GO_AWS_SDK.module], program)) as { Version: string; Dir: string };
            assert.equal(info.Version, GO_AWS_SDK.version, "the build uses the pulumi-aws Go SDK release pinned in test/sdkgen.ts");
            assert.equal(aws.language.go.importBasePath, `${GO_AWS_SDK.module}/go/aws`);
            for (const token of Object.keys(aws.resources)) {
                const { module, file } = tokenParts(aws, token);
                const go = fs.readFileSync(path.join(info.Dir, "go", "aws", module, `${file}.go`), "utf8");
                assert.ok(go.includes(`RegisterResource("${token}"`), `${GO_AWS_SDK.module}/go/aws/${module}/${file}.go does not register ${token}`);
            }
            const sdk = fs.readFileSync(path.join(out, "go", "lambdapython", "pythonFunction.go"), "utf8");
            for (const module of new Set(Object.keys(aws.resources).map((t) => tokenParts(aws, t).module))) assert.ok(sdk.includes(`"${aws.language.go.importBasePath}/${module}"`), `the SDK imports ${module}`);
        });
    });

    describe("C#: the sources are generated (not compiled: no .NET here)", () => {
        const cs = () => path.join(out, "dotnet");
        const sources = () => fs.readdirSync(cs(), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".cs"));
        const classFile = (name: string) => {
            const file = sources().find((f) => new RegExp(`\\bclass ${name}\\b`).test(fs.readFileSync(path.join(cs(), f), "utf8")));
            assert.ok(file, `no class ${name} in the generated C#`);
            return fs.readFileSync(path.join(cs(), file), "utf8");
        };

        it("writes the Pulumi.LambdaPython project, referring to the aws resources in Pulumi.Aws's namespaces", () => {
            assert.ok(fs.existsSync(path.join(cs(), "Pulumi.LambdaPython.csproj")));
            const fn = classFile("PythonFunction");
            assert.match(fn, /^namespace Pulumi\.LambdaPython$/m);
            const namespaces = aws.language.csharp.namespaces as Record<string, string>;
            const generated = [
                ...sources()
                    .map((f) => fs.readFileSync(path.join(cs(), f), "utf8"))
                    .join("\n")
                    .matchAll(/Pulumi\.Aws\.(\w+)\.(\w+)/g),
            ].map((m) => `${m[1]}.${m[2]}`);
            const expected = Object.keys(aws.resources).map((t) => `${namespaces[tokenParts(aws, t).module]}.${tokenParts(aws, t).name}`);
            assert.deepEqual([...new Set(generated)].sort(), expected.sort());
        });

        it("has every class, property and enum member docs/languages/csharp.md's example uses", () => {
            const doc = fs.readFileSync(path.join(ROOT, "docs", "languages", "csharp.md"), "utf8");
            const code = /```csharp\n([\s\S]*?)```/.exec(doc)?.[1] ?? "";
            let checked = 0;
            // Each `new XArgs { Prop = …, … }`: the properties at its top level.
            for (const m of code.matchAll(/new (\w+Args)\s*\{/g)) {
                let depth = 1;
                let i = m.index + m[0].length;
                let body = "";
                for (; i < code.length && depth > 0; i++) {
                    if (code[i] === "{") depth++;
                    else if (code[i] === "}") depth--;
                    if (depth === 1 && code[i] !== "}") body += code[i];
                    else if (depth > 1) body += " ";
                }
                const cls = classFile(m[1]);
                for (const p of body.matchAll(/(\w+)\s*=(?!=)/g)) {
                    assert.match(cls, new RegExp(`public [^\\n]* ${p[1]}\\b`), `${m[1]} has no property ${p[1]}`);
                    checked++;
                }
            }
            const enums = fs.readFileSync(path.join(cs(), "Enums.cs"), "utf8");
            for (const m of code.matchAll(/\b(Architecture|FunctionUrlAuthType)\.(\w+)/g)) {
                assert.match(enums, new RegExp(`public static ${m[1]} ${m[2]} \\{`), `${m[1]} has no member ${m[2]}`);
                checked++;
            }
            assert.ok(checked >= 10, `only ${checked} names checked`);
        });
    });

    describe("YAML: no SDK; the program docs/languages/yaml.md shows uses the schema's names", () => {
        it("has type tokens, properties and enum values of provider/schema.json", () => {
            const schema = readJson<{ resources: Record<string, { inputProperties: Record<string, { $ref?: string }> }>; types: Record<string, { enum?: { value: string }[]; properties?: Record<string, { $ref?: string }> }> }>(SCHEMA);
            const doc = fs.readFileSync(path.join(ROOT, "docs", "languages", "yaml.md"), "utf8");
            const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => yaml.load(m[1]) as { resources?: Record<string, { type: string; properties: Record<string, unknown> }> });
            const program = blocks.find((b) => b?.resources);
            assert.ok(program?.resources, "no program in docs/languages/yaml.md");
            const enumValues = (ref?: string) => (ref ? schema.types[ref.replace("#/types/", "")]?.enum?.map((e) => e.value) : undefined);
            let checked = 0;
            for (const [name, r] of Object.entries(program.resources)) {
                const resource = schema.resources[r.type];
                assert.ok(resource, `${name}: no resource ${r.type} in the schema`);
                for (const [prop, value] of Object.entries(r.properties)) {
                    const spec = resource.inputProperties[prop];
                    assert.ok(spec, `${r.type} has no input ${prop}`);
                    const values = enumValues(spec.$ref);
                    if (values) assert.ok(values.includes(value as string), `${r.type}.${prop}: ${value} is not one of ${values.join(", ")}`);
                    const fields = spec.$ref ? schema.types[spec.$ref.replace("#/types/", "")]?.properties : undefined;
                    if (fields && value && typeof value === "object") {
                        for (const [field, v] of Object.entries(value)) {
                            assert.ok(fields[field], `${r.type}.${prop} has no field ${field}`);
                            const fieldValues = enumValues(fields[field].$ref);
                            if (fieldValues) assert.ok(fieldValues.includes(v as string), `${r.type}.${prop}.${field}: ${v} is not one of ${fieldValues.join(", ")}`);
                        }
                    }
                    checked++;
                }
            }
            assert.ok(checked >= 8, `only ${checked} properties checked`);
        });
    });

    describe("Node.js: the SDK compiles with tsc and loads", () => {
        it("compiles against @pulumi/pulumi and @pulumi/aws as installed, and depends on the aws version the schema names", async () => {
            const sdk = path.join(tmpDir("lp-node-sdk-"), "lambda-python");
            fs.cpSync(path.join(out, "nodejs"), sdk, { recursive: true });
            fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(sdk, "node_modules"));
            // What npm runs when the program installs it: the SDK's postinstall (tsc, then package.json into bin/),
            // with node_modules/.bin on PATH.
            const env = { ...process.env, PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}` };
            await ok("the generated Node.js SDK's postinstall (tsc)", node, [path.join(sdk, "scripts", "postinstall.js")], sdk, env);
            const pkg = readJson<{ name: string; dependencies: Record<string, string> }>(path.join(sdk, "package.json"));
            assert.equal(pkg.dependencies["@pulumi/aws"], aws.version);
            const loaded = await ok("loading the compiled SDK", node, ["-e", `const lp = require(${JSON.stringify(path.join(sdk, "bin"))}); console.log(JSON.stringify(Object.keys(lp).sort()))`]);
            for (const name of ["PythonFunction", "PythonLayer"]) assert.ok(JSON.parse(loaded).includes(name), loaded);
        });
    });
});
