// Recognises native code by its first bytes: ELF (Linux), Mach-O (macOS)
// and PE (Windows), and names the instruction set it was built for.

export type BinaryFormat = "elf" | "mach-o" | "pe";

export interface BinaryKind {
    format: BinaryFormat;
    /** "x86_64", "arm64", "i386", "arm", … or "universal(x86_64,arm64)". */
    arch: string;
    /** ELF e_machine, when format is elf. */
    machine?: number;
}

/** Enough bytes for every header we look at (PE headers usually sit well inside). */
export const BINARY_PROBE_BYTES = 1024;

const ELF_MACHINES: Record<number, string> = {
    3: "i386",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390",
    40: "arm",
    62: "x86_64",
    183: "arm64",
    243: "riscv",
};

const MACHO_CPUS: Record<number, string> = {
    7: "i386",
    0x01000007: "x86_64",
    12: "arm",
    0x0100000c: "arm64",
    18: "ppc",
    0x01000012: "ppc64",
};

const PE_MACHINES: Record<number, string> = {
    0x14c: "i386",
    0x8664: "x86_64",
    0xaa64: "arm64",
    0x1c0: "arm",
    0x1c4: "arm",
};

/**
 * A Windows program (.exe): Lambda can neither load nor run it, so it is dead
 * weight rather than a broken dependency (pip and setuptools ship launchers).
 */
export function isInertWindowsProgram(name: string, kind: BinaryKind): boolean {
    return kind.format === "pe" && /\.exe$/i.test(name);
}

/** Names that usually hold native code, checked by content. */
export function mayBeNative(name: string, mode?: number): boolean {
    const base = name.slice(name.lastIndexOf("/") + 1);
    if (/\.(so|dylib|dll|pyd|exe|node|bundle)$/i.test(base) || /\.so\.\d/.test(base)) return true;
    if (name.includes(".dist-info/") || name.includes(".egg-info/")) return false;
    if (mode !== undefined && (mode & 0o111) !== 0) return true;
    return !base.includes(".");
}

export function classifyBinary(head: Buffer): BinaryKind | undefined {
    if (head.length >= 20 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) {
        const littleEndian = head[5] !== 2;
        const machine = littleEndian ? head.readUInt16LE(18) : head.readUInt16BE(18);
        return { format: "elf", arch: ELF_MACHINES[machine] ?? `unknown(e_machine ${machine})`, machine };
    }
    if (head.length >= 8) {
        const be = head.readUInt32BE(0);
        if (be === 0xfeedface || be === 0xfeedfacf) return { format: "mach-o", arch: machoCpu(head.readUInt32BE(4)) };
        if (be === 0xcefaedfe || be === 0xcffaedfe) return { format: "mach-o", arch: machoCpu(head.readUInt32LE(4)) };
        if (be === 0xcafebabe || be === 0xcafebabf) {
            // Java class files share this magic; their next word is a version (>= 45), a fat binary's a small count.
            const count = head.readUInt32BE(4);
            if (count > 0 && count < 30) {
                const stride = be === 0xcafebabe ? 20 : 32;
                const arches: string[] = [];
                for (let i = 0; i < count && 8 + i * stride + 4 <= head.length; i++) arches.push(machoCpu(head.readUInt32BE(8 + i * stride)));
                return { format: "mach-o", arch: `universal(${arches.join(",")})` };
            }
        }
    }
    if (head.length >= 64 && head[0] === 0x4d && head[1] === 0x5a) {
        const peOffset = head.readUInt32LE(0x3c);
        // Only a full "PE\0\0" signature counts: plenty of data files start with "MZ".
        if (peOffset + 6 <= head.length && head.readUInt32LE(peOffset) === 0x00004550) {
            // A .NET assembly is a PE file too, but its code is IL that the .NET runtime runs anywhere: not native.
            if (isManagedAssembly(head, peOffset)) return undefined;
            const machine = head.readUInt16LE(peOffset + 4);
            return { format: "pe", arch: PE_MACHINES[machine] ?? `unknown(machine 0x${machine.toString(16)})` };
        }
    }
    return undefined;
}

/** Whether a PE image has a CLR (COM descriptor) data directory: a .NET assembly. */
function isManagedAssembly(head: Buffer, peOffset: number): boolean {
    const optional = peOffset + 24;
    if (optional + 2 > head.length) return false;
    const magic = head.readUInt16LE(optional);
    const directories = optional + (magic === 0x20b ? 112 : magic === 0x10b ? 96 : -1);
    if (directories < optional) return false;
    const clr = directories + 14 * 8;
    return clr + 8 <= head.length && head.readUInt32LE(clr + 4) > 0;
}

function machoCpu(cpu: number): string {
    return MACHO_CPUS[cpu] ?? `unknown(cputype ${cpu})`;
}
