// The Node.js check every entry point runs first (shared/node-version.ts), as a rule: which versions pass
// and the sentence the others get. test/node-version.test.ts runs the entry points under a real old Node.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { atLeast, nodeVersionProblem, requiredNode } from "../../shared/node-version";

describe("the Node.js version check", () => {
    it("reads the oldest Node.js from package.json's engines", () => {
        const engines = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")).engines.node;
        assert.equal(engines, ">=22.12");
        assert.equal(requiredNode(), "22.12");
    });

    it("compares major, minor and patch as numbers", () => {
        assert.equal(atLeast("22.12.0", "22.12"), true);
        assert.equal(atLeast("v22.12.1", "22.12"), true);
        assert.equal(atLeast("24.0.0", "22.12"), true);
        assert.equal(atLeast("22.9.0", "22.12"), false, "9 < 12, whatever the string order");
        assert.equal(atLeast("22.11.99", "22.12"), false);
        assert.equal(atLeast("20.20.2", "22.12"), false);
        assert.equal(atLeast("100.0.0", "22.12"), true);
    });

    it("says in one sentence which Node.js is too old, where it is and what to install", () => {
        const problem = nodeVersionProblem("20.20.2", "/usr/bin/node");
        assert.equal(problem, "pulumi-lambda-python needs Node.js 22.12 or newer, and this is Node.js 20.20.2 (/usr/bin/node); install Node.js 24 LTS (or 22.12+) and run again.");
        assert.equal(nodeVersionProblem("22.12.0", "/x/node"), undefined);
        assert.equal(nodeVersionProblem(process.versions.node), undefined, "the Node.js running the tests is new enough");
    });
});
