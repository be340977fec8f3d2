// Child process of bench/policies.ts: evaluates every policy of the pack on
// a stack of one function and two layers, cold, and prints the time the work
// took and the peak memory above the process baseline (after imports).
import * as fs from "fs";
import { analyzeAll, AnalyzedResource } from "../components/preview/analyze";

const [fnZip, layerA, layerB] = process.argv.slice(2);
const SIG = "4dabf18193072939515e22adb298388d";
const archive = (path: string) => ({ [SIG]: "0def7320c3a5731c473e5ecbe6d01bc7", path });
const urn = (t: string, n: string) => `urn:pulumi:bench::lambda::${t}::${n}`;
const LAYER = "aws:lambda/layerVersion:LayerVersion";
const FUNCTION = "aws:lambda/function:Function";

const resources: AnalyzedResource[] = [
    { type: LAYER, name: "layer-a", urn: urn(LAYER, "layer-a"), props: { code: archive(layerA), compatibleRuntimes: ["python3.12"], compatibleArchitectures: ["x86_64"] } },
    { type: LAYER, name: "layer-b", urn: urn(LAYER, "layer-b"), props: { code: archive(layerB), compatibleRuntimes: ["python3.12"], compatibleArchitectures: ["x86_64"] } },
    {
        type: FUNCTION,
        name: "api",
        urn: urn(FUNCTION, "api"),
        props: { code: archive(fnZip), handler: "lambda_function.lambda_handler", runtime: "python3.12", architectures: ["x86_64"], layers: ["04da6b54-80e4-46f7-96ec-b56ff0331ba9", "04da6b54-80e4-46f7-96ec-b56ff0331ba9"] },
        propertyDependencies: { layers: [urn(LAYER, "layer-a"), urn(LAYER, "layer-b")] },
    },
];

/** Peak RSS of this process (VmHWM: unlike getrusage's maxrss, it does not inherit the parent's peak across exec). */
const peakRss = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"))![1]) * 1024;

(async () => {
    if (global.gc) global.gc();
    // Start the high-water mark here, not at the peak of loading modules.
    fs.writeFileSync("/proc/self/clear_refs", "5");
    const baseline = process.memoryUsage().rss;
    const t0 = process.hrtime.bigint();
    const diags = await analyzeAll(resources);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const peak = peakRss();
    const t1 = process.hrtime.bigint();
    await analyzeAll(resources);
    const warmMs = Number(process.hrtime.bigint() - t1) / 1e6;
    console.log(JSON.stringify({ ms, warmMs, peakAboveBaseline: peak - baseline, diagnostics: diags.map((d) => `${d.policy}/${d.level}`) }));
})();
