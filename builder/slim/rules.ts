// What `slim` removes from installed dependencies, as rules on a path
// relative to site-packages (never the handler's own files: only the
// dependency tree is slimmed). DESIGN.md ("Slimming") says why each rule is
// safe and what keeps a package whole anyway.

export type SlimReason = "tests" | "headers" | "type stubs" | "docs and examples" | "build leftovers";

/** Folders of a package that only its test suite or its docs use. */
const TEST_FOLDERS = new Set(["tests", "test"]);
const DOC_FOLDERS = new Set(["docs", "doc", "examples", "example"]);
/** C/C++ headers and Cython declarations: read by compilers building against the package, never at run time. */
const HEADERS = /\.(h|hh|hpp|hxx|cuh|pxd|pxi)$/i;
/** Sources next to their built extensions, static libraries, objects and build-system files. */
const LEFTOVERS = /\.(c|cc|cpp|cxx|pyx|f|f90|for|a|o|obj|cmake)$/i;
const BUILD_FILES = new Set(["CMakeLists.txt", "meson.build", "meson.options", "meson_options.txt"]);

/** A metadata folder (kept whole: METADATA, entry points, RECORD, licences are what importlib.metadata reads). */
export function isMetadataFolder(top: string): boolean {
    return /\.(dist|egg)-info$/.test(top);
}

/**
 * Why `rel` can go, or undefined to keep it. `keepTyped` keeps `py.typed`
 * markers (and `.pyi` stubs) for tools that type-check against the archive.
 * Folders of tests and docs count only inside a package (`pkg/.../tests/`),
 * never a top-level `tests` package some distributions ship as a module.
 */
export function slimReason(rel: string, keepTyped = false): SlimReason | undefined {
    const parts = rel.split("/");
    const top = parts[0];
    if (parts.length === 1 || isMetadataFolder(top) || top === "bin") return undefined;
    const folders = parts.slice(1, -1);
    const base = parts[parts.length - 1];
    if (folders.some((f) => TEST_FOLDERS.has(f))) return "tests";
    if (folders.some((f) => DOC_FOLDERS.has(f))) return "docs and examples";
    if (!keepTyped && (base.endsWith(".pyi") || base === "py.typed")) return "type stubs";
    if (HEADERS.test(base)) return "headers";
    if (LEFTOVERS.test(base) || BUILD_FILES.has(base) || (base.endsWith(".pc") && folders[folders.length - 1] === "pkgconfig")) return "build leftovers";
    return undefined;
}

/** The test or docs folder (`pkg/sub/tests`) a removed file is in, for the import check. */
export function removedFolderOf(rel: string): string | undefined {
    const parts = rel.split("/");
    for (let i = 1; i < parts.length - 1; i++) {
        if (TEST_FOLDERS.has(parts[i]) || DOC_FOLDERS.has(parts[i])) return parts.slice(0, i + 1).join("/");
    }
    return undefined;
}

/** A shared object by name: `x.so`, `x.cpython-313-x86_64-linux-gnu.so`, `libfoo.so.1.2`. */
export function isSharedObjectName(rel: string): boolean {
    return /\.so(\.\d+)*$/.test(rel);
}

/** ELF e_machine values of Lambda's architectures. */
const MACHINES: Record<string, number> = { x86_64: 62, arm64: 183 };

export type ElfKind = "target" | "other architecture" | "not ELF";

/** Whether the first bytes of a file are a 64-bit little-endian ELF for `architecture`. */
export function elfKind(head: Buffer, architecture: string): ElfKind {
    if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return "not ELF";
    if (head[4] !== 2 || head[5] !== 1) return "other architecture"; // 32-bit or big-endian
    return head.readUInt16LE(18) === MACHINES[architecture] ? "target" : "other architecture";
}

/**
 * Whether a module of the package imports `folder` (a test or docs folder
 * slimming would remove), absolutely or relatively: such a folder is kept.
 * `source` is the module's text, `moduleFolder` the folder it is in.
 */
export function importsFolder(source: string, moduleFolder: string, folder: string): boolean {
    const dotted = folder.replace(/\//g, ".");
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    if (new RegExp(`^\\s*(?:from|import)\\s+${esc(dotted)}\\b`, "m").test(source)) return true;
    const parent = folder.slice(0, folder.lastIndexOf("/"));
    const name = folder.slice(folder.lastIndexOf("/") + 1);
    if (moduleFolder !== parent) return false;
    return new RegExp(`^\\s*from\\s+\\.${esc(name)}\\b|^\\s*from\\s+\\.\\s+import\\s+[^\\n]*\\b${esc(name)}\\b`, "m").test(source);
}
