// Wheel tags (PEP 425) and extension-module file names, judged against a
// Lambda target. Mirrors what pip/packaging accept for a CPython on
// manylinux: cpXY with abi cpXY for exactly that version, abi3 for that
// version and later, pure py3 wheels anywhere, and manylinux platforms no
// newer than the OS's glibc on the right architecture.
import { LambdaTarget, manylinuxGlibc } from "../target";

export interface WheelTag {
    interpreter: string;
    abi: string;
    platform: string;
}

/** The `Tag:` lines of a .dist-info/WHEEL file. */
export function parseWheelFile(text: string): string[] {
    const tags: string[] = [];
    for (const line of text.split(/\r?\n/)) {
        const m = /^Tag:\s*(\S+)\s*$/i.exec(line);
        if (m) tags.push(m[1]);
    }
    return tags;
}

/** Expands compressed tag sets: "py2.py3-none-any" is two tags. */
export function expandTag(tag: string): WheelTag[] {
    const parts = tag.split("-");
    if (parts.length !== 3) return [];
    const out: WheelTag[] = [];
    for (const interpreter of parts[0].split(".")) for (const abi of parts[1].split(".")) for (const platform of parts[2].split(".")) out.push({ interpreter, abi, platform });
    return out;
}

/** Why a wheel platform tag cannot run on the target, or undefined if it can. */
export function platformMismatch(platform: string, target: LambdaTarget): string | undefined {
    if (platform === "any") return undefined;
    const ml = manylinuxGlibc(platform);
    if (ml) {
        if (ml.arch !== target.wheelArch) return `built for ${ml.arch}, the function is ${target.architecture} (${target.wheelArch})`;
        const [major, minor] = ml.glibc;
        const [tmajor, tminor] = target.glibc;
        if (major > tmajor || (major === tmajor && minor > tminor)) {
            return `needs glibc ${major}.${minor}, ${target.runtime} runs on ${target.os} with glibc ${tmajor}.${tminor}`;
        }
        return undefined;
    }
    if (platform.startsWith("musllinux")) return "built for musl libc (Alpine); Lambda's Amazon Linux uses glibc";
    if (platform.startsWith("macosx")) return "built for macOS";
    if (platform.startsWith("win")) return "built for Windows";
    if (platform.startsWith("linux_")) return "built on one Linux machine (a linux_* tag, not manylinux), so it may need libraries or a glibc Lambda lacks";
    return `built for platform ${platform}`;
}

/** Why an interpreter/ABI pair cannot load on the target's CPython, or undefined if it can. */
export function pythonMismatch(interpreter: string, abi: string, target: LambdaTarget): string | undefined {
    const [tmajor, tminor] = target.python;
    const py = /^py(\d)(\d*)$/.exec(interpreter);
    if (py) {
        if (Number(py[1]) !== tmajor) return `for Python ${py[1]}`;
        if (py[2] && Number(py[2]) > tminor) return `for Python ${py[1]}.${py[2]}+`;
        return abi === "none" ? undefined : `unexpected ABI ${abi}`;
    }
    const cp = /^cp(\d)(\d+)$/.exec(interpreter);
    if (!cp) return `for interpreter ${interpreter}, Lambda runs CPython`;
    const major = Number(cp[1]);
    const minor = Number(cp[2]);
    const version = `${major}.${minor}`;
    if (major !== tmajor) return `for CPython ${version}`;
    if (abi === "abi3") return minor > tminor ? `needs CPython ${version}+ (abi3), the runtime is ${tmajor}.${tminor}` : undefined;
    if (abi.endsWith("t")) return `for free-threaded CPython ${version}, which Lambda does not run`;
    if (minor !== tminor) return `for CPython ${version}, the runtime is ${tmajor}.${tminor}`;
    if (abi === "none" || abi === `cp${major}${minor}` || abi === `cp${major}${minor}m`) return undefined;
    return `unexpected ABI ${abi}`;
}

/**
 * Whether any tag of a wheel runs on the target; when none does, the reason
 * given for its first tag.
 */
export function wheelMismatch(tags: string[], target: LambdaTarget): string | undefined {
    let first: string | undefined;
    for (const raw of tags) {
        for (const t of expandTag(raw)) {
            const why = pythonMismatch(t.interpreter, t.abi, target) ?? platformMismatch(t.platform, target);
            if (!why) return undefined;
            first ??= `${raw}: ${why}`;
        }
    }
    return first ?? "its WHEEL file has no Tag lines";
}

/**
 * Why an extension module's file name shows it cannot load on the target
 * (".cpython-311-x86_64-linux-gnu.so" on python3.12, "-darwin.so", …).
 */
export function extensionSuffixMismatch(name: string, target: LambdaTarget): string | undefined {
    const base = name.slice(name.lastIndexOf("/") + 1);
    const m = /\.cpython-(\d)(\d+)(t?)-([^.]+)\.so$/.exec(base);
    if (m) {
        const [, major, minor, threaded, platform] = m;
        if (Number(major) !== target.python[0] || Number(minor) !== target.python[1]) {
            return `extension module for CPython ${major}.${minor}, the runtime is ${target.python.join(".")}`;
        }
        if (threaded) return "extension module for free-threaded CPython, which Lambda does not run";
        if (platform === "darwin") return "extension module built for macOS";
        const arch = /^([a-z0-9_]+)-linux-gnu$/.exec(platform);
        if (arch && arch[1] !== target.wheelArch) return `extension module for ${arch[1]}, the function is ${target.architecture}`;
        if (/musl/.test(platform)) return "extension module built for musl libc (Alpine)";
        return undefined;
    }
    if (/\.pyd$/i.test(base)) return "Windows extension module (.pyd)";
    return undefined;
}
