// Finding and opening a Lambda resource's code, however the program gave it:
// a zip or folder FileArchive, an AssetArchive (possibly nested), a
// RemoteArchive, or S3 coordinates. Code that cannot be looked at is said to
// be so, with the reason, and never treated as passing.
//
// Quirks handled here (see ../shared DESIGN notes):
// - @pulumi/policy wraps props in a proxy that throws on unknowns; awaiting
//   the archive's `path` promise through it fails ("Promise.prototype.then
//   called on incompatible receiver"), so the proxy target is unwrapped.
// - During preview, values can be unknown: the engine sends sentinel strings.
// - Pulumi CLI 3.249-3.250 sent path archives as an empty `assets` map
//   (pulumi/pulumi#23707): an empty AssetArchive is "cannot inspect".
// - A policy pack runs in its own folder, so a relative path is tried against
//   the `programDir` config, LAMBDA_PYTHON_PROGRAM_DIR, the shell's PWD (the
//   directory `pulumi preview` was run from) and the pack's own folder.
import * as fs from "fs";
import * as path from "path";
import { InspectedArchive, inspectPath, inspectPathVerified, inspectSource } from "../inspect";
import { AssetNode, assetTreeSource } from "../inspect/source";

export type CodeResolution = { kind: "archive"; archive: InspectedArchive } | { kind: "not-inspected"; reason: string } | { kind: "none" };

/** Sentinels the engine sends for values unknown during preview. */
const UNKNOWNS = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

export function isUnknown(value: unknown): boolean {
    return typeof value === "string" && UNKNOWNS.has(value);
}

/** The plain object behind @pulumi/policy's unknown-checking proxy (or the value itself). */
export function unwrap<T>(value: T): T {
    if (value && typeof value === "object") {
        const target = (value as { __getSpecialProxyTarget?: T }).__getSpecialProxyTarget;
        if (target && target !== value) return target;
    }
    return value;
}

/** A property of resource props, without tripping the proxy on unknowns. */
export function prop(props: unknown, name: string): unknown {
    const raw = unwrap(props) as Record<string, unknown> | undefined;
    return raw ? unwrap(raw[name]) : undefined;
}

export function knownString(value: unknown): string | undefined {
    return typeof value === "string" && !isUnknown(value) ? value : undefined;
}

/** An array property, with unknown elements kept as undefined; undefined if the whole array is unknown. */
export function knownArray(value: unknown): (string | undefined)[] | undefined {
    const v = unwrap(value);
    if (!Array.isArray(v)) return undefined;
    return v.map((x) => knownString(unwrap(x)));
}

export interface ResolveOptions {
    programDir?: string;
}

// Every archive policy asks for the same archives (and a stack of hundreds of functions has hundreds),
// so the cache is bounded by the entries it holds, not by a count of archives.
const cache = new Map<string, InspectedArchive>();
const pending = new Map<string, Promise<InspectedArchive>>();
const CACHE_ENTRY_LIMIT = 1_000_000;
let cachedEntries = 0;

/** Opens a Function's or LayerVersion's code for inspection. */
export async function resolveCode(props: unknown, options: ResolveOptions = {}): Promise<CodeResolution> {
    const code = prop(props, "code");
    if (code === undefined || code === null) {
        if (prop(props, "packageType") === "Image") return { kind: "none" };
        const bucket = prop(props, "s3Bucket");
        if (bucket !== undefined) {
            const key = prop(props, "s3Key");
            const where = isUnknown(bucket) || isUnknown(key) ? "an S3 object (not known during preview)" : `s3://${bucket}/${key}`;
            return { kind: "not-inspected", reason: `the code is in ${where}, which policies cannot read` };
        }
        if (prop(props, "imageUri") !== undefined) return { kind: "none" };
        return { kind: "not-inspected", reason: "the resource has no code property" };
    }
    if (isUnknown(code)) return { kind: "not-inspected", reason: "the code archive is not known during preview; it is checked when the update runs" };
    try {
        return await resolveArchiveValue(code, options);
    } catch (e) {
        if (e instanceof NotInspectable) return { kind: "not-inspected", reason: e.message };
        throw e;
    }
}

class NotInspectable extends Error {}

async function resolveArchiveValue(value: unknown, options: ResolveOptions): Promise<CodeResolution> {
    const archive = unwrap(value) as Record<string, unknown>;
    if ("uri" in archive) return { kind: "not-inspected", reason: `the code is a remote archive (${await settle(archive.uri)}), which policies do not download` };
    if ("path" in archive) {
        const p = locate(String(await settle(archive.path)), options);
        return { kind: "archive", archive: await inspectVerifiedCached(p) };
    }
    if ("assets" in archive) {
        const assets = (await settle(archive.assets)) as Record<string, unknown>;
        if (!assets || Object.keys(assets).length === 0) {
            throw new NotInspectable("the code arrived as an empty AssetArchive. Pulumi CLI 3.249-3.250 sends path archives this way (pulumi/pulumi#23707); upgrade the Pulumi CLI so the archive can be checked");
        }
        const tree = await assetTree(assets, options);
        const src = assetTreeSource(tree, "the asset archive");
        await src.verifyData?.();
        return { kind: "archive", archive: inspectSource(src) };
    }
    throw new NotInspectable("the code is not an archive this policy pack recognises");
}

async function assetTree(assets: Record<string, unknown>, options: ResolveOptions): Promise<Record<string, AssetNode>> {
    const out: Record<string, AssetNode> = {};
    for (const [name, raw] of Object.entries(assets)) {
        const a = unwrap(raw) as Record<string, unknown>;
        if (isUnknown(a)) throw new NotInspectable(`asset ${name} is not known during preview`);
        if (a.__pulumiArchive) {
            if ("assets" in a) out[name] = { kind: "assets", entries: await assetTree((await settle(a.assets)) as Record<string, unknown>, options) };
            else if ("path" in a) out[name] = { kind: "archive", path: locate(String(await settle(a.path)), options) };
            else out[name] = { kind: "remote", uri: String(await settle(a.uri)) };
        } else if ("text" in a) out[name] = { kind: "bytes", data: Buffer.from(String(await settle(a.text)), "utf8") };
        else if ("path" in a) out[name] = { kind: "file", path: locate(String(await settle(a.path)), options) };
        else out[name] = { kind: "remote", uri: String(await settle(a.uri)) };
    }
    return out;
}

/** Awaits a value that may be a promise seen through the proxy. */
async function settle(value: unknown): Promise<unknown> {
    const v = await Promise.resolve(unwrap(value));
    if (isUnknown(v)) throw new NotInspectable("part of the archive is not known during preview");
    return v;
}

function locate(p: string, options: ResolveOptions): string {
    if (path.isAbsolute(p)) {
        if (!fs.existsSync(p)) throw new NotInspectable(`the archive ${p} does not exist on this machine (if a build step makes it, run that before the preview)`);
        return p;
    }
    const bases = [options.programDir, process.env.LAMBDA_PYTHON_PROGRAM_DIR, process.env.PWD, process.cwd()].filter((b): b is string => !!b);
    for (const base of bases) {
        const candidate = path.resolve(base, p);
        if (fs.existsSync(candidate)) return candidate;
    }
    // Most often the archive is the output of a build that has not run yet; a pack started elsewhere is the other case.
    throw new NotInspectable(
        `the archive ${p} was not found (looked from ${[...new Set(bases)].join(", ")}). If a build step makes it (npm run build, a bundler, a zip script), run that before the preview; if it is in the Pulumi program's folder, set the policy's programDir config to that folder (a policy pack runs in its own folder)`,
    );
}

/**
 * Inspects a zip or folder once per (path, size, mtime), however many
 * policies ask (at once, too): the same verified inspection as
 * `lambda-python inspect` (every entry's data checked).
 */
export function inspectVerifiedCached(p: string): Promise<InspectedArchive> {
    const key = cacheKey(p);
    const hit = cache.get(key);
    if (hit) return Promise.resolve(hit);
    let inspecting = pending.get(key);
    if (!inspecting) {
        inspecting = inspectPathVerified(p).finally(() => pending.delete(key));
        pending.set(key, inspecting);
        inspecting.then((inspected) => remember(key, inspected)).catch(() => {});
    }
    return inspecting;
}

/** The cached inspection of a zip or folder, else one without verifying its data (for showing sizes). */
export function inspectCached(p: string): InspectedArchive {
    return cache.get(cacheKey(p)) ?? inspectPath(p);
}

function cacheKey(p: string): string {
    const st = fs.statSync(p);
    return `${p}\0${st.size}\0${st.mtimeMs}`;
}

function remember(key: string, inspected: InspectedArchive): void {
    const size = inspected.facts.entries + 1;
    while (cache.size && cachedEntries + size > CACHE_ENTRY_LIMIT) {
        const [oldest, old] = cache.entries().next().value!;
        cache.delete(oldest);
        cachedEntries -= old.facts.entries + 1;
    }
    cache.set(key, inspected);
    cachedEntries += size;
}
