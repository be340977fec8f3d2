// Environment markers (PEP 508: `python_version < "3.11" and sys_platform == "linux"`)
// judged for a Lambda target, as the `packaging` library judges them: a
// comparison whose right side parses as a PEP 440 specifier compares versions,
// anything else compares strings (`in` is a substring test). The target's
// values are the ones pip is given through target-pip.ts and uv through
// --python-version/--python-platform, so a lock reader and the installers
// agree on which packages a runtime needs. `extra`, `extras` and
// `dependency_groups` (PEP 751) are the sets chosen for the build.
import { LambdaTarget } from "../../../policies/target";
import { targetMarkers } from "../target-pip";
import { isSpecifier, satisfiesSpecifier } from "./versions";

export interface MarkerSelection {
    /** Normalised extra names chosen for the build. */
    extras: Set<string>;
    /** Normalised dependency group names chosen for the build (PEP 751 `dependency_groups`). */
    groups: Set<string>;
}

export class MarkerError extends Error {}

type Node = { op: "and" | "or"; left: Node; right: Node } | { op: "cmp"; left: Operand; cmp: string; right: Operand };
type Operand = { variable: string } | { literal: string };

// Old spellings packaging still accepts.
const ALIASES: Record<string, string> = {
    "os.name": "os_name",
    "sys.platform": "sys_platform",
    "platform.version": "platform_version",
    "platform.machine": "platform_machine",
    "platform.python_implementation": "platform_python_implementation",
    python_implementation: "platform_python_implementation",
};

const VARIABLES = new Set([
    "implementation_name",
    "implementation_version",
    "os_name",
    "platform_machine",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform_python_implementation",
    "python_full_version",
    "python_version",
    "sys_platform",
    "extra",
    "extras",
    "dependency_groups",
]);

const TOKEN = /\s*(?:(\()|(\))|('[^']*'|"[^"]*")|(===|==|!=|<=|>=|~=|<|>)|(not\s+in\b)|(in\b)|(and\b)|(or\b)|([A-Za-z_][A-Za-z0-9_.]*))/y;

function parse(text: string): Node {
    const tokens: string[] = [];
    TOKEN.lastIndex = 0;
    while (TOKEN.lastIndex < text.length) {
        if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
        const at = TOKEN.lastIndex;
        const m = TOKEN.exec(text);
        if (!m) throw new MarkerError(`cannot read the marker "${text}" at "${text.slice(at).trim()}"`);
        tokens.push(m[0].trim().replace(/^not\s+in$/, "not in"));
    }
    let i = 0;
    const peek = () => tokens[i];
    const orExpr = (): Node => {
        let left = andExpr();
        while (peek() === "or") {
            i++;
            left = { op: "or", left, right: andExpr() };
        }
        return left;
    };
    const andExpr = (): Node => {
        let left = atom();
        while (peek() === "and") {
            i++;
            left = { op: "and", left, right: atom() };
        }
        return left;
    };
    const operand = (): Operand => {
        const t = tokens[i++];
        if (t === undefined) throw new MarkerError(`the marker "${text}" ends too early`);
        if (/^['"]/.test(t)) return { literal: t.slice(1, -1) };
        const name = ALIASES[t] ?? t;
        if (!VARIABLES.has(name)) throw new MarkerError(`the marker "${text}" names an unknown variable "${t}"`);
        return { variable: name };
    };
    const atom = (): Node => {
        if (peek() === "(") {
            i++;
            const inner = orExpr();
            if (tokens[i++] !== ")") throw new MarkerError(`the marker "${text}" has an unclosed parenthesis`);
            return inner;
        }
        const left = operand();
        const cmp = tokens[i++];
        if (!cmp || !/^(===|==|!=|<=|>=|~=|<|>|in|not in)$/.test(cmp)) throw new MarkerError(`the marker "${text}" lacks a comparison after "${"variable" in left ? left.variable : left.literal}"`);
        return { op: "cmp", left, cmp, right: operand() };
    };
    const node = orExpr();
    if (i !== tokens.length) throw new MarkerError(`cannot read the marker "${text}" at "${tokens.slice(i).join(" ")}"`);
    return node;
}

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

function compare(lhs: string, cmp: string, rhs: string): boolean {
    if (isSpecifier(cmp, rhs)) return satisfiesSpecifier(lhs, cmp, rhs);
    switch (cmp) {
        case "==":
            return lhs === rhs;
        case "!=":
            return lhs !== rhs;
        case "in":
            return rhs.includes(lhs);
        case "not in":
            return !rhs.includes(lhs);
        case "<":
            return lhs < rhs;
        case "<=":
            return lhs <= rhs;
        case ">":
            return lhs > rhs;
        case ">=":
            return lhs >= rhs;
        default:
            throw new MarkerError(`"${cmp}" cannot compare "${lhs}" and "${rhs}" as versions`);
    }
}

function evaluate(node: Node, env: Record<string, string>, selection: MarkerSelection): boolean {
    if (node.op !== "cmp") return node.op === "and" ? evaluate(node.left, env, selection) && evaluate(node.right, env, selection) : evaluate(node.left, env, selection) || evaluate(node.right, env, selection);
    const { left, cmp, right } = node;
    const sets: Record<string, Set<string>> = { extra: selection.extras, extras: selection.extras, dependency_groups: selection.groups };
    // The chosen extras and groups are sets: `extra == "s3"` and `"s3" in extras` both ask whether s3 is chosen.
    const setSide = "variable" in left && sets[left.variable] ? left : "variable" in right && sets[right.variable] ? right : undefined;
    if (setSide && "variable" in setSide) {
        const other = setSide === left ? right : left;
        if (!("literal" in other)) throw new MarkerError(`a marker compares ${setSide.variable} with another variable`);
        const has = sets[setSide.variable].has(normalize(other.literal));
        if (cmp === "==" || cmp === "in") return has;
        if (cmp === "!=" || cmp === "not in") return !has;
        throw new MarkerError(`"${cmp}" cannot compare ${setSide.variable}`);
    }
    const value = (o: Operand) => ("literal" in o ? o.literal : (env[o.variable] ?? ""));
    return compare(value(left), cmp, value(right));
}

/** The marker values of a Lambda runtime (platform_release/version are the kernel's, unknown here: empty). */
export function markerEnvironment(target: LambdaTarget): Record<string, string> {
    return { ...targetMarkers(target), platform_release: "", platform_version: "" };
}

const parsed = new Map<string, Node>();

/** Whether `marker` holds on the target with these extras and groups; an empty marker always does. Throws MarkerError when it does not parse. */
export function markerHolds(marker: string | undefined, env: Record<string, string>, selection: MarkerSelection): boolean {
    if (!marker?.trim() || marker.trim() === "*") return true;
    let node = parsed.get(marker);
    if (!node) {
        node = parse(marker);
        parsed.set(marker, node);
    }
    return evaluate(node, env, selection);
}
