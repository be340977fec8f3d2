// lambda-architecture-compatibility: native code and wheels must be built
// for the function's instruction set and CPython, and a layer must declare
// the function's architecture and runtime among its compatible ones.
import { isInertWindowsProgram } from "../inspect/binary";
import { ArchiveFacts, NativeFact } from "../inspect/facts";
import { extensionSuffixMismatch, wheelMismatch } from "../inspect/wheel-tags";
import { Architecture, lambdaTarget, LambdaTarget, parsePythonRuntime, TargetError } from "../target";
import { listSome } from "./format";
import { isPythonRuntime, rebuildHint } from "./runtimes";
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
    /**
     * Whether the code is Python (wheels, extension modules and pip advice apply).
     * Default: a Python runtime is listed, or no runtime is (the CLI's and the builder's case).
     */
    python?: boolean;
}

function isPython(subject: ArchitectureSubject): boolean {
    return subject.python ?? (subject.runtimes.length === 0 || subject.runtimes.some(isPythonRuntime));
}

/**
 * Native code a loader picks from at run time, by platform and architecture:
 * Node.js prebuilt addons (prebuildify / node-gyp-build,
 * `<pkg>/prebuilds/<platform>-<arch>[+<arch>]/`) and .NET runtime-specific
 * assets (`runtimes/<rid>/native/`, rid like linux-x64, linux-musl-arm64, win-x64, osx-arm64).
 */
function platformAlternative(name: string): { root: string; platform: string; archs: string[] } | undefined {
    let m = /^(.*?)prebuilds\/([a-z0-9]+)-([a-z0-9+]+)\//.exec(name);
    if (m) return { root: m[1], platform: m[2], archs: m[3].split("+") };
    m = /^(.*?)runtimes\/([a-z0-9.-]+)-([a-z0-9]+)\/native\//.exec(name);
    if (m) return { root: m[1], platform: m[2], archs: [m[3]] };
    return undefined;
}

/** How the loaders above spell Lambda's architectures. */
const LOADER_ARCH: Record<Architecture, string> = { x86_64: "x64", arm64: "arm64" };

/**
 * Natives that are never loaded: a package shipping builds for several
 * platforms has its loader pick linux-<arch> at run time, so the others are
 * not loaded — provided it has one for every architecture the code must run
 * on (otherwise they are reported, since the load fails).
 */
function unusedPlatformBuilds(natives: NativeFact[], architectures: Architecture[]): Set<NativeFact> {
    const groups = new Map<string, { natives: NativeFact[]; linux: Set<string> }>();
    for (const n of natives) {
        const alt = platformAlternative(n.name);
        if (!alt) continue;
        const group = groups.get(alt.root) ?? { natives: [], linux: new Set<string>() };
        group.natives.push(n);
        if (alt.platform === "linux") for (const a of alt.archs) group.linux.add(a);
        groups.set(alt.root, group);
    }
    const unused = new Set<NativeFact>();
    for (const g of groups.values()) {
        const serves = architectures.length ? architectures.every((a) => g.linux.has(LOADER_ARCH[a])) : g.linux.size > 0;
        if (!serves) continue;
        for (const n of g.natives) {
            const alt = platformAlternative(n.name)!;
            const loaded = alt.platform === "linux" && alt.archs.some((a) => architectures.some((t) => LOADER_ARCH[t] === a));
            if (!loaded) unused.add(n);
        }
    }
    return unused;
}

/** Native binaries, extension modules and wheels in one archive, against its targets. */
export function checkArchiveArchitecture(facts: ArchiveFacts, subject: ArchitectureSubject): Finding[] {
    const out: Finding[] = [];
    const python = isPython(subject);
    const runtime = subject.runtimes[0];
    const unused = unusedPlatformBuilds(facts.natives, subject.architectures);
    const natives = facts.natives.filter((n) => !unused.has(n));
    // Windows programs (.exe) cannot be loaded or run on Lambda, so they are only dead weight;
    // pip and setuptools ship such launchers, so they are common in real packages.
    const inert = natives.filter((n) => isInertWindowsProgram(n.name, n));
    const foreign = natives.filter((n) => n.format !== "elf" && !inert.includes(n));
    if (inert.length) {
        out.push(
            finding(
                POLICY,
                "advisory",
                `${subject.label} carries ${inert.length} Windows program${inert.length > 1 ? "s" : ""} (${listSome(
                    inert.map((n) => n.name),
                    MAX_NAMED,
                )}), which Lambda can never run; harmless unless your code starts them, but dead weight.`,
            ),
        );
    }
    if (foreign.length) {
        const kinds = [...new Set(foreign.map((n) => (n.format === "mach-o" ? "macOS (Mach-O)" : "Windows (PE)")))].join(" and ");
        out.push(
            finding(
                POLICY,
                "mandatory",
                `${subject.label} contains ${kinds} binaries, which can never load on Lambda: ${listSome(
                    foreign.map((n) => `${n.name} [${n.arch}]`),
                    MAX_NAMED,
                )}. ` +
                    (python
                        ? `Install dependencies for Linux with \`pip install --platform manylinux2014_<arch> --only-binary=:all:\` (lambda-python build does this).`
                        : `Lambda runs Linux: ${rebuildHint(runtime, subject.architectures[0] ?? "x86_64").replace(/ or change the (function's )?architecture\.$/, ".")}`),
            ),
        );
    }
    const elves = natives.filter((n) => n.format === "elf");
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
                    `${subject.label} runs on ${arch} but holds ${wrong.length} ${nativeNoun(python, wrong.length)} built for ${[...new Set(wrong.map((n) => n.arch))].join(", ")}: ` +
                        `${listSome(
                            wrong.map((n) => n.name),
                            MAX_NAMED,
                        )}. ${rebuildHint(python ? (runtime ?? "python3") : runtime, arch)}`,
                ),
            );
        }
    }
    if (python) for (const target of targetsOf(subject)) out.push(...checkForTarget(facts, subject.label, target));
    return out;
}

/** Python code carries shared objects; other languages' native code is executables too (a Go bootstrap). */
function nativeNoun(python: boolean, count: number): string {
    if (python) return count > 1 ? "shared objects" : "shared object";
    return count > 1 ? "native binaries" : "native binary";
}

function checkForTarget(facts: ArchiveFacts, label: string, target: LambdaTarget): Finding[] {
    const out: Finding[] = [];
    const elves = facts.natives.filter((n) => n.format === "elf");
    const badWheels = facts.wheels.map((w) => ({ w, why: wheelMismatch(w.tags, target) })).filter((x) => x.why !== undefined);
    if (badWheels.length) {
        out.push(
            finding(
                POLICY,
                "mandatory",
                `${label}: ${badWheels.length} installed wheel${badWheels.length > 1 ? "s do" : " does"} not fit ${target.runtime} on ${target.architecture}: ` +
                    `${listSome(
                        badWheels.map((x) => `${distName(x.w.distInfo)} (${x.why})`),
                        MAX_NAMED,
                    )}. ` +
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
                    `${listSome(
                        tooNew.map((n) => `${n.name} needs ${n.glibc!.symbolVersion}${n.glibc!.library ? ` from ${n.glibc!.library}` : ""}`),
                        MAX_NAMED,
                    )}. ` +
                    `Use a build made for manylinux_${gmajor}_${gminor} or older (or build on ${target.os === "AL2" ? "Amazon Linux 2" : "Amazon Linux 2023"}), or move to a runtime on a newer OS.`,
            ),
        );
    }
    const badModules = facts.files.map((f) => ({ name: f.name, why: extensionSuffixMismatch(f.name, target) })).filter((x) => x.why !== undefined);
    if (badModules.length) {
        out.push(
            finding(
                POLICY,
                "mandatory",
                `${label}: ${badModules.length} extension module${badModules.length > 1 ? "s" : ""} cannot be imported by ${target.runtime} on ${target.architecture}: ` +
                    `${listSome(
                        badModules.map((x) => `${x.name} (${x.why})`),
                        MAX_NAMED,
                    )}.`,
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
    if (archs?.length && !archs.includes(architecture)) {
        out.push(finding(POLICY, "mandatory", `${functionLabel} runs on ${architecture} but ${layer.label} is built for ${archs.join(", ")}. Build the layer for ${architecture} or change the function's architecture.`));
    }
    const runtimes = layer.compatibleRuntimes;
    if (runtime && runtimes?.length && !runtimes.includes(runtime)) {
        out.push(finding(POLICY, "mandatory", `${functionLabel} uses ${runtime} but ${layer.label} lists only ${runtimes.join(", ")} as compatible runtimes. Rebuild the layer for ${runtime}.`));
    }
    return out;
}
