// The source folder's part of an archive: its files walked (the output archive and credential files left
// out), sized against Lambda's limit with the dependencies, then hashed (and compressed while hashing).
import * as path from "path";
import { BuildCache } from "./cache";
import { checkSizesBeforeCompressing } from "./checks";
import { hashFiles, HashMemo } from "./content-hash";
import { ResolvedOptions } from "./options";
import { Collected, fileEntry, Planned } from "./plan";
import { WalkResult, walkTree } from "./walk";

/** The source folder's files (the output archive and credential files left out). */
export function walkSource(options: ResolvedOptions): WalkResult | undefined {
    if (!options.source) return undefined;
    return walkTree(options.source, { what: "source folder", include: options.include, exclude: options.exclude, defaultExcludes: options.defaultExcludes, skip: options.out ? [options.out] : [], leaveOutCredentials: true });
}

export async function collectSource(options: ResolvedOptions, cache: BuildCache, walked: WalkResult | undefined, deps: Planned[]): Promise<Collected> {
    checkSizesBeforeCompressing(options, [...(walked ?? []).map((f) => ({ name: f.rel, size: f.size, shown: f.abs })), ...deps.map((d) => ({ name: d.name, size: d.size, shown: d.path ?? d.name }))]);
    if (!options.source || !walked) return { entries: [], hashed: 0, compressed: new Map() };
    const memo = HashMemo.load(cache.hashMemoPath(options.source));
    const hashed = await hashFiles(walked, memo, "source folder", options.compressionLevel, path.join(cache.root, "tmp"));
    memo.save(walked);
    return {
        entries: walked.map((f) => fileEntry(options.prefix + f.rel, f.size, (f.mode & 0o111) !== 0, hashed.hashes.get(f.rel)!, f.abs, "source")),
        hashed: hashed.hashedCount,
        compressed: hashed.compressed,
    };
}
