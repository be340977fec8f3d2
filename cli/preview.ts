// lambda-python preview: a Pulumi program's preview without the cloud or the
// Pulumi CLI. The program runs under the SDK's mock monitor, archives are
// built for real, every resource goes through the policy pack's analyzer
// entry points, and a table like `pulumi preview`'s is printed.
import * as fs from "fs";
import { enableCompileCache } from "module";
import * as path from "path";
import { UserError } from "../shared/errors";
import { analyzeAll, Diagnostic } from "../preview/analyze";
import { formatInvocations, Invocation, invokeAll } from "../preview/invoke-all";
import { RecordedResource } from "../preview/mock-stack";
import { runProgram } from "../preview/program";
import { onBuildProgress, resetSharedBuilds } from "../components/shared-build";
import { inspectCached } from "../policies/pack/code";
import { formatMB } from "../policies/rules/format";
import { parse, progressPrinter } from "./args";
import { previewUsage } from "./usage";

const help = `${previewUsage}

Previews a Pulumi program (a folder with Pulumi.yaml; default: the current
one) offline: runs it under the Pulumi SDK's mock monitor, builds every
archive for real, checks every Lambda resource with the lambda-python policy
pack (its default config) through the analyzer's entry points, and prints
each resource with its runtime, architecture, sizes and policy results.
Any Node.js program runs: TypeScript or JavaScript, CommonJS or ESM, with
an exported (async) function or plain exports.

  --stack NAME         stack name; config is read from Pulumi.NAME.yaml
                       (encrypted values get a placeholder)
  --config key=value   a config value (repeatable; overrides the stack file;
                       a key without "project:" is in the project's namespace)
  --invoke             then invoke every function the way Lambda runs it, with
                       its events/<function-name>.json ({} without one), and
                       print status, duration and the first line of response
  --json               one JSON object: resources, diagnostics, outputs
  --quiet              no progress lines

Exit status: 0 clean, 1 a mandatory policy violation, a failed program or a failed invocation,
2 a usage or input error.`;

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

export async function previewCommand(argv: string[]): Promise<number> {
    const { values: v, positionals } = parse("preview", argv, { json: { type: "boolean" }, quiet: { type: "boolean" }, invoke: { type: "boolean" }, stack: { type: "string" }, config: { type: "string", multiple: true } }, previewUsage);
    if (v.help) {
        console.log(help);
        return 0;
    }
    if (positionals.length > 1) throw new UserError(`preview takes one program folder.\nUsage: ${previewUsage}`);
    const dir = path.resolve(positionals[0] ?? ".");
    const say = progressPrinter(!!v.quiet);
    onBuildProgress(say);
    const config = configPairs((v.config as string[] | undefined) ?? []);
    const stack = v.stack as string | undefined;
    if (stack !== undefined && !/^[A-Za-z0-9_.\-/]+$/.test(stack)) throw new UserError(`--stack takes a stack name (letters, digits, _ . - /); got "${stack}".`);
    // A program loads @pulumi/aws (thousands of modules); V8's code cache on disk spares compiling them again
    // on every preview (about 1 s of a warm `npm start`). Node keeps it valid by the files' contents.
    enableCompileCache();
    say(`running ${dir} under the Pulumi mock monitor`);
    // The builds' results stay in the archives the resources name; holding them past the run would only keep memory.
    const run = await runProgram(dir, { stack, config }).finally(resetSharedBuilds);
    for (const note of run.notes) say(note);
    if (run.errors.length) {
        if (v.json) console.log(JSON.stringify({ project: run.project, errors: run.errors }, null, 2));
        process.stderr.write(`lambda-python: the program ${run.project} failed:\n${run.errors.map((e) => `  ${e}`).join("\n")}\n`);
        return 1;
    }
    // --invoke (npm start): every function run once. The invokes need only the built archives, so they
    // start now and run while the policy pack checks the resources; their table comes after the preview's.
    const invoking = v.invoke ? invokeAll(run, say) : undefined;
    const custom = run.resources.filter((r) => r.custom);
    say(`checking ${custom.length} resources with the lambda-python policy pack`);
    // The pack finds relative archive paths through this variable, as it would through its programDir config.
    const previousDir = process.env.LAMBDA_PYTHON_PROGRAM_DIR;
    process.env.LAMBDA_PYTHON_PROGRAM_DIR = run.programDir;
    let diagnostics: Diagnostic[];
    try {
        diagnostics = await analyzeAll(custom.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.wire, parent: r.parent, propertyDependencies: r.propertyDependencies })));
    } finally {
        if (previousDir === undefined) delete process.env.LAMBDA_PYTHON_PROGRAM_DIR;
        else process.env.LAMBDA_PYTHON_PROGRAM_DIR = previousDir;
    }
    const rows = inTreeOrder(run.resources).map((r) => row(r, run.resources, diagnostics, run.programDir));
    const mandatory = diagnostics.filter((d) => d.level === "mandatory");
    let invocations: Invocation[] | undefined;
    if (v.json) {
        invocations = await invoking;
        console.log(JSON.stringify({ project: run.project, resources: rows, diagnostics, outputs: run.outputs, invocations }, null, 2));
    } else {
        console.log(formatTable(run.project, rows));
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
    }
    return mandatory.length || invocations?.some((i) => !i.ok) ? 1 : 0;
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

/** "key=value" pairs from --config. */
function configPairs(pairs: string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const pair of pairs) {
        const eq = pair.indexOf("=");
        if (eq <= 0) throw new UserError(`--config takes key=value (e.g. --config aws:region=eu-west-1); got "${pair}".`);
        out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return out;
}

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A wire value for the table: unknowns (whole or in a list) shown as "?", never a crash. */
function shown(value: unknown, fallback = ""): string {
    if (value === undefined || value === null) return fallback;
    if (value === UNKNOWN) return "?";
    if (Array.isArray(value)) return value.length ? value.map((x) => shown(x)).join(",") : fallback;
    return typeof value === "string" ? value : "?";
}

function row(r: RecordedResource, all: RecordedResource[], diagnostics: Diagnostic[], programDir: string): PreviewRow {
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
    const pathOf = (v: unknown) => (v && typeof v === "object" && typeof (v as { path?: unknown }).path === "string" ? (v as { path: string }).path : undefined);
    const archive = pathOf(r.wire.code) ?? pathOf(r.wire.source);
    const file = archive && path.resolve(programDir, archive);
    if ((r.type === FUNCTION || r.type === LAYER || r.type === "aws:s3/bucketObjectv2:BucketObjectv2") && file && fs.existsSync(file)) {
        const facts = inspectCached(file).facts;
        out.zippedBytes = facts.zippedBytes;
        out.unzippedBytes = facts.unzippedBytes;
    }
    return out;
}

function formatTable(project: string, rows: PreviewRow[]): string {
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
    return [`Previewing ${project} (offline: Pulumi mock monitor, real archives, lambda-python policy pack)`, "", line(header), ...body.map(line)].join("\n");
}
