// A real S3 API for the remote cache's tests and bench: moto's server (PyPI,
// pinned with everything it runs on in test/fixtures/project-tools/
// moto-5.2.6.txt), installed into the tools folder on first use like the
// other test tools, started on a free port of 127.0.0.1 in a process of its
// own. Also the ways a remote fails: a server that accepts connections and
// never answers, a port nobody listens on, and a proxy in front of moto that
// drops connections halfway through a body or answers 500.
import { ChildProcess, spawn } from "child_process";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { projectTool } from "./project-tools";

const LAUNCH = `
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # until the test closes our stdin (or dies)
server.stop()
`;

/** Credentials and endpoint the SDK reads from the environment; moto accepts any keys. */
export function s3Env(endpoint: string): NodeJS.ProcessEnv {
    return { AWS_ENDPOINT_URL_S3: endpoint, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" };
}

export interface S3Server {
    endpoint: string;
    /** The environment a build needs to use it (endpoint, credentials, region). */
    env: NodeJS.ProcessEnv;
    createBucket(name: string): Promise<void>;
    /** Keys and sizes under a prefix. */
    list(bucket: string, prefix?: string): Promise<{ key: string; size: number }[]>;
    get(bucket: string, key: string): Promise<Buffer>;
    put(bucket: string, key: string, body: Buffer): Promise<void>;
    stop(): void;
}

/** Starts moto's S3 server (installing moto on first use). */
export async function startS3Server(): Promise<S3Server> {
    const bin = projectTool("moto-5.2.6");
    const child: ChildProcess = spawn(path.join(bin, "python"), ["-c", LAUNCH], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d) => {
            out += d;
            const m = /^(\d+)\n/.exec(out);
            if (m) resolve(Number(m[1]));
        });
        child.once("exit", (code) => reject(new Error(`moto's server exited (${code}) before listening:\n${stderr}`)));
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const env = s3Env(endpoint);
    const sdk = await import("@aws-sdk/client-s3");
    const client = new sdk.S3Client({ endpoint, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
    return {
        endpoint,
        env,
        async createBucket(name) {
            await client.send(new sdk.CreateBucketCommand({ Bucket: name }));
        },
        async list(bucket, prefix) {
            const r = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
            return (r.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0 }));
        },
        async get(bucket, key) {
            const r = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
            return Buffer.from(await r.Body!.transformToByteArray());
        },
        async put(bucket, key, body) {
            await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
        },
        stop() {
            client.destroy();
            child.stdin!.end();
            child.kill();
        },
    };
}

/** A server that accepts every connection and never answers: a remote that hangs. */
export async function startSilentServer(): Promise<{ endpoint: string; stop(): void }> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        stop() {
            for (const s of sockets) s.destroy();
            server.close();
        },
    };
}

/** An address nobody listens on (a port bound, then released): a remote that is not there. */
export async function closedEndpoint(): Promise<string> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return `http://127.0.0.1:${port}`;
}

/**
 * What a faulty remote does to one request: cut its answer's body halfway (the connection dropped), stall halfway
 * (the connection kept open, nothing more sent), send it a byte at a time, 10 a second (never idle, never done),
 * take an upload's body a chunk every 20 ms and never answer ("sip": at most ~3.2 MB/s, 64 KB chunks), answer 500,
 * or refuse it (403).
 */
export type Fault = "cut" | "stall" | "trickle" | "sip" | "error" | "forbidden" | undefined;

const S3_ERRORS = {
    error: [500, "InternalError", "We encountered an internal error. Please try again."],
    forbidden: [403, "AccessDenied", "Access Denied"],
} as const;

/**
 * A proxy in front of `target` (moto) that breaks the requests `fault` picks:
 * a body cut off halfway and the connection dropped, as a network or a
 * restarted server does it, a body that stops halfway on a connection that
 * stays open (a stalled link, an overloaded server), a body that comes a
 * byte at a time and never ends (a link so slow that only the build's
 * budget ends it), S3's "InternalError" (500) for every try, or
 * its "AccessDenied" (403), as S3 answers a read of a missing key to
 * credentials that may not list the bucket, or a write they may not make.
 * The others are passed through; `faults` counts the broken ones.
 */
export async function startFaultyProxy(target: string, fault: (method: string, url: string) => Fault): Promise<{ endpoint: string; faults: () => number; stop(): void }> {
    let faults = 0;
    const server = http.createServer((req, res) => {
        const what = fault(req.method ?? "GET", req.url ?? "/");
        if (what === "sip") {
            faults++;
            // Each chunk read, then nothing for 20 ms: the sender is never idle long, and never done with a big body.
            // (With 100 ms pauses, loopback's large TCP buffers fill and the sender sees no progress for over 0.5 s.)
            req.on("data", () => {
                req.pause();
                setTimeout(() => req.resume(), 20);
            });
            return;
        }
        if (what === "error" || what === "forbidden") {
            faults++;
            req.resume();
            const [status, code, message] = S3_ERRORS[what];
            res.writeHead(status, { "content-type": "application/xml" });
            // A HEAD's answer has no body: the SDK reads the status alone, as it does from S3.
            res.end(req.method === "HEAD" ? undefined : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
            return;
        }
        const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
            const chunks: Buffer[] = [];
            answer.on("data", (c: Buffer) => chunks.push(c));
            answer.on("end", () => {
                const body = Buffer.concat(chunks);
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                if (what === "cut" && body.length > 1) {
                    faults++;
                    res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
                } else if (what === "stall" && body.length > 1) {
                    faults++;
                    res.write(body.subarray(0, body.length >> 1)); // and nothing more, until the client gives up or stop()
                } else if (what === "trickle" && body.length > 1) {
                    faults++;
                    let sent = 0;
                    const drip = setInterval(() => {
                        if (res.destroyed || sent === body.length) return clearInterval(drip);
                        res.write(body.subarray(sent, ++sent));
                    }, 100);
                    res.on("close", () => clearInterval(drip));
                } else res.end(body);
            });
        });
        upstream.on("error", () => res.destroy());
        req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        faults: () => faults,
        stop() {
            server.closeAllConnections();
            server.close();
        },
    };
}
