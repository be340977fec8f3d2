// The dependencies' part of an archive: located (installed for the target through install/, or a given
// site-packages folder), then slimmed if asked, normalised (machine-specific bits out, RECORD made true to
// what the archive holds) and hashed, as planned entries.
import * as fs from "fs";
import * as path from "path";
import { BuildCache } from "./cache";
import { defaultToolsDir } from "../shared/cache-dirs";
import { checkSizesBeforeCompressing } from "./checks";
import { hashFiles, HashMemo } from "./content-hash";
import { installDependencies } from "./install/dependencies";
import { normalizeDependencyTree } from "./normalize";
import { ResolvedOptions } from "./options";
import { bytesEntry, Collected, fileEntry, Planned } from "./plan";
import { RemoteSession } from "./remote";
import { BuildResult } from "./result";
import { slimTree } from "./slim";
import { slimReason } from "./slim/rules";
import { makeFilter, WalkedFile, walkTree } from "./walk";
import { CompressedData } from "./zip-writer";

/** Where the dependencies' files are (installed, or the given site-packages folder), before normalising and hashing. */
export interface LocatedDependencies {
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

export async function locateDependencies(options: ResolvedOptions, cache: BuildCache, sourceFiles: WalkedFile[], remote: RemoteSession | undefined): Promise<LocatedDependencies | undefined> {
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

export async function collectDependencies(options: ResolvedOptions, cache: BuildCache, sourceFiles: WalkedFile[], located: LocatedDependencies | undefined): Promise<Collected> {
    if (!located) return { entries: [], hashed: 0, compressed: new Map() };
    const { roots, files, leftOut } = located;
    let compressed = located.compressed;
    // A walked file knows its path: 20,000 path.join calls cost ~60 ms of the main thread.
    const abs = (f: { rel: string; root: number; walked?: WalkedFile }) => f.walked?.abs ?? path.join(roots[f.root], f.rel);
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
