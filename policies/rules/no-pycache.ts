// lambda-no-pycache: bytecode in an archive must be bytecode Lambda's runtime
// uses. Stray bytecode from the build machine — another CPython's magic
// number, timestamp-based .pyc (checked against the source's mtime, which the
// extracted file does not keep), a .pyc without its source beside it, -O
// bytecode, Python 2 .pyc/.pyo — is never used, or may not match Lambda's
// Python (AWS's guide warns against shipping __pycache__): an error.
// Bytecode compiled for the function's own runtime, hash-based (PEP 552) and
// in __pycache__ beside its source — what `lambda-python build --bytecode`
// makes — is what Lambda's CPython loads instead of compiling the module at
// each cold start (/var/task is read-only): an advisory that says so.
import bytecodeData from "../data/python-bytecode.json";
import { ArchiveFacts, FileFact } from "../inspect/facts";
import { listSome, withCommas } from "./format";
import { parsePythonRuntime } from "../target";
import { finding, Finding } from "./types";

const MAGIC: Record<string, number> = bytecodeData.magic;
/** The CPython version ("3.13") of a magic number. */
const VERSION_OF = new Map(Object.entries(MAGIC).map(([v, m]) => [m, v]));

/** How to make matching bytecode, named in the messages. */
const BYTECODE_OPT_IN = "lambda-python build --bytecode, or build: { bytecode: true } in PythonFunction/PythonLayer";

/** Why one bytecode file is stray, or the CPython version it matches one of `versions` (empty: any Lambda Python). */
function strayReason(f: FileFact, names: Set<string>, versions: string[]): { reason: string } | { version: string } {
    if (f.name.endsWith(".pyo")) return { reason: "Python 2 optimised bytecode" };
    const m = /^(.*?)__pycache__\/([^/]+?)\.([a-z]+-\d+)((?:\.opt-\d+)?)\.pyc$/.exec(f.name);
    if (!m) return { reason: f.name.endsWith(".pyc") ? "bytecode outside __pycache__ (Python 2 style, or a module shipped without its source)" : "not bytecode CPython reads" };
    const [, dir, stem, tag, opt] = m;
    if (!names.has(`${dir}${stem}.py`)) return { reason: `orphaned: no ${dir}${stem}.py beside its __pycache__` };
    if (opt) return { reason: "compiled for python -O, which Lambda does not run" };
    if (!f.pyc) return { reason: "not a CPython bytecode header" };
    const version = VERSION_OF.get(f.pyc.magic);
    if (!version) return { reason: `magic number ${f.pyc.magic}, no CPython of a Lambda runtime` };
    if (tag !== `cpython-${version.replace(".", "")}`) return { reason: `named ${tag} but compiled by CPython ${version}` };
    if (versions.length && !versions.includes(version)) return { reason: `compiled by CPython ${version}, not ${versions.join(" or ")}` };
    if ((f.pyc.flags & 1) === 0) return { reason: "timestamp-based: checked against the source's modification time, which Lambda's extracted file does not keep, so it is compiled again anyway" };
    return { version };
}

/**
 * `runtimes`: the function's runtime, or a layer's compatible runtimes; none
 * (inspect without --runtime) takes bytecode of any Lambda Python as matching
 * and says for which runtime it is.
 */
export function checkNoPycache(facts: ArchiveFacts, runtimes: string[] = []): Finding[] {
    if (facts.pycacheCount === 0) return [];
    const versions = runtimes
        .map(parsePythonRuntime)
        .filter((v): v is [number, number] => !!v)
        .map((v) => v.join("."));
    const names = new Set(facts.files.map((f) => f.name));
    const bytecodeFiles = facts.files.filter((f) => /(^|\/)__pycache__\//.test(f.name) || /\.py[co]$/.test(f.name));
    const stray: { name: string; reason: string }[] = [];
    const matching = new Map<string, number>();
    for (const f of bytecodeFiles) {
        const r = strayReason(f, names, versions);
        if ("reason" in r) stray.push({ name: f.name, reason: r.reason });
        else matching.set(r.version, (matching.get(r.version) ?? 0) + 1);
    }
    // __pycache__ folders with no bytecode file in them (the listing's first names only); facts without the files
    // listed (made by hand, or by an older reader) are judged on their listing alone.
    if (!bytecodeFiles.length) stray.push(...facts.pycache.map((name) => ({ name, reason: name.endsWith("/") ? "an empty __pycache__ folder" : "not read" })));
    else for (const n of facts.pycache) if (n.endsWith("/") && !bytecodeFiles.some((f) => f.name.startsWith(n))) stray.push({ name: n, reason: "an empty __pycache__ folder" });
    const out: Finding[] = [];
    if (stray.length) {
        const count = bytecodeFiles.length ? stray.length : facts.pycacheCount;
        const reasons = [...new Set(stray.map((s) => s.reason))].filter((r) => r !== "not read");
        out.push(
            finding(
                "lambda-no-pycache",
                "mandatory",
                `${facts.label} contains ${withCommas(count)} bytecode cache entries (${listSome(stray.map((s) => s.name))}) that Lambda's runtime would not use${reasons.length ? `: ${reasons.slice(0, 3).join("; ")}${reasons.length > 3 ? "; …" : ""}` : ""}. ` +
                    `Bytecode compiled on the build machine may not match Lambda's Python; install with \`pip install --no-compile\` and leave out __pycache__ folders (lambda-python build does both), or compile for the function's runtime (${BYTECODE_OPT_IN}).`,
            ),
        );
    }
    if (matching.size) {
        const total = [...matching.values()].reduce((a, b) => a + b, 0);
        const which = [...matching.keys()].map((v) => `python${v}`).join(", ");
        out.push(
            finding(
                "lambda-no-pycache",
                "advisory",
                `${facts.label} carries bytecode for ${withCommas(total)} module${total === 1 ? "" : "s"} compiled for ${which} (hash-based, beside the sources): Lambda's runtime loads it instead of compiling those modules at each cold start${versions.length ? "" : ` (it matches a ${which} function only)`}. It is what ${BYTECODE_OPT_IN} makes, and adds to the archive's size.`,
            ),
        );
    }
    return out;
}
