// Command-line parsing shared by the commands, on node:util's parseArgs. Each
// command declares its options once, as parseArgs takes them (a module-level
// OPTIONS object that `satisfies Options`), and gets its values back with the
// types parseArgs infers for them: a string, a boolean, a string[] for a
// repeatable option, undefined when not given. The checks below turn a value
// into what the command needs (one of a list, a whole number in a range,
// NAME=VALUE pairs, a date) or a UserError naming the option: the one place
// an option's value is judged. A new option goes in the command's OPTIONS,
// its help text and usage line (cli/usage.ts), and the README's section of
// the command (test/usage-docs.test.ts holds them together).
import { parseArgs, ParseArgsOptionsConfig } from "util";
import { UserError } from "../shared/errors";
import { redactCredentials } from "../shared/redact";

/** A command's options, as node:util's parseArgs takes them. */
export type Options = ParseArgsOptionsConfig;

/** Every command takes --help (-h). */
const HELP = { help: { type: "boolean", short: "h" } } as const satisfies Options;

/** What parseArgs returns for `O` (strict, positionals allowed), with the types it infers. */
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof HELP; allowPositionals: true; strict: true }>>;

/**
 * argv parsed by `options` (and --help). An unknown option, a value missing or given to a flag: a UserError
 * in parseArgs' words, with the usage line.
 */
export function parse<const O extends Options>(command: string, argv: string[], options: O, usage: string): Parsed<O> {
    try {
        return parseArgs({ args: argv, options: { ...options, ...HELP }, allowPositionals: true, strict: true });
    } catch (e) {
        throw new UserError(`${e instanceof Error ? e.message.replace(/^TypeError \[[A-Z_]+\]: /, "") : String(e)}\n\nUsage: ${usage}\nRun "lambda-python ${command} --help" for details.`);
    }
}

/** A value that must be one of `allowed` (--arch, --kind …), as that type. */
export function oneOf<const T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
    return value === undefined ? undefined : member(name, value, allowed);
}

/** Each value of a repeatable option that must be one of `allowed` (setup's --arch). */
export function allOneOf<const T extends string>(name: string, values: readonly string[] | undefined, allowed: readonly T[]): T[] | undefined {
    return values?.map((value) => member(name, value, allowed));
}

function member<T extends string>(name: string, value: string, allowed: readonly T[]): T {
    const found = allowed.find((a) => a === value);
    if (found === undefined) throw new UserError(`--${name} must be one of ${allowed.join(", ")}; got "${value}".`);
    return found;
}

export function date(name: string, value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw new UserError(`--${name} must be a date as YYYY-MM-DD; got "${value}".`);
    return value;
}

/**
 * A whole number option; with `range`, one from `min` to `max`, else `outside` says so (default
 * "--NAME must be from MIN to MAX; got N."). Ranges the runner or builder check themselves
 * (--timeout, --memory) are left to them.
 */
export function wholeNumber(name: string, value: string | undefined, range?: { min: number; max: number; outside?: (n: number) => string }): number | undefined {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new UserError(`--${name} wants a whole number; got "${value}".`);
    const n = Number(value);
    if (range && (n < range.min || n > range.max)) throw new UserError(range.outside?.(n) ?? `--${name} must be from ${range.min} to ${range.max}; got ${n}.`);
    return n;
}

/** --debug-port: a port a debugger can connect to (1024 and up: a lower one needs root). */
export function debugPortOption(value: string | undefined): number | undefined {
    return wholeNumber("debug-port", value, {
        min: 1024,
        max: 65535,
        outside: (port) => `--debug-port must be from 1024 to 65535 (a port your editor attaches to, e.g. 5890); got ${port}.`,
    });
}

/** --profile-init with --debug-port: a debugger's pauses would be counted as import time. */
export function profileInitOption(profile: boolean | undefined, debugPort: number | undefined): boolean {
    if (profile && debugPort !== undefined) {
        throw new UserError("--profile-init and --debug-port cannot be used together: the time a debugger holds the function would be counted in its imports. Profile without the debugger.");
    }
    return !!profile;
}

/**
 * Repeated NAME=VALUE options (`--env`) as a map; a later NAME wins. `form` is what a pair without a
 * name and "=" is told the option wants (default "wants NAME=VALUE").
 */
export function namedValues(name: string, pairs: readonly string[] | undefined, form = "wants NAME=VALUE"): Record<string, string> {
    const out: Record<string, string> = {};
    for (const pair of pairs ?? []) {
        const eq = pair.indexOf("=");
        if (eq <= 0) throw new UserError(`--${name} ${form}; got "${pair}".`);
        out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return out;
}

/** Progress lines on stderr, for long steps. */
export function progressPrinter(quiet: boolean): (message: string) => void {
    return quiet ? () => {} : (message) => process.stderr.write(`lambda-python: ${redactCredentials(message)}\n`);
}
