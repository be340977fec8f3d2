// Lists every function, method, constructor, accessor and arrow over 80 lines in the product's folders
// (issue 29: "no function over ~80 lines without a reason written beside it"), and checks each one is
// in long-functions.allow.json beside this file with its reason. test/unit/long-functions.test.ts runs
// the check; `npx ts-node --transpile-only scripts/long-functions.ts` prints the list.
//
// A function's length is the lines its text spans, from its first token (not its doc comment) to its
// closing brace, nested functions included: what a reader has to hold to follow it. It is named by
// where it sits (`PythonFunction.constructor`, `startFunction > new Promise callback`), never by line
// number, so entries survive edits above them. An allowed function may shrink but not grow past the
// lines its entry records; an entry whose function is gone or back under the limit must be removed.
// An entry marked "pending" waits to be split by whoever owns its file (its reason says why not yet)
// and needs no comment beside the function meanwhile.
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

export const LIMIT = 80;

/** The folders the product is made of (tests, benchmarks, examples and the SDK generator are not). */
export const FOLDERS = ["components", "builder", "runner", "preview", "serve", "shared", "policies", "provider", "cli"];

const SKIP_DIRS = new Set(["node_modules", "dist", "test", "bench"]);
const SOURCE = /\.(ts|js|mjs|cjs)$/;

export interface LongFunction {
    /** Relative to the repository, with forward slashes. */
    file: string;
    /** Where it sits: enclosing functions and classes, then its own name. */
    name: string;
    /** First line (1-based), for people; entries are matched by file and name. */
    line: number;
    lines: number;
    /** The comment lines just above it (or above the statement that holds it). */
    leadingComment: string;
}

export interface AllowEntry {
    file: string;
    name: string;
    /** The most lines it may span. */
    lines: number;
    reason: string;
    /**
     * Set while the function waits to be split by whoever owns its file (the reason says why not yet):
     * no comment is asked for beside it in the meantime.
     */
    pending?: boolean;
}

export const ROOT = path.resolve(__dirname, "..");
export const ALLOW_LIST = path.join(__dirname, "long-functions.allow.json");

function sourceFiles(root: string): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
        let entries: fs.Dirent[];
        try {
            entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch {
            return;
        }
        for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
            if (e.name.startsWith(".")) continue;
            const full = path.join(dir, e.name);
            if (e.isDirectory()) {
                if (!SKIP_DIRS.has(e.name)) walk(full);
            } else if (SOURCE.test(e.name) && !e.name.endsWith(".d.ts") && !/\.test\.[cm]?[jt]s$/.test(e.name)) out.push(full);
        }
    };
    for (const folder of FOLDERS) walk(path.join(root, folder));
    return out;
}

function propertyName(name: ts.PropertyName | ts.BindingName | undefined, source: ts.SourceFile): string | undefined {
    if (name === undefined) return undefined;
    if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
    return name.getText(source);
}

function className(node: ts.Node, source: ts.SourceFile): string {
    const parent = node.parent;
    if ((ts.isClassDeclaration(parent) || ts.isClassExpression(parent)) && parent.name) return parent.name.text;
    if (ts.isClassExpression(parent) && ts.isVariableDeclaration(parent.parent)) return propertyName(parent.parent.name, source) ?? "(class)";
    return "(class)";
}

/** What to call a callback: the call it is passed to, shortened to its callee (`new Promise callback`). */
function callbackName(node: ts.Node, source: ts.SourceFile): string {
    const parent = node.parent;
    if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
        const callee = parent.expression.getText(source).replace(/\s+/g, "");
        const short = callee.length > 40 ? `…${callee.slice(-40)}` : callee;
        return `${ts.isNewExpression(parent) ? "new " : ""}${short} callback`;
    }
    return "(function)";
}

/** The node's own name, or undefined for nodes that are not functions. */
function ownName(node: ts.Node, source: ts.SourceFile): string | undefined {
    if (ts.isFunctionDeclaration(node)) return node.name?.text ?? "default";
    if (ts.isConstructorDeclaration(node)) return `${className(node, source)}.constructor`;
    if (ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) {
        const prefix = ts.isGetAccessorDeclaration(node) ? "get " : ts.isSetAccessorDeclaration(node) ? "set " : "";
        const own = `${prefix}${propertyName(node.name, source)}`;
        return ts.isClassLike(node.parent) ? `${className(node, source)}.${own}` : own;
    }
    if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
        if (ts.isFunctionExpression(node) && node.name) return node.name.text;
        const parent = node.parent;
        if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return propertyName(parent.name, source);
        if (ts.isPropertyDeclaration(parent)) return `${className(parent, source)}.${propertyName(parent.name, source)}`;
        return callbackName(node, source);
    }
    return undefined;
}

/** The comment lines right above the node, or above the statement or member that holds it. */
function leadingComment(node: ts.Node, source: ts.SourceFile): string {
    let holder: ts.Node = node;
    while (holder.parent && !ts.isSourceFile(holder.parent) && !ts.isBlock(holder.parent) && !ts.isClassLike(holder.parent) && !ts.isObjectLiteralExpression(holder.parent)) holder = holder.parent;
    const ranges = ts.getLeadingCommentRanges(source.text, holder.getFullStart()) ?? [];
    return ranges.map((r) => source.text.slice(r.pos, r.end)).join("\n");
}

function lineOf(source: ts.SourceFile, pos: number): number {
    return source.getLineAndCharacterOfPosition(pos).line + 1;
}

/** Every function-like node over `limit` lines in one file. */
export function longFunctionsIn(file: string, text: string, root = ROOT, limit = LIMIT): LongFunction[] {
    const kind = file.endsWith(".ts") ? ts.ScriptKind.TS : ts.ScriptKind.JS;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
    const rel = path.relative(root, file).split(path.sep).join("/");
    const found: LongFunction[] = [];
    const seen = new Map<string, number>();
    const visit = (node: ts.Node, scope: string[]) => {
        const own = ownName(node, source);
        let inner = scope;
        if (own !== undefined) {
            let name = [...scope, own].join(" > ");
            const count = (seen.get(name) ?? 0) + 1;
            seen.set(name, count);
            if (count > 1) name = `${name} #${count}`;
            const first = lineOf(source, node.getStart(source));
            const lines = lineOf(source, node.getEnd()) - first + 1;
            if (lines > limit) found.push({ file: rel, name, line: first, lines, leadingComment: leadingComment(node, source) });
            inner = [...scope, own];
        }
        ts.forEachChild(node, (child) => visit(child, inner));
    };
    visit(source, []);
    return found;
}

export function longFunctions(root = ROOT, limit = LIMIT): LongFunction[] {
    return sourceFiles(root).flatMap((file) => longFunctionsIn(file, fs.readFileSync(file, "utf8"), root, limit));
}

export function readAllowList(file = ALLOW_LIST): AllowEntry[] {
    return JSON.parse(fs.readFileSync(file, "utf8")).functions as AllowEntry[];
}

/** What is wrong, one line each: long functions not allowed, allowed ones that grew, stale entries. */
export function problems(found: LongFunction[], allowed: AllowEntry[]): string[] {
    const out: string[] = [];
    const key = (f: { file: string; name: string }) => `${f.file} ${f.name}`;
    const byKey = new Map(allowed.map((a) => [key(a), a]));
    for (const f of found) {
        const entry = byKey.get(key(f));
        const where = `${f.file}:${f.line} ${f.name} (${f.lines} lines)`;
        if (entry === undefined) {
            out.push(`${where} is over ${LIMIT} lines: split it into named steps, or add it to scripts/long-functions.allow.json with the reason and put the reason in a comment above it`);
        } else if (!entry.reason?.trim()) {
            out.push(`${where}: its entry in scripts/long-functions.allow.json gives no reason`);
        } else if (f.lines > entry.lines) {
            out.push(`${where} grew past the ${entry.lines} lines its entry in scripts/long-functions.allow.json allows: split it, or raise "lines" if the reason still holds`);
        } else if (!entry.pending && !/long function:/i.test(f.leadingComment)) {
            out.push(`${where} is allowed but has no "// long function: <reason>" comment above it`);
        }
    }
    const foundKeys = new Set(found.map(key));
    for (const a of allowed) {
        if (!foundKeys.has(key(a))) out.push(`${a.file} ${a.name}: listed in scripts/long-functions.allow.json but no longer over ${LIMIT} lines (or renamed); remove the entry`);
    }
    return out;
}

if (require.main === module) {
    const found = longFunctions();
    for (const f of found.sort((a, b) => b.lines - a.lines)) console.log(`${String(f.lines).padStart(4)}  ${f.file}:${f.line}  ${f.name}`);
    const wrong = problems(found, readAllowList());
    for (const p of wrong) console.error(p);
    process.exitCode = wrong.length > 0 ? 1 : 0;
}
