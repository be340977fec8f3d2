// Installing a folder so that it is complete or absent: build it under a
// temporary name beside the target, then rename it into place. A killed
// install leaves only a temporary folder, which the next install removes
// (its owner's process is gone); a racing install that loses the rename uses
// the winner's folder.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { removeQuietly, renameFolderIntoPlace, tempPathFor, trackTemp } from "../shared/atomic";
import { defaultToolsDir } from "../shared/cache-dirs";
import { makeFolders } from "../shared/folders";
import { ownerAlive } from "../shared/owner";

/** The folder `lambda-python setup` fills for the runner and the target's Python: Debian roots, qemu, the emulator, awslambdaric, debugpy. */
export function runnerToolsDir(): string {
    return path.join(defaultToolsDir(), "runner");
}

/**
 * Removes temporaries of `target` left by processes that no longer run. A
 * temporary's name carries its owner's tag (pid.start time, tempPathFor);
 * the owner is judged by the one rule every cache uses (shared/owner.ts).
 */
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
        const tag = name.slice(prefix.length).split("-")[0];
        if (!ownerAlive(tag)) removeQuietly(path.join(dir, name));
    }
}

/**
 * Bounds a family of folders made one per content (`dir`'s folders whose names match `family`), where each change
 * of what they are made from makes another: `current` is marked used (its mtime), and of the others only the
 * `kept` most recently used stay, and any used in the last hour (another process may be running with it). Each
 * removed folder is first renamed to a temporary name, so no process ever takes a half-removed one for whole;
 * temporaries of the family that a killed process left go too.
 */
export function keepRecentlyUsed(dir: string, family: RegExp, current: string, kept: number): void {
    const now = Date.now();
    try {
        fs.utimesSync(current, new Date(now), new Date(now));
    } catch {
        return; // gone meanwhile: nothing to judge the others against
    }
    let names: string[];
    try {
        names = fs.readdirSync(dir);
    } catch {
        return;
    }
    const others: { name: string; used: number }[] = [];
    for (const name of names) {
        const temp = /^\.(.+)\.tmp-([0-9]+\.[0-9]+)-/.exec(name);
        if (temp && family.test(temp[1])) {
            if (!ownerAlive(temp[2])) removeQuietly(path.join(dir, name));
            continue;
        }
        if (!family.test(name) || name === path.basename(current)) continue;
        try {
            others.push({ name, used: fs.statSync(path.join(dir, name)).mtimeMs });
        } catch {
            // removed by another process meanwhile
        }
    }
    others.sort((a, b) => b.used - a.used);
    for (const { name, used } of others.slice(kept)) {
        if (now - used < RECENT_USE_MS) continue;
        const folder = path.join(dir, name);
        const trash = tempPathFor(folder);
        try {
            fs.renameSync(folder, trash);
        } catch {
            continue; // another process removed or is removing it
        }
        removeQuietly(trash);
    }
}

/** A folder used this recently is never removed by keepRecentlyUsed. */
const RECENT_USE_MS = 3600_000;

/** Returns `target`, building it with `fill(tempFolder)` first when it does not exist. */
export async function installFolder(target: string, fill: (temp: string) => Promise<void>): Promise<string> {
    if (fs.existsSync(target)) return target;
    makeFolders(path.dirname(target));
    removeAbandoned(target);
    const temp = trackTemp(tempPathFor(target));
    try {
        fs.mkdirSync(temp);
        await fill(temp);
        renameFolderIntoPlace(temp, target, fs.existsSync);
        return target;
    } catch (e) {
        removeQuietly(temp);
        throw e;
    }
}

/**
 * A checked folder is `<target>/content`, what is used, beside
 * `<target>/.state`, the digest of what it held when it was made. Both are
 * made under the temporary name and appear together with one rename, so no
 * process ever sees a folder without its record (with the record beside the
 * folder, a second process that looked in between took a folder just made
 * for a changed one and removed it under the first).
 */
const CONTENT = "content";
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
        return fs.readFileSync(path.join(target, STATE), "utf8") === contentState(path.join(target, CONTENT));
    } catch {
        return false; // no record (a folder of an earlier layout), or the folder went
    }
}

/**
 * installFolder for a cache used every run (the function's extracted code,
 * its compiled bytecode): what the folder held when made is recorded with
 * it and compared on every use, and a folder that changed since (a file
 * edited, truncated, removed or added, by rot or by hand) is made again
 * instead of run. Rot the kernel does not see (a failing disk returning other
 * bytes) is not caught. Returns the content folder; `fill` fills it.
 */
export async function checkedFolder(target: string, fill: (content: string) => Promise<void>): Promise<string> {
    if (fs.existsSync(target)) {
        if (stateMatches(target)) {
            const now = new Date();
            fs.utimesSync(target, now, now); // marks it used, for sweeping
            return path.join(target, CONTENT);
        }
        // Moved aside in one step, so a racing maker's rename finds the name free; then removed.
        const aside = tempPathFor(target);
        try {
            fs.renameSync(target, aside);
        } catch {
            // another process moved it first
        }
        removeQuietly(aside);
    }
    await installFolder(target, async (temp) => {
        const content = path.join(temp, CONTENT);
        fs.mkdirSync(content);
        await fill(content);
        fs.writeFileSync(path.join(temp, STATE), contentState(content));
    });
    return path.join(target, CONTENT);
}

/** Removes a checked folder. */
export function removeCheckedFolder(target: string): void {
    removeQuietly(target);
}
