// Runs a Pulumi program (a folder with Pulumi.yaml) in this process under the
// SDK's mock monitor: no cloud, no Pulumi CLI. Archives are built for real;
// every registration is recorded as the engine would receive it. One program
// per process (the mock monitor and the module cache are process-wide).
//
// Programs are run the way the Pulumi Node.js language host runs them:
// CommonJS or ESM (.mjs, or "type": "module"), TypeScript through ts-node,
// the module's exports as stack outputs, and an exported function (async or
// not, `export =` or `export default`) called and its result used instead.
// Stack config comes from Pulumi.<stack>.yaml and --config key=value.
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import * as pulumi from "@pulumi/pulumi";
import { defaultCacheDir } from "../builder/cache";
import { UserError } from "../shared/errors";
import { MockStack, RecordedResource, outputValue } from "./mock-stack";
import { readProject, readStackConfig } from "./project";
import { cacheCompiles, TsNodeService } from "./typescript-cache";

export interface ProgramRun {
    project: string;
    stack: string;
    programDir: string;
    main: string;
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
    /** Errors the program failed with (empty on success). */
    errors: string[];
    /** Things the user should know about the run (config that could not be decrypted, …). */
    notes: string[];
}

export interface RunOptions {
    /** Stack name (default "preview"); its Pulumi.<stack>.yaml config is loaded when present. */
    stack?: string;
    /** key=value pairs, as `pulumi config set` takes them; they override the stack file. */
    config?: Record<string, string>;
}

function registerTypeScript(programDir: string): void {
    if (require.extensions[".ts"]) return; // already running under ts-node
    for (const from of [programDir, __dirname]) {
        let entry: string;
        try {
            entry = require.resolve("ts-node", { paths: [from] });
        } catch {
            continue; // try the next place
        }
        const tsnode: { register(o: object): TsNodeService } = require(entry);
        const project = path.join(programDir, "tsconfig.json");
        // ESM packages ("type": "module") are compiled to CommonJS as well, so one loader runs both.
        const common = { transpileOnly: true, moduleTypes: { "**/*": "cjs" } };
        const settings = fs.existsSync(project)
            ? { ...common, project, compilerOptions: { module: "commonjs" } }
            : { ...common, skipProject: true, compilerOptions: { module: "commonjs", target: "ES2020", esModuleInterop: true, resolveJsonModule: true } };
        cacheCompiles(tsnode.register(settings), settings, packageDir(entry), path.join(defaultCacheDir(), "preview", "typescript"));
        return;
    }
    throw new UserError(`${programDir} is a TypeScript program; running it needs ts-node and typescript (npm install -D ts-node typescript).`);
}

/** The folder of the package a resolved entry file belongs to (the nearest package.json above it). */
function packageDir(entry: string): string {
    for (let dir = path.dirname(entry); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json")) || path.dirname(dir) === dir) return dir;
    }
}

/**
 * The SDK records a stack trace on every promise it makes (`debuggablePromise`), read only when
 * PULUMI_DEBUG_PROMISE_LEAKS is set. Under ts-node each of those traces is source-mapped frame by
 * frame as it is taken (a third of a second for the showcase). This leaves those traces unformatted
 * and every other error's trace as it was; returns the function that undoes it.
 */
function skipPromiseStackTraces(): () => void {
    const format = Error.prepareStackTrace;
    if (!format || process.env.PULUMI_DEBUG_PROMISE_LEAKS) return () => undefined;
    const skipping: typeof format = (error, frames) => (frames[0]?.getFunctionName() === "debuggablePromise" ? "" : format(error, frames));
    Error.prepareStackTrace = skipping;
    return () => {
        if (Error.prepareStackTrace === skipping) Error.prepareStackTrace = format;
    };
}

/** Whether Node would load `file` as an ES module: .mjs, or .js in a package whose package.json says "type": "module". */
function isEsm(file: string): boolean {
    if (file.endsWith(".mjs")) return true;
    if (!file.endsWith(".js")) return false;
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
        const pkg = path.join(dir, "package.json");
        if (fs.existsSync(pkg)) {
            try {
                return JSON.parse(fs.readFileSync(pkg, "utf8")).type === "module";
            } catch {
                return false;
            }
        }
        if (path.dirname(dir) === dir) return false;
    }
}

// tsc turns import() into require(); this keeps a real dynamic import for ES modules.
const importModule = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, unknown>>;

/** Loads the program and returns its stack outputs, as the Node.js language host does. */
async function loadProgram(main: string): Promise<unknown> {
    const mod: unknown = isEsm(main) ? await importModule(pathToFileURL(main).href) : require(main);
    if (typeof mod === "function") return await (mod as () => unknown)();
    if (mod && typeof mod === "object" && "default" in mod) {
        const def = (mod as { default: unknown }).default;
        if (typeof def === "function") return await (def as () => unknown)();
        if (isEsm(main) && def && typeof def === "object") return def;
    }
    return mod;
}

export async function runProgram(programDir: string, options: RunOptions = {}): Promise<ProgramRun> {
    const dir = path.resolve(programDir);
    const project = readProject(dir);
    const stackName = options.stack ?? "preview";
    const stackConfig = readStackConfig(dir, project.name, stackName);
    const config = { ...stackConfig.values };
    for (const [k, v] of Object.entries(options.config ?? {})) config[k.includes(":") ? k : `${project.name}:${k}`] = v;
    if (project.main.endsWith(".ts") && project.typescript) registerTypeScript(dir);
    const errors: string[] = [];
    let failed!: () => void;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    const onError = (e: unknown) => {
        // The SDK prefixes errors raised while it resolves an input (once per level of
        // nesting: "outputs", then "code"); the rest is the component's message.
        errors.push((e instanceof Error ? e.message : String(e)).replace(/^(error serializing property "[^"]*": )+/, ""));
        failed();
    };
    process.on("unhandledRejection", onError);
    // Node runs out of work while the program is unfinished when it awaits or exports a promise that
    // never settles; without this the command would end silently, with no preview and no error.
    const stalled = () => onError(new Error(`the program never finished: Node.js ran out of work while it was still waiting (a promise the program awaits, or one it exports as an output, never settles).`));
    process.on("beforeExit", stalled);
    // A program that calls process.exit() ends the command mid-run; say so rather than end in silence.
    // (Exit codes from 128 on are signals, which main reports itself.)
    const exited = (code: number) => {
        if (code >= 128) return;
        process.stderr.write(`lambda-python: the program ${project.name} failed:\n  it ended the process with process.exit(${code}) before it finished, so there is no preview. A Pulumi program ends by returning (or throwing an error).\n`);
        process.exitCode = 1;
    };
    process.on("exit", exited);
    const restoreStackTraces = skipPromiseStackTraces();
    const stack = await MockStack.start({ project: project.name, stack: stackName, preview: true });
    pulumi.runtime.setAllConfig(
        config,
        stackConfig.secretKeys.filter((k) => !(k in (options.config ?? {}))),
    );
    const cwd = process.cwd();
    let outputs: Record<string, unknown> = {};
    try {
        process.chdir(dir); // programs resolve relative paths against their folder, as under `pulumi up`
        const exported = await Promise.race([pulumi.runtime.runInPulumiStack(() => loadProgram(project.main)), failure.then(() => undefined)]);
        await Promise.race([stack.settle(), failure]);
        // Since @pulumi/pulumi 3.2xx a failed RPC releases its keep-alive before its rejection is
        // reported, so let Node report pending rejections while our handler still listens.
        await new Promise((resolve) => setImmediate(resolve));
        if (!errors.length && exported) outputs = (await Promise.race([outputValue(pulumi.output(exported)), failure.then(() => ({}))])) as Record<string, unknown>;
    } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
    } finally {
        process.chdir(cwd);
        restoreStackTraces();
        stack.stop();
        process.off("unhandledRejection", onError);
        process.off("beforeExit", stalled);
        process.off("exit", exited);
        // A failed program's error comes back again through the SDK's own promises (the stack's outputs);
        // it is already reported, so those late echoes must not crash the process with a stack trace.
        if (errors.length) process.on("unhandledRejection", () => undefined);
    }
    return { project: project.name, stack: stackName, programDir: dir, main: project.main, resources: stack.resources, outputs: plain(outputs), errors: [...new Set(errors)], notes: stackConfig.notes };
}

/** Outputs as JSON can show them: unknowns and functions dropped. */
function plain(outputs: unknown): Record<string, unknown> {
    if (!outputs || typeof outputs !== "object") return {};
    return Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== undefined && typeof v !== "function"));
}
