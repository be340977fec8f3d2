// Bytecode for the target, made ahead by the builder (lambda-python build
// --bytecode, PythonFunction/PythonLayer `bytecode: true`): Lambda's /var/task
// and /opt are read-only, so a module whose bytecode the archive does not
// carry is compiled again at every cold start. See builder/DESIGN.md.
import * as fs from "fs";
import { UserError } from "../shared/errors";
import { compileBytecode } from "./bytecode";
import { ensureRoot, readManifest, rootDir } from "./debian-root";
import { ensureHostCapabilities, hostArchitecture } from "./host";

/** The bytecode file name CPython gives a module of `interpreter` ("python3.13" → "cpython-313"). */
export function bytecodeTag(interpreter: string): string {
    return `cpython-${interpreter.replace(/^python/, "").replace(".", "")}`;
}

/**
 * Compiles the Python files under `stage` (each where it will lie on Lambda,
 * `stage` being mounted at `mountedAt`: /var/task or /opt, so that tracebacks
 * name the file as Lambda's runtime sees it) to unchecked-hash bytecode in
 * __pycache__ beside them, with the Debian CPython of `interpreter` — the
 * runner's interpreter for that runtime (lambda-python build --bytecode).
 * The native root of that interpreter compiles for both architectures:
 * bytecode does not depend on the architecture (the arm64 root under qemu
 * writes the same bytes; test/target-bytecode.test.ts checks it). A module
 * that does not compile (a syntax error) gets none, as pip leaves it.
 */
export async function compileForTarget(interpreter: string, stage: string, mountedAt: "/var/task" | "/opt"): Promise<void> {
    const native = rootDir(interpreter, hostArchitecture()!);
    await compileBytecode(native, interpreter, ["--bind", stage, mountedAt], [mountedAt], { uncheckedHash: true });
}

/**
 * Makes sure compileForTarget can run here (Linux, bubblewrap, the native
 * Debian root of `interpreter`, installed on first use as for invoke) and
 * returns that CPython's exact Debian version (e.g. 3.13.5-2+deb13u5).
 */
export async function ensureTargetCompiler(interpreter: string, say: (m: string) => void = () => {}): Promise<string> {
    const arch = hostArchitecture();
    if (!arch) throw new UserError(`compiling bytecode for Lambda needs the runner's Debian CPython, which runs on x86_64 and arm64 Linux machines only; this machine is ${process.platform} ${process.arch}. Build without bytecode.`);
    const native = rootDir(interpreter, arch);
    await ensureHostCapabilities({ roots: !fs.existsSync(native), qemu: false }, say);
    await ensureRoot(interpreter, arch, say);
    return readManifest(native)?.pythonVersion ?? interpreter;
}
