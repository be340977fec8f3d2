// The stripper `slim` builds use on shared objects: GNU strip from Debian's
// binutils-multiarch (debian-binutils.json: version and sha256 per machine
// architecture, from Debian's signed Packages index), downloaded from the
// Debian mirror like the runner's qemu, its hash checked, and unpacked into
// the tools folder with the libraries it loads:
//
//   stripper-binutils-<version>-on-<host arch>/strip      binutils-multiarch's strip (every BFD target)
//   stripper-binutils-<version>-on-<host arch>/lib/       its libbfd/libopcodes (multiarch) and libsframe
//
// Multiarch, because the host's strip knows its own architecture only: an
// x86_64 machine's GNU strip treats an aarch64 library as "elf64-little" and
// may write it back wrong. See DESIGN.md ("Slimming") for --strip-unneeded.
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../../shared/errors";
import { run, tail } from "../../shared/process";
import { Architecture } from "../../policies/target";
import { debianMirror, hostArchitecture } from "../../target-python/host";
import { installFolder } from "../../target-python/install-dir";
import { download } from "../../target-python/qemu";
import { defaultToolsDir } from "../../shared/cache-dirs";
import pinned from "./debian-binutils.json";

interface Deb {
    package: string;
    filename: string;
    size: number;
    sha256: string;
}

/** The pinned binutils-multiarch: its Debian version and suite. */
export const STRIPPER_PACKAGE = { version: pinned.version, suite: pinned.suite };

/** What names this stripper in cache keys: another version may strip differently. */
export const STRIPPER = `binutils-multiarch ${pinned.version} strip --strip-unneeded, load segments checked, patchelf layouts compacted (v6)`;

function host(): Architecture {
    const arch = hostArchitecture();
    if (!arch) throw new UserError(`slimming strips shared objects with Debian's binutils-multiarch, pinned for x86_64 and arm64 machines only; this one is ${process.arch}. Build without slim, or on an x86_64 or arm64 machine.`);
    return arch;
}

/** Where the pinned strip is (or will be) installed: `<dir>/strip`. Throws a UserError on a machine it is not pinned for. */
export function stripDir(): string {
    // Not "binutils-2.40-…": builder/leftovers.ts would read "binutils-2.40" as a dead build's temporary folder.
    return path.join(defaultToolsDir(), `stripper-binutils-${pinned.version}-on-${host()}`);
}

export interface Stripper {
    /** Writes `input` stripped to `output`; undefined when done, else strip's complaint (the file is then shipped as it was). */
    strip(input: string, output: string): Promise<string | undefined>;
}

function stripperIn(dir: string): Stripper {
    const env = { ...process.env, LD_LIBRARY_PATH: path.join(dir, "lib") };
    const program = path.join(dir, "strip");
    return {
        async strip(input, output) {
            // --strip-unneeded on a shared object keeps .dynsym and every relocation the dynamic linker needs,
            // and drops .symtab and the debug sections; -p keeps the file's mode.
            const r = await run(program, ["--strip-unneeded", "-p", "-o", output, input], { env });
            return r.code === 0 ? undefined : tail(r.stderr || r.stdout, 3).trim() || `exit status ${r.code}`;
        },
    };
}

async function install(say: (m: string) => void): Promise<string> {
    const arch = host();
    const debs = (pinned.debs as Record<Architecture, Deb[]>)[arch];
    const program = (pinned.programs as Record<Architecture, string>)[arch];
    const libDir = `./usr/lib/${(pinned.libraryDirs as Record<Architecture, string>)[arch]}`;
    return installFolder(stripDir(), async (temp) => {
        for (const deb of debs) {
            const url = `${debianMirror()}/${deb.filename}`;
            say(`downloading ${deb.package} ${pinned.version} (Debian ${pinned.suite}; strips the shared objects of slimmed archives) from ${url}`);
            const file = path.join(temp, path.basename(deb.filename));
            const got = await download(url, file, `the pinned stripper (Debian ${pinned.suite} ${deb.package} ${pinned.version})`);
            if (got !== deb.sha256) {
                throw new UserError(`${url} has sha256 ${got}, not the pinned ${deb.sha256} (builder/tools/debian-binutils.json): refusing to use it. The mirror may serve a damaged or different file; try another (LAMBDA_PYTHON_DEBIAN_MIRROR).`);
            }
            const ex = await run("sh", ["-c", 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" "$3"', "sh", file, temp, libDir]);
            const ex2 = deb.package === "binutils-multiarch" ? await run("sh", ["-c", 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" "$3"', "sh", file, temp, `./usr/bin/${program}`]) : ex;
            if (ex.code !== 0 || ex2.code !== 0) throw new UserError(`could not unpack ${path.basename(deb.filename)} (dpkg-deb --fsys-tarfile | tar -x; dpkg-deb is in Debian's and Ubuntu's dpkg package): ${tail(ex.stderr + ex2.stderr, 4)}`);
            fs.rmSync(file);
        }
        fs.renameSync(path.join(temp, "usr", "bin", program), path.join(temp, "strip"));
        fs.renameSync(path.join(temp, libDir), path.join(temp, "lib"));
        fs.rmSync(path.join(temp, "usr"), { recursive: true });
        const version = await run(path.join(temp, "strip"), ["--version"], { env: { ...process.env, LD_LIBRARY_PATH: path.join(temp, "lib") } });
        if (version.code !== 0 || !version.stdout.includes("GNU strip")) {
            throw new UserError(
                `the pinned stripper (Debian ${pinned.suite} binutils-multiarch ${pinned.version}) does not run on this machine: ${tail(version.stdout + version.stderr, 4)}\nIt needs glibc 2.34 or newer, zlib and zstd (Debian/Ubuntu: zlib1g, libzstd1). Install them, or build without slim.`,
            );
        }
    });
}

let installing: Promise<string> | undefined;

/** The pinned multiarch strip, installed when missing (a 2.8 MB download, once). */
export async function ensureStripper(say: (m: string) => void = () => {}): Promise<Stripper> {
    const dir = stripDir();
    if (!fs.existsSync(path.join(dir, "strip"))) {
        installing ??= install(say);
        installing.catch(() => {
            installing = undefined;
        });
        await installing;
    }
    return stripperIn(dir);
}
