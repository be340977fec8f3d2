// A corpus of programs written the way Pulumi's templates and public examples
// write them (test/fixtures/corpus/*, each with its expected.json): the
// tsconfigs of `pulumi new` (nodenext, commonjs), node16 and bundler, ESM
// TypeScript and JavaScript, main in Pulumi.yaml or package.json,
// organization and stack, config and secrets, @pulumi/awsx and
// @pulumi/aws-apigateway components, CallbackFunction closures, S3 code, data
// sources with and without answers, stack references, async exports, and the
// programs `pulumi preview` refuses (a missing archive, a duplicate URN, a
// throw). The programs share the repository's node_modules, as a monorepo's
// do. Each is run twice:
// - as a user runs it: the `lambda-python preview` CLI, from another folder;
// - its recorded registrations through @pulumi/policy's analyzer entry points
//   (real AnalyzeRequest / AnalyzeStackRequest protobufs), from this process.
// Both must give the expected verdicts.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { analyzeAll } from "../preview/analyze";
import { runProgram, RunOptions } from "../preview/program";
import { cli, ROOT, SHARED_CACHE, tmpDir } from "./helpers";

const CORPUS = path.join(ROOT, "test", "fixtures", "corpus");

interface Expected {
    note: string;
    args?: string[];
    exitCode: number;
    /** The program fails (exit 1) as `pulumi preview` would fail it: no verdicts. */
    fails?: boolean;
    functions?: Record<string, { runtime?: string; architecture?: string }>;
    /** How many resources of a type the preview has. */
    functionsOfType?: Record<string, number>;
    /** "policy:resource" of every mandatory finding, exactly. */
    mandatory: string[];
    messages?: Record<string, string>;
    notInMessages?: string[];
    advisoriesExactly?: Record<string, string[]>;
    advisoriesInclude?: Record<string, string[]>;
    outputs?: string[];
    outputValues?: Record<string, unknown>;
    outputPatterns?: Record<string, string>;
    stderrMatches?: string[];
    stderrNotMatches?: string[];
    /** With --invoke: each function's invocation status, as a pattern. */
    invocations?: Record<string, string>;
}

interface Report {
    resources: { resource: string; type: string; runtime?: string; architecture?: string; policies: { mandatory: string[]; advisory: string[] } }[];
    diagnostics: { policy: string; level: string; message: string; urn: string }[];
    outputs: Record<string, unknown>;
    invocations?: { function: string; status: string; ok: boolean }[];
}

/** Real Go executables for Lambda's OS-only runtime, built once for each architecture. */
function goBuild(): string {
    const dir = path.join(SHARED_CACHE, "go-bootstrap");
    if (fs.existsSync(path.join(dir, "amd64", "bootstrap")) && fs.existsSync(path.join(dir, "arm64", "bootstrap"))) return dir;
    const src = path.join(dir, "src");
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, "go.mod"), "module bootstrap\n\ngo 1.21\n");
    fs.writeFileSync(path.join(src, "main.go"), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("bootstrap") }\n');
    for (const arch of ["arm64", "amd64"]) {
        const r = spawnSync("go", ["build", "-ldflags", "-s -w", "-o", path.join(dir, arch, "bootstrap"), "."], {
            cwd: src,
            encoding: "utf8",
            env: { ...process.env, CGO_ENABLED: "0", GOOS: "linux", GOARCH: arch },
        });
        if (r.status !== 0) throw new Error(`go build for ${arch} failed: ${r.stderr}`);
    }
    return dir;
}

const key = (d: { policy: string; urn: string }) => `${d.policy}:${d.urn.split("::").pop()}`;
const programs = fs
    .readdirSync(CORPUS)
    .filter((p) => fs.existsSync(path.join(CORPUS, p, "expected.json")))
    .sort();
const expectedOf = (name: string): Expected => JSON.parse(fs.readFileSync(path.join(CORPUS, name, "expected.json"), "utf8"));
/** The program's arguments; answer files named in them are beside the program. */
function argsOf(name: string, expected: Expected): string[] {
    const args = (expected.args ?? []).map((a, i, all) => (["--stack-outputs", "--invoke-result"].includes(all[i - 1]) ? a.replace(/=(.*)$/, (_, f) => `=${path.join(CORPUS, name, f)}`) : a));
    return [...args, ...(name === "multi-language" ? ["--config", `goBuild=${goBuild()}`] : [])];
}
// The region a program sees comes from its config only: the machine's AWS settings must not change a verdict.
const env = () => {
    const e: NodeJS.ProcessEnv = { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE };
    delete e.AWS_REGION;
    delete e.AWS_DEFAULT_REGION;
    return e;
};

/** The CLI's arguments as runProgram's options (the ones the corpus uses). */
function runOptions(args: string[]): RunOptions {
    const options: Required<Pick<RunOptions, "config" | "stackOutputs" | "invokeResults">> & RunOptions = { config: {}, stackOutputs: {}, invokeResults: {} };
    for (let i = 0; i < args.length; i += 2) {
        if (args[i] === "--invoke") {
            i--; // a flag: invoking is the CLI's part, after the analysis
            continue;
        }
        const [k, v] = [args[i + 1].slice(0, args[i + 1].indexOf("=")), args[i + 1].slice(args[i + 1].indexOf("=") + 1)];
        if (args[i] === "--stack") options.stack = args[i + 1];
        else if (args[i] === "--config") options.config[k] = v;
        else if (args[i] === "--stack-outputs") options.stackOutputs[k] = v;
        else if (args[i] === "--invoke-result") options.invokeResults[k] = v;
        else throw new Error(`the corpus test does not know ${args[i]}`);
    }
    return options;
}

describe("preview on a corpus of programs as Pulumi's templates and examples write them", () => {
    let elsewhere: string;
    before(() => (elsewhere = tmpDir("elsewhere-")));

    it("has at least 30 programs, each with its expected verdicts", () => {
        assert.ok(programs.length >= 30, `${programs.length} programs`);
    });

    describe("through the CLI, started from another folder", () => {
        for (const name of programs) {
            const expected = expectedOf(name);
            it(`${name}: ${expected.note}`, () => {
                const dir = path.relative(elsewhere, path.join(CORPUS, name));
                const r = cli(["preview", dir, "--json", ...argsOf(name, expected)], { cwd: elsewhere, env: env() });
                assert.equal(r.code, expected.exitCode, `exit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout.slice(0, 3000)}`);
                for (const re of expected.stderrMatches ?? []) assert.match(r.stderr, new RegExp(re), r.stderr);
                for (const re of expected.stderrNotMatches ?? []) assert.doesNotMatch(r.stderr, new RegExp(re), r.stderr);
                assert.doesNotMatch(r.stderr, /internal error|please call `pulumi\.runtime\.setMocks`/);
                const report: Report & { errors?: string[] } = expected.exitCode === 2 ? { errors: [] } : JSON.parse(r.stdout);
                // Stopped or failed before any verdict: the paragraph is the result.
                if (expected.exitCode === 2 || expected.fails) return assert.ok(report.errors && !report.diagnostics, r.stdout);
                assert.ok(report.diagnostics, r.stdout);
                const summary = report.diagnostics.map((d) => `${d.level} ${key(d)}: ${d.message}`).join("\n");

                assert.deepEqual([...new Set(report.diagnostics.filter((d) => d.level === "mandatory").map(key))].sort(), [...expected.mandatory].sort(), summary);
                for (const [fn, want] of Object.entries(expected.functions ?? {})) {
                    const row = report.resources.find((x) => x.resource === fn && x.type === "aws:lambda/function:Function");
                    assert.ok(row, `no function ${fn} in the preview: ${report.resources.map((x) => x.resource).join(", ")}`);
                    if (want.runtime) assert.equal(row.runtime, want.runtime, fn);
                    if (want.architecture) assert.equal(row.architecture, want.architecture, fn);
                }
                for (const [type, n] of Object.entries(expected.functionsOfType ?? {})) assert.equal(report.resources.filter((x) => x.type === type).length, n, type);
                for (const [k, re] of Object.entries(expected.messages ?? {})) {
                    const texts = report.diagnostics.filter((d) => key(d) === k).map((d) => d.message);
                    assert.ok(
                        texts.some((t) => new RegExp(re).test(t)),
                        `${k}: no message matching /${re}/ in\n${texts.join("\n")}`,
                    );
                }
                for (const word of expected.notInMessages ?? []) assert.ok(!summary.includes(word), `"${word}" appears in a message:\n${summary}`);
                for (const [res, policies] of Object.entries(expected.advisoriesExactly ?? {})) {
                    const got = report.diagnostics.filter((d) => d.urn.endsWith(`::${res}`)).map((d) => `${d.level}:${d.policy}`);
                    assert.deepEqual(
                        got,
                        policies.map((p) => `advisory:${p}`),
                        `${res}:\n${summary}`,
                    );
                }
                for (const [res, policies] of Object.entries(expected.advisoriesInclude ?? {})) {
                    for (const p of policies)
                        assert.ok(
                            report.diagnostics.some((d) => d.urn.endsWith(`::${res}`) && d.policy === p && d.level === "advisory"),
                            `${res} has no advisory ${p}:\n${summary}`,
                        );
                }
                for (const o of expected.outputs ?? []) assert.ok(o in report.outputs, `no output ${o}: ${JSON.stringify(report.outputs)}`);
                for (const [o, v] of Object.entries(expected.outputValues ?? {})) assert.deepEqual(report.outputs[o], v, o);
                for (const [o, re] of Object.entries(expected.outputPatterns ?? {})) assert.match(String(report.outputs[o]), new RegExp(re), o);
                for (const [fn, re] of Object.entries(expected.invocations ?? {})) {
                    const invocation = report.invocations?.find((i) => i.function === fn);
                    assert.match(invocation?.status ?? "(not invoked)", new RegExp(re), `${fn}: ${JSON.stringify(report.invocations)}`);
                }
            });
        }
    });

    describe("its registrations through the analyzer entry points", () => {
        for (const name of programs) {
            const expected = expectedOf(name);
            if (expected.exitCode === 2 || expected.fails) continue; // no verdicts: the program does not run to its end
            it(`${name}: the mandatory verdicts`, async () => {
                const saved = { region: process.env.AWS_REGION, fallback: process.env.AWS_DEFAULT_REGION, cache: process.env.LAMBDA_PYTHON_CACHE_DIR };
                delete process.env.AWS_REGION;
                delete process.env.AWS_DEFAULT_REGION;
                process.env.LAMBDA_PYTHON_CACHE_DIR = SHARED_CACHE;
                try {
                    const run = await runProgram(path.join(CORPUS, name), { ...runOptions(argsOf(name, expected)), quiet: true });
                    assert.deepEqual(run.errors, []);
                    process.env.LAMBDA_PYTHON_PROGRAM_DIR = run.programDir;
                    const custom = run.resources.filter((r) => r.custom);
                    const diagnostics = await analyzeAll(custom.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.wire, parent: r.parent, propertyDependencies: r.propertyDependencies })));
                    const summary = diagnostics.map((d) => `${d.level} ${key(d)}: ${d.message}`).join("\n");
                    assert.deepEqual([...new Set(diagnostics.filter((d) => d.level === "mandatory").map(key))].sort(), [...expected.mandatory].sort(), summary);
                } finally {
                    delete process.env.LAMBDA_PYTHON_PROGRAM_DIR;
                    for (const [k, v] of [
                        ["AWS_REGION", saved.region],
                        ["AWS_DEFAULT_REGION", saved.fallback],
                        ["LAMBDA_PYTHON_CACHE_DIR", saved.cache],
                    ] as const) {
                        if (v === undefined) delete process.env[k];
                        else process.env[k] = v;
                    }
                }
            });
        }
    });

    it("the table a person reads: unknowns shown as '?', one entry per policy per resource", () => {
        const r = cli(["preview", path.join(CORPUS, "unknowns"), "--quiet"], { cwd: elsewhere, env: env() });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^\+\s+computed-arch\s+aws:lambda:Function\s+python3\.12\s+\?\s/m);
        assert.match(r.stdout, /^\+\s+computed-runtime\s+aws:lambda:Function\s+\?\s+x86_64\s.*warn lambda-runtime-deprecation$/m);
    });

    it("a program with several stacks and no --stack is asked which one, as `pulumi stack select` does", () => {
        const r = cli(["preview", path.join(CORPUS, "organization-and-stack"), "--quiet"], { cwd: elsewhere, env: env() });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /this program has several stacks \(Pulumi\.prod\.yaml, Pulumi\.staging\.yaml\); say which to preview with --stack NAME/);
    });

    it("a program that throws (in an async export) fails with its message, its line and no stack trace", () => {
        const dir = tmpDir("throws-");
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: throws\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "package.json"), '{ "name": "throws", "main": "index.js" }\n');
        fs.writeFileSync(path.join(dir, "index.js"), 'module.exports = async () => { throw new Error("no bucket configured"); };\n');
        const r = cli(["preview", dir, "--quiet"], { cwd: elsewhere });
        assert.equal(r.code, 1);
        assert.equal(r.stderr, "lambda-python: the program throws failed:\n  no bucket configured (index.js:1)\n");
    });

    it("reports config that cannot be decrypted offline, and --config problems as usage errors", () => {
        const ok = cli(["preview", path.join(CORPUS, "stack-config"), "--stack", "dev", "--config", "arch=x86_64"], { cwd: elsewhere, env: env() });
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(ok.stderr, /config stack-config:apiToken is encrypted in Pulumi\.dev\.yaml; the preview uses the placeholder/);
        const bad = cli(["preview", path.join(CORPUS, "stack-config"), "--config", "novalue"], { cwd: elsewhere });
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--config takes key=value/);
        const missing = cli(["preview", path.join(CORPUS, "stack-config"), "--stack", "test", "--quiet"], { cwd: elsewhere, env: env() });
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /the program stack-config failed:\n\s+Missing required configuration variable 'stack-config:runtime'/);
    });
});
