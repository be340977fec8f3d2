// The Pulumi SDK's per-promise stack traces (`debuggablePromise`) are left
// unformatted where source maps would map each one as it is taken (the
// preview's program host, the provider plugin); every other trace is
// formatted by whatever was installed before, and PULUMI_DEBUG_PROMISE_LEAKS,
// which reads them, keeps them all.
import { strict as assert } from "assert";
import { skipPromiseStackTraces } from "../../shared/promise-stack-traces";

describe("the SDK's per-promise stack traces", () => {
    let saved: typeof Error.prepareStackTrace;
    let savedEnv: string | undefined;
    beforeEach(() => {
        saved = Error.prepareStackTrace;
        savedEnv = process.env.PULUMI_DEBUG_PROMISE_LEAKS;
        delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
        // What source-map-support installs: a formatter called for every trace taken.
        Error.prepareStackTrace = (error, frames) => `mapped ${frames.length} frames of ${String(error)}`;
    });
    afterEach(() => {
        Error.prepareStackTrace = saved;
        if (savedEnv === undefined) delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
        else process.env.PULUMI_DEBUG_PROMISE_LEAKS = savedEnv;
    });

    // The SDK's own shape (runtime/debuggable.js): the trace is taken inside a function of this name.
    function debuggablePromise(): string | undefined {
        return new Error().stack;
    }
    function registerResource(): string | undefined {
        return new Error("boom").stack;
    }

    it("leaves the traces debuggablePromise takes empty, and formats the others as before", () => {
        skipPromiseStackTraces();
        assert.equal(debuggablePromise(), "");
        assert.match(registerResource() ?? "", /^mapped \d+ frames of Error: boom$/);
    });

    it("keeps them with PULUMI_DEBUG_PROMISE_LEAKS, which prints them", () => {
        process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
        skipPromiseStackTraces();
        assert.match(debuggablePromise() ?? "", /^mapped \d+ frames of Error$/);
    });

    it("does nothing where no formatter is installed (V8's own is cheap)", () => {
        delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
        skipPromiseStackTraces();
        assert.equal(Error.prepareStackTrace, undefined);
    });
});
