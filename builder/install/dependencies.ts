// Installs dependencies for a Lambda target into the build cache, once per
// distinct input: the install key covers the requirement files (and what they
// include) or the lock and its project file with the chosen groups and
// extras, the target, the installer and its version, and pass-through
// options. A finished install is a folder renamed into place, so it is either
// complete or absent; two builds racing on the same key both succeed.
//
// A project's dependencies come in two installs: what its lock pins (read
// only when that install is missing: locks/), and, beside it, the local
// projects it names and the project's own package, built by their build
// backends and installed without dependencies. The second is keyed by those
// folders' contents, so editing the function's own package rebuilds only it.
//
// Names in this folder: an "index" is always a package index (indexes.ts;
// asking one about a project for a diagnosis is project-lookup.ts), and a
// "probe" is always a question to a local tool, remembered (probes.ts). The
// installer comes from InstallContext.chooseInstaller: real pip or uv, or the
// unit tests' fake (test/unit/fake-installer.ts).
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UserError } from "../../shared/errors";
import { tail } from "../../shared/process";
import { LambdaTarget, manylinuxPlatformTags, uvPythonPlatform } from "../../policies/target";
import { removeQuietly, renameFolderIntoPlace, trackTemp } from "../../shared/atomic";
import { Turns } from "../turns";
import { BuildCache, FORMAT_VERSION, INSTALL_MANIFEST, keyOf, markUsed } from "../cache";
import { hashFiles, HashMemo } from "../content-hash";
import { WalkedFile, walkTree } from "../walk";
import { CompressedData } from "../zip-writer";
import type { RemoteSession } from "../remote";
import type { InstalledFile } from "./installed-file";
import { packReuse } from "../remote/pack-reuse";
import { describeTarget, rescueFailedInstall } from "./diagnose";
import { ChooseInstaller, chooseInstaller, Installer, InstallerChoice } from "./installers";
import { findUv, hostPython } from "./host-tools";
import { PackageIndexes, packageIndexes, splitIndexArgs } from "./indexes";
import { buildsFromSnapshot, localProjectFiles, withAbsolutePaths, withProjectSnapshots } from "./local-paths";
import { lockFailure } from "./lock-failures";
import { timed } from "../timing";
import { pipConfigIndexes, uvConfigIndexes } from "./config-files";
import { normalizeName, readRequirementInputs, RequirementInputs } from "./requirements";
import type { ProjectSpec } from "./locks/plan";
import { ownPackage } from "./locks/pyproject";
import { readText } from "./locks/toml";

export type DependencySpec = { kind: "requirements"; file: string } | ProjectSpec;

/** What the report says about an install besides its files. */
export interface InstallRecord {
    /** Every version fixed by a lock (false: resolved at build time; absent: a requirements file). */
    pinned?: boolean;
    notes: string[];
    /** Path dependencies the lock names (installed beside it, without dependencies). */
    localProjects: string[];
}

export interface InstalledDependencies {
    siteDir: string;
    files: InstalledFile[];
    /** "pip 25.0" / "uv 0.13.8" */
    installer: string;
    cacheHit: boolean;
    /** Files compressed while a fresh install was hashed, by sha256 (empty on a cache hit). */
    compressed: Map<string, CompressedData>;
    record: InstallRecord;
    /** The local projects' install (path dependencies, the project's own package), when there are any. */
    local?: InstalledDependencies;
}

/**
 * A fresh install is read once: the files the archive will hold are
 * compressed in the same pass that hashes them for the manifest, rather than
 * hashed here and read, hashed and compressed again by the archive writer.
 */
export interface CompressWhileListing {
    /** The archive's deflate level (1–12; 0 stores, so nothing is gained). */
    level: number;
    /** Where large files' compressed bytes wait (the cache's tmp). */
    spoolDir: string;
    /** Whether the archive keeps this installed file (include/exclude). */
    wanted(rel: string): boolean;
    /** Throws when the kept files cannot fit Lambda's limits: runs before anything is compressed. */
    beforeCompressing(files: WalkedFile[]): void;
}

export interface InstallContext {
    cache: BuildCache;
    installer: InstallerChoice;
    /**
     * Finds the installer for a choice: real pip or uv (chooseInstaller, the
     * default). The seam for the unit tests' fake installer
     * (test/unit/fake-installer.ts), which writes a site-packages offline.
     */
    chooseInstaller?: ChooseInstaller;
    python?: string;
    uv?: string;
    toolsDir: string;
    extraArgs: string[];
    progress: (message: string) => void;
    compress?: CompressWhileListing;
    /** The remote cache, asked when the install is not in the local one, and given what is installed here. */
    remote?: RemoteSession;
}

/**
 * Bumped when what the lock readers (locks/) select for a target changes, so
 * that an install an earlier reader made from the same lock is not reused:
 * the key holds the lock's text, not what was read from it (2: pdm.lock
 * targets of other platforms refused, Pipfile markers of unpinned packages
 * judged, wheels ranked by pip's order).
 */
const LOCK_READERS = 2;
const MAX_RESCUE_ROUNDS = 5;

/** What one install is made from, and how its requirements file is written once the install is found missing. */
interface InstallJob {
    /** Part of the key, and what the installer is chosen for. */
    kind: string;
    /** For messages: the file the dependencies come from. */
    what: string;
    inputs: RequirementInputs;
    /** More of the key: the chosen groups and extras. */
    keyExtra?: unknown;
    /** Installer options added to the user's (--no-deps for local projects). */
    addArgs?: string[];
    /** The lock the requirements come from: a failure that is the lock's (a hash, a missing pin) says so. */
    lock?: string;
    /** Writes the installer's requirements file into `work` (none: nothing to install); `inputs` when it names indexes of its own. */
    prepare(work: string): Promise<{ requirementsFile?: string; record: InstallRecord; inputs?: RequirementInputs }>;
}

export async function installDependencies(spec: DependencySpec, target: LambdaTarget, ctx: InstallContext): Promise<InstalledDependencies> {
    const installed = await runInstall(spec.kind === "requirements" ? requirementsJob(spec.file) : projectJob(spec, target, ctx), target, ctx);
    if (spec.kind === "requirements") return installed;
    // The project's own package is decided on every build: a folder of it appearing or going changes it.
    const own = ownPackage(spec, installed.inputTexts);
    const record = { ...installed.record, notes: [...installed.record.notes, ...(own.note ? [own.note] : [])] };
    const folders = [...new Set([...installed.record.localProjects, ...(own.folder ? [own.folder] : [])])];
    if (!folders.length) return { ...installed, record };
    const local = await runInstall(localProjectsJob(folders, spec.file), target, ctx);
    return { ...installed, record, cacheHit: installed.cacheHit && local.cacheHit, local };
}

function requirementsJob(file: string): InstallJob {
    return {
        kind: "requirements",
        what: file,
        inputs: readRequirementInputs(file),
        prepare: async (work) => ({ requirementsFile: withAbsolutePaths(file, work), record: { notes: [], localProjects: [] } }),
    };
}

/** A lock and its project file (or a pyproject.toml without a lock): read only when the install is missing. */
function projectJob(spec: ProjectSpec, target: LambdaTarget, ctx: InstallContext): InstallJob {
    const files: Record<string, string> = {};
    for (const f of [spec.file, ...(spec.project ? [spec.project] : [])]) files[f] = readText(f, f === spec.file ? "lock file" : "project file");
    // uv checks a lock against the workspace root's, every member's and path dependency's pyproject.toml too: so does the key.
    if (spec.kind === "uv-lock") {
        const others = [path.join(path.dirname(spec.file), "pyproject.toml"), ...uvMemberProjects(files[spec.file], path.dirname(spec.file))];
        for (const f of others) if (!(f in files) && fs.existsSync(f)) files[f] = readText(f, "project file");
    }
    const normalized = (names: string[]) => [...new Set(names.map(normalizeName))].sort();
    return {
        kind: spec.kind,
        what: spec.file,
        lock: spec.kind === "pyproject" ? undefined : spec.file,
        inputs: { files, localPaths: [], lines: [], options: [] },
        keyExtra: { groups: normalized(spec.groups), extras: normalized(spec.extras), readers: LOCK_READERS },
        prepare: async (work) => {
            const uv = spec.kind === "uv-lock" ? await findUv(ctx.uv, ctx.toolsDir) : undefined;
            // The lock readers load only when an install is missing.
            const { planInstall } = await import("./locks/plan");
            const plan = await planInstall(spec, files, target, work, uv);
            const record = { pinned: plan.pinned, notes: plan.notes, localProjects: plan.localProjects };
            if (!requirementLines(plan.requirements).length) return { record };
            const file = path.join(work, "requirements", `${spec.kind}.txt`);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, plan.requirements);
            return { requirementsFile: file, record, inputs: readRequirementInputs(file) };
        },
    };
}

/** Path dependencies and the project's own package: built from snapshots of their folders (local-paths.ts), installed without dependencies. */
function localProjectsJob(folders: string[], from: string): InstallJob {
    const text = `${folders.join("\n")}\n`;
    return {
        kind: "local-projects",
        what: `the local projects of ${from} (${folders.join(", ")})`,
        inputs: { files: { "local projects": text }, localPaths: folders, lines: folders.map((f, i) => ({ file: from, line: i + 1, text: f })), options: [] },
        addArgs: ["--no-deps"],
        prepare: async (work) => ({ requirementsFile: withProjectSnapshots(folders, work), record: { notes: [], localProjects: [] } }),
    };
}

/** The pyproject.toml of each local package a uv.lock names (`source = { editable | directory | virtual = "path" }`). */
function uvMemberProjects(lock: string, dir: string): string[] {
    return [...lock.matchAll(/^source = \{ (?:editable|directory|virtual) = "([^"]+)" \}/gm)].map((m) => path.join(path.resolve(dir, m[1]), "pyproject.toml"));
}

function requirementLines(text: string): string[] {
    return text.split("\n").filter((l) => l.trim() && !l.trim().startsWith("-") && !l.trim().startsWith("#"));
}

async function runInstall(job: InstallJob, target: LambdaTarget, ctx: InstallContext): Promise<InstalledDependencies & { inputTexts: Record<string, string> }> {
    const inputs = job.inputs;
    const choose = ctx.chooseInstaller ?? chooseInstaller;
    const installer = await timed("find installer", () => choose(job.kind === "uv-lock" && ctx.installer === "auto" ? "uv" : ctx.installer, ctx));
    // Every download below uses exactly these, whichever place the user named them in.
    const py = await hostPython(ctx.python).catch(() => undefined);
    const configured = [pipConfigIndexes(py?.prefix), uvConfigIndexes()];
    const indexesFrom = (options: RequirementInputs["options"]) =>
        packageIndexes(
            options,
            ctx.extraArgs,
            process.env,
            configured.flatMap((c) => c.pairs),
        );
    const indexes = indexesFrom(inputs.options);
    const passThrough = [...splitIndexArgs(ctx.extraArgs).rest, ...(job.addArgs ?? [])];
    const key = keyOf({
        format: FORMAT_VERSION,
        kind: job.kind,
        installer: installer.identity,
        target: { runtime: target.runtime, architecture: target.architecture, tags: manylinuxPlatformTags(target), uv: uvPythonPlatform(target) },
        files: Object.values(inputs.files),
        choice: job.keyExtra,
        localPaths: await Promise.all(inputs.localPaths.map((p) => hashLocalPath(p, ctx.cache))),
        indexes,
        extraArgs: passThrough,
    });
    const finalDir = ctx.cache.installDir(key);
    const label = `${installer.name} ${installer.version}`;
    let existing = readManifest(finalDir);
    if (!existing && ctx.remote) {
        await ctx.remote.fetchInstall(key, ctx.cache, (dir) => placeInstall(dir, finalDir));
        existing = readManifest(finalDir);
    }
    // An install from the remote cache brings its files compressed for the archives (remote/pack-reuse.ts).
    if (existing) {
        // Used by this build: kept by the cache's sweep for another month (cache.ts).
        markUsed(ctx.cache.installManifestPath(key));
        return { siteDir: path.join(finalDir, "site-packages"), files: existing.files, installer: label, cacheHit: true, compressed: packReuse(finalDir, ctx.compress?.level), record: existing.record, inputTexts: inputs.files };
    }
    // The functions of one program start together: the first build of a key installs, the others wait for it.
    const running = installsInFlight.get(finalDir);
    if (running) {
        ctx.progress(`dependencies from ${path.basename(job.what)}: waiting for the same install, started by another build`);
        try {
            const shared = await running;
            return { ...shared, cacheHit: true, compressed: new Map(), inputTexts: inputs.files };
        } catch (e) {
            // Its own archive's size check failed (not the install's fault): install here. Any other failure is this install's too.
            if (!ownArchiveFailures.has(e as object)) throw e;
        }
    }
    const fresh = freshInstall(job, target, ctx, { key, finalDir, installer, label, indexes, indexesFrom, passThrough });
    installsInFlight.set(finalDir, fresh);
    const forget = () => {
        if (installsInFlight.get(finalDir) === fresh) installsInFlight.delete(finalDir);
    };
    fresh.then(forget, forget);
    return await fresh;
}

/**
 * Installs in progress in this process, by their final folder. The install
 * itself is atomic between processes (a folder renamed into place); this
 * keeps concurrent builds of one process from running the same installer
 * and compressing the same files side by side.
 */
const installsInFlight = new Map<string, Promise<InstalledDependencies & { inputTexts: Record<string, string> }>>();
/**
 * Installers (uv's resolver and installer, pip: ~35-70 MB each) running at
 * once for the builds of this process: a program's installs of five
 * dependency sets at once peaked at two resolvers beside fifty builds.
 */
const installerTurns = new Turns(Math.max(2, os.availableParallelism()));

/** Errors of one build's own archive (its size check) raised during an install it shares: the others install again. */
const ownArchiveFailures = new WeakSet<object>();

async function freshInstall(
    job: InstallJob,
    target: LambdaTarget,
    ctx: InstallContext,
    run: { key: string; finalDir: string; installer: Installer; label: string; indexes: PackageIndexes; indexesFrom: (options: RequirementInputs["options"]) => PackageIndexes; passThrough: string[] },
): Promise<InstalledDependencies & { inputTexts: Record<string, string> }> {
    const { key, finalDir, installer, label, indexesFrom, passThrough } = run;
    let indexes = run.indexes;
    const inputs = job.inputs;
    const work = trackTemp(ctx.cache.makeTempDir("install"));
    let discardOnFailure = new Map<string, CompressedData>();
    try {
        const siteDir = path.join(work, "site-packages");
        const prepared = await job.prepare(work);
        const { requirementsFile, record } = prepared;
        if (requirementsFile) {
            // Options the lock names (its indexes) join the user's, as a requirements file's do.
            if (prepared.inputs) indexes = indexesFrom(prepared.inputs.options);
            const from = job.kind === "local-projects" ? job.what : `dependencies from ${path.basename(job.what)}`;
            ctx.progress(`installing ${from} for ${target.runtime} ${target.architecture} with ${label}`);
            const turn = await installerTurns.acquire();
            try {
                await installWithRescue(installer, { requirementsFile, siteDir, what: job.what, work, indexes, passThrough, lock: job.lock }, prepared.inputs ?? inputs, target, ctx);
            } finally {
                turn();
            }
        }
        if (!fs.existsSync(siteDir)) fs.mkdirSync(siteDir, { recursive: true });
        const { files, compressed } = await timed("list and hash installed files", () => listInstalled(siteDir, ctx.cache, ctx.compress));
        discardOnFailure = compressed;
        fs.writeFileSync(path.join(work, INSTALL_MANIFEST), JSON.stringify({ installer: label, files, record }));
        // Only the install and its manifest are kept. The rest is scratch (downloads, builds, snapshots of local
        // projects) and the copies of the requirement files the installers read: an index password in one of
        // those lived on in the cache.
        for (const name of fs.readdirSync(work)) if (name !== "site-packages" && name !== INSTALL_MANIFEST) fs.rmSync(path.join(work, name), { recursive: true, force: true });
        placeInstall(work, finalDir);
        if (ctx.compress) ctx.remote?.storeInstall(key, finalDir, files, record, ctx.cache, ctx.compress.level);
        return { siteDir: path.join(finalDir, "site-packages"), files, installer: label, cacheHit: false, compressed, record, inputTexts: inputs.files };
    } catch (e) {
        for (const c of discardOnFailure.values()) c.spool?.discard();
        removeQuietly(work);
        throw e;
    }
}

async function installWithRescue(
    installer: Installer,
    job: { requirementsFile: string; siteDir: string; what: string; work: string; indexes: PackageIndexes; passThrough: string[]; lock?: string },
    inputs: RequirementInputs,
    target: LambdaTarget,
    ctx: InstallContext,
): Promise<void> {
    const wheelsDir = path.join(job.work, "wheels");
    const built = new Set<string>();
    for (let round = 0; ; round++) {
        fs.rmSync(job.siteDir, { recursive: true, force: true });
        const result = await installer.install({
            requirementsFile: job.requirementsFile,
            target,
            siteDir: job.siteDir,
            findLinks: built.size ? [wheelsDir] : [],
            indexes: job.indexes,
            extraArgs: job.passThrough,
        });
        if (result.code === 0) return;
        const lockFailed = job.lock && lockFailure(result.stdout + result.stderr, job.lock, describeTarget(target));
        if (lockFailed) throw lockFailed;
        if (round >= MAX_RESCUE_ROUNDS) {
            throw new UserError(`installing the dependencies in ${job.what} for ${describeTarget(target)} failed:\n${tail(result.stdout + result.stderr)}`);
        }
        const python = await hostPython(ctx.python);
        fs.mkdirSync(wheelsDir, { recursive: true });
        const rescued = await rescueFailedInstall(
            result,
            {
                target,
                python,
                requirementLines: inputs.lines.map((l) => l.text),
                indexes: job.indexes,
                pre: job.passThrough.includes("--pre"),
                wheelsDir,
                what: job.what,
                installerName: `${installer.name} ${installer.version}`,
            },
            built,
        );
        for (const name of rescued) {
            built.add(name);
            ctx.progress(`built ${name} from its pure-Python source distribution`);
        }
    }
}

/** Lists an install with content hashes (normalisation happens when an archive is planned), compressing what the archive keeps. */
async function listInstalled(siteDir: string, cache: BuildCache, compress: CompressWhileListing | undefined): Promise<{ files: InstalledFile[]; compressed: Map<string, CompressedData> }> {
    const walked = walkTree(siteDir, { what: "installed dependencies", defaultExcludes: false });
    const memo = HashMemo.load(cache.hashMemoPath(siteDir));
    const level = compress && compress.level > 0 ? compress.level : null;
    const kept = level === null ? [] : walked.filter((f) => compress!.wanted(f.rel));
    if (level !== null) {
        try {
            compress!.beforeCompressing(kept);
        } catch (e) {
            if (e && typeof e === "object") ownArchiveFailures.add(e);
            throw e;
        }
    }
    const keptSet = new Set(kept);
    const [withBytes, hashOnly] = await Promise.all([
        hashFiles(kept, memo, "installed dependencies", level, compress?.spoolDir),
        hashFiles(
            walked.filter((f) => !keptSet.has(f)),
            memo,
            "installed dependencies",
            null,
        ),
    ]);
    const sha = (rel: string) => withBytes.hashes.get(rel) ?? hashOnly.hashes.get(rel)!;
    const files = walked.map((f) => ({ rel: f.rel, size: f.size, sha256: sha(f.rel), executable: (f.mode & 0o111) !== 0 })).sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    // A large file that did not compress is read from the file itself when the archive is written, and this
    // folder is about to be renamed: the writer reads it from its final place instead.
    for (const [sha256, c] of withBytes.compressed) {
        if (c.method === 0 && c.from?.archive.path.startsWith(siteDir + path.sep)) {
            c.spool?.discard();
            withBytes.compressed.delete(sha256);
        }
    }
    return { files, compressed: withBytes.compressed };
}

/**
 * Renames a complete install folder (its manifest written last) into place;
 * returns the install now there. Another build that finished the same
 * install first wins: its result is as good as ours.
 */
function placeInstall(work: string, finalDir: string): { files: InstalledFile[]; record: InstallRecord } | undefined {
    fs.mkdirSync(path.dirname(finalDir), { recursive: true });
    if (fs.existsSync(finalDir) && !readManifest(finalDir)) removeQuietly(finalDir); // damaged: its manifest was unreadable
    renameFolderIntoPlace(work, finalDir, (dir) => readManifest(dir) !== undefined);
    return readManifest(finalDir);
}

function readManifest(dir: string): { files: InstalledFile[]; record: InstallRecord } | undefined {
    try {
        const m = JSON.parse(fs.readFileSync(path.join(dir, INSTALL_MANIFEST), "utf8"));
        return Array.isArray(m.files) ? { files: m.files, record: { notes: [], localProjects: [], ...m.record } } : undefined;
    } catch {
        return undefined;
    }
}

/** Content hash of a local file or folder named in requirements (so a change to it reinstalls). */
async function hashLocalPath(p: string, cache: BuildCache): Promise<string> {
    let st: fs.Stats;
    try {
        st = fs.statSync(p);
    } catch {
        return `${p}: missing`;
    }
    if (st.isFile()) return crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
    // What the snapshot the installer builds from holds (local-paths.ts), not the build outputs beside it.
    const files = buildsFromSnapshot(p) ? localProjectFiles(p) : walkTree(p, { what: "local requirement folder" });
    const memo = HashMemo.load(cache.hashMemoPath(p));
    const { hashes } = await hashFiles(files, memo, "local requirement folder", null);
    memo.save(files);
    return keyOf(files.map((f) => [f.rel, hashes.get(f.rel)]));
}
