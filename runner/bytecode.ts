// The bytecode cache of an emulated function. Under qemu, compiling Python
// is what makes cold starts slow, so emulated functions run with
// PYTHONPYCACHEPREFIX pointing at a writable folder of their own (one per
// code + layers + interpreter, so that two functions' /var/task files never
// share a cache entry). With a prefix set, Python ignores the __pycache__
// folders beside the sources, so the folder starts as hard links to the
// root's and the runtime client's precompiled bytecode, laid out the way the
// prefix wants it (<prefix>/<source folder>/<module>.cpython-3X.pyc).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { installFolder } from "./install-dir";

/** Links (or copies) every __pycache__/*.pyc under `from` into `prefix` + `mountedAt`. */
function seed(prefix: string, from: string, mountedAt: string): void {
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
            for (const pyc of fs.readdirSync(full).filter((n) => n.endsWith(".pyc"))) {
                try {
                    fs.linkSync(path.join(full, pyc), path.join(dest, pyc));
                } catch {
                    fs.copyFileSync(path.join(full, pyc), path.join(dest, pyc));
                }
            }
        }
    };
    walk(from, "");
}

/**
 * The bytecode folder for one emulated function. `precompiled` maps host
 * folders holding __pycache__ to where the sandbox mounts them.
 */
export async function bytecodeCacheFor(base: string, identity: string[], precompiled: { host: string; mountedAt: string }[]): Promise<string> {
    const key = crypto.createHash("sha256").update(identity.join("\n")).digest("hex").slice(0, 40);
    const dir = await installFolder(path.join(base, key), async (temp) => {
        fs.chmodSync(temp, 0o755);
        for (const p of precompiled) seed(temp, p.host, p.mountedAt);
    });
    const now = new Date();
    fs.utimesSync(dir, now, now); // marks it used, for sweeping
    return dir;
}
