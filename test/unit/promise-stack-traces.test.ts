// The Pulumi SDK's per-promise stack traces (`debuggablePromise`) are taken
// without frames where the preview and the provider plugin run the SDK
// (shared/promise-stack-traces.ts), on the real SDK module: its callers go
// through the wrapper, the promise keeps its id, context and leak tracking,
// other stack traces are whole, and PULUMI_DEBUG_PROMISE_LEAKS, which prints
// the traces, keeps them. In a child process: the wrapper stays for the
// process's life, and this one runs other tests on the SDK.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as path from "path";

const SDK = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const MODULE = path.join(__dirname, "..", "..", "shared", "promise-stack-traces");

/** What the SDK records on a promise, in a fresh Node.js (with ts-node), after skipPromiseStackTraces (called twice: once counts) when `skip`. */
function probe(skip: boolean, env: NodeJS.ProcessEnv = {}): { trace: string; other: string; id: unknown; ctx: unknown; value: unknown; viaExports: number } {
    const script = `
        const { skipPromiseStackTraces } = require(${JSON.stringify(MODULE)});
        ${skip ? `skipPromiseStackTraces(${JSON.stringify(SDK)}); skipPromiseStackTraces(${JSON.stringify(SDK)});` : ""}
        const debuggable = require(${JSON.stringify(path.join(SDK, "runtime", "debuggable"))});
        const rpc = require(${JSON.stringify(path.join(SDK, "runtime", "rpc"))});
        (async () => {
            // The trace, id and context go on the promise given; the one returned settles with it.
            const given = Promise.resolve(42);
            const p = debuggable.debuggablePromise(given, "probe");
            // The SDK's own callers reach it through its module's exports (so they reach the wrapper): a resource's
            // properties do, four promises each (runtime/rpc.js transferProperties).
            let viaExports = 0;
            const current = debuggable.debuggablePromise;
            debuggable.debuggablePromise = (...args) => (viaExports++, current(...args));
            const onto = {};
            const resolvers = rpc.transferProperties(onto, "probe", { arn: "x" });
            resolvers.arn("through a resource's property", true, false);
            const value = [await p, await onto.arn.promise()];
            process.stdout.write(JSON.stringify({ trace: given._debugStackTrace, other: new Error("elsewhere").stack, id: given._debugId, ctx: given._debugCtx, value, viaExports }));
        })();`;
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { encoding: "utf8", env: { ...process.env, ...env, PULUMI_DEBUG_PROMISE_LEAKS: env.PULUMI_DEBUG_PROMISE_LEAKS ?? "" } });
    return JSON.parse(out);
}

describe("the SDK's per-promise stack traces", function () {
    this.timeout(60_000);

    it("are taken without frames; the promise keeps its value, id and context, and other traces are whole", () => {
        const before = probe(false);
        assert.match(before.trace, /^Error\n\s+at /, "the SDK takes a trace with frames (else this wrapper has nothing to do)");
        const after = probe(true);
        assert.equal(after.trace, "Error");
        assert.deepEqual(after.value, [42, "through a resource's property"]);
        assert.equal(typeof after.id, "number");
        assert.equal(after.ctx, "probe");
        assert.match(after.other, /^Error: elsewhere\n\s+at /, "a trace taken anywhere else keeps its frames");
        assert.ok(after.viaExports > 0, "the SDK's resources call debuggablePromise through its module's exports");
    });

    it("keep their frames with PULUMI_DEBUG_PROMISE_LEAKS, which prints them", () => {
        assert.match(probe(true, { PULUMI_DEBUG_PROMISE_LEAKS: "1" }).trace, /^Error\n\s+at /);
    });
});
