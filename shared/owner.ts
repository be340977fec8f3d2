// Which process a temporary file or folder belongs to, and whether that
// process still runs. Temporary names carry an owner tag, "<pid>.<start>":
// the pid and the kernel's start time of the process (clock ticks since
// boot, /proc/<pid>/stat field 22), so a pid reused after a crash is not
// taken for the owner. A build killed with SIGKILL runs no cleanup at all;
// the next build removes what such owners left (builder/leftovers.ts).
import * as fs from "fs";

/** The start time of a process, or undefined when it does not run (or is a zombie). "0" where /proc is not there. */
export function processStart(pid: number): string | undefined {
    let stat: string;
    try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT" && fs.existsSync("/proc/self/stat")) return undefined;
        return signalable(pid) ? "0" : undefined;
    }
    const fields = statFields(stat);
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    return fields[19];
}

/**
 * The fields of a /proc/<pid>/stat line after the command name, from the state (field 3) on: the name (field 2)
 * may hold spaces and parentheses, so they are counted after its last ")".
 */
export function statFields(stat: string): string[] {
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

let own: string | undefined;

/** This process's tag, for temporary names: "<pid>.<start>". */
export function ownerTag(): string {
    own ??= `${process.pid}.${processStart(process.pid) ?? "0"}`;
    return own;
}

/** The tag of another process (a child just started), or undefined once it is gone. */
export function tagOf(pid: number): string | undefined {
    const start = processStart(pid);
    return start === undefined ? undefined : `${pid}.${start}`;
}

/** Whether the process a tag names still runs: the same pid with the same start time. */
export function ownerAlive(tag: string): boolean {
    const [pid, start] = tag.split(".");
    const now = processStart(Number(pid));
    if (now === undefined) return false;
    return start === undefined || start === "0" || now === "0" || now === start;
}

function signalable(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}
