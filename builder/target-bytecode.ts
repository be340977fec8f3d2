// Bytecode for the target (BuildOptions.bytecode, lambda-python build
// --bytecode): every .py of the archive gets its unchecked-hash .pyc in
// __pycache__ beside it, compiled by the runner's Debian CPython of the
// function's runtime, so that Lambda does not compile the modules again at
// each cold start (its /var/task and /opt are read-only). See DESIGN.md,
// "Bytecode for the target".
//
// Compiled bytecode is cached per module, by the CPython's exact version, the
// path the module has on Lambda (its code object names it) and the source's
// sha256: compiling the same source in another batch, order or process gives
// the same bytes (checked by test/target-bytecode.test.ts), so an archive is
// the same bytes for the same inputs.
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../shared/errors";
import { DEBIAN_INTERPRETERS, describeDebianPythons } from "../target-python/debian-root";
import { bytecodeTag, compileForTarget, ensureTargetCompiler } from "../target-python/target-bytecode";
import { writeFileAtomic } from "../shared/atomic";
import { BuildCache, keyOf, markUsed, sha256Hex } from "./cache";
import type { ZipInputEntry } from "./zip-writer";

/** The entries the bytecode is added to: what index.ts plans. */
export interface BytecodeEntry extends ZipInputEntry {
    from: "source" | "dependencies";
}

/** BuildOptions.bytecode checked against the runtime: it needs that runtime's own CPython, which Debian must ship. */
export function checkBytecodeOption(bytecode: unknown, runtime: string): boolean {
    if (bytecode === undefined || bytecode === false) return false;
    if (bytecode !== true) throw new UserError(`bytecode must be true or false, not ${JSON.stringify(bytecode)}.`);
    if (!DEBIAN_INTERPRETERS.includes(runtime)) {
        throw new UserError(
            `bytecode for ${runtime} needs CPython ${runtime.replace("python", "")} itself (bytecode of another version is ignored by Lambda and only adds size), and no Debian release ships it to compile with (${describeDebianPythons()}). Build ${runtime} without bytecode, or use ${DEBIAN_INTERPRETERS.join(", ")}.`,
        );
    }
    return true;
}

/**
 * `planned` (sorted by name) with a `__pycache__/<module>.cpython-3XY.pyc` for
 * each .py file, compiled for `runtime` as it will lie on Lambda (under
 * /var/task for a function, /opt for a layer, whose entries carry their
 * python/ prefix). A module that does not compile gets none.
 */
export async function withTargetBytecode<T extends BytecodeEntry>(planned: T[], target: { runtime: string; kind: "function" | "layer" }, cache: BuildCache, say: (m: string) => void, make: (e: BytecodeEntry) => T): Promise<T[]> {
    const interpreter = target.runtime;
    const mountedAt = target.kind === "function" ? "/var/task" : "/opt";
    const tag = bytecodeTag(interpreter);
    const version = await ensureTargetCompiler(interpreter, say);
    const store = cache.bytecodeDir(keyOf({ interpreter, version }).slice(0, 32));
    fs.mkdirSync(store, { recursive: true });
    const sources = planned.filter((e) => !e.isDirectory && e.name.endsWith(".py"));
    const cached = (e: T) => path.join(store, `${keyOf({ at: `${mountedAt}/${e.name}`, sha256: e.sha256 })}.pyc`);
    // What this build uses is marked so (cache.ts: sweep() removes modules unused for a month).
    const missing = sources.filter((e) => {
        const file = cached(e);
        const mtime = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
        if (mtime !== undefined) markUsed(file, mtime);
        return mtime === undefined;
    });
    if (missing.length) {
        say(`compiling ${missing.length} module${missing.length === 1 ? "" : "s"} to bytecode with ${interpreter} (${version})`);
        const stage = cache.makeTempDir("bytecode");
        try {
            for (const e of missing) {
                const to = path.join(stage, e.name);
                fs.mkdirSync(path.dirname(to), { recursive: true });
                if (e.data) fs.writeFileSync(to, e.data);
                else fs.copyFileSync(e.path!, to);
            }
            await compileForTarget(interpreter, stage, mountedAt);
            for (const e of missing) {
                const pyc = path.join(stage, pycacheName(e.name, tag));
                // An empty file records a module that does not compile (a .pyc is never empty): not tried again.
                writeFileAtomic(cached(e), fs.existsSync(pyc) ? fs.readFileSync(pyc) : Buffer.alloc(0));
            }
        } finally {
            fs.rmSync(stage, { recursive: true, force: true });
        }
    }
    const byName = new Map(planned.map((e) => [e.name, e]));
    for (const e of sources) {
        const file = cached(e);
        const data = fs.readFileSync(file);
        if (data.length === 0) continue;
        const name = pycacheName(e.name, tag);
        // A source folder's own __pycache__ never reaches here (walk.ts leaves it out); a name taken is a bug.
        if (byName.has(name)) throw new Error(`bytecode entry ${name} is planned twice`);
        byName.set(name, make({ name, isDirectory: false, executable: false, size: data.length, sha256: sha256Hex(data), path: file, from: e.from }));
        const dir = name.slice(0, name.lastIndexOf("/") + 1);
        if (!byName.has(dir)) byName.set(dir, make({ name: dir, isDirectory: true, executable: true, size: 0, sha256: "", from: e.from }));
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** "pkg/mod.py" → "pkg/__pycache__/mod.cpython-313.pyc". */
function pycacheName(source: string, tag: string): string {
    const slash = source.lastIndexOf("/") + 1;
    return `${source.slice(0, slash)}__pycache__/${source.slice(slash, -".py".length)}.${tag}.pyc`;
}
