// Which real CPython runs a function. Debian ships python3.11, 3.13 and 3.14
// (debian-pythons.json), so those run as themselves. python3.12 and
// python3.8–3.10 have no Debian CPython: an archive of pure Python runs on the
// nearest version we have, with a warning; an archive holding extension
// modules built for the missing version cannot load them anywhere else, so it
// is refused with a paragraph saying what it needs.
import { UserError } from "../shared/errors";
import { FileFact } from "../policies/inspect/facts";
import { BUILDABLE_RUNTIMES, isRetiredPythonRuntime, parsePythonRuntime, retiredRuntime } from "../policies/target";
import { DEBIAN_INTERPRETERS, describeDebianPythons } from "../target-python/debian-root";

export interface CodeListing {
    /** How to name it in messages (a path). */
    label: string;
    files: FileFact[];
}

export interface InterpreterChoice {
    /** The runtime whose Debian CPython runs the function, e.g. "python3.13". */
    interpreter: string;
    warnings: string[];
}

/** Extension modules built for one CPython version: "pkg/_x.cpython-312-x86_64-linux-gnu.so". */
function extensionsFor(minor: number, code: CodeListing[]): { label: string; name: string }[] {
    const pattern = new RegExp(`\\.cpython-3${minor}t?-[^/]*\\.so$`);
    return code.flatMap((c) => c.files.filter((f) => pattern.test(f.name)).map((f) => ({ label: c.label, name: f.name })));
}

/** The nearest Debian interpreter; between two equally near, the newer (its OS family is Lambda's newer one). */
function nearest(minor: number): string {
    return [...DEBIAN_INTERPRETERS].sort((a, b) => {
        const da = Math.abs(parsePythonRuntime(a)![1] - minor);
        const db = Math.abs(parsePythonRuntime(b)![1] - minor);
        return da - db || parsePythonRuntime(b)![1] - parsePythonRuntime(a)![1];
    })[0];
}

export function chooseInterpreter(runtime: string, code: CodeListing[]): InterpreterChoice {
    const version = parsePythonRuntime(runtime);
    if (isRetiredPythonRuntime(runtime)) throw new UserError(retiredRuntime(runtime));
    if (!version || !BUILDABLE_RUNTIMES.includes(runtime)) throw new UserError(`unknown runtime "${runtime}": use one of Lambda's Python runtimes, ${BUILDABLE_RUNTIMES.join(", ")}.`);
    if (DEBIAN_INTERPRETERS.includes(runtime)) return { interpreter: runtime, warnings: [] };
    const substitute = nearest(version[1]);
    const compiled = extensionsFor(version[1], code);
    if (compiled.length) {
        const shown = compiled
            .slice(0, 3)
            .map((c) => `${c.name} (in ${c.label})`)
            .join(", ");
        throw new UserError(
            `${runtime} cannot run here: no Debian release ships CPython ${version.join(".")} (${describeDebianPythons()}), and this code holds ${compiled.length} extension module${compiled.length > 1 ? "s" : ""} built for CPython ${version.join(".")} — ${shown}${compiled.length > 3 ? ", …" : ""} — which no other version can load. To run it locally, build it for ${substitute} (lambda-python build --runtime ${substitute}, or runtime: "${substitute}" in PythonFunction/PythonLayer); otherwise test it on Lambda itself.`,
        );
    }
    return {
        interpreter: substitute,
        warnings: [
            `${runtime} has no Debian CPython (${describeDebianPythons()}), so this pure-Python code runs on ${substitute} instead; anything that differs between CPython ${version.join(".")} and ${parsePythonRuntime(substitute)!.join(".")} will not show here.`,
        ],
    };
}
