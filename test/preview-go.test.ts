// `lambda-python preview` on Go programs: the program is built with `go build`
// and run as Pulumi's Go language host runs it (the engine's settings in its
// environment), against the ResourceMonitor and Engine services the preview
// serves over gRPC; `lambda-python:index:*` components are constructed by this
// package's provider plugin. examples/go-program uses the Go SDK Pulumi's
// generator makes (test/sdkgen.ts), placed where `pulumi package add` puts it;
// a plain aws.lambda.Function program uses pulumi-aws's Go SDK from the proxy.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import type { PreviewRow } from "../cli/preview";
import type { Diagnostic } from "../preview/analyze";
import { cli, ROOT, SHARED_CACHE, tmpDir } from "./helpers";
import { generateSdks } from "./sdkgen";
import type { ImportNode, InitProfile } from "../runner";

interface JsonReport {
    resources: PreviewRow[];
    diagnostics: Diagnostic[];
    outputs: Record<string, unknown>;
    notes: string[];
}

const env = { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE };
const FIXTURES = path.join(ROOT, "test", "fixtures", "go-preview");

function preview(dir: string, args: string[] = []) {
    const r = cli(["preview", dir, "--json", ...args], { cwd: tmpDir("lp-gopreview-cwd-"), env, timeout: 1_200_000 });
    return { ...r, report: r.stdout.trim() ? (JSON.parse(r.stdout) as JsonReport) : undefined };
}

describe("lambda-python preview of Go programs (go build, the Go SDK against the preview's gRPC monitor)", function () {
    // Cold: the first go build compiles the Pulumi Go SDKs (minutes); Go's build cache keeps them.
    this.timeout(1_800_000);

    it("judges a plain aws.lambda.Function program as the pack judges the same function in any language", () => {
        const r = preview(path.join(FIXTURES, "plain-function"));
        assert.equal(r.code, 1, r.stderr);
        const fn = r.report!.resources.find((x) => x.type === "aws:lambda/function:Function");
        assert.ok(fn, JSON.stringify(r.report!.resources));
        assert.equal(fn.runtime, "python3.9");
        assert.ok(
            r.report!.diagnostics.some((d) => d.policy === "lambda-runtime-deprecation" && d.level === "mandatory" && /worker/.test(d.message)),
            JSON.stringify(r.report!.diagnostics),
        );
        // The engine's answers at preview: an auto-name for the function (known), its ARN unknown.
        assert.match(String(r.report!.outputs.name), /^worker-[0-9a-f]{7}$/);
        assert.ok(
            r.report!.notes.some((n) => /^Go: go build of the program's folder \(go\d/.test(n)),
            r.report!.notes.join("\n"),
        );
    });

    it("says an error the program returns in one paragraph (exit 1), not Go's output", () => {
        const dir = path.join(tmpDir("lp-gopreview-"), "returns-error");
        fs.cpSync(path.join(FIXTURES, "plain-function"), dir, { recursive: true });
        fs.writeFileSync(
            path.join(dir, "main.go"),
            'package main\n\nimport (\n\t"fmt"\n\n\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"\n)\n\nfunc main() {\n\tpulumi.Run(func(ctx *pulumi.Context) error {\n\t\treturn fmt.Errorf("no memory size for stage %q", "dev")\n\t})\n}\n',
        );
        const r = cli(["preview", dir, "--quiet"], { env, timeout: 1_200_000 });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /the program go-plain failed:\n {2}no memory size for stage "dev"\n/);
        assert.doesNotMatch(r.stderr, /goroutine|\n\s+at |internal error/);
    });

    describe("examples/go-program beside examples/python-program", () => {
        let go: JsonReport;
        let python: JsonReport;
        let goProgram: string;

        before(async () => {
            // The program folder as `pulumi package add ../..` leaves it (its SDK in sdks/lambda-python), beside
            // the python-program folder whose code and layer it builds (its paths are ../python-program/...).
            const out = tmpDir("lp-gopreview-sdks-");
            await generateSdks(out);
            const root = tmpDir("lp-gopreview-example-");
            const program = path.join(root, "go-program");
            fs.mkdirSync(program);
            for (const f of ["main.go", "go.mod", "go.sum", "Pulumi.yaml"]) fs.copyFileSync(path.join(ROOT, "examples", "go-program", f), path.join(program, f));
            fs.cpSync(path.join(out, "go"), path.join(program, "sdks", "lambda-python"), { recursive: true });
            fs.symlinkSync(path.join(ROOT, "examples", "python-program"), path.join(root, "python-program"));
            goProgram = program;
            const g = preview(program);
            assert.equal(g.code, 0, g.stderr);
            go = g.report!;
            const p = preview(path.join(ROOT, "examples", "python-program"));
            assert.equal(p.code, 0, p.stderr);
            python = p.report!;
        });

        it("registers the same resources, with the same runtimes, architectures and archive sizes", () => {
            const rows = (r: JsonReport) => r.resources.map((x) => [x.type, x.resource, x.parent, x.runtime, x.architecture, x.zippedBytes, x.unzippedBytes, ...x.policies.mandatory, ...x.policies.advisory].join(" ")).sort();
            assert.equal(go.resources.length, 10);
            assert.deepEqual(rows(go), rows(python));
        });

        it("gets the same verdicts and exports the same outputs", () => {
            const verdicts = (r: JsonReport) => r.diagnostics.map((d) => `${d.level} ${d.policy} ${d.message}`).sort();
            assert.deepEqual(verdicts(go), verdicts(python));
            assert.deepEqual(Object.keys(go.outputs).sort(), Object.keys(python.outputs).sort());
        });

        it("profiles the same function's cold start the same way with --invoke --profile-init", () => {
            type Profiled = { function: string; initDurationMs?: number; initProfile?: InitProfile };
            const profiles = (dir: string) => {
                const r = preview(dir, ["--invoke", "--profile-init"]);
                assert.equal(r.code, 0, r.stderr);
                return (r.report as unknown as { invocations: Profiled[] }).invocations;
            };
            const [g, p] = [profiles(goProgram), profiles(path.join(ROOT, "examples", "python-program"))];
            const shape = (list: Profiled[]) =>
                list.map((i) => {
                    const modules = (nodes: ImportNode[]): string[] => nodes.flatMap((n) => [n.module, ...modules(n.children)]);
                    assert.equal(typeof i.initDurationMs, "number", `${i.function}: the init apart from the handler`);
                    // The same archive imports the same modules, in the same tree, from the same packages, whichever
                    // language declared it; only the times differ from run to run.
                    const packages = i.initProfile!.slowestByCumulative.map((s) => `${s.module} ${s.package.name} ${s.package.where} ${s.package.sizeBytes}`).sort();
                    return [i.function, i.initProfile!.handlerModule, i.initProfile!.measured, modules(i.initProfile!.tree).sort(), i.initProfile!.complete, packages.length];
                });
            assert.ok(g.length > 0);
            assert.deepEqual(shape(g), shape(p));
            // The example's Flask comes from its layer, and is said so.
            const flask = p.flatMap((i) => i.initProfile!.slowestByCumulative).find((s) => s.module === "flask");
            assert.deepEqual(flask && { where: flask.package.where, name: flask.package.name.toLowerCase() }, { where: "layer", name: "flask" });
        });
    });
});
