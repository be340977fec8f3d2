// Reading a Pulumi project the way the Pulumi CLI does: Pulumi.yaml (name,
// runtime as a string or {name, options}, main) and Pulumi.<stack>.yaml
// (config, with plain keys in the project's namespace, structured values
// as JSON, and `secure:` values that cannot be decrypted offline).
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../shared/errors";

// js-yaml comes with @pulumi/pulumi, which reads these files with it too.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const yaml = require("js-yaml") as { load(text: string): unknown };

export interface Project {
    name: string;
    /** The program's entry file. */
    main: string;
    /** runtime.options.typescript (default true): whether .ts is compiled with ts-node. */
    typescript: boolean;
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
    const file = path.join(programDir, "Pulumi.yaml");
    const doc = readYaml(file) ?? readYaml(path.join(programDir, "Pulumi.yml"));
    if (!doc) throw new UserError(`${programDir} is not a Pulumi program: it has no Pulumi.yaml.`);
    const name = doc.name;
    if (typeof name !== "string" || !name) throw new UserError(`${file} has no name.`);
    const runtime = doc.runtime;
    const runtimeName = typeof runtime === "string" ? runtime : runtime && typeof runtime === "object" ? (runtime as { name?: unknown }).name : undefined;
    if (runtimeName !== undefined && runtimeName !== "nodejs") {
        throw new UserError(
            `${file} is a ${String(runtimeName)} program; the offline preview and serve run Node.js (TypeScript/JavaScript) programs only. Preview this one with \`pulumi preview\` (the package's plugin serves PythonFunction and PythonLayer to it), and run its functions with lambda-python invoke <source folder or .zip>.`,
        );
    }
    const options = (runtime && typeof runtime === "object" ? (runtime as { options?: Record<string, unknown> }).options : undefined) ?? {};
    const main = path.resolve(programDir, typeof doc.main === "string" ? doc.main : ".");
    const candidates = [main, `${main}.ts`, `${main}.js`, `${main}.mjs`, ...packageMain(main), path.join(main, "index.ts"), path.join(main, "index.js"), path.join(main, "index.mjs")];
    const entry = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (!entry) throw new UserError(`${file}: the program's entry point was not found (looked for ${candidates.join(", ")}).`);
    return { name, main: entry, typescript: options.typescript !== false };
}

/** A folder's package.json "main", as Node resolves a folder. */
function packageMain(dir: string): string[] {
    try {
        const main = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).main;
        return typeof main === "string" ? [path.resolve(dir, main)] : [];
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

/** Config of Pulumi.<stack>.yaml, or nothing when the file does not exist. */
export function readStackConfig(programDir: string, project: string, stack: string): StackConfig {
    const out: StackConfig = { values: {}, secretKeys: [], notes: [] };
    const file = path.join(programDir, `Pulumi.${stack}.yaml`);
    const doc = readYaml(file);
    const config = doc?.config;
    if (!config) return out;
    if (typeof config !== "object" || Array.isArray(config)) throw new UserError(`${file}: config must be a map of key: value.`);
    for (const [rawKey, raw] of Object.entries(config as Record<string, unknown>)) {
        const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
        if (raw && typeof raw === "object" && !Array.isArray(raw) && "secure" in raw) {
            // Encrypted with the stack's secrets provider; the preview has no way to decrypt it.
            out.values[key] = "[secret]";
            out.secretKeys.push(key);
            out.notes.push(`config ${key} is encrypted in ${path.basename(file)}; the preview uses the placeholder "[secret]" (pass --config ${rawKey}=VALUE to use a value).`);
            continue;
        }
        out.values[key] = typeof raw === "string" ? raw : JSON.stringify(raw);
    }
    return out;
}
