// The coverage figure per part: c8 (.c8rc.json) reports every source file of
// every top-level folder, loaded by the tests or not ("all": a file no test
// imports counts at 0%); this sums its json-summary by top-level folder
// (builder, cli, components, …) into the lines-% table CONTRIBUTING.md
// quotes. Run by `npm run coverage` and `npm run coverage:full` after c8.
import * as fs from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "..");
const summaryFile = path.join(root, "dist", "coverage", "coverage-summary.json");

interface Counts {
    covered: number;
    total: number;
}

function linesByPart(summary: Record<string, { lines: Counts }>, base: string): Map<string, Counts> {
    const parts = new Map<string, Counts>();
    for (const [file, counts] of Object.entries(summary)) {
        if (file === "total") continue;
        const part = path.relative(base, file).split(path.sep)[0];
        const sum = parts.get(part) ?? { covered: 0, total: 0 };
        sum.covered += counts.lines.covered;
        sum.total += counts.lines.total;
        parts.set(part, sum);
    }
    return new Map([...parts].sort(([a], [b]) => (a < b ? -1 : 1)));
}

if (require.main === module) {
    if (!fs.existsSync(summaryFile)) {
        console.error(`${path.relative(root, summaryFile)} is missing: run c8 first (npm run coverage).`);
        process.exit(2);
    }
    const summary = JSON.parse(fs.readFileSync(summaryFile, "utf8")) as Record<string, { lines: Counts }>;
    const pct = (c: Counts) => (c.total ? ((100 * c.covered) / c.total).toFixed(1) : "-");
    console.log("| part | lines covered | lines % |\n|---|---:|---:|");
    for (const [part, c] of linesByPart(summary, root)) console.log(`| ${part}/ | ${c.covered} / ${c.total} | ${pct(c)} |`);
    console.log(`| all | ${summary.total.lines.covered} / ${summary.total.lines.total} | ${pct(summary.total.lines)} |`);
    console.log(`(the full report: ${path.relative(root, path.join(path.dirname(summaryFile), "index.html"))})`);
}
