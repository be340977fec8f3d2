// Errors meant for people. A UserError's message says what is wrong, where
// (path, package, resource) and what to do; the CLI prints it without a
// stack trace and components surface it as a Pulumi error.
import { redactCredentials } from "./redact";

export class UserError extends Error {
    constructor(message: string) {
        // However it was put together (an installer's output, an index URL), a message never carries a credential.
        super(redactCredentials(message));
        this.name = "UserError";
    }
}

export function isUserError(e: unknown): e is UserError {
    return e instanceof UserError;
}

/** The text of anything thrown: an Error's message, else its string form (some objects have none). */
export function describeThrown(e: unknown): string {
    if (e instanceof Error) return e.message;
    try {
        return String(e);
    } catch {
        return Object.prototype.toString.call(e);
    }
}

/** What a path is, for a sentence saying it is not what was expected: `--requirements <(…)` is a pipe. */
export function describeKind(st: { isDirectory(): boolean; isFile(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
    if (st.isDirectory()) return "a folder";
    if (st.isFile()) return "a file";
    if (st.isFIFO()) return "a pipe (such as a shell's <(…)), which can be read only once";
    if (st.isSocket()) return "a socket";
    return "a device";
}

/** Turns a filesystem error about `file` into a sentence with a fix. */
export function describeFsError(e: unknown, file: string, what = "file"): UserError {
    const err = e as NodeJS.ErrnoException;
    switch (err?.code) {
        case "ENOENT":
            return new UserError(`${what} ${file} does not exist.`);
        case "EACCES":
        case "EPERM":
            return new UserError(`cannot read ${what} ${file}: permission denied. Make it readable (chmod a+r) or exclude it.`);
        case "EISDIR":
            return new UserError(`${what} ${file} is a folder, expected a file.`);
        case "ENOTDIR":
            return new UserError(`${what} ${file}: a part of the path is not a folder.`);
        case "ENXIO":
        case "EOPNOTSUPP":
            return new UserError(`cannot read ${what} ${file}: it is not a regular file (a socket or device). Exclude it.`);
        default:
            return new UserError(`cannot read ${what} ${file}: ${describeThrown(e)}`);
    }
}

/** Error codes of a write that failed because of the place written to, not because of a bug. */
const WRITE_FAILURES = new Set(["ENOSPC", "EDQUOT", "EACCES", "EPERM", "EROFS", "ENOTDIR", "EISDIR", "EFBIG"]);

/**
 * Turns a failed write under `place` into a sentence with a fix, or undefined
 * when `e` is not such a failure. `place` says what the folder is for and how
 * to change it, e.g. "the build cache /x (--cache-dir)".
 */
export function describeWriteError(e: unknown, place: string): UserError | undefined {
    const err = e as NodeJS.ErrnoException;
    if (!err || !WRITE_FAILURES.has(err.code ?? "")) return undefined;
    const written = (err as { dest?: string }).dest ?? err.path;
    const file = written ? ` (writing ${written})` : "";
    switch (err.code) {
        case "ENOSPC":
        case "EDQUOT":
        case "EFBIG":
            return new UserError(`no space left for ${place}${file}. Free some space there or use another folder; nothing was written.`);
        case "EROFS":
            return new UserError(`${place} is on a read-only file system${file}. Use a writable folder.`);
        case "ENOTDIR":
        case "EISDIR":
            return new UserError(`${place} cannot be written${file}: a part of the path is not what it should be (a file where a folder is needed, or the reverse).`);
        default:
            return new UserError(`cannot write to ${place}${file}: permission denied. Make the folder writable or use another one.`);
    }
}
