// Mocha's global setup (.mocharc.json "require"): the end-to-end tests run the compiled CLI in dist/
// (a spawned `node dist/cli/main.js` is ~0.1 s; the same command through ts-node is ~1.7 s, and the
// suite spawns the CLI hundreds of times), so dist/ is brought up to date before any test runs,
// whichever way mocha was started (`npm test`, `npx mocha test/x.test.ts`, an editor's runner).
// The check is preview/build-if-changed.js's (npm start's): every compiled source older than its .js;
// test/ and bench/ are left out of it (mocha runs the tests through ts-node; nobody runs their .js).
// Unit tests import the sources through ts-node and spawn nothing from dist/, so a run of test/unit
// alone skips it (the fast loop stays fast after an edit).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Runner } from "mocha";

// Node's compile cache (the CLI, the preview's program host and the provider plugin turn it on) keeps an entry per
// module path, in os.tmpdir()/node-compile-cache unless NODE_COMPILE_CACHE says where: the suite's programs live in
// new temporary folders every run, and that folder had grown to 1.7 GB (156,000 entries) on a machine that ran the
// suite a few hundred times. Each run gets its own, removed at its end; a folder the developer set is left alone.
const compileCache = process.env.NODE_COMPILE_CACHE ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "lp-test-compile-cache-"));
if (compileCache) process.env.NODE_COMPILE_CACHE = compileCache;

export function mochaGlobalTeardown(): void {
    if (compileCache) fs.rmSync(compileCache, { recursive: true, force: true });
}

const { buildIfChanged } = require("../preview/build-if-changed") as { buildIfChanged: (root?: string, ignore?: string[]) => number };

const UNIT = path.join(__dirname, "unit") + path.sep;

export function mochaGlobalSetup(this: Runner): void {
    const files = this.suite.suites.map((s) => s.file ?? "");
    if (files.length > 0 && files.every((f) => f.startsWith(UNIT))) return;
    const code = buildIfChanged(undefined, ["test", "bench"]);
    if (code !== 0) throw new Error(`npm run build failed (exit ${code}): the tests would run stale code in dist/; fix the compile errors above`);
}
