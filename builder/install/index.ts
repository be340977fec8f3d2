// Installs dependencies for a Lambda target into the build cache, once per
// distinct input: the install key covers the requirement files (and what they
// include), the target, the installer and its version, and pass-through
// options. A finished install is a folder renamed into place, so it is either
// complete or absent; two builds racing on the same key both succeed.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { describeFsError, UserError } from "../../shared/errors";
import { run, tail } from "../../shared/process";
import { LambdaTarget, manylinuxPlatformTags, uvPythonPlatform } from "../../policies/target";
import { removeQuietly, trackTemp, untrackTemp } from "../atomic";
import { BuildCache, FORMAT_VERSION, keyOf } from "../cache";
import { hashFiles, HashMemo } from "../content-hash";
import { WalkedFile, walkTree } from "../walk";
import { CompressedData } from "../zip-writer";
import { describeTarget, rescueFailedInstall } from "./diagnose";
import { chooseInstaller, findUv, hostPython, Installer, InstallerChoice } from "./installers";
import { PackageIndexes, packageIndexes, splitIndexArgs, withoutIndexEnvironment } from "./indexes";
import { buildsFromSnapshot, localProjectFiles, withAbsolutePaths } from "./local-paths";
import { timed } from "./timing";
import { pipConfigIndexes, uvConfigIndexes } from "./config-files";
import { readRequirementInputs, RequirementInputs } from "./requirements";

export type DependencySpec = { kind: "requirements"; file: string } | { kind: "uv-lock"; pyproject: string };

export interface InstalledFile {
    rel: string;
    size: number;
    sha256: string;
    executable: boolean;
}

export interface InstalledDependencies {
    siteDir: string;
    files: InstalledFile[];
    /** "pip 25.0" / "uv 0.13.8" */
    installer: string;
    cacheHit: boolean;
    /** Files compressed while a fresh install was hashed, by sha256 (empty on a cache hit). */
    compressed: Map<string, CompressedData>;
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
    python?: string;
    uv?: string;
    toolsDir: string;
    extraArgs: string[];
    progress: (message: string) => void;
    compress?: CompressWhileListing;
}

const MANIFEST = "manifest.json";
const MAX_RESCUE_ROUNDS = 5;

export async function installDependencies(spec: DependencySpec, target: LambdaTarget, ctx: InstallContext): Promise<InstalledDependencies> {
    const installer = await timed("find installer", () => chooseInstaller(spec.kind === "uv-lock" && ctx.installer === "auto" ? "uv" : ctx.installer, ctx));
    const inputs = spec.kind === "requirements" ? readRequirementInputs(spec.file) : readUvProject(spec.pyproject);
    // Every download below uses exactly these, whichever place the user named them in.
    const py = await hostPython(ctx.python).catch(() => undefined);
    const configured = [pipConfigIndexes(py?.prefix), uvConfigIndexes()];
    const indexes = packageIndexes(
        inputs.options,
        ctx.extraArgs,
        process.env,
        configured.flatMap((c) => c.pairs),
    );
    const passThrough = splitIndexArgs(ctx.extraArgs).rest;
    const key = keyOf({
        format: FORMAT_VERSION,
        kind: spec.kind,
        installer: installer.identity,
        target: { runtime: target.runtime, architecture: target.architecture, tags: manylinuxPlatformTags(target), uv: uvPythonPlatform(target) },
        files: Object.values(inputs.files),
        localPaths: await Promise.all(inputs.localPaths.map((p) => hashLocalPath(p, ctx.cache))),
        indexes,
        extraArgs: passThrough,
    });
    const finalDir = ctx.cache.installDir(key);
    const label = `${installer.name} ${installer.version}`;
    const existing = readManifest(finalDir);
    if (existing) return { siteDir: path.join(finalDir, "site-packages"), files: existing, installer: label, cacheHit: true, compressed: new Map() };

    const work = trackTemp(ctx.cache.makeTempDir("install"));
    let discardOnFailure = new Map<string, CompressedData>();
    try {
        const siteDir = path.join(work, "site-packages");
        const what = spec.kind === "requirements" ? spec.file : `${spec.pyproject} (uv.lock)`;
        const requirementsFile = spec.kind === "requirements" ? withAbsolutePaths(spec.file, work) : await exportUvLock(spec.pyproject, work, ctx);
        ctx.progress(`installing dependencies from ${path.basename(what)} for ${target.runtime} ${target.architecture} with ${label}`);
        await installWithRescue(installer, { requirementsFile, siteDir, what, work, indexes, passThrough }, inputs, target, ctx);
        if (!fs.existsSync(siteDir)) fs.mkdirSync(siteDir, { recursive: true });
        const { files, compressed } = await timed("list and hash installed files", () => listInstalled(siteDir, ctx.cache, ctx.compress));
        discardOnFailure = compressed;
        fs.writeFileSync(path.join(work, MANIFEST), JSON.stringify({ installer: label, files }));
        // Only the install and its manifest are kept. The rest is scratch (downloads, builds, snapshots of local
        // projects) and the copies of the requirement files the installers read: an index password in one of
        // those lived on in the cache.
        for (const name of fs.readdirSync(work)) if (name !== "site-packages" && name !== MANIFEST) fs.rmSync(path.join(work, name), { recursive: true, force: true });
        fs.mkdirSync(path.dirname(finalDir), { recursive: true });
        if (fs.existsSync(finalDir) && !readManifest(finalDir)) removeQuietly(finalDir); // damaged: its manifest was unreadable
        try {
            fs.renameSync(work, finalDir);
            untrackTemp(work);
        } catch (e) {
            // Another build finished the same install first; its result is as good as ours.
            if (!readManifest(finalDir)) throw e;
            removeQuietly(work);
        }
        return { siteDir: path.join(finalDir, "site-packages"), files, installer: label, cacheHit: false, compressed };
    } catch (e) {
        for (const c of discardOnFailure.values()) c.spool?.discard();
        removeQuietly(work);
        throw e;
    }
}

async function installWithRescue(
    installer: Installer,
    job: { requirementsFile: string; siteDir: string; what: string; work: string; indexes: PackageIndexes; passThrough: string[] },
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
    if (level !== null) compress!.beforeCompressing(kept);
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

function readManifest(dir: string): InstalledFile[] | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), "utf8")).files;
    } catch {
        return undefined;
    }
}

function readUvProject(pyproject: string): RequirementInputs {
    const lock = path.join(path.dirname(pyproject), "uv.lock");
    const files: Record<string, string> = {};
    for (const f of [pyproject, lock]) {
        try {
            files[f] = fs.readFileSync(f, "utf8");
        } catch (e) {
            throw describeFsError(e, f, f === lock ? "uv lock file" : "pyproject file");
        }
    }
    return { files, localPaths: [], lines: [], options: [] };
}

/** uv.lock → a pinned requirements file (without the project itself or dev dependencies). */
async function exportUvLock(pyproject: string, work: string, ctx: InstallContext): Promise<string> {
    const uv = await findUv(ctx.uv, ctx.toolsDir);
    if (!uv) throw new UserError(`${pyproject} has a uv.lock; exporting it needs uv. Install it (pip install uv, or lambda-python setup), or export requirements.txt yourself.`);
    const out = path.join(work, "requirements.txt");
    const r = await run(uv, ["export", "--frozen", "--no-hashes", "--no-dev", "--no-emit-project", "--no-header", "--format", "requirements-txt", "--project", path.dirname(pyproject), "-o", out], {
        env: { ...withoutIndexEnvironment(), UV_PYTHON_DOWNLOADS: "never" },
    });
    if (r.code !== 0) throw new UserError(`uv could not export ${path.join(path.dirname(pyproject), "uv.lock")}: ${tail(r.stderr, 6)}`);
    return out;
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
