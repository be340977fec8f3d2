// The emulator of the other architecture, as a pinned tool: Debian trixie's
// qemu-user (debian-qemu.json: version and sha256 per host architecture, from
// Debian's signed Packages index), downloaded from the Debian mirror, its
// hash checked, and only the one static binary the runner needs unpacked
// into the tools folder with its copyright file:
//
//   qemu-<version>-on-<host arch>/qemu-<target>   e.g. qemu-aarch64 on an x86_64 machine
//   qemu-<version>-on-<host arch>/copyright       Debian's licence file for it (GPL-2)
//
// Pinned rather than the host's qemu-user-static because the emulator's
// speed is the arm64 cold start: bookworm's qemu 7.2 imports numpy in
// 14.6 s where trixie's 10.0 takes 3.4 s (DESIGN.md).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../shared/errors";
import { run, tail } from "../shared/process";
import { Architecture } from "../policies/target";
import { debianMirror, hostArchitecture } from "./host";
import { installFolder, runnerToolsDir } from "./install-dir";
import pinned from "./debian-qemu.json";

/** The pinned Debian version, e.g. "1:10.0.13+ds-0+deb13u1". */
export const QEMU_DEBIAN_VERSION = pinned.version;
/** e.g. "10.0.13": its upstream part. */
export const QEMU_VERSION = pinned.version.replace(/^\d+:/, "").split("+")[0];

interface Deb {
    filename: string;
    size: number;
    sha256: string;
}

function deb(): Deb {
    const host = hostArchitecture();
    const found = host && (pinned.debs as Record<Architecture, Deb>)[host];
    if (!found) throw new UserError(`the pinned qemu (${pinned.package} ${pinned.version}) is listed for x86_64 and arm64 machines only; this one is ${process.arch}.`);
    return found;
}

function qemuProgram(target: Architecture): string {
    return (pinned.programs as Record<Architecture, string>)[target];
}

function qemuDir(): string {
    return path.join(runnerToolsDir(), `qemu-${QEMU_VERSION}-on-${hostArchitecture()}`);
}

/** Where the pinned qemu for `target` is (installed or not). */
export function qemuPath(target: Architecture): string {
    return path.join(qemuDir(), qemuProgram(target));
}

/**
 * Downloads `url` (a pinned Debian package) to `file`, returning its sha256; a failure is a UserError naming
 * the URL, `what` it is, and the fixes. Also used for the pinned stripper (builder/tools/strip.ts).
 */
export async function download(url: string, file: string, what = `the pinned qemu (${pinned.package} ${pinned.version}, which runs the other architecture's Python)`): Promise<string> {
    const fail = (why: string) =>
        new UserError(
            `could not download ${what} from ${url}: ${why}. Check your network (behind a proxy, set http_proxy and NODE_USE_ENV_PROXY=1, which Node's fetch needs), or set LAMBDA_PYTHON_DEBIAN_MIRROR to a Debian mirror that has this version (a snapshot.debian.org archive URL has every version), or run lambda-python setup on a machine with network into a tools folder this one reads (LAMBDA_PYTHON_TOOLS_DIR).`,
        );
    let response: Response;
    try {
        response = await fetch(url, { signal: AbortSignal.timeout(15 * 60_000) });
    } catch (e) {
        const cause = (e as { cause?: { message?: string } }).cause?.message;
        throw fail(cause ?? (e as Error).message);
    }
    if (response.status === 404) {
        throw fail(`HTTP 404, the mirror does not have it (Debian drops a stable package's old version from its mirrors at the next point release; then target-python/debian-qemu.json needs the new one)`);
    }
    if (!response.ok || !response.body) throw fail(`HTTP ${response.status} ${response.statusText}`);
    const hash = crypto.createHash("sha256");
    const out = fs.createWriteStream(file);
    try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
            hash.update(chunk);
            if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
        }
    } catch (e) {
        out.destroy();
        throw fail((e as Error).message);
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    return hash.digest("hex");
}

async function install(target: Architecture, say: (m: string) => void): Promise<string> {
    const program = qemuProgram(target);
    const { filename, size, sha256 } = deb();
    await installFolder(qemuDir(), async (temp) => {
        const url = `${debianMirror()}/${filename}`;
        say(`downloading qemu ${QEMU_VERSION} (Debian ${pinned.suite} ${pinned.package}, ${Math.round(size / 1e6)} MB) from ${url}`);
        const file = path.join(temp, path.basename(filename));
        const got = await download(url, file);
        if (got !== sha256) {
            throw new UserError(`${url} has sha256 ${got}, not the pinned ${sha256} (target-python/debian-qemu.json): refusing to use it. The mirror may serve a damaged or different file; try another (LAMBDA_PYTHON_DEBIAN_MIRROR).`);
        }
        // Only the binaries we need: the deb unpacks to ~470 MB. dpkg-deb reads the data member whatever its compression.
        const members = [`./usr/bin/${program}`, `./usr/share/doc/${pinned.package}/copyright`];
        const ex = await run("sh", ["-c", 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" "$3" "$4"', "sh", file, temp, ...members]);
        const binary = path.join(temp, members[0]);
        if (ex.code !== 0 || !fs.existsSync(binary)) throw new UserError(`could not unpack ${members[0]} from ${path.basename(filename)} (dpkg-deb --fsys-tarfile | tar -x): ${tail(ex.stderr, 4)}`);
        fs.renameSync(binary, path.join(temp, program));
        fs.renameSync(path.join(temp, members[1]), path.join(temp, "copyright"));
        fs.rmSync(path.join(temp, "usr"), { recursive: true });
        fs.rmSync(file);
        const version = await run(path.join(temp, program), ["--version"]);
        if (version.code !== 0 || !version.stdout.includes(`version ${QEMU_VERSION}`)) {
            throw new UserError(`${program} from ${path.basename(filename)} does not run on this machine: ${tail(version.stdout + version.stderr, 4)}`);
        }
    });
    return qemuPath(target);
}

// One install per process: the functions of a preview start together and would each download it.
const installing = new Map<string, Promise<string>>();

/** The pinned qemu that runs `target` code on this machine, installed when missing. */
export function ensureQemu(target: Architecture, say: (m: string) => void = () => {}): Promise<string> {
    const binary = qemuPath(target);
    if (fs.existsSync(binary)) return Promise.resolve(binary);
    let pending = installing.get(binary);
    if (!pending) {
        pending = install(target, say);
        installing.set(binary, pending);
        pending.catch(() => installing.delete(binary));
    }
    return pending;
}
