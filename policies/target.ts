// What a Lambda target is: a Python runtime on an Amazon Linux release and
// an instruction set. Everything that must match the target (wheel tags,
// ELF machines, extension-module suffixes, the pip platform ladder) derives
// from here, so the builder and the checks cannot disagree.
import lifecycle from "./data/runtime-lifecycle.json";
import platforms from "./data/lambda-platforms.json";

export type Architecture = "x86_64" | "arm64";
export const ARCHITECTURES: readonly Architecture[] = ["x86_64", "arm64"];

export interface LambdaTarget {
    runtime: string;
    architecture: Architecture;
    /** e.g. [3, 12] */
    python: [number, number];
    os: string;
    /** glibc (major, minor) of the runtime's OS. */
    glibc: [number, number];
    /** Architecture as wheel platform tags spell it: x86_64 or aarch64. */
    wheelArch: string;
    /** ELF e_machine of shared objects that can load here. */
    elfMachine: number;
}

export class TargetError extends Error {}

interface LifecycleRow {
    os: string;
    retired?: boolean;
}

const runtimes = lifecycle.runtimes as Record<string, LifecycleRow>;
const glibcByOs = platforms.glibc as unknown as Record<string, [number, number]>;
const legacyGlibc = platforms.legacyManylinux as unknown as Record<string, [number, number]>;

/** Runtimes the builder can target: known to the lifecycle table and not retired. */
export const BUILDABLE_RUNTIMES: readonly string[] = Object.keys(runtimes)
    .filter((r) => !runtimes[r].retired && parsePythonRuntime(r) !== undefined)
    .sort((a, b) => comparePython(parsePythonRuntime(a)!, parsePythonRuntime(b)!));

/** The newest runtime in the lifecycle table: the default for new functions. */
export const NEWEST_RUNTIME = BUILDABLE_RUNTIMES[BUILDABLE_RUNTIMES.length - 1];

export function parsePythonRuntime(runtime: string): [number, number] | undefined {
    const m = /^python(\d+)\.(\d+)$/.exec(runtime);
    return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Whether `runtime` is a Python runtime Lambda has retired (python3.7, python2.7, …). */
export function isRetiredPythonRuntime(runtime: string): boolean {
    return parsePythonRuntime(runtime) !== undefined && !!runtimes[runtime]?.retired;
}

/** Why a retired runtime cannot be used, and what to use instead. */
export function retiredRuntime(runtime: string): string {
    return `runtime "${runtime}" is retired: Lambda no longer creates or updates functions on it. Use one of ${BUILDABLE_RUNTIMES.join(", ")} (newest: ${NEWEST_RUNTIME}).`;
}

export function isArchitecture(value: unknown): value is Architecture {
    return value === "x86_64" || value === "arm64";
}

export function lambdaTarget(runtime: string, architecture: string): LambdaTarget {
    if (!isArchitecture(architecture)) {
        throw new TargetError(`unknown architecture "${architecture}": Lambda supports "x86_64" and "arm64"`);
    }
    const python = parsePythonRuntime(runtime);
    const row = runtimes[runtime];
    if (python && row?.retired) throw new TargetError(retiredRuntime(runtime));
    if (!python || !row) {
        throw new TargetError(`unknown runtime "${runtime}": use one of ${BUILDABLE_RUNTIMES.join(", ")} (the Lambda runtime identifier, e.g. "${NEWEST_RUNTIME}")`);
    }
    const glibc = glibcByOs[row.os];
    const arch = platforms.architectures[architecture];
    return { runtime, architecture, python, os: row.os, glibc, wheelArch: arch.wheelArch, elfMachine: arch.elfMachine };
}

/**
 * Wheel platform tags that run on the target, most specific first: every
 * manylinux_2_N up to the OS's glibc, then the legacy aliases (PEP 513/571/599).
 */
export function manylinuxPlatformTags(target: LambdaTarget): string[] {
    const [, minor] = target.glibc;
    const tags: string[] = [];
    for (let n = minor; n >= 17; n--) tags.push(`manylinux_2_${n}_${target.wheelArch}`);
    if (target.architecture === "x86_64") {
        for (let n = 16; n >= 5; n--) tags.push(`manylinux_2_${n}_${target.wheelArch}`);
    }
    for (const alias of platforms.architectures[target.architecture].legacyAliases) tags.push(`${alias}_${target.wheelArch}`);
    return tags;
}

/** The value for `uv pip install --python-platform`: uv's newest tag not above the OS's glibc. */
export function uvPythonPlatform(target: LambdaTarget): string {
    const [, minor] = target.glibc;
    const candidates = platforms.uvPlatforms[target.architecture];
    let best = candidates[0];
    for (const c of candidates) {
        const n = Number(/_2_(\d+)$/.exec(c)![1]);
        if (n <= minor) best = c;
    }
    return best;
}

/** The glibc version a manylinux platform tag needs, or undefined for other platforms. */
export function manylinuxGlibc(platformTag: string): { glibc: [number, number]; arch: string } | undefined {
    let m = /^manylinux_(\d+)_(\d+)_(.+)$/.exec(platformTag);
    if (m) return { glibc: [Number(m[1]), Number(m[2])], arch: m[3] };
    m = /^(manylinux1|manylinux2010|manylinux2014)_(.+)$/.exec(platformTag);
    if (m) return { glibc: legacyGlibc[m[1]], arch: m[2] };
    return undefined;
}

export function comparePython(a: [number, number], b: [number, number]): number {
    return a[0] - b[0] || a[1] - b[1];
}

export function pythonTag(target: LambdaTarget): string {
    return `cp${target.python[0]}${target.python[1]}`;
}
