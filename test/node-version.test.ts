// Every entry point under a Node.js older than package.json's engines, with the machine's real old Node
// (the one on PATH before .ci/node24.sh puts Node 24 first; "Node 20 dies with internal error on npm
// start" was the report): the CLI and `npm start` say one sentence and exit 2, and importing the
// components throws that sentence as a NodeVersionError before anything else loads.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { atLeast, requiredNode } from "../shared/node-version";
import { ROOT, tmpDir, writeFiles } from "./helpers";

/** A Node.js older than the package needs: LAMBDA_PYTHON_OLD_NODE, or the machine's own node binaries. */
function oldNode(): string | undefined {
    const candidates = [process.env.LAMBDA_PYTHON_OLD_NODE, "/usr/bin/node", "/usr/local/bin/node", "/bin/node"].filter((c): c is string => !!c);
    for (const node of candidates) {
        if (!fs.existsSync(node)) continue;
        const r = spawnSync(node, ["-p", "process.versions.node"], { encoding: "utf8" });
        if (r.status === 0 && !atLeast(r.stdout.trim(), requiredNode())) return node;
    }
    return undefined;
}

const SENTENCE = /^lambda-python: error: pulumi-lambda-python needs Node\.js 22\.12 or newer, and this is Node\.js \d+\.\d+\.\d+ \(.+\); install Node\.js 24 LTS \(or 22\.12\+\) and run again\.\n$/;

describe("a Node.js older than 22.12 at every entry point", () => {
    const node = oldNode();
    before(function () {
        // The CI machines (and the development ones) have Node 20 as the system's node; elsewhere say why this is skipped.
        if (!node) {
            console.log("    (no Node.js older than 22.12 on this machine: set LAMBDA_PYTHON_OLD_NODE to run these)");
            this.skip();
        }
    });

    const run = (args: string[]) => {
        const r = spawnSync(node!, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, npm_execpath: "" } });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    it("the CLI: one sentence on stderr and exit 2, for every command", () => {
        for (const args of [["--help"], ["preview", "."], ["setup", "--quiet"], ["invoke", "app"]]) {
            const r = run([path.join(ROOT, "dist", "cli", "main.js"), ...args]);
            assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.equal(r.stdout, "");
            assert.match(r.stderr, SENTENCE);
        }
    });

    it("npm start (cli/start.js): the same sentence and exit 2 before anything is compiled or run", () => {
        const r = run([path.join(ROOT, "cli", "start.js")]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, SENTENCE);
        assert.doesNotMatch(r.stderr, /internal error|compiling/);
    });

    it("npm start checks before its build check: a stale dist/ is not compiled on an old Node.js", () => {
        // npm start's files in a folder where a source was never compiled: on a supported Node.js this compiles.
        const dir = tmpDir("lp-old-node-start-");
        for (const rel of ["package.json", "cli/start.js", "preview/build-if-changed.js", "dist/cli/node-version.js", "dist/shared/node-version.js"]) {
            fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
            fs.copyFileSync(path.join(ROOT, rel), path.join(dir, rel));
        }
        writeFiles(dir, { "tsconfig.json": JSON.stringify({ include: ["cli/**/*.ts"] }), "cli/new.ts": "export const x = 1;\n" });
        const r = spawnSync(node!, [path.join(dir, "cli", "start.js")], { cwd: dir, encoding: "utf8" });
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, SENTENCE);
        assert.doesNotMatch(r.stderr, /compiling/);
    });

    it("importing the components throws the sentence as a NodeVersionError", () => {
        const probe = `try { require(${JSON.stringify(ROOT)}); console.log("loaded"); } catch (e) { console.log(e.name + ": " + e.message); process.exit(3); }`;
        const r = run(["-e", probe]);
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.match(r.stdout, /^NodeVersionError: pulumi-lambda-python needs Node\.js 22\.12 or newer, and this is Node\.js \d+\.\d+\.\d+ \(.+\); install Node\.js 24 LTS/);
    });
});
