// `lambda-python preview` on Python programs: the program runs on the Pulumi
// Python SDK (pulumi and pulumi-aws from PyPI, in the virtualenv the preview
// keeps), started as the Python language host starts it, against the
// ResourceMonitor and Engine services the preview serves over gRPC;
// `lambda-python:index:*` components are constructed by this package's
// provider plugin. examples/python-program uses the SDK `pulumi package add`
// generates (sdks/lambda-python, made by Pulumi's generator: test/sdks.test.ts
// checks it is the generator's output), which its requirements.txt installs.
import { strict as assert } from "assert";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { PreviewRow } from "../cli/preview";
import type { Diagnostic } from "../preview/analyze";
import type { Analysis } from "../preview/policy-check";
import { defaultToolsDir } from "../shared/cache-dirs";
import { ProgramRun, runProgram } from "../preview/program";
import { RecordedResource } from "../preview/records";
import { CLI, cli, CliResult, ROOT, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";

const FIXTURES = path.join(ROOT, "test", "fixtures", "python-preview");
const EXAMPLE = path.join(ROOT, "examples", "python-program");

const env = (): NodeJS.ProcessEnv => ({ ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE });

interface JsonReport {
    resources: PreviewRow[];
    diagnostics: Diagnostic[];
    outputs: Record<string, unknown>;
    notes: string[];
}

function preview(dir: string, args: string[] = []): CliResult & { report?: JsonReport } {
    const r = cli(["preview", dir, "--json", ...args], { cwd: tmpDir("lp-pypreview-cwd-"), env: env(), timeout: 600_000 });
    return { ...r, report: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
}

const row = (r: JsonReport, type: string, name: string) => {
    const found = r.resources.find((x) => x.type === type && x.resource === name);
    assert.ok(found, `no ${type} ${name}: ${r.resources.map((x) => `${x.type}::${x.resource}`).join(", ")}`);
    return found;
};

describe("lambda-python preview of Python programs (the Python SDK against the preview's gRPC monitor)", function () {
    this.timeout(900_000);

    describe("examples/python-program beside the same program in TypeScript", () => {
        let python: ProgramRun & { verdicts: Analysis };
        let typescript: ProgramRun & { verdicts: Analysis };
        const saved: Record<string, string | undefined> = {};

        before(async () => {
            for (const [k, v] of Object.entries({ LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE })) {
                saved[k] = process.env[k];
                process.env[k] = v;
            }
            const run = async (dir: string) => {
                const r = await runProgram(dir, { analyze: true, quiet: true });
                assert.ok(r.ok, `${dir} failed: ${r.errors.join("\n")}`);
                return { ...r, verdicts: await r.analysis };
            };
            python = await run(EXAMPLE);
            typescript = await run(path.join(FIXTURES, "typescript-equivalent"));
        });

        after(() => {
            for (const [k, v] of Object.entries(saved)) {
                if (v === undefined) delete process.env[k];
                else process.env[k] = v;
            }
        });

        const shape = (rs: RecordedResource[]) =>
            rs
                .filter((r) => r.type !== "pulumi:pulumi:Stack")
                .map((r) => ({ urn: r.urn, parent: r.parent, custom: r.custom, wire: r.custom ? r.wire : undefined }))
                .sort((a, b) => (a.urn < b.urn ? -1 : 1));

        it("registers the same resources under the same components, with the same inputs and archives", () => {
            assert.equal(python.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length, 10, "2 components, the layer and the function's 7 children");
            assert.deepEqual(shape(python.resources), shape(typescript.resources));
            const code = python.resources.find((r) => r.type === "aws:lambda/function:Function")!.wire.code as { path: string };
            assert.ok(fs.existsSync(code.path), "the function's archive was built");
        });

        it("gets the same verdicts and archive sizes", () => {
            const verdicts = (a: Analysis) => a.diagnostics.map((d) => `${d.level} ${d.policy} ${d.urn}`).sort();
            assert.deepEqual(verdicts(python.verdicts), verdicts(typescript.verdicts));
            assert.deepEqual(verdicts(python.verdicts), [`advisory lambda-function-url-public ${python.resources.find((r) => r.type === "aws:lambda/functionUrl:FunctionUrl")!.urn}`]);
            assert.deepEqual(python.verdicts.sizes, typescript.verdicts.sizes);
            assert.equal(Object.keys(python.verdicts.sizes).length, 2, "the layer's and the function's archives");
        });

        it("exports the same outputs, unknown at preview as the engine leaves them", () => {
            assert.deepEqual(python.outputs, typescript.outputs);
            assert.deepEqual(python.outputs, { url: "output<string>", function_arn: "output<string>", layer_arn: "output<string>" });
        });

        it("says which Python SDK the program ran on (its virtualenv does not exist: the preview's)", () => {
            assert.ok(
                python.notes.some((n) => /^Python: the Pulumi Python SDK pulumi 3\.\d+\.\d+ and pulumi-aws 7\.\d+\.\d+ the preview keeps \(its virtualenv venv does not exist yet\)/.test(n)),
                python.notes.join("\n"),
            );
        });
    });

    it("judges a program's plain aws.lambda_.Function (AssetArchive of a FileArchive, a public URL) with the pack", () => {
        const r = preview(path.join(FIXTURES, "serverless-hello"));
        assert.equal(r.code, 1, r.stderr);
        const report = r.report!;
        const fn = row(report, "aws:lambda/function:Function", "hello");
        assert.equal(fn.runtime, "python3.9");
        assert.equal(fn.architecture, "x86_64");
        assert.deepEqual(fn.policies, { mandatory: ["lambda-runtime-deprecation"], advisory: [] });
        assert.deepEqual(row(report, "aws:lambda/functionUrl:FunctionUrl", "hello-url").policies, { mandatory: [], advisory: ["lambda-function-url-public"] });
        assert.deepEqual(
            report.resources.map((x) => x.resource),
            ["lambdaRole", "lambdaRolePolicy", "hello", "hello-url"],
        );
        assert.match(String(report.outputs.function_name), /^hello-[0-9a-f]{7}$/, "auto-named, known at preview");
        assert.equal(report.outputs.url, "output<string>");
    });

    it("ties a function to its layer through the Python SDK's dependencies: an arm64 job on an x86_64 layer is mandatory", () => {
        const r = preview(path.join(FIXTURES, "scheduled-jobs"));
        assert.equal(r.code, 1, r.stderr);
        const report = r.report!;
        assert.deepEqual(row(report, "aws:lambda/function:Function", "report-job").policies, { mandatory: ["lambda-architecture-compatibility"], advisory: [] });
        assert.deepEqual(row(report, "aws:lambda/function:Function", "cleanup-job").policies, { mandatory: [], advisory: [] });
        assert.deepEqual(row(report, "aws:lambda/layerVersion:LayerVersion", "shared").policies, { mandatory: [], advisory: [] });
        assert.match(report.diagnostics.find((d) => d.policy === "lambda-architecture-compatibility")!.message, /function "report-job" runs on arm64 but layer "shared" is built for x86_64/);
        assert.equal(report.resources.filter((x) => x.type === "aws:cloudwatch/eventTarget:EventTarget").length, 2);
    });

    it("gives a program config, data sources and unknown IDs as the engine does at preview", () => {
        const r = preview(path.join(FIXTURES, "s3-processor"));
        assert.equal(r.code, 0, r.stderr);
        const report = r.report!;
        const fn = row(report, "aws:lambda/function:Function", "processor");
        assert.equal(fn.runtime, "python3.12");
        assert.equal(fn.architecture, "arm64");
        // The secret's ID is unknown at preview, so its use in the environment is no finding (as under `pulumi preview`).
        assert.deepEqual(report.diagnostics, []);
        assert.ok(
            report.notes.some((n) => /aws\.getCallerIdentity: account 123456789012/.test(n)),
            report.notes.join("\n"),
        );
        assert.ok(
            report.notes.some((n) => /aws\.getRegion: eu-west-1 \(config aws:region\)/.test(n)),
            report.notes.join("\n"),
        );
        assert.ok(report.notes.includes("stack dev (the program's only Pulumi.<stack>.yaml; --stack to choose another)"));
        assert.match(String(report.outputs.function), /^processor-[0-9a-f]{7}$/);
    });

    it("gives the program its project, stack and organization, and keeps its prints off stdout", () => {
        const dir = writeFiles(path.join(tmpDir("lp-pypreview-"), "context"), {
            "Pulumi.yaml": "name: context\nruntime: python\n",
            "__main__.py": "import pulumi\n\nprint('hello from the program')\npulumi.export('where', f'{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}')\npulumi.export('secret', pulumi.Config().require_secret('token'))\n",
            "Pulumi.prod.yaml": "config:\n  context:token:\n    secure: AAABAJ5vGZ2dF8lOsWw4kGvIZ9eS2ay0kdeEFe0+DE7JKNjlZWRp\n",
        });
        const r = preview(dir, ["--stack", "acme/prod", "--quiet"]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.report!.outputs, { where: "acme/context/prod", secret: "[secret]" });
        assert.match(r.stderr, /hello from the program/);
    });

    it("runs the program on its own virtualenv when it has one (Pulumi.yaml virtualenv: .venv)", () => {
        // The program's virtualenv gets the Pulumi SDK through a .pth file naming an installed SDK's site-packages
        // (the preview's, installed by the tests before this one), and a module of its own that only it has.
        const sdkRoot = path.join(defaultToolsDir(), "python-sdk");
        const installed = fs.readdirSync(sdkRoot).find((d) => d.startsWith("pulumi-"));
        assert.ok(installed, `no Pulumi Python SDK in ${sdkRoot}`);
        const sitePackages = execFileSync(path.join(sdkRoot, installed, "bin", "python"), ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: "utf8" }).trim();
        const dir = writeFiles(path.join(tmpDir("lp-pypreview-"), "own-venv"), {
            "Pulumi.yaml": "name: own-venv\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: .venv\n",
            "__main__.py": "import pulumi\nimport naming\n\npulumi.export('name', naming.prefix('api'))\n",
        });
        execFileSync("python3", ["-m", "venv", "--without-pip", path.join(dir, ".venv")]);
        const ownSite = execFileSync(path.join(dir, ".venv", "bin", "python"), ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: "utf8" }).trim();
        writeFiles(ownSite, { "sdk.pth": `${sitePackages}\n`, "naming.py": "def prefix(name):\n    return 'acme-' + name\n" });
        const r = preview(dir, ["--quiet"]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.report!.outputs, { name: "acme-api" });
        assert.ok(r.report!.notes.includes("Python: the program's virtualenv .venv"), r.report!.notes.join("\n"));
    });

    it("installs the SDK `pulumi package add` generated (requirements.txt: -e sdks/lambda-python) for the preview's Python SDK, again when it changes", () => {
        const dir = tmpDir("lp-pypreview-sdk-");
        fs.cpSync(EXAMPLE, dir, { recursive: true, filter: (p) => !/[\\/](venv|__pycache__)$/.test(p) });
        const r = cli(["preview", dir, "--json"], { cwd: tmpDir("lp-pypreview-cwd-"), env: env(), timeout: 600_000 });
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout) as JsonReport;
        assert.equal(report.resources.length, 10);
        assert.ok(
            report.notes.some((n) => n.includes("with sdks/lambda-python from its requirements.txt")),
            report.notes.join("\n"),
        );
        // An edited SDK (regenerated, or changed by hand) is installed again, not the copy installed before.
        fs.appendFileSync(path.join(dir, "sdks", "lambda-python", "pulumi_lambda_python", "__init__.py"), "\nprint('the SDK as edited', flush=True)\n");
        const again = cli(["preview", dir, "--json"], { cwd: tmpDir("lp-pypreview-cwd-"), env: env(), timeout: 600_000 });
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stderr, /the SDK as edited/);
    });

    describe("a program that fails", () => {
        const program = (name: string, files: Record<string, string>) => writeFiles(path.join(tmpDir("lp-pypreview-"), name), { "Pulumi.yaml": `name: ${name}\nruntime: python\n`, ...files });

        it("is one paragraph with the exception and the program's frame that raised it, not a traceback (exit 1)", () => {
            const dir = program("raises", {
                "limits.py": "def memory_for(stage):\n    sizes = {'prod': 1024}\n    if stage not in sizes:\n        raise ValueError(f'no memory size for stage {stage!r}')\n    return sizes[stage]\n",
                "__main__.py": "import pulumi\nimport pulumi_aws as aws\n\nfrom limits import memory_for\n\nmemory = memory_for('dev')\n",
            });
            const r = cli(["preview", dir, "--quiet"], { env: env(), timeout: 600_000 });
            assert.equal(r.code, 1, r.stderr);
            assert.match(r.stderr, /the program raises failed:\n {2}ValueError: no memory size for stage 'dev' \(limits\.py:4\)\n/);
            assert.doesNotMatch(r.stderr, /Traceback|File "|\n\s+at /);
        });

        it("stops at a data source the preview cannot answer, naming the Python line that calls it (exit 2)", () => {
            const dir = program("ami", {
                "__main__.py": "import pulumi\nimport pulumi_aws as aws\n\nami = aws.ec2.get_ami(most_recent=True, owners=['amazon'], filters=[{'name': 'name', 'values': ['al2023-ami-*']}])\npulumi.export('ami', ami.id)\n",
            });
            const r = cli(["preview", dir, "--quiet"], { env: env(), timeout: 600_000 });
            assert.equal(r.code, 2, r.stderr);
            assert.match(
                r.stderr,
                /the data source aws:ec2\/getAmi:getAmi asks the cloud, and the offline preview has no answer for it .* It is called at __main__\.py:4\. Give its result \(a JSON object\) with --invoke-result aws:ec2\/getAmi:getAmi=FILE\.json/,
            );
            assert.doesNotMatch(r.stderr, /Traceback|\n\s+at /);
        });

        it("says a component's failure once, in the provider's words, at the program's line that made it", () => {
            const dir = program("no-handler", {
                "app/main.py": "def handler(event, context):\n    return {}\n",
                "requirements.txt": `pulumi\n-e ${path.join(EXAMPLE, "sdks", "lambda-python")}\n`,
                "__main__.py": "import pulumi\nimport pulumi_lambda_python as lambda_python\n\napi = lambda_python.PythonFunction(\n    'api',\n    source='app',\n    handler='handler.main',\n    runtime='python3.12',\n)\n",
            });
            const r = cli(["preview", dir, "--quiet"], { env: env(), timeout: 600_000 });
            assert.equal(r.code, 1, r.stderr);
            assert.match(r.stderr, /the program no-handler failed:\n {2}PythonFunction "api": handler "handler\.main" needs handler\.py at the root of its archive, .* \(__main__\.py:4\)\n$/);
            assert.doesNotMatch(r.stderr, /\n\s+at |error serializing|Traceback/);
        });

        it("fails on a FileArchive that does not exist, as the engine does, naming the resource and its Python line", () => {
            const dir = program("missing-zip", {
                "__main__.py":
                    "import pulumi\nimport pulumi_aws as aws\n\nworker = aws.lambda_.Function(\n    'worker',\n    runtime='python3.13',\n    handler='app.handler',\n    role='arn:aws:iam::123456789012:role/worker',\n    code=pulumi.FileArchive('./dist/worker.zip'),\n)\n",
            });
            const r = cli(["preview", dir, "--quiet"], { env: env(), timeout: 600_000 });
            assert.equal(r.code, 1, r.stderr);
            assert.match(r.stderr, /aws:lambda\/function:Function "worker" \(__main__\.py:4\): its code is a FileArchive of \.\/dist\/worker\.zip, which does not exist/);
        });

        it("says how to install a module the program imports and the SDK's virtualenv lacks", () => {
            const dir = program("imports", { "__main__.py": "import pulumi\nimport pulumi_random as random\n\nrandom.RandomPet('pet')\n" });
            const r = cli(["preview", dir, "--quiet"], { env: env(), timeout: 600_000 });
            assert.equal(r.code, 1, r.stderr);
            assert.match(r.stderr, /ModuleNotFoundError: No module named 'pulumi_random' \(__main__\.py:2\) the program imports pulumi_random, which \S+ does not have; install the program's requirements into its virtualenv/);
        });

        it("says in one paragraph that the Pulumi Python SDK could not be installed (no index reachable), and leaves nothing half-installed (exit 2)", () => {
            const dir = program("offline", { "__main__.py": "import pulumi\n" });
            const tools = tmpDir("lp-pypreview-tools-");
            const unreachable = { ...env(), LAMBDA_PYTHON_TOOLS_DIR: tools, PIP_INDEX_URL: "http://127.0.0.1:9/simple", PIP_RETRIES: "0", PIP_TIMEOUT: "2", PIP_NO_CACHE_DIR: "1" };
            const r = cli(["preview", dir, "--quiet"], { env: unreachable, timeout: 600_000 });
            assert.equal(r.code, 2, r.stderr);
            assert.match(
                r.stderr,
                /^lambda-python: error: Previewing a Python program needs the Pulumi Python SDK \(pulumi==3\.\d+\.\d+, pulumi-aws==7\.\d+\.\d+\), and installing it from PyPI failed: .*Check the network or your index settings \(PIP_INDEX_URL\), or give the program its own virtualenv/m,
            );
            assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
            assert.deepEqual(fs.readdirSync(path.join(tools, "python-sdk")), [], "no half-installed virtualenv");
        });

        it("refuses a virtualenv of the program's own that has no Pulumi SDK, in one paragraph (exit 2)", () => {
            const dir = program("no-sdk", { "__main__.py": "import pulumi\n" });
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: no-sdk\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n");
            execFileSync("python3", ["-m", "venv", "--without-pip", path.join(dir, "venv")]);
            assert.ok(fs.existsSync(path.join(dir, "venv", "bin", "python")), "the test's virtualenv");
            const r = cli(["preview", dir, "--quiet"], { env: env(), timeout: 600_000 });
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, /^lambda-python: error: .*the program's virtualenv \S+\/venv has no Pulumi SDK \(`import pulumi` failed.*\)\. Install the program's requirements into it/m);
            assert.doesNotMatch(r.stderr, /\n\s+at /);
        });
    });

    for (const [signal, code] of [
        ["SIGTERM", 143],
        ["SIGINT", 130],
    ] as const) {
        it(`${signal} ends the preview of a Python program stuck in a loop that ignores Ctrl-C, and the program with it`, async () => {
            const dir = writeFiles(path.join(tmpDir("lp-pypreview-"), "stuck"), {
                "Pulumi.yaml": "name: stuck\nruntime: python\n",
                "__main__.py": "import os, signal\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('looping as', os.getpid(), flush=True)\nwhile True:\n    pass\n",
            });
            const child = spawn(process.execPath, [CLI, "preview", dir], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
            let stderr = "";
            let pid = 0;
            // A guard ends a CLI that does not stop (the hang this pins).
            const guard = setTimeout(() => child.kill("SIGKILL"), 120_000);
            child.stderr.on("data", (d) => {
                stderr += d;
                const m = /looping as (\d+)/.exec(stderr);
                if (m && !pid) {
                    pid = Number(m[1]);
                    child.kill(signal);
                }
            });
            const exit = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
            clearTimeout(guard);
            assert.equal(exit, code, stderr);
            assert.throws(() => process.kill(pid, 0), "the Python program was ended too");
        });
    }
});
