// The archive's plan: one entry per file (a source file, an installed one, or bytes made by the build) at
// its name in the archive, plus an entry per folder, sorted by name. What the key and the zip writer read.
import { UserError } from "../shared/errors";
import { sha256Hex } from "./cache";
import { ResolvedOptions } from "./options";
import { SlimReport } from "./slim";
import { BytecodeEntry } from "./target-bytecode";
import { CompressedData } from "./zip-writer";

/** An entry of the archive and where it came from (target-bytecode.ts adds to these). */
export type Planned = BytecodeEntry;

export interface Collected {
    entries: Planned[];
    hashed: number;
    slim?: SlimReport;
    /** Compressed while hashing, by sha256. */
    compressed: Map<string, CompressedData>;
}

export function fileEntry(name: string, size: number, executable: boolean, sha256: string, abs: string, from: Planned["from"]): Planned {
    return { name, isDirectory: false, executable, size, sha256, from, path: abs };
}

export function bytesEntry(name: string, data: Buffer, executable: boolean, from: Planned["from"]): Planned {
    return { name, isDirectory: false, executable, size: data.length, sha256: sha256Hex(data), from, data };
}

/** Sorted entries with their folders; a source file may not shadow an installed one. */
export function plan(options: ResolvedOptions, files: Planned[]): Planned[] {
    const byName = new Map<string, Planned>();
    for (const f of files) {
        const clash = byName.get(f.name);
        // The project's own package, installed by its build backend, holds the same files as its folder: one copy.
        if (clash && clash.sha256 === f.sha256 && clash.executable === f.executable) continue;
        if (clash) {
            const rel = f.name.slice(options.prefix.length);
            throw new UserError(`${rel} is both in the source folder ${options.source} and among the installed dependencies. Remove the copy from the source folder (or exclude it), or drop the package from the requirements.`);
        }
        byName.set(f.name, f);
    }
    for (const name of [...byName.keys()]) {
        // Its folders from the innermost out, up to one already listed (whose own folders are then listed too).
        for (let i = name.lastIndexOf("/", name.length - 2); i >= 0; i = i === 0 ? -1 : name.lastIndexOf("/", i - 1)) {
            const dir = name.slice(0, i + 1);
            if (byName.has(dir)) break;
            byName.set(dir, { name: dir, isDirectory: true, executable: true, size: 0, sha256: "", from: "source" });
        }
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
