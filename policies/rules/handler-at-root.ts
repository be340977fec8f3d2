// lambda-handler-at-root: the handler's module must sit at the root of the
// function archive (Lambda imports it from /var/task) and define the
// handler function.
import { InspectedArchive } from "../inspect/facts";
import { finding, Finding } from "./types";

const POLICY = "lambda-handler-at-root";

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

/** Whether Python source binds `name` at some level (def, class, assignment, import). Lenient on purpose. */
function definesName(source: string, name: string): boolean {
    const n = name.replace(/[$]/g, "\\$");
    // Only spaces and tabs between a line's start and its first word: `\s` would also match newlines,
    // and `^\s*` from every line start of a long run of blank lines takes quadratic time.
    const patterns = [
        new RegExp(`^[ \\t]*(async[ \\t]+)?def[ \\t]+${n}[ \\t]*\\(`, "m"),
        new RegExp(`^[ \\t]*class[ \\t]+${n}\\b`, "m"),
        new RegExp(`^[^#\\n]*\\b${n}\\b[^=#\\n(]*(?<![=!<>])=(?!=)`, "m"),
        new RegExp(`^[ \\t]*(from[ \\t]+\\S+[ \\t]+)?import[ \\t]+[^#\\n]*\\b${n}\\b`, "m"),
        /^[ \t]*from[ \t]+\S+[ \t]+import[ \t]+\*/m,
        /\bglobals\(\)/,
    ];
    return patterns.some((p) => p.test(source));
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
    if (found.file!.endsWith(".py")) {
        const source = archive.readText(found.file!);
        if (source !== undefined && !definesName(source, target.func)) {
            return [finding(POLICY, "mandatory", `handler "${handler}": ${found.file} in ${label} does not define ${target.func}. Check the function name.`)];
        }
    }
    return [];
}
