// The remote build cache: a bucket (and prefix) on S3 or any S3-compatible
// store that many machines share, consulted only when the local cache
// misses, under the same keys (see DESIGN.md, "A build cache shared by many
// machines"). Layout under the prefix:
//
//   blobs/<sha256>              content, named by its own sha256: an install packed as one zip, or a finished archive
//   installs/<install key>.json { remote, kind: "install", key, sha256, bytes, level, compressors }: which blob holds that install
//   archives/<build key>.json   { remote, kind: "archive", key, sha256, bytes }: which blob is that archive
//
// An install is packed at the archives' level by the archives' compressor
// (copying what this build's archive already holds), and kept beside the
// install where it is fetched: archives built from it copy its compressed
// bytes (pack-reuse.ts). So archives that hold installed dependencies are not
// shared themselves — assembling one from the pack costs less than
// downloading and checking it, and ten functions of one dependency set share
// one pack instead of ten archives; archives without (handler folders whose
// dependencies are in layers, layers of the team's own modules) are.
//
// A blob is written before the record that names it (each PUT is atomic), so
// a reader never finds a record whose content is missing. Everything read is
// checked before use (entries.ts) and whatever fails a check is built
// locally, reported with its key and bucket, and written again. A remote that
// cannot be reached, answers too slowly or refuses the credentials costs one
// warning and at most its timeouts: the build goes on with the local cache.
import * as fs from "fs";
import * as path from "path";
import { redactCredentials } from "../../shared/redact";
import { removeQuietly, tempPathFor, trackTemp } from "../../shared/atomic";
import { BuildCache, INSTALL_MANIFEST } from "../cache";
import type { InstalledFile } from "../install/installed-file";
import { DEFLATE_ENGINE } from "../deflate-pool";
import { timed } from "../timing";
import { ManifestEntry, PreviousArchive, reuseFrom } from "../zip-writer";
import { RemoteCacheConfig, transferAllowanceMs } from "./config";
import { BadEntryError, packInstall, PlannedEntry, unpackInstall, verifyArchive } from "./entries";
import { PACK_FILE, writePackIndex } from "./pack-reuse";
import { S3Store, StoreError } from "./store";

export { RemoteCacheConfig, remoteCacheConfig } from "./config";

/** The version of the records above: a reader ignores records of another (not an error: another release wrote them). */
const REMOTE_FORMAT = 1;
const MAX_RECORD_BYTES = 64 * 1024;
/** Lambda's own limit is 250 MB unzipped; a blob claiming more than this is not one of ours. */
const MAX_BLOB_BYTES = 1 << 30;
/** After the remote proved unreachable, a long-lived process (serve, the provider plugin) asks it again after this long. */
const RETRY_AFTER_MS = 5 * 60_000;
/** Blobs moving at once in this process (a preview builds dozens of archives together): more only queue at the store. */
const MAX_TRANSFERS = 4;

interface RemoteRecord {
    remote: number;
    kind: "install" | "archive";
    key: string;
    sha256: string;
    bytes: number;
    /** Installs: the level and compressor of the pack's entries. */
    level?: number;
    compressors?: string;
}

/** What this process knows about one remote cache, shared by all its builds. */
class RemoteState {
    readonly store: S3Store;
    /** Until when the remote is not asked (it was unreachable or refused us). */
    downUntil = 0;
    /** Uploads refused (read-only credentials): not tried again in this process. */
    uploadsOff: boolean;
    private readonly warned = new Set<string>();
    /** Installs being fetched by this process's builds, by key: builds that start together fetch each once. */
    readonly installFetches = new Map<string, Promise<boolean>>();
    /** Blobs and records this process wrote or is writing (builds that made the same install each store it): each is written once. */
    readonly written = new Map<string, Promise<void>>();
    private transfers = 0;
    private readonly waiting: (() => void)[] = [];

    constructor(readonly config: RemoteCacheConfig) {
        this.store = new S3Store(config);
        this.uploadsOff = config.readOnly;
    }

    /** One line on stderr, once per process for the same text, whatever --quiet says: a warning is not progress. */
    warn(message: string, once = message): void {
        if (this.warned.has(once)) return;
        this.warned.add(once);
        process.stderr.write(`lambda-python: warning: ${redactCredentials(message)}\n`);
    }

    /** Runs a blob transfer when one of MAX_TRANSFERS slots is free. */
    async transfer<T>(work: () => Promise<T>): Promise<T> {
        if (this.transfers >= MAX_TRANSFERS) await new Promise<void>((resolve) => this.waiting.push(resolve));
        this.transfers++;
        try {
            return await work();
        } finally {
            this.transfers--;
            this.waiting.shift()?.();
        }
    }
}

const states = new Map<string, RemoteState>();

/** Where one build stands with the remote: its budget of time, and the uploads it started (settle() waits for them). */
export class RemoteSession {
    private readonly pending = new Set<Promise<void>>();
    /** Installs made by this build, packed and uploaded once its archive is written (settle). */
    private readonly installsToStore: { key: string; installDir: string; files: InstalledFile[]; cache: BuildCache; level: number }[] = [];
    /** Archives this build wrote: their compressed entries are what an install's pack copies. */
    private readonly written: { zipPath: string; manifestPath: string }[] = [];
    /** The installs (their keys) and archives (theirs) this build took from the remote: BuildResult.cache says "remote". */
    private readonly fetched = { installs: new Set<string>(), archives: new Set<string>() };
    private readonly budget: AbortController;
    private readonly budgetTimer: NodeJS.Timeout;

    constructor(
        private readonly state: RemoteState,
        private readonly progress: (message: string) => void,
    ) {
        this.budget = new AbortController();
        this.budgetTimer = setTimeout(() => this.budget.abort(), state.config.budgetMs);
        this.budgetTimer.unref();
    }

    get url(): string {
        return this.state.config.url;
    }

    /**
     * Fetches the install stored under `key` and hands its checked folder to
     * `place` (which renames it into the local cache). Builds of this process
     * asking for the same install together share one fetch.
     */
    fetchInstall(key: string, cache: BuildCache, place: (dir: string) => void): Promise<void> {
        let fetching = this.state.installFetches.get(key);
        if (!fetching) {
            fetching = this.fetchInstallOnce(key, cache).then((dir) => {
                if (dir) place(dir);
                return dir !== undefined;
            });
            this.state.installFetches.set(key, fetching);
            void fetching.finally(() => this.state.installFetches.delete(key)).catch(() => undefined);
        }
        // Builds of this process that waited for the same fetch took their install from the remote too.
        return fetching.then((placed) => {
            if (placed) this.fetched.installs.add(key);
        });
    }

    /** Whether this build took the install `key` (installs/<key>) or the archive `key` from the remote cache. */
    tookFromRemote(kind: "installs" | "archives", key: string): boolean {
        return this.fetched[kind].has(key);
    }

    private async fetchInstallOnce(key: string, cache: BuildCache): Promise<string | undefined> {
        const record = await timed(`remote: record of install ${key}`, () => this.record("installs", key));
        if (!record) return undefined;
        const work = trackTemp(cache.makeTempDir("remote-install"));
        const pack = trackTemp(tempPathFor(path.join(cache.root, "tmp", `${key}.zip`)));
        try {
            if (!(await timed(`remote: download install ${key} (${record.bytes} bytes)`, () => this.blob(record, pack)))) {
                removeQuietly(work);
                return undefined;
            }
            const packed = await timed(`remote: check and unpack install ${key}`, () => this.checked(record, () => unpackInstall(pack, work)));
            // Kept with the install: archives built from it copy its compressed bytes (pack-reuse.ts).
            fs.renameSync(pack, path.join(work, PACK_FILE));
            writePackIndex(work, record.level ?? -1, record.compressors ?? "", packed);
            // An install whose lock names local projects records their folders on the machine that made it.
            const { record: made } = JSON.parse(fs.readFileSync(path.join(work, INSTALL_MANIFEST), "utf8"));
            if (made?.localProjects?.length) {
                removeQuietly(work);
                return undefined;
            }
            this.progress(`fetched the install ${key} from ${this.url}`);
            return work;
        } catch (e) {
            removeQuietly(work);
            if (e instanceof BadEntryError || e instanceof StoreError) return undefined;
            throw e;
        } finally {
            removeQuietly(pack);
        }
    }

    /** Uploads a finished install once this build's archive is written (settle), packed at the archive's level. */
    storeInstall(key: string, installDir: string, files: InstalledFile[], record: { localProjects: string[] }, cache: BuildCache, level: number): void {
        if (record.localProjects.length) return; // their folders are this machine's paths
        this.installsToStore.push({ key, installDir, files, cache, level });
    }

    /** An archive this build wrote (its compressed entries are copied into the packs of this build's installs). */
    noteArchive(zipPath: string, manifestPath: string): void {
        this.written.push({ zipPath, manifestPath });
    }

    private storeInstalls(): void {
        const previous: PreviousArchive[] = [];
        for (const w of this.written) {
            try {
                previous.push(new PreviousArchive(w.zipPath, JSON.parse(fs.readFileSync(w.manifestPath, "utf8")).manifest));
            } catch {
                // without it the pack is compressed from the files
            }
        }
        for (const { key, installDir, files, cache, level } of this.installsToStore.splice(0)) {
            // Builds of one process that each made this install (they started together) pack and send it once.
            this.upload((deadline) =>
                this.once(`pack/${key}`, async () => {
                    const work = trackTemp(cache.makeTempDir("remote-pack"));
                    try {
                        const pack = path.join(work, "pack.zip");
                        const { sha256, bytes } = await packInstall(installDir, files, pack, level, reuseFrom(...previous));
                        await this.putBlob(sha256, { file: pack, bytes }, deadline);
                        await this.putRecord({ remote: REMOTE_FORMAT, kind: "install", key, sha256, bytes, level, compressors: DEFLATE_ENGINE }, deadline);
                    } finally {
                        removeQuietly(work);
                    }
                }),
            ).finally(() => {
                for (const p of previous) p.close();
            });
        }
    }

    /**
     * The archive stored under `key`, downloaded next to its place in the
     * cache and checked against the build's plan: the temporary file and the
     * manifest made from it. Undefined: build it.
     */
    async fetchArchive(key: string, planned: readonly PlannedEntry[], cache: BuildCache): Promise<{ temp: string; manifest: ManifestEntry[]; sha256: string; bytes: number } | undefined> {
        const record = await timed(`remote: record of archive ${key}`, () => this.record("archives", key));
        if (!record) return undefined;
        fs.mkdirSync(path.dirname(cache.archivePath(key)), { recursive: true });
        const temp = trackTemp(tempPathFor(cache.archivePath(key)));
        try {
            if (!(await timed(`remote: download archive ${key} (${record.bytes} bytes)`, () => this.blob(record, temp)))) {
                removeQuietly(temp);
                return undefined;
            }
            const manifest = await timed(`remote: check archive ${key}`, () => this.checked(record, () => verifyArchive(temp, planned)));
            this.progress(`fetched the archive ${key} from ${this.url}`);
            this.fetched.archives.add(key);
            return { temp, manifest, sha256: record.sha256, bytes: record.bytes };
        } catch (e) {
            removeQuietly(temp);
            if (e instanceof BadEntryError || e instanceof StoreError) return undefined;
            throw e;
        }
    }

    /** Uploads a finished archive (in the background; settle() waits). */
    storeArchive(key: string, zipPath: string, sha256: string, bytes: number): void {
        this.upload(async (deadline) => {
            await this.putBlob(sha256, { file: zipPath, bytes }, deadline);
            await this.putRecord({ remote: REMOTE_FORMAT, kind: "archive", key, sha256, bytes }, deadline);
        });
    }

    /** Waits for this build's uploads (each bounded by the timeouts and the build's budget); never throws. */
    async settle(): Promise<void> {
        this.storeInstalls();
        if (this.pending.size)
            await timed("remote: wait for uploads", async () => {
                while (this.pending.size) await Promise.all([...this.pending]);
            });
        clearTimeout(this.budgetTimer);
    }

    /** The record stored under `key`, checked; undefined when there is none or it cannot be had. */
    private async record(kind: "installs" | "archives", key: string): Promise<RemoteRecord | undefined> {
        if (!this.usable()) return undefined;
        const rel = `${kind}/${key}.json`;
        let bytes: Buffer | undefined;
        try {
            // A record's own bound: what any small request may take (two attempts of the timeout, and a second).
            bytes = await this.state.store.getSmall(rel, MAX_RECORD_BYTES, this.deadline(transferAllowanceMs(this.state.config, 0)));
        } catch (e) {
            this.failed(e);
            return undefined;
        }
        if (!bytes) return undefined;
        let r: RemoteRecord;
        try {
            r = JSON.parse(bytes.toString("utf8"));
        } catch {
            this.bad(kind, key, "its record is not JSON");
            return undefined;
        }
        if (r?.remote !== REMOTE_FORMAT) return undefined; // another release's layout: a miss, not damage
        const kindOk = r.kind === (kind === "installs" ? "install" : "archive");
        const packOk = r.kind !== "install" || (Number.isInteger(r.level) && typeof r.compressors === "string");
        if (!kindOk || !packOk || r.key !== key || typeof r.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(r.sha256) || !Number.isSafeInteger(r.bytes) || r.bytes <= 0 || r.bytes > MAX_BLOB_BYTES) {
            this.bad(kind, key, "its record does not describe it (kind, key, sha256 or size)");
            return undefined;
        }
        return r;
    }

    /** Downloads the record's blob into `file` and checks its size and sha256; false: not there, or not usable. */
    private async blob(record: RemoteRecord, file: string): Promise<boolean> {
        if (!this.usable()) return false;
        const kind = record.kind === "install" ? "installs" : "archives";
        let got: { sha256: string; bytes: number } | undefined;
        try {
            got = await this.state.transfer(() => this.state.store.download(`blobs/${record.sha256}`, file, record.bytes, this.deadline()));
        } catch (e) {
            if (e instanceof StoreError && e.failure === "failed" && /larger than/.test(e.message)) this.bad(kind, record.key, e.message);
            else this.failed(e);
            return false;
        }
        if (!got) {
            this.bad(kind, record.key, `its record names blobs/${record.sha256}, which is not there`);
            return false;
        }
        if (got.bytes !== record.bytes || got.sha256 !== record.sha256) {
            this.bad(kind, record.key, `blobs/${record.sha256} holds ${got.bytes} bytes with sha256 ${got.sha256}, not what its name and record say (truncated or replaced)`);
            return false;
        }
        return true;
    }

    /** Runs a check of downloaded content; a failure is reported as a bad entry (and rethrown for the caller to drop it). */
    private async checked<T>(record: RemoteRecord, check: () => Promise<T>): Promise<T> {
        try {
            return await check();
        } catch (e) {
            if (e instanceof BadEntryError) this.bad(record.kind === "install" ? "installs" : "archives", record.key, e.message);
            throw e;
        }
    }

    /** A blob, through a transfer slot, tried twice (a streamed body is not retried by the SDK); once per process. */
    private putBlob(sha256: string, body: { file: string; bytes: number }, deadline: AbortSignal): Promise<void> {
        return this.once(`blobs/${sha256}`, () =>
            this.state.transfer(async () => {
                try {
                    await this.state.store.put(`blobs/${sha256}`, body, deadline);
                } catch (e) {
                    if (!(e instanceof StoreError) || e.failure !== "failed" || deadline.aborted) throw e;
                    await this.state.store.put(`blobs/${sha256}`, body, deadline);
                }
            }),
        );
    }

    private putRecord(record: RemoteRecord, deadline: AbortSignal): Promise<void> {
        const rel = `${record.kind}s/${record.key}.json`;
        return this.once(`${rel}\0${record.sha256}`, () => this.state.store.put(rel, Buffer.from(JSON.stringify(record)), deadline));
    }

    /** Runs a write once per process; a failed one may be tried again by a later build. */
    private once(id: string, write: () => Promise<void>): Promise<void> {
        let p = this.state.written.get(id);
        if (!p) {
            p = write();
            this.state.written.set(id, p);
            p.catch(() => this.state.written.delete(id));
        }
        return p;
    }

    private upload(work: (deadline: AbortSignal) => Promise<void>): Promise<void> {
        if (this.state.uploadsOff || !this.usable()) return Promise.resolve();
        const p: Promise<void> = work(this.deadline())
            .catch((e) => {
                if (e instanceof StoreError && e.failure === "refused") {
                    this.state.uploadsOff = true;
                    this.state.warn(`remote cache ${this.url}: uploads refused, so this process stops uploading (${e.message}). Builds still fetch from it; set LAMBDA_PYTHON_REMOTE_CACHE_READ_ONLY=1 where only reading is meant.`, "uploads refused");
                } else if (e instanceof StoreError) this.failed(e);
                else this.state.warn(`remote cache ${this.url}: an upload failed: ${(e as Error)?.message ?? e}`, "upload failed");
            })
            .finally(() => this.pending.delete(p));
        this.pending.add(p);
        return p;
    }

    /** Whether to ask the remote now: not while it is known down, nor past this build's budget. */
    private usable(): boolean {
        if (Date.now() < this.state.downUntil) return false;
        if (this.budget.signal.aborted) {
            this.state.warn(`remote cache ${this.url}: a build spent its ${this.state.config.budgetMs / 1000} s on the remote cache; the rest is built locally.`, "budget");
            return false;
        }
        return true;
    }

    /** A request's deadline: its own bound (records), and in any case the build's budget. */
    private deadline(ms?: number): AbortSignal {
        return ms === undefined ? this.budget.signal : AbortSignal.any([this.budget.signal, AbortSignal.timeout(ms)]);
    }

    private failed(e: unknown): void {
        if (!(e instanceof StoreError)) throw e;
        if (e.failure === "denied") {
            this.state.warn(
                `remote cache ${this.url}: a read was refused (${e.message}). S3 answers so for a missing object when the credentials may not list the bucket: grant s3:ListBucket on it (prefix ${this.state.config.prefix || "any"}) so that misses are told from refusals, or s3:GetObject if it was a refusal. Such entries are built locally.`,
                "denied",
            );
            return;
        }
        if (e.failure === "failed") {
            // One line for all: a store in trouble fails many requests at once.
            this.state.warn(`remote cache ${this.url}: a request failed (${e.message}); what it was for is built locally.`, "failed");
            return;
        }
        this.state.downUntil = Date.now() + RETRY_AFTER_MS;
        // The builds running together each find it down: one line for all of them.
        this.state.warn(`remote cache ${this.url} not used: ${e.message}. Building with the local cache only.`, "down");
    }

    /** A remote entry that failed a check: never used, reported, and overwritten by this build's own upload. */
    private bad(kind: "installs" | "archives", key: string, why: string): void {
        this.state.warn(`remote cache ${this.url}: the ${kind === "installs" ? "install" : "archive"} ${key} (${kind}/${key}.json in bucket ${this.state.config.bucket}) is broken or was tampered with: ${why}. Building it locally instead.`);
    }
}

/** A session on the remote cache for one build. */
export function remoteSession(config: RemoteCacheConfig, progress: (message: string) => void): RemoteSession {
    const id = `${config.url}\0${process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? ""}\0${config.readOnly}\0${config.timeoutMs}`;
    let state = states.get(id);
    if (!state) {
        state = new RemoteState(config);
        states.set(id, state);
    }
    return new RemoteSession(state, progress);
}
