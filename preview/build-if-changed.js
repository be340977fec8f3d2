#!/usr/bin/env node
// The first step of `npm start` (cli/start.js): run the full build (`npm run build`, tsc with its
// type-check) only when a source changed since dist/ was compiled. tsc
// type-checks some 3,000 files on every run (5 s; --incremental still 3 s),
// which `npm start` would pay each time for nothing. The type-check itself is
// not skipped: `npm test`, CI and any start after a change run the full tsc.
//
// Plain JavaScript on purpose: it runs before anything is compiled (a fresh
// clone). "Changed" is judged by modification times, as make does: every
// .ts file the build compiles must have its .js in dist/ written after it,
// and tsconfig.json must be older than the oldest of those .js files. A .json
// file that tsc copied into dist/ (it is imported: data tables, the
// libdeflate module) must be older than its copy.
// (Dependency updates are the type-check's business: `npm test` and CI.)

const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const packageRoot = path.resolve(__dirname, "..");

/**
 * The .ts and .json files tsconfig.json's "include" folders hold, less its "exclude" folders (the preview's
 * corpus of other people's programs is not compiled by the build). Declaration files emit nothing.
 */
function sources(root, ignore = []) {
    const config = JSON.parse(fs.readFileSync(path.join(root, "tsconfig.json"), "utf8"));
    const folders = [...new Set((config.include ?? []).map((glob) => glob.split("/")[0]))].filter((f) => !ignore.includes(f));
    const skip = new Set(["node_modules", "dist"]);
    const excluded = new Set((config.exclude ?? []).map((p) => path.join(root, p)));
    const out = [];
    const walk = (dir) => {
        let entries;
        try {
            entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch {
            return; // an included folder that does not exist
        }
        for (const e of entries) {
            // tsc's wildcards skip names that start with a dot (bench/.work holds 26,000 benchmark files).
            if (e.name.startsWith(".")) continue;
            const full = path.join(dir, e.name);
            if (e.isDirectory()) {
                if (!skip.has(e.name) && !excluded.has(full)) walk(full);
            } else if ((e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) || e.name.endsWith(".json")) out.push(full);
        }
    };
    for (const folder of folders) walk(path.join(root, folder));
    return out;
}

/**
 * Why root/dist/ is out of date, or undefined when every source was compiled after its last change.
 * `ignore`: top-level folders whose compiled copy nobody runs here (the test run's check ignores test/,
 * which mocha runs through ts-node, so editing a test does not recompile everything).
 */
function staleReason(root = packageRoot, ignore = []) {
    const dist = path.join(root, "dist");
    let oldestOutput = Infinity;
    for (const source of sources(root, ignore)) {
        const rel = path.relative(root, source);
        const json = rel.endsWith(".json");
        const output = path.join(dist, json ? rel : rel.replace(/\.ts$/, ".js"));
        let built;
        try {
            built = fs.statSync(output).mtimeMs;
        } catch {
            if (json) continue; // not imported by the build, so not copied
            return `${rel} has not been compiled`;
        }
        if (fs.statSync(source).mtimeMs > built) return `${rel} changed`;
        oldestOutput = Math.min(oldestOutput, built);
    }
    if (fs.statSync(path.join(root, "tsconfig.json")).mtimeMs > oldestOutput) return "tsconfig.json changed";
    return undefined;
}

/** Compiles (`npm run build`) when dist/ is out of date; the build's exit status, or 0 when nothing changed. */
function buildIfChanged(root = packageRoot, ignore = []) {
    const reason = staleReason(root, ignore);
    if (!reason) return 0;
    process.stderr.write(`build: ${reason}; compiling\n`);
    const npm = process.env.npm_execpath;
    const run = npm ? spawnSync(process.execPath, [npm, "run", "build"], { cwd: root, stdio: "inherit" }) : spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
    return run.status ?? 1;
}

if (require.main === module) process.exitCode = buildIfChanged();

module.exports = { staleReason, buildIfChanged };
