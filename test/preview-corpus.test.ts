// A corpus of programs written the ways public Pulumi programs are
// (test/fixtures/programs/*): CallbackFunction closures, multi-language
// stacks (Go, Java, .NET, Node.js, Python), container images, S3 code,
// layers by literal ARN, resources passed as inputs, async and ESM entry
// points, stack config, unknowns. Each is run as a user runs it — the
// `lambda-python preview` CLI, started from another folder — and its
// verdicts compared with the program's expected.json. The preview feeds
// the policy pack through @pulumi/policy's analyzer entry points.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cli, ROOT, SHARED_CACHE, tmpDir } from "./helpers";

const PROGRAMS = path.join(ROOT, "test", "fixtures", "programs");

interface Expected {
    args?: string[];
    exitCode: number;
    functions?: Record<string, { runtime?: string; architecture?: string }>;
    /** "policy:resource" of every mandatory finding, exactly. */
    mandatory: string[];
    messages?: Record<string, string>;
    notInMessages?: string[];
    advisoriesExactly?: Record<string, string[]>;
    advisoriesInclude?: Record<string, string[]>;
    outputs?: string[];
    outputValues?: Record<string, unknown>;
}

interface Report {
    resources: { resource: string; type: string; runtime?: string; architecture?: string; policies: { mandatory: string[]; advisory: string[] } }[];
    diagnostics: { policy: string; level: string; message: string; urn: string }[];
    outputs: Record<string, unknown>;
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

describe("preview on a corpus of programs (the CLI, started from another folder)", () => {
    const programs = fs
        .readdirSync(PROGRAMS)
        .filter((p) => fs.existsSync(path.join(PROGRAMS, p, "expected.json")))
        .sort();
    let elsewhere: string;
    before(() => (elsewhere = tmpDir("elsewhere-")));

    it("has the programs the issue asks for", () => {
        assert.deepEqual(programs, ["callback-node", "container-and-s3", "esm-mjs", "esm-program", "multi-language", "org-rules", "stack-config", "unknowns"]);
    });

    for (const name of fs
        .readdirSync(PROGRAMS)
        .filter((p) => fs.existsSync(path.join(PROGRAMS, p, "expected.json")))
        .sort()) {
        const expected: Expected = JSON.parse(fs.readFileSync(path.join(PROGRAMS, name, "expected.json"), "utf8"));
        it(`${name}: ${(expected as { note?: string }).note ?? ""}`, () => {
            const args = ["preview", path.relative(elsewhere, path.join(PROGRAMS, name)), "--json", "--quiet", ...(expected.args ?? [])];
            if (name === "multi-language") args.push("--config", `goBuild=${goBuild()}`);
            const r = cli(args, { cwd: elsewhere, env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE } });
            assert.equal(r.code, expected.exitCode, `exit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout.slice(0, 3000)}`);
            const report: Report = JSON.parse(r.stdout);
            const summary = report.diagnostics.map((d) => `${d.level} ${key(d)}: ${d.message}`).join("\n");

            assert.deepEqual([...new Set(report.diagnostics.filter((d) => d.level === "mandatory").map(key))].sort(), [...expected.mandatory].sort(), summary);
            for (const [fn, want] of Object.entries(expected.functions ?? {})) {
                const row = report.resources.find((x) => x.resource === fn && x.type === "aws:lambda/function:Function");
                assert.ok(row, `no function ${fn} in the preview`);
                if (want.runtime) assert.equal(row.runtime, want.runtime, fn);
                if (want.architecture) assert.equal(row.architecture, want.architecture, fn);
            }
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
            for (const [o, v] of Object.entries(expected.outputValues ?? {})) assert.deepEqual(report.outputs[o], v);
        });
    }

    it("the table a person reads: unknowns shown as '?', one entry per policy per resource", () => {
        const r = cli(["preview", path.join(PROGRAMS, "unknowns"), "--quiet"], { cwd: elsewhere, env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE } });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^\+\s+computed-arch\s+aws:lambda:Function\s+python3\.12\s+\?\s/m);
        assert.match(r.stdout, /^\+\s+computed-runtime\s+aws:lambda:Function\s+\?\s+x86_64\s.*warn lambda-runtime-deprecation$/m);
    });

    it("a program that throws (in an async export) fails with its message and no stack trace", () => {
        const dir = tmpDir("throws-");
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: throws\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "index.js"), 'module.exports = async () => { throw new Error("no bucket configured"); };\n');
        const r = cli(["preview", dir, "--quiet"], { cwd: elsewhere });
        assert.equal(r.code, 1);
        assert.equal(r.stderr, "lambda-python: the program throws failed:\n  no bucket configured\n");
    });

    it("reports config that cannot be decrypted offline, and --config problems as usage errors", () => {
        const ok = cli(["preview", path.join(PROGRAMS, "stack-config"), "--stack", "dev", "--config", "arch=x86_64"], { cwd: elsewhere, env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE } });
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(ok.stderr, /config stack-config:apiToken is encrypted in Pulumi\.dev\.yaml; the preview uses the placeholder/);
        const bad = cli(["preview", path.join(PROGRAMS, "stack-config"), "--config", "novalue"], { cwd: elsewhere });
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--config takes key=value/);
        const missing = cli(["preview", path.join(PROGRAMS, "stack-config"), "--quiet"], { cwd: elsewhere, env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE } });
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /the program stack-config failed:\n\s+Missing required configuration variable 'stack-config:runtime'/);
    });
});
