// Writing files (and folders) so that a reader never sees half of one: write
// a temporary beside the target, then rename it over the target. Temporary files
// still pending when the process is interrupted are removed on the way out.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ownerTag } from "./owner";

// Process-wide on purpose: an interrupt cleans up every build's temporaries; each leaves the set once renamed or removed.
const pending = new Set<string>();

/** A temporary name beside `target`, tagged with this process (pid and start time) so that a killed build's can be told from a running one's (leftovers.ts). */
export function tempPathFor(target: string): string {
    return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${ownerTag()}-${crypto.randomBytes(4).toString("hex")}`);
}

/** Registers a temporary path to delete if the process is interrupted before it is renamed. */
export function trackTemp(p: string): string {
    pending.add(p);
    return p;
}

export function removeQuietly(p: string): void {
    try {
        fs.rmSync(p, { recursive: true, force: true });
    } catch {
        // best effort: nothing depends on it being gone
    }
    pending.delete(p);
}

/** Renames a finished temporary file into place. */
export function commitTemp(temp: string, target: string): void {
    fs.renameSync(temp, target);
    // rename(2) does nothing when both names are links to one file (two builds linking the same archive to
    // one shared --out): the temporary name would stay beside the target.
    if (fs.existsSync(temp)) fs.rmSync(temp, { force: true });
    pending.delete(temp);
}

/**
 * Renames a finished temporary folder into place; returns whether ours is
 * the one placed. Concurrent builds and setups make the same folder: when
 * the rename fails because another process put `target` there first and
 * `complete(target)` says that one is whole, ours is removed and theirs is
 * used (it is as good as ours); any other failure is thrown.
 */
export function renameFolderIntoPlace(temp: string, target: string, complete: (dir: string) => boolean): boolean {
    try {
        fs.renameSync(temp, target);
        pending.delete(temp);
        return true;
    } catch (e) {
        if (!complete(target)) throw e;
        removeQuietly(temp);
        return false;
    }
}

export function writeFileAtomic(target: string, data: string | Buffer | Iterable<string>): void {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temp = trackTemp(tempPathFor(target));
    try {
        if (typeof data === "string" || Buffer.isBuffer(data)) fs.writeFileSync(temp, data);
        else writeChunks(temp, data);
        commitTemp(temp, target);
    } catch (e) {
        removeQuietly(temp);
        throw e;
    }
}

/** Writes text given in pieces (a big JSON document made a part at a time, never whole in memory). */
function writeChunks(file: string, chunks: Iterable<string>): void {
    const fd = fs.openSync(file, "w");
    try {
        for (const c of chunks) {
            const bytes = Buffer.from(c, "utf8");
            for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done);
        }
    } finally {
        fs.closeSync(fd);
    }
}

/**
 * Puts a finished, never-modified file at `target` atomically: a hard link
 * when both are on one filesystem (no bytes copied), otherwise a copy.
 * Callers must notice if the linked file is later modified in place.
 */
export function linkOrCopyAtomic(source: string, target: string): void {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    try {
        const a = fs.statSync(source);
        const b = fs.statSync(target);
        if (a.ino === b.ino && a.dev === b.dev) return;
    } catch {
        // target does not exist yet
    }
    const temp = trackTemp(tempPathFor(target));
    try {
        try {
            fs.linkSync(source, temp);
        } catch {
            fs.copyFileSync(source, temp, fs.constants.COPYFILE_FICLONE);
        }
        commitTemp(temp, target);
    } catch (e) {
        removeQuietly(temp);
        throw e;
    }
}

/** Deletes every pending temporary file; for signal handlers. */
export function removePendingTemps(): void {
    for (const p of [...pending]) removeQuietly(p);
}

// Whatever way the process ends (normally, process.exit, an uncaught error), nothing it still tracks survives it.
process.on("exit", removePendingTemps);
