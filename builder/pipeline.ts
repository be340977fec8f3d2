// One build, top-down: walk the source, locate the dependencies, then either the archive of the same
// inputs as last time, or collect, plan, key and write (unless the cache holds that key); then the checks,
// the copy to --out and the result. builder/index.ts wraps it with the cache's housekeeping and errors.
import * as os from "os";
import * as path from "path";
import { ArchiveFacts, rememberFacts } from "../policies/inspect";
import { Finding } from "../policies/rules";
import { describeWriteError, UserError } from "../shared/errors";
import { linkOrCopyAtomic, writeFileAtomic } from "../shared/atomic";
import { ArchiveRecord, fetchArchive, inputsOf, readRecord, unchangedSince } from "./archive-cache";
import { BuildCache, FORMAT_VERSION, keyOf, markUsed } from "./cache";
import { checkBuiltArchive } from "./checks";
import { DEFLATE_ENGINE, DeflatePool } from "./deflate-pool";
import { claimDonor, DonorClaim, donorSlotOf } from "./donors";
import { collectDependencies, LocatedDependencies, locateDependencies } from "./dependencies";
import { ResolvedOptions } from "./options";
import { Collected, plan, Planned } from "./plan";
import { RemoteSession } from "./remote";
import { biggestPackages } from "./report";
import { BuildResult } from "./result";
import { emptySlimReport, SlimReport } from "./slim";
import { collectSource, walkSource } from "./source";
import { withTargetBytecode } from "./target-bytecode";
import { phaseTimer } from "./timing";
import { Turns } from "./turns";
import { WalkResult } from "./walk";
import { reuseFromMap } from "./zip-writer";
import { writeArchive } from "./write-archive";

export async function build(options: ResolvedOptions, remote?: RemoteSession): Promise<BuildResult> {
    const lap = phaseTimer();
    const cache = new BuildCache(options.cacheDir);
    const label = options.out ? path.basename(options.out) : `${options.kind} archive of ${options.source ?? "dependencies"}`;
    const walked = walkSource(options);
    const located = await locateDependencies(options, cache, walked ?? [], remote);
    lap("walk and locate");
    const archive = await unchangedOrBuilt({ options, cache, walked, located, label, lap, remote });
    const zipPath = cache.archivePath(archive.key);
    if (archive.hit) {
        markUsed(cache.archiveRecordPath(archive.key));
        options.progress(`up to date: ${zipPath}`);
    }
    const facts = { ...archive.record.facts, label };
    // The policy pack and the runner, in this process, inspect this same file: they get these facts.
    rememberFacts(zipPath, archive.record.facts);
    const findings = checkBuiltArchive(options, facts, zipPath);
    if (options.out) copyOut(zipPath, options.out);
    lap("checks and copy");
    return resultOf(options, { zipPath, archive, facts, findings, walked, located, remote });
}

/** What every step of one build shares: its options, the cache, the walked source and located dependencies. */
interface BuildParts {
    options: ResolvedOptions;
    cache: BuildCache;
    walked: WalkResult | undefined;
    located: LocatedDependencies | undefined;
    label: string;
    lap: (phase: string) => void;
    remote: RemoteSession | undefined;
}

/**
 * The archive of these inputs: the one the last build of this slot made when its inputs were the same, else
 * one collected, planned and keyed now (and written, unless the cache holds that key).
 */
async function unchangedOrBuilt(parts: BuildParts): Promise<MissingBuilt> {
    const { options, cache, walked, located, lap } = parts;
    // A slim build has a slot of its own (slim is undefined, so left out of the key, for other builds): building
    // with and without it in turn, as the proof does, keeps both builds' unchanged-inputs shortcut.
    const slotPath = cache.slotPath(keyOf({ source: options.source, deps: options.dependencies, kind: options.kind, target: options.target.runtime + options.target.architecture, prefix: options.prefix, slim: options.slim }));
    const inputs = inputsOf(options, walked, located);
    const unchanged = inputs && unchangedSince(slotPath, inputs, cache);
    if (unchanged) {
        // The same inputs as the build that wrote this slot: its archive, without normalising, hashing or planning again.
        lap("dependencies (unchanged since the last build)");
        return { key: unchanged.key, record: unchanged.record, slim: unchanged.slim, hit: true, hashedFiles: 0 };
    }
    // The other archives that hold this install (the program's other functions on the same dependencies) give
    // their compressed entries: compressed once, copied into each archive.
    const donor = located && claimDonor(cache, donorSlotOf(cache, options, located), located.compressed.size > 0);
    let built: MissingBuilt | undefined;
    try {
        built = await buildMissing({ ...parts, slotPath, inputs, donor });
    } finally {
        donor?.release(built?.key);
    }
    return built;
}

/** The copy (or hard link) of the cached archive at --out; a destination that cannot be written is the user's to fix. */
function copyOut(zipPath: string, out: string): void {
    try {
        linkOrCopyAtomic(zipPath, out);
    } catch (e) {
        const place = `the archive's destination ${out} (--out)`;
        // Any other system error here is still the destination's (e.g. a folder that refuses new files, as /proc).
        const code = (e as NodeJS.ErrnoException)?.code;
        throw describeWriteError(e, place) ?? (typeof code === "string" ? new UserError(`cannot write ${place}: ${code}, ${(e as Error).message.replace(/^\w+: /, "")}. Choose a file in a writable folder.`) : e);
    }
}

/** What the build gives back: the archive, its checks' findings, where its dependencies came from and what the caches did. */
function resultOf(
    options: ResolvedOptions,
    built: { zipPath: string; archive: MissingBuilt; facts: ArchiveFacts; findings: Finding[]; walked: WalkResult | undefined; located: LocatedDependencies | undefined; remote: RemoteSession | undefined },
): BuildResult {
    const { zipPath, facts, findings, walked, located, remote } = built;
    const { key, record, hit, hashedFiles, slim } = built.archive;
    return {
        path: zipPath,
        out: options.out,
        kind: options.kind,
        runtime: options.target.runtime,
        architecture: options.target.architecture,
        sha256: record.sha256,
        sha256Base64: Buffer.from(record.sha256, "hex").toString("base64"),
        zippedBytes: record.zippedBytes,
        unzippedBytes: facts.unzippedBytes,
        entries: facts.entries,
        nativeArchitectures: facts.nativeArchitectures,
        biggestPackages: biggestPackages(facts, options.prefix),
        credentialsLeftOut: [...(walked?.credentials ?? []), ...(located?.credentials ?? [])],
        ...(options.slim ? { slim: slim ?? emptySlimReport(options.slim.keepWhole) } : {}),
        findings,
        dependencies: located?.description ?? { from: "none", packages: [], notes: [options.noDependencies ?? "none given"] },
        cache: {
            archive: !hit ? "miss" : remote?.tookFromRemote("archives", key) ? "remote" : "hit",
            install: located?.installHit === undefined ? "none" : !located.installHit ? "miss" : located.roots.some((r) => remote?.tookFromRemote("installs", path.basename(path.dirname(r)))) ? "remote" : "hit",
            compressedEntries: hit ? 0 : record.compressedEntries,
            reusedEntries: hit ? 0 : record.reusedEntries,
            hashedFiles,
        },
        facts,
    };
}

/** What a build whose inputs changed (or that has no slot yet) needs. */
interface MissingBuild extends BuildParts {
    slotPath: string;
    inputs: string | undefined;
    donor: DonorClaim | undefined;
}

/** The archive a build ends with: its key and record, whether it was cached, and what slimming left out. */
interface MissingBuilt {
    key: string;
    record: ArchiveRecord;
    hit: boolean;
    hashedFiles: number;
    slim: SlimReport | undefined;
}

/** Collects, plans and keys the archive; writes it unless the cache has it. */
async function buildMissing(build: MissingBuild): Promise<MissingBuilt> {
    const { donor, options, lap } = build;
    // Another build of this process is writing an archive with the same install: its entries, copied, rather than
    // compressed again. Waited for before collecting anything, so the waiting builds hold nothing meanwhile.
    if (donor?.wait) {
        options.progress("waiting for another build's archive with the same dependencies, to copy their compressed entries");
        await donor.wait;
        lap("wait for the dependencies' first archive");
    }
    // From here on this build waits for no other, so a bounded number of them run at once (Turns).
    const turn = await archiveWrites.acquire();
    lap("wait for a turn");
    try {
        return await collectAndWrite(build);
    } finally {
        turn();
    }
}

/**
 * At most this many builds collect, plan and write their archives at once
 * in this process (installs and waits are outside): a program's fifty
 * functions would otherwise each hold their planned entries, buffers and the
 * inspection's memory at the same time, on a machine with two cores to share
 * between them.
 */
const archiveWrites = new Turns(Math.max(2, os.availableParallelism()));

async function collectAndWrite({ options, cache, walked, located, slotPath, inputs, label, lap, donor, remote }: MissingBuild): Promise<MissingBuilt> {
    const deps = await collectDependencies(options, cache, walked ?? [], located);
    const slim = deps.slim;
    lap("dependencies");
    let sources: Collected;
    try {
        sources = await collectSource(options, cache, walked, deps.entries);
    } catch (e) {
        for (const c of deps.compressed.values()) c.spool?.discard();
        throw e;
    }
    lap("source");
    // Every file has been read and most are compressed: the workers' memory is better given back before
    // planning, and the little that may be left is compressed on this thread (deflate-pool.ts).
    DeflatePool.shared().retireIdle();
    const hashedFiles = deps.hashed + sources.hashed;
    // Large files compressed while hashing wait in spool files until the archive is written (or found cached).
    const discardSpools = () => {
        for (const c of [...deps.compressed.values(), ...sources.compressed.values()]) c.spool?.discard();
    };
    let planned: Planned[];
    try {
        planned = plan(options, [...deps.entries, ...sources.entries]);
        if (options.bytecode) planned = await withTargetBytecode(planned, { runtime: options.target.runtime, kind: options.kind }, cache, options.progress, (e) => e);
    } catch (e) {
        discardSpools(); // a source file that shadows an installed one: nothing of this build may stay in tmp/
        throw e;
    }
    const key = keyOf({ format: FORMAT_VERSION, engine: DEFLATE_ENGINE, level: options.compressionLevel, entries: planned.map((e) => [e.name, e.executable, e.sha256]) });
    const zipPath = cache.archivePath(key);
    const recordPath = cache.archiveRecordPath(key);
    // Archives that hold installed dependencies are made from the install's pack instead (remote/index.ts).
    const sharedArchive = located?.installHit === undefined ? remote : undefined;
    let record = readRecord(recordPath, zipPath) ?? (sharedArchive && (await fetchArchive(sharedArchive, options, cache, planned, key, label)));
    lap("plan and key");
    const hit = record !== undefined;
    if (!record) {
        cache.sweep();
        const compressedWhileHashing = reuseFromMap(sources.compressed.size ? new Map([...deps.compressed, ...sources.compressed]) : deps.compressed);
        try {
            record = await writeArchive({ options, cache, planned, key, zipPath, slotPath, donorSlot: donor?.slot, label, compressedWhileHashing, lap });
            sharedArchive?.storeArchive(key, zipPath, record.sha256, record.zippedBytes);
            remote?.noteArchive(zipPath, cache.archiveManifestPath(key));
        } finally {
            discardSpools();
        }
        lap("record archive");
    } else {
        discardSpools();
    }
    writeFileAtomic(slotPath, JSON.stringify({ key, inputs, slim }));
    lap("record");
    return { key, record, hit, hashedFiles, slim };
}
