// The init profile (`profileInit`, `--profile-init`): where a cold start's
// time goes, module by module. CPython's `-X importtime` prints one line per
// module imported, after the module (children before their parent):
//
//   import time: self [us] | cumulative | imported package
//   import time:       310 |        310 |     _json
//   import time:      1602 |       1912 |   json
//
// The launcher (sandbox.ts) frames the import of the handler's module with
// IMPORT_TIME_BEGIN/END; what comes before is the runtime's own start (site,
// awslambdaric). The emulator takes these lines out of the function's logs
// (emulator.ts `captureLines`). Here they become a tree, the slowest imports
// by self and cumulative time, each with the package it belongs to (module →
// top-level name → distribution, by the archive's *.dist-info/RECORD, else
// top_level.txt) and that distribution's unzipped size in the archive, and
// each one's share of the init as the emulator measured it.
import * as fs from "fs";
import * as path from "path";
import { IMPORT_TIME_BEGIN, IMPORT_TIME_END } from "./sandbox";

/** The lines taken out of the function's logs: CPython's and the launcher's. */
export const IMPORT_TIME_LINE = /^import time: /;

export interface ImportNode {
    module: string;
    selfMs: number;
    cumulativeMs: number;
    children: ImportNode[];
}

export interface PackageInfo {
    /** The distribution (as pip names it) when the archive has its *.dist-info, else the module's top-level name. */
    name: string;
    version?: string;
    /** "function" (/var/task), "layer" (/opt/python…), or "runtime": the standard library or the runtime's own. */
    where: "function" | "layer" | "runtime";
    /** The distribution's files (its RECORD), or the top-level module's, unzipped, in bytes; none for the runtime's. */
    sizeBytes?: number;
}

export interface SlowImport {
    module: string;
    selfMs: number;
    cumulativeMs: number;
    /** selfMs and cumulativeMs as a share of the init (0-1). */
    selfShare: number;
    cumulativeShare: number;
    package: PackageInfo;
}

export interface InitProfile {
    /** The handler's module, as awslambdaric imports it. */
    handlerModule: string;
    /** The whole init (Lambda's "Init Duration"): the runtime's start and the handler module's imports. */
    initDurationMs: number;
    /** Importing the handler's module and everything it imports (its cumulative import time). */
    handlerImportMs: number;
    /** The init's share spent importing the handler's module (0-1). */
    handlerImportShare: number;
    /**
     * false when the init failed or was stopped before the handler's module was imported: the tree holds the
     * imports that finished, up to the failing one.
     */
    complete: boolean;
    /** How this profile was measured; read `notes` before comparing its milliseconds with Lambda's. */
    measured: {
        architecture: string;
        /** Run under qemu (the other architecture): milliseconds are inflated several-fold; shares hold better. */
        emulated: boolean;
        /**
         * "precompiled": the function's modules were compiled before the run (emulated functions; target-python/bytecode.ts),
         * which Lambda never does: the init here lacks their compile time. "at-cold-start": modules without
         * bytecode in the archive were compiled during this init, as on Lambda (read-only /var/task).
         */
        bytecode: "precompiled" | "at-cold-start";
        /** The function or its layers ship bytecode of their own (`__pycache__`, e.g. lambda-python build --bytecode), used where it matches, here as on Lambda. */
        archiveBytecode: boolean;
    };
    notes: string[];
    /** The handler module's imports, as CPython nests them (modules already imported by the runtime are not repeated). */
    tree: ImportNode[];
    /** The ten slowest imports under the handler's module, by their own time and by time with what they import. */
    slowestBySelf: SlowImport[];
    slowestByCumulative: SlowImport[];
}

// ------------------------------------------------------------------ parsing

const ENTRY = /^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)\s*$/;

/**
 * A tree from `-X importtime` lines. A parent's line follows its children's,
 * one level (two spaces) shallower. Children whose parent never printed (the
 * process died, or was stopped, while importing it) become roots.
 */
export function parseImportTime(lines: string[]): ImportNode[] {
    const pending: ImportNode[][] = [];
    for (const line of lines) {
        const m = ENTRY.exec(line);
        if (!m) continue;
        const level = m[3].length >> 1;
        const node: ImportNode = { module: m[4], selfMs: Number(m[1]) / 1000, cumulativeMs: Number(m[2]) / 1000, children: pending[level + 1] ?? [] };
        pending.length = level + 1;
        (pending[level] ??= []).push(node);
    }
    // Left at deeper levels: imports under one that did not finish; they are listed in the order they finished.
    return pending.flatMap((nodes) => nodes ?? []);
}

const END = new RegExp(`^${IMPORT_TIME_END} (done|failed) (\\d+)$`);

/**
 * The lines between the launcher's markers (the handler module's import), and
 * how that import ended: "done", "failed" (it raised), or undefined (the
 * runtime died or was stopped during it), with the microseconds it took.
 */
export function handlerImportLines(lines: string[]): { before: string[]; during: string[]; outcome?: "done" | "failed"; elapsedMs?: number } {
    const begin = lines.indexOf(IMPORT_TIME_BEGIN);
    if (begin < 0) return { before: lines, during: [] };
    const rest = lines.slice(begin + 1);
    const end = rest.findIndex((l) => END.test(l));
    if (end < 0) return { before: lines.slice(0, begin), during: rest };
    const [, outcome, us] = END.exec(rest[end])!;
    return { before: lines.slice(0, begin), during: rest.slice(0, end), outcome: outcome as "done" | "failed", elapsedMs: Number(us) / 1000 };
}

// ------------------------------------------------------------------ packages

interface Distribution {
    name: string;
    version: string;
    sizeBytes: number;
}

interface SearchDir {
    dir: string;
    where: "function" | "layer";
}

function fileSize(p: string): number {
    try {
        const s = fs.lstatSync(p);
        return s.isFile() ? s.size : 0;
    } catch {
        return 0;
    }
}

/** Bytes under a file or folder (symbolic links not followed). */
function treeSize(p: string): number {
    let s: fs.Stats;
    try {
        s = fs.lstatSync(p);
    } catch {
        return 0;
    }
    if (!s.isDirectory()) return s.isFile() ? s.size : 0;
    let total = 0;
    for (const name of fs.readdirSync(p)) total += treeSize(path.join(p, name));
    return total;
}

/** The dotted module names a RECORD path provides: "a/b/c.py" → a, a.b, a.b.c; "x.cpython-313-….so" → x. */
function modulesOf(file: string): string[] {
    const parts = file.split("/");
    if (parts.some((p) => p === ".." || p === "__pycache__") || parts[0].endsWith(".dist-info") || parts[0].endsWith(".data")) return [];
    const last = parts.pop()!;
    const stem = /^([A-Za-z_]\w*)(?:\.[\w-]+)*\.(?:py|pyc|so|pyd)$/.exec(last)?.[1];
    const names: string[] = [];
    for (let i = 1; i <= parts.length; i++) names.push(parts.slice(0, i).join("."));
    if (stem && stem !== "__init__") names.push([...parts, stem].join("."));
    return names.filter((n) => /^[A-Za-z_][\w.]*$/.test(n));
}

/**
 * Which distribution each module of the function and its layers belongs to,
 * and what each weighs unzipped: read from the *.dist-info folders (RECORD's
 * files; top_level.txt when there is no RECORD), for the folders on the
 * function's sys.path in its order.
 */
export class PackageIndex {
    private readonly owners = new Map<string, { dist: Distribution; where: SearchDir["where"] }>();
    private readonly dirs: SearchDir[];

    constructor(task: string, opt: string, interpreter: string) {
        const version = interpreter.replace(/^python/, "");
        // Lambda's sys.path order: /var/task, then PYTHONPATH's /opt folders (sandbox.ts).
        this.dirs = [
            { dir: task, where: "function" },
            { dir: path.join(opt, "python", "lib", `python${version}`, "site-packages"), where: "layer" },
            { dir: path.join(opt, "python"), where: "layer" },
        ];
        for (const d of [...this.dirs].reverse()) this.readDistributions(d);
    }

    private readDistributions(d: SearchDir): void {
        let names: string[];
        try {
            names = fs.readdirSync(d.dir).filter((n) => n.endsWith(".dist-info"));
        } catch {
            return;
        }
        for (const info of names) {
            const m = /^(.+?)-([^-]+)\.dist-info$/.exec(info);
            const dist: Distribution = { name: m?.[1] ?? info.replace(/\.dist-info$/, ""), version: m?.[2] ?? "", sizeBytes: 0 };
            const record = readText(path.join(d.dir, info, "RECORD"));
            const modules = new Set<string>();
            if (record !== undefined) {
                for (const line of record.split("\n")) {
                    const file = line.startsWith('"') ? (/^"((?:[^"]|"")*)"/.exec(line)?.[1].replace(/""/g, '"') ?? "") : line.split(",")[0];
                    if (!file || path.isAbsolute(file) || file.split("/").includes("..")) continue;
                    dist.sizeBytes += fileSize(path.join(d.dir, file));
                    for (const name of modulesOf(file)) modules.add(name);
                }
            } else {
                for (const top of (readText(path.join(d.dir, info, "top_level.txt")) ?? "").split(/\s+/).filter(Boolean)) {
                    modules.add(top);
                    for (const candidate of this.topLevelPaths(d.dir, top)) dist.sizeBytes += treeSize(candidate);
                }
            }
            // Searched in reverse order: a folder earlier on sys.path claims a module over a later one.
            for (const name of modules) this.owners.set(name, { dist, where: d.where });
        }
    }

    private topLevelPaths(dir: string, top: string): string[] {
        let names: string[];
        try {
            names = fs.readdirSync(dir);
        } catch {
            return [];
        }
        return names.filter((n) => n === top || n === `${top}.py` || (n.startsWith(`${top}.`) && /\.(so|pyd)$/.test(n))).map((n) => path.join(dir, n));
    }

    /** The package a module belongs to: its distribution, else the function's or a layer's own top-level module, else the runtime's. */
    packageOf(module: string): PackageInfo {
        const parts = module.split(".");
        for (let i = parts.length; i > 0; i--) {
            const owner = this.owners.get(parts.slice(0, i).join("."));
            if (owner) return { name: owner.dist.name, ...(owner.dist.version ? { version: owner.dist.version } : {}), where: owner.where, sizeBytes: owner.dist.sizeBytes };
        }
        for (const d of this.dirs) {
            const found = this.topLevelPaths(d.dir, parts[0]);
            if (found.length) return { name: parts[0], where: d.where, sizeBytes: found.reduce((sum, p) => sum + treeSize(p), 0) };
        }
        return { name: parts[0], where: "runtime" };
    }
}

function readText(p: string): string | undefined {
    try {
        return fs.readFileSync(p, "utf8");
    } catch {
        return undefined;
    }
}

// ------------------------------------------------------------------ the profile

export interface ProfileInputs {
    lines: string[];
    handler: string;
    initDurationMs: number | undefined;
    task: string;
    opt: string;
    interpreter: string;
    architecture: string;
    emulated: boolean;
    precompiled: boolean;
    /** The emulator's time factor for qemu (lambda-environment.json). */
    emulationTimeFactor: number;
}

function walk(nodes: ImportNode[], visit: (n: ImportNode) => void): void {
    for (const n of nodes) {
        visit(n);
        walk(n.children, visit);
    }
}

/** Whether the function's folders ship bytecode of their own (`__pycache__/*.pyc`), looked for a few levels deep. */
function shipsBytecode(dirs: string[], depth = 6): boolean {
    const look = (dir: string, left: number): boolean => {
        let entries: fs.Dirent[];
        try {
            entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch {
            return false;
        }
        for (const e of entries) {
            if (!e.isDirectory()) continue;
            if (e.name === "__pycache__") return true;
            if (left > 0 && look(path.join(dir, e.name), left - 1)) return true;
        }
        return false;
    };
    return dirs.some((d) => look(d, depth));
}

export function buildInitProfile(p: ProfileInputs): InitProfile {
    const handlerModule = p.handler.slice(0, p.handler.lastIndexOf(".")).replace(/\//g, ".");
    const { before, during, outcome, elapsedMs } = handlerImportLines(p.lines);
    const ended = outcome === "done";
    const imported = parseImportTime(during);
    const importedMs = imported.reduce((sum, n) => sum + n.cumulativeMs, 0);
    // importlib.import_module (awslambdaric's) is not timed by -X importtime: the handler's module is the root
    // made here, timed by the launcher (or, when the runtime died during it, by what finished under it).
    const handlerImportMs = Math.max(elapsedMs ?? importedMs, importedMs);
    const tree: ImportNode[] = [{ module: handlerModule, selfMs: handlerImportMs - importedMs, cumulativeMs: handlerImportMs, children: imported }];
    const runtimeMs = parseImportTime(before).reduce((sum, n) => sum + n.cumulativeMs, 0);
    // The emulator's init time includes every import; without it (never expected on a cold start), the imports'.
    const initDurationMs = p.initDurationMs ?? runtimeMs + handlerImportMs;
    const share = (ms: number) => (initDurationMs > 0 ? Math.min(1, ms / initDurationMs) : 0);
    const index = new PackageIndex(p.task, p.opt, p.interpreter);
    const all: ImportNode[] = [];
    walk(tree, (n) => all.push(n));
    const slow = (key: "selfMs" | "cumulativeMs"): SlowImport[] =>
        [...all]
            .sort((a, b) => b[key] - a[key] || a.module.localeCompare(b.module))
            .slice(0, 10)
            .map((n) => ({ module: n.module, selfMs: n.selfMs, cumulativeMs: n.cumulativeMs, selfShare: share(n.selfMs), cumulativeShare: share(n.cumulativeMs), package: index.packageOf(n.module) }));
    const notes: string[] = [];
    const archiveBytecode = shipsBytecode([p.task, p.opt]);
    if (p.emulated) {
        notes.push(
            `${p.architecture} ran under qemu on this machine, about ${p.emulationTimeFactor} times slower than on Lambda, and unevenly (Python and native code are slowed differently, waiting not at all): the milliseconds are not Lambda's. The ranking of the imports and their shares of one another carry over better than their shares of the init, whose runtime start is slowed too.`,
        );
    }
    if (p.precompiled) {
        notes.push(
            "The function's modules were compiled to bytecode before this run (the runner does so for a function under qemu, whose compiling is slow); on Lambda /var/task is read-only and every cold start compiles the modules the archive ships no bytecode for, so Lambda's init is longer by that compile time, most of all for large pure-Python packages.",
        );
    } else {
        notes.push(
            archiveBytecode
                ? "Bytecode: the archive's own __pycache__ was used where it matches this CPython, and every other module was compiled during this init, as on Lambda (its /var/task is read-only)."
                : "Bytecode: the archive ships none, so every module of the function and its layers was compiled during this init, as on Lambda (its /var/task is read-only).",
        );
    }
    notes.push("Times are CPython's -X importtime, whose own bookkeeping adds a little to every import; a module the runtime had already imported (json, logging, …) costs the handler nothing and is not listed under it.");
    if (!ended) {
        const how = outcome === "failed" ? "raised an exception" : "was stopped or the runtime died";
        notes.push(`The import of ${handlerModule} did not finish (it ${how}): the tree holds the imports that completed before that, and ${handlerModule}'s own time runs until then.`);
    }
    return {
        handlerModule,
        initDurationMs,
        handlerImportMs,
        handlerImportShare: share(handlerImportMs),
        complete: ended,
        measured: { architecture: p.architecture, emulated: p.emulated, bytecode: p.precompiled ? "precompiled" : "at-cold-start", archiveBytecode },
        notes,
        tree,
        slowestBySelf: slow("selfMs"),
        slowestByCumulative: slow("cumulativeMs"),
    };
}

// ------------------------------------------------------------------ text

const ms = (n: number) => (n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(1)} ms`);
const pct = (s: number) => `${(s * 100).toFixed(s < 0.1 ? 1 : 0)}%`;

function size(bytes: number | undefined): string {
    if (bytes === undefined) return "";
    if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
    return bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} B`;
}

function describePackage(p: PackageInfo): string {
    // Under the handler's module, the runtime's modules are the standard library's (awslambdaric's were imported before).
    if (p.where === "runtime") return `${p.name} (standard library)`;
    return `${p.name}${p.version ? ` ${p.version}` : ""} (${p.where}, ${size(p.sizeBytes)})`;
}

/** Imports shown in the text tree: at least this share of the init, this deep at most (the rest folded into one line per parent). */
const TREE_SHARE = 0.03;
const TREE_DEPTH = 7;

/** The profile as text for a terminal (lambda-python invoke/serve/preview --invoke --profile-init). */
export function formatInitProfile(profile: InitProfile, handlerDurationMs?: number): string {
    const lines: string[] = [];
    const init = profile.initDurationMs;
    const share = (v: number) => (init > 0 ? v / init : 0);
    const handler = handlerDurationMs === undefined ? "" : `, then the handler ${ms(handlerDurationMs)}`;
    lines.push(`init ${ms(init)}${handler}${profile.measured.emulated ? ` (${profile.measured.architecture} under qemu: see the notes)` : ""}`);
    lines.push(
        `  importing ${profile.handlerModule} and what it imports: ${ms(profile.handlerImportMs)}, ${pct(profile.handlerImportShare)} of the init; the rest is the runtime's own start (CPython, awslambdaric)${profile.complete ? "" : `; ${profile.handlerModule} did not finish importing`}`,
    );
    lines.push("", "  import tree (cumulative time, share of the init; imports under 3% folded, their rows from 1%; a > b: a imports only b):");
    const width = 56;
    const row = (indent: number, name: string, cumulative: number) => {
        const label = `${"  ".repeat(indent + 2)}${name}`;
        lines.push(`${label.padEnd(width)} ${ms(cumulative).padStart(9)} ${pct(share(cumulative)).padStart(6)}`);
    };
    const show = (nodes: ImportNode[], depth: number) => {
        const folded = nodes.filter((n) => share(n.cumulativeMs) < TREE_SHARE || depth >= TREE_DEPTH);
        for (const n of nodes) {
            if (folded.includes(n)) continue;
            // A chain of imports that each import one module (pandas.core.groupby > …groupby.generic) is one row.
            let last = n;
            const chain = [n.module];
            while (last.children.length === 1 && share(last.children[0].cumulativeMs) >= TREE_SHARE) {
                last = last.children[0];
                chain.push(last.module);
            }
            row(depth, chain.join(" > "), n.cumulativeMs);
            show(last.children, depth + 1);
        }
        // The folded rest, when it is worth a row (1% of the init).
        if (folded.length && share(folded.reduce((sum, n) => sum + n.cumulativeMs, 0)) >= 0.01) {
            const count = folded.reduce((c, n) => c + 1 + countAll(n.children), 0);
            row(
                depth,
                `… ${count} more import${count === 1 ? "" : "s"}`,
                folded.reduce((s, n) => s + n.cumulativeMs, 0),
            );
        }
    };
    if (profile.tree.length) show(profile.tree, 0);
    else lines.push(`    (no import finished under ${profile.handlerModule})`);
    const table = (title: string, rows: SlowImport[], key: "self" | "cumulative") => {
        lines.push("", `  ten slowest imports by ${title}:`);
        lines.push(`    ${"module".padEnd(34)} ${"self".padStart(9)} ${"cumul.".padStart(9)} ${"share".padStart(6)}  package (where, size unzipped)`);
        for (const r of rows) {
            const s = key === "self" ? r.selfShare : r.cumulativeShare;
            lines.push(`    ${r.module.padEnd(34)} ${ms(r.selfMs).padStart(9)} ${ms(r.cumulativeMs).padStart(9)} ${pct(s).padStart(6)}  ${describePackage(r.package)}`);
        }
    };
    table("their own time", profile.slowestBySelf, "self");
    table("time with what they import", profile.slowestByCumulative, "cumulative");
    lines.push("");
    for (const n of profile.notes) lines.push(`  note: ${n}`);
    return lines.join("\n");
}

function countAll(nodes: ImportNode[]): number {
    return nodes.reduce((c, n) => c + 1 + countAll(n.children), 0);
}
