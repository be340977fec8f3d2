// What killed builds left behind, removed by the next build. A build killed
// with SIGKILL (the OOM killer, a CI timeout, kill -9) runs no cleanup: its
// temporary folders (a half-made install can be 200 MB), temporary files
// beside the archives, records and --out, and its installers (pip, uv and
// what they started run in process groups of their own, so they outlive it)
// stay. Every temporary name carries its owner's tag, pid and start time
// (shared/owner.ts); at the start of each build, entries whose owner no
// longer runs are removed, and an installer recorded in one (its process
// group, by the same kind of tag) is killed first. Entries of builds still
// running, in this process or another, are left alone.
import * as fs from "fs";
import * as path from "path";
import { ownerAlive } from "../shared/owner";
import { CHILD_MARKER } from "../shared/process";
import { removeQuietly } from "../shared/atomic";

/** The owner tag in a temporary name: ".name.tmp-<pid>.<start>-…", "install-<pid>.<start>-…" (older names: the pid alone). */
const TAG = /\.tmp-(\d+(?:\.\d+)?)(?:-|$)|^[a-z]+-(\d+(?:\.\d+)?)-/;

/**
 * Removes, in each folder, the temporary entries of processes that no longer
 * run; in `outFolder` only the temporaries of `outName` (a user's folder).
 * Returns how many were removed. Never throws: a folder that cannot be read
 * has nothing we could clean.
 */
export function sweepLeftovers(folders: string[], out?: string): number {
    let removed = 0;
    const sweep = (folder: string, only?: (name: string) => boolean) => {
        let names: string[];
        try {
            names = fs.readdirSync(folder);
        } catch {
            return;
        }
        for (const name of names) {
            if (only && !only(name)) continue;
            const m = TAG.exec(name);
            const tag = m?.[1] ?? m?.[2];
            if (!tag || ownerAlive(tag)) continue;
            const p = path.join(folder, name);
            stopOrphan(p);
            removeQuietly(p);
            removed++;
        }
    };
    for (const folder of folders) sweep(folder);
    if (out) sweep(path.dirname(out), (name) => name.startsWith(`.${path.basename(out)}.tmp-`));
    return removed;
}

/** Kills the installer a dead build left running: its private TMPDIR names the child's process group. */
function stopOrphan(folder: string): void {
    let tag: string;
    try {
        tag = fs.readFileSync(path.join(folder, CHILD_MARKER), "utf8").trim();
    } catch {
        return;
    }
    if (!/^\d+\.\d+$/.test(tag) || !ownerAlive(tag)) return;
    const pid = Number(tag.split(".")[0]);
    try {
        process.kill(-pid, "SIGKILL"); // the child leads a process group of its own (shared/process.ts)
    } catch {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // gone meanwhile
        }
    }
}
