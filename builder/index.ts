// The archive builder: a folder of handler code plus its dependencies in, a
// reproducible .zip for one Lambda target out. See DESIGN.md beside this
// file for the pipeline and why it is shaped this way.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ArchiveFacts, inspectSource, readZipText, rememberFacts } from "../policies/inspect";
import { zipFileSource } from "../policies/inspect/source";
import { checkArchive, Finding } from "../policies/rules";
import { PolicyName } from "../policies/rules/types";
import { describeWriteError, UserError } from "../shared/errors";
import { setChildTempRoot } from "../shared/process";
import { configFor } from "../policies/rules/config";
import { checkUnzippedSize } from "../policies/rules/unzipped-size";
import { formatBytes, withCommas } from "../policies/rules/format";
import { commitTemp, linkOrCopyAtomic, removeQuietly, tempPathFor, trackTemp, writeFileAtomic } from "../shared/atomic";
import { BuildCache, defaultToolsDir, fileCrc32, FORMAT_VERSION, keyOf, sha256Hex } from "./cache";
import { hashFiles, HashMemo, statIsSettled } from "./content-hash";
import { sweepLeftovers } from "./leftovers";
import { Turns } from "./turns";
import { installDependencies } from "./install/dependencies";
import { normalizeDependencyTree } from "./normalize";
import { BuildOptions, resolveOptions, ResolvedOptions } from "./options";
import { biggestPackages, PackageSize } from "./report";
import { BytecodeEntry, withTargetBytecode } from "./target-bytecode";
import { makeFilter, WalkedFile, WalkResult, walkTree } from "./walk";
import { emptySlimReport, slimTree, SlimReport } from "./slim";
import { slimReason } from "./slim/rules";
import { DEFLATE_ENGINE, DeflatePool } from "./deflate-pool";
import { ChangedFileError, CompressedData, ManifestEntry, PreviousArchive, ReuseSource, reuseFrom, reuseFromMap, writeZip, WriteResult } from "./zip-writer";
import { RemoteSession, remoteSession } from "./remote";

export { BuildOptions } from "./options";

export interface BuildResult {
    /** The archive in the build cache (absolute); do not modify it. */
    path: string;
    /** Where it was copied, when `out` was given. */
    out?: string;
    kind: "function" | "layer";
    runtime: string;
    architecture: string;
    sha256: string;
    /** base64 sha256: what Lambda reports as CodeSha256, and Pulumi's sourceCodeHash. */
    sha256Base64: string;
    zippedBytes: number;
    unzippedBytes: number;
    entries: number;
    nativeArchitectures: string[];
    biggestPackages: PackageSize[];
    /** Credential files of the source (or site-packages) folder left out of the archive; an --include naming one puts it back. */
    credentialsLeftOut: string[];
    findings: Finding[];
    dependencies: DependencyReport;
    cache: { archive: "hit" | "miss"; install: "hit" | "miss" | "none"; compressedEntries: number; reusedEntries: number; hashedFiles: number };
    /** What slimming removed and stripped, per package (the `slim` option). */
    slim?: SlimReport;
    /** What the checks saw; rules can be re-run on it. Shared with later inspections of the archive in this process: do not modify it. */
    facts: ArchiveFacts;
}

/** Where the archive's dependencies came from, and what was installed. */
export interface DependencyReport {
    /** "requirements", "poetry-lock", "pipfile-lock", "pdm-lock", "uv-lock", "pylock", "pyproject", "site-packages" or "none". */
    from: string;
    /** The requirements file, lock, pyproject.toml or site-packages folder. */
    file?: string;
    /** The project file read with the lock (pyproject.toml, Pipfile). */
    project?: string;
    installer?: string;
    groups?: string[];
    extras?: string[];
    /** Every version fixed by a lock (false: resolved at build time). Absent for requirements files and site-packages folders. */
    pinned?: boolean;
    /** name==version of every distribution the archive holds, from its .dist-info. */
    packages: string[];
    /** What else the build has to say: why there are none, what was not pinned or checked, a project not installed. */
    notes: string[];
}

/** Findings that make a build fail. Size over 50 MB has the S3 route; runtime dates are the deployer's call. */
const NOT_BLOCKING: PolicyName[] = ["lambda-zip-size", "lambda-runtime-deprecation"];

/** Whether a finding stops the build (what the build's summary calls an error). */
export function blocksBuild(f: Finding): boolean {
    return f.level === "mandatory" && !NOT_BLOCKING.includes(f.policy);
}

export class BuildCheckError extends UserError {
    constructor(
        readonly findings: Finding[],
        label: string,
    ) {
        super(`${label} failed its checks:\n${findings.map((f) => `  [${f.policy}] ${f.message}`).join("\n")}`);
    }
}

/** A cached archive's record (archives/<key>.json): what a hit needs without reading the zip. */
interface ArchiveRecord {
    format: number;
    key: string;
    sha256: string;
    /** CRC-32 of the whole zip file, checked before every use (readRecord): 15 ms for 73.5 MB, where sha256 took 42 ms. */
    crc32: number;
    /** sha256 of its manifest (entry offsets): a damaged one would make a rebuild copy the wrong byte ranges. */
    manifestSha256: string;
    zippedBytes: number;
    /** The cached zip's mtime when written: a different one means someone modified it in place. */
    mtimeMs: number;
    facts: ArchiveFacts;
    compressionLevel: number;
    compressedEntries: number;
    reusedEntries: number;
}

/** An entry to write, with where its bytes come from. */
/** An entry of the archive and where it came from (target-bytecode.ts adds to these). */
type Planned = BytecodeEntry;

export async function buildArchive(input: BuildOptions): Promise<BuildResult> {
    const options = resolveOptions(input);
    // pip's and uv's temporary files go under the cache, where an interrupted build's are removed with ours.
    setChildTempRoot(path.join(options.cacheDir, "tmp"));
    // What builds killed outright left (temporary folders and files, installers still running): a listing of a few folders.
    const cacheFolders = ["tmp", "archives", "slots", "hashes", "installs"].map((d) => path.join(options.cacheDir, d));
    sweepLeftovers([...cacheFolders, defaultToolsDir()], options.out);
    // The remote cache, when one is set: asked on local misses, given what this build makes (DESIGN.md).
    const remote = options.remoteCache && remoteSession(options.remoteCache, options.progress);
    try {
        try {
            return await build(options, remote);
        } catch (e) {
            // An installed file that is not what the install's manifest says: the cached install was damaged
            // (edited by hand, a disk fault). Never ship it: install again, once.
            const damaged = e instanceof ChangedFileError ? damagedInstall(e.file, options.cacheDir) : undefined;
            if (!damaged) throw e;
            options.progress(`the cached install ${damaged} was modified; installing again`);
            removeQuietly(damaged);
            return await build(options, remote);
        }
    } catch (e) {
        // A full disk, a read-only or unwritable folder: one paragraph naming the place, not a stack trace.
        if (e instanceof UserError) throw e;
        const p = (e as NodeJS.ErrnoException)?.path;
        const place = options.out && p && path.dirname(p) === path.dirname(options.out) ? `the archive's destination ${options.out} (--out)` : `the build cache ${options.cacheDir} (--cache-dir, LAMBDA_PYTHON_CACHE_DIR)`;
        throw describeWriteError(e, place) ?? e;
    } finally {
        await remote?.settle();
    }
}

async function build(options: ResolvedOptions, remote?: RemoteSession): Promise<BuildResult> {
    const lap = phaseTimer();
    const cache = new BuildCache(options.cacheDir);
    const label = options.out ? path.basename(options.out) : `${options.kind} archive of ${options.source ?? "dependencies"}`;

    const walked = walkSource(options);
    const located = await locateDependencies(options, cache, walked ?? [], remote);
    // A slim build has a slot of its own (slim is undefined, so left out of the key, for other builds): building
    // with and without it in turn, as the proof does, keeps both builds' unchanged-inputs shortcut.
    const slotPath = cache.slotPath(keyOf({ source: options.source, deps: options.dependencies, kind: options.kind, target: options.target.runtime + options.target.architecture, prefix: options.prefix, slim: options.slim }));
    const inputs = inputsOf(options, walked, located);
    const unchanged = inputs && unchangedSince(slotPath, inputs, cache);
    let key: string;
    let record: ArchiveRecord | undefined;
    let hit: boolean;
    let hashedFiles = 0;
    let slim: SlimReport | undefined;
    if (unchanged) {
        // The same inputs as the build that wrote this slot: its archive, without normalising, hashing or planning again.
        ({ key, record, slim } = unchanged);
        hit = true;
        lap("dependencies (unchanged since the last build)");
    } else {
        // The other archives that hold this install (the program's other functions on the same dependencies) give
        // their compressed entries: compressed once, copied into each archive.
        const donor = located && claimDonor(cache, donorSlotOf(cache, options, located), located.compressed.size > 0);
        let built: Awaited<ReturnType<typeof buildMissing>> | undefined;
        try {
            built = await buildMissing({ options, cache, walked, located, slotPath, inputs, label, lap, donor, remote });
        } finally {
            donor?.release(built?.key);
        }
        ({ key, record, hit, hashedFiles, slim } = built);
    }
    const zipPath = cache.archivePath(key);
    if (hit) {
        touch(cache.archiveRecordPath(key));
        options.progress(`up to date: ${zipPath}`);
    }
    const facts = { ...record.facts, label };
    // The policy pack and the runner, in this process, inspect this same file: they get these facts.
    rememberFacts(zipPath, record.facts);
    const findings = runChecks(options, { facts, readText: (name, max) => readZipText(zipPath, name, max) });
    const blocking = findings.filter(blocksBuild);
    if (blocking.length) throw new BuildCheckError(blocking, `the ${options.kind} archive of ${options.source ?? "dependencies"} (${options.target.runtime}, ${options.target.architecture})`);
    if (options.out) {
        try {
            linkOrCopyAtomic(zipPath, options.out);
        } catch (e) {
            const place = `the archive's destination ${options.out} (--out)`;
            // Any other system error here is still the destination's (e.g. a folder that refuses new files, as /proc).
            const code = (e as NodeJS.ErrnoException)?.code;
            throw describeWriteError(e, place) ?? (typeof code === "string" ? new UserError(`cannot write ${place}: ${code}, ${(e as Error).message.replace(/^\w+: /, "")}. Choose a file in a writable folder.`) : e);
        }
    }
    lap("checks and copy");

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
            archive: hit ? "hit" : "miss",
            install: located?.installHit === undefined ? "none" : located.installHit ? "hit" : "miss",
            compressedEntries: hit ? 0 : record.compressedEntries,
            reusedEntries: hit ? 0 : record.reusedEntries,
            hashedFiles,
        },
        facts,
    };
}

/** What a build whose inputs changed (or that has no slot yet) needs. */
interface MissingBuild {
    options: ResolvedOptions;
    cache: BuildCache;
    walked: WalkResult | undefined;
    located: LocatedDependencies | undefined;
    slotPath: string;
    inputs: string | undefined;
    label: string;
    lap: (phase: string) => void;
    donor: DonorClaim | undefined;
    remote: RemoteSession | undefined;
}

/** What buildMissing gives back: the archive, whether it was cached, and what slimming left out. */
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
        const compressedWhileHashing = reuseFromMap(new Map([...deps.compressed, ...sources.compressed]));
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

/**
 * Where the last archive holding an install's files is named (a slot file,
 * as for one function's last build): any archive of the same compression
 * level holding them gives their compressed bytes to the next one, checked
 * like every reused archive (previousArchive). Keyed by the install folders,
 * which are named by the install's inputs.
 */
function donorSlotOf(cache: BuildCache, options: ResolvedOptions, located: LocatedDependencies): string {
    return cache.slotPath(keyOf({ donorOf: located.roots, level: options.compressionLevel }));
}

/** A build's part in sharing an install's compressed entries within this process. */
interface DonorClaim {
    slot: string;
    /** Set when another build of this process writes the first archive of this install: wait for it before writing. */
    wait?: Promise<void>;
    /** Called once the build is over; `key`: the archive it wrote or found, for the next builds of this install. */
    release(key: string | undefined): void;
}

/**
 * At most this many builds collect, plan and write their archives at once
 * in this process (installs and waits are outside): a program's fifty
 * functions would otherwise each hold their planned entries, buffers and the
 * inspection's memory at the same time, on a machine with two cores to share
 * between them.
 */
const archiveWrites = new Turns(Math.max(2, os.availableParallelism()));

/** Archives being written in this process that will be the first to hold an install's files, by donor slot. */
const donorsInFlight = new Map<string, Promise<void>>();

/**
 * The functions of one program start together: without this, each would
 * compress the same installed files. The build that installed (it compressed
 * the files while hashing them) or, when the install was cached, the first
 * build to get here writes the first archive; the others plan meanwhile and
 * copy its entries. Builds of other installs do not wait for each other.
 */
function claimDonor(cache: BuildCache, slot: string, compressedWhileInstalling: boolean): DonorClaim {
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

/** The modules that decide what goes into an archive and how (this one, walking, normalising, writing). */
const BUILDER_FILES = ["index", "walk", "normalize", "credentials", "zip-writer", "deflate-worker", "options", "target-bytecode", "slim/index", "slim/rules", "tools/strip"].map((m) => path.join(__dirname, m + path.extname(__filename)));

/**
 * Everything an archive is made from, by identity rather than content: the
 * options, the install (its folder is named by the hash of its inputs) and
 * each source file's stat — the trust the hash memo already gives a file
 * whose size, times and inode are unchanged. Undefined (no shortcut) for a
 * site-packages folder, which has no install key, and while any source file
 * was changed within the memo's racy window.
 */
function inputsOf(options: ResolvedOptions, walked: WalkResult | undefined, located: LocatedDependencies | undefined): string | undefined {
    if (options.dependencies.kind === "site-packages") return undefined;
    const now = Date.now();
    if (!(walked ?? []).every((f) => statIsSettled(f, now))) return undefined;
    const { kind, target, source, dependencies, include, exclude, defaultExcludes, installer, python, uv, installerArgs, prefix, compressionLevel, cacheDir, slim } = options;
    const { bytecode } = options;
    return keyOf({
        format: FORMAT_VERSION,
        compressors: DEFLATE_ENGINE,
        // This code's own version: a fixed builder must not keep serving what the previous one made.
        builder: BUILDER_FILES.map((f) => {
            const st = fs.statSync(f, { throwIfNoEntry: false });
            return st ? [f, st.size, st.mtimeMs] : [f];
        }),
        options: { kind, runtime: target.runtime, architecture: target.architecture, source, dependencies, include, exclude, defaultExcludes, installer, python, uv, installerArgs, prefix, compressionLevel, cacheDir, bytecode, slim },
        install: located?.roots ?? "none",
        source: (walked ?? []).map((f) => [f.rel, f.size, f.mtimeMs, f.ctimeMs, f.ino, f.mode]),
        leftOut: walked?.leftOut ?? 0,
    });
}

/** The last build's archive when it was made from exactly these inputs and is still as written. */
function unchangedSince(slotPath: string, inputs: string, cache: BuildCache): { key: string; record: ArchiveRecord; slim?: SlimReport } | undefined {
    try {
        const slot = JSON.parse(fs.readFileSync(slotPath, "utf8")) as { key: string; inputs?: string; slim?: SlimReport };
        if (slot.inputs !== inputs) return undefined;
        const record = readRecord(cache.archiveRecordPath(slot.key), cache.archivePath(slot.key));
        return record && { key: slot.key, record, slim: slot.slim };
    } catch {
        return undefined;
    }
}

/** The cached install folder (installs/<key>) holding `file`, if it is in one. */
function damagedInstall(file: string, cacheDir: string): string | undefined {
    const installs = path.join(cacheDir, "installs") + path.sep;
    if (!file.startsWith(installs)) return undefined;
    return installs + file.slice(installs.length).split(path.sep)[0];
}

/** With LAMBDA_PYTHON_TIMING set, prints how long each phase of a build took and the resident memory after it (for profiling). */
function phaseTimer(): (phase: string) => void {
    if (!process.env.LAMBDA_PYTHON_TIMING) return () => {};
    let last = process.hrtime.bigint();
    return (phase) => {
        const now = process.hrtime.bigint();
        process.stderr.write(`timing: ${phase} ${(Number(now - last) / 1e6).toFixed(1)} ms (rss ${(process.memoryUsage.rss() / 1048576).toFixed(0)} MB)\n`);
        last = now;
    };
}

function runChecks(options: ResolvedOptions, archive: { facts: ArchiveFacts; readText: (name: string, max?: number) => string | undefined }): Finding[] {
    return checkArchive(archive, {
        kind: options.kind,
        runtimes: [options.target.runtime],
        architectures: [options.target.architecture],
        handler: options.kind === "function" ? options.handler : undefined,
        hasLayers: options.hasLayers,
        config: options.checks,
    });
}

interface Collected {
    entries: Planned[];
    hashed: number;
    slim?: SlimReport;
    /** Compressed while hashing, by sha256. */
    compressed: Map<string, CompressedData>;
}

/** Where the dependencies' files are (installed, or the given site-packages folder), before normalising and hashing. */
interface LocatedDependencies {
    /** The folders the files are in: the installs (dependencies, then local projects) or the site-packages folder. */
    roots: string[];
    /** `root`: index into roots. */
    files: { rel: string; size: number; executable: boolean; sha256?: string; walked?: WalkedFile; root: number }[];
    description: BuildResult["dependencies"];
    installHit?: boolean;
    credentials: string[];
    leftOut: boolean;
    /** Compressed while a fresh install was hashed. */
    compressed: Map<string, CompressedData>;
}

async function locateDependencies(options: ResolvedOptions, cache: BuildCache, sourceFiles: WalkedFile[], remote: RemoteSession | undefined): Promise<LocatedDependencies | undefined> {
    const spec = options.dependencies;
    if (spec.kind === "none") return undefined;
    let credentials: string[] = [];
    let roots: string[];
    let files: LocatedDependencies["files"];
    let description: BuildResult["dependencies"];
    let installHit: boolean | undefined;
    let leftOut: boolean;
    let compressed = new Map<string, CompressedData>();
    if (spec.kind === "site-packages") {
        roots = [spec.dir];
        const walked = walkTree(spec.dir, { what: "site-packages folder", include: options.include, exclude: options.exclude, defaultExcludes: options.defaultExcludes, leaveOutCredentials: true });
        leftOut = walked.leftOut > 0;
        credentials = walked.credentials;
        files = walked.map((f) => ({
            rel: f.rel,
            size: f.size,
            executable: (f.mode & 0o111) !== 0,
            walked: f,
            root: 0,
        }));
        description = { from: "site-packages", file: spec.dir, packages: distributions(files.map((f) => f.rel)), notes: [] };
    } else {
        const filter = makeFilter(options);
        const installed = await installDependencies(spec, options.target, {
            cache,
            installer: options.installer,
            python: options.python,
            uv: options.uv,
            toolsDir: defaultToolsDir(),
            extraArgs: options.installerArgs,
            progress: options.progress,
            remote,
            compress: {
                level: options.compressionLevel,
                spoolDir: path.join(cache.root, "tmp"),
                // What slimming will leave out is neither compressed nor counted against Lambda's limit (what it
                // keeps after all, a tests folder its package imports, is compressed when written and counted then).
                wanted: (rel) => filter.keepPath(rel) && !slimmedOut(options, rel),
                beforeCompressing: (installedFiles) =>
                    checkSizesBeforeCompressing(options, [
                        ...sourceFiles.map((f) => ({ name: f.rel, size: f.size, shown: f.abs })),
                        ...installedFiles.filter((f) => !slimmedOut(options, f.rel)).map((f) => ({ name: f.rel, size: f.size, shown: f.abs })),
                    ]),
            },
        });
        const parts = [installed, ...(installed.local ? [installed.local] : [])];
        compressed = new Map(parts.flatMap((p) => [...p.compressed]));
        roots = parts.map((p) => p.siteDir);
        const all = parts.flatMap((p, root) => p.files.map((f) => ({ ...f, root })));
        files = all.filter((f) => filter.keepPath(f.rel));
        leftOut = files.length !== all.length;
        const { record } = installed;
        description = {
            from: spec.kind,
            file: spec.file,
            ...(spec.kind !== "requirements" ? { project: spec.project, groups: spec.groups, extras: spec.extras } : {}),
            installer: installed.installer,
            ...(record.pinned !== undefined ? { pinned: record.pinned } : {}),
            packages: distributions(all.map((f) => f.rel)),
            notes: record.notes,
        };
        installHit = installed.cacheHit;
    }
    return { roots, files, description, installHit, credentials, leftOut, compressed };
}

/** Whether the `slim` option's rules leave out this installed file (before the packages kept whole are known). */
function slimmedOut(options: ResolvedOptions, rel: string): boolean {
    return options.slim !== undefined && slimReason(rel, options.slim.keepTyped) !== undefined;
}

/** name==version of each distribution in an installed tree, from its top-level .dist-info folders. */
function distributions(rels: string[]): string[] {
    const out = new Set<string>();
    for (const rel of rels) {
        const m = /^([^/]+)-([^-/]+)\.dist-info\/METADATA$/.exec(rel);
        if (m) out.add(`${m[1]}==${m[2]}`);
    }
    return [...out].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
}

async function collectDependencies(options: ResolvedOptions, cache: BuildCache, sourceFiles: WalkedFile[], located: LocatedDependencies | undefined): Promise<Collected> {
    if (!located) return { entries: [], hashed: 0, compressed: new Map() };
    const { roots, files, leftOut } = located;
    let compressed = located.compressed;
    const abs = (f: { rel: string; root: number }) => path.join(roots[f.root], f.rel);
    // Slimming (off by default) decides first, so that RECORD files are made true to what it leaves.
    const slimmed =
        options.slim &&
        (await slimTree(
            files.map((f) => ({ ...f, abs: abs(f) })),
            options.target.architecture,
            options.slim,
            options.cacheDir,
            options.progress,
        ));
    const slimKept = slimmed ? files.filter((f) => !slimmed.drop.has(f.rel)) : files;
    const byRel = new Map(slimKept.map((f) => [f.rel, f]));
    // Machine-specific bits out, RECORD made true to what the archive holds.
    const { drop, replace } = normalizeDependencyTree(
        slimKept.map((f) => f.rel),
        (rel) => fs.readFileSync(abs(byRel.get(rel)!)),
        leftOut || slimmed !== undefined,
        slimmed ? slimmed.stripped : undefined,
    );
    const kept = slimKept.filter((f) => !drop.has(f.rel) && !replace.has(f.rel));
    let hashed = 0;
    const toHash = kept.filter((f) => f.sha256 === undefined).map((f) => f.walked!);
    if (toHash.length) {
        checkSizesBeforeCompressing(options, [...sourceFiles.map((f) => ({ name: f.rel, size: f.size, shown: f.abs })), ...kept.map((f) => ({ name: f.rel, size: f.size, shown: abs(f) }))]);
        const memo = HashMemo.load(cache.hashMemoPath(roots[0]));
        options.progress(`hashing ${toHash.length} files in ${roots[0]}`);
        const result = await hashFiles(toHash, memo, "site-packages folder", options.compressionLevel, path.join(cache.root, "tmp"));
        memo.save(toHash);
        for (const f of kept) f.sha256 ??= result.hashes.get(f.rel);
        hashed = result.hashedCount;
        compressed = result.compressed;
    }
    const entries: Planned[] = kept.map((f) => {
        const s = slimmed ? slimmed.stripped.get(f.rel) : undefined;
        return s ? fileEntry(options.prefix + f.rel, s.size, f.executable, s.sha256, s.path, "dependencies") : fileEntry(options.prefix + f.rel, f.size, f.executable, f.sha256!, abs(f), "dependencies");
    });
    for (const [rel, data] of replace) {
        const f = byRel.get(rel)!;
        entries.push(bytesEntry(options.prefix + rel, data, f.executable, "dependencies"));
    }
    return { entries, hashed, compressed, ...(slimmed ? { slim: slimmed.report } : {}) };
}

/** The source folder's files (the output archive and credential files left out). */
function walkSource(options: ResolvedOptions): WalkResult | undefined {
    if (!options.source) return undefined;
    return walkTree(options.source, { what: "source folder", include: options.include, exclude: options.exclude, defaultExcludes: options.defaultExcludes, skip: options.out ? [options.out] : [], leaveOutCredentials: true });
}

async function collectSource(options: ResolvedOptions, cache: BuildCache, walked: WalkResult | undefined, deps: Planned[]): Promise<Collected> {
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

/**
 * Lambda's unzipped limit, judged from the files' sizes before any of them is
 * compressed: a file bigger than the limit by itself is named, and a total over
 * it is the lambda-unzipped-size finding the checks would report after writing.
 */
function checkSizesBeforeCompressing(options: ResolvedOptions, files: { name: string; size: number; shown: string }[]): void {
    const config = configFor("lambda-unzipped-size", options.checks);
    const subject = `the ${options.kind} archive of ${options.source ?? "dependencies"} (${options.target.runtime}, ${options.target.architecture})`;
    const biggest = files.reduce<{ name: string; size: number; shown: string } | undefined>((a, f) => (!a || f.size > a.size ? f : a), undefined);
    if (biggest && biggest.size > config.maxUnzippedBytes) {
        const message =
            `${biggest.shown} is ${formatBytes(biggest.size)}, more than Lambda's limit of ${formatBytes(config.maxUnzippedBytes)} for a function and all its layers, unzipped; ` +
            `it was not compressed. Leave it out (--exclude), fetch it at run time (S3, EFS), or deploy a container image.`;
        throw new BuildCheckError([{ policy: "lambda-unzipped-size", level: "mandatory", message }], subject);
    }
    const total = files.reduce((sum, f) => sum + f.size, 0);
    const blocking = checkUnzippedSize(subject, [{ label: subject, bytes: total }], config).filter((f) => f.level === "mandatory");
    if (blocking.length) throw new BuildCheckError(blocking, subject);
}

function fileEntry(name: string, size: number, executable: boolean, sha256: string, abs: string, from: Planned["from"]): Planned {
    return { name, isDirectory: false, executable, size, sha256, from, path: abs };
}

function bytesEntry(name: string, data: Buffer, executable: boolean, from: Planned["from"]): Planned {
    return { name, isDirectory: false, executable, size: data.length, sha256: sha256Hex(data), from, data };
}

/** Sorted entries with their folders; a source file may not shadow an installed one. */
function plan(options: ResolvedOptions, files: Planned[]): Planned[] {
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
        for (let i = name.indexOf("/"); i >= 0; i = name.indexOf("/", i + 1)) {
            const dir = name.slice(0, i + 1);
            if (!byName.has(dir)) byName.set(dir, { name: dir, isDirectory: true, executable: true, size: 0, sha256: "", from: "source" });
        }
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** What writeArchive needs: where the archive goes and where its compressed bytes can come from. */
interface ArchiveToWrite {
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

async function writeArchive({ options, cache, planned, key, zipPath, slotPath, donorSlot, label, compressedWhileHashing, lap }: ArchiveToWrite): Promise<ArchiveRecord> {
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
        options.progress(`writing ${withCommas(planned.length)} entries`);
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

/**
 * Puts a written archive (`temp`) into the cache under `key`: its facts, read
 * back from the zip, its manifest, then its record, and last the archive under
 * its name. A build killed in between leaves a record whose archive is missing
 * (not used: readRecord), never an archive without its record.
 */
function recordArchive(options: ResolvedOptions, cache: BuildCache, key: string, temp: string, written: WriteResult, label: string, lap: (phase: string) => void): ArchiveRecord {
    const src = zipFileSource(temp);
    // The workers judged every entry's content for credentials as they compressed it (or an earlier build
    // did, for reused entries: the manifest keeps what they found), so the read-back need not read them all.
    const found = new Map(written.manifest.map((m) => [m.name, m.secrets ?? []]));
    src.knownSecrets = (e) => found.get(e.name);
    let facts: ArchiveFacts;
    try {
        facts = inspectSource(src).facts;
    } finally {
        src.close();
    }
    facts.label = label;
    lap("  inspect");
    const manifest = JSON.stringify({ level: options.compressionLevel, compressors: DEFLATE_ENGINE, manifest: written.manifest });
    writeFileAtomic(cache.archiveManifestPath(key), manifest);
    const record: ArchiveRecord = {
        format: FORMAT_VERSION,
        key,
        sha256: written.sha256,
        crc32: written.crc32,
        manifestSha256: sha256Hex(manifest),
        zippedBytes: written.zippedBytes,
        mtimeMs: fs.statSync(temp).mtimeMs, // rename keeps it
        facts,
        compressionLevel: options.compressionLevel,
        compressedEntries: written.compressedEntries,
        reusedEntries: written.reusedEntries,
    };
    const recordPath = cache.archiveRecordPath(key);
    writeFileAtomic(recordPath, JSON.stringify(record));
    try {
        commitTemp(temp, cache.archivePath(key));
    } catch (e) {
        removeQuietly(recordPath);
        throw e;
    }
    return record;
}

/** The archive from the remote cache, checked against this build's plan (remote/entries.ts) and recorded as a built one is. */
async function fetchArchive(remote: RemoteSession, options: ResolvedOptions, cache: BuildCache, planned: Planned[], key: string, label: string): Promise<ArchiveRecord | undefined> {
    const fetched = await remote.fetchArchive(key, planned, cache);
    if (!fetched) return undefined;
    try {
        const written = { manifest: fetched.manifest, sha256: fetched.sha256, crc32: fileCrc32(fetched.temp), zippedBytes: fetched.bytes, compressedEntries: 0, reusedEntries: 0 };
        return recordArchive(options, cache, key, fetched.temp, written, label, () => {});
    } catch (e) {
        removeQuietly(fetched.temp);
        throw e;
    }
}

/** The previous build of the same source and options, if it is still cached. */
function previousArchive(cache: BuildCache, slotPath: string, level: number): PreviousArchive | undefined {
    try {
        const { key } = JSON.parse(fs.readFileSync(slotPath, "utf8"));
        // Only an archive still exactly as written (its bytes, checked: readRecord), with the manifest written with it.
        const record = readRecord(cache.archiveRecordPath(key), cache.archivePath(key));
        const text = record && fs.readFileSync(cache.archiveManifestPath(key), "utf8");
        if (!text || sha256Hex(text) !== record.manifestSha256) return undefined;
        const previous = JSON.parse(text) as { level: number; compressors?: string; manifest: ManifestEntry[] };
        // Entries made by another compressor (another libdeflate build) would make this build's bytes differ from a cold build's.
        if (previous.level !== level || previous.compressors !== DEFLATE_ENGINE) return undefined;
        return new PreviousArchive(cache.archivePath(key), previous.manifest);
    } catch {
        return undefined;
    }
}

/**
 * A cached archive's record, when the archive is still exactly what was
 * written: the same size and mtime (cheap, catches an edit in place through
 * a linked --out) and the same CRC-32 of its bytes (catches what rotted on
 * disk or was edited with its mtime set back). Every archive handed out or
 * reused passes here. An archive whose bytes changed is removed with its
 * record, so it is built again rather than shipped again.
 */
function readRecord(recordPath: string, zipPath: string): ArchiveRecord | undefined {
    let record: ArchiveRecord;
    try {
        record = JSON.parse(fs.readFileSync(recordPath, "utf8")) as ArchiveRecord;
        const st = fs.statSync(zipPath);
        if (record.format !== FORMAT_VERSION || st.size !== record.zippedBytes || st.mtimeMs !== record.mtimeMs) return undefined;
    } catch {
        return undefined;
    }
    if (fileCrc32(zipPath) === record.crc32) return record;
    for (const f of [zipPath, recordPath, recordPath.replace(/\.json$/, ".manifest.json")]) removeQuietly(f);
    return undefined;
}

function touch(p: string): void {
    const now = new Date();
    try {
        fs.utimesSync(p, now, now);
    } catch {
        // only used to keep the archive from being swept
    }
}
