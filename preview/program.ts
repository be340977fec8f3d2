// Runs a Pulumi program (a folder with Pulumi.yaml) offline, the way
// `pulumi preview` runs it, without the Pulumi CLI or a cloud account: in a
// child process of its own (program-host.ts), as the Node.js language host
// does, under the SDK's mock monitor answering as the engine does during a
// preview (engine-mocks.ts). Archives are built for real; every registration
// comes back recorded as the engine would receive it, then goes through the
// checks the engine makes (engine-checks.ts).
//
// The child has the language host's environment: PULUMI_CONFIG and
// PULUMI_CONFIG_SECRET_KEYS, PULUMI_NODEJS_TYPESCRIPT and _TSCONFIG_PATH from
// Pulumi.yaml's runtime options, the project, stack, organization and root
// directory, and Pulumi.yaml's `nodeargs`. TypeScript is transpiled only
// (PULUMI_NODEJS_TRANSPILE_ONLY=true) unless the user's environment says
// otherwise: type-checking @pulumi/aws takes many seconds.
//
// Ctrl-C and SIGTERM end the preview whatever the program does: the child is
// asked to stop its builds and exit, and is killed if it has not within
// STOP_GRACE_MS (a program in a synchronous loop never reads the request).
import { fork } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { removePendingTemps } from "../shared/atomic";
import type { Analysis } from "./policy-check";
import { RecordedResource } from "./records";
import { Answers, chooseStack, readAnswers, readConfig, readProject } from "./project";
import { configNote, typescriptSetupNote } from "./failure-hints";
import { displayValue } from "./wire";
import type { PolicyPackConfig } from "./policy-config";
import { GoLaunch, goFor } from "./go-program";
import { PythonLaunch, pythonFor } from "./python-program";

/** What every run of a program tells, whether it ran to its end or failed. */
interface RunDetails {
    project: string;
    stack: string;
    organization: string;
    programDir: string;
    main: string;
    resources: RecordedResource[];
    /** The stack's outputs as `pulumi preview` shows them: unknowns as "output<string>", secrets as "[secret]". */
    outputs: Record<string, unknown>;
    /** What the program lacked (config, its TypeScript set-up) to run, said beside its failure (failure-hints.ts). */
    hint?: string;
    /** Things the user should know about the run (offline answers given, config that could not be decrypted, …). */
    notes: string[];
}

/** The program ran to its end without an error. */
export interface CompletedRun extends RunDetails {
    ok: true;
    errors: [];
    offlineLimit: false;
    /** The policy pack's verdicts, when asked for (RunOptions.analyze). */
    analysis?: Promise<Analysis>;
}

/** The program failed, or the offline preview could not answer it: there is no analysis. */
export interface FailedRun extends RunDetails {
    ok: false;
    /** Errors the program failed with, as the engine would report them. */
    errors: string[];
    /** The errors come from a limit of the offline preview (a data source it cannot answer), not from the program. */
    offlineLimit: boolean;
    analysis?: undefined;
}

export type ProgramRun = CompletedRun | FailedRun;

/** A run with `analyze`: one that completed has the pack's verdicts. */
export type AnalysedRun = (CompletedRun & { analysis: Promise<Analysis> }) | FailedRun;

export interface RunOptions {
    /** --stack: NAME, ORG/NAME or ORG/PROJECT/NAME; default: the program's only stack file, else "dev". */
    stack?: string;
    /** key=value pairs, as `pulumi config set` takes them; they override the stack file. */
    config?: Record<string, string>;
    /** --invoke-result TOKEN=FILE.json */
    invokeResults?: Record<string, string>;
    /** --stack-outputs NAME=FILE.json */
    stackOutputs?: Record<string, string>;
    /** No progress lines from the program's builds. */
    quiet?: boolean;
    /** Check the resources with the policy pack too, in the program's process (see policy-check.ts). */
    analyze?: boolean;
    /** --policy-config: the pack's policies' levels and config (policy-config.ts); default the pack's own. */
    policyConfig?: PolicyPackConfig;
}

/** What the parent hands the child (program-host.ts), as its argument. */
export interface HostRequest {
    programDir: string;
    main: string;
    project: string;
    stack: string;
    organization: string;
    quiet: boolean;
    analyze: boolean;
    policyConfig?: PolicyPackConfig;
    invokeResults: Answers["invokes"];
    stackOutputs: Answers["stackOutputs"];
    /** A Python program's interpreter (grpc-host.ts runs it); absent for a Node.js program. */
    python?: PythonLaunch;
    /** A Go program's binary (grpc-host.ts runs it). */
    go?: GoLaunch;
}

export interface ProgramError {
    message: string;
    /** "limit": a data source the offline preview cannot answer. */
    kind: "program" | "limit";
}

/** What the child sends back: the program started, it ran (its registrations), the pack's verdicts. */
export type HostMessage = { kind: "started" } | { kind: "ran"; resources: RecordedResource[]; stackOutputs: Record<string, unknown>; errors: ProgramError[]; notes: string[] } | ({ kind: "analyzed" } & Analysis);

/** How long a child asked to stop may take before it is killed (it stops its pip/uv builds first). */
const STOP_GRACE_MS = 2000;

/** The compiled host (program-host.js, grpc-host.js); from the sources (tests run them under ts-node), the compiled one beside them in dist/. */
function hostScript(name: string): string {
    const beside = path.join(__dirname, name);
    return fs.existsSync(beside) ? beside : path.join(__dirname, "..", "dist", "preview", name);
}

/** Runs the program under the mock monitor; with `analyze`, a run that completes carries the pack's verdicts. */
export function runProgram(programDir: string, options: RunOptions & { analyze: true }): Promise<AnalysedRun>;
export function runProgram(programDir: string, options?: RunOptions): Promise<ProgramRun>;
export async function runProgram(programDir: string, options: RunOptions = {}): Promise<ProgramRun> {
    const dir = path.resolve(programDir);
    const project = readProject(dir);
    const stack = chooseStack(project, options.stack);
    const config = readConfig(project, stack.name, options.config);
    const answers = readAnswers(dir, options.invokeResults ?? {}, options.stackOutputs ?? {});
    const notes = [...(stack.note ? [stack.note] : []), ...config.notes];
    const say = (m: string) => options.quiet || process.stderr.write(`lambda-python: ${m}\n`);

    const request: HostRequest = {
        programDir: dir,
        main: project.mainArg,
        project: project.name,
        stack: stack.name,
        organization: stack.organization,
        quiet: !!options.quiet,
        analyze: !!options.analyze,
        policyConfig: options.policyConfig,
        invokeResults: answers.invokes,
        stackOutputs: answers.stackOutputs,
        python: project.runtime === "python" ? await pythonFor(dir, project.python, say) : undefined,
        go: project.runtime === "go" ? await goFor(dir, project.mainArg, project.go, say) : undefined,
    };
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_CONFIG: JSON.stringify(config.values),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(config.secretKeys),
        PULUMI_NODEJS_PROJECT: project.name,
        PULUMI_NODEJS_STACK: stack.name,
        PULUMI_NODEJS_ORGANIZATION: stack.organization,
        PULUMI_NODEJS_ROOT_DIRECTORY: dir,
        PULUMI_NODEJS_DRY_RUN: "true",
        PULUMI_NODEJS_TRANSPILE_ONLY: process.env.PULUMI_NODEJS_TRANSPILE_ONLY ?? "true",
    };
    delete env.PULUMI_NODEJS_TYPESCRIPT;
    delete env.PULUMI_NODEJS_TSCONFIG_PATH;
    if (project.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
    if (project.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = project.tsconfig;

    const result = await runHost(request, env, project.nodeargs, request.python || request.go ? "grpc-host.js" : "program-host.js").finally(() => {
        if (request.go?.buildDir) fs.rmSync(request.go.buildDir, { recursive: true, force: true });
    });
    const common = { project: project.name, stack: stack.name, organization: stack.organization, programDir: dir, main: project.main };
    // A program that failed may have failed for its TypeScript set-up, as it would under `pulumi preview`.
    const failedToRun = "failure" in result || result.errors.some((e) => e.kind === "program");
    const errors = "failure" in result ? [result.failure] : result.errors.map((e) => e.message);
    const base = { ...common, hint: (failedToRun && (configNote(errors, stack.name) ?? typescriptSetupNote(dir, project.main, project.typescript, errors))) || undefined };
    if ("failure" in result) return { ...base, ok: false, resources: [], outputs: {}, errors: [result.failure], offlineLimit: false, notes };
    const ran = {
        ...base,
        resources: result.resources,
        outputs: Object.fromEntries(Object.entries(result.stackOutputs).map(([k, v]) => [k, displayValue(v)])),
        notes: [...notes, ...result.notes],
    };
    if (result.errors.length) return { ...ran, ok: false, errors, offlineLimit: result.errors.some((e) => e.kind === "limit") };
    return { ...ran, ok: true, errors: [], offlineLimit: false, analysis: result.analysis };
}

type Ran = Extract<HostMessage, { kind: "ran" }>;
type HostResult = (Ran & { analysis?: Promise<Analysis> }) | { failure: string };

/**
 * Runs the child; resolves when the program has run (the pack's verdicts, if asked for, follow as a promise).
 * Its output goes to stderr (the program's console.log too: stdout is the preview's).
 */
function runHost(request: HostRequest, env: NodeJS.ProcessEnv, nodeargs: string[], script: string): Promise<HostResult> {
    return new Promise((resolve, reject) => {
        // Two warnings about the machinery, not the program: ts-node's ESM loader on Node 24 (DEP0180), and
        // the SDK handling an invoke's rejection a turn late. A young generation of at most 8 MB per half
        // (V8 grows it to 64 MB while a program's builds allocate): the 50-function stack of bench/stack.ts
        // peaked at ~555 MB for the whole preview, ~455 MB with it, in the same time. The program's own
        // nodeargs come after, so a --max-semi-space-size of theirs wins.
        const execArgv = ["--disable-warning=DEP0180", "--disable-warning=PromiseRejectionHandledWarning", "--max-semi-space-size=8", ...nodeargs];
        const child = fork(hostScript(script), [JSON.stringify(request)], { cwd: request.programDir, env, execArgv, stdio: ["ignore", "pipe", "pipe", "ipc"] });
        let started = false;
        let ran = false;
        let tail = "";
        const forward = (chunk: Buffer) => {
            process.stderr.write(chunk);
            tail = (tail + chunk.toString("utf8")).slice(-4000);
        };
        child.stdout!.on("data", forward);
        child.stderr!.on("data", forward);
        let analyzed!: (a: Analysis) => void;
        let notAnalyzed: ((e: Error) => void) | undefined;
        const analysis = request.analyze
            ? new Promise<Analysis>((res, rej) => {
                  analyzed = res;
                  notAnalyzed = rej;
              })
            : undefined;
        analysis?.catch(() => undefined); // a failed program has no analysis, and nobody waits for it
        child.on("message", (m: HostMessage) => {
            if (m.kind === "started") started = true;
            else if (m.kind === "ran") {
                ran = true;
                resolve({ ...m, analysis });
            } else analyzed(m);
        });

        let stopping: NodeJS.Signals | undefined;
        const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
        const stop = (signal: NodeJS.Signals) => {
            if (stopping) return;
            stopping = signal;
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS).unref();
        };
        for (const s of signals) process.on(s, stop);

        child.on("error", reject);
        child.on("exit", (code) => {
            for (const s of signals) process.off(s, stop);
            if (stopping) {
                removePendingTemps();
                process.exit(128 + os.constants.signals[stopping]);
            }
            notAnalyzed?.(new Error(`the preview's program host ended before the policy pack's verdicts (exit ${code}):\n${tail}`));
            if (ran) return;
            if (!started) return reject(new Error(`the preview's program host ended before the program started (exit ${code}):\n${tail}`));
            // The SDK exits with 32 after it told the user what is wrong (an entry point it cannot load).
            const said = tail.trim().split("\n").slice(-8).join("\n  ");
            resolve({
                failure: code === 32 && said ? said : `it ended the process with process.exit(${code}) before it finished, so there is no preview. A Pulumi program ends by returning (or throwing an error).`,
            });
        });
    });
}
