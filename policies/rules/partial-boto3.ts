// lambda-partial-boto3: bundling parts of the AWS SDK (botocore, s3transfer,
// urllib3) without boto3 makes the runtime's own boto3 import them, a
// version mix that breaks when either side is updated. Bundle boto3 too, or
// none of it.
import { ArchiveFacts } from "../inspect/facts";
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
export function topLevelPackages(facts: ArchiveFacts, kind: ArchiveKind): Set<string> {
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

export function checkPartialBoto3(facts: ArchiveFacts, kind: ArchiveKind, config: PartialBoto3Config = partialBoto3Defaults): Finding[] {
    const top = topLevelPackages(facts, kind);
    if (top.has("boto3")) return [];
    const partial = config.packages.filter((p) => top.has(p));
    if (!partial.length) return [];
    return [
        finding(
            "lambda-partial-boto3",
            "advisory",
            `${facts.label} bundles ${partial.join(", ")} without boto3. Your copy shadows the one the runtime's boto3 was tested with, and breaks when AWS updates the runtime's SDK. Add boto3 to your requirements so the whole SDK comes from your package, or leave these out.`,
        ),
    ];
}
