// Where the remote build cache is, from --remote-cache or LAMBDA_PYTHON_REMOTE_CACHE,
// and its bounds: every mistake in them is one paragraph naming the option.
import { UserError } from "../../shared/errors";

export interface RemoteCacheConfig {
    /** As the user wrote it, normalised: s3://bucket/prefix (for messages). */
    url: string;
    bucket: string;
    /** "" or "team/lambda" (no slashes at either end). */
    prefix: string;
    /** Fetch only: never upload (LAMBDA_PYTHON_REMOTE_CACHE_READ_ONLY=1, e.g. for pull requests from forks). */
    readOnly: boolean;
    /** Connect and idle (no byte received or sent) timeout of one request, in ms. */
    timeoutMs: number;
    /** At most this long spent waiting on the remote in one build, in ms; then the build goes on locally. */
    budgetMs: number;
}

export const REMOTE_CACHE_ENV = "LAMBDA_PYTHON_REMOTE_CACHE";
export const REMOTE_TIMEOUT_ENV = "LAMBDA_PYTHON_REMOTE_CACHE_TIMEOUT";
export const REMOTE_READ_ONLY_ENV = "LAMBDA_PYTHON_REMOTE_CACHE_READ_ONLY";
const DEFAULT_TIMEOUT_S = 10;
/** A build waits on the remote at most this many timeouts in all (downloads included), then builds locally. */
const BUDGET_TIMEOUTS = 30;
/** A blob moving at less than this many bytes per second of the timeout is given up: see transferAllowanceMs. */
const BYTES_PER_TIMEOUT = 10 * 1024 * 1024;
/** S3's bucket names, and those of the S3-compatible stores (MinIO, Ceph, R2, GCS's XML API) within them. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The remote cache in force: `given` (the option) when set, else the
 * environment's. Undefined when neither names one ("" and "off" turn an
 * inherited setting off).
 */
export function remoteCacheConfig(given: string | undefined, env: NodeJS.ProcessEnv = process.env): RemoteCacheConfig | undefined {
    const fromOption = given !== undefined;
    const raw = (fromOption ? given : env[REMOTE_CACHE_ENV])?.trim();
    if (!raw || raw === "off" || raw === "none") return undefined;
    const where = fromOption ? "the remote cache (--remote-cache, remoteCache)" : `${REMOTE_CACHE_ENV}`;
    const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(raw);
    if (!m) throw new UserError(`${where} must be s3://BUCKET or s3://BUCKET/PREFIX (an S3 bucket, or a bucket of an S3-compatible store named by AWS_ENDPOINT_URL_S3); got "${raw}".`);
    const bucket = m[1];
    if (!BUCKET.test(bucket) || bucket.includes("..")) throw new UserError(`${where}: "${bucket}" is not a bucket name (3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit).`);
    const prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
    if (prefix !== "" && prefix.split("/").some((s) => s === "" || s === "." || s === "..")) throw new UserError(`${where}: the prefix "${prefix}" has an empty, "." or ".." part; write it as s3://${bucket}/team/lambda.`);
    const timeoutText = env[REMOTE_TIMEOUT_ENV]?.trim();
    let timeoutS = DEFAULT_TIMEOUT_S;
    if (timeoutText) {
        timeoutS = Number(timeoutText);
        if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 3600) throw new UserError(`${REMOTE_TIMEOUT_ENV} must be a number of seconds (more than 0, at most 3600); got "${timeoutText}".`);
    }
    const readOnly = /^(1|true|yes|on)$/i.test(env[REMOTE_READ_ONLY_ENV]?.trim() ?? "");
    const timeoutMs = Math.round(timeoutS * 1000);
    return { url: `s3://${bucket}${prefix ? `/${prefix}` : ""}`, bucket, prefix, readOnly, timeoutMs, budgetMs: timeoutMs * BUDGET_TIMEOUTS };
}

/**
 * How long one blob of `bytes` may take to move: what a small request may
 * (two attempts of the timeout, and a second to spare), plus the timeout
 * again for every 10 MB (at the default 10 s, about 1 MB/s). The idle timeout
 * ends a link that stops; this ends one that trickles, which would otherwise
 * hold the build for its whole budget, slower than building here.
 */
export function transferAllowanceMs(config: Pick<RemoteCacheConfig, "timeoutMs">, bytes: number): number {
    return Math.round(2 * config.timeoutMs + 1000 + (config.timeoutMs * bytes) / BYTES_PER_TIMEOUT);
}
