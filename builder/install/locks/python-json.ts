// Python's `json.dumps(value, sort_keys=True)` byte for byte, for the content
// hashes Poetry, Pipenv and PDM write into their locks: each hashes a JSON
// dump of parts of the project file, so recomputing it here tells whether the
// lock was made from the project file as it is now. Python escapes every
// non-ASCII character (ensure_ascii), sorts keys by code point and writes
// floats with a decimal point; TOML values are read with integers as BigInt
// so `1` and `1.0` stay apart, as they do in Python.

function pyString(s: string): string {
    let out = '"';
    for (const ch of s) {
        const code = ch.codePointAt(0)!;
        if (ch === '"') out += '\\"';
        else if (ch === "\\") out += "\\\\";
        else if (ch === "\n") out += "\\n";
        else if (ch === "\r") out += "\\r";
        else if (ch === "\t") out += "\\t";
        else if (ch === "\b") out += "\\b";
        else if (ch === "\f") out += "\\f";
        else if (code < 0x20 || code > 0x7e) {
            // Outside ASCII (and control characters) as \uXXXX, astral characters as a surrogate pair.
            for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, "0")}`;
        } else out += ch;
    }
    return `${out}"`;
}

function pyFloat(n: number): string {
    if (Number.isNaN(n)) return "NaN";
    if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
    // Python's repr: a decimal point on whole numbers (exponents, which no project file's dependencies hold, may differ).
    return Number.isInteger(n) && Math.abs(n) < 1e16 ? n.toFixed(1) : String(n);
}

/** `json.dumps(value, sort_keys=True, separators=separators)` as Python writes it. */
export function pythonJsonDumps(value: unknown, separators: [string, string] = [", ", ": "]): string {
    const [item, key] = separators;
    const dump = (v: unknown): string => {
        if (v === null || v === undefined) return "null";
        if (v === true) return "true";
        if (v === false) return "false";
        if (typeof v === "bigint") return v.toString();
        if (typeof v === "number") return pyFloat(v);
        if (typeof v === "string") return pyString(v);
        if (Array.isArray(v)) return `[${v.map(dump).join(item)}]`;
        if (v instanceof Date) return pyString(v.toISOString());
        if (typeof v === "object") {
            // Python's sort orders by code point; JavaScript's default sort by UTF-16 unit, the same below U+D800.
            const keys = Object.keys(v as object).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
            return `{${keys.map((k) => `${pyString(k)}${key}${dump((v as Record<string, unknown>)[k])}`).join(item)}}`;
        }
        return pyString(String(v));
    };
    return dump(value);
}
