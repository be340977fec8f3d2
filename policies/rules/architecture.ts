// lambda-architecture-compatibility: native code and wheels must be built
// for the function's instruction set and CPython, and a layer must declare
// the function's architecture and runtime among its compatible ones.
import { isInertWindowsProgram } from "../inspect/binary";
import { ArchiveFacts } from "../inspect/facts";
import { extensionSuffixMismatch, wheelMismatch } from "../inspect/wheel-tags";
import { Architecture, lambdaTarget, LambdaTarget, parsePythonRuntime, TargetError } from "../target";
import { listSome } from "./format";
import { finding, Finding } from "./types";

const POLICY = "lambda-architecture-compatibility";
const MAX_NAMED = 3;

export interface ArchitectureSubject {
    /** What we are judging, for messages: "function api", "layer numpy", a path. */
    label: string;
    /** Instruction sets the code must run on (a layer may declare two). */
    architectures: Architecture[];
    /** Runtimes the code must run on (a layer may declare many); empty when unknown. */
    runtimes: string[];
}

/** Native binaries, extension modules and wheels in one archive, against its targets. */
export function checkArchiveArchitecture(facts: ArchiveFacts, subject: ArchitectureSubject): Finding[] {
    const out: Finding[] = [];
    // Windows programs (.exe) cannot be loaded or run on Lambda, so they are only dead weight;
    // pip and setuptools ship such launchers, so they are common in real packages.
    const inert = facts.natives.filter((n) => isInertWindowsProgram(n.name, n));
    const foreign = facts.natives.filter((n) => n.format !== "elf" && !inert.includes(n));
    if (inert.length) {
        out.push(
            finding(
                POLICY,
                "advisory",
                `${subject.label} carries ${inert.length} Windows program${inert.length > 1 ? "s" : ""} (${listSome(inert.map((n) => n.name), MAX_NAMED)}), which Lambda can never run; harmless unless your code starts them, but dead weight.`,
            ),
        );
    }
    if (foreign.length) {
        const kinds = [...new Set(foreign.map((n) => (n.format === "mach-o" ? "macOS (Mach-O)" : "Windows (PE)")))].join(" and ");
        out.push(
            finding(
                POLICY,
                "mandatory",
                `${subject.label} contains ${kinds} binaries, which can never load on Lambda: ${listSome(foreign.map((n) => `${n.name} [${n.arch}]`), MAX_NAMED)}. ` +
                    `Install dependencies for Linux with \`pip install --platform manylinux2014_<arch> --only-binary=:all:\` (lambda-python build does this).`,
            ),
        );
    }
    const elves = facts.natives.filter((n) => n.format === "elf");
    if (subject.architectures.length === 0) {
        const arches = [...new Set(elves.map((n) => n.arch))];
        if (arches.length > 1) {
            out.push(finding(POLICY, "mandatory", `${subject.label} mixes shared objects for ${arches.join(" and ")}; a function runs on one architecture.`));
        }
    }
    for (const arch of subject.architectures) {
        const wrong = elves.filter((n) => n.arch !== arch);
        if (wrong.length) {
            out.push(
                finding(
                    POLICY,
                    "mandatory",
                    `${subject.label} runs on ${arch} but holds ${wrong.length} shared object${wrong.length > 1 ? "s" : ""} built for ${[...new Set(wrong.map((n) => n.arch))].join(", ")}: ` +
                        `${listSome(wrong.map((n) => n.name), MAX_NAMED)}. Reinstall the dependencies for ${arch} (\`--platform manylinux2014_${arch === "arm64" ? "aarch64" : "x86_64"}\`) or change the architecture.`,
                ),
            );
        }
    }
    for (const target of targetsOf(subject)) out.push(...checkForTarget(facts, subject.label, target));
    return out;
}

function checkForTarget(facts: ArchiveFacts, label: string, target: LambdaTarget): Finding[] {
    const out: Finding[] = [];
    const elves = facts.natives.filter((n) => n.format === "elf");
    const badWheels = facts.wheels
        .map((w) => ({ w, why: wheelMismatch(w.tags, target) }))
        .filter((x) => x.why !== undefined);
    if (badWheels.length) {
        out.push(
            finding(
                POLICY,
                "mandatory",
                `${label}: ${badWheels.length} installed wheel${badWheels.length > 1 ? "s do" : " does"} not fit ${target.runtime} on ${target.architecture}: ` +
                    `${listSome(badWheels.map((x) => `${distName(x.w.distInfo)} (${x.why})`), MAX_NAMED)}. ` +
                    `Reinstall for the target: pip install --platform manylinux2014_${target.wheelArch} --implementation cp --python-version ${target.python.join(".")} --only-binary=:all: (lambda-python build does this).`,
            ),
        );
    }
    const [gmajor, gminor] = target.glibc;
    const tooNew = elves.filter((n) => n.arch === target.architecture && n.glibc && (n.glibc.version[0] > gmajor || (n.glibc.version[0] === gmajor && n.glibc.version[1] > gminor)));
    if (tooNew.length) {
        // Read from the binaries' own version needs, so it holds without dist-info (vendored code, --site-packages, hand-made zips).
        out.push(
            finding(
                POLICY,
                "mandatory",
                `${label}: ${tooNew.length} shared object${tooNew.length > 1 ? "s need" : " needs"} a newer glibc than ${target.runtime} has (${target.os}, glibc ${gmajor}.${gminor}) and will fail to load: ` +
                    `${listSome(tooNew.map((n) => `${n.name} needs ${n.glibc!.symbolVersion}${n.glibc!.library ? ` from ${n.glibc!.library}` : ""}`), MAX_NAMED)}. ` +
                    `Use a build made for manylinux_${gmajor}_${gminor} or older (or build on ${target.os === "AL2" ? "Amazon Linux 2" : "Amazon Linux 2023"}), or move to a runtime on a newer OS.`,
            ),
        );
    }
    const badModules = facts.files
        .map((f) => ({ name: f.name, why: extensionSuffixMismatch(f.name, target) }))
        .filter((x) => x.why !== undefined);
    if (badModules.length) {
        out.push(
            finding(
                POLICY,
                "mandatory",
                `${label}: ${badModules.length} extension module${badModules.length > 1 ? "s" : ""} cannot be imported by ${target.runtime} on ${target.architecture}: ` +
                    `${listSome(badModules.map((x) => `${x.name} (${x.why})`), MAX_NAMED)}.`,
            ),
        );
    }
    return out;
}

function targetsOf(subject: ArchitectureSubject): LambdaTarget[] {
    const out: LambdaTarget[] = [];
    for (const runtime of subject.runtimes) {
        if (!parsePythonRuntime(runtime)) continue;
        for (const arch of subject.architectures) {
            try {
                out.push(lambdaTarget(runtime, arch));
            } catch (e) {
                // Unknown or retired runtimes are the deprecation policy's business.
                if (!(e instanceof TargetError)) throw e;
            }
        }
    }
    return out;
}

function distName(distInfo: string): string {
    return distInfo.slice(distInfo.lastIndexOf("/") + 1).replace(/\.dist-info$/, "");
}

export interface LayerDeclaration {
    label: string;
    compatibleRuntimes?: string[];
    compatibleArchitectures?: string[];
}

/** A layer attached to a function must declare the function's runtime and architecture. */
export function checkLayerDeclaration(functionLabel: string, runtime: string | undefined, architecture: Architecture, layer: LayerDeclaration): Finding[] {
    const out: Finding[] = [];
    const archs = layer.compatibleArchitectures;
    if (archs && archs.length && !archs.includes(architecture)) {
        out.push(
            finding(
                POLICY,
                "mandatory",
                `${functionLabel} runs on ${architecture} but ${layer.label} is built for ${archs.join(", ")}. Build the layer for ${architecture} or change the function's architecture.`,
            ),
        );
    }
    const runtimes = layer.compatibleRuntimes;
    if (runtime && runtimes && runtimes.length && !runtimes.includes(runtime)) {
        out.push(
            finding(
                POLICY,
                "mandatory",
                `${functionLabel} uses ${runtime} but ${layer.label} lists only ${runtimes.join(", ")} as compatible runtimes. Rebuild the layer for ${runtime}.`,
            ),
        );
    }
    return out;
}
