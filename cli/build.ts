// lambda-python build: build a function or layer archive for a Lambda target.
import * as path from "path";
import { blocksBuild, BuildCheckError, buildArchive, BuildOptions, BuildResult, DependencyReport } from "../builder";
import { SlimProof } from "../builder/slim";
import { buildSlimProven } from "../runner/slim-proof";
import { slimLines } from "../builder/slim/report";
import { isDistributionName } from "../builder/slim";
import { formatSummary } from "../builder/report";
import { UserError } from "../shared/errors";
import { ARCHITECTURES } from "../policies/target";
import { date, oneOf, Options, parse, Parsed, progressPrinter, wholeNumber } from "./args";
import { buildUsage } from "./usage";

const help = `${buildUsage}

Builds a reproducible .zip for AWS Lambda: the source folder's files plus its
dependencies, installed for the target runtime and architecture (not this
machine), checked with the same rules as the policy pack.

Dependencies (one of; default: found in the source folder, or for a project file
or lock in the nearest folder above it, up to the repository; see the README):
  --requirements FILE     a requirements.txt
  --lock FILE             poetry.lock, Pipfile.lock, pdm.lock, uv.lock or pylock.toml, read with
                          the project file beside it; installed exactly as locked, hash-checked
  --pyproject FILE        a pyproject.toml: with the lock beside it, else its dependencies
                          resolved for the target (not pinned)
  --site-packages DIR     an already-installed site-packages folder (checked, not reinstalled)
  --group NAME            also install this dependency group (Poetry group, [dependency-groups],
                          PDM group, Pipfile category; repeatable). Default: main dependencies only
  --extra NAME            also install this extra of the project (repeatable)
  --no-detect             ignore dependency files in the source folder and above it

Target and layout:
  --runtime python3.X     Lambda runtime (default: the newest)
  --arch x86_64|arm64     instruction set (default x86_64)
  --kind function|layer   function: files at the zip root; layer: under python/ (default function)
  --layer-layout python|site-packages   layer folder: python/ or python/lib/python3.X/site-packages/
  --handler MOD.FN        check that the handler module is at the root and defines the function

Files:
  --include GLOB          only files matching (repeatable)
  --exclude GLOB          leave out matching files and folders (repeatable)
  --no-default-excludes   keep .git, virtualenvs, node_modules, caches, .env files …

Installing:
  --installer auto|pip|uv (default auto: uv when installed, else pip)
  --python CMD            interpreter that runs pip (default python3)
  --installer-arg ARG     passed to pip/uv as is, e.g. --installer-arg=--index-url=https://… (repeatable)

Slimming (off by default; see the README):
  --slim                  leave out what dependencies do not need on Lambda (tests, headers, type
                          stubs, docs, build leftovers) and strip their shared objects; then import
                          every top-level module on the target (when the runner is set up) and keep
                          whole any package whose import broke
  --slim-keep NAME        keep this distribution whole, e.g. --slim-keep scipy (repeatable)
  --keep-typed            keep py.typed markers and .pyi stubs
  --no-prove              do not run the import proof (the archive is slimmed unproven)

Output:
  --out FILE              where to write the zip (default: ./<source-dir name>.zip)
  --level N               deflate level: 0 stores, 1-12 (default 6)
  --bytecode              add each module's bytecode, compiled by the runtime's own CPython
                          (unchecked-hash .pyc): shorter cold starts, a larger archive
  --cache-dir DIR         build cache (default ~/.cache/lambda-python)
  --remote-cache s3://BUCKET/PREFIX
                          also a build cache shared by many machines, on S3 or an S3-compatible
                          store (AWS_ENDPOINT_URL_S3); credentials the usual AWS way (default
                          $LAMBDA_PYTHON_REMOTE_CACHE; "off": none). A remote that fails is a warning
  --now YYYY-MM-DD        judge runtime dates as of this day
  --json                  print the report as JSON
  --quiet                 no progress on stderr

Exit status: 0 built, 1 the archive failed its checks, 2 a usage or input error.`;

/** build's options, as parseArgs takes them (--help comes with every command). */
const OPTIONS = {
    requirements: { type: "string" },
    pyproject: { type: "string" },
    lock: { type: "string" },
    group: { type: "string", multiple: true },
    extra: { type: "string", multiple: true },
    "site-packages": { type: "string" },
    "no-detect": { type: "boolean" },
    runtime: { type: "string" },
    arch: { type: "string" },
    kind: { type: "string" },
    "layer-layout": { type: "string" },
    handler: { type: "string" },
    include: { type: "string", multiple: true },
    exclude: { type: "string", multiple: true },
    "no-default-excludes": { type: "boolean" },
    installer: { type: "string" },
    python: { type: "string" },
    "installer-arg": { type: "string", multiple: true },
    out: { type: "string" },
    level: { type: "string" },
    bytecode: { type: "boolean" },
    "cache-dir": { type: "string" },
    "remote-cache": { type: "string" },
    now: { type: "string" },
    json: { type: "boolean" },
    quiet: { type: "boolean" },
    slim: { type: "boolean" },
    "slim-keep": { type: "string", multiple: true },
    "keep-typed": { type: "boolean" },
    "no-prove": { type: "boolean" },
} satisfies Options;

type Values = Parsed<typeof OPTIONS>["values"];

export async function buildCommand(argv: string[]): Promise<number> {
    const { values: v, positionals } = parse("build", argv, OPTIONS, buildUsage);
    if (v.help) {
        console.log(help);
        return 0;
    }
    const options = buildOptions(v, positionals);
    try {
        let result: BuildResult;
        let proof: SlimProof | undefined;
        if (v.slim) ({ result, proof } = await buildSlimProven(options, v["no-prove"] ? "never" : "auto"));
        else result = await buildArchive(options);
        console.log(v.json ? jsonReport(result, proof) : summary(result, proof, !!v.slim));
        return 0;
    } catch (e) {
        if (e instanceof BuildCheckError) {
            if (v.json) console.log(JSON.stringify({ error: "checks failed", findings: e.findings }, null, 2));
            process.stderr.write(`lambda-python: ${e.message}\nNo archive was written.\n`);
            return 1;
        }
        throw e;
    }
}

/** The builder's options from the command line, every value checked (a UserError names the option). */
function buildOptions(v: Values, positionals: string[]): BuildOptions {
    if (positionals.length > 1) throw new UserError(`build takes one source folder; got ${positionals.join(", ")}.\nUsage: ${buildUsage}`);
    const source = positionals[0];
    const kind = oneOf("kind", v.kind, ["function", "layer"] as const) ?? "function";
    if (!source && kind === "function") throw new UserError(`build needs the folder with the handler code.\nUsage: ${buildUsage}`);
    // Checked here, in the option's own name: the builder's message names the components' `compressionLevel`.
    const level = wholeNumber("level", v.level, { min: 0, max: 12, outside: (n) => `--level must be from 0 (store) to 12; got ${n}.` });
    const name = source ? path.basename(path.resolve(source)) : "layer";
    const out = v.out ?? `${name}${kind === "layer" && !name.endsWith("layer") ? "-layer" : ""}.zip`;
    const slimKeep = v["slim-keep"];
    if (!v.slim && (slimKeep || v["keep-typed"] || v["no-prove"])) throw new UserError(`--slim-keep, --keep-typed and --no-prove go with --slim.\nUsage: ${buildUsage}`);
    const badKeep = slimKeep?.find((n) => !isDistributionName(n));
    if (badKeep !== undefined) throw new UserError(`--slim-keep "${badKeep}" is not a distribution name (letters, digits, ".", "_" and "-", as pip takes it); e.g. --slim-keep scipy.`);
    return {
        source,
        kind,
        runtime: v.runtime,
        architecture: oneOf("arch", v.arch, ARCHITECTURES),
        requirements: v.requirements,
        pyproject: v.pyproject,
        lock: v.lock,
        groups: v.group,
        extras: v.extra,
        sitePackages: v["site-packages"],
        detectDependencies: !v["no-detect"],
        layerLayout: oneOf("layer-layout", v["layer-layout"], ["python", "site-packages"] as const),
        handler: v.handler,
        include: v.include,
        exclude: v.exclude,
        defaultExcludes: !v["no-default-excludes"],
        installer: oneOf("installer", v.installer, ["auto", "pip", "uv"] as const),
        python: v.python,
        installerArgs: v["installer-arg"],
        compressionLevel: level,
        bytecode: !!v.bytecode,
        out,
        cacheDir: v["cache-dir"],
        remoteCache: v["remote-cache"],
        checks: { "lambda-runtime-deprecation": { now: date("now", v.now) } },
        onProgress: progressPrinter(!!v.quiet),
        ...(v.slim ? { slim: { keepWhole: slimKeep, keepTyped: !!v["keep-typed"] } } : {}),
    };
}

/** The --json report: the build's result (its facts as counts) and the slim proof when there was one. */
function jsonReport(result: BuildResult, proof: SlimProof | undefined): string {
    const { facts, ...report } = result;
    return JSON.stringify({ ...report, ...(proof ? { slimProof: proof } : {}), wheels: facts.wheels.length, natives: facts.natives.length }, null, 2);
}

/** The report for people: the archive, its dependencies, the cache, slimming, credentials left out, findings. */
function summary(result: BuildResult, proof: SlimProof | undefined, slim: boolean): string {
    return formatSummary({
        title: `built ${result.kind} archive for ${result.runtime} on ${result.architecture}`,
        path: result.out,
        zippedBytes: result.zippedBytes,
        unzippedBytes: result.unzippedBytes,
        entries: result.entries,
        sha256: result.sha256,
        nativeArchitectures: result.nativeArchitectures,
        packages: result.biggestPackages,
        extra: [
            ...dependencyLines(result.dependencies),
            `cache          archive ${result.cache.archive}, install ${result.cache.install}, ${result.cache.compressedEntries} entries compressed, ${result.cache.reusedEntries} reused`,
            ...(slim ? slimLines(result.slim, proof) : []),
            ...(result.credentialsLeftOut.length
                ? [`left out       ${result.credentialsLeftOut.length} credential file${result.credentialsLeftOut.length > 1 ? "s" : ""}: ${result.credentialsLeftOut.join(", ")} (an --include naming one puts it back)`]
                : []),
        ],
        findings: result.findings,
        isError: blocksBuild,
    });
}

/** The report's lines about dependencies: where from, how pinned, what was installed, and anything to note. */
function dependencyLines(d: DependencyReport): string[] {
    if (d.from === "none") return [`dependencies   none: ${d.notes.join("; ")}`];
    const how = d.pinned === true ? ", as locked (hash-checked)" : d.pinned === false ? ", resolved now (not pinned)" : "";
    const chosen = [...(d.groups ?? []).map((g) => `group ${g}`), ...(d.extras ?? []).map((x) => `extra ${x}`)];
    const shown = d.packages.slice(0, 8).join(", ") + (d.packages.length > 8 ? `, … (${d.packages.length - 8} more)` : "");
    return [
        `dependencies   ${d.file}${d.project ? ` with ${path.basename(d.project)}` : ""} (${d.installer ?? d.from}${how})${chosen.length ? `; ${chosen.join(", ")}` : ""}`,
        `packages       ${d.packages.length ? `${d.packages.length}: ${shown}` : "none"}`,
        ...d.notes.map((n) => `note           ${n}`),
    ];
}
