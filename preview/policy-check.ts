// The policy pack's verdicts on a previewed program, as `pulumi preview
// --policy-pack` gives them: every custom resource through the pack's
// per-resource entry point, then the stack through its stack entry point
// (analyze.ts), and the archive sizes the preview's table shows. Runs in the
// program's process (program-host.ts), where the builds left the facts of the
// archives they wrote, so the pack does not read them again.
import * as fs from "fs";
import * as path from "path";
import { inspectCached } from "../policies/pack/code";
import { lambdaPolicies } from "../policies/pack/policies";
import { analyzeAll, Diagnostic } from "./analyze";
import { configurePolicies, PolicyPackConfig } from "./policy-config";
import { RecordedResource } from "./records";

export interface Analysis {
    diagnostics: Diagnostic[];
    /** Sizes of the local archives of functions, layers and S3 objects, by URN. */
    sizes: Record<string, { zippedBytes: number; unzippedBytes: number }>;
}

const SIZED = new Set(["aws:lambda/function:Function", "aws:lambda/layerVersion:LayerVersion", "aws:s3/bucketObjectv2:BucketObjectv2"]);

export async function checkWithPack(resources: RecordedResource[], programDir: string, config?: PolicyPackConfig): Promise<Analysis> {
    // The pack finds relative archive paths through this variable, as it would through its programDir config.
    process.env.LAMBDA_PYTHON_PROGRAM_DIR = programDir;
    const custom = resources.filter((r) => r.custom);
    const policies = config ? configurePolicies(lambdaPolicies, config) : lambdaPolicies;
    const diagnostics = await analyzeAll(
        custom.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.wire, parent: r.parent, propertyDependencies: r.propertyDependencies })),
        policies,
    );
    const sizes: Analysis["sizes"] = {};
    for (const r of custom.filter((x) => SIZED.has(x.type))) {
        const file = archivePath(r.wire.code) ?? archivePath(r.wire.source);
        const full = file && path.resolve(programDir, file);
        if (full && fs.existsSync(full)) {
            const { zippedBytes, unzippedBytes } = inspectCached(full).facts;
            if (zippedBytes !== undefined && unzippedBytes !== undefined) sizes[r.urn] = { zippedBytes, unzippedBytes };
        }
    }
    return { diagnostics, sizes };
}

function archivePath(v: unknown): string | undefined {
    return v && typeof v === "object" && typeof (v as { path?: unknown }).path === "string" ? (v as { path: string }).path : undefined;
}
