// Runs a Pulumi program (a folder with Pulumi.yaml) in this process under the
// SDK's mock monitor: no cloud, no Pulumi CLI. Archives are built for real;
// every registration is recorded as the engine would receive it. One program
// per process (the mock monitor and the module cache are process-wide).
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { UserError } from "../errors";
import { MockStack, RecordedResource, valueOf } from "./mock-stack";

export interface ProgramRun {
    project: string;
    programDir: string;
    main: string;
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
    /** Errors the program failed with (empty on success). */
    errors: string[];
}

/** The project name and entry point from Pulumi.yaml (top-level `name` and `main`). */
export function readProject(programDir: string): { name: string; main: string } {
    const file = path.join(programDir, "Pulumi.yaml");
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        throw new UserError(`${programDir} is not a Pulumi program: it has no Pulumi.yaml.`);
    }
    const field = (key: string) => new RegExp(`^${key}:\\s*["']?([^"'#\\n]+?)["']?\\s*(#.*)?$`, "m").exec(text)?.[1];
    const name = field("name");
    if (!name) throw new UserError(`${file} has no name.`);
    const runtime = field("runtime");
    if (runtime && runtime !== "nodejs") throw new UserError(`${file} is a ${runtime} program; the offline preview runs Node.js (TypeScript/JavaScript) programs.`);
    const main = path.resolve(programDir, field("main") ?? ".");
    const candidates = [main, `${main}.ts`, `${main}.js`, path.join(main, "index.ts"), path.join(main, "index.js")];
    const entry = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (!entry) throw new UserError(`${file}: the program's entry point was not found (looked for ${candidates.join(", ")}).`);
    return { name, main: entry };
}

function registerTypeScript(programDir: string): void {
    if (require.extensions[".ts"]) return; // already running under ts-node
    for (const from of [programDir, __dirname]) {
        try {
            const tsnode = require(require.resolve("ts-node", { paths: [from] }));
            const project = path.join(programDir, "tsconfig.json");
            tsnode.register({ transpileOnly: true, ...(fs.existsSync(project) ? { project } : { skipProject: true, compilerOptions: { module: "commonjs", target: "ES2020", esModuleInterop: true, resolveJsonModule: true } }) });
            return;
        } catch {
            // try the next place
        }
    }
    throw new UserError(`${programDir} is a TypeScript program; running it needs ts-node and typescript (npm install -D ts-node typescript).`);
}

export async function runProgram(programDir: string): Promise<ProgramRun> {
    const dir = path.resolve(programDir);
    const { name, main } = readProject(dir);
    if (main.endsWith(".ts")) registerTypeScript(dir);
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
    const stack = await MockStack.start({ project: name, stack: "preview", preview: true });
    const cwd = process.cwd();
    let outputs: Record<string, unknown> = {};
    try {
        process.chdir(dir); // programs resolve relative paths against their folder, as under `pulumi up`
        const exported = await Promise.race([
            pulumi.runtime.runInPulumiStack(async () => {
                const mod = require(main);
                return mod && typeof mod === "object" && "default" in mod && typeof mod.default === "function" ? await mod.default() : mod;
            }),
            failure.then(() => undefined),
        ]);
        await Promise.race([stack.settle(), failure]);
        // Since @pulumi/pulumi 3.2xx a failed RPC releases its keep-alive before its rejection is
        // reported, so let Node report pending rejections while our handler still listens.
        await new Promise((resolve) => setImmediate(resolve));
        if (!errors.length && exported) outputs = (await Promise.race([valueOf(pulumi.output(exported)), failure.then(() => ({}))])) as Record<string, unknown>;
    } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
    } finally {
        process.chdir(cwd);
        stack.stop();
        process.off("unhandledRejection", onError);
    }
    return { project: name, programDir: dir, main, resources: stack.resources, outputs, errors: [...new Set(errors)] };
}
