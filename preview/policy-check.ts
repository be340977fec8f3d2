// The policy pack's verdicts on a previewed program, as `pulumi preview
// --policy-pack` gives them: every custom resource through the pack's
// per-resource entry point, then the stack through its stack entry point
// (analyze.ts), and the archive sizes the preview's table shows. Runs in the
// program's process (program-host.ts), where the builds left the facts of the
// archives they wrote, so the pack does not read them again; for a Python or
// Go program (grpc-host.ts) the provider plugin built them, in its own
// process, and the build cache's records vouch for them instead.
import * as fs from "fs";
import * as path from "path";
import { cachedArchiveFacts } from "../builder/archive-cache";
import { factsRemembered, rememberFacts } from "../policies/inspect";
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
    // The local archives of functions, layers and S3 objects, by URN.
    const archives = new Map<string, string>();
    for (const r of custom.filter((x) => SIZED.has(x.type))) {
        const full = localArchive(r, programDir);
        if (!full) continue;
        archives.set(r.urn, full);
        // Without this, the pack verified every entry of each of them again: 3.8 s of a 50-function Python program's 8.4 s no-change preview.
        const facts = factsRemembered(full) ? undefined : cachedArchiveFacts(full);
        if (facts) rememberFacts(full, facts);
    }
    const policies = config ? configurePolicies(lambdaPolicies, config) : lambdaPolicies;
    const diagnostics = await analyzeAll(
        custom.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.wire, parent: r.parent, propertyDependencies: r.propertyDependencies })),
        policies,
    );
    const sizes: Analysis["sizes"] = {};
    for (const [urn, full] of archives) {
        const { zippedBytes, unzippedBytes } = inspectCached(full).facts;
        if (zippedBytes !== undefined && unzippedBytes !== undefined) sizes[urn] = { zippedBytes, unzippedBytes };
    }
    return { diagnostics, sizes };
}

/** The local file of a function's, layer's or S3 object's archive, when there is one. */
function localArchive(r: RecordedResource, programDir: string): string | undefined {
    const file = archivePath(r.wire.code) ?? archivePath(r.wire.source);
    const full = file && path.resolve(programDir, file);
    return full && fs.existsSync(full) ? full : undefined;
}

function archivePath(v: unknown): string | undefined {
    return v && typeof v === "object" && typeof (v as { path?: unknown }).path === "string" ? (v as { path: string }).path : undefined;
}
