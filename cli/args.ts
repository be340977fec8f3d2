// Command-line parsing shared by the commands, on node:util's parseArgs,
// with mistakes reported as UserErrors.
import { parseArgs, ParseArgsConfig } from "util";
import { UserError } from "../shared/errors";
import { redactCredentials } from "../shared/redact";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
    values: Record<string, string | boolean | string[] | undefined>;
    positionals: string[];
}

export function parse(command: string, argv: string[], options: Options, usage: string): Parsed {
    try {
        return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    } catch (e) {
        throw new UserError(`${(e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, "")}\n\nUsage: ${usage}\nRun "lambda-python ${command} --help" for details.`);
    }
}

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
    if (value === undefined) return undefined;
    if (!allowed.includes(value as T)) throw new UserError(`--${name} must be one of ${allowed.join(", ")}; got "${value}".`);
    return value as T;
}

export function date(name: string, value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw new UserError(`--${name} must be a date as YYYY-MM-DD; got "${value}".`);
    return value;
}

/** A whole number option (ranges are for the caller to check). */
export function wholeNumber(name: string, value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new UserError(`--${name} wants a whole number; got "${value}".`);
    return Number(value);
}

/** Repeated NAME=VALUE options (`--env`) as a map; a later NAME wins. */
export function namedValues(name: string, pairs: string[] | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    for (const pair of pairs ?? []) {
        const eq = pair.indexOf("=");
        if (eq <= 0) throw new UserError(`--${name} wants NAME=VALUE; got "${pair}".`);
        out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return out;
}

/** Progress lines on stderr, for long steps. */
export function progressPrinter(quiet: boolean): (message: string) => void {
    return quiet ? () => {} : (message) => process.stderr.write(`lambda-python: ${redactCredentials(message)}\n`);
}
