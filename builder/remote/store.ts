// The few S3 calls the remote cache makes (GET, PUT), through the AWS SDK for
// JavaScript v3, loaded on first use only: a build without a remote cache
// never loads it. Credentials and endpoints come the usual AWS way (the SDK's
// default chain: environment, profiles and SSO, web identity — GitHub's OIDC
// —, ECS and EC2 instance roles; AWS_ENDPOINT_URL_S3 for an S3-compatible
// store). Every request is bounded: a connect timeout, an idle timeout while
// bytes flow, and a deadline of its own (for a blob, longer the larger it is),
// so a store that accepts connections but never answers, or answers a byte
// at a time, costs at most that long.
import * as crypto from "crypto";
import * as fs from "fs";
import { Readable, Transform } from "stream";
import { pipeline } from "stream/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { RemoteCacheConfig, transferAllowanceMs } from "./config";

/** The size of a blob being moved and the time its size allows (transferAllowanceMs). */
interface TransferBound {
    bytes: number;
    ms: number;
}

type Sdk = typeof import("@aws-sdk/client-s3");

/** Why a request failed, as far as the cache cares. */
export type StoreFailure =
    /** The store cannot be reached or answered too late, or the credentials could not be found: stop asking it. */
    | "unreachable"
    /** The credentials were refused (403) or the bucket does not exist: stop asking it. */
    | "refused"
    /** A read answered 403: S3's answer for a missing object when the credentials may not list the bucket, or no read access. */
    | "denied"
    /** This object could not be read or written (a 5xx, a reset): try others. */
    | "failed";

export class StoreError extends Error {
    constructor(
        readonly failure: StoreFailure,
        message: string,
    ) {
        super(message);
    }
}

export class S3Store {
    private client?: Promise<{ sdk: Sdk; client: S3Client }>;

    constructor(readonly config: RemoteCacheConfig) {}

    /** The object's key under the configured prefix. */
    key(rel: string): string {
        return this.config.prefix ? `${this.config.prefix}/${rel}` : rel;
    }

    /** A small object's bytes (a record), undefined when there is none; more than maxBytes is a failure. */
    async getSmall(rel: string, maxBytes: number, deadline: AbortSignal): Promise<Buffer | undefined> {
        const chunks: Buffer[] = [];
        let total = 0;
        const got = await this.get(rel, deadline, undefined, async (body) => {
            for await (const chunk of body as AsyncIterable<Buffer>) {
                total += chunk.length;
                if (total > maxBytes) throw new StoreError("failed", `${this.where(rel)} is larger than the ${maxBytes} bytes a record can be`);
                chunks.push(chunk);
            }
        });
        return got ? Buffer.concat(chunks) : undefined;
    }

    /**
     * Streams a blob of `maxBytes` (its record's size) into `file`, hashing it
     * on the way; undefined when there is none. Ended at the build's
     * `deadline`, and once it has taken longer than a blob of its size may
     * (transferAllowanceMs).
     */
    async download(rel: string, file: string, maxBytes: number, deadline: AbortSignal): Promise<{ sha256: string; bytes: number } | undefined> {
        const hash = crypto.createHash("sha256");
        let bytes = 0;
        const allowance = transferAllowanceMs(this.config, maxBytes);
        const bounded = AbortSignal.any([deadline, AbortSignal.timeout(allowance)]);
        const got = await this.get(rel, bounded, { bytes: maxBytes, ms: allowance }, async (body) => {
            const count = new Transform({
                transform: (chunk: Buffer, _enc, done) => {
                    bytes += chunk.length;
                    if (bytes > maxBytes) return done(new StoreError("failed", `${this.where(rel)} is larger than the ${maxBytes} bytes its record declares`));
                    hash.update(chunk);
                    done(null, chunk);
                },
            });
            await pipeline(body, count, fs.createWriteStream(file, { mode: 0o644 }));
        });
        return got ? { sha256: hash.digest("hex"), bytes } : undefined;
    }

    /** Writes an object (S3 makes a PUT visible whole or not at all), within the time an object of its size may take (transferAllowanceMs). */
    async put(rel: string, body: Buffer | { file: string; bytes: number }, deadline: AbortSignal): Promise<void> {
        const { sdk, client } = await this.connect();
        const Body = Buffer.isBuffer(body) ? body : fs.createReadStream(body.file);
        const ContentLength = Buffer.isBuffer(body) ? body.length : body.bytes;
        const allowance = transferAllowanceMs(this.config, ContentLength);
        const ownBound = AbortSignal.timeout(allowance);
        try {
            await client.send(new sdk.PutObjectCommand({ Bucket: this.config.bucket, Key: this.key(rel), Body, ContentLength }), { abortSignal: AbortSignal.any([deadline, ownBound]) });
        } catch (e) {
            if (ownBound.aborted && !deadline.aborted) throw new StoreError("unreachable", this.tooSlow("writing", rel, { bytes: ContentLength, ms: allowance }));
            throw this.failure(e, rel, deadline, true);
        } finally {
            if (!Buffer.isBuffer(Body)) Body.destroy();
        }
    }

    /** s3://bucket/prefix/rel, for messages. */
    where(rel: string): string {
        return `s3://${this.config.bucket}/${this.key(rel)}`;
    }

    /** `bound`: the size and time the deadline's own timeout allows this object (a blob), for the message when it ends it. */
    private async get(rel: string, deadline: AbortSignal, bound: TransferBound | undefined, read: (body: Readable) => Promise<void>): Promise<boolean> {
        const { sdk, client } = await this.connect();
        let answered = false;
        try {
            const r = await client.send(new sdk.GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(rel) }), { abortSignal: deadline });
            answered = true;
            const body = r.Body as Readable;
            try {
                // The SDK's deadline covers the request; a body that stops flowing is ended by the socket's idle timeout, and this one ends it at the deadline.
                const stop = () => body.destroy(new StoreError("unreachable", this.tooLong(rel, deadline, bound)));
                deadline.addEventListener("abort", stop, { once: true });
                try {
                    await read(body);
                } finally {
                    deadline.removeEventListener("abort", stop);
                }
            } finally {
                body.destroy();
            }
            return true;
        } catch (e) {
            const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
            if (err?.name === "NoSuchKey" || err?.name === "NotFound" || err?.$metadata?.httpStatusCode === 404) {
                if (err.name === "NoSuchBucket") throw this.failure(e, rel, deadline);
                return false;
            }
            throw this.failure(e, rel, deadline, false, answered);
        }
    }

    /** Why a body still coming was ended: its request's own bound, or the time a build may spend on the remote in all. */
    private tooLong(rel: string, deadline: AbortSignal, bound: TransferBound | undefined): string {
        const { timeoutMs, budgetMs } = this.config;
        if ((deadline.reason as Error | undefined)?.name === "TimeoutError") return bound ? this.tooSlow("reading", rel, bound) : `reading ${this.where(rel)} took longer than one request may (${REMOTE_TIMEOUT_HINT})`;
        return `reading ${this.where(rel)} was still going when this build had spent the ${budgetMs / 1000} s it may spend on the remote cache (${budgetMs / timeoutMs} times the timeout; ${REMOTE_TIMEOUT_HINT})`;
    }

    /** A transfer that trickled past the time its size allows. */
    private tooSlow(doing: "reading" | "writing", rel: string, bound: TransferBound): string {
        const s = this.config.timeoutMs / 1000;
        return `${doing} ${this.where(rel)} (${bound.bytes} bytes) had not finished after ${bound.ms / 1000} s, the time a transfer of its size may take (twice the ${s} s timeout and a second, plus ${s} s per 10 MB): a remote this slow costs more than it spares (${REMOTE_TIMEOUT_HINT})`;
    }

    /** The SDK's error as a StoreError whose kind says whether to keep asking the store. */
    private failure(e: unknown, rel: string, deadline: AbortSignal, writing = false, answered = false): StoreError {
        if (e instanceof StoreError) return e;
        const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
        const status = err?.$metadata?.httpStatusCode;
        const what = `${err?.name && err.name !== "Error" ? `${err.name}: ` : ""}${(err?.message ?? String(e)).split("\n")[0]}`;
        if (deadline.aborted || err?.name === "AbortError" || err?.name === "TimeoutError" || /timeout|timed out/i.test(what)) {
            // The answer began, then its bytes stopped coming (a stalled link, an overloaded server).
            if (answered) return new StoreError("unreachable", `the answer from ${this.where(rel)} stopped before it was complete and sent nothing more for ${this.config.timeoutMs / 1000} s (${REMOTE_TIMEOUT_HINT})`);
            return new StoreError("unreachable", `no answer from ${this.where(rel)} within ${this.config.timeoutMs / 1000} s (${REMOTE_TIMEOUT_HINT})`);
        }
        if (err?.name === "CredentialsProviderError" || /credential/i.test(err?.name ?? "")) return new StoreError("unreachable", `no AWS credentials found for ${this.where(rel)} (${what})`);
        if (status === 403 && !writing && err?.name !== "InvalidAccessKeyId" && err?.name !== "SignatureDoesNotMatch") return new StoreError("denied", `${this.where(rel)}: ${what}`);
        if (status === 403 || status === 401 || err?.name === "AccessDenied" || err?.name === "NoSuchBucket" || err?.name === "InvalidAccessKeyId" || err?.name === "SignatureDoesNotMatch") {
            return new StoreError("refused", `${this.where(rel)}: ${what}`);
        }
        // Reached, then cut off mid-answer (a dropped connection, a restarted server): not "cannot reach".
        if (["ECONNRESET", "EPIPE", "ERR_STREAM_PREMATURE_CLOSE"].includes(err?.code ?? "") || /^aborted$|premature close|socket hang up/i.test(err?.message ?? "")) {
            return new StoreError("unreachable", `the connection to ${this.where(rel)} dropped before its answer was complete (${what})`);
        }
        if (status === undefined || ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"].includes(err?.code ?? "")) {
            return new StoreError("unreachable", `cannot reach ${this.where(rel)} (${what})`);
        }
        return new StoreError("failed", `${this.where(rel)}: ${what} (HTTP ${status})`);
    }

    private connect(): Promise<{ sdk: Sdk; client: S3Client }> {
        this.client ??= (async () => {
            const sdk = await import("@aws-sdk/client-s3");
            const t = this.config.timeoutMs;
            // An endpoint of its own (MinIO, Ceph, moto, R2…) is addressed by path: bucket names as host names need DNS it rarely has.
            const customEndpoint = !!(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
            const base = {
                requestHandler: { connectionTimeout: t, socketTimeout: t },
                // The SDK's own console lines ("non-retryable streaming request"): the cache says what matters, once.
                logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
                maxAttempts: 2,
                forcePathStyle: customEndpoint,
                followRegionRedirects: true,
                // The cache checks every object against its own sha256; the SDK's newer default checksums are not understood by every S3-compatible store.
                requestChecksumCalculation: "WHEN_REQUIRED" as const,
                responseChecksumValidation: "WHEN_REQUIRED" as const,
            };
            // The region from the usual places (AWS_REGION, the profile); a bucket needs one to sign, and any will do for a
            // first request: S3 answers with the bucket's own, which the client follows.
            let region: string;
            const probe = new sdk.S3Client(base);
            try {
                region = await probe.config.region();
            } catch {
                region = process.env.AWS_DEFAULT_REGION || "us-east-1";
            } finally {
                probe.destroy();
            }
            return { sdk, client: new sdk.S3Client({ ...base, region }) };
        })();
        return this.client;
    }

    close(): void {
        void this.client?.then(({ client }) => client.destroy()).catch(() => undefined);
        this.client = undefined;
    }
}

export const REMOTE_TIMEOUT_HINT = "LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT sets the seconds";
