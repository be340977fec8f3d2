// The first module the CLI loads: a Node.js older than package.json's
// `engines` gets one sentence and exit 2 before any other module is parsed or
// run (under Node 20, `preview` died with "enableCompileCache is not a
// function" deep inside a command). Loaded before every other import of
// main.ts, so it must parse and run on old Node versions: plain CommonJS
// once compiled, no syntax or API newer than Node 12.

/** "24.21.0" → [24, 21, 0]. */
function parts(version: string): number[] {
    return version
        .replace(/^[^0-9]*/, "")
        .split(".")
        .map((p) => parseInt(p, 10) || 0);
}

/** Whether `version` is at least `minimum` (both "major.minor.patch"). */
export function atLeast(version: string, minimum: string): boolean {
    const have = parts(version);
    const need = parts(minimum);
    for (let i = 0; i < 3; i++) {
        if ((have[i] || 0) !== (need[i] || 0)) return (have[i] || 0) > (need[i] || 0);
    }
    return true;
}

/** The oldest Node.js the package declares (`engines.node`, ">=22.12"), from the package.json above this file (dist/cli/ or cli/). */
export function requiredNode(): string {
    const fs = require("fs") as typeof import("fs");
    const path = require("path") as typeof import("path");
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const file = path.join(dir, "package.json");
        if (fs.existsSync(file)) {
            const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
            if (pkg.name === "pulumi-lambda-python") return String(pkg.engines.node).replace(/^>=\s*/, "");
        }
        if (path.dirname(dir) === dir) return "22.12";
    }
}

const required = requiredNode();
if (!atLeast(process.versions.node, required)) {
    process.stderr.write(`lambda-python: error: Node.js ${required} or newer is needed, and this is Node.js ${process.versions.node} (${process.execPath}); install Node.js 24 LTS (or ${required}+) and run again.\n`);
    process.exit(2);
}
