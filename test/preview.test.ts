// lambda-python preview (what `npm start` runs on the showcase): programs
// under the mock monitor, real archives, the policy pack's verdicts.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { analyzeResource } from "../preview/analyze";
import { cli, ROOT, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";
import { craftZip } from "./zip-crafter";

const env = { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE };

function program(index: string): string {
    return writeFiles(tmpDir("program-"), { "Pulumi.yaml": "name: scratch\nruntime: nodejs\nmain: index.ts\n", "index.ts": index });
}

describe("lambda-python preview", () => {
    it("previews the showcase: every example, their sizes, and the pack's verdicts", () => {
        const r = cli(["preview", ROOT, "--json", "--quiet"], { env });
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout);
        assert.equal(report.project, "lambda-python-showcase");
        const functions = report.resources.filter((x: { type: string }) => x.type === "aws:lambda/function:Function");
        assert.deepEqual(functions.map((f: { resource: string }) => f.resource).sort(), ["cowsay", "datasette", "flask-version-1", "flask-version-2", "hello-url", "numpy-stats"]);
        const stats = functions.find((f: { resource: string }) => f.resource === "numpy-stats");
        assert.equal(stats.architecture, "arm64");
        assert.equal(stats.runtime, "python3.13");
        assert.ok(stats.zippedBytes > 0 && stats.unzippedBytes > 0);
        assert.equal(report.diagnostics.filter((d: { level: string }) => d.level === "mandatory").length, 0);
        assert.deepEqual(
            report.diagnostics
                .filter((d: { policy: string }) => d.policy === "lambda-function-url-public")
                .map((d: { urn: string }) => d.urn.split("::").pop())
                .sort(),
            ["cowsay-url", "datasette-url", "hello-url-url"],
        );
    });

    it("prints a table a person can read", () => {
        const r = cli(["preview", path.join(ROOT, "examples", "hello-url"), "--quiet"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^\+\s+hello-url\s+lambda-python:index:PythonFunction/m);
        assert.match(r.stdout, /^\+\s+hello-url\s+aws:lambda:Function\s+python3\.14\s+x86_64\s+275 B\s+184 B\s+ok/m);
        assert.match(r.stdout, /policy violations: 0 mandatory, 1 advisory/);
        // A function URL is made by AWS when the URL is created: in `pulumi preview` it is not known yet.
        assert.match(r.stdout, /^ {2}url: output<string>$/m);
    });

    it("keeps a TypeScript program's transpiled files between runs, with stack traces still on the TypeScript lines", () => {
        // Line 8 in TypeScript; the interface and annotations are gone from the JavaScript, so its line is 6.
        const index = 'interface Shape {\n    name: string;\n}\n\nconst shapes: Shape[] = [];\n\nfunction where(s: Shape[]): string {\n    return s.length + " " + new Error().stack!.split("\\n")[1].trim();\n}\n\nexport const at = where(shapes);\n';
        const column = index.split("\n")[7].indexOf("new Error") + 1;
        const dir = program(index);
        const ownEnv = { ...process.env, LAMBDA_PYTHON_CACHE_DIR: tmpDir("ts-cache-") };
        const cached = path.join(ownEnv.LAMBDA_PYTHON_CACHE_DIR, "preview", "typescript");
        const at = () => {
            const r = cli(["preview", dir, "--json", "--quiet"], { env: ownEnv });
            assert.equal(r.code, 0, r.stderr);
            return JSON.parse(r.stdout).outputs.at as string;
        };
        assert.equal(at(), `0 at where (${path.join(dir, "index.ts")}:8:${column})`);
        const [file] = fs.readdirSync(cached);
        // Served from the cache the second time: an edit made to the kept output shows.
        fs.writeFileSync(path.join(cached, file), fs.readFileSync(path.join(cached, file), "utf8").replace("\n//# sourceMappingURL", '\nexports.at = "kept " + exports.at;\n//# sourceMappingURL'));
        assert.equal(at(), `kept 0 at where (${path.join(dir, "index.ts")}:8:${column})`);
        // A changed program is transpiled again, and its old output is not kept beside the new one.
        fs.writeFileSync(path.join(dir, "index.ts"), index.replace("const shapes: Shape[] = [];", "const shapes: Shape[] = [{ name: 'a' }];"));
        assert.equal(at(), `1 at where (${path.join(dir, "index.ts")}:8:${column})`);
        assert.equal(fs.readdirSync(cached).length, 1);
    });

    it("loads the SDK's @npmcli/arborist only when a program serializes a closure, and then the real one", () => {
        // The stand-in is in place before the SDK loads: importing @pulumi/pulumi leaves the real module unloaded.
        const probe = `require(${JSON.stringify(path.join(ROOT, "dist", "preview", "deferred-modules.js"))}).deferArborist(${JSON.stringify(ROOT)});
            require("@pulumi/pulumi");
            console.log(Object.keys(require.cache).some((f) => f.includes("@npmcli/arborist/lib/arborist/")));`;
        const r = spawnSync(process.execPath, ["-e", probe], { cwd: ROOT, encoding: "utf8" });
        assert.equal(r.stdout.trim(), "false", r.stderr);
        // A program that computes its code paths (what aws.lambda.CallbackFunction does) gets arborist's real answer.
        const dir = writeFiles(tmpDir("code-paths-"), {
            "Pulumi.yaml": "name: scratch\nruntime: nodejs\nmain: index.js\n",
            "package.json": JSON.stringify({ name: "scratch", dependencies: { tiny: "1.0.0" } }),
            "node_modules/tiny/package.json": JSON.stringify({ name: "tiny", version: "1.0.0" }),
            "node_modules/tiny/index.js": "module.exports = 1;\n",
            "index.js": `const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi"))});\nexports.paths = pulumi.runtime.computeCodePaths().then((m) => [...m.keys()]);\n`,
        });
        const out = cli(["preview", dir, "--json", "--quiet"], { env });
        assert.equal(out.code, 0, out.stderr);
        assert.deepEqual(JSON.parse(out.stdout).outputs.paths, ["node_modules/tiny"]);
    });

    it("fails, naming the component, when the program's function has no handler module", () => {
        const dir = program(`import { PythonFunction } from ${JSON.stringify(path.join(ROOT, "components"))};\nnew PythonFunction("broken", { source: __dirname, handler: "missing.handler" });\n`);
        const r = cli(["preview", dir, "--quiet"], { env });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /the program scratch failed:\n\s+PythonFunction "broken": handler "missing\.handler" needs missing\.py at the root/);
    });

    it("checks any program's Lambda resources, not only ours: a hand-made zip with __pycache__", () => {
        const zip = path.join(tmpDir(), "hand.zip");
        fs.writeFileSync(
            zip,
            craftZip([
                { name: "app.py", data: Buffer.from("def h(e, c):\n    return 1\n") },
                { name: "__pycache__/app.cpython-312.pyc", data: Buffer.alloc(16) },
            ]),
        );
        const dir = program(
            `import * as aws from "@pulumi/aws";\nimport * as pulumi from "@pulumi/pulumi";\n` +
                `new aws.lambda.Function("hand", { runtime: "python3.12", handler: "app.h", role: "arn:aws:iam::123456789012:role/x", code: new pulumi.asset.FileArchive(${JSON.stringify(zip)}) });\n`,
        );
        // The scratch program resolves @pulumi/* from this repository.
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
        const r = cli(["preview", dir, "--quiet"], { env });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stdout, /^\+\s+hand\s+aws:lambda:Function\s+python3\.12\s+x86_64\s+.*ERROR lambda-no-pycache/m);
        assert.match(r.stdout, /ERROR\s+\[lambda-no-pycache\] hand: function "hand" contains 1 bytecode cache entries/);
    });

    it("the pack's 'could not inspect' for a relative archive that is not there says to build it first, then programDir", async () => {
        const previous = process.env.LAMBDA_PYTHON_PROGRAM_DIR;
        process.env.LAMBDA_PYTHON_PROGRAM_DIR = tmpDir("program-");
        try {
            const props = { runtime: "nodejs22.x", handler: "index.handler", role: "arn:aws:iam::123456789012:role/x", code: { "4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7", path: "./bundle" } };
            const [d] = (await analyzeResource({ type: "aws:lambda/function:Function", name: "bundled", urn: "urn:pulumi:dev::p::aws:lambda/function:Function::bundled", props })).filter((x) => x.policy === "lambda-zip-entry-safety");
            assert.equal(d.level, "advisory");
            assert.match(
                d.message,
                /the archive \.\/bundle was not found \(looked from .*\)\. If a build step makes it \(npm run build, a bundler, a zip script\), run that before the preview; if it is in the Pulumi program's folder, set the policy's programDir config/,
            );
        } finally {
            if (previous === undefined) delete process.env.LAMBDA_PYTHON_PROGRAM_DIR;
            else process.env.LAMBDA_PYTHON_PROGRAM_DIR = previous;
        }
    });
});

describe("lambda-python preview --invoke counts what Lambda would count", () => {
    it("counts a function that dies during init as failed, and exits 1", () => {
        const dir = writeFiles(tmpDir("lp-preview-invoke-init-"), {
            "Pulumi.yaml": "name: dies\nruntime: nodejs\nmain: index.ts\n",
            "index.ts": `import { PythonFunction } from ${JSON.stringify(path.join(ROOT, "components"))};\nnew PythonFunction("quits", { source: __dirname + "/app", handler: "app.handler", runtime: "python3.13" });\n`,
            "app/app.py": "raise SystemExit(0)\n\ndef handler(event, context):\n    return 'never'\n",
        });
        const r = cli(["preview", dir, "--invoke", "--quiet"], { env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE } });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /^quits\s+error\s+\d+ ms\s+Runtime\.ExitError: RequestId: [0-9a-f-]{36} Error: Runtime exited without/m);
        assert.match(r.stdout, /1 function invoked; 1 failed\./);
    });

    it("reads an example's event within Lambda's payload limit: /dev/zero as events/<name>.json is not run, not read forever", () => {
        const dir = writeFiles(tmpDir("lp-preview-invoke-event-"), {
            "Pulumi.yaml": "name: endless-event\nruntime: nodejs\nmain: index.ts\n",
            "index.ts": `import { PythonFunction } from ${JSON.stringify(path.join(ROOT, "components"))};\nnew PythonFunction("echo", { source: __dirname + "/app", handler: "app.handler", runtime: "python3.13" });\n`,
            "app/app.py": "def handler(event, context):\n    return event\n",
        });
        fs.mkdirSync(path.join(dir, "events"));
        fs.symlinkSync("/dev/zero", path.join(dir, "events", "echo.json"));
        const r = cli(["preview", dir, "--invoke", "--quiet"], { env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE } });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /^echo\s+not run\s+.*event file .*echo\.json is a device/m);
        assert.match(r.stdout, /1 function invoked; 1 failed\./);
    });
});
