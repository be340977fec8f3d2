// The three shapes a Lambda code archive reaches us in, behind one interface:
// a .zip file (read from its central directory), a folder (as Pulumi would
// zip it), and a tree of Pulumi assets (an AssetArchive). Nothing is
// extracted to disk; contents are read lazily and in bounded amounts.
import * as fs from "fs";
import * as path from "path";
import { openZipFile, openZipFileAsync, UNIX_OS, ZipEntry, ZipFormatError, ZipReader } from "../zip/reader";
import { verifyEntries } from "../zip/verify";
import type { BinaryFormat } from "./binary";
import type { GlibcNeed } from "./elf-glibc";

/** A native library's facts apart from its name (facts.ts NativeFact). */
export interface KnownNative {
    format: BinaryFormat;
    arch: string;
    glibc?: GlibcNeed;
}

export interface ArchiveEntry {
    /** Path inside the archive, "/"-separated; directories end with "/". */
    name: string;
    isDirectory: boolean;
    /** Uncompressed size in bytes (as declared, for zips). */
    size: number;
    /** Unix mode (type and permission bits) when known. */
    mode?: number;
    /** Zip compression method, when the entry comes from a zip. */
    method?: number;
    /** Bytes of compressed data, when the entry comes from a zip. */
    compressedSize?: number;
    encrypted?: boolean;
}

export interface ArchiveSource {
    format: "zip" | "folder" | "assets";
    /** How to name this archive in messages (a path, usually). */
    label: string;
    /** Size of the .zip itself, when the archive is one. */
    zippedBytes?: number;
    entries: ArchiveEntry[];
    /** Structural problems found while listing (corruption, bombs). */
    problems: string[];
    /** Parts that could not be looked into (remote assets, missing files). */
    notInspected: string[];
    /** The first `length` bytes of a file; valid until the next readPrefix call (a zip reader frees them then). */
    readPrefix(entry: ArchiveEntry, length: number): Buffer;
    /** Whole content, or undefined when larger than maxBytes. */
    readAll(entry: ArchiveEntry, maxBytes: number): Buffer | undefined;
    /** Entries whose data failed verifyData: what they hold cannot be believed, so it is not read. */
    damaged?: Set<ArchiveEntry>;
    /**
     * The credentials an entry holds when whoever wrote the archive judged it
     * already (secrets.ts secretsInHead; the builder's workers, as they
     * compressed it); undefined: read and judge it.
     */
    knownSecrets?(entry: ArchiveEntry): string[] | undefined;
    /**
     * What a file that may be a native library is (facts.ts NativeFact
     * without its name; null: not one) when whoever wrote the archive knows
     * it from the same content inspected before (the builder, by sha256);
     * undefined: read its headers.
     */
    knownNative?(entry: ArchiveEntry): KnownNative | null | undefined;
    /**
     * Checks every zip entry's data against its declared size and CRC
     * (zip/verify.ts): what is wrong joins `problems`, the entries `damaged`.
     * Absent for sources with nothing to verify (a folder's files are what they are).
     */
    verifyData?(): Promise<void>;
    close(): void;
}

// ---------------------------------------------------------------- zip files

export function zipFileSource(zipPath: string): ArchiveSource {
    return zipSource(openZipFile(zipPath), zipPath);
}

/** zipFileSource with the central directory parsed in slices, for callers that must stay responsive (inspectPathVerified). */
export async function zipFileSourceAsync(zipPath: string): Promise<ArchiveSource> {
    return zipSource(await openZipFileAsync(zipPath), zipPath);
}

function zipSource(reader: ZipReader, label: string): ArchiveSource {
    const byEntry = new Map<ArchiveEntry, ZipEntry>();
    const entries = reader.entries.map((z) => {
        const e: ArchiveEntry = {
            name: z.name,
            isDirectory: z.isDirectory,
            size: z.uncompressedSize,
            mode: z.madeByOs === UNIX_OS ? z.unixMode : undefined,
            method: z.method,
            compressedSize: z.compressedSize,
            encrypted: (z.flags & 1) !== 0,
        };
        byEntry.set(e, z);
        return e;
    });
    const damaged = new Set<ArchiveEntry>();
    return {
        format: "zip",
        label,
        zippedBytes: reader.size,
        entries,
        problems: reader.problems,
        notInspected: [],
        readPrefix: (e, n) => reader.readPrefix(byEntry.get(e)!, n),
        readAll: (e, max) => reader.readAll(byEntry.get(e)!, max),
        damaged,
        async verifyData() {
            const byZip = new Map([...byEntry].map(([e, z]) => [z, e]));
            const result = await verifyEntries(reader);
            reader.problems.push(...result.problems);
            for (const z of result.damaged) damaged.add(byZip.get(z)!);
        },
        close: () => reader.close(),
    };
}

// ------------------------------------------------------------------ folders

export function folderSource(root: string): ArchiveSource {
    const entries: ArchiveEntry[] = [];
    const files = new Map<ArchiveEntry, string>();
    const notInspected: string[] = [];
    const walk = (dir: string, rel: string): void => {
        for (const name of fs.readdirSync(dir).sort()) {
            const abs = path.join(dir, name);
            const relName = rel + name;
            let st: fs.Stats;
            try {
                st = fs.statSync(abs);
            } catch {
                notInspected.push(`${relName}: broken symbolic link`);
                continue;
            }
            if (st.isDirectory()) {
                if (fs.lstatSync(abs).isSymbolicLink()) {
                    notInspected.push(`${relName}/: symbolic link to a folder, not followed`);
                    continue;
                }
                entries.push({ name: `${relName}/`, isDirectory: true, size: 0, mode: st.mode });
                walk(abs, `${relName}/`);
            } else if (st.isFile()) {
                const e: ArchiveEntry = { name: relName, isDirectory: false, size: st.size, mode: st.mode };
                entries.push(e);
                files.set(e, abs);
            }
        }
    };
    walk(root, "");
    return {
        format: "folder",
        label: root,
        entries,
        problems: [],
        notInspected,
        readPrefix: (e, n) => readFilePrefix(files.get(e)!, n),
        readAll: (e, max) => (e.size > max ? undefined : fs.readFileSync(files.get(e)!)),
        close() {},
    };
}

function readFilePrefix(file: string, length: number): Buffer {
    const fd = fs.openSync(file, "r");
    try {
        const buf = Buffer.alloc(length);
        const n = fs.readSync(fd, buf, 0, length, 0);
        return buf.subarray(0, n);
    } finally {
        fs.closeSync(fd);
    }
}

// ------------------------------------------------------------- asset trees

/** A Pulumi AssetArchive with every promise resolved. */
export type AssetNode = { kind: "bytes"; data: Buffer } | { kind: "file"; path: string } | { kind: "archive"; path: string } | { kind: "assets"; entries: Record<string, AssetNode> } | { kind: "remote"; uri: string };

/** Where an entry's bytes are: given, in a file, or an entry of a nested archive. */
type ContentRef = { kind: "data"; data: Buffer } | { kind: "file"; path: string } | { kind: "inner"; source: ArchiveSource; entry: ArchiveEntry };

/** An asset tree's entries as they are listed, with where each one's bytes are and what could not be read. */
interface AssetListing {
    label: string;
    entries: ArchiveEntry[];
    contents: Map<ArchiveEntry, ContentRef>;
    problems: string[];
    notInspected: string[];
    /** The nested archives, open until the source is closed. */
    children: ArchiveSource[];
}

/**
 * Lists an asset tree the way Pulumi packs it: assets become files at their
 * key, and archives nested at a key are expanded under that key as a folder.
 */
export function assetTreeSource(tree: Record<string, AssetNode>, label: string): ArchiveSource {
    const listing: AssetListing = { label, entries: [], contents: new Map(), problems: [], notInspected: [], children: [] };
    for (const key of Object.keys(tree).sort()) addAsset(listing, joinKey("", key), tree[key]);
    return listedSource(listing);
}

function addAsset(listing: AssetListing, name: string, node: AssetNode): void {
    switch (node.kind) {
        case "bytes": {
            const e: ArchiveEntry = { name, isDirectory: false, size: node.data.length };
            listing.entries.push(e);
            listing.contents.set(e, { kind: "data", data: node.data });
            return;
        }
        case "file":
            addFileAsset(listing, name, node.path);
            return;
        case "remote":
            listing.notInspected.push(`${name || listing.label}: remote ${node.uri}`);
            return;
        case "assets":
            for (const key of Object.keys(node.entries).sort()) addAsset(listing, joinKey(name, key), node.entries[key]);
            return;
        case "archive":
            addNestedArchive(listing, name, node.path);
            return;
    }
}

function addFileAsset(listing: AssetListing, name: string, file: string): void {
    let st: fs.Stats;
    try {
        st = fs.statSync(file);
    } catch {
        listing.notInspected.push(`${name}: file ${file} not found`);
        return;
    }
    const e: ArchiveEntry = { name, isDirectory: false, size: st.size, mode: st.mode };
    listing.entries.push(e);
    listing.contents.set(e, { kind: "file", path: file });
}

/** A FileArchive (a folder or a .zip) at `name`: its entries under that key, its problems as the tree's. */
function addNestedArchive(listing: AssetListing, name: string, archive: string): void {
    let child: ArchiveSource;
    try {
        child = fs.statSync(archive).isDirectory() ? folderSource(archive) : zipFileSource(archive);
    } catch (err) {
        if (err instanceof ZipFormatError) listing.problems.push(`${name || archive}: ${err.message}`);
        else listing.notInspected.push(`${name || archive}: archive ${archive} not found`);
        return;
    }
    listing.children.push(child);
    listing.problems.push(...child.problems);
    listing.notInspected.push(...child.notInspected);
    for (const inner of child.entries) {
        const e: ArchiveEntry = { ...inner, name: joinKey(name, inner.name) };
        listing.entries.push(e);
        listing.contents.set(e, { kind: "inner", source: child, entry: inner });
    }
}

/** The listed tree as an ArchiveSource: reads go to the bytes, the file or the nested archive an entry came from. */
function listedSource({ label, entries, contents, problems, notInspected, children }: AssetListing): ArchiveSource {
    const whole = (ref: ContentRef): Buffer => (ref.kind === "data" ? ref.data : fs.readFileSync((ref as { path: string }).path));
    const damaged = new Set<ArchiveEntry>();
    return {
        format: "assets",
        label,
        entries,
        problems,
        notInspected,
        damaged,
        async verifyData() {
            for (const child of children) {
                if (!child.verifyData) continue;
                const before = child.problems.length;
                await child.verifyData();
                problems.push(...child.problems.slice(before).map((p) => `${child.label}: ${p}`));
            }
            for (const [e, ref] of contents) if (ref.kind === "inner" && ref.source.damaged?.has(ref.entry)) damaged.add(e);
        },
        readPrefix(e, n) {
            const ref = contents.get(e)!;
            return ref.kind === "inner" ? ref.source.readPrefix(ref.entry, n) : whole(ref).subarray(0, n);
        },
        readAll(e, max) {
            const ref = contents.get(e)!;
            if (ref.kind === "inner") return ref.source.readAll(ref.entry, max);
            return e.size > max ? undefined : whole(ref);
        },
        close: () => children.forEach((c) => c.close()),
    };
}

/**
 * An asset's path in the archive Pulumi makes: the engine joins keys with
 * Go's path.Join, so "." and empty segments vanish (`AssetArchive({".":
 * FileArchive(dir)})` puts dir's files at the root). ".." is kept for the
 * safety rule to see; a trailing "/" (a folder entry) is kept.
 */
function joinKey(parent: string, key: string): string {
    const joined = parent ? `${parent}/${key}` : key;
    const folder = joined.endsWith("/");
    const cleaned = joined
        .split("/")
        .filter((seg) => seg !== "" && seg !== ".")
        .join("/");
    const absolute = joined.startsWith("/") ? "/" : "";
    return absolute + cleaned + (folder && cleaned ? "/" : "");
}
