// Errors meant for people. A UserError's message says what is wrong, where
// (path, package, resource) and what to do; the CLI prints it without a
// stack trace and components surface it as a Pulumi error.

export class UserError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UserError";
    }
}

export function isUserError(e: unknown): e is UserError {
    return e instanceof UserError;
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
            return new UserError(`cannot read ${what} ${file}: ${err?.message ?? String(e)}`);
    }
}
