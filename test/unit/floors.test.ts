// The floors check (.dependency-cruiser.cjs, run by `npm run lint`) fails on
// what it is there to stop: an import from a higher floor, a circle (even
// of type-only imports) and the two ground-floor parts importing each other,
// and lets a downward import through. Run on a small tree of files written
// here, with the repository's own configuration.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

function violations(files: Record<string, string>): string[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "floors-"));
    try {
        fs.copyFileSync(path.join(ROOT, ".dependency-cruiser.cjs"), path.join(dir, ".dependency-cruiser.cjs"));
        fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs", strict: true } }));
        for (const [name, text] of Object.entries(files)) {
            fs.mkdirSync(path.join(dir, path.dirname(name)), { recursive: true });
            fs.writeFileSync(path.join(dir, name), text);
        }
        const folders = [...new Set(Object.keys(files).map((f) => f.split("/")[0]))];
        const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs"), "--config", ".dependency-cruiser.cjs", "--output-type", "json", ...folders], { cwd: dir, encoding: "utf8" });
        assert.ok(r.stdout, `dependency-cruiser printed nothing: ${r.stderr}`);
        const report = JSON.parse(r.stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
        return report.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("the floors check", () => {
    it("refuses the builder importing the runner, a floor above it, and lets the runner import the builder", () => {
        const found = violations({
            "builder/archive.ts": 'import { invoke } from "../runner/invoke";\nexport const archive = () => invoke;\n',
            "runner/invoke.ts": "export const invoke = 1;\n",
            "runner/prove.ts": 'import { archive } from "../builder/archive";\nexport const prove = archive;\n',
        });
        assert.deepEqual(found, ["no-upward-import-from-builder: builder/archive.ts → runner/invoke.ts"]);
    });

    it("refuses a circle of type-only imports", () => {
        const found = violations({
            "builder/install.ts": 'import type { Remote } from "./remote";\nexport interface Installed { remote?: Remote }\n',
            "builder/remote.ts": 'import type { Installed } from "./install";\nexport interface Remote { files: Installed[] }\n',
        });
        assert.equal(found.length, 1);
        assert.match(found[0], /^no-circular: builder\/(install|remote)\.ts → builder\/(install|remote)\.ts$/);
    });

    it("keeps the builder's installers inside it: the runner installs through builder/install-for-tools.ts", () => {
        const found = violations({
            "builder/install/installers.ts": "export const pipInstaller = 1;\n",
            "builder/install-for-tools.ts": 'import { pipInstaller } from "./install/installers";\nexport const installForTarget = pipInstaller;\n',
            "runner/tools.ts": 'import { pipInstaller } from "../builder/install/installers";\nexport const tools = pipInstaller;\n',
            "runner/setup.ts": 'import { installForTarget } from "../builder/install-for-tools";\nexport const setup = installForTarget;\n',
        });
        assert.deepEqual(found, ["builder-install-stays-inside: runner/tools.ts → builder/install/installers.ts"]);
    });

    it("keeps policies/ and shared/ apart: the pack publishes alone", () => {
        const found = violations({
            "policies/rule.ts": 'import { UserError } from "../shared/errors";\nexport const rule = UserError;\n',
            "shared/errors.ts": "export class UserError extends Error {}\n",
        });
        assert.deepEqual(found, ["ground-floor-stands-alone: policies/rule.ts → shared/errors.ts"]);
    });
});
