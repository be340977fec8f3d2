// Makes an installed dependency tree machine-independent while keeping the
// .dist-info metadata importlib.metadata needs:
//
// - bytecode caches (__pycache__, .pyc, .pyo) and uv's .lock file are left out;
// - direct_url.json files that record a local path (file://…) are left out,
//   and so is uv_cache.json (uv's record of a wheel it built, with a timestamp);
// - console scripts in bin/ get Lambda's interpreter (/var/lang/bin/python3)
//   instead of the build machine's in their #! line;
// - RECORD files are rewritten to match what the archive holds: lines of
//   files that are not in it (removed here, or left out by excludes) are
//   dropped, hashes and sizes of rewritten files updated.
import * as crypto from "crypto";
import * as path from "path";
import { isBytecode } from "../policies/inspect/facts";

export const LAMBDA_PYTHON = "/var/lang/bin/python3";

export interface NormalizeResult {
    /** Relative paths to leave out. */
    drop: Set<string>;
    /** Relative paths whose content is replaced. */
    replace: Map<string, Buffer>;
}

/**
 * Decides what to change in a dependency tree, given the relative paths that
 * will go into the archive and a way to read a file. Reads only RECORD,
 * direct_url.json and bin/ scripts. `somethingLeftOut` says whether filters
 * dropped files of the tree (then RECORDs are checked even if nothing here changes).
 */
/** Build-time state an installer leaves in dist-info: uv's cache record of a locally built wheel carries the build's timestamp. */
const BUILD_STATE = /^[^/]+\.dist-info\/uv_cache\.json$/;

export function normalizeDependencyTree(paths: string[], read: (rel: string) => Buffer, somethingLeftOut = true, changed?: ReadonlyMap<string, { sha256: string; size: number }>): NormalizeResult {
    const drop = new Set<string>();
    const replace = new Map<string, Buffer>();
    for (const rel of paths) {
        if (isBytecode(rel) || rel === ".lock" || BUILD_STATE.test(rel)) drop.add(rel);
        else if (/^[^/]+\.dist-info\/direct_url\.json$/.test(rel) && recordsLocalPath(read(rel))) drop.add(rel);
        else if (/^bin\/[^/]+$/.test(rel)) {
            const fixed = fixShebang(read(rel));
            if (fixed) replace.set(rel, fixed);
        }
    }
    // RECORD files can only be stale when something they list was left out or changed.
    if (!somethingLeftOut && drop.size === 0 && replace.size === 0 && !changed?.size) return { drop, replace };
    const kept = new Set(paths.filter((p) => !drop.has(p)));
    for (const rel of kept) {
        if (!/^[^/]+\.dist-info\/RECORD$/.test(rel)) continue;
        const rewritten = rewriteRecord(read(rel).toString("utf8"), rel, kept, replace, changed);
        if (rewritten !== undefined) replace.set(rel, Buffer.from(rewritten, "utf8"));
    }
    return { drop, replace };
}

function recordsLocalPath(data: Buffer): boolean {
    try {
        const url = JSON.parse(data.toString("utf8")).url;
        return typeof url === "string" && url.startsWith("file:");
    } catch {
        return false;
    }
}

/** The script with Lambda's interpreter in its #! line, or undefined if it is not a Python script. */
export function fixShebang(data: Buffer): Buffer | undefined {
    if (data[0] !== 0x23 || data[1] !== 0x21) return undefined;
    const text = data.toString("utf8");
    const lines = text.split("\n");
    // pip's form for interpreter paths too long for #!: a sh line that execs Python.
    if (/^#!\/bin\/sh\s*$/.test(lines[0]) && /^'''exec' .*python[^ ]* "\$0" "\$@"\s*$/.test(lines[1] ?? "") && /^' '''\s*$/.test(lines[2] ?? "")) {
        return Buffer.from([`#!${LAMBDA_PYTHON}`, ...lines.slice(3)].join("\n"), "utf8");
    }
    const m = /^#!\s*(\S*python[\d.]*)(\s.*)?$/.exec(lines[0]);
    if (!m || m[1] === LAMBDA_PYTHON) return undefined;
    return Buffer.from([`#!${LAMBDA_PYTHON}${m[2] ?? ""}`, ...lines.slice(1)].join("\n"), "utf8");
}

/** `restated`: files whose content the archive holds changed elsewhere (slim's stripped shared objects), by hex sha256 and size. */
function rewriteRecord(text: string, recordRel: string, kept: Set<string>, replace: Map<string, Buffer>, restated?: ReadonlyMap<string, { sha256: string; size: number }>): string | undefined {
    const siteRoot = path.posix.dirname(path.posix.dirname(recordRel)); // "." for a top-level .dist-info
    let changed = false;
    const out: string[] = [];
    for (const line of text.split(/\r?\n/)) {
        if (!line) continue;
        const fields = parseCsvLine(line);
        const rel = resolveRecordPath(siteRoot, fields[0]);
        if (rel !== undefined && !kept.has(rel)) {
            changed = true;
            continue;
        }
        const data = rel !== undefined ? replace.get(rel) : undefined;
        if (data) {
            const digest = crypto.createHash("sha256").update(data).digest("base64url");
            out.push(formatCsvLine([fields[0], `sha256=${digest}`, String(data.length)]));
            changed = true;
            continue;
        }
        const other = rel !== undefined ? restated?.get(rel) : undefined;
        if (other) {
            out.push(formatCsvLine([fields[0], `sha256=${Buffer.from(other.sha256, "hex").toString("base64url")}`, String(other.size)]));
            changed = true;
            continue;
        }
        out.push(line);
    }
    return changed ? `${out.join("\n")}\n` : undefined;
}

/** RECORD paths are relative to site-packages; pip's scripts appear as ../../bin/x. */
function resolveRecordPath(siteRoot: string, recordPath: string): string | undefined {
    if (!recordPath) return undefined;
    // Most lines name a plain path under a top-level .dist-info (numpy's RECORD has 1,000+): no normalising needed.
    if (siteRoot === "." && !recordPath.startsWith(".") && !recordPath.startsWith("/") && !recordPath.includes("/.") && !recordPath.includes("//")) return recordPath;
    const joined = path.posix.normalize(path.posix.join(siteRoot, recordPath));
    if (!joined.startsWith("../")) return joined;
    const m = /^(?:\.\.\/)+(bin\/[^/]+)$/.exec(joined);
    return m ? m[1] : undefined;
}

function parseCsvLine(line: string): string[] {
    if (!line.includes('"')) return line.split(",");
    const out: string[] = [];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
        const ch = line[i];
        if (quoted) {
            if (ch === '"' && line[i + 1] === '"') {
                cur += '"';
                i++;
            } else if (ch === '"') quoted = false;
            else cur += ch;
        } else if (ch === '"') quoted = true;
        else if (ch === ",") {
            out.push(cur);
            cur = "";
        } else cur += ch;
    }
    out.push(cur);
    return out;
}

function formatCsvLine(fields: string[]): string {
    return fields.map((f) => (/[",\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(",");
}
