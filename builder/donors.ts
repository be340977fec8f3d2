// Sharing an install's compressed entries between the archives of one process (DESIGN.md, "Many functions
// on a few dependency sets"): the first archive written with an install is the donor the others copy from.
import * as fs from "fs";
import { writeFileAtomic } from "../shared/atomic";
import { BuildCache, keyOf } from "./cache";
import { LocatedDependencies } from "./dependencies";
import { ResolvedOptions } from "./options";

/**
 * Where the last archive holding an install's files is named (a slot file,
 * as for one function's last build): any archive of the same compression
 * level holding them gives their compressed bytes to the next one, checked
 * like every reused archive (previousArchive). Keyed by the install folders,
 * which are named by the install's inputs.
 */
export function donorSlotOf(cache: BuildCache, options: ResolvedOptions, located: LocatedDependencies): string {
    return cache.slotPath(keyOf({ donorOf: located.roots, level: options.compressionLevel }));
}

/** A build's part in sharing an install's compressed entries within this process. */
export interface DonorClaim {
    slot: string;
    /** Set when another build of this process writes the first archive of this install: wait for it before writing. */
    wait?: Promise<void>;
    /** Called once the build is over; `key`: the archive it wrote or found, for the next builds of this install. */
    release(key: string | undefined): void;
}

/** Archives being written in this process that will be the first to hold an install's files, by donor slot. */
const donorsInFlight = new Map<string, Promise<void>>();

/**
 * The functions of one program start together: without this, each would
 * compress the same installed files. The build that installed (it compressed
 * the files while hashing them) or, when the install was cached, the first
 * build to get here writes the first archive; the others plan meanwhile and
 * copy its entries. Builds of other installs do not wait for each other.
 */
export function claimDonor(cache: BuildCache, slot: string, compressedWhileInstalling: boolean): DonorClaim {
    const running = donorsInFlight.get(slot);
    if (running && !compressedWhileInstalling) return { slot, wait: running, release: () => {} };
    if (running || donorOnDisk(cache, slot)) return { slot, release: () => {} };
    let finished!: () => void;
    const claim = new Promise<void>((resolve) => {
        finished = resolve;
    });
    donorsInFlight.set(slot, claim);
    return {
        slot,
        release: (key) => {
            try {
                if (key) writeFileAtomic(slot, JSON.stringify({ key }));
            } catch {
                // only a hint for the next builds: they compress for themselves without it
            } finally {
                if (donorsInFlight.get(slot) === claim) donorsInFlight.delete(slot);
                finished();
            }
        },
    };
}

function donorOnDisk(cache: BuildCache, slot: string): boolean {
    try {
        return fs.existsSync(cache.archivePath(JSON.parse(fs.readFileSync(slot, "utf8")).key));
    } catch {
        return false;
    }
}
