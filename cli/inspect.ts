// lambda-python inspect: run the policy pack's archive rules on one zip.
import * as fs from "fs";
import { biggestPackages, formatSummary } from "../builder/report";
import { slimmable } from "../builder/slim";
import { slimmableLine } from "../builder/slim/report";
import { describeFsError, UserError } from "../shared/errors";
import { inspectPathVerified } from "../policies/inspect";
import { seekableArchive } from "./archive-input";
import { checkArchive, hasMandatory } from "../policies/rules";
import { isPythonArchive } from "../policies/rules";
import { ARCHITECTURES, NEWEST_RUNTIME } from "../policies/target";
import lifecycle from "../policies/data/runtime-lifecycle.json";
import { date, oneOf, Options, parse } from "./args";
import { inspectUsage } from "./usage";

const help = `${inspectUsage}

Checks a Lambda .zip (or a folder) with the same rules as the policy pack:
sizes, native binaries and wheel tags against the runtime and architecture,
the glibc version each ELF file needs, __pycache__, the handler at the root,
a layer's python/ folder, unsafe or damaged entries, credentials in the
archive's own files, partial AWS SDK copies, and the runtime's lifecycle
dates. Nothing is extracted to disk. Every entry's data is checked first: it
must inflate to exactly the size and CRC-32 its header declares (a declared
size is never trusted; ~0.4 s for a 74 MB zip of 212 MB), so damage is
reported before any rule judges the damaged bytes.

  --runtime RUNTIME     any Lambda runtime (python3.X, nodejs22.x, java21, provided.al2023, …):
                        its lifecycle dates; for python3.X also wheels, extension modules,
                        glibc needs and the Python-only rules, which other runtimes skip
                        (as the policy pack does)
  --arch x86_64|arm64   check shared objects against this architecture
  --kind function|layer what the archive is for (default function)
  --handler MOD.FN      check the handler module is at the root and defines it
  --now YYYY-MM-DD      judge runtime dates as of this day
  --json                one JSON object: zippedBytes, unzippedBytes, entries,
                        nativeArchitectures, findings [{policy, level, message}] …

Exit status: 0 no mandatory finding, 1 mandatory findings, 2 a usage or input error.`;

/** inspect's options, as parseArgs takes them (--help comes with every command). */
const OPTIONS = {
    runtime: { type: "string" },
    arch: { type: "string" },
    kind: { type: "string" },
    handler: { type: "string" },
    now: { type: "string" },
    json: { type: "boolean" },
} satisfies Options;

export async function inspectCommand(argv: string[]): Promise<number> {
    const { values: v, positionals } = parse("inspect", argv, OPTIONS, inspectUsage);
    if (v.help) {
        console.log(help);
        return 0;
    }
    if (positionals.length !== 1) throw new UserError(`inspect takes one archive.\nUsage: ${inspectUsage}`);
    const file = positionals[0];
    const kind = oneOf("kind", v.kind, ["function", "layer"] as const) ?? "function";
    const architecture = oneOf("arch", v.arch, ARCHITECTURES);
    const runtime = v.runtime;
    // Any runtime of the lifecycle table (the pack's list), or a Python version newer than it;
    // the rules scope themselves to the runtime's language, as in the pack.
    if (runtime !== undefined && !(runtime in lifecycle.runtimes) && !/^python\d+\.\d+$/.test(runtime)) {
        throw new UserError(`--runtime "${runtime}" is not a Lambda runtime identifier; use one such as ${NEWEST_RUNTIME}, nodejs22.x, java21 or provided.al2023.`);
    }
    const readable = await seekableArchive(file, "archive");
    let archive;
    try {
        fs.accessSync(readable, fs.constants.R_OK);
        archive = await inspectPathVerified(readable, file);
    } catch (e) {
        throw describeFsError(e, file, "archive");
    }
    const findings = checkArchive(archive, {
        kind,
        runtimes: runtime ? [runtime] : [],
        architectures: architecture ? [architecture] : [],
        handler: v.handler,
        config: { "lambda-runtime-deprecation": { now: date("now", v.now) } },
    });
    const f = archive.facts;
    const prefix = kind === "layer" ? "python/" : "";
    const slim = slimmable(f.files, prefix, (name) => archive.readText(name));
    if (v.json) {
        console.log(
            JSON.stringify(
                {
                    file,
                    kind,
                    runtime: runtime ?? null,
                    architecture: architecture ?? null,
                    zippedBytes: f.zippedBytes ?? null,
                    unzippedBytes: f.unzippedBytes,
                    entries: f.entries,
                    files: f.files.length,
                    nativeArchitectures: f.nativeArchitectures,
                    natives: f.natives.slice(0, 100),
                    wheels: f.wheels,
                    biggestPackages: biggestPackages(f, prefix),
                    slimmable: slim,
                    findings,
                },
                null,
                2,
            ),
        );
    } else {
        const notChecked: string[] = [];
        if (!runtime) notChecked.push("wheel tags and runtime dates (pass --runtime)");
        if (!architecture) notChecked.push("shared-object architecture (pass --arch)");
        if (runtime && !isPythonArchive(f, kind, [runtime])) notChecked.push(`the Python-only rules (${runtime} is not a Python runtime)`);
        console.log(
            formatSummary({
                title: `${file}: ${kind} archive${runtime ? ` for ${runtime}` : ""}${architecture ? ` on ${architecture}` : ""}`,
                zippedBytes: f.zippedBytes,
                unzippedBytes: f.unzippedBytes,
                entries: f.entries,
                nativeArchitectures: f.nativeArchitectures,
                packages: biggestPackages(f, prefix),
                extra: [...(notChecked.length ? [`not checked    ${notChecked.join("; ")}`] : []), slimmableLine(slim)],
                findings,
            }),
        );
    }
    return hasMandatory(findings) ? 1 : 0;
}
