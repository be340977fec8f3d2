// Where packages may come from: the indexes and find-links locations the user
// named, gathered once from every place they can be named (options inside the
// requirement files, --installer-arg, PIP_* and UV_* environment variables)
// and then handed explicitly to every command that downloads: pip, uv, the
// pure-Python sdist builder and the diagnosis queries. A package a private
// index lacks must never be fetched from public PyPI behind the user's back
// (dependency confusion), so nothing downloads with an installer's defaults.
import * as path from "path";
import { redactCredentials, registerUrlCredentials } from "../../shared/redact";

const PYPI_SIMPLE = "https://pypi.org/simple";

export interface PackageIndexes {
    /** The primary index; undefined means PyPI. */
    indexUrl?: string;
    extraIndexUrls: string[];
    /** Folders or URLs of wheels and sdists (absolute paths for folders). */
    findLinks: string[];
    /** Only findLinks: no index at all. */
    noIndex: boolean;
    /** Hosts whose HTTP (or bad TLS) the user accepted. */
    trustedHosts: string[];
}

/** Options an index flag takes a value for, in pip's and uv's spellings. */
const VALUE_FLAGS: Record<string, keyof PackageIndexes> = {
    "--index-url": "indexUrl",
    "-i": "indexUrl",
    "--default-index": "indexUrl",
    "--extra-index-url": "extraIndexUrls",
    "--index": "extraIndexUrls",
    "--find-links": "findLinks",
    "-f": "findLinks",
    "--trusted-host": "trustedHosts",
    "--allow-insecure-host": "trustedHosts",
};

/** An option token list split into the index options and everything else. */
export function splitIndexArgs(args: string[]): { index: [keyof PackageIndexes, string][]; rest: string[] } {
    const index: [keyof PackageIndexes, string][] = [];
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "--no-index") {
            index.push(["noIndex", "1"]);
            continue;
        }
        const eq = a.indexOf("=");
        const flag = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
        const field = VALUE_FLAGS[flag];
        if (!field) {
            rest.push(a);
            continue;
        }
        const value = flag !== a ? a.slice(eq + 1) : args[++i];
        if (value !== undefined) index.push([field, value]);
    }
    return { index, rest };
}

/**
 * The indexes in force. Precedence for the primary index, as pip applies
 * it: a requirement file's option, then --installer-arg, then the
 * environment (UV_DEFAULT_INDEX, UV_INDEX_URL, PIP_INDEX_URL), then the
 * installers' configuration files (`configured`, already resolved). Extra
 * indexes, find-links and trusted hosts from every source add up.
 */
export function packageIndexes(fileOptions: { file: string; args: string[] }[], installerArgs: string[], env: NodeJS.ProcessEnv = process.env, configured: [keyof PackageIndexes, string][] = []): PackageIndexes {
    const ix: PackageIndexes = { extraIndexUrls: [], findLinks: [], noIndex: false, trustedHosts: [] };
    const primary: (string | undefined)[] = [];
    const apply = (pairs: [keyof PackageIndexes, string][], baseDir: string | undefined, level: number) => {
        for (const [field, value] of pairs) {
            if (field === "indexUrl") primary[level] ??= value;
            else if (field === "noIndex") ix.noIndex = true;
            else if (field === "findLinks") ix.findLinks.push(localOrUrl(value, baseDir));
            else if (field === "extraIndexUrls") ix.extraIndexUrls.push(indexValue(value));
            else if (field === "trustedHosts") ix.trustedHosts.push(value);
        }
    };
    for (const f of fileOptions) apply(splitIndexArgs(f.args).index, path.dirname(f.file), 0);
    apply(splitIndexArgs(installerArgs).index, undefined, 1);
    const words = (v: string | undefined) => (v ?? "").split(/\s+/).filter(Boolean);
    const truthy = (v: string | undefined) => !!v && !/^(0|false|no|off)$/i.test(v);
    const envPairs: [keyof PackageIndexes, string][] = [];
    for (const name of ["UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"]) if (env[name]) envPairs.push(["indexUrl", env[name]!]);
    for (const name of ["UV_INDEX", "UV_EXTRA_INDEX_URL", "PIP_EXTRA_INDEX_URL"]) for (const w of words(env[name])) envPairs.push(["extraIndexUrls", w]);
    for (const name of ["UV_FIND_LINKS", "PIP_FIND_LINKS"]) for (const w of words(env[name]).flatMap((v) => v.split(","))) envPairs.push(["findLinks", w]);
    for (const name of ["UV_INSECURE_HOST", "PIP_TRUSTED_HOST"]) for (const w of words(env[name])) envPairs.push(["trustedHosts", w]);
    if (truthy(env.UV_NO_INDEX) || truthy(env.PIP_NO_INDEX)) envPairs.push(["noIndex", "1"]);
    apply(envPairs, process.cwd(), 2);
    // Last: pip.conf and uv.toml (config-files.ts), below the environment as in both installers.
    apply(configured, undefined, 3);
    const chosen = primary.find((p) => p !== undefined);
    if (chosen !== undefined) ix.indexUrl = indexValue(chosen);
    ix.extraIndexUrls = unique(ix.extraIndexUrls.filter((u) => u !== ix.indexUrl));
    ix.findLinks = unique(ix.findLinks);
    ix.trustedHosts = unique(ix.trustedHosts);
    // Their credentials are masked in everything printed from now on, however an installer spells them (shared/redact.ts).
    for (const url of [...indexUrls(ix), ...ix.findLinks]) registerUrlCredentials(url);
    return ix;
}

/** The index URLs searched, primary first (none with --no-index). */
export function indexUrls(ix: PackageIndexes): string[] {
    return ix.noIndex ? [] : [ix.indexUrl ?? PYPI_SIMPLE, ...ix.extraIndexUrls];
}

/** pip's spelling. The primary index is always explicit, so no configured default slips in. */
export function pipIndexArgs(ix: PackageIndexes): string[] {
    return [
        ...(ix.noIndex ? ["--no-index"] : ["--index-url", ix.indexUrl ?? PYPI_SIMPLE, ...ix.extraIndexUrls.flatMap((u) => ["--extra-index-url", u])]),
        ...ix.findLinks.flatMap((f) => ["--find-links", f]),
        ...ix.trustedHosts.flatMap((h) => ["--trusted-host", h]),
    ];
}

/** uv's spelling (uv reads the same names in requirement files). */
export function uvIndexArgs(ix: PackageIndexes): string[] {
    return [
        ...(ix.noIndex ? ["--no-index"] : ["--index-url", ix.indexUrl ?? PYPI_SIMPLE, ...ix.extraIndexUrls.flatMap((u) => ["--extra-index-url", u])]),
        ...ix.findLinks.flatMap((f) => ["--find-links", f]),
        ...ix.trustedHosts.flatMap((h) => ["--allow-insecure-host", h]),
    ];
}

/** For messages: "the package index (PyPI)", "the package indexes a, b" (find-links: alsoSearched). */
export function describeIndexes(ix: PackageIndexes): string {
    if (ix.noIndex) return "no package index (--no-index)";
    const urls = indexUrls(ix);
    if (urls.length === 1 && urls[0] === PYPI_SIMPLE) return "the package index (PyPI)";
    return `the package ${urls.length === 1 ? "index" : "indexes"} ${urls.map(redact).join(", ")}`;
}

/** " Also searched: /wheels." for the find-links locations, or "". */
export function alsoSearched(ix: PackageIndexes): string {
    return ix.findLinks.length ? ` Also searched: ${ix.findLinks.map(redact).join(", ")}.` : "";
}

/** Whether only PyPI is searched. */
export function onlyPypi(ix: PackageIndexes): boolean {
    return !ix.noIndex && (ix.indexUrl ?? PYPI_SIMPLE) === PYPI_SIMPLE && !ix.extraIndexUrls.length;
}

/** Environment variables that name indexes, removed from children so the explicit options are the whole truth. */
export function withoutIndexEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const out: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(env)) {
        if (/^(PIP|UV)_(INDEX_URL|EXTRA_INDEX_URL|DEFAULT_INDEX|INDEX|FIND_LINKS|NO_INDEX)$/.test(k)) continue;
        out[k] = v;
    }
    return out;
}

/** user:password@ in a URL becomes ***@ for messages (every UserError is masked too: shared/redact.ts). */
function redact(url: string): string {
    return redactCredentials(url);
}

/** UV_INDEX entries may be "name=url". */
function indexValue(v: string): string {
    const m = /^[A-Za-z0-9_-]+=(\S+:\/\/.*)$/.exec(v);
    return (m ? m[1] : v).replace(/\/+$/, "");
}

function localOrUrl(v: string, baseDir: string | undefined): string {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return v.startsWith("file://") ? v.slice("file://".length) : v;
    return baseDir ? path.resolve(baseDir, v) : path.resolve(v);
}

function unique(values: string[]): string[] {
    return [...new Set(values)];
}
