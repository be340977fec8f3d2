// The build summary's lines about slimming: what went, per package, what was
// kept and why, and whether the import proof ran.
import { formatBytes, formatMB, withCommas } from "../../policies/rules/format";
import type { PackageSlimming, SlimProof, SlimReport } from ".";

export function slimLines(report: SlimReport | undefined, proof: SlimProof | undefined): string[] {
    if (!report) {
        return proof?.gaveUp ? [`slim           not applied: ${proof.gaveUp}`] : [];
    }
    const saved = report.removedBytes + report.strippedBytes;
    const lines = [`slim           ${formatBytes(saved)} less: ${plural(report.removedFiles, "file")} removed (${formatMB(report.removedBytes)}), ${plural(report.strippedFiles, "shared object")} stripped (${formatMB(report.strippedBytes)})`];
    const top = report.packages.filter((p) => p.removedBytes + p.strippedBytes > 0).slice(0, 8);
    if (top.length) {
        lines.push(
            `  by package   ${top
                .map((p) => {
                    const parts = Object.entries(p.byReason)
                        .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
                        .map(([r, b]) => `${r} ${formatMB(b ?? 0)}`);
                    if (p.strippedBytes) parts.push(`stripped ${formatMB(p.strippedBytes)}`);
                    return `${p.name} ${formatMB(p.removedBytes + p.strippedBytes)} (${parts.join(", ")})`;
                })
                .join("; ")}`,
        );
    }
    if (report.keptWhole.length) lines.push(`  kept whole   ${report.keptWhole.join(", ")}`);
    if (report.keptFolders.length) lines.push(`  kept         ${report.keptFolders.join(", ")} (imported by the package's own modules)`);
    if (report.notStripped.length) {
        const shown = report.notStripped.slice(0, 4).map((n) => `${n.file} (${n.why})`);
        lines.push(`  not stripped ${shown.join(", ")}${report.notStripped.length > 4 ? `, … (${report.notStripped.length - 4} more)` : ""}`);
    }
    if (proof) lines.push(...proofLines(proof));
    return lines;
}

function plural(n: number, what: string): string {
    return `${withCommas(n)} ${what}${n === 1 ? "" : "s"}`;
}

/** inspect's line: what `--slim` would remove from an archive's dependencies. */
export function slimmableLine(s: { files: number; bytes: number; packages: PackageSlimming[] }): string {
    if (!s.files) return "slimmable      nothing: no tests, headers, stubs, docs or build leftovers in dependencies";
    const top = s.packages.slice(0, 5).map((p) => `${p.name} ${formatMB(p.removedBytes)}`);
    return `slimmable      ${withCommas(s.files)} files, ${formatBytes(s.bytes)} in dependencies match --slim's rules (${top.join(", ")}${s.packages.length > 5 ? ", …" : ""}); a build keeps what a package imports, and measures stripping`;
}

function proofLines(proof: SlimProof): string[] {
    if (!proof.ran) return [`  proof        not run: ${proof.skipped}`];
    const lines = [`  proof        ${proof.imported.length} module${proof.imported.length === 1 ? "" : "s"} (every package and extension module) imported on the target`];
    for (const k of proof.keptWhole) lines.push(`  put back     ${k.package} kept whole: importing ${k.module} broke after slimming (${k.error})`);
    for (const f of proof.failingAnyway) lines.push(`  note         ${f.module} does not import even without slimming (${f.error}); not slimming's doing`);
    if (proof.gaveUp) lines.push(`  gave up      ${proof.gaveUp}`);
    return lines;
}
