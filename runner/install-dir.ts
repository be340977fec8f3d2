// Installing a folder so that it is complete or absent: build it under a
// temporary name beside the target, then rename it into place. A killed
// install leaves only a temporary folder, which the next install removes
// (its owner's process is gone); a racing install that loses the rename uses
// the winner's folder.
import * as fs from "fs";
import * as path from "path";
import { removeQuietly, tempPathFor, trackTemp, untrackTemp } from "../builder/atomic";

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
    fs.mkdirSync(path.dirname(target), { recursive: true });
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
