// Reading a Pulumi project the way the Pulumi CLI does: Pulumi.yaml (name,
// runtime as a string or {name, options}, main, project config with
// defaults), the stack (its name, organization and Pulumi.<stack>.yaml
// config, with plain keys in the project's namespace, structured values as
// JSON, and `secure:` values that cannot be decrypted offline), and the
// answers the user gives for data sources and stack references.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UserError } from "../shared/errors";
import { ANSWERS_FILE } from "./data-sources";

// js-yaml comes with @pulumi/pulumi, which reads these files with it too.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const yaml = require("js-yaml") as { load(text: string): unknown };

export interface Project {
    name: string;
    /** Pulumi.yaml's runtime: a Node.js program (program-host.ts), or a Python or Go one (grpc-host.ts). */
    runtime: "nodejs" | "python" | "go";
    /** runtime.options of a Python program (virtualenv, toolchain). */
    python: { virtualenv?: string; toolchain?: string };
    /** runtime.options of a Go program (binary). */
    go: { binary?: string };
    /** Pulumi.yaml's `main` as written, or "." (the language host passes it on as is). */
    mainArg: string;
    /** The file the program starts from, as Node will find it. */
    main: string;
    /** runtime.options.typescript (default true): whether .ts is compiled with ts-node. */
    typescript: boolean;
    /** runtime.options.tsconfig: another tsconfig file. */
    tsconfig?: string;
    /** runtime.options.nodeargs: arguments for node. */
    nodeargs: string[];
    /** Project-level config (Pulumi.yaml `config:`): values and defaults, "ns:key" -> value. */
    config: Record<string, unknown>;
    /** Pulumi.yaml's stackConfigDir: where Pulumi.<stack>.yaml files are. */
    stackConfigDir: string;
}

function readYaml(file: string): Record<string, unknown> | undefined {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
    try {
        const doc = yaml.load(text);
        if (doc === undefined || doc === null) return {};
        if (typeof doc !== "object" || Array.isArray(doc)) throw new UserError(`${file} is not a YAML map of settings.`);
        return doc as Record<string, unknown>;
    } catch (e) {
        if (e instanceof UserError) throw e;
        throw new UserError(`${file} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
}

export function readProject(programDir: string): Project {
    const file = fs.existsSync(path.join(programDir, "Pulumi.yaml")) ? path.join(programDir, "Pulumi.yaml") : path.join(programDir, "Pulumi.yml");
    const doc = readYaml(file);
    if (!doc) throw new UserError(`${programDir} is not a Pulumi program: it has no Pulumi.yaml.`);
    const name = doc.name;
    if (typeof name !== "string" || !name) throw new UserError(`${file} has no name.`);
    const runtime = doc.runtime;
    const runtimeName = typeof runtime === "string" ? runtime : runtime && typeof runtime === "object" ? (runtime as { name?: unknown }).name : undefined;
    if (runtimeName !== undefined && runtimeName !== "nodejs" && runtimeName !== "python" && runtimeName !== "go") {
        throw new UserError(
            `${file} is a ${String(runtimeName)} program; the offline preview and serve run Node.js (TypeScript/JavaScript), Python and Go programs. Preview it with \`pulumi preview\` (with \`--policy-pack\` and this package's policies folder for its Lambda checks), and run a function's code with lambda-python invoke <source folder or .zip>.`,
        );
    }
    const options = (runtime && typeof runtime === "object" ? (runtime as { options?: Record<string, unknown> }).options : undefined) ?? {};
    const mainArg = typeof doc.main === "string" && doc.main ? doc.main : ".";
    const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
    return {
        name,
        runtime: runtimeName === "python" ? "python" : runtimeName === "go" ? "go" : "nodejs",
        python: { virtualenv: str(options.virtualenv), toolchain: str(options.toolchain) },
        go: { binary: str(options.binary) },
        mainArg,
        main: runtimeName === "python" ? pythonEntryPoint(programDir, mainArg, file) : runtimeName === "go" ? goEntryPoint(programDir, mainArg, file) : entryPoint(programDir, mainArg, file),
        typescript: options.typescript !== false,
        tsconfig: typeof options.tsconfig === "string" ? options.tsconfig : undefined,
        nodeargs: typeof options.nodeargs === "string" ? options.nodeargs.split(/\s+/).filter(Boolean) : [],
        config: projectConfig(doc.config, name, file),
        stackConfigDir: path.resolve(programDir, typeof doc.stackConfigDir === "string" ? doc.stackConfigDir : "."),
    };
}

/**
 * The file the program starts from, found as the language host finds it: Pulumi.yaml's main (a file, or a
 * folder as Node resolves one); without one, the `exports` or `main` of the nearest package.json (searched
 * upwards from the program's folder) when that file exists, else the folder's index. A missing one is said
 * here, in one paragraph, rather than by Node's module loader.
 */
function entryPoint(programDir: string, mainArg: string, projectFile: string): string {
    const main = path.resolve(programDir, mainArg);
    const root = mainArg === "." ? packageRoot(programDir) : undefined;
    const pkg = readPackage(root ?? main);
    const fromPackage = root ? [pkg.exports, pkg.main].filter((x): x is string => typeof x === "string").map((m) => path.resolve(root, m)) : [];
    const asFile = (p: string) => [p, ...[".ts", ".js", ".mjs", ".cjs", ".mts"].map((ext) => `${p}${ext}`)];
    const asFolder = (d: string) => [...(!root && typeof pkg.main === "string" ? asFile(path.resolve(d, pkg.main)) : []), ...["index.ts", "index.js", "index.mjs", "index.mts"].map((f) => path.join(d, f))];
    const isFile = (c: string) => fs.existsSync(c) && fs.statSync(c).isFile();
    // The language host takes package.json's entry only if that very file exists, else the folder.
    const entry = fromPackage.find(isFile);
    if (entry) return entry;
    const candidates = [...asFile(main), ...asFolder(main)];
    const found = candidates.find(isFile);
    if (found) return found;
    const build = typeof pkg.scripts === "object" && pkg.scripts && typeof (pkg.scripts as Record<string, unknown>).build === "string" ? (pkg.scripts as Record<string, string>).build : undefined;
    const hint = build ? ` The program's package.json has a build script (${build}); Pulumi does not run it: run \`npm run build\` first.` : "";
    const looked = [...fromPackage, ...candidates].map((c) => path.relative(programDir, c) || ".");
    throw new UserError(`${projectFile}: the program's entry point ${mainArg === "." ? "(no main: package.json's main, or index.ts / index.js)" : mainArg} was not found (looked for ${[...new Set(looked)].join(", ")}).${hint}`);
}

/**
 * A Python program's entry point, as the language host's shim runs it with runpy: Pulumi.yaml's main (a .py
 * file, or a folder), else the program's folder; a folder runs its __main__.py.
 */
function pythonEntryPoint(programDir: string, mainArg: string, projectFile: string): string {
    const main = path.resolve(programDir, mainArg);
    const file = fs.existsSync(main) && fs.statSync(main).isDirectory() ? path.join(main, "__main__.py") : main;
    if (!fs.existsSync(file))
        throw new UserError(`${projectFile}: the Python program's entry point ${path.relative(programDir, file) || file} was not found (the language host runs ${mainArg === "." ? "the folder's __main__.py" : `main: ${mainArg}`}).`);
    return file;
}

/** A Go program's folder, as the language host builds it: Pulumi.yaml's main (a folder), else the program's. */
function goEntryPoint(programDir: string, mainArg: string, projectFile: string): string {
    const main = path.resolve(programDir, mainArg);
    if (!fs.existsSync(main) || !fs.statSync(main).isDirectory()) throw new UserError(`${projectFile}: the Go program's folder ${mainArg} was not found (the language host builds main: a folder with package main).`);
    return main;
}

function readPackage(dir: string): Record<string, unknown> {
    try {
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
        if (pkg && typeof pkg === "object") {
            // "exports": "./x.js" or { ".": "./x.js" | { default, require, import } }, as the language host reads it.
            let exp = pkg.exports;
            if (exp && typeof exp === "object") exp = exp["."];
            if (exp && typeof exp === "object") exp = exp.default ?? exp.require ?? exp.import;
            return { ...pkg, exports: exp };
        }
    } catch {
        // no package.json, or one that is not JSON: Node ignores it too
    }
    return {};
}

/** The folder of the nearest package.json at or above `dir` (the language host's package root), if any. */
function packageRoot(dir: string): string | undefined {
    for (let d = dir; ; d = path.dirname(d)) {
        if (fs.existsSync(path.join(d, "package.json"))) return d;
        if (path.dirname(d) === d) return undefined;
    }
}

/**
 * Pulumi.yaml's `config:` block: a key's value (`key: value`, or `value:`) or default (`default:`),
 * for keys declared with a type. Plain keys are in the project's namespace.
 */
function projectConfig(raw: unknown, project: string, file: string): Record<string, unknown> {
    if (raw === undefined || raw === null) return {};
    if (typeof raw !== "object" || Array.isArray(raw)) throw new UserError(`${file}: config must be a map of key: value or key: { type, default }.`);
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        const full = key.includes(":") ? key : `${project}:${key}`;
        if (value && typeof value === "object" && !Array.isArray(value)) {
            const v = value as Record<string, unknown>;
            if ("value" in v) out[full] = v.value;
            else if ("default" in v) out[full] = v.default;
        } else if (value !== null && value !== undefined) out[full] = value;
    }
    return out;
}

/** The stack a preview runs as: name, organization, and its config file. */
export interface StackChoice {
    name: string;
    organization: string;
    /** Said to the user when the stack was chosen for them. */
    note?: string;
}

/** The DIY backends' organization, which a stack without one belongs to (the Pulumi CLI's own default there). */
const DEFAULT_ORGANIZATION = "organization";

/**
 * The stack to preview: --stack as `pulumi --stack` takes it (NAME, ORG/NAME or ORG/PROJECT/NAME), else the
 * program's only Pulumi.<stack>.yaml, else "dev" (the stack `pulumi new` creates). The organization is the
 * stack name's, else the DIY backends' "organization".
 */
export function chooseStack(project: Project, given: string | undefined): StackChoice {
    if (given !== undefined) {
        const parts = given.split("/");
        if (parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) throw new UserError(`--stack takes NAME, ORG/NAME or ORG/PROJECT/NAME (letters, digits, _ . -); got "${given}".`);
        if (parts.length === 3 && parts[1] !== project.name) throw new UserError(`--stack ${given} names project ${parts[1]}, but this program is project ${project.name}.`);
        return { name: parts[parts.length - 1], organization: parts.length > 1 ? parts[0] : DEFAULT_ORGANIZATION };
    }
    const stacks = stackFiles(project.stackConfigDir);
    if (stacks.length === 1) return { name: stacks[0], organization: DEFAULT_ORGANIZATION, note: `stack ${stacks[0]} (the program's only Pulumi.<stack>.yaml; --stack to choose another)` };
    if (stacks.length > 1) throw new UserError(`this program has several stacks (${stacks.map((s) => `Pulumi.${s}.yaml`).join(", ")}); say which to preview with --stack NAME, as \`pulumi stack select\` does.`);
    return { name: "dev", organization: DEFAULT_ORGANIZATION };
}

function stackFiles(dir: string): string[] {
    try {
        return fs
            .readdirSync(dir)
            .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
            .filter((s): s is string => !!s)
            .sort();
    } catch {
        return [];
    }
}

export interface StackConfig {
    /** "project:key" -> value, as the language host passes config to a program (structured values as JSON). */
    values: Record<string, string>;
    secretKeys: string[];
    notes: string[];
}

/** The placeholder of a value encrypted with the stack's secrets provider, which the preview cannot decrypt. */
export const SECRET_PLACEHOLDER = "[secret]";

/**
 * The stack's config: the project's values and defaults, then Pulumi.<stack>.yaml, then --config
 * (key=value, a key without "project:" in the project's namespace).
 */
export function readConfig(project: Project, stack: string, overrides: Record<string, string> = {}): StackConfig {
    const out: StackConfig = { values: {}, secretKeys: [], notes: [] };
    const set = (key: string, raw: unknown, file: string, rawKey: string) => {
        const secret = hasSecure(raw);
        out.values[key] = typeof raw === "string" ? raw : JSON.stringify(replaceSecure(raw));
        if (secret) {
            out.secretKeys.push(key);
            out.notes.push(`config ${key} is encrypted in ${file}; the preview uses the placeholder "${SECRET_PLACEHOLDER}" (pass --config ${rawKey}=VALUE to use a value).`);
        }
    };
    for (const [key, value] of Object.entries(project.config)) set(key, value, "Pulumi.yaml", key);
    const file = path.join(project.stackConfigDir, `Pulumi.${stack}.yaml`);
    const doc = readYaml(file) ?? readYaml(file.replace(/\.yaml$/, ".yml"));
    const config = doc?.config;
    if (config !== undefined && config !== null) {
        if (typeof config !== "object" || Array.isArray(config)) throw new UserError(`${file}: config must be a map of key: value.`);
        for (const [rawKey, raw] of Object.entries(config as Record<string, unknown>)) {
            const key = rawKey.includes(":") ? rawKey : `${project.name}:${rawKey}`;
            out.secretKeys = out.secretKeys.filter((k) => k !== key);
            set(key, raw, path.basename(file), rawKey);
        }
    }
    for (const [k, v] of Object.entries(overrides)) {
        const key = k.includes(":") ? k : `${project.name}:${k}`;
        out.values[key] = v;
        out.secretKeys = out.secretKeys.filter((s) => s !== key);
        out.notes = out.notes.filter((n) => !n.startsWith(`config ${key} `));
    }
    return out;
}

const isSecure = (v: unknown): boolean => !!v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;

/** Whether a config value is, or holds (nested), an encrypted `secure:` value. */
function hasSecure(v: unknown): boolean {
    if (isSecure(v)) return true;
    if (v && typeof v === "object") return Object.values(v).some(hasSecure);
    return false;
}

function replaceSecure(v: unknown): unknown {
    if (isSecure(v)) return SECRET_PLACEHOLDER;
    if (Array.isArray(v)) return v.map(replaceSecure);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceSecure(x)]));
    return v;
}

/** Answers the user gives for what the offline preview cannot know. */
export interface Answers {
    /** A data source's result, by token ("aws:ec2/getAmi:getAmi"). */
    invokes: Record<string, Record<string, unknown>>;
    /** A stack reference's outputs, by stack name ("acme/network/prod"). */
    stackOutputs: Record<string, Record<string, unknown>>;
}

/**
 * offline-answers.json beside Pulumi.yaml, then --invoke-result TOKEN=FILE and --stack-outputs NAME=FILE
 * (each FILE a JSON object), which take precedence.
 */
export function readAnswers(programDir: string, invokeResults: Record<string, string>, stackOutputs: Record<string, string>): Answers {
    const out: Answers = { invokes: {}, stackOutputs: {} };
    const file = path.join(programDir, ANSWERS_FILE);
    if (fs.existsSync(file)) {
        const doc = readJsonObject(file, `${ANSWERS_FILE}`);
        for (const [k, v] of Object.entries(doc)) {
            if (k !== "invokes" && k !== "stackOutputs") throw new UserError(`${file}: unknown key "${k}"; it holds "invokes" (data source results by token) and "stackOutputs" (stack references' outputs by stack name).`);
            if (!v || typeof v !== "object" || Array.isArray(v)) throw new UserError(`${file}: "${k}" must be an object.`);
            for (const [name, value] of Object.entries(v as Record<string, unknown>)) {
                if (!value || typeof value !== "object" || Array.isArray(value)) throw new UserError(`${file}: ${k}["${name}"] must be a JSON object.`);
                out[k][name] = value as Record<string, unknown>;
            }
        }
    }
    for (const [token, f] of Object.entries(invokeResults)) out.invokes[token] = readJsonObject(path.resolve(f), `--invoke-result ${token}=${f}`);
    for (const [name, f] of Object.entries(stackOutputs)) out.stackOutputs[name] = readJsonObject(path.resolve(f), `--stack-outputs ${name}=${f}`);
    return out;
}

function readJsonObject(file: string, what: string): Record<string, unknown> {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        throw new UserError(`${what}: ${file} cannot be read.`);
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (e) {
        throw new UserError(`${what}: ${file} is not valid JSON: ${(e as Error).message}`);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new UserError(`${what}: ${file} must hold a JSON object.`);
    return value as Record<string, unknown>;
}

/**
 * Resource operations at once, as the Pulumi CLI sets them for the program and the providers (`--parallel`'s
 * default, pkg/cmd/pulumi/operations/up.go defaultParallel): PULUMI_PARALLEL when it is a positive number, else 4
 * per CPU. A Python program's SDK runs that many registrations at once; each of our components is one until its
 * provider has built it, so fewer made the builds of a 50-function program wait on each other.
 */
export function engineParallel(env: NodeJS.ProcessEnv = process.env): number {
    const given = Number(env.PULUMI_PARALLEL);
    return Number.isSafeInteger(given) && given > 0 ? given : os.availableParallelism() * 4;
}
