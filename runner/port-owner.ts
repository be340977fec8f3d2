// Who listens on a port of 127.0.0.1, as Linux's /proc tells it: the
// emulator's ports are picked free (freePort) and handed to it, and another
// process can bind one in between; a connection alone would then take that
// process for the emulator, and every invoke would go to it. The listening
// socket's inode (/proc/net/tcp) is looked for among the emulator's open
// files (/proc/<pid>/fd).
import * as fs from "fs";

/**
 * For each of `ports`: "ours" when process `pid` holds the socket listening on
 * 127.0.0.1 at that port, "another" when some other process does, "none" when
 * nothing listens there, and undefined when /proc cannot say (not Linux, or
 * hidden from us). /proc is read once for all the ports.
 */
export function portListeners(ports: number[], pid: number): ("ours" | "another" | "none" | undefined)[] {
    let table: string;
    try {
        table = fs.readFileSync("/proc/net/tcp", "utf8");
    } catch {
        return ports.map(() => undefined);
    }
    const inodes = ports.map((port) => listeningInodes(table, port));
    if (inodes.every((found) => found.length === 0)) return ports.map(() => "none");
    const sockets = socketsOf(pid);
    return inodes.map((found) => (found.length === 0 ? "none" : !sockets ? undefined : found.some((inode) => sockets.has(`socket:[${inode}]`)) ? "ours" : "another"));
}

/** What process `pid`'s open files link to ("socket:[inode]" for a socket); undefined when /proc hides them. */
function socketsOf(pid: number): Set<string> | undefined {
    let fds: string[];
    try {
        fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
        return undefined;
    }
    const sockets = new Set<string>();
    for (const fd of fds) {
        try {
            sockets.add(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        } catch {
            // closed meanwhile
        }
    }
    return sockets;
}

/** Inodes of the sockets listening (state 0A) on 127.0.0.1 or any address at `port`, from /proc/net/tcp's text. */
export function listeningInodes(table: string, port: number): string[] {
    const wanted = port.toString(16).toUpperCase().padStart(4, "0");
    const inodes: string[] = [];
    for (const line of table.split("\n").slice(1)) {
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
        const fields = line.trim().split(/\s+/);
        if (fields.length < 10 || fields[3] !== "0A") continue;
        const [address, localPort] = fields[1].split(":");
        // 0100007F is 127.0.0.1 (the kernel's byte order), 00000000 any address: either takes our connections.
        if (localPort === wanted && (address === "0100007F" || address === "00000000")) inodes.push(fields[9]);
    }
    return inodes;
}
