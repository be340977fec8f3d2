// lambda-partial-boto3: bundling parts of the AWS SDK (botocore, s3transfer,
// urllib3) without boto3 makes the runtime's own boto3 import them, a
// version mix that breaks when either side is updated. Bundle boto3 too, or
// none of it.
//
// The mix happens only when the runtime's SDK is actually loaded: a function
// whose own code imports boto3 (or botocore/s3transfer it does not bundle).
// urllib3 bundled for requests, in a function that never touches the SDK, is
// harmless, so it is not reported. A layer cannot know its functions' code:
// it is reported when it bundles SDK parts proper (botocore, s3transfer), or
// when its own code imports the runtime's SDK.
import { ArchiveFacts, InspectedArchive } from "../inspect/facts";
import { ArchiveKind, finding, Finding } from "./types";

export interface PartialBoto3Config {
    /** Top-level packages that must not be bundled without boto3. */
    packages: string[];
}

export const partialBoto3Defaults: PartialBoto3Config = { packages: ["botocore", "s3transfer", "urllib3"] };

export const partialBoto3Schema = {
    packages: { type: "array", items: { type: "string" }, default: partialBoto3Defaults.packages, description: "Packages that shadow the runtime's SDK dependencies when bundled without boto3." },
};

/** Top-level importable names of an archive, as seen from sys.path. */
function topLevelPackages(facts: ArchiveFacts, kind: ArchiveKind): Set<string> {
    const roots = kind === "function" ? [/^/] : [/^python\//, /^python\/lib\/python\d+\.\d+\/site-packages\//];
    const out = new Set<string>();
    for (const f of facts.files) {
        for (const root of roots) {
            const m = root.exec(f.name);
            if (!m) continue;
            const rest = f.name.slice(m[0].length);
            const slash = rest.indexOf("/");
            if (slash > 0) out.add(rest.slice(0, slash));
            else if (rest.endsWith(".py")) out.add(rest.slice(0, -3));
        }
    }
    return out;
}

/** The AWS SDK modules every Python runtime provides. */
const RUNTIME_SDK = ["boto3", "botocore", "s3transfer"];
/** Bounds on the source read to find an import: the function's own modules, not its dependencies. */
const MAX_SCANNED = 300;
const MAX_SOURCE_BYTES = 512 * 1024;

export function checkPartialBoto3(archive: InspectedArchive, kind: ArchiveKind, config: PartialBoto3Config = partialBoto3Defaults): Finding[] {
    const { facts } = archive;
    const top = topLevelPackages(facts, kind);
    if (top.has("boto3")) return [];
    const partial = config.packages.filter((p) => top.has(p));
    if (!partial.length) return [];
    const fromRuntime = RUNTIME_SDK.filter((m) => !top.has(m));
    const importer = importerOf(archive, kind, fromRuntime);
    const sdkParts = partial.filter((p) => RUNTIME_SDK.includes(p));
    if (!importer && !(kind === "layer" && sdkParts.length)) return [];
    const why = importer
        ? `${importer.file} imports ${importer.module}, which then comes from the runtime and loads your copy of ${partial.join(", ")} instead of the one it was tested with`
        : `a function that uses this layer and imports boto3 gets the runtime's boto3 with your copy of ${partial.join(", ")}`;
    return [
        finding(
            "lambda-partial-boto3",
            "advisory",
            `${facts.label} bundles ${partial.join(", ")} without boto3: ${why}, which breaks when AWS updates the runtime's SDK. Add boto3 to your requirements so the whole SDK comes from your package, or leave these out.`,
        ),
    ];
}

/** The first of the archive's own modules (not an installed distribution's) that imports one of `modules`. */
function importerOf(archive: InspectedArchive, kind: ArchiveKind, modules: string[]): { file: string; module: string } | undefined {
    if (!modules.length) return undefined;
    const installed = new Set(archive.facts.wheels.map((w) => normalize(w.distInfo.slice(w.distInfo.lastIndexOf("/") + 1).replace(/-[^-]+\.dist-info$/, ""))));
    const root = kind === "function" ? /^/ : /^python\/(?:lib\/python\d+\.\d+\/site-packages\/)?/;
    const patterns = modules.map((m) => ({ m, re: new RegExp(`^[ \\t]*(?:import[ \\t]+(?:[\\w.]+[ \\t]*,[ \\t]*)*${m}\\b|from[ \\t]+${m}(?:\\.[\\w.]+)?[ \\t]+import\\b)`, "m") }));
    let scanned = 0;
    for (const f of archive.facts.files) {
        const m = root.exec(f.name);
        if (!m || !f.name.endsWith(".py") || f.size > MAX_SOURCE_BYTES) continue;
        const rel = f.name.slice(m[0].length);
        const first = rel.split("/")[0].replace(/\.py$/, "");
        if (rel.includes(".dist-info/") || installed.has(normalize(first)) || RUNTIME_SDK.includes(first) || first === "urllib3") continue;
        if (++scanned > MAX_SCANNED) break;
        const text = archive.readText(f.name, MAX_SOURCE_BYTES);
        const hit = text !== undefined ? patterns.find((p) => p.re.test(text)) : undefined;
        if (hit) return { file: f.name, module: hit.m };
    }
    return undefined;
}

function normalize(name: string): string {
    return name.toLowerCase().replace(/[-_.]+/g, "_");
}
