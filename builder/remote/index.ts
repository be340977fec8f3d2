// The remote build cache: a bucket (and prefix) on S3 or any S3-compatible
// store that many machines share, consulted only when the local cache
// misses, under the same keys (see DESIGN.md, "A build cache shared by many
// machines"). Layout under the prefix:
//
//   blobs/<sha256>              content, named by its own sha256: an install packed as one zip, or a finished archive
//   installs/<install key>.json { remote, kind: "install", key, sha256, bytes }: which blob holds that install
//   archives/<build key>.json   { remote, kind: "archive", key, sha256, bytes }: which blob is that archive
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
import { removeQuietly, tempPathFor, trackTemp } from "../atomic";
import { BuildCache } from "../cache";
import type { InstalledFile } from "../install";
import { ManifestEntry } from "../zip-writer";
import { RemoteCacheConfig } from "./config";
import { BadEntryError, packInstall, PlannedEntry, unpackInstall, verifyArchive } from "./entries";
import { S3Store, StoreError } from "./store";

export { RemoteCacheConfig, remoteCacheConfig } from "./config";

/** The version of the records above: a reader ignores records of another (not an error: another release wrote them). */
const REMOTE_FORMAT = 1;
const MAX_RECORD_BYTES = 64 * 1024;
/** Lambda's own limit is 250 MB unzipped; a blob claiming more than this is not one of ours. */
const MAX_BLOB_BYTES = 1 << 30;
/** After the remote proved unreachable, a long-lived process (serve, the provider plugin) asks it again after this long. */
const RETRY_AFTER_MS = 5 * 60_000;

interface RemoteRecord {
    remote: number;
    kind: "install" | "archive";
    key: string;
    sha256: string;
    bytes: number;
}

/** What this process knows about one remote cache, shared by all its builds. */
class RemoteState {
    readonly store: S3Store;
    /** Until when the remote is not asked (it was unreachable or refused us). */
    downUntil = 0;
    /** Uploads refused (read-only credentials): not tried again in this process. */
    uploadsOff: boolean;
    private readonly warned = new Set<string>();

    constructor(readonly config: RemoteCacheConfig) {
        this.store = new S3Store(config);
        this.uploadsOff = config.readOnly;
    }

    /** One line on stderr, once per process for the same text, whatever --quiet says: a warning is not progress. */
    warn(message: string): void {
        if (this.warned.has(message)) return;
        this.warned.add(message);
        process.stderr.write(`lambda-python: warning: ${redactCredentials(message)}\n`);
    }
}

const states = new Map<string, RemoteState>();

/** Where one build stands with the remote: its budget of time, and the uploads it started (settle() waits for them). */
export class RemoteSession {
    private readonly pending = new Set<Promise<void>>();
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

    /** The folder (in the cache's tmp) holding the install stored under `key`, checked; undefined: build it. */
    async fetchInstall(key: string, cache: BuildCache): Promise<string | undefined> {
        const record = await this.record("installs", key);
        if (!record) return undefined;
        const work = trackTemp(cache.makeTempDir("remote-install"));
        const pack = trackTemp(tempPathFor(path.join(cache.root, "tmp", `${key}.zip`)));
        try {
            if (!(await this.blob(record, pack))) {
                removeQuietly(work);
                return undefined;
            }
            await this.checked(record, () => unpackInstall(pack, work));
            // An install whose lock names local projects records their folders on the machine that made it.
            const { record: made } = JSON.parse(fs.readFileSync(path.join(work, "manifest.json"), "utf8"));
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

    /** Uploads a finished install (in the background; settle() waits). */
    storeInstall(key: string, installDir: string, files: InstalledFile[], record: { localProjects: string[] }, cache: BuildCache): void {
        if (record.localProjects.length) return; // their folders are this machine's paths
        this.upload(async (deadline) => {
            const work = trackTemp(cache.makeTempDir("remote-pack"));
            try {
                const pack = path.join(work, "pack.zip");
                const { sha256, bytes } = await packInstall(installDir, files, pack);
                await this.state.store.put(`blobs/${sha256}`, { file: pack, bytes }, deadline);
                await this.putRecord({ remote: REMOTE_FORMAT, kind: "install", key, sha256, bytes }, deadline);
            } finally {
                removeQuietly(work);
            }
        });
    }

    /**
     * The archive stored under `key`, downloaded next to its place in the
     * cache and checked against the build's plan: the temporary file and the
     * manifest made from it. Undefined: build it.
     */
    async fetchArchive(key: string, planned: readonly PlannedEntry[], cache: BuildCache): Promise<{ temp: string; manifest: ManifestEntry[]; sha256: string; bytes: number } | undefined> {
        const record = await this.record("archives", key);
        if (!record) return undefined;
        fs.mkdirSync(path.dirname(cache.archivePath(key)), { recursive: true });
        const temp = trackTemp(tempPathFor(cache.archivePath(key)));
        try {
            if (!(await this.blob(record, temp))) {
                removeQuietly(temp);
                return undefined;
            }
            const manifest = await this.checked(record, () => verifyArchive(temp, planned));
            this.progress(`fetched the archive ${key} from ${this.url}`);
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
            await this.state.store.put(`blobs/${sha256}`, { file: zipPath, bytes }, deadline);
            await this.putRecord({ remote: REMOTE_FORMAT, kind: "archive", key, sha256, bytes }, deadline);
        });
    }

    /** Waits for this build's uploads (each bounded by the timeouts and the build's budget); never throws. */
    async settle(): Promise<void> {
        while (this.pending.size) await Promise.all([...this.pending]);
        clearTimeout(this.budgetTimer);
    }

    /** The record stored under `key`, checked; undefined when there is none or it cannot be had. */
    private async record(kind: "installs" | "archives", key: string): Promise<RemoteRecord | undefined> {
        if (!this.usable()) return undefined;
        const rel = `${kind}/${key}.json`;
        let bytes: Buffer | undefined;
        try {
            bytes = await this.state.store.getSmall(rel, MAX_RECORD_BYTES, this.deadline(this.requestMs()));
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
        if (!kindOk || r.key !== key || typeof r.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(r.sha256) || !Number.isSafeInteger(r.bytes) || r.bytes <= 0 || r.bytes > MAX_BLOB_BYTES) {
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
            got = await this.state.store.download(`blobs/${record.sha256}`, file, record.bytes, this.deadline());
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

    private async putRecord(record: RemoteRecord, deadline: AbortSignal): Promise<void> {
        await this.state.store.put(`${record.kind}s/${record.key}.json`, Buffer.from(JSON.stringify(record)), deadline);
    }

    private upload(work: (deadline: AbortSignal) => Promise<void>): void {
        if (this.state.uploadsOff || !this.usable()) return;
        const p: Promise<void> = work(this.deadline())
            .catch((e) => {
                if (e instanceof StoreError && e.failure === "refused") {
                    this.state.uploadsOff = true;
                    this.state.warn(`remote cache ${this.url}: uploads refused, so this process stops uploading (${e.message}). Builds still fetch from it; set ${"LAMBDA_PYTHON_REMOTE_CACHE_READ_ONLY"}=1 where only reading is meant.`);
                } else if (e instanceof StoreError) this.failed(e);
                else this.state.warn(`remote cache ${this.url}: an upload failed: ${(e as Error)?.message ?? e}`);
            })
            .finally(() => this.pending.delete(p));
        this.pending.add(p);
    }

    /** Whether to ask the remote now: not while it is known down, nor past this build's budget. */
    private usable(): boolean {
        if (Date.now() < this.state.downUntil) return false;
        if (this.budget.signal.aborted) {
            this.state.warn(`remote cache ${this.url}: this build spent its ${this.state.config.budgetMs / 1000} s on the remote cache; the rest is built locally.`);
            return false;
        }
        return true;
    }

    /** A request's deadline: its own bound (records), and in any case the build's budget. */
    private deadline(ms?: number): AbortSignal {
        return ms === undefined ? this.budget.signal : AbortSignal.any([this.budget.signal, AbortSignal.timeout(ms)]);
    }

    /** Two attempts of connect + idle timeout, and a second to spare. */
    private requestMs(): number {
        return 2 * this.state.config.timeoutMs + 1000;
    }

    private failed(e: unknown): void {
        if (!(e instanceof StoreError)) throw e;
        if (e.failure === "failed") {
            this.state.warn(`remote cache: ${e.message}; building locally.`);
            return;
        }
        this.state.downUntil = Date.now() + RETRY_AFTER_MS;
        this.state.warn(`remote cache ${this.url} not used: ${e.message}. Building with the local cache only.`);
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
