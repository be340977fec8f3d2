// --debug-port: the function starts under debugpy, reached from this
// machine's loopback (a relay, then pasta into the function's network
// namespace), and holds the init until a Debug Adapter Protocol client has
// attached and configured, as an editor does; then the invoke completes.
import * as assert from "assert";
import * as net from "net";
import * as path from "path";
import { startFunction } from "../runner";
import { freePort } from "../runner/emulator";
import { assertOneParagraph, cli, cliAsync, ROOT } from "./helpers";
import { eventually } from "./serve-helpers";

/** A minimal DAP client: Content-Length framed JSON messages over TCP. */
class DapClient {
    private buffer = Buffer.alloc(0);
    private messages: Record<string, unknown>[] = [];
    private seq = 0;
    private constructor(private readonly socket: net.Socket) {
        socket.on("data", (chunk: Buffer) => {
            this.buffer = Buffer.concat([this.buffer, chunk]);
            for (;;) {
                const end = this.buffer.indexOf("\r\n\r\n");
                if (end < 0) return;
                const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString())?.[1]);
                if (this.buffer.length < end + 4 + length) return;
                this.messages.push(JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString()));
                this.buffer = this.buffer.subarray(end + 4 + length);
            }
        });
    }

    static connect(port: number): Promise<DapClient> {
        return new Promise((resolve, reject) => {
            const socket = net.connect(port, "127.0.0.1", () => resolve(new DapClient(socket)));
            socket.once("error", reject);
        });
    }

    send(command: string, args: Record<string, unknown> = {}): void {
        const body = JSON.stringify({ seq: ++this.seq, type: "request", command, arguments: args });
        this.socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }

    /** The first message (kept or to come) that matches. */
    async next(match: (m: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
        await eventually(() => this.messages.some(match), what, 120);
        return this.messages.find(match)!;
    }

    close(): void {
        this.socket.destroy();
    }
}

describe("runner: --debug-port runs the function under debugpy", () => {
    it("accepts a DAP initialize, waits for attach and configurationDone before the init, then completes the invoke", async () => {
        const port = await freePort();
        const logs: string[] = [];
        const fn = await startFunction(
            { code: path.join(ROOT, "test", "fixtures", "runner", "init-failures"), handler: "slow_init.lambda_handler", runtime: "python3.13", architecture: "x86_64", timeoutSeconds: 1 },
            { debugPort: port, onLog: (l) => logs.push(l) },
        );
        let client: DapClient | undefined;
        try {
            let settled = false;
            const invoked = fn.invoke({}).finally(() => (settled = true));
            // Connected at once, as an editor may be, before the cold start has even begun: held until debugpy listens.
            client = await DapClient.connect(port);
            client.send("initialize", { adapterID: "debugpy", clientID: "lambda-python-test", pathFormat: "path", linesStartAt1: true, columnsStartAt1: true });
            const init = await client.next((m) => m.type === "response" && m.command === "initialize", "the initialize response");
            assert.ok(
                logs.some((l) => l.startsWith(`lambda-python: debugpy listens on port ${port}:`)),
                "the function says when debugpy listens",
            );
            assert.equal(init.success, true, JSON.stringify(init));
            assert.equal(settled, false, "the init waits for the debugger");
            client.send("attach", { justMyCode: true });
            await client.next((m) => m.type === "event" && m.event === "initialized", "the initialized event");
            assert.equal(settled, false, "the init waits until the debugger is configured");
            client.send("configurationDone");
            const result = await invoked;
            // The import sleeps 4 s against a timeout of 1 s, and nothing stops a debugged function anyway.
            assert.equal(result.ok, true, `${result.payload}\n${result.logs}`);
            assert.ok(JSON.parse(result.payload).remaining_ms <= 1000, result.payload);
        } finally {
            client?.close();
            await fn.close();
        }
    });

    it("refuses a --debug-port below 1024, and one in use, in one paragraph", async () => {
        assertOneParagraph(cli(["invoke", path.join(ROOT, "test", "fixtures", "runner", "probe"), "--debug-port", "80"]), /--debug-port must be from 1024 to 65535/);
        const taken = net.createServer();
        await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", () => resolve()));
        try {
            const port = (taken.address() as net.AddressInfo).port;
            const r = await cliAsync(["invoke", path.join(ROOT, "test", "fixtures", "runner", "probe"), "--runtime", "python3.13", "--quiet", "--debug-port", String(port)]).done;
            assertOneParagraph(r, new RegExp(`--debug-port ${port}: the port is in use on 127\\.0\\.0\\.1`));
        } finally {
            taken.close();
        }
    });
});
