// The SDKs `pulumi package add` generates for other languages, made here with Pulumi's own generators
// (sdkgen/, a small Go program on pkg/v3/codegen) and the tools that check them: the generator binary,
// a Python venv with the Pulumi SDKs from PyPI, and pyright. Each is cached under the tools folder
// (~/.cache/lambda-python/tools/sdks/), keyed by what it is built from, and installed atomically.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { defaultToolsDir } from "../shared/cache-dirs";
import { pythonSdkPins, sdkVirtualenv } from "../preview/python-program";
import { installFolder } from "../target-python/install-dir";
import { run, tail } from "../shared/process";
import { ROOT } from "./helpers";

const SDKGEN = path.join(ROOT, "sdkgen");
export const SCHEMA = path.join(ROOT, "provider", "schema.json");
export const AWS_SCHEMA = path.join(SDKGEN, "aws-schema.json");

/** The PyPI releases the generated Python SDK is installed with: the ones matching package-lock's @pulumi/pulumi and @pulumi/aws. */
export const PYTHON_SDKS = { pulumi: "3.270.0", "pulumi-aws": "7.48.0" } as const;
/** The type checker the Python program is checked with (npm). */
const PYRIGHT = "1.1.414";
/** The one pulumi-aws Go SDK v7 release the Go module proxy serves here (v7.48.0 is refused). */
export const GO_AWS_SDK = { module: "github.com/pulumi/pulumi-aws/sdk/v7", version: "v7.0.0" } as const;

function toolsDir(): string {
    return path.join(defaultToolsDir(), "sdks");
}

function hashOf(files: string[]): string {
    const h = crypto.createHash("sha256");
    for (const f of files) h.update(path.basename(f)).update("\0").update(fs.readFileSync(f)).update("\0");
    return h.digest("hex").slice(0, 16);
}

async function must(what: string, command: string, args: string[], cwd?: string): Promise<string> {
    const r = await run(command, args, { cwd });
    if (r.code !== 0) throw new Error(`${what} failed (${command} ${args.join(" ")}, exit ${r.code}):\n${tail(r.stdout + r.stderr, 40)}`);
    return r.stdout;
}

/**
 * The generator binaries, built from sdkgen/ (only the codegen packages of pkg/v3, not the CLI), keyed by
 * the files each is built from: `sdkgen` (go.mod: python, go, nodejs) and `sdkgen-dotnet` (go.dotnet.mod,
 * -tags dotnet: the last pkg/v3 release with the .NET generator).
 */
const BUILDS = {
    current: { binary: "sdkgen", files: ["go.mod", "go.sum", "main.go", "generators.go"], args: [] as string[] },
    dotnet: { binary: "sdkgen-dotnet", files: ["go.dotnet.mod", "go.dotnet.sum", "main.go", "generators_dotnet.go"], args: ["-modfile=go.dotnet.mod", "-tags", "dotnet"] },
};

async function ensureSdkgen(build: keyof typeof BUILDS): Promise<string> {
    const { binary, files, args } = BUILDS[build];
    const dir = await installFolder(path.join(toolsDir(), `${binary}-${hashOf(files.map((f) => path.join(SDKGEN, f)))}`), async (temp) => {
        await must(`building ${binary}`, "go", ["build", ...args, "-trimpath", "-o", path.join(temp, binary), "."], SDKGEN);
    });
    return path.join(dir, binary);
}

/** Generates the Python, Go, Node.js and C# SDKs from provider/schema.json (as it is now) into out/<language>. */
export async function generateSdks(out: string): Promise<void> {
    const generate = async (build: keyof typeof BUILDS, languages: string) => must(`generating the ${languages} SDKs`, await ensureSdkgen(build), ["-schema", SCHEMA, "-dependency", AWS_SCHEMA, "-out", out, "-language", languages]);
    await generate("current", "python,go,nodejs");
    await generate("dotnet", "dotnet");
}

/**
 * A venv with the pinned `pulumi` and `pulumi-aws` from PyPI: the one the offline preview keeps for Python
 * programs (preview/python-program.ts; the pins are the Node SDKs' versions, as PYTHON_SDKS). Tests install
 * the generated SDK into a venv of their own on top of it.
 */
export async function ensurePythonSdks(): Promise<string> {
    const pins = pythonSdkPins();
    assert.deepEqual({ pulumi: pins.pulumi, "pulumi-aws": pins.aws }, PYTHON_SDKS, "the preview's Python SDK pins are the ones the SDK tests name");
    return sdkVirtualenv(pins, () => {});
}

/** pyright from npm, pinned. */
export async function ensurePyright(): Promise<string> {
    const dir = await installFolder(path.join(toolsDir(), `pyright-${PYRIGHT}`), async (temp) => {
        await must(`installing pyright ${PYRIGHT} from npm`, "npm", ["install", "--no-audit", "--no-fund", "--prefix", temp, `pyright@${PYRIGHT}`]);
    });
    return path.join(dir, "node_modules", "pyright", "index.js");
}

/** The site-packages folder of a venv. */
export function sitePackages(venv: string): string {
    const lib = path.join(venv, "lib");
    const py = fs.readdirSync(lib).find((d) => d.startsWith("python"));
    if (!py) throw new Error(`${venv} has no lib/python*`);
    return path.join(lib, py, "site-packages");
}
