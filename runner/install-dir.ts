// Installing a folder so that it is complete or absent: build it under a
// temporary name beside the target, then rename it into place. A killed
// install leaves only a temporary folder, which the next install removes
// (its owner's process is gone); a racing install that loses the rename uses
// the winner's folder.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { removeQuietly, tempPathFor, trackTemp, untrackTemp } from "../builder/atomic";
import { makeFolders } from "../shared/folders";

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** Removes temporaries of `target` left by processes that no longer run. */
function removeAbandoned(target: string): void {
    const dir = path.dirname(target);
    const prefix = `.${path.basename(target)}.tmp-`;
    let names: string[] = [];
    try {
        names = fs.readdirSync(dir);
    } catch {
        return;
    }
    for (const name of names) {
        if (!name.startsWith(prefix)) continue;
        const pid = Number(name.slice(prefix.length).split("-")[0]);
        if (!processAlive(pid)) removeQuietly(path.join(dir, name));
    }
}

/** Returns `target`, building it with `fill(tempFolder)` first when it does not exist. */
export async function installFolder(target: string, fill: (temp: string) => Promise<void>): Promise<string> {
    if (fs.existsSync(target)) return target;
    makeFolders(path.dirname(target));
    removeAbandoned(target);
    const temp = trackTemp(tempPathFor(target));
    try {
        fs.mkdirSync(temp);
        await fill(temp);
        try {
            fs.renameSync(temp, target);
            untrackTemp(temp);
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if ((code === "ENOTEMPTY" || code === "EEXIST") && fs.existsSync(target)) removeQuietly(temp);
            else throw e;
        }
        return target;
    } catch (e) {
        removeQuietly(temp);
        throw e;
    }
}

/** Beside a checked folder: the digest of what it held when it was made. */
const STATE = ".state";

/**
 * What a folder holds, as a digest of every path under it with its type,
 * size and change time. The change time moves with every write, truncation,
 * chmod or rename, and nothing but the kernel sets it (utimes cannot put it
 * back), so a file changed since, "size and mtime unchanged", still differs.
 */
function contentState(dir: string): string {
    const hash = crypto.createHash("sha256");
    const walk = (d: string, rel: string) => {
        for (const name of fs.readdirSync(d).sort()) {
            const st = fs.lstatSync(path.join(d, name), { bigint: true });
            hash.update(`${rel}${name}\0${st.mode}\0${st.size}\0${st.ctimeNs}\n`);
            if (st.isDirectory()) walk(path.join(d, name), `${rel}${name}/`);
        }
    };
    walk(dir, "");
    return hash.digest("hex");
}

function stateMatches(target: string): boolean {
    try {
        return fs.readFileSync(target + STATE, "utf8") === contentState(target);
    } catch {
        return false; // no record (made before records were kept, or killed before it was written), or the folder went
    }
}

/**
 * installFolder for a cache used every run (the function's extracted code,
 * its compiled bytecode): what the folder held when made is recorded beside
 * it and compared on every use, and a folder that changed since (a file
 * edited, truncated, removed or added, by rot or by hand) is made again
 * instead of run. Rot the kernel does not see (a failing disk returning other
 * bytes) is not caught.
 */
export async function checkedFolder(target: string, fill: (temp: string) => Promise<void>): Promise<string> {
    if (fs.existsSync(target)) {
        if (stateMatches(target)) {
            const now = new Date();
            fs.utimesSync(target, now, now); // marks it used, for sweeping (the folder's own times are not recorded)
            return target;
        }
        removeQuietly(target);
    }
    await installFolder(target, fill);
    // Written after the rename: a process killed in between leaves a folder without a record, made again next time.
    const temp = tempPathFor(target + STATE);
    fs.writeFileSync(temp, contentState(target));
    fs.renameSync(temp, target + STATE);
    return target;
}

/** Removes a checked folder and its record. */
export function removeCheckedFolder(target: string): void {
    removeQuietly(target);
    removeQuietly(target + STATE);
}

/** The folder a name beside it records (install-dir's record of a checked folder), or undefined for anything else. */
export function recordedFolder(name: string): string | undefined {
    return name.endsWith(STATE) ? name.slice(0, -STATE.length) : undefined;
}
