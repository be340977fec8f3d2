// The SDK's TypeScript (its `typescript-shim`, which the closure parser
// requires at load) is loaded by the host of a Python or Go program only when
// something serializes a closure (preview/deferred-modules.ts), and then it is
// the real one: serializeFunction parses a function with it. On the real SDK,
// in a fresh process: this one has loaded TypeScript already (ts-node).
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
/** Compiled: the probe runs without ts-node, which would load TypeScript itself. */
const MODULE = path.join(ROOT, "dist", "preview", "deferred-modules.js");

/** Whether TypeScript was loaded after the SDK's index, and after a closure was serialized (its text), in a fresh Node.js. */
function probe(defer: boolean): { afterIndex: boolean; afterSerializing: boolean; text: string } {
    const script = `
        const { deferArborist, deferTypeScript } = require(${JSON.stringify(MODULE)});
        ${defer ? `deferArborist(${JSON.stringify(ROOT)}); deferTypeScript(${JSON.stringify(ROOT)}); deferTypeScript(${JSON.stringify(ROOT)});` : ""}
        const typescriptLoaded = () => Object.keys(require.cache).some((f) => /[\\\\/]typescript[\\\\/]lib[\\\\/]typescript\\.js$/.test(f) || /[\\\\/]vendor[\\\\/]typescript@/.test(f));
        const pulumi = require("@pulumi/pulumi");
        const afterIndex = typescriptLoaded();
        class Counter { constructor() { this.n = 1; } next() { return ++this.n; } }
        const step = 2;
        pulumi.runtime.serializeFunction(async () => new Counter().next() + step).then((s) => {
            process.stdout.write(JSON.stringify({ afterIndex, afterSerializing: typescriptLoaded(), text: s.text }));
        });`;
    const out = execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
    return JSON.parse(out);
}

describe("the SDK's TypeScript, deferred in the host of a Python or Go program (preview/deferred-modules.ts)", () => {
    it("is not loaded by the SDK's index, and is the real one once a closure is serialized", () => {
        const deferred = probe(true);
        assert.equal(deferred.afterIndex, false, "TypeScript was loaded with the SDK's index");
        assert.equal(deferred.afterSerializing, true);
        // The same closure text as without the stand-in: the parser ran on the real TypeScript.
        const plain = probe(false);
        assert.equal(plain.afterIndex, true, "control: the SDK's index loads TypeScript when nothing defers it");
        assert.equal(deferred.text, plain.text);
        // The class became a constructor function and the captured variable a value: TypeScript's parse of the closure.
        assert.match(deferred.text, /function \/\*constructor\*\/\(\) \{ this\.n = 1; \}/);
        assert.match(deferred.text, /with\(\{ Counter: __f1, step: 2,/);
    });
});
