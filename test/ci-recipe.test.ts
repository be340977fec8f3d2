// docs/ci.md: the GitHub Actions workflow users copy is valid YAML, every `lambda-python` command
// and option it runs exists in the CLI (each command's --help), and the paths it takes from the
// installed package are in the package. The workflow is not run on GitHub here; its parts are:
// the offline preview and the pack (preview tests), the pack from the installed package
// (install-paths.test.ts).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { cli, ROOT } from "./helpers";

// js-yaml is a dependency (Pulumi.yaml and stack files); it ships no types, as preview/project.ts reads it.
const yaml = require("js-yaml") as { load(text: string): unknown };

const DOC = path.join(ROOT, "docs", "ci.md");

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
}
interface Workflow {
    name: string;
    on: unknown;
    jobs: Record<string, { name?: string; "runs-on": string; needs?: string; steps: Step[] }>;
}

/** The ```yaml blocks of a Markdown file. */
function yamlBlocks(markdown: string): string[] {
    return [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/** Each `lambda-python <command> …` a shell script runs: the command and its --options, up to the end of the line or a pipe/redirect/&&. */
function lambdaPythonCalls(script: string): { command: string; options: string[]; line: string }[] {
    const calls = [];
    for (const line of script.split("\n")) {
        for (const m of line.matchAll(/(?:^|\s)lambda-python\s+([^|&;>]*)/g)) {
            const words = m[1].trim().split(/\s+/);
            calls.push({ command: words[0], options: words.filter((w) => w.startsWith("--")).map((w) => w.split("=")[0]), line: line.trim() });
        }
    }
    return calls;
}

const helpCache = new Map<string, string>();
function help(command?: string): string {
    const key = command ?? "";
    if (!helpCache.has(key)) {
        const r = cli(command ? [command, "--help"] : ["--help"]);
        assert.equal(r.code, 0, r.stderr);
        helpCache.set(key, r.stdout);
    }
    return helpCache.get(key)!;
}

/** What is wrong with the lambda-python calls of a workflow, for people: unknown commands and options. */
function problems(workflow: Workflow): string[] {
    const out: string[] = [];
    const commands = [...help().matchAll(/^\s+lambda-python (\w[\w-]*)/gm)].map((m) => m[1]);
    for (const job of Object.values(workflow.jobs)) {
        for (const step of job.steps) {
            for (const call of lambdaPythonCalls(step.run ?? "")) {
                if (!commands.includes(call.command)) {
                    out.push(`"${call.line}": lambda-python has no command "${call.command}" (it has ${commands.join(", ")})`);
                    continue;
                }
                const text = help(call.command);
                for (const option of call.options) if (!new RegExp(`(^|[\\s\\[])${option}(?![\\w-])`, "m").test(text)) out.push(`"${call.line}": lambda-python ${call.command} has no option ${option}`);
            }
        }
    }
    return out;
}

describe("docs/ci.md: the CI recipe", () => {
    const markdown = fs.readFileSync(DOC, "utf8");
    const blocks = yamlBlocks(markdown);
    let workflow: Workflow;

    it("holds one workflow, valid YAML, whose jobs each run on a runner and have steps", () => {
        assert.equal(blocks.length, 1, "one ```yaml block");
        workflow = yaml.load(blocks[0]) as Workflow;
        assert.ok(workflow.on, "a trigger");
        for (const [id, job] of Object.entries(workflow.jobs)) {
            assert.ok(job["runs-on"], `${id}: runs-on`);
            assert.ok(job.steps.length > 0, `${id}: steps`);
            for (const step of job.steps) assert.ok(step.uses || step.run, `${id}: a step with neither uses nor run: ${JSON.stringify(step)}`);
        }
    });

    it("builds with caches (npm's and lambda-python's), previews offline as the required check, then runs pulumi preview --policy-pack", () => {
        const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
        assert.ok(steps.some((s) => s.uses?.startsWith("actions/setup-node@") && s.with?.cache === "npm"));
        assert.ok(steps.some((s) => s.uses?.startsWith("actions/cache@") && String(s.with?.path).includes(".cache/lambda-python")));
        const check = Object.values(workflow.jobs).find((j) => j.steps.some((s) => lambdaPythonCalls(s.run ?? "").some((c) => c.command === "preview")));
        assert.ok(check, "a job runs lambda-python preview");
        assert.ok(markdown.includes(`\`${check.name}\``), `the text names the job to make a required check (${check.name})`);
        const real = steps.find((s) => /\bpulumi preview\b.*--policy-pack\s+\S+/.test(s.run ?? ""));
        assert.ok(real, "a step runs pulumi preview --policy-pack");
    });

    it("uses only lambda-python commands and options the CLI has", () => {
        assert.deepEqual(problems(workflow), []);
        assert.ok(Object.values(workflow.jobs).some((j) => j.steps.some((s) => lambdaPythonCalls(s.run ?? "").length > 0)));
    });

    it("would catch a command or option the CLI does not have", () => {
        const wrong: Workflow = { name: "x", on: "push", jobs: { a: { "runs-on": "ubuntu-24.04", steps: [{ run: "npx lambda-python preview . --no-such-option p.json\nnpx lambda-python deploy ." }] } } };
        const found = problems(wrong);
        assert.equal(found.length, 2, found.join("\n"));
        assert.match(found[0], /lambda-python preview has no option --no-such-option/);
        assert.match(found[1], /no command "deploy"/);
    });

    it("takes the policy pack from the installed package, which ships it with its package.json, out of node_modules", () => {
        const files: string[] = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).files;
        const packPaths = [...blocks[0].matchAll(/node_modules\/pulumi-lambda-python\/([\w./-]+)/g)].map((m) => m[1].replace(/\/$/, ""));
        assert.ok(packPaths.length > 0);
        // Pulumi's TypeScript pack loader cannot run a pack under node_modules on Node 24 (install-paths.test.ts).
        for (const run of Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ""))) assert.doesNotMatch(run, /--policy-pack\s+\S*node_modules\//, run);
        for (const p of packPaths) {
            assert.ok(files.includes(`${p}/package.json`) && files.includes(`${p}/PulumiPolicy.yaml`), `${p}: package.json "files" does not ship a policy pack there`);
        }
    });
});
