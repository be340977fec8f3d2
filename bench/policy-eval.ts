// Child process of bench/policies.ts: evaluates every policy of the pack,
// cold, and prints the time the work took and the peak memory above the
// process baseline (after imports). Two stacks:
//   policy-eval.ts FN.zip LAYER-A.zip LAYER-B.zip   one function with two big layers
//   policy-eval.ts --stack DIR                      DIR/manifest.json: 200 functions in six languages
import * as fs from "fs";
import { analyzeAll, AnalyzedResource } from "../preview/analyze";

const SIG = "4dabf18193072939515e22adb298388d";
const archive = (path: string) => ({ [SIG]: "0def7320c3a5731c473e5ecbe6d01bc7", path });
const urn = (t: string, n: string) => `urn:pulumi:bench::lambda::${t}::${n}`;
const LAYER = "aws:lambda/layerVersion:LayerVersion";
const FUNCTION = "aws:lambda/function:Function";
const URL = "aws:lambda/functionUrl:FunctionUrl";
const PERMISSION = "aws:lambda/permission:Permission";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function bigLayersStack(fnZip: string, layerA: string, layerB: string): AnalyzedResource[] {
    return [
        { type: LAYER, name: "layer-a", urn: urn(LAYER, "layer-a"), props: { code: archive(layerA), compatibleRuntimes: ["python3.12"], compatibleArchitectures: ["x86_64"] } },
        { type: LAYER, name: "layer-b", urn: urn(LAYER, "layer-b"), props: { code: archive(layerB), compatibleRuntimes: ["python3.12"], compatibleArchitectures: ["x86_64"] } },
        {
            type: FUNCTION,
            name: "api",
            urn: urn(FUNCTION, "api"),
            props: { code: archive(fnZip), handler: "lambda_function.lambda_handler", runtime: "python3.12", architectures: ["x86_64"], layers: [UNKNOWN, UNKNOWN] },
            propertyDependencies: { layers: [urn(LAYER, "layer-a"), urn(LAYER, "layer-b")] },
        },
    ];
}

interface ManifestRow {
    name: string;
    path: string;
    runtime: string;
    handler: string;
    arch: string;
    url: boolean;
    permission: boolean;
}

function mixedStack(dir: string): AnalyzedResource[] {
    const rows: ManifestRow[] = JSON.parse(fs.readFileSync(`${dir}/manifest.json`, "utf8"));
    const out: AnalyzedResource[] = [];
    for (const r of rows) {
        const fn = urn(FUNCTION, r.name);
        out.push({
            type: FUNCTION,
            name: r.name,
            urn: fn,
            props: {
                code: archive(r.path),
                runtime: r.runtime,
                handler: r.handler,
                architectures: [r.arch],
                role: "arn:aws:iam::123456789012:role/lambda",
                environment: { variables: { TABLE_NAME: `orders-${r.name}`, LOG_LEVEL: "info", DB_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db" } },
            },
        });
        if (r.url) out.push({ type: URL, name: `${r.name}-url`, urn: urn(URL, `${r.name}-url`), props: { functionName: UNKNOWN, authorizationType: "AWS_IAM" }, propertyDependencies: { functionName: [fn] } });
        if (r.permission) out.push({ type: PERMISSION, name: `${r.name}-s3`, urn: urn(PERMISSION, `${r.name}-s3`), props: { action: "lambda:InvokeFunction", function: UNKNOWN, principal: "s3.amazonaws.com", sourceArn: "arn:aws:s3:::uploads" } });
    }
    return out;
}

/** Peak RSS of this process (VmHWM: unlike getrusage's maxrss, it does not inherit the parent's peak across exec). */
const peakRss = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"))![1]) * 1024;

(async () => {
    const args = process.argv.slice(2);
    const resources = args[0] === "--stack" ? mixedStack(args[1]) : bigLayersStack(args[0], args[1], args[2]);
    if (global.gc) global.gc();
    // Start the high-water mark here, not at the peak of loading modules.
    fs.writeFileSync("/proc/self/clear_refs", "5");
    const baseline = process.memoryUsage().rss;
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const diags = await analyzeAll(resources);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // CPU time of this process: what the work costs, whatever else shares the cores.
    const cpu = process.cpuUsage(c0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const peak = peakRss();
    const t1 = process.hrtime.bigint();
    await analyzeAll(resources);
    const warmMs = Number(process.hrtime.bigint() - t1) / 1e6;
    console.log(JSON.stringify({ ms, cpuMs, warmMs, peakAboveBaseline: peak - baseline, resources: resources.length, diagnostics: diags.map((d) => `${d.policy}/${d.level}`) }));
})();
