// The Pulumi Node.js SDK records a stack trace on every promise it makes
// (`debuggablePromise` in @pulumi/pulumi/runtime/debuggable.js), read only
// when PULUMI_DEBUG_PROMISE_LEAKS is set. Where source maps are installed
// (ts-node in a TypeScript program, source-map-support in Pulumi's plugin
// launcher) each of those traces is mapped frame by frame as it is taken:
// a third of a second for the showcase's preview, and ~0.9 s of the provider
// plugin's CPU for a 50-function Python program's. This leaves those traces
// empty; every other stack trace is formatted as before.

/** Skips formatting the SDK's per-promise stack traces (unless PULUMI_DEBUG_PROMISE_LEAKS asks for them). */
export function skipPromiseStackTraces(): void {
    const format = Error.prepareStackTrace;
    if (!format || process.env.PULUMI_DEBUG_PROMISE_LEAKS) return;
    Error.prepareStackTrace = (error, frames) => (frames[0]?.getFunctionName() === "debuggablePromise" ? "" : format(error, frames));
}
