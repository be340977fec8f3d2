// What this machine must have to run functions the way Lambda does, and
// getting it: Linux, bubblewrap (the sandbox), pasta (passt: the function's
// network, network.ts) and nsenter, debootstrap and dpkg-deb
// (Debian roots, and unpacking the pinned qemu: qemu.ts) and user
// namespaces. The other architecture's qemu is a pinned tool, not the
// host's qemu-user-static, which is neither needed nor used. Missing
// Debian packages are installed with apt-get when we run as root, so that
// `npm test` and `npm start` work on a fresh machine; otherwise one
// paragraph says what to install.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UserError } from "../shared/errors";
import { run, tail } from "../shared/process";
import { Architecture } from "../policies/target";

/** The host's own instruction set, as Lambda names it (undefined: neither). */
export function hostArchitecture(): Architecture | undefined {
    return os.arch() === "x64" ? "x86_64" : os.arch() === "arm64" ? "arm64" : undefined;
}

/** A program (looked for on PATH) or a file, and the Debian package that brings it. */
interface Need {
    program?: string;
    file?: string;
    debianPackage: string;
    why: string;
}

export const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

/** What to check: `roots` when a Debian root must be made, `qemu` when the pinned qemu must be unpacked. */
export interface HostNeeds {
    roots: boolean;
    qemu: boolean;
}

function needs(options: HostNeeds): Need[] {
    const list: Need[] = [
        { program: "bwrap", debianPackage: "bubblewrap", why: "gives the function Lambda's file system" },
        { program: "pasta", debianPackage: "passt", why: "gives the function outbound network without this machine's own services" },
        { program: "nsenter", debianPackage: "util-linux", why: "puts the function in its network namespace" },
        { program: "ip", debianPackage: "iproute2", why: "keeps this machine's own addresses out of the function's network" },
    ];
    if (options.roots) {
        list.push({ program: "debootstrap", debianPackage: "debootstrap", why: "downloads Debian's CPython for the target" });
        // Ubuntu's debootstrap does not bring Debian's keys.
        list.push({ file: DEBIAN_KEYRING, debianPackage: "debian-archive-keyring", why: "checks the Debian archive's signatures" });
    }
    if (options.roots || options.qemu) list.push({ program: "dpkg-deb", debianPackage: "dpkg", why: "unpacks Debian packages" });
    return list;
}

/** A program's absolute path on PATH (and the sbin folders apt puts debootstrap in), or undefined. */
export function which(program: string): string | undefined {
    const dirs = (process.env.PATH ?? "").split(":").concat(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"]);
    for (const dir of dirs) {
        if (!dir) continue;
        const p = path.join(dir, program);
        try {
            fs.accessSync(p, fs.constants.X_OK);
            if (fs.statSync(p).isFile()) return p;
        } catch {
            // not here
        }
    }
    return undefined;
}

// Kept for the process: installed packages and namespace support do not go away under it.
const checked = new Set<string>();

/**
 * Makes sure the host can run the sandbox (and build roots, and unpack the
 * pinned qemu). Installs missing Debian packages when it can.
 */
export async function ensureHostCapabilities(options: HostNeeds, say: (m: string) => void = () => {}): Promise<void> {
    const key = JSON.stringify(options);
    if (checked.has(key)) return;
    if (process.platform !== "linux" || !hostArchitecture()) {
        throw new UserError(
            `running functions locally needs Linux on x86_64 or arm64 (this is ${process.platform} on ${os.arch()}): the sandbox is bubblewrap, which uses Linux namespaces, and the Python interpreters are Debian's Linux builds. Run lambda-python invoke/serve inside a Linux machine or VM (WSL2 works), or test on Lambda itself.`,
        );
    }
    const present = (n: Need) => (n.program ? !!which(n.program) : fs.existsSync(n.file!));
    const missing = needs(options).filter((n) => !present(n));
    if (missing.length) {
        const packages = [...new Set(missing.map((n) => n.debianPackage))];
        const command = `apt-get install -y ${packages.join(" ")}`;
        const canInstall = process.getuid?.() === 0 && !!which("apt-get") && process.env.LAMBDA_PYTHON_NO_APT !== "1";
        if (!canInstall) {
            throw new UserError(
                `running functions locally needs ${missing.map((n) => `${n.program ?? n.file} (${n.why})`).join(", ")}, which ${missing.length > 1 ? "are" : "is"} not installed. On Debian or Ubuntu: sudo apt-get update && sudo ${command} — then run lambda-python setup again.`,
            );
        }
        say(`installing ${packages.join(", ")} with apt-get`);
        const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
        const update = await run("apt-get", ["update", "-qq"], { env });
        const install = update.code === 0 ? await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { env }) : update;
        const still = missing.filter((n) => !present(n));
        if (install.code !== 0 || still.length) {
            throw new UserError(`could not install ${packages.join(", ")} with apt-get (${command}): ${tail(install.stdout + install.stderr, 6)}\nInstall them yourself, then run lambda-python setup again.`);
        }
    }
    await checkNamespaces();
    checked.add(key);
}

/** bubblewrap and the network (network.ts) need to create namespaces: as root they can, otherwise unprivileged user namespaces must be on. */
async function checkNamespaces(): Promise<void> {
    const bwrap = which("bwrap")!;
    let r = await run(bwrap, ["--ro-bind", "/", "/", "--unshare-user", "--unshare-pid", "--proc", "/proc", "--", "/bin/true"]);
    if (r.code === 0) r = await run(which("unshare") ?? "unshare", ["--user", "--map-root-user", "--net", "--", "/bin/true"]);
    if (r.code === 0) return;
    throw new UserError(
        `bubblewrap cannot create a sandbox on this machine: ${r.stderr.trim() || `exit status ${r.code}`}. It needs user namespaces: enable them (sysctl -w kernel.unprivileged_userns_clone=1, or user.max_user_namespaces above 0; in a container, run it with --privileged or a seccomp profile that allows unshare), then run lambda-python setup again.`,
    );
}

/**
 * The Debian mirror to download from: LAMBDA_PYTHON_DEBIAN_MIRROR, else the
 * first Debian archive URI in this machine's apt configuration.
 */
export function debianMirror(): string {
    const fromEnv = process.env.LAMBDA_PYTHON_DEBIAN_MIRROR;
    if (fromEnv) return fromEnv.replace(/\/+$/, "");
    const uris: string[] = [];
    const read = (f: string) => {
        try {
            return fs.readFileSync(f, "utf8");
        } catch {
            return "";
        }
    };
    const listDir = "/etc/apt/sources.list.d";
    let files: string[] = [];
    try {
        files = fs
            .readdirSync(listDir)
            .sort()
            .map((f) => path.join(listDir, f));
    } catch {
        // no apt configuration folder
    }
    for (const f of ["/etc/apt/sources.list", ...files]) {
        const text = read(f);
        if (f.endsWith(".sources")) {
            // deb822 stanzas: "URIs: a b"; skip disabled stanzas ("Enabled: no").
            for (const stanza of text.split(/\n\s*\n/)) {
                if (/^Enabled:\s*no\s*$/im.test(stanza)) continue;
                const m = /^URIs:\s*(.+)$/im.exec(stanza);
                if (m && /^Types:.*\bdeb\b/im.test(stanza)) uris.push(...m[1].trim().split(/\s+/));
            }
        } else if (f.endsWith(".list")) {
            for (const line of text.split("\n")) {
                const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
                if (m) uris.push(m[1]);
            }
        }
    }
    // The main archive, not the security or ports ones.
    const mirror = uris.find((u) => /^https?:\/\//.test(u) && /\/debian\/?$/.test(u));
    if (!mirror) {
        throw new UserError(
            "no Debian mirror found: this machine's apt configuration (/etc/apt/sources.list, /etc/apt/sources.list.d/) names no Debian archive. Set LAMBDA_PYTHON_DEBIAN_MIRROR to a Debian mirror's URL (the folder holding dists/ and pool/), then run lambda-python setup again.",
        );
    }
    return mirror.replace(/\/+$/, "");
}
