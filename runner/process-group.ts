// Which processes of a process group are still running, as Linux's /proc
// tells it. The emulator runs as the leader of its own group, and what it
// starts (the bootstrap, anything a handler leaves in the background) is in
// that group too; SIGKILL to the group ends them all, but each one's end
// comes on its own time: the leader's exit does not say the others are gone.
import * as fs from "fs";
import { statFields } from "../shared/owner";

/**
 * The pids of group `pgid`'s processes that are not ended yet (a zombie, ended but not reaped, is ended);
 * undefined when /proc cannot say (not Linux).
 */
export function runningInGroup(pgid: number): number[] | undefined {
    let pids: string[];
    try {
        pids = fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name));
    } catch {
        return undefined;
    }
    const found: number[] = [];
    for (const pid of pids) {
        let stat: string;
        try {
            stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        } catch {
            continue; // gone since the listing
        }
        const fields = statFields(stat); // state, ppid, pgrp, …
        if (fields[0] !== "Z" && fields[0] !== "X" && Number(fields[2]) === pgid) found.push(Number(pid));
    }
    return found;
}
