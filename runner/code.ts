// The function's code and layers as folders the sandbox can mount, the way
// Lambda lays them out: the function zip extracted at /var/task, the layer
// zips extracted in order into one /opt (a later layer's file replaces an
// earlier one's). Extractions are cached by content, made complete or not at
// all, and never modified once made (they are mounted read-only).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { defaultCacheDir } from "../shared/cache-dirs";
import { describeFsError, describeWriteError, UserError } from "../shared/errors";
import { makeFolders } from "../shared/folders";
import { sweepLeftovers } from "../builder/leftovers";
import { inspectPath } from "../policies/inspect";
import { ArchiveFacts, extractedPath, InspectedArchive, unsafeName } from "../policies/inspect/facts";
import { openZipFile, ZipFormatError } from "../policies/zip/reader";
import { checkedFolder, removeCheckedFolder } from "../target-python/install-dir";
import limits from "../policies/data/lambda-limits.json";

/** Lambda's limit on function + layers, unzipped (policies/data/lambda-limits.json): also what we are willing to extract. */
const MAX_UNZIPPED: number = limits.unzippedBytes;

export function extractionCacheDir(): string {
    return path.join(defaultCacheDir(), "runner");
}

/**
 * The folder of one kind of checked folders (extracted code, layers, compiled bytecode), named with the
 * layout of what it holds: a release that lays its folders out otherwise uses other names, so two versions
 * sharing one cache (an upgrade, a CI fleet) never take each other's folders for their own (the layout with
 * the record inside each folder is 2; the earlier, unnumbered one is swept).
 */
export function checkedFoldersDir(kind: "task" | "opt" | "pyc"): string {
    return path.join(extractionCacheDir(), `${kind}-2`);
}

/** Read in chunks on the thread pool, so that a 250 MB archive does not hold up Ctrl-C. */
async function fileSha256(file: string): Promise<string> {
    const hash = crypto.createHash("sha256");
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    return hash.digest("hex");
}

/** Lets signal handlers and timers run between two pieces of synchronous work. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A .zip or folder inspected by the policy pack's reader, with a sentence (exit 2) for a missing, unreadable or damaged one. */
export function inspectArchive(file: string, what: string): InspectedArchive {
    let archive: InspectedArchive;
    try {
        archive = inspectPath(file);
    } catch (e) {
        throw describeFsError(e, file, what);
    }
    const facts = archive.facts;
    if (facts.problems.length) throw new UserError(`${what} ${file} is not a usable zip: ${facts.problems[0]}`);
    if (facts.unsafe.length) throw new UserError(`${what} ${file} has an entry Lambda would refuse to extract: ${facts.unsafe[0].name} (${facts.unsafe[0].reason}).`);
    return archive;
}

/** Facts of a .zip or folder (inspectArchive's). */
export function inspectCode(file: string, what: string): ArchiveFacts {
    return inspectArchive(file, what).facts;
}

/**
 * The folder `parts` name under `dest`, made one level at a time. Never
 * through a symbolic link or a file: a link made by an earlier entry (or an
 * earlier layer) could lead anywhere on this machine, and "a/b -> .." then
 * "a/b/c -> .." climbs out one level at a time while each link alone stays
 * inside the archive. `known` holds folders this extraction already made or
 * checked.
 */
function folderFor(dest: string, parts: string[], known: Set<string>, refuse: (why: string) => never): string {
    let current = dest;
    for (const part of parts) {
        current = path.join(current, part);
        if (known.has(current)) continue;
        const st = fs.lstatSync(current, { throwIfNoEntry: false });
        if (!st) fs.mkdirSync(current, 0o755);
        else if (st.isSymbolicLink()) refuse(`lies beneath the symbolic link ${path.relative(dest, current)}; extracting it would write through the link`);
        else if (!st.isDirectory()) refuse(`lies beneath ${path.relative(dest, current)}, which is a file`);
        known.add(current);
    }
    return current;
}

/**
 * Extracts zips, in order, into one folder. Entry modes are kept as the zip
 * records them, without write access for group and others: the folder is
 * mounted read-only, and on this machine it is a cache other users must not
 * be able to change.
 */
async function extractInto(zips: string[], dest: string): Promise<void> {
    let total = 0;
    const known = new Set<string>();
    for (const zip of zips) {
        let reader;
        try {
            reader = openZipFile(zip);
        } catch (e) {
            if (e instanceof ZipFormatError) throw new UserError(`${zip} is not a usable zip: ${e.message}`);
            throw describeFsError(e, zip, "archive");
        }
        try {
            for (const entry of reader.entries) {
                await breathe(); // one entry may be 250 MB to inflate; signals are answered between two
                const parts = extractedPath(entry.name).split("/").filter(Boolean);
                const refuse = (why: string): never => {
                    const earlier = zips.length > 1 ? " (made by this archive or an earlier layer)" : "";
                    throw new UserError(`${zip}: entry ${JSON.stringify(entry.name)} ${why}${earlier}. Lambda's extraction is not defined for it; rebuild the archive without it.`);
                };
                if (!parts.length) {
                    if (entry.isDirectory) continue; // the root itself
                    refuse("is a file without a name (nothing but slashes and dots)");
                }
                // inspectCode already refused such names (the same rule); this is the last line of defence.
                const badName = unsafeName(entry.name);
                if (badName) refuse(badName);
                const perm = (entry.unixMode !== undefined ? entry.unixMode & 0o777 : entry.isDirectory ? 0o755 : 0o644) & 0o755;
                if (entry.isDirectory) {
                    fs.chmodSync(folderFor(dest, parts, known, refuse), perm);
                    continue;
                }
                total += entry.uncompressedSize;
                if (total > MAX_UNZIPPED) throw new UserError(`the function and its layers unzip to more than ${MAX_UNZIPPED} bytes, Lambda's limit; Lambda would refuse them.`);
                const data = reader.readAll(entry, MAX_UNZIPPED);
                const target = path.join(folderFor(dest, parts.slice(0, -1), known, refuse), parts[parts.length - 1]);
                // A later layer's file replaces an earlier one's (a link or a folder of that name goes, not what it leads to).
                if (fs.lstatSync(target, { throwIfNoEntry: false })) {
                    fs.rmSync(target, { force: true, recursive: true });
                    for (const k of known) if (k === target || k.startsWith(target + path.sep)) known.delete(k);
                }
                // Symbolic links in zips are stored as their target text (mode 0o120000).
                if (entry.unixMode !== undefined && (entry.unixMode & 0o170000) === 0o120000) {
                    const to = data!.toString("utf8");
                    if (to === "" || to.includes("\0")) refuse("is a symbolic link with an empty target or a NUL byte in it");
                    fs.symlinkSync(to, target);
                } else {
                    fs.writeFileSync(target, data!, { mode: perm });
                    fs.chmodSync(target, perm);
                }
            }
        } catch (e) {
            if (e instanceof ZipFormatError) throw new UserError(`${zip} is damaged: ${e.message}`);
            throw e;
        } finally {
            reader.close();
        }
    }
}

/** A folder holding the zips extracted in order, cached by their content and checked on every use (target-python/install-dir.ts). */
export async function extracted(zips: string[], kind: "task" | "opt"): Promise<string> {
    const hashes: string[] = [];
    for (const zip of zips) hashes.push(await fileSha256(zip));
    const key = crypto.createHash("sha256").update(hashes.join("\n")).digest("hex").slice(0, 40);
    return checkedFolder(path.join(checkedFoldersDir(kind), key), async (temp) => {
        fs.chmodSync(temp, 0o755);
        await extractInto(zips, temp);
    });
}

/** An empty folder to mount at /opt when there are no layers. */
export function emptyOpt(): string {
    const dir = path.join(checkedFoldersDir("opt"), "empty");
    makeFolders(dir);
    return dir;
}

/** The sentence for a write to the runner's cache that failed (a full disk, a read-only or unwritable folder). */
export function describeCacheWriteError(e: unknown): UserError | undefined {
    return describeWriteError(e, `the runner's cache ${extractionCacheDir()} (LAMBDA_PYTHON_CACHE_DIR)`);
}

/**
 * Removes extractions unused for `days` (folders are touched on use), and
 * what runs killed outright left: half-made extractions and compilations
 * (up to 250 MB each) and pasta's ready FIFOs, whose owners no longer run.
 */
export function sweepExtractions(days = 14): void {
    const old = Date.now() - days * 24 * 3600_000;
    const base = extractionCacheDir();
    // "bytecode": writable prefixes of hard links into the roots, from before the prefix was read-only.
    fs.rmSync(path.join(base, "bytecode"), { recursive: true, force: true });
    const kinds = (["task", "opt", "pyc"] as const).map((k) => checkedFoldersDir(k));
    // The earlier layout's folders (unnumbered: task, opt, pyc) go the same way, once unused for `days`.
    const earlier = ["task", "opt", "pyc"].map((k) => path.join(base, k));
    sweepLeftovers([...kinds, ...earlier, path.join(base, "net")]);
    for (const dir of [...kinds, ...earlier]) {
        let names: string[] = [];
        try {
            names = fs.readdirSync(dir);
        } catch {
            continue;
        }
        for (const name of names) {
            if (name === "empty" || name.startsWith(".")) continue;
            const p = path.join(dir, name);
            try {
                if (fs.lstatSync(p).mtimeMs < old) removeCheckedFolder(p);
            } catch {
                // in use or gone: either way nothing to do
            }
        }
    }
}
