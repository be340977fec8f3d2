// Writing an archive that is not in the cache: runs of unchanged entries copied from the previous archive
// (this function's last one, else one holding the same install), the rest compressed or taken from what was
// compressed while hashing; then recorded in the cache (archive-cache.ts).
import * as fs from "fs";
import * as path from "path";
import { withCommas } from "../policies/rules/format";
import { removeQuietly, tempPathFor, trackTemp } from "../shared/atomic";
import { ArchiveRecord, previousArchive, recordArchive } from "./archive-cache";
import { BuildCache } from "./cache";
import { ResolvedOptions } from "./options";
import { Planned } from "./plan";
import { ReuseSource, reuseFrom, writeZip } from "./zip-writer";

/** What writeArchive needs: where the archive goes and where its compressed bytes can come from. */
export interface ArchiveToWrite {
    options: ResolvedOptions;
    cache: BuildCache;
    /** Every entry, sorted by name. */
    planned: Planned[];
    key: string;
    zipPath: string;
    /** The last build of the same source and options (its archive's compressed entries are reused). */
    slotPath: string;
    /** The last archive written with the same install (donorSlotOf): its compressed entries are reused too. */
    donorSlot?: string;
    label: string;
    /** Bytes compressed while hashing, by content hash. */
    compressedWhileHashing: ReuseSource;
    lap: (phase: string) => void;
}

export async function writeArchive({ options, cache, planned, key, zipPath, slotPath, donorSlot, label, compressedWhileHashing, lap }: ArchiveToWrite): Promise<ArchiveRecord> {
    fs.mkdirSync(path.dirname(zipPath), { recursive: true });
    const temp = trackTemp(tempPathFor(zipPath));
    const ownPrevious = previousArchive(cache, slotPath, options.compressionLevel);
    const donor = donorSlot && donorSlot !== slotPath ? previousArchive(cache, donorSlot, options.compressionLevel) : undefined;
    // Runs of unchanged entries are copied from one archive: this function's last one, else one with the same install.
    const previous = ownPrevious ?? donor;
    try {
        // The previous archive first: an unchanged entry then keeps its place in a copied run.
        const reuse = reuseFrom(previous, donor, compressedWhileHashing);
        lap("  load previous archive");
        // Counted as the summary counts them (its "entries", folders included; "N entries compressed").
        options.progress(`writing ${withCommas(planned.length)} ${planned.length === 1 ? "entry" : "entries"}`);
        let last = Date.now();
        const written = await writeZip(temp, planned, {
            level: options.compressionLevel,
            reuse,
            previous,
            onProgress: (done, total) => {
                if (Date.now() - last < 1000 && done !== total) return;
                last = Date.now();
                options.progress(`wrote ${withCommas(done)}/${withCommas(total)} entries`);
            },
        });
        lap("  write zip");
        return recordArchive(options, cache, key, temp, written, label, lap);
    } catch (e) {
        removeQuietly(temp);
        throw e;
    } finally {
        ownPrevious?.close();
        donor?.close();
    }
}
