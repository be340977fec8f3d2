// A Debian root file system holding one real CPython for one architecture:
// the `/` of the sandbox a function runs in. debootstrap's first stage
// (--foreign) only downloads and unpacks, so it works for the other
// architecture too; every downloaded package is then unpacked with
// `dpkg-deb -x` (no maintainer scripts run: nothing executes at install).
// The root is read-only once made and shared by every function of that
// interpreter and architecture.
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../shared/errors";
import { run, tail } from "../shared/process";
import { Architecture } from "../policies/target";
import { compileBytecode, copyIntoPrefix, PREFIX } from "./bytecode";
import { DEBIAN_KEYRING, debianMirror, hostArchitecture, which } from "./host";
import { installFolder, runnerToolsDir } from "./install-dir";
import table from "./debian-pythons.json";

/**
 * Bumped when the root's layout (mount points, .pth, placeholders, bytecode)
 * changes. 3: the bytecode prefix of emulated functions lives in the root,
 * read-only (roots of layout 2 could have had their bytecode rewritten by a
 * function through the writable prefix's hard links, so none is reused).
 */
const ROOT_LAYOUT = 3;

interface InterpreterRow {
    suite: string;
    package: string;
}

const interpreters = table.interpreters as Record<string, InterpreterRow>;

/** Runtimes with a Debian CPython, e.g. ["python3.11", "python3.13", "python3.14"]. */
export const DEBIAN_INTERPRETERS: readonly string[] = Object.keys(interpreters);

function debianArchitecture(arch: Architecture): string {
    return (table.debianArchitectures as Record<Architecture, string>)[arch];
}

export function describeDebianPythons(): string {
    return Object.entries(interpreters)
        .map(([rt, row]) => `${row.suite} has ${rt}`)
        .join(", ");
}

export function rootDir(interpreter: string, arch: Architecture): string {
    const row = interpreters[interpreter];
    return path.join(runnerToolsDir(), "roots", `${row.suite}-${debianArchitecture(arch)}-${interpreter}-v${ROOT_LAYOUT}`);
}

/** Where the sandbox mounts things inside the root; they must exist as the root is read-only. */
export const MOUNT_POINTS = { task: "var/task", runtime: "var/runtime", opt: "opt", qemu: "usr/libexec/lambda-python-qemu", bytecode: PREFIX };
/** The function's and the runtime client's bytecode, mounted read-only inside the prefix (bytecode.ts). */
const PREFIX_MOUNTS = [MOUNT_POINTS.task, MOUNT_POINTS.runtime, MOUNT_POINTS.opt].map((m) => `${PREFIX}/${m}`);
const FOLDER_MOUNTS = [MOUNT_POINTS.task, MOUNT_POINTS.runtime, MOUNT_POINTS.opt, ...PREFIX_MOUNTS];
/** Host files bound over these, so that name resolution works inside the sandbox. */
export const HOST_FILES = ["etc/resolv.conf", "etc/hosts"];

export interface RootManifest {
    interpreter: string;
    architecture: Architecture;
    suite: string;
    mirror: string;
    /** The CPython package's Debian version, e.g. 3.13.5-2+deb13u5. */
    pythonVersion: string;
    packages: string[];
    created: string;
}

const MANIFEST = "lambda-python-root.json";

export function readManifest(root: string): RootManifest | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(root, MANIFEST), "utf8")) as RootManifest;
    } catch {
        return undefined;
    }
}

/** The root for an interpreter and architecture, made when missing (25–60 s, a ~100 MB download). */
export async function ensureRoot(interpreter: string, arch: Architecture, say: (m: string) => void = () => {}): Promise<string> {
    const row = interpreters[interpreter];
    if (!row) throw new UserError(`no Debian release ships ${interpreter} (${describeDebianPythons()}).`);
    const root = await makeRoot(interpreter, arch, row, say);
    // Mount points added after a root's layout version was set (idempotent, and harmless to a running sandbox).
    for (const p of FOLDER_MOUNTS) fs.mkdirSync(path.join(root, p), { recursive: true });
    return root;
}

async function makeRoot(interpreter: string, arch: Architecture, row: InterpreterRow, say: (m: string) => void): Promise<string> {
    return installFolder(rootDir(interpreter, arch), async (temp) => {
        if (process.getuid?.() !== 0) {
            throw new UserError(
                `making the Debian root for ${interpreter} on ${arch} needs root (debootstrap unpacks files owned by root). Run "sudo lambda-python setup" once with LAMBDA_PYTHON_TOOLS_DIR set to a folder you can read (the roots are read-only afterwards and need no root to use).`,
            );
        }
        const mirror = debianMirror();
        const { archives, debs } = await downloadPackages(temp, arch, row, mirror, say);
        say(`unpacking ${debs.length} Debian packages`);
        await unpackAll(
            debs.map((d) => path.join(archives, d)),
            temp,
        );
        layOutForSandbox(temp, archives, debs);
        const python = debs.find((d) => d.startsWith(`${row.package}_`))!;
        const manifest: RootManifest = {
            interpreter,
            architecture: arch,
            suite: row.suite,
            mirror,
            pythonVersion: python.split("_")[1],
            packages: debs.map((d) => d.replace(/\.deb$/, "")),
            created: new Date().toISOString(),
        };
        fs.writeFileSync(path.join(temp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
        if (!fs.existsSync(path.join(temp, "usr", "bin", interpreter)))
            throw new UserError(`the Debian root for ${interpreter} on ${arch} has no /usr/bin/${interpreter} after unpacking; the suite's packages may have changed (see target-python/debian-pythons.json).`);
        await compileStandardLibrary(temp, interpreter, arch, say);
    });
}

/** The suite's minimal system and the CPython package, downloaded by debootstrap into `temp`'s apt archives (not unpacked). */
async function downloadPackages(temp: string, arch: Architecture, row: InterpreterRow, mirror: string, say: (m: string) => void): Promise<{ archives: string; debs: string[] }> {
    const debArch = debianArchitecture(arch);
    say(`downloading Debian ${row.suite} ${row.package} for ${debArch} from ${mirror} (debootstrap)`);
    const debootstrap = which("debootstrap")!;
    // Every Debian suite since buster uses the "sid" script; naming it lets an older debootstrap (Ubuntu's)
    // fetch suites newer than itself.
    const script = ["/usr/share/debootstrap/scripts/sid"].filter((f) => fs.existsSync(f));
    const ds = await run(debootstrap, ["--foreign", "--variant=minbase", `--arch=${debArch}`, `--include=${row.package}`, `--keyring=${DEBIAN_KEYRING}`, row.suite, temp, mirror, ...script]);
    const archives = path.join(temp, "var", "cache", "apt", "archives");
    const debs = fs.existsSync(archives)
        ? fs
              .readdirSync(archives)
              .filter((f) => f.endsWith(".deb"))
              .sort()
        : [];
    if (ds.code !== 0 || !debs.some((d) => d.startsWith(`${row.package}_`))) {
        throw new UserError(
            `debootstrap could not download ${row.package} from Debian ${row.suite} for ${debArch} at ${mirror}: ${tail(ds.stdout + ds.stderr, 6)}\nCheck the mirror (LAMBDA_PYTHON_DEBIAN_MIRROR) and your network, then run lambda-python setup again.`,
        );
    }
    return { archives, debs };
}

/** What the sandbox needs and Lambda has: mount points, and the runtime client after the runtime's own files. */
function layOutForSandbox(temp: string, archives: string, debs: string[]): void {
    fs.rmSync(path.join(temp, "debootstrap"), { recursive: true, force: true });
    for (const d of debs) fs.rmSync(path.join(archives, d));
    for (const p of FOLDER_MOUNTS) fs.mkdirSync(path.join(temp, p), { recursive: true });
    for (const f of [...HOST_FILES, MOUNT_POINTS.qemu]) {
        const p = path.join(temp, f);
        fs.rmSync(p, { force: true });
        fs.writeFileSync(p, "");
    }
    const distPackages = path.join(temp, "usr", "lib", "python3", "dist-packages");
    fs.mkdirSync(distPackages, { recursive: true });
    fs.writeFileSync(path.join(distPackages, "lambda-runtime.pth"), `/${MOUNT_POINTS.runtime}\n`);
}

/** The standard library (and dist-packages) compiled to bytecode in place, and again in the PYTHONPYCACHEPREFIX layout. */
async function compileStandardLibrary(temp: string, interpreter: string, arch: Architecture, say: (m: string) => void): Promise<void> {
    say(`compiling ${interpreter}'s standard library to bytecode`);
    const stdlib = `usr/lib/${interpreter}`;
    const folders = [stdlib, "usr/lib/python3/dist-packages"];
    if (arch === hostArchitecture()) {
        await compileBytecode(
            temp,
            interpreter,
            [],
            folders.map((f) => `/${f}`),
        );
    } else {
        // Bytecode does not depend on the architecture: the host's CPython of the same version compiles
        // the foreign stdlib (ten times faster than under qemu), keeping its own native modules.
        const native = await ensureRoot(interpreter, hostArchitecture()!, say);
        const binds = [...folders.flatMap((f) => ["--bind", path.join(temp, f), `/${f}`]), "--ro-bind", path.join(native, stdlib, "lib-dynload"), `/${stdlib}/lib-dynload`];
        await compileBytecode(
            native,
            interpreter,
            binds,
            folders.map((f) => `/${f}`),
        );
    }
    // The same bytecode in the layout PYTHONPYCACHEPREFIX wants, for emulated functions (bytecode.ts).
    for (const f of folders) copyIntoPrefix(path.join(temp, f), `/${f}`, path.join(temp, PREFIX));
}

/** dpkg-deb -x for every package, two at a time (this is I/O and decompression). */
async function unpackAll(debs: string[], root: string): Promise<void> {
    const queue = [...debs];
    const worker = async () => {
        for (let deb = queue.shift(); deb; deb = queue.shift()) {
            const r = await run("dpkg-deb", ["-x", deb, root]);
            if (r.code !== 0) throw new UserError(`could not unpack ${path.basename(deb)} (dpkg-deb -x): ${tail(r.stderr, 4)}`);
        }
    };
    await Promise.all([worker(), worker()]);
}
