// The function's code and layers as folders the sandbox can mount, the way
// Lambda lays them out: the function zip extracted at /var/task, the layer
// zips extracted in order into one /opt (a later layer's file replaces an
// earlier one's). Extractions are cached by content, made complete or not at
// all, and never modified once made (they are mounted read-only).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { defaultCacheDir } from "../builder/cache";
import { describeFsError, UserError } from "../shared/errors";
import { inspectPath } from "../policies/inspect";
import { ArchiveFacts, InspectedArchive } from "../policies/inspect/facts";
import { openZipFile, ZipFormatError } from "../policies/zip/reader";
import { installFolder } from "./install-dir";

/** Lambda's limit on function + layers, unzipped: also what we are willing to extract. */
const MAX_UNZIPPED = 262_144_000;

export function extractionCacheDir(): string {
    return path.join(defaultCacheDir(), "runner");
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

/** Extracts zips, in order, into one folder. Entry modes are kept as the zip records them. */
async function extractInto(zips: string[], dest: string): Promise<void> {
    let total = 0;
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
                const rel = entry.name.replace(/\/+$/, "");
                if (!rel) continue;
                const target = path.join(dest, rel);
                // inspectCode already refused absolute and ".." names; this is the last line of defence.
                if (!target.startsWith(dest + path.sep)) throw new UserError(`${zip}: entry ${entry.name} points outside the archive.`);
                const perm = entry.unixMode !== undefined ? entry.unixMode & 0o777 : entry.isDirectory ? 0o755 : 0o644;
                if (entry.isDirectory) {
                    fs.mkdirSync(target, { recursive: true });
                    fs.chmodSync(target, perm);
                    continue;
                }
                total += entry.uncompressedSize;
                if (total > MAX_UNZIPPED) throw new UserError(`the function and its layers unzip to more than ${MAX_UNZIPPED} bytes, Lambda's limit; Lambda would refuse them.`);
                const data = reader.readAll(entry, MAX_UNZIPPED);
                fs.mkdirSync(path.dirname(target), { recursive: true });
                fs.rmSync(target, { force: true, recursive: true });
                // Symbolic links in zips are stored as their target text (mode 0o120000).
                if (entry.unixMode !== undefined && (entry.unixMode & 0o170000) === 0o120000) {
                    fs.symlinkSync(data!.toString("utf8"), target);
                } else {
                    fs.writeFileSync(target, data!);
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

/** A folder holding the zips extracted in order, cached by their content. */
export async function extracted(zips: string[], kind: "task" | "opt"): Promise<string> {
    const hashes: string[] = [];
    for (const zip of zips) hashes.push(await fileSha256(zip));
    const key = crypto.createHash("sha256").update(hashes.join("\n")).digest("hex").slice(0, 40);
    const dir = path.join(extractionCacheDir(), kind, key);
    if (fs.existsSync(dir)) {
        const now = new Date();
        fs.utimesSync(dir, now, now); // marks it used, for sweeping
        return dir;
    }
    return installFolder(dir, async (temp) => {
        fs.chmodSync(temp, 0o755);
        await extractInto(zips, temp);
    });
}

/** An empty folder to mount at /opt when there are no layers. */
export function emptyOpt(): string {
    const dir = path.join(extractionCacheDir(), "opt", "empty");
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}

/** Removes extractions unused for `days` (folders are touched on use). */
export function sweepExtractions(days = 14): void {
    const old = Date.now() - days * 24 * 3600_000;
    // "bytecode": writable prefixes of hard links into the roots, from before the prefix was read-only.
    fs.rmSync(path.join(extractionCacheDir(), "bytecode"), { recursive: true, force: true });
    for (const kind of ["task", "opt", "pyc"]) {
        const dir = path.join(extractionCacheDir(), kind);
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
                if (fs.statSync(p).mtimeMs < old) fs.rmSync(p, { recursive: true, force: true });
            } catch {
                // in use or gone: either way nothing to do
            }
        }
    }
}
