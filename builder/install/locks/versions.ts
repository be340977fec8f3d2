// Versions as Python packaging compares them (PEP 440), the specifiers of
// requirements and markers (`>=3.9,<4`, `~=1.2`, `==3.10.*`), and Poetry's
// own constraint syntax (`^3.8`, `~1.2`, `>=1.2 || <1.0`), which poetry.lock
// and Pipfile use for Python versions. Only what the lock readers need:
// whether a version satisfies a constraint, never a resolver.

export interface Version {
    epoch: number;
    release: number[];
    /** ["a" | "b" | "rc", n] */
    pre?: [string, number];
    post?: number;
    dev?: number;
    local?: string;
    text: string;
}

// packaging's VERSION_PATTERN, with its spellings of the same thing (alpha, c, preview, -1 for .post1 …).
const VERSION = /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

export function parseVersion(text: string): Version | undefined {
    const m = VERSION.exec(text);
    if (!m) return undefined;
    const preLabel = m[3]?.toLowerCase();
    const pre: [string, number] | undefined = preLabel ? [preLabel === "alpha" ? "a" : preLabel === "beta" ? "b" : ["c", "pre", "preview"].includes(preLabel) ? "rc" : preLabel, Number(m[4] ?? 0)] : undefined;
    const post = m[5] !== undefined ? Number(m[5]) : m[6] ? Number(m[7] ?? 0) : undefined;
    return {
        epoch: Number(m[1] ?? 0),
        release: m[2].split(".").map(Number),
        pre,
        post,
        dev: m[8] ? Number(m[9] ?? 0) : undefined,
        local: m[10]?.toLowerCase().replace(/[-_]/g, "."),
        text,
    };
}

function compareReleases(a: number[], b: number[]): number {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const d = (a[i] ?? 0) - (b[i] ?? 0);
        if (d) return Math.sign(d);
    }
    return 0;
}

const PRE_ORDER: Record<string, number> = { a: 0, b: 1, rc: 2 };

/** Negative, zero or positive, as packaging orders versions (local labels last, compared as text). */
export function compareVersions(a: Version, b: Version): number {
    if (a.epoch !== b.epoch) return Math.sign(a.epoch - b.epoch);
    const r = compareReleases(a.release, b.release);
    if (r) return r;
    // Within one release: dev-only < pre-releases < the release < post-releases.
    const phase = (v: Version): [number, number, number, number] => {
        const dev = v.dev ?? Number.POSITIVE_INFINITY;
        if (v.pre) return [1, PRE_ORDER[v.pre[0]] * 1e9 + v.pre[1], v.post ?? -1, dev];
        if (v.post === undefined && v.dev !== undefined) return [0, 0, -1, dev];
        return [2, 0, v.post ?? -1, dev];
    };
    const pa = phase(a);
    const pb = phase(b);
    for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
    if ((a.local ?? "") === (b.local ?? "")) return 0;
    return (a.local ?? "") < (b.local ?? "") ? -1 : 1;
}

function isPre(v: Version): boolean {
    return v.pre !== undefined || v.dev !== undefined;
}

const SPECIFIER = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$/;

/** Whether `op value` is a PEP 440 specifier (the test packaging makes before comparing a marker as versions). */
export function isSpecifier(op: string, value: string): boolean {
    if (op === "===") return true;
    if (!["~=", "==", "!=", "<=", ">=", "<", ">"].includes(op)) return false;
    const wildcard = value.endsWith(".*");
    if (wildcard && op !== "==" && op !== "!=") return false;
    const v = parseVersion(wildcard ? value.slice(0, -2) : value);
    if (!v) return false;
    if (op === "~=" && v.release.length < 2) return false;
    if (wildcard && (v.local || v.pre || v.post !== undefined || v.dev !== undefined)) return false;
    return !(v.local && !["==", "!="].includes(op));
}

/** Whether `version` satisfies one specifier (`>=3.9`, `==3.10.*`); pre-releases allowed, as markers judge them. */
export function satisfiesSpecifier(version: string, op: string, value: string): boolean {
    if (op === "===") return version.trim().toLowerCase() === value.trim().toLowerCase();
    const v = parseVersion(version);
    if (!v) return false;
    if (value.endsWith(".*")) {
        const prefix = parseVersion(value.slice(0, -2))!;
        const release = v.release.slice(0, prefix.release.length);
        while (release.length < prefix.release.length) release.push(0);
        const match = v.epoch === prefix.epoch && compareReleases(release, prefix.release) === 0;
        return op === "==" ? match : !match;
    }
    const s = parseVersion(value)!;
    // A specifier without a local label matches any local label of the same version.
    const vv = s.local === undefined ? { ...v, local: undefined } : v;
    const c = compareVersions(vv, s);
    switch (op) {
        case "==":
            return c === 0;
        case "!=":
            return c !== 0;
        case "<=":
            return c <= 0;
        case ">=":
            return c >= 0;
        case "<":
            // <V excludes V's own pre-releases unless V is one.
            return c < 0 && !(!isPre(s) && isPre(v) && compareReleases(v.release, s.release) === 0 && v.epoch === s.epoch);
        case ">":
            // >V excludes V's post-releases unless V is one, and V with a local label.
            if (c <= 0) return false;
            if (s.post === undefined && v.post !== undefined && compareReleases(v.release, s.release) === 0 && !v.pre && v.epoch === s.epoch) return false;
            return !(v.local !== undefined && compareVersions({ ...v, local: undefined }, s) === 0);
        case "~=": {
            const prefix = s.release.slice(0, -1);
            return c >= 0 && satisfiesSpecifier(version, "==", `${s.epoch ? `${s.epoch}!` : ""}${prefix.join(".")}.*`);
        }
        default:
            return false;
    }
}

/** A comma-separated PEP 440 specifier set (`>=3.9,<4`); empty allows everything. Undefined when it does not parse. */
export function satisfiesSpecifierSet(version: string, specifiers: string): boolean | undefined {
    const parts = specifiers.split(",").filter((p) => p.trim());
    let ok = true;
    for (const part of parts) {
        const m = SPECIFIER.exec(part);
        if (!m || !isSpecifier(m[1], m[2])) return undefined;
        ok &&= satisfiesSpecifier(version, m[1], m[2]);
    }
    return ok;
}

/**
 * Poetry's constraint syntax (poetry-core's `parse_constraint`): `*`, `^1.2`, `~1.2`, `~=1.2`, `1.2.*`,
 * a bare version (exactly it), comparisons; parts joined by `,` or spaces (and) and `||` or `|` (or).
 * Undefined when it does not parse.
 */
export function satisfiesPoetryConstraint(version: string, constraint: string): boolean | undefined {
    const alternatives = constraint.split(/\s*\|\|?\s*/);
    let any = false;
    for (const alternative of alternatives) {
        let all = true;
        const parts = alternative
            .replace(/(~=|===|==|!=|<=|>=|<|>|\^|~)\s+/g, "$1")
            .split(/\s*,\s*|\s+/)
            .filter(Boolean);
        for (const part of parts) {
            const ok = satisfiesPoetryPart(version, part);
            if (ok === undefined) return undefined;
            all &&= ok;
        }
        any ||= all;
    }
    return any;
}

function satisfiesPoetryPart(version: string, part: string): boolean | undefined {
    if (part === "*" || part === "") return true;
    const caret = /^\^(.+)$/.exec(part);
    if (caret) {
        const base = parseVersion(caret[1]);
        if (!base) return undefined;
        // The first non-zero release segment may not change (^0.2.3 → <0.3.0, ^0.0 → <0.1).
        const release = base.release;
        let i = release.findIndex((n) => n !== 0);
        if (i < 0) i = release.length - 1;
        const upper = release.slice(0, i + 1);
        upper[i] += 1;
        return satisfiesSpecifier(version, ">=", caret[1]) && satisfiesSpecifier(version, "<", upper.join("."));
    }
    const tilde = /^~(?!=)(.+)$/.exec(part);
    if (tilde) {
        const base = parseVersion(tilde[1]);
        if (!base) return undefined;
        // ~1.2.3 → <1.3, ~1.2 → <1.3, ~1 → <2.
        const upper = base.release.slice(0, base.release.length === 1 ? 1 : 2);
        upper[upper.length - 1] += 1;
        return satisfiesSpecifier(version, ">=", tilde[1]) && satisfiesSpecifier(version, "<", upper.join("."));
    }
    const m = /^(~=|===|==|!=|<=|>=|<|>|=)?(.+)$/.exec(part)!;
    const op = m[1] === undefined || m[1] === "=" ? "==" : m[1];
    if (!isSpecifier(op, m[2])) return undefined;
    return satisfiesSpecifier(version, op, m[2]);
}
