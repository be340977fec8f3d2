// The function's network: outbound access like a Lambda function's, and
// nothing of the machine that runs it. Sharing this machine's network
// namespace let a function reach the developer's services on 127.0.0.1 and
// abstract unix sockets (they belong to a network namespace). So each
// emulator's bootstrap runs in a network namespace of its own, connected by
// pasta (Debian's passt package: user-mode networking, as rootless Podman
// uses), which:
//
//   - gives the namespace a copy of this machine's address and routes and
//     carries its TCP, UDP and ICMP out through ordinary sockets of this
//     machine (so outbound traffic goes wherever this machine's may);
//   - forwards exactly one port from the namespace's 127.0.0.1 to this
//     machine's: the emulator's Runtime API, which the runtime client must
//     reach (-T <port>; every other port stays the namespace's own);
//   - does not map the gateway address to this machine's loopback
//     (--no-map-gw), so the developer's local services stay out of reach;
//   - and nothing routes to this machine's other addresses: pasta copies
//     one interface's address into the namespace (that copy is the
//     namespace's own), but a packet to any other address of this machine
//     (its IPv6 link-local address, a second interface, docker0, a VPN)
//     would go out through pasta's ordinary sockets and reach this
//     machine's services on it. Each is made unreachable in the namespace
//     (an `ip rule`, which unlike a route also holds for a link-local
//     address with a scope).
//
// The namespace is held by a small process (`unshare … sleep`); the sandbox
// enters it with nsenter before bwrap starts. Both helpers die with us
// (setpriv --pdeathsig) and are stopped with the emulator.
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { describeWriteError, UserError } from "../shared/errors";
import { makeFolders } from "../shared/folders";
import { which } from "../target-python/host";

export interface FunctionNetwork {
    /** The command prefix that runs what follows it inside the namespace. */
    enter: string[];
    /** The helper processes, for the emulator's process registry (complete once `ready`). */
    processes: ChildProcess[];
    /** Settles once the namespace is set up; rejects with a sentence when it cannot be. */
    ready: Promise<void>;
    close(): void;
}

/** Where the namespace reaches this machine's resolver when the host's resolv.conf names only loopback ones (systemd-resolved's 127.0.0.53). */
const DNS_FORWARD = "169.254.1.53";

let started = 0;

function kill(child: ChildProcess): void {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** The host's resolv.conf, and whether every nameserver in it is a loopback address (unreachable from the namespace). */
function hostResolvers(): { text: string; loopbackOnly: boolean } {
    let text = "";
    try {
        text = fs.readFileSync("/etc/resolv.conf", "utf8");
    } catch {
        return { text, loopbackOnly: false };
    }
    const servers = [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]);
    return { text, loopbackOnly: servers.length > 0 && servers.every((s) => s.startsWith("127.") || s === "::1") };
}

/**
 * The resolv.conf the sandbox sees: this machine's, unless it names only
 * loopback resolvers (systemd-resolved's 127.0.0.53), which are out of the
 * namespace's reach; then one naming the address pasta forwards to them.
 */
export function sandboxResolvConf(runtimeDir: string): string {
    const { text, loopbackOnly } = hostResolvers();
    return loopbackOnly ? forwardedResolvConf(runtimeDir, text) : "/etc/resolv.conf";
}

/** A resolv.conf naming pasta's DNS forwarder, kept beside the runner's other files. */
function forwardedResolvConf(dir: string, host: string): string {
    const file = path.join(dir, "resolv.conf");
    const options = host
        .split("\n")
        .filter((l) => /^\s*(search|domain|options)\b/.test(l))
        .join("\n");
    const text = `# lambda-python: this machine's resolvers are loopback addresses; pasta forwards this one to them\nnameserver ${DNS_FORWARD}\n${options}\n`;
    try {
        makeFolders(dir);
        if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
            const temp = `${file}.${process.pid}`;
            fs.writeFileSync(temp, text);
            fs.renameSync(temp, file);
        }
    } catch (e) {
        throw describeWriteError(e, `the runner's folder ${dir}`) ?? e;
    }
    return file;
}

/** The last 2,000 characters `child` wrote on stderr, as they come. */
function stderrOf(child: ChildProcess): () => string {
    let err = "";
    child.stderr?.setEncoding("utf8").on("data", (c: string) => (err = (err + c).slice(-2000)));
    return () => err.trim() || "no output";
}

/** Resolves once `child` says it is ready (its first output on `signal`, default its stdout); rejects with its stderr when it exits first. */
function firstLine(child: ChildProcess, what: string, signal: NodeJS.ReadableStream | null = child.stdout): Promise<void> {
    const err = stderrOf(child);
    return new Promise((resolve, reject) => {
        signal?.once("data", () => resolve());
        child.once("error", (e) => reject(new UserError(`${what} could not start: ${e.message}`)));
        child.once("exit", (code, signal) => reject(new UserError(`${what} stopped (${signal ?? `exit status ${code}`}) before it was ready: ${err()}`)));
    });
}

/** Every address of this machine's interfaces but loopback's, as the namespace must not reach them (see the top). */
export function hostAddresses(): { v4: string[]; v6: string[] } {
    const all = Object.values(os.networkInterfaces())
        .flat()
        .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal);
    const unique = (family: string) => [...new Set(all.filter((a) => a.family === family).map((a) => a.address))];
    return { v4: unique("IPv4"), v6: unique("IPv6") };
}

/** Runs `ip -batch` inside the namespace (its root, in its own user namespace), with a sentence when it fails. */
function ipInNamespace(enter: string[], family: "-4" | "-6", commands: string[]): Promise<void> {
    if (!commands.length) return Promise.resolve();
    return new Promise((resolve, reject) => {
        const child = execFile(enter[0], [...enter.slice(1), which("ip")!, family, "-batch", "-"], (e, _out, err) =>
            e ? reject(new UserError(`could not keep this machine's addresses out of the function's network (ip rule): ${err.trim() || e.message}`)) : resolve(),
        );
        child.stdin?.end(`${commands.join("\n")}\n`);
    });
}

/** The network interfaces of `pid`'s network namespace, besides loopback. */
function interfaces(pid: number): string[] {
    try {
        return [...fs.readFileSync(`/proc/${pid}/net/dev`, "utf8").matchAll(/^\s*([^:\s]+):/gm)].map((m) => m[1]).filter((n) => n !== "lo");
    } catch {
        return [];
    }
}

/**
 * A network namespace for one emulator, whose 127.0.0.1:`apiPort` is this
 * machine's (the Runtime API) and which otherwise reaches only what this
 * machine reaches through its own routes. Returns at once, so that the
 * emulator starts meanwhile; `ready` settles when pasta has set the namespace
 * up (nothing may enter it before).
 */
export function startNetwork(apiPort: number, runtimeDir: string, env: Record<string, string>, inbound?: { hostPort: number; port: number }): FunctionNetwork {
    const [unshare, nsenter, setpriv, pasta] = ["unshare", "nsenter", "setpriv", "pasta"].map((p) => which(p)!);
    const processes: ChildProcess[] = [];
    const close = () => processes.forEach(kill);
    // A user namespace too, so that an unprivileged user may create the network namespace (and pasta join it).
    const holder = spawn(unshare, ["--user", "--map-root-user", "--net", "--", setpriv, "--pdeathsig", "KILL", "--", "sh", "-c", "echo ready; exec sleep infinity"], { env, stdio: ["ignore", "pipe", "pipe"] });
    processes.push(holder);
    const ns = (kind: string) => `/proc/${holder.pid}/ns/${kind}`;
    const enter = [nsenter, "--preserve-credentials", `--user=${ns("user")}`, `--net=${ns("net")}`, "--"];
    const ready = (async () => {
        await firstLine(holder, "the network namespace's holder (unshare)");
        const { loopbackOnly } = hostResolvers();
        // pasta writes its pid to this FIFO once the namespace's interface, address and routes are set up. Opened
        // read-write, it never reads as ended before pasta writes (a FIFO without a writer would).
        try {
            makeFolders(runtimeDir);
        } catch (e) {
            throw describeWriteError(e, `the runner's folder ${runtimeDir}`) ?? e;
        }
        const fifo = path.join(runtimeDir, `pasta-${process.pid}-${++started}.ready`);
        await new Promise<void>((resolve, reject) => execFile(which("mkfifo")!, ["-m", "600", fifo], (e, _out, err) => (e ? reject(new UserError(`could not make ${fifo}: ${err.trim() || e.message}`)) : resolve())));
        const signal = new net.Socket({ fd: fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK), readable: true, writable: false });
        try {
            // Inbound, only a debugger's (--debug-port: debug.ts's inner port, to debugpy's), from this machine's loopback.
            const tcpIn = inbound ? `127.0.0.1/${inbound.hostPort}:${inbound.port}` : "none";
            const args = ["-f", "-q", "--config-net", "-t", tcpIn, "-u", "none", "-T", String(apiPort), "-U", "none", "--no-map-gw", "-P", fifo];
            if (loopbackOnly) args.push("--dns-forward", DNS_FORWARD);
            // As root pasta would switch to nobody, who may not open another process's namespaces.
            if (process.getuid?.() === 0) args.push("--runas", "0");
            args.push("--userns", ns("user"), "--netns", ns("net"));
            const helper = spawn(setpriv, ["--pdeathsig", "KILL", "--", pasta, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
            processes.push(helper);
            const said = stderrOf(helper);
            await firstLine(helper, "pasta (the function's network)", signal);
            // pasta can come up without its interface (no access to /dev/net/tun): the function would have no network.
            if (!interfaces(holder.pid!).length) {
                throw new UserError(
                    `pasta could not give the function its network (${said()}). As a user other than root it needs /dev/net/tun readable and writable (mode 0666, as Debian and Ubuntu set it); run lambda-python as root, or fix the device's mode.`,
                );
            }
            const own = hostAddresses();
            const rules = (addresses: string[]) => addresses.map((a) => `rule add to ${a} unreachable`);
            await Promise.all([ipInNamespace(enter, "-4", rules(own.v4)), ipInNamespace(enter, "-6", rules(own.v6))]);
        } finally {
            signal.destroy();
            fs.rmSync(fifo, { force: true });
        }
    })();
    ready.catch(close);
    return { enter, processes, ready, close };
}
