// What a build tells its user: sizes, hash, the biggest packages, the native
// architectures found and the checks' findings, as JSON or as text.
import { ArchiveFacts } from "../policies/inspect/facts";
import { formatBytes, formatMB, withCommas } from "../policies/rules/format";
import { Finding } from "../policies/rules/types";

export interface PackageSize {
    name: string;
    bytes: number;
}

/** Unzipped bytes per top-level package; X.libs and X-1.0.dist-info count towards X. */
export function biggestPackages(facts: ArchiveFacts, prefix: string, count = 8): PackageSize[] {
    const sizes = new Map<string, number>();
    const packageOf = new Map<string, string>(); // top-level name → package: thousands of files share a few
    for (const f of facts.files) {
        if (!f.name.startsWith(prefix)) continue;
        const rest = f.name.slice(prefix.length);
        const slash = rest.indexOf("/");
        const top = slash < 0 ? rest : rest.slice(0, slash);
        let name = packageOf.get(top);
        if (name === undefined) {
            name = top
                .replace(/\.libs$/, "")
                .replace(/-[^-]+\.(dist|egg)-info$/, "")
                .replace(/\.py$/, "");
            packageOf.set(top, name);
        }
        sizes.set(name, (sizes.get(name) ?? 0) + f.size);
    }
    return [...sizes.entries()]
        .map(([name, bytes]) => ({ name, bytes }))
        .sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1))
        .slice(0, count);
}

export interface SummaryLines {
    title: string;
    path?: string;
    zippedBytes?: number;
    unzippedBytes: number;
    entries: number;
    sha256?: string;
    nativeArchitectures: string[];
    packages: PackageSize[];
    extra?: string[];
    findings: Finding[];
    /** Which findings are errors; by default every mandatory one (a build passes its own rule). */
    isError?: (f: Finding) => boolean;
}

export function formatSummary(s: SummaryLines): string {
    const lines = [s.title];
    if (s.path) lines.push(`  archive        ${s.path}`);
    if (s.zippedBytes !== undefined) lines.push(`  zipped         ${formatBytes(s.zippedBytes)}`);
    lines.push(`  unzipped       ${formatBytes(s.unzippedBytes)}`);
    lines.push(`  entries        ${withCommas(s.entries)}`);
    if (s.sha256) lines.push(`  sha256         ${s.sha256}`);
    lines.push(`  native code    ${s.nativeArchitectures.length ? s.nativeArchitectures.join(", ") : "none (no shared objects)"}`);
    if (s.packages.length) lines.push(`  biggest        ${s.packages.map((p) => `${p.name} ${formatMB(p.bytes)}`).join(", ")}`);
    for (const e of s.extra ?? []) lines.push(`  ${e}`);
    lines.push(formatFindings(s.findings, s.isError));
    return lines.join("\n");
}

function formatFindings(findings: Finding[], isError: (f: Finding) => boolean = (f) => f.level === "mandatory"): string {
    if (!findings.length) return "  checks         all passed";
    return findings.map((f) => `  ${isError(f) ? "ERROR  " : "warning"} [${f.policy}] ${f.message}`).join("\n");
}
