// The function's network, against real services: what a Lambda function
// reaches (the network, through this machine's routes) and what it must not
// (this machine's loopback services and abstract unix sockets, which belong
// to its network namespace). The runner runs each function in a network
// namespace of its own, connected by pasta (runner/network.ts).
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as dgram from "dgram";
import * as dns from "dns";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { FunctionSpec, startFunction, WarmFunction } from "../runner";
import { CLI, ROOT, tmpDir } from "./helpers";

const probe = path.join(ROOT, "test", "fixtures", "runner", "network-probe");
const spec = (architecture: "x86_64" | "arm64"): FunctionSpec => ({ code: probe, handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture, timeoutSeconds: 30 });
const isRoot = process.getuid?.() === 0;

/** A TCP service that greets whoever connects, as a developer's local database or dev server would. */
function greeter(host: string, text: string): Promise<{ server: net.Server; port: number }> {
    const server = net.createServer((s) => s.end(text));
    return new Promise((resolve) => server.listen(0, host, () => resolve({ server, port: (server.address() as net.AddressInfo).port })));
}

function thisMachinesAddress(): string | undefined {
    return Object.values(os.networkInterfaces())
        .flat()
        .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
}

describe("runner: a function's network reaches out, not into this machine", () => {
    let fn: WarmFunction;
    const ask = async (event: unknown) => {
        const r = await fn.invoke(event);
        assert.ok(r.ok, r.payload + r.logs);
        return JSON.parse(r.payload);
    };
    before(async () => {
        fn = await startFunction(spec("x86_64"));
    });
    after(() => fn?.close());

    it("cannot reach a service on this machine's 127.0.0.1", async () => {
        const { server, port } = await greeter("127.0.0.1", "the developer's database");
        try {
            assert.deepEqual(await ask({ tcp: ["127.0.0.1", port] }), { error: "ECONNREFUSED" });
        } finally {
            server.close();
        }
    });

    it("cannot reach a service listening on all of this machine's addresses, by loopback or by the machine's own address", async () => {
        const { server, port } = await greeter("0.0.0.0", "the developer's dev server");
        try {
            assert.deepEqual(await ask({ tcp: ["127.0.0.1", port] }), { error: "ECONNREFUSED" });
            const own = thisMachinesAddress();
            // The namespace holds a copy of this machine's address, so that address is its own, not this machine's.
            if (own) assert.deepEqual(await ask({ tcp: [own, port] }), { error: "ECONNREFUSED" });
        } finally {
            server.close();
        }
    });

    it("cannot reach a service on any other address of this machine: its IPv6 link-local address, its other interfaces", async () => {
        // pasta copies one interface's address into the namespace; a packet to any other address of this machine
        // would go out through pasta's sockets and reach it (this machine's fe80:: address did, before).
        const server = net.createServer((s) => s.on("error", () => {}).end("the developer's dev server"));
        await new Promise<void>((resolve) => server.listen(0, "::", () => resolve())); // IPv6 and IPv4
        const port = (server.address() as net.AddressInfo).port;
        try {
            const addresses = Object.values(os.networkInterfaces())
                .flat()
                .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal)
                .map((a) => (a.family === "IPv6" && a.address.startsWith("fe80:") ? `${a.address}%` : a.address));
            for (const address of addresses) {
                // Twice: the first packet to a link-local address can go unanswered while its neighbour is looked up.
                for (const attempt of [1, 2]) {
                    const seen = await ask({ tcp: [address, port] });
                    assert.ok("error" in seen, `${address} (attempt ${attempt}): ${JSON.stringify(seen)}`);
                }
            }
        } finally {
            server.close();
        }
    });

    it("cannot reach an abstract unix socket of this machine", async () => {
        const name = `lambda-python-test-${process.pid}`;
        const server = net.createServer((s) => s.end("the developer's agent"));
        await new Promise<void>((resolve) => server.listen(`\0${name}`, () => resolve()));
        try {
            assert.deepEqual(await ask({ abstract: name }), { error: "ECONNREFUSED" });
        } finally {
            server.close();
        }
    });

    it("resolves names as this machine does", async function () {
        const outside = await dns.promises.lookup("deb.debian.org", { family: 4, all: true }).catch(() => undefined);
        if (!outside) this.skip(); // this machine resolves nothing: nothing to compare with
        const inside = await ask({ resolve: "deb.debian.org" });
        assert.ok(Array.isArray(inside.addresses) && inside.addresses.length > 0, JSON.stringify(inside));
    });
});

describe("runner: a function's network reaches a server on another network", () => {
    // A server in a network namespace of its own behind a veth pair: an address this machine routes to, as the
    // internet would be, that is neither this machine's loopback nor its own address.
    const ns = `lp-peer-${process.pid}`;
    const [hostEnd, peerEnd] = [`lpa${process.pid % 100000}`, `lpb${process.pid % 100000}`];
    const subnet = `10.${200 + (process.pid % 50)}.${process.pid % 250}`;
    let server: ChildProcess | undefined;
    const ip = (...args: string[]) => {
        const r = spawnSync("ip", args, { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
    };

    before(async function () {
        if (!isRoot) this.skip(); // creating a network namespace and a veth pair needs root
        ip("netns", "add", ns);
        ip("link", "add", hostEnd, "type", "veth", "peer", "name", peerEnd);
        ip("link", "set", peerEnd, "netns", ns);
        ip("addr", "add", `${subnet}.1/30`, "dev", hostEnd);
        ip("link", "set", hostEnd, "up");
        ip("netns", "exec", ns, "ip", "addr", "add", `${subnet}.2/30`, "dev", peerEnd);
        ip("netns", "exec", ns, "ip", "link", "set", peerEnd, "up");
        ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
        const script = `const s=require("net").createServer((c)=>c.end("hello from the other network"));s.listen(7654,"${subnet}.2",()=>console.log("up"));`;
        server = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
        await new Promise((resolve) => server!.stdout!.once("data", resolve));
    });
    after(() => {
        server?.kill();
        spawnSync("ip", ["link", "del", hostEnd]);
        spawnSync("ip", ["netns", "del", ns]);
    });

    for (const architecture of ["x86_64", "arm64"] as const) {
        it(`${architecture}: connects out to it and reads its greeting`, async () => {
            const fn = await startFunction(spec(architecture));
            try {
                const r = await fn.invoke({ tcp: [`${subnet}.2`, 7654] });
                assert.ok(r.ok, r.payload + r.logs);
                assert.deepEqual(JSON.parse(r.payload), { said: "hello from the other network" });
            } finally {
                await fn.close();
            }
        });
    }
});

describe("runner: names resolve when this machine's resolver is a loopback address (systemd-resolved)", () => {
    // This machine's resolv.conf is replaced, in a mount namespace of the CLI's own, by one naming 127.0.0.77,
    // where this test answers every A query with 203.0.113.77. The function's namespace cannot reach
    // 127.0.0.77; pasta forwards DNS to it.
    let resolver: dgram.Socket | undefined;
    before(async function () {
        if (!isRoot) this.skip(); // a private mount namespace and port 53 need root
        resolver = dgram.createSocket("udp4");
        resolver.on("message", (query, from) => {
            // The answer: the query's id and question, one A record pointing back at the question (RFC 1035).
            const header = Buffer.from([query[0], query[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
            const question = query.subarray(12);
            const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 77]);
            resolver!.send(Buffer.concat([header, question, answer]), from.port, from.address);
        });
        await new Promise<void>((resolve, reject) => {
            resolver!.once("error", reject);
            resolver!.bind(53, "127.0.0.77", () => resolve());
        });
    });
    after(() => resolver?.close());

    it("gives the function a resolver that pasta forwards to this machine's", async () => {
        const dir = tmpDir("lp-dns-");
        const conf = path.join(dir, "resolv.conf");
        fs.writeFileSync(conf, "nameserver 127.0.0.77\n");
        const event = path.join(dir, "event.json");
        fs.writeFileSync(event, JSON.stringify({ resolve: "lambda-python.test" }));
        // Not spawnSync: the resolver answering the function lives in this process's event loop.
        const child = spawn("unshare", [
            "-m",
            "sh",
            "-c",
            'mount --bind "$1" /etc/resolv.conf && exec "$2" "$3" invoke "$4" --handler lambda_function.lambda_handler --runtime python3.13 --event "$5" --quiet',
            "sh",
            conf,
            process.execPath,
            CLI,
            probe,
            event,
        ]);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const code = await new Promise((resolve) => child.on("close", resolve));
        assert.equal(code, 0, stderr);
        assert.deepEqual(JSON.parse(stdout), { addresses: ["203.0.113.77"] });
    });
});
