// How a Go Pulumi program is started, as Pulumi's Go language host starts it
// (pulumi/pulumi sdk/go/pulumi-language-go): the program is compiled with
// `go build` in its folder (Pulumi.yaml `main` for another folder), or
// Pulumi.yaml's `runtime.options.binary` is run as it is, and the binary is
// run with the engine's settings in its environment (PULUMI_MONITOR,
// PULUMI_ENGINE, PULUMI_PROJECT, PULUMI_STACK, PULUMI_ORGANIZATION,
// PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS, PULUMI_DRY_RUN, PULUMI_PARALLEL,
// PULUMI_ROOT_DIRECTORY: what sdk/go/pulumi/run.go reads). The program's own
// go.mod decides the SDK versions, as under `pulumi preview`; the first build
// downloads and compiles them (minutes), later ones use Go's build cache.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UserError } from "../shared/errors";
import { run } from "../shared/process";

/** A Go program's binary, and where it came from (said in a note). */
export interface GoLaunch {
    binary: string;
    from: string;
    /** A folder made for the build, removed once the program has run. */
    buildDir?: string;
}

/** runtime.options of a `runtime: go` Pulumi.yaml that the preview reads. */
export interface GoOptions {
    binary?: string;
}

/** The compiler's first lines, in one paragraph. */
const firstLines = (text: string, n: number) =>
    text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))
        .slice(0, n)
        .join("; ");

/** Builds (or finds) the program's binary; a missing Go or a build that fails is one paragraph (exit 2). */
export async function goFor(programDir: string, mainArg: string, options: GoOptions, say: (m: string) => void = () => {}): Promise<GoLaunch> {
    if (options.binary) {
        const binary = path.resolve(programDir, options.binary);
        if (!fs.existsSync(binary)) throw new UserError(`${programDir}: Pulumi.yaml's runtime.options.binary ${options.binary} does not exist. Build it first (go build -o ${options.binary}), as \`pulumi preview\` expects it built.`);
        if (!isExecutableFile(binary)) {
            const folder = fs.statSync(binary).isDirectory();
            throw new UserError(
                `${programDir}: Pulumi.yaml's runtime.options.binary ${options.binary} is not an executable file (${folder ? "it is a folder" : "no permission to run it"}). Build it (go build -o ${options.binary})${folder ? "" : `, or make it executable (chmod +x ${options.binary}) if it was copied without its mode`}.`,
            );
        }
        return { binary, from: `the program's binary ${options.binary} (runtime.options.binary)` };
    }
    const main = path.resolve(programDir, mainArg);
    const version = await run("go", ["version"]).catch(() => undefined);
    if (version?.code !== 0) {
        throw new UserError(`${programDir} is a Go program, and previewing it needs Go on this machine to build it (\`go build\`, as Pulumi's Go language host does): \`go\` was not found on PATH. Install Go (https://go.dev/dl/) and preview again.`);
    }
    if (!fs.existsSync(path.join(main, "go.mod")) && !hasGoModAbove(main)) {
        throw new UserError(`${main} has no go.mod (in it or a folder above): a Go Pulumi program is a module. Run \`go mod init <name> && go mod tidy\` there, as \`pulumi new go\` sets it up.`);
    }
    const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-python-go-"));
    const binary = path.join(buildDir, "program");
    say(`building the Go program (go build in ${path.relative(process.cwd(), main) || "."}; the first build compiles the Pulumi Go SDKs, minutes)`);
    const built = await run("go", ["build", "-o", binary, "."], { cwd: main });
    if (built.code !== 0) {
        fs.rmSync(buildDir, { recursive: true, force: true });
        throw new UserError(`${main}: the Go program does not build (go build): ${firstLines(built.stderr || built.stdout, 5)}. Fix it and preview again; \`pulumi preview\` would stop the same way.`);
    }
    return { binary, buildDir, from: `go build of ${path.relative(programDir, main) || "the program's folder"} (${version.stdout.trim().replace(/^go version /, "")})` };
}

function isExecutableFile(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

function hasGoModAbove(dir: string): boolean {
    for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) if (fs.existsSync(path.join(d, "go.mod"))) return true;
    return false;
}

/** The environment sdk/go/pulumi/run.go reads its settings from, on top of `base`. */
export function goEnvironment(base: NodeJS.ProcessEnv, s: { monitor: string; project: string; stack: string; organization: string; programDir: string; parallel: number }): NodeJS.ProcessEnv {
    return {
        ...base,
        PULUMI_MONITOR: s.monitor,
        PULUMI_ENGINE: s.monitor,
        PULUMI_PROJECT: s.project,
        PULUMI_STACK: s.stack,
        PULUMI_ORGANIZATION: s.organization,
        PULUMI_DRY_RUN: "true",
        PULUMI_PARALLEL: String(s.parallel),
        PULUMI_ROOT_DIRECTORY: s.programDir,
        // PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS are already the preview's (program.ts).
    };
}

/**
 * A Go program's failure for people: what `pulumi.Run` prints (`error: <message>`) or a panic's first line
 * and the program's own frame (main.go:NN), not the goroutine dump.
 */
export function formatGoFailure(stderr: string, programDir: string): string | undefined {
    const lines = stderr.split("\n");
    const panic = lines.findIndex((l) => l.startsWith("panic: "));
    if (panic >= 0) {
        const frame = lines.slice(panic).find((l) => l.trim().startsWith(programDir + path.sep));
        const where = frame ? ` (${path.relative(programDir, frame.trim().split(" ")[0])})` : "";
        return `${lines[panic]}${where}`;
    }
    const error = lines.filter((l) => l.startsWith("error: ")).pop();
    return error?.slice("error: ".length).trim();
}

/**
 * The error a Go program's `pulumi.Run` reports through the engine ("an unhandled error occurred: program
 * failed:" and a multierror's list), as its messages.
 */
export function formatGoError(message: string): string {
    const body = message.replace(/^an unhandled error occurred:\s*/, "").replace(/^program failed:\s*/, "");
    const items = [...body.matchAll(/^\s*\* (.+)$/gm)].map((m) => m[1].trim());
    return items.length ? items.join("; ") : body.trim().replace(/\s*\n\s*/g, " ");
}
