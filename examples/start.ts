// npm start: builds every example's archives for its Lambda target and prints
// what the checks found. (The offline preview of the showcase program will
// take this over.)
import { spawnSync } from "child_process";
import * as path from "path";
import { buildArchive } from "../components/build";
import { formatMB } from "../policies/rules/format";
import { EXAMPLE_ARCHIVES } from "./catalog";

async function main(): Promise<number> {
    const datasette = EXAMPLE_ARCHIVES.find((a) => a.example === "datasette")!.options.source!;
    const db = spawnSync("python3", [path.join(datasette, "..", "make_db.py"), path.join(datasette, "fixtures.db")], { encoding: "utf8" });
    if (db.status !== 0) throw new Error(`could not build the Datasette example's database: ${db.stderr}`);
    const rows: string[][] = [["example", "archive", "runtime", "arch", "zipped", "unzipped", "native", "checks"]];
    let failed = 0;
    for (const a of EXAMPLE_ARCHIVES) {
        process.stderr.write(`building ${a.example} ${a.name} …\n`);
        try {
            const r = await buildArchive({ ...a.options, onProgress: (m) => process.stderr.write(`  ${m}\n`) });
            const issues = r.findings.map((f) => `${f.level === "mandatory" ? "ERROR" : "warn"} ${f.policy}`).join("; ");
            rows.push([a.example, a.name, r.runtime, r.architecture, formatMB(r.zippedBytes), formatMB(r.unzippedBytes), r.nativeArchitectures.join(",") || "-", issues || "ok"]);
        } catch (e) {
            failed++;
            rows.push([a.example, a.name, a.options.runtime ?? "", a.options.architecture ?? "x86_64", "-", "-", "-", `FAILED: ${(e as Error).message.split("\n")[0]}`]);
        }
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
    return failed ? 1 : 0;
}

main().then(
    (code) => (process.exitCode = code),
    (e) => {
        console.error(`npm start: ${(e as Error).message}`);
        process.exitCode = 1;
    },
);
