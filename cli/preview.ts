// lambda-python preview: a Pulumi program's preview without the cloud or the
// Pulumi CLI. The program runs in a child process under the SDK's mock
// monitor answering as the engine does during a preview, archives are built
// for real, every resource goes through the policy pack's analyzer entry
// points, and a table like `pulumi preview`'s is printed.
import { enableCompileCache } from "module";
import * as path from "path";
import { UserError } from "../shared/errors";
import type { Diagnostic } from "../preview/analyze";
import type { Analysis } from "../preview/policy-check";
import type { Invocation } from "../preview/invoke-all";
import type { PolicyPackConfig } from "../preview/policy-config";
import { RecordedResource } from "../preview/records";
import { FailedRun, runProgram } from "../preview/program";
import { ANSWERS_FILE } from "../preview/data-sources";
import { UNKNOWN } from "../preview/wire";
import { formatMB } from "../policies/rules/format";
import { namedValues, Options, parse, progressPrinter } from "./args";
import { previewUsage } from "./usage";
import { REMOTE_CACHE_ENV, remoteCacheConfig } from "../builder/remote/config";

const help = `${previewUsage}

Previews a Pulumi program (a folder with Pulumi.yaml; default: the current
one) offline, as \`pulumi preview --policy-pack\` would with this package's
policy pack: runs it as Pulumi's Node.js language host does (TypeScript
through ts-node with the program's tsconfig, CommonJS or ESM, Pulumi.yaml's
main) in a process of its own, under the Pulumi SDK's mock monitor answering
as the engine does in a preview (a new resource's ID and computed outputs are
unknown), builds every archive for real, checks every Lambda resource with
the policy pack (its default config, or --policy-config's) through the
analyzer's entry points, and prints each resource with its runtime,
architecture, sizes and policy results. TypeScript is transpiled only; set PULUMI_NODEJS_TRANSPILE_ONLY=false
to type-check it as the language host does by default. A Python program
(runtime: python) runs as Pulumi's Python language host runs it, on its own
virtualenv (runtime.options.virtualenv, venv/ or .venv/), else on the Pulumi
Python SDK the preview installs once from PyPI. A Go program (runtime: go)
is built with go build (its go.mod's SDK versions) and run as Pulumi's Go
language host runs it.

  --stack NAME         the stack (NAME, ORG/NAME or ORG/PROJECT/NAME); config
                       is read from Pulumi.NAME.yaml (encrypted values get a
                       placeholder). Default: the program's only stack file,
                       else "dev"; the organization defaults to "organization"
  --config key=value   a config value (repeatable; overrides the stack file;
                       a key without "project:" is in the project's namespace)
  --invoke-result TOKEN=FILE
                       the result (a JSON object) a data source answers, e.g.
                       aws:ec2/getAmi:getAmi=ami.json (repeatable). Region,
                       partition, caller identity, availability zones and the
                       default VPC have built-in offline answers; any other
                       lookup stops the preview and says so
  --stack-outputs NAME=FILE
                       the outputs (a JSON object) of the stack a
                       StackReference names, e.g. acme/network/prod=net.json
                       (repeatable); without them they are unknown
  --policy-config FILE the pack's config: the JSON file that
                       \`pulumi preview --policy-pack-config\` takes,
                       { "<policy>": "advisory" | "mandatory" | "disabled" |
                       { "enforcementLevel": …, "<field>": … }, "all": … };
                       checked against the policies' names and fields
  --invoke             then invoke every function the way Lambda runs it, with
                       its events/<function-name>.json ({} without one), and
                       print status, duration and the first line of response
  --profile-init       with --invoke: profile each function's cold start (its
                       import tree, ten slowest imports with their package and
                       size, their share of the init; as invoke --profile-init),
                       one function at a time; in the JSON as invocations[].initProfile
  --json               one JSON object: resources, diagnostics, outputs
  --quiet              no progress lines
  --remote-cache s3://BUCKET/PREFIX
                       a build cache shared by many machines for the
                       program's archives (default $LAMBDA_PYTHON_REMOTE_CACHE;
                       "off": none); see lambda-python build --help

Answers can also be kept in ${ANSWERS_FILE} beside Pulumi.yaml:
{ "invokes": { TOKEN: result }, "stackOutputs": { NAME: outputs } }.

Exit status: 0 clean; 1 a mandatory policy violation, a failed program (as
\`pulumi preview\` would fail it) or a failed invocation; 2 a usage or input
error, or something the offline preview cannot answer without more input.`;

const FUNCTION = "aws:lambda/function:Function";
const LAYER = "aws:lambda/layerVersion:LayerVersion";

export interface PreviewRow {
    resource: string;
    type: string;
    parent?: string;
    runtime?: string;
    architecture?: string;
    zippedBytes?: number;
    unzippedBytes?: number;
    policies: { mandatory: string[]; advisory: string[] };
}

/** preview's options, as parseArgs takes them (--help comes with every command). */
const OPTIONS = {
    json: { type: "boolean" },
    quiet: { type: "boolean" },
    invoke: { type: "boolean" },
    "profile-init": { type: "boolean" },
    stack: { type: "string" },
    config: { type: "string", multiple: true },
    "invoke-result": { type: "string", multiple: true },
    "stack-outputs": { type: "string", multiple: true },
    "policy-config": { type: "string" },
    "remote-cache": { type: "string" },
} satisfies Options;

export async function previewCommand(argv: string[]): Promise<number> {
    const { values: v, positionals } = parse("preview", argv, OPTIONS, previewUsage);
    if (v.help) {
        console.log(help);
        return 0;
    }
    if (positionals.length > 1) throw new UserError(`preview takes one program folder.\nUsage: ${previewUsage}`);
    const profileInit = !!v["profile-init"];
    if (profileInit && !v.invoke) throw new UserError("--profile-init profiles the functions' cold starts, which only --invoke runs: use preview --invoke --profile-init.");
    const dir = path.resolve(positionals[0] ?? ".");
    // The program's components build in its own process, which takes the remote cache from the environment.
    if (v["remote-cache"] !== undefined) {
        remoteCacheConfig(v["remote-cache"]); // a mistake in it is the option's, said now
        process.env[REMOTE_CACHE_ENV] = v["remote-cache"];
    }
    const say = progressPrinter(!!v.quiet);
    const config = namedValues("config", v.config, "takes key=value (e.g. --config aws:region=eu-west-1)");
    const policyConfig = v["policy-config"] === undefined ? undefined : await readPolicyConfigFile(v["policy-config"]);
    // A program loads @pulumi/aws (thousands of modules); V8's code cache on disk spares compiling them again
    // on every preview (about 1 s of a warm `npm start`). Node keeps it valid by the files' contents.
    enableCompileCache();
    say(`running ${dir} under the Pulumi mock monitor`);
    const running = runProgram(dir, {
        stack: v.stack,
        config,
        invokeResults: namedValues("invoke-result", v["invoke-result"]),
        stackOutputs: namedValues("stack-outputs", v["stack-outputs"]),
        quiet: !!v.quiet,
        analyze: true,
        policyConfig,
    });
    const run = await running;
    for (const note of run.notes) say(note);
    if (!run.ok) return failed(run, !!v.json);
    // --invoke (npm start): every function run once. The invokes need only the built archives, so they
    // start now and run while the policy pack checks the resources; their table comes after the preview's.
    const { formatInitProfiles, formatInvocations, invokeAll } = await import("../preview/invoke-all");
    const invoking = v.invoke ? invokeAll(run, say, { profileInit }) : undefined;
    say(`checking ${run.resources.filter((r) => r.custom).length} resources with the lambda-python policy pack`);
    const { diagnostics, sizes } = await run.analysis;
    const rows = inTreeOrder(run.resources).map((r) => row(r, run.resources, diagnostics, sizes[r.urn]));
    const mandatory = diagnostics.filter((d) => d.level === "mandatory");
    let invocations: Invocation[] | undefined;
    if (v.json) {
        invocations = await invoking;
        console.log(JSON.stringify({ project: run.project, stack: run.stack, organization: run.organization, resources: rows, diagnostics, outputs: run.outputs, notes: run.notes, invocations }, null, 2));
    } else {
        console.log(formatTable(run.project, run.stack, rows));
        if (diagnostics.length) {
            console.log("\nPolicy results:");
            for (const d of diagnostics) console.log(`  ${d.level === "mandatory" ? "ERROR  " : "warning"} [${d.policy}] ${nameOf(d.urn)}: ${d.message.split("\n").slice(1).join(" ") || d.message}`);
        }
        console.log(`\n${rows.length} resources; policy violations: ${mandatory.length} mandatory, ${diagnostics.length - mandatory.length} advisory.`);
        if (Object.keys(run.outputs).length) {
            console.log("\nOutputs:");
            for (const [k, val] of Object.entries(run.outputs)) console.log(`  ${k}: ${typeof val === "string" ? val : JSON.stringify(val)}`);
        }
        if (invoking) console.log(`\n${formatInvocations((invocations = await invoking))}`);
        const profiles = formatInitProfiles(invocations ?? []);
        if (profiles) console.log(`\n${profiles}`);
    }
    return mandatory.length || invocations?.some((i) => !i.ok) ? 1 : 0;
}

/**
 * A program that failed, as `pulumi preview` fails it (exit 1), or a lookup the offline preview cannot
 * answer (exit 2: it needs more input). One paragraph per error, and the notes that may explain it.
 */
function failed(run: FailedRun, json: boolean): number {
    if (json) console.log(JSON.stringify({ project: run.project, stack: run.stack, errors: run.errors, notes: run.hint ? [...run.notes, run.hint] : run.notes }, null, 2));
    if (run.offlineLimit) {
        process.stderr.write(`lambda-python: error: the offline preview of ${run.project} stopped: ${run.errors.join("\n  ")}\n`);
        return 2;
    }
    process.stderr.write(`lambda-python: the program ${run.project} failed:\n${run.errors.map((e) => `  ${e}`).join("\n")}\n`);
    if (run.hint) process.stderr.write(`lambda-python: ${run.hint}\n`);
    return 1;
}

/** Components first, each followed by its children, as `pulumi preview` lists them. */
function inTreeOrder(resources: RecordedResource[]): RecordedResource[] {
    const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
    const out: RecordedResource[] = [];
    const visit = (parent: string | undefined) => {
        for (const r of resources.filter((x) => x.parent === parent && x !== stack)) {
            out.push(r);
            visit(r.urn);
        }
    };
    visit(stack?.urn);
    for (const r of resources) if (r !== stack && !out.includes(r)) out.push(r);
    return out;
}

function nameOf(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

/** A wire value for the table: unknowns (whole or in a list) shown as "?", never a crash. */
function shown(value: unknown, fallback = ""): string {
    if (value === undefined || value === null) return fallback;
    if (value === UNKNOWN) return "?";
    if (Array.isArray(value)) return value.length ? value.map((x) => shown(x)).join(",") : fallback;
    return typeof value === "string" ? value : "?";
}

function row(r: RecordedResource, all: RecordedResource[], diagnostics: Diagnostic[], size: Analysis["sizes"][string] | undefined): PreviewRow {
    const out: PreviewRow = { resource: r.name, type: r.type, parent: all.find((p) => p.urn === r.parent && p.type !== "pulumi:pulumi:Stack")?.name, policies: { mandatory: [], advisory: [] } };
    for (const d of diagnostics.filter((x) => x.urn === r.urn)) {
        const list = d.level === "mandatory" ? out.policies.mandatory : out.policies.advisory;
        if (!list.includes(d.policy)) list.push(d.policy);
    }
    if (r.type === FUNCTION) {
        out.runtime = shown(r.wire.runtime, r.wire.packageType === "Image" ? "image" : "");
        out.architecture = shown(r.wire.architectures, "x86_64");
    } else if (r.type === LAYER) {
        out.runtime = shown(r.wire.compatibleRuntimes);
        out.architecture = shown(r.wire.compatibleArchitectures);
    }
    if (size) {
        out.zippedBytes = size.zippedBytes;
        out.unzippedBytes = size.unzippedBytes;
    }
    return out;
}

function formatTable(project: string, stack: string, rows: PreviewRow[]): string {
    const header = ["", "resource", "type", "runtime", "arch", "zipped", "unzipped", "policies"];
    const body = rows.map((r) => [
        "+",
        r.parent ? `  ${r.resource}` : r.resource,
        r.type.replace(/^aws:([a-z0-9]+)\/[a-zA-Z0-9]+:/, "aws:$1:"),
        r.runtime ?? "",
        r.architecture ?? "",
        r.zippedBytes === undefined ? "" : formatMB(r.zippedBytes),
        r.unzippedBytes === undefined ? "" : formatMB(r.unzippedBytes),
        [...r.policies.mandatory.map((p) => `ERROR ${p}`), ...r.policies.advisory.map((p) => `warn ${p}`)].join("; ") || (r.type === FUNCTION || r.type === LAYER ? "ok" : ""),
    ]);
    const widths = header.map((_, i) => Math.max(header[i].length, ...body.map((b) => b[i].length)));
    const line = (cells: string[]) =>
        cells
            .map((c, i) => c.padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    return [`Previewing ${project} (stack ${stack}; offline: Pulumi mock monitor, real archives, lambda-python policy pack)`, "", line(header), ...body.map(line)].join("\n");
}

/** --policy-config FILE, checked against the pack's policies (loaded only when a file is given). */
async function readPolicyConfigFile(file: string): Promise<PolicyPackConfig> {
    const [{ lambdaPolicies }, { readPolicyConfig }] = await Promise.all([import("../policies/pack/policies"), import("../preview/policy-config")]);
    return readPolicyConfig(path.resolve(file), lambdaPolicies);
}
