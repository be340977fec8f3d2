// Indexes named in the installers' own configuration files: pip.conf /
// pip.ini and uv.toml / pyproject.toml [tool.uv]. Both installers still read
// these files when we run them, but with our explicit `--index-url` a
// configured primary index is silently replaced by ours (PyPI, when the user
// named none elsewhere) while configured extra indexes are added behind our
// back. Reading them here makes them part of the indexes in force: passed
// explicitly to every download, named in messages, hashed into the install
// key. Only the index settings are read; everything else (certificates,
// timeouts) stays the installers' business.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface ConfiguredIndexes {
    /** The files that named an index (for the install key and messages). */
    files: string[];
    /** [field, value] pairs as indexes.ts takes them; folder values made absolute. */
    pairs: ["indexUrl" | "extraIndexUrls" | "findLinks" | "noIndex" | "trustedHosts", string][];
}

const truthy = (v: string | undefined) => !!v && !/^(0|false|no|off)$/i.test(v);

/** pip's files, lowest precedence first (pip's own order: global, user, site, PIP_CONFIG_FILE). */
function pipConfigFiles(sysPrefix: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
    if (env.PIP_CONFIG_FILE === os.devNull) return [];
    const home = os.homedir();
    const xdgDirs = (env.XDG_CONFIG_DIRS || "/etc/xdg").split(path.delimiter).filter(Boolean);
    const xdgHome = env.XDG_CONFIG_HOME || path.join(home, ".config");
    return [
        ...xdgDirs.map((d) => path.join(d, "pip", "pip.conf")),
        "/etc/pip.conf",
        path.join(home, ".pip", "pip.conf"),
        path.join(xdgHome, "pip", "pip.conf"),
        ...(sysPrefix ? [path.join(sysPrefix, "pip.conf")] : []),
        ...(env.PIP_CONFIG_FILE ? [path.resolve(env.PIP_CONFIG_FILE)] : []),
    ];
}

/** Index settings of pip's configuration ([global], then [install] over it; later files win key by key). */
export function pipConfigIndexes(sysPrefix: string | undefined, env: NodeJS.ProcessEnv = process.env): ConfiguredIndexes {
    const merged = new Map<string, { value: string; file: string }>();
    for (const file of pipConfigFiles(sysPrefix, env)) {
        const sections = readIni(file);
        if (!sections) continue;
        for (const section of ["global", "install"]) for (const [k, v] of sections.get(section) ?? []) merged.set(k, { value: v, file });
    }
    const out: ConfiguredIndexes = { files: [], pairs: [] };
    const take = (key: string, field: ConfiguredIndexes["pairs"][number][0]) => {
        const e = merged.get(key);
        if (!e) return;
        if (!out.files.includes(e.file)) out.files.push(e.file);
        if (field === "noIndex") {
            if (truthy(e.value)) out.pairs.push(["noIndex", "1"]);
            return;
        }
        for (const w of field === "indexUrl" ? [e.value.trim()] : e.value.split(/\s+/).filter(Boolean)) {
            out.pairs.push([field, field === "findLinks" && !/^[a-z][a-z0-9+.-]*:\/\//i.test(w) ? path.resolve(path.dirname(e.file), w) : w]);
        }
    };
    take("index-url", "indexUrl");
    take("extra-index-url", "extraIndexUrls");
    take("find-links", "findLinks");
    take("trusted-host", "trustedHosts");
    take("no-index", "noIndex");
    return out;
}

/** pip.conf is an INI file read by configparser: "key = value", indented continuation lines, # and ; comments. */
function readIni(file: string): Map<string, [string, string][]> | undefined {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
    const sections = new Map<string, [string, string][]>();
    let current: [string, string][] | undefined;
    let last: [string, string] | undefined;
    for (const raw of text.split(/\r?\n/)) {
        if (/^\s*([#;].*)?$/.test(raw)) continue;
        const header = /^\[([^\]]+)\]/.exec(raw);
        if (header) {
            current = [];
            sections.set(header[1].trim(), current);
            last = undefined;
        } else if (/^\s/.test(raw) && last) {
            last[1] += `\n${raw.trim()}`;
        } else {
            const kv = /^([^=:]+)[=:](.*)$/.exec(raw);
            if (kv && current) current.push((last = [kv[1].trim().toLowerCase().replace(/_/g, "-"), kv[2].trim()]));
        }
    }
    return sections;
}

/** uv's files, lowest precedence first: system, user, then the project's (uv.toml or pyproject.toml [tool.uv] from the working folder up). */
function uvConfigFiles(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string[] {
    if (truthy(env.UV_NO_CONFIG)) return [];
    if (env.UV_CONFIG_FILE) return [path.resolve(env.UV_CONFIG_FILE)];
    const xdgDirs = (env.XDG_CONFIG_DIRS || "/etc/xdg").split(path.delimiter).filter(Boolean);
    const files = [...xdgDirs.map((d) => path.join(d, "uv", "uv.toml")), "/etc/uv/uv.toml", path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config"), "uv", "uv.toml")];
    for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
        const uvToml = path.join(dir, "uv.toml");
        const pyproject = path.join(dir, "pyproject.toml");
        if (fs.existsSync(uvToml)) {
            files.push(uvToml);
            break;
        }
        if (fs.existsSync(pyproject) && /^\s*\[\[?tool\.uv[\].]/m.test(fs.readFileSync(pyproject, "utf8"))) {
            files.push(pyproject);
            break;
        }
        if (path.dirname(dir) === dir) break;
    }
    return files;
}

/**
 * Index settings of uv's configuration: `index-url`, `extra-index-url`,
 * `find-links`, `no-index` at the top level or under [pip], and [[index]]
 * tables (`default = true` is the primary). In pyproject.toml the same under
 * [tool.uv]. A small reader for exactly these keys (strings, arrays of
 * strings, booleans), not a TOML parser.
 */
export function uvConfigIndexes(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): ConfiguredIndexes {
    const out: ConfiguredIndexes = { files: [], pairs: [] };
    // Higher precedence first, so the primary index of the nearest file is the one kept.
    for (const file of uvConfigFiles(cwd, env).reverse()) {
        let text: string;
        try {
            text = fs.readFileSync(file, "utf8");
        } catch {
            continue;
        }
        const prefix = file.endsWith("pyproject.toml") ? "tool.uv" : "";
        const before = out.pairs.length;
        let table = "";
        let index: { url?: string; default?: boolean } | undefined;
        const flush = () => {
            if (index?.url) out.pairs.push([index.default ? "indexUrl" : "extraIndexUrls", index.url]);
            index = undefined;
        };
        for (const line of joinArrays(text)) {
            const header = /^\s*\[(\[)?\s*([^\]]+?)\s*\]\]?\s*$/.exec(line);
            if (header) {
                flush();
                table = header[2];
                if (header[1] && table === (prefix ? `${prefix}.index` : "index")) index = {};
                continue;
            }
            const kv = /^\s*([A-Za-z0-9_-]+)\s*=\s*(.+?)\s*$/.exec(line);
            if (!kv) continue;
            const [, key, value] = kv;
            if (index) {
                if (key === "url") index.url = strings(value)[0];
                if (key === "default") index.default = value.startsWith("true");
                continue;
            }
            if (table !== prefix && table !== (prefix ? `${prefix}.pip` : "pip")) continue;
            if (key === "index-url") out.pairs.push(["indexUrl", strings(value)[0]]);
            else if (key === "extra-index-url") for (const u of strings(value)) out.pairs.push(["extraIndexUrls", u]);
            else if (key === "find-links") for (const f of strings(value)) out.pairs.push(["findLinks", /^[a-z][a-z0-9+.-]*:\/\//i.test(f) ? f : path.resolve(path.dirname(file), f)]);
            else if (key === "no-index" && value.startsWith("true")) out.pairs.push(["noIndex", "1"]);
            else if (key === "allow-insecure-host") for (const h of strings(value)) out.pairs.push(["trustedHosts", h]);
        }
        flush();
        if (out.pairs.length > before) out.files.push(file);
    }
    return out;
}

/** Lines, with a multi-line array joined onto its key's line and comments dropped. */
function joinArrays(text: string): string[] {
    const out: string[] = [];
    let open = "";
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.replace(/\s+#.*$|^\s*#.*$/, "");
        if (open) {
            open += ` ${line.trim()}`;
            if ((open.match(/\[/g) ?? []).length <= (open.match(/\]/g) ?? []).length) {
                out.push(open);
                open = "";
            }
        } else if (/=\s*\[[^\]]*$/.test(line)) open = line;
        else out.push(line);
    }
    return out;
}

/** The string literals of a TOML value ("x", 'x', or an array of them). */
function strings(value: string): string[] {
    return [...value.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map((m) => m[1] ?? m[2]);
}
