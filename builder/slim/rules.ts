// What `slim` removes from installed dependencies, as rules on a path
// relative to site-packages (never the handler's own files: only the
// dependency tree is slimmed). DESIGN.md ("Slimming") says why each rule is
// safe and what keeps a package whole anyway.

export type SlimReason = "tests" | "headers" | "type stubs" | "docs and examples" | "build leftovers";

/** Folders of a package that only its test suite or its docs use. */
const TEST_FOLDERS = new Set(["tests", "test"]);
const DOC_FOLDERS = new Set(["docs", "doc", "examples", "example", "_examples"]);
/** C/C++ headers and Cython declarations: read by compilers building against the package, never at run time. */
const HEADERS = /\.(h|hh|hpp|hxx|cuh|pxd|pxi)$/i;
/** Sources next to their built extensions, static libraries, objects and build-system files. */
const LEFTOVERS = /\.(c|cc|cpp|cxx|pyx|f|f90|for|a|o|obj|cmake)$/i;
const BUILD_FILES = new Set(["CMakeLists.txt", "meson.build", "meson.options", "meson_options.txt"]);
/**
 * Extension modules a package builds for its own test suite only, by the
 * names numpy and scipy give them: private, and named a test (`_umath_tests`,
 * `_test_ccallback`, `_ctest`, `_cytest`, the C and Cython ones). Kept when
 * a module of the package imports them (keepImportedFolders in index.ts).
 */
const TEST_EXTENSION = /^_(?:test_[A-Za-z0-9_]+|[A-Za-z0-9_]+_tests?|(?:c|cy)?tests?)\.(?:[A-Za-z0-9_-]+\.)?so$/;

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
    if (folders.some((f) => TEST_FOLDERS.has(f)) || base === "conftest.py" || TEST_EXTENSION.test(base)) return "tests";
    if (folders.some((f) => DOC_FOLDERS.has(f))) return "docs and examples";
    if (!keepTyped && (base.endsWith(".pyi") || base === "py.typed")) return "type stubs";
    if (HEADERS.test(base)) return "headers";
    if (LEFTOVERS.test(base) || BUILD_FILES.has(base) || (base.endsWith(".pc") && folders[folders.length - 1] === "pkgconfig")) return "build leftovers";
    return undefined;
}

/** Whether a folder's name marks test code or docs (inside a package). */
export function isTestOrDocFolder(name: string): boolean {
    return TEST_FOLDERS.has(name) || DOC_FOLDERS.has(name);
}

/**
 * What the import check looks for when `rel` is removed: the test or docs
 * folder it is in (`pkg/sub/tests`), or a test extension module itself
 * (`pkg/_core/_umath_tests`, without its suffix); undefined for the rest.
 */
export function removedFolderOf(rel: string): string | undefined {
    const parts = rel.split("/");
    for (let i = 1; i < parts.length - 1; i++) {
        if (TEST_FOLDERS.has(parts[i]) || DOC_FOLDERS.has(parts[i])) return parts.slice(0, i + 1).join("/");
    }
    const base = parts[parts.length - 1];
    if (parts.length > 1 && TEST_EXTENSION.test(base)) return [...parts.slice(0, -1), base.split(".")[0]].join("/");
    return undefined;
}

/**
 * Whether `source` names module or folder `name` (its last dotted part, e.g.
 * `_precompute`) on a line that imports: `import a.name`, `from ..name import
 * x`, `from . import name`, `import_module("a.name")`. Cruder than
 * importsFolder on purpose (any depth of relative import, any form): used to
 * decide that nothing imports a folder, where a false "imports" only keeps.
 */
export function mentionsImportOf(source: string, name: string): boolean {
    const esc = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`^(?=[^\\n#]*\\b(?:import|import_module|from)\\b)[^\\n#]*(?<![A-Za-z0-9_])${esc}(?![A-Za-z0-9_])`, "m").test(source);
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
    // `from numpy._core import _umath_tests`: the parent named, the folder or module imported from it.
    const parentDotted = dotted.slice(0, dotted.lastIndexOf("."));
    const last = dotted.slice(dotted.lastIndexOf(".") + 1);
    if (parentDotted && new RegExp(`^\\s*from\\s+${parentDotted.replace(/\./g, "\\.")}\\s+import\\s+[^\\n]*\\b${last}\\b`, "m").test(source)) return true;
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    if (new RegExp(`^\\s*(?:from|import)\\s+${esc(dotted)}\\b`, "m").test(source)) return true;
    const parent = folder.slice(0, folder.lastIndexOf("/"));
    const name = folder.slice(folder.lastIndexOf("/") + 1);
    if (moduleFolder !== parent) return false;
    return new RegExp(`^\\s*from\\s+\\.${esc(name)}\\b|^\\s*from\\s+\\.\\s+import\\s+[^\\n]*\\b${esc(name)}\\b`, "m").test(source);
}

/** A loadable segment as the dynamic linker maps it. */
export interface LoadSegment {
    offset: number;
    vaddr: number;
    filesz: number;
    memsz: number;
    flags: number;
}

/** The PT_LOAD segments of a 64-bit little-endian ELF file, from its program headers (wherever patchelf put them). */
export function loadSegments(read: (position: number, length: number) => Buffer): LoadSegment[] {
    const head = read(0, 64);
    const phoff = Number(head.readBigUInt64LE(0x20));
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);
    const table = read(phoff, phentsize * phnum);
    const out: LoadSegment[] = [];
    for (let i = 0; i < phnum; i++) {
        const at = i * phentsize;
        if (table.readUInt32LE(at) !== 1) continue; // PT_LOAD
        out.push({
            flags: table.readUInt32LE(at + 4),
            offset: Number(table.readBigUInt64LE(at + 8)),
            vaddr: Number(table.readBigUInt64LE(at + 16)),
            filesz: Number(table.readBigUInt64LE(at + 32)),
            memsz: Number(table.readBigUInt64LE(at + 40)),
        });
    }
    return out;
}

/** Lambda's page size on both architectures; glibc refuses a PT_LOAD whose address and offset differ modulo it. */
const PAGE = 4096;

/** The most a segment may lose at its end: alignment padding between sections, never a section. */
const MAX_PADDING = 64;

/**
 * Why a stripped copy must not replace its original, or undefined when it
 * may: stripping removes sections nothing maps, so every loadable segment
 * must keep its address and flags, stay page-congruent with its file offset,
 * and keep its contents; it may lose only a tail of alignment padding (at
 * most 64 zero bytes, where the segment has no zero-filled part of its own).
 * `originalZeros(offset, length)` says whether the original holds only zeros
 * there. GNU strip on a library patchelf rewrote (auditwheel's grafted ones)
 * can move and truncate segments: "ELF load command address/offset not
 * page-aligned" at import, as scipy 1.18.1's OpenBLAS did.
 */
export function strippedSegmentsDiffer(before: LoadSegment[], after: LoadSegment[], originalZeros: (offset: number, length: number) => boolean): string | undefined {
    if (before.length !== after.length) return `it has ${after.length} loadable segments where the original has ${before.length}`;
    for (let i = 0; i < before.length; i++) {
        const b = before[i];
        const a = after[i];
        const at = `its loadable segment at 0x${b.vaddr.toString(16)}`;
        if (a.vaddr !== b.vaddr || a.flags !== b.flags) return `${at} moved or changed`;
        if ((a.vaddr - a.offset) % PAGE !== 0) return `${at} is no longer page-aligned with its file offset 0x${a.offset.toString(16)}`;
        if (a.memsz === b.memsz && a.filesz === b.filesz) continue;
        const cut = b.filesz - a.filesz;
        const padding = cut > 0 && cut <= MAX_PADDING && b.memsz - a.memsz === cut && (a.memsz === b.memsz ? false : b.memsz === b.filesz) && originalZeros(b.offset + a.filesz, cut);
        const tailOfFile = cut > 0 && cut <= MAX_PADDING && a.memsz === b.memsz && originalZeros(b.offset + a.filesz, cut);
        if (!padding && !tailOfFile) return `${at} lost data (file size 0x${b.filesz.toString(16)} → 0x${a.filesz.toString(16)}, memory size 0x${b.memsz.toString(16)} → 0x${a.memsz.toString(16)})`;
    }
    return undefined;
}
