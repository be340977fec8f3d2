// The Node.js version check every entry point runs first: the components when
// imported (this module throws at load), the CLI (cli/node-version.ts turns the
// throw into one sentence and exit 2) and `npm start` (cli/start.js).
// Under Node 20, `npm start` died with "internal error (please report it)"
// deep inside a command and npm's engines warning scrolled away. It must parse
// and run on old Node versions: plain CommonJS once compiled, nothing newer
// than Node 12, and no import of the rest of the package.

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

/** The oldest Node.js the package declares (`engines.node`, ">=22.12"), from the package.json above this file (dist/shared/ or shared/). */
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

/** The one sentence for a Node.js too old (undefined when `version` will do). */
export function nodeVersionProblem(version = process.versions.node, execPath = process.execPath): string | undefined {
    const required = requiredNode();
    if (atLeast(version, required)) return undefined;
    return `pulumi-lambda-python needs Node.js ${required} or newer, and this is Node.js ${version} (${execPath}); install Node.js 24 LTS (or ${required}+) and run again.`;
}

/** Thrown at import by a Node.js too old; `name` lets the CLI tell it from other failures. */
class NodeVersionError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "NodeVersionError";
    }
}

const problem = nodeVersionProblem();
if (problem) throw new NodeVersionError(problem);
