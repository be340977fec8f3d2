// TOML files of Python projects (pyproject.toml, Pipfile, poetry.lock,
// pdm.lock, pylock.toml) read with smol-toml: a small parser without
// dependencies that follows TOML 1.0/1.1 and is kept up to date (see
// builder/DESIGN.md for the choice). Integers come back as BigInt so content
// hashes can tell `1` from `1.0` as Python does (python-json.ts).
import * as fs from "fs";
import type * as SmolToml from "smol-toml";
import { describeFsError, UserError } from "../../../shared/errors";

// Loaded on first use: most builds read no TOML, and a rebuild should not pay for the parser.
let smol: typeof SmolToml | undefined;

export type TomlTable = Record<string, unknown>;

export function readText(file: string, what: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        throw describeFsError(e, file, what);
    }
}

/** The parsed TOML of `text` (the content of `file`); a syntax error names the file and line. */
export function parseToml(text: string, file: string, what: string): TomlTable {
    smol ??= require("smol-toml") as typeof SmolToml;
    try {
        return smol.parse(text, { integersAsBigInt: true }) as TomlTable;
    } catch (e) {
        if (e instanceof smol.TomlError) {
            throw new UserError(`${what} ${file} is not valid TOML (line ${e.line}, column ${e.column}: ${e.message.split("\n")[0]}). Fix the file, or write it again with the tool that made it.`);
        }
        throw e;
    }
}

/** A table inside `t` (`table(t, "tool", "poetry")`), or an empty one. */
export function table(t: unknown, ...keys: string[]): TomlTable {
    let at: unknown = t;
    for (const k of keys) at = at && typeof at === "object" && !Array.isArray(at) ? (at as TomlTable)[k] : undefined;
    return at && typeof at === "object" && !Array.isArray(at) ? (at as TomlTable) : {};
}

export function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

export function strings(v: unknown): string[] {
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

export function tables(v: unknown): TomlTable[] {
    return Array.isArray(v) ? v.filter((x): x is TomlTable => !!x && typeof x === "object" && !Array.isArray(x)) : [];
}
