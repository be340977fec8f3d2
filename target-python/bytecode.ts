// Bytecode for emulated functions. Under qemu, compiling Python is what makes
// cold starts slow, so an emulated function runs with PYTHONPYCACHEPREFIX
// set: Python then looks for every module's bytecode under one folder, laid
// out by source path (<prefix>/usr/lib/python3.13/os.cpython-313.pyc), and
// ignores the __pycache__ folders beside the sources.
//
// That folder is assembled from read-only parts, so that nothing a function
// does can change what another function runs (a writable prefix seeded with
// hard links let one function rewrite the root's own bytecode for every other):
//
//   <prefix>/usr/lib/python3.X, …/python3/dist-packages   copies of the root's bytecode, made with the root
//   <prefix>/var/runtime                                  copies of awslambdaric's, made with it
//   <prefix>/var/task, <prefix>/opt                       the function's code and layers, compiled before the
//                                                         first start by this machine's CPython of the same
//                                                         version (bytecode does not depend on the architecture),
//                                                         with the archive's own __pycache__ copied over it
//
// On Lambda nothing is compiled ahead: a module without bytecode in the archive
// that matches the runtime is compiled at every cold start. StartOptions
// `precompile: false` runs an emulated function that way (no prefix at all: the
// root's and awslambdaric's bytecode lie beside their sources too), which is
// what a function on this machine's own architecture always does.
//
// Bytecode Python would write anywhere else (a module in /tmp) cannot be
// written: it is compiled in memory, as on Lambda, whose /var/task is
// read-only too.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../shared/errors";
import { run, tail } from "../shared/process";
import { which } from "./host";
import { checkedFolder } from "./install-dir";

/** Where the sandbox finds the prefix (PYTHONPYCACHEPREFIX), inside the root. */
export const PREFIX = "var/cache/lambda-python-bytecode";

/**
 * Copies every __pycache__/*.pyc under `from` (seen at `mountedAt` in the
 * sandbox) into `prefix`, in the prefix's layout. Copies, never links: the
 * copies and the originals are read-only wherever they are mounted, and a link
 * would tie them together if one of them ever were not.
 */
export function copyIntoPrefix(from: string, mountedAt: string, prefix: string): void {
    const walk = (dir: string, rel: string) => {
        let entries: fs.Dirent[];
        try {
            entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch {
            return;
        }
        for (const e of entries) {
            if (!e.isDirectory()) continue;
            const full = path.join(dir, e.name);
            if (e.name !== "__pycache__") {
                walk(full, path.join(rel, e.name));
                continue;
            }
            const dest = path.join(prefix, mountedAt, rel);
            fs.mkdirSync(dest, { recursive: true });
            for (const pyc of fs.readdirSync(full).filter((n) => n.endsWith(".pyc"))) fs.copyFileSync(path.join(full, pyc), path.join(dest, pyc));
        }
    };
    walk(from, "");
}

/**
 * Compiles Python files to bytecode with `root`'s CPython (this machine's
 * architecture), as Lambda's runtimes ship them: the sandbox's file system is
 * read-only, so without this every cold start would compile the standard
 * library again (seconds under qemu). `binds` put the folders to compile in
 * the root (without any, the root itself is compiled and writable). With a
 * `prefix`, the bytecode goes there in PYTHONPYCACHEPREFIX's layout (from the
 * environment: compileall's workers do not inherit -X options) and a module
 * that does not compile is left out rather than an error.
 */
export async function compileBytecode(root: string, interpreter: string, binds: string[], folders: string[], options: { prefix?: string; uncheckedHash?: boolean } = {}): Promise<void> {
    const args = [binds.length ? "--ro-bind" : "--bind", root, "/", ...binds, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--chdir", "/tmp", "--unshare-all", "--die-with-parent"];
    // -s -P: nothing from a user site folder or the working folder. Nothing of our environment either
    // (SOURCE_DATE_EPOCH would make hash-checked bytecode).
    const mode = options.uncheckedHash ? ["--invalidation-mode", "unchecked-hash"] : [];
    const python = [`/usr/bin/${interpreter}`, "-s", "-P", "-m", "compileall", "-q", "-j", "2", ...mode, ...folders];
    const env: NodeJS.ProcessEnv = { PATH: "/usr/bin:/bin", ...(options.prefix ? { PYTHONPYCACHEPREFIX: options.prefix } : {}) };
    const r = await run(which("bwrap")!, [...args, "--", ...python], { env });
    if (r.code !== 0 && !((options.prefix || options.uncheckedHash) && r.code === 1)) throw new UserError(`could not compile ${folders.join(", ")} to bytecode with ${interpreter}: ${tail(r.stdout + r.stderr, 6)}`);
}

/** A folder's Python sources as they are now (names, sizes, times), for a folder given as code, which may change. */
function sourcesStamp(dir: string): string {
    const hash = crypto.createHash("sha256");
    const walk = (d: string) => {
        let entries: fs.Dirent[];
        try {
            entries = fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
        } catch {
            return;
        }
        for (const e of entries) {
            const full = path.join(d, e.name);
            if (e.isDirectory()) walk(full);
            else if (e.name.endsWith(".py")) {
                const st = fs.statSync(full, { throwIfNoEntry: false });
                if (st) hash.update(`${full}\0${st.size}\0${st.mtimeMs}\n`);
            }
        }
    };
    walk(dir);
    return hash.digest("hex");
}

export interface FunctionSources {
    /** The native root of the function's interpreter, which compiles (its CPython runs here at full speed). */
    nativeRoot: string;
    interpreter: string;
    /** The folders mounted at /var/task and /opt. */
    task: string;
    opt: string;
    /** The folders may change (a source folder given as code): their state is part of the key. */
    mutable: boolean;
}

/**
 * The function's own bytecode, compiled once per code, layers and interpreter
 * into `<base>/<key>/var/task` and `…/opt`: mounted read-only under the prefix.
 * A module that does not compile (a syntax error) has none; the runtime client
 * reports the error when it imports it, as on Lambda.
 */
export async function functionBytecode(base: string, s: FunctionSources): Promise<string> {
    // "archive-pyc": the archive's own bytecode is laid over what is compiled here (below); folders made before it was are not reused.
    const identity = ["archive-pyc", s.interpreter, s.task, s.opt, ...(s.mutable ? [sourcesStamp(s.task)] : [])];
    const key = crypto.createHash("sha256").update(identity.join("\n")).digest("hex").slice(0, 40);
    return checkedFolder(path.join(base, key), async (temp) => {
        fs.chmodSync(temp, 0o755);
        // The native root's own prefix folder is covered by the temporary one; only var/task and opt are kept from it.
        // A module that does not compile is left out (compileall exits 1): the runtime client reports it, as on Lambda.
        await compileBytecode(s.nativeRoot, s.interpreter, ["--ro-bind", s.task, "/var/task", "--ro-bind", s.opt, "/opt", "--bind", temp, `/${PREFIX}`], ["/var/task", "/opt"], { prefix: `/${PREFIX}` });
        for (const name of fs.readdirSync(temp)) if (name !== "var" && name !== "opt") fs.rmSync(path.join(temp, name), { recursive: true, force: true });
        for (const sub of ["var/task", "opt"]) fs.mkdirSync(path.join(temp, sub), { recursive: true });
        for (const name of fs.readdirSync(path.join(temp, "var"))) if (name !== "task") fs.rmSync(path.join(temp, "var", name), { recursive: true, force: true });
        // The archive's own __pycache__, as Lambda would find it beside the sources: what matches this interpreter
        // (lambda-python build --bytecode) is what runs, as on Lambda; bytecode that does not (another version's
        // magic number, a timestamp the extracted source does not have) is compiled again in memory, as on Lambda.
        copyIntoPrefix(s.task, "/var/task", temp);
        copyIntoPrefix(s.opt, "/opt", temp);
    });
}
