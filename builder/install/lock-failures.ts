// The two ways a locked, hash-checked install fails that are the lock's
// business rather than the package's: a download whose hash is not one the
// lock records (the index served other bytes than when the lock was made:
// a replaced file, another index, tampering), and a package the installer
// needs on the target that the lock does not pin. Both stop the build with
// one paragraph naming the lock, in pip's and in uv's words alike.
import { UserError } from "../../shared/errors";

/** pip: "six==1.17.0 from https://…:" under "THESE PACKAGES DO NOT MATCH THE HASHES"; uv: "Hash mismatch for `six==1.17.0`". */
function mismatched(output: string): string[] {
    const found = new Set<string>();
    const pip = output.split("THESE PACKAGES DO NOT MATCH THE HASHES")[1];
    if (pip) for (const m of pip.matchAll(/^\s+([A-Za-z0-9][A-Za-z0-9._-]*(?:==\S+)?) from \S+/gm)) found.add(m[1]);
    for (const m of output.matchAll(/Hash mismatch for `([^`]+)`/g)) found.add(m[1]);
    return [...found];
}

/**
 * pip: the requirements listed after "must have their versions pinned with ==. These do not:" or "missing from
 * some requirements"; uv: "no trusted hash was provided for: `x`".
 */
function unpinned(output: string): string[] {
    const found = new Set<string>();
    const pip = /(?:must have their versions pinned with ==\. These do not:|but they are missing from some requirements[^\n]*)\n([\s\S]*)/.exec(output);
    if (pip) for (const m of pip[1].matchAll(/^ {4}([A-Za-z0-9][A-Za-z0-9._-]*)[^\n]* from /gm)) found.add(m[1]);
    for (const m of output.matchAll(/no trusted hash was provided for: `([^`]+)`/g)) found.add(m[1]);
    return [...found];
}

/** A UserError for a locked install's output when it failed for one of these reasons, else undefined. */
export function lockFailure(output: string, lock: string, target: string): UserError | undefined {
    const bad = mismatched(output);
    if (bad.length) {
        return new UserError(
            `the download of ${bad.join(", ")} for ${target} does not match any hash ${lock} records for it, so nothing was installed: the package index served other bytes than when the lock was made. ` +
                `If you trust the index (it republished the file), lock again to record the new hash; otherwise find out where the file came from.`,
        );
    }
    const missing = unpinned(output);
    if (missing.length) {
        return new UserError(`installing ${lock} for ${target} needs ${missing.join(", ")}, which the lock does not pin (a locked package requires it on this target). Lock again and build again.`);
    }
    return undefined;
}
