// A build keeps V8's young generation of this thread at its first size.
//
// V8 doubles a thread's young generation (in Node 24 on a machine of this
// size, up to two 32 MB semi-spaces, 128 MB reserved) each time many of its
// objects survive a scavenge, and never gives the pages back before the
// process ends. A build is exactly that case: its walked files, results and
// planned entries, a few objects per file, all live to the end of the build.
// On 20,000 small files the young generation grew to 128 MB and made ~50 MB
// of the build's ~215 MB peak (docs/BENCHMARKS.md, "Small files").
//
// The young generation's size is set when a thread starts (a Worker's
// resourceLimits, `--max-semi-space-size` on the command line), which a
// library cannot do for the thread that calls it: a Pulumi program's, the
// CLI's. What V8 does read at each growth is the growth factor, so while a
// build runs it is 1 (no growth: the survivors are promoted to the old
// generation, where they belong), and back to V8's default of 2 once no
// build runs. A process started with its own `--semi-space-growth-factor`
// keeps it. V8 writes "unrecognized flag" to stderr for a flag it lacks,
// so the flag is only set by the V8 versions it is known in (Node 20's 11.3
// to Node 24's 13.6, checked with `node --v8-options`).
import * as v8 from "v8";

const FLAG = "--semi-space-growth-factor";
/** V8's default (flag-definitions.h): what the flag is given back once the last build ends. */
const V8_DEFAULT = 2;
/** The V8 major versions known to have the flag. */
const KNOWN_V8 = { from: 11, to: 13 };

/**
 * Whether builds may set the flag: not when the process was started with its own factor (on its command line:
 * Node refuses V8 flags like it in NODE_OPTIONS), nor on a V8 not known to have the flag.
 */
const V8_MAJOR = Number(process.versions.v8.split(".")[0]);
const MAY_SET = !process.execArgv.some((a) => a.replace(/_/g, "-").startsWith(FLAG)) && V8_MAJOR >= KNOWN_V8.from && V8_MAJOR <= KNOWN_V8.to;

let builds = 0;

/** Keeps the young generation from growing until the returned function is called (once per call; builds may overlap). */
export function holdYoungGeneration(): () => void {
    if (!MAY_SET) return () => {};
    if (builds++ === 0) v8.setFlagsFromString(`${FLAG}=1`);
    let released = false;
    return () => {
        if (released) return;
        released = true;
        if (--builds === 0) v8.setFlagsFromString(`${FLAG}=${V8_DEFAULT}`);
    };
}
