// lambda-handler-at-root: the handler's module must sit at the root of the
// function archive (Lambda imports it from /var/task) and define the
// handler function.
import { followLinks, InspectedArchive } from "../inspect/facts";
import { formatBytes } from "./format";
import { finding, Finding } from "./types";

const POLICY = "lambda-handler-at-root";
/** The biggest handler module read to find the handler's definition. */
const MAX_HANDLER_BYTES = 16 * 1024 * 1024;

export interface HandlerTarget {
    module: string;
    func: string;
    /** Files that would provide the module, relative to the archive root. */
    candidates: string[];
}

/** "app.handlers.main" → module app/handlers.py's `main`; Lambda also accepts "dir/mod.fn". */
function parseHandler(handler: string): HandlerTarget | undefined {
    const dot = handler.lastIndexOf(".");
    if (dot <= 0 || dot === handler.length - 1) return undefined;
    const module = handler.slice(0, dot).replace(/\//g, ".");
    const func = handler.slice(dot + 1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(func) || !module.split(".").every((p) => /^[A-Za-z_][A-Za-z0-9_-]*$/.test(p))) return undefined;
    const base = module.replace(/\./g, "/");
    return { module, func, candidates: [`${base}.py`, `${base}/__init__.py`] };
}

/**
 * Where a handler's module is in an archive: "root" (found), "nested"
 * (found under a folder), or "missing". Extension modules count as found.
 */
function locateHandler(archive: InspectedArchive, target: HandlerTarget): { where: "root" | "nested" | "missing"; file?: string } {
    const names = new Set(archive.facts.files.map((f) => f.name));
    for (const c of target.candidates) if (names.has(c)) return { where: "root", file: c };
    const base = target.candidates[0].slice(0, -3);
    const ext = archive.facts.files.find((f) => f.name.startsWith(`${base}.`) && /\.(so|pyd)$/.test(f.name) && !f.name.slice(base.length + 1).includes("/"));
    if (ext) return { where: "root", file: ext.name };
    const nested = archive.facts.files.find((f) => target.candidates.some((c) => f.name.endsWith(`/${c}`)));
    return nested ? { where: "nested", file: nested.name } : { where: "missing" };
}

/**
 * Whether Python source binds `name` at some level (def, class, assignment,
 * import). Lenient on purpose. Linear in the source's length, line by line
 * with plain string scans: the regular expressions this replaced backtracked
 * quadratically on a long line (a 1 MB one-line module took 80 s of CPU).
 */
export function definesName(source: string, name: string): boolean {
    if (/\bglobals\(\)/.test(source)) return true;
    const defOrClass = new RegExp(`^[ \\t]*(?:(?:async[ \\t]+)?def[ \\t]+${name}[ \\t]*\\(|class[ \\t]+${name}(?![A-Za-z0-9_]))`);
    const importLine = /^[ \t]*(?:from[ \t]+\S+[ \t]+)?import[ \t]/;
    for (let start = 0; start < source.length; ) {
        let end = source.indexOf("\n", start);
        if (end < 0) end = source.length;
        const line = source.slice(start, end);
        start = end + 1;
        if (!line.includes(name)) continue;
        if (defOrClass.test(line)) return true;
        const hash = line.indexOf("#");
        const code = hash < 0 ? line : line.slice(0, hash);
        if (importLine.test(code)) {
            if (/^[ \t]*from[ \t]+\S+[ \t]+import[ \t]+\*/.test(code) || wordAt(code, name, code.indexOf("import") + 6) >= 0) return true;
            continue;
        }
        if (assigns(code, name)) return true;
    }
    return false;
}

const isWordChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);

/** The first index at or after `from` where `name` stands as a whole word, or -1. */
function wordAt(code: string, name: string, from: number): number {
    for (let i = code.indexOf(name, from); i >= 0; i = code.indexOf(name, i + 1)) {
        if (!isWordChar(code[i - 1]) && !isWordChar(code[i + name.length])) return i;
    }
    return -1;
}

/**
 * `name … = value` on one line (comment removed): after some whole-word
 * `name`, the first "=" or "(" is a single "=" (not ==, <=, >=, !=).
 * Each position is scanned a bounded number of times: the next "=" or "("
 * after an occurrence is found once and shared by the occurrences before it.
 */
function assigns(code: string, name: string): boolean {
    let stop = -1;
    for (let i = wordAt(code, name, 0); i >= 0; i = wordAt(code, name, i + 1)) {
        if (stop < i + name.length) {
            stop = i + name.length;
            while (stop < code.length && code[stop] !== "=" && code[stop] !== "(") stop++;
        }
        if (code[stop] === "=" && !"!<>".includes(code[stop - 1]) && code[stop + 1] !== "=") return true;
    }
    return false;
}

export function checkHandlerAtRoot(archive: InspectedArchive, handler: string, hasLayers = false): Finding[] {
    const label = archive.facts.label;
    const target = parseHandler(handler);
    if (!target) {
        return [finding(POLICY, "mandatory", `handler "${handler}" is not of the form module.function (e.g. "lambda_function.lambda_handler").`)];
    }
    const found = locateHandler(archive, target);
    const file = target.candidates[0];
    if (found.where === "nested") {
        const folder = found.file!.slice(0, found.file!.length - file.length);
        return [
            finding(
                POLICY,
                "mandatory",
                `handler "${handler}" needs ${file} at the root of ${label}, but it is at ${found.file}. ` +
                    `Zip the contents of ${folder} rather than the folder itself, or set the handler to "${(folder + target.module.replace(/\./g, "/")).replace(/\//g, ".")}.${target.func}".`,
            ),
        ];
    }
    if (found.where === "missing") {
        return [
            finding(
                POLICY,
                hasLayers ? "advisory" : "mandatory",
                `handler "${handler}" needs ${file} at the root of ${label}, and the archive has no such module.` +
                    (hasLayers ? " (If one of the function's layers provides it under python/, this is fine.)" : " Check the handler name and what the archive contains."),
            ),
        ];
    }
    // A link is judged by the file it leads to inside the archive, never by its own text.
    const links = new Map(archive.facts.files.filter((f) => f.link !== undefined).map((f) => [f.name, f.link!]));
    const names = new Set(archive.facts.files.map((f) => f.name));
    const resolved = followLinks(
        found.file!,
        (n) => links.get(n),
        (n) => names.has(n),
    );
    if ("problem" in resolved) {
        return [finding(POLICY, "mandatory", `handler "${handler}": ${found.file} in ${label} ${resolved.problem}, so Lambda cannot import it. Ship the module itself.`)];
    }
    if (found.file!.endsWith(".py")) {
        const size = archive.facts.files.find((f) => f.name === resolved.name)?.size ?? 0;
        if (size > MAX_HANDLER_BYTES) {
            return [finding(POLICY, "advisory", `handler "${handler}": ${found.file} in ${label} is ${formatBytes(size)}, too big to check that it defines ${target.func}.`)];
        }
        const source = archive.readText(resolved.name, MAX_HANDLER_BYTES);
        if (source === undefined) {
            return [finding(POLICY, "mandatory", `handler "${handler}": ${found.file} in ${label} cannot be read (its data is damaged). Rebuild the archive.`)];
        }
        if (!definesName(source, target.func)) {
            return [finding(POLICY, "mandatory", `handler "${handler}": ${found.file} in ${label} does not define ${target.func}. Check the function name.`)];
        }
    }
    return [];
}
