// The Pulumi Node.js SDK takes a stack trace for every promise it makes
// (`debuggablePromise` in @pulumi/pulumi/runtime/debuggable.js: an Output's
// every property, every RPC), read only when PULUMI_DEBUG_PROMISE_LEAKS is
// set. Taking it costs: V8 collects the frames, and where source maps are
// installed (ts-node in a TypeScript program, source-map-support in Pulumi's
// plugin launcher) each trace is mapped frame by frame as it is taken. In a
// 50-function Python program's no-change preview that was ~1.1 s of the
// provider plugin's 3.9 s of CPU; a third of a second for the showcase's
// TypeScript preview. Here the SDK's function is wrapped so that its trace
// holds no frames; everything else it does (ids, leak detection) is its own.

import * as path from "path";

const WRAPPED = Symbol.for("lambda-python: debuggablePromise without stack traces");

/**
 * Makes the SDK at `sdkDir` (the folder of @pulumi/pulumi's package.json)
 * take no stack trace per promise, unless PULUMI_DEBUG_PROMISE_LEAKS asks
 * for them. The SDK's modules call it through its module's exports
 * (`debuggable_1.debuggablePromise(…)`), so the wrapper is what they call;
 * an SDK shaped otherwise is left as it is (test/unit/sdk-internals.test.ts).
 */
export function skipPromiseStackTraces(sdkDir: string): void {
    if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return;
    let debuggable: { debuggablePromise?: ((...args: unknown[]) => unknown) & { [WRAPPED]?: true } };
    try {
        debuggable = require(path.join(sdkDir, "runtime", "debuggable"));
    } catch {
        return;
    }
    const take = debuggable.debuggablePromise;
    if (typeof take !== "function" || take[WRAPPED]) return;
    const wrapped = Object.assign(
        function debuggablePromise(this: unknown, ...args: unknown[]) {
            const limit = Error.stackTraceLimit;
            Error.stackTraceLimit = 0;
            try {
                return take.apply(this, args);
            } finally {
                Error.stackTraceLimit = limit;
            }
        },
        { [WRAPPED]: true as const },
    );
    debuggable.debuggablePromise = wrapped;
}
