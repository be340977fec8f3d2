// Inspecting an archive given by path: a .zip file or a folder. An archive
// that cannot be parsed at all still yields facts, whose `problems` say why,
// so every caller reports damage as a finding instead of crashing.
import * as fs from "fs";
import * as path from "path";
import { openZipFileFor, UNIX_OS, ZipFormatError } from "../zip/reader";
import { ArchiveFacts, DEFAULT_TEXT_MAX, emptyFacts, gatherFacts, gatherFactsAsync, InspectedArchive, inspectSource, isSymlink, textReader } from "./facts";
import { ArchiveSource, folderSource, zipFileSource, zipFileSourceAsync } from "./source";

export * from "./facts";

/**
 * Facts of zips this process wrote or found in its build cache (the builder
 * gathered them from the written file), by the file's identity: a preview's
 * builds, its policy pack and its invocations read the same archives, and
 * gathering the facts again cost ~70 ms for the showcase. A few, the newest.
 */
const known = new Map<string, ArchiveFacts>();
/** At most this many archives' facts, and this many entries in all (a long-lived process building many big archives). */
const KNOWN_ARCHIVES = 64;
const KNOWN_ENTRIES = 200_000;
let knownEntries = 0;

/** The identity a zip's facts are known by: the same file (inode), unchanged (size and mtime). */
function identity(st: fs.Stats): string {
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
}

/** Records the facts of the zip at `zip`, as gathered from exactly its bytes (the builder, after writing or checking it). */
export function rememberFacts(zip: string, facts: ArchiveFacts): void {
    const key = identity(fs.statSync(zip));
    forget(key);
    known.set(key, facts); // not copied (20,000 files: ~20 ms of a build); BuildResult.facts says not to modify them
    knownEntries += facts.entries;
    while (known.size > KNOWN_ARCHIVES || (known.size > 1 && knownEntries > KNOWN_ENTRIES)) forget(known.keys().next().value!);
}

/** Whether the facts of the zip at `zip`, as it is now, are known to this process (rememberFacts). */
export function factsRemembered(zip: string): boolean {
    return known.has(identity(fs.statSync(zip)));
}

function forget(key: string): void {
    const facts = known.get(key);
    if (!facts) return;
    known.delete(key);
    knownEntries -= facts.entries;
}

/** Inspects a .zip or a folder. Throws only for filesystem errors (a missing file …). */
export function inspectPath(p: string, label = p): InspectedArchive {
    const st = fs.statSync(p);
    const done = alreadyInspected(p, label, st);
    if (done) return done;
    let src: ArchiveSource;
    try {
        src = zipFileSource(p);
    } catch (e) {
        return unreadable(e, label, st);
    }
    try {
        return withFacts(src, gatherFacts(src), label);
    } finally {
        src.close();
    }
}

/**
 * inspectPath that first verifies every zip entry's data (its declared size
 * and CRC: zip/verify.ts), so damage is a problem the safety rule reports
 * before any rule judges what the damaged bytes say, and no declared size is
 * believed unchecked. Asynchronous and sliced: a big archive costs time
 * (docs/RELIABILITY.md), but never blocks the event loop long enough to
 * miss a Ctrl-C. Zips this process wrote or checked (rememberFacts) are not
 * read again. Used by `lambda-python inspect` and the policy pack.
 */
export async function inspectPathVerified(p: string, label = p): Promise<InspectedArchive> {
    const st = fs.statSync(p);
    const done = alreadyInspected(p, label, st);
    if (done) return done;
    let src: ArchiveSource;
    try {
        src = await zipFileSourceAsync(p);
    } catch (e) {
        return unreadable(e, label, st);
    }
    try {
        await src.verifyData?.();
        return withFacts(src, await gatherFactsAsync(src), label);
    } finally {
        src.close();
    }
}

/** A folder's inspection, or that of a zip this process wrote or checked; undefined when the zip must be read. */
function alreadyInspected(p: string, label: string, st: fs.Stats): InspectedArchive | undefined {
    if (st.isDirectory()) {
        const inspected = inspectSource(folderSource(p));
        inspected.facts.label = label;
        return inspected;
    }
    const gathered = known.get(identity(st));
    // A copy: callers may change what they are given. The directory is read only if a rule reads a file.
    if (gathered) return { facts: { ...structuredClone(gathered), label }, readText: (name, max) => readZipText(p, name, max) };
    return undefined;
}

/** A zip that cannot be parsed at all: facts whose problems say why. Other errors (the file system's) are thrown. */
function unreadable(e: unknown, label: string, st: fs.Stats): InspectedArchive {
    if (!(e instanceof ZipFormatError)) throw e;
    return { facts: damagedFacts(label, st.size, e.message), readText: () => undefined };
}

/**
 * The directory stays parsed for the rules that read files (the handler,
 * partial-boto3's scan of the function's modules); each read opens the zip
 * for its duration only, so an inspection kept in a cache holds no descriptor.
 */
function withFacts(src: ArchiveSource, facts: ArchiveFacts, label: string): InspectedArchive {
    facts.label = label;
    const read = textReader(src, facts.problems);
    return {
        facts,
        readText: (name, max) => {
            try {
                return read(name, max);
            } finally {
                src.close();
            }
        },
    };
}

/** The zip read last by readZipText: the name read from it first, and once another one is, its parsed directory. */
let lastZip: { key: string; first?: string; full?: { src: ArchiveSource; read: InspectedArchive["readText"] } } | undefined;

/**
 * One file of a zip as text. Reading one name parses only that name's
 * central directory record (each function of a 50-function preview has its
 * handler's module read, by the build's checks and the component's: the
 * whole directories cost ~170 ms). Rules that read many files in a row (the
 * partial-boto3 scan of a function's modules) get the directory parsed at
 * their second name and kept, and only a descriptor opened per read.
 */
export function readZipText(zipPath: string, name: string, maxBytes?: number): string | undefined {
    const st = fs.statSync(zipPath);
    const key = `${path.resolve(zipPath)}\0${st.size}\0${st.mtimeMs}`;
    if (lastZip?.key !== key) lastZip = { key };
    lastZip.first ??= name;
    if (!lastZip.full && lastZip.first === name) {
        const plain = plainFileText(zipPath, name, maxBytes ?? DEFAULT_TEXT_MAX);
        if (plain) return plain.text;
    }
    if (!lastZip.full) {
        const src = zipFileSource(zipPath);
        src.close();
        lastZip.full = { src, read: textReader(src) };
    }
    const { src, read } = lastZip.full;
    try {
        return read(name, maxBytes);
    } finally {
        src.close();
    }
}

/**
 * The text of `name` when the archive holds it once, as a plain file, read
 * from its own central directory record alone; undefined when textReader
 * must judge (a link to follow, a folder, a name held twice or not at all,
 * a name that is not plain ASCII, which an archive may spell in another
 * encoding).
 */
function plainFileText(zipPath: string, name: string, maxBytes: number): { text: string | undefined } | undefined {
    if (!/^[\x20-\x7e]+$/.test(name)) return undefined;
    const reader = openZipFileFor(zipPath, name);
    try {
        if (reader.entries.length !== 1) return undefined;
        const entry = reader.entries[0];
        if (entry.isDirectory || isSymlink(entry.madeByOs === UNIX_OS ? entry.unixMode : undefined)) return undefined;
        try {
            return { text: reader.readAll(entry, maxBytes)?.toString("utf8") };
        } catch (e) {
            // Damaged data reads as no text, as textReader's does.
            if (e instanceof ZipFormatError) return { text: undefined };
            throw e;
        }
    } finally {
        reader.close();
    }
}

function damagedFacts(label: string, zippedBytes: number, problem: string): ArchiveFacts {
    const facts = emptyFacts("zip", label, zippedBytes);
    facts.problems.push(problem);
    return facts;
}
