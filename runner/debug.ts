// The debugger's port on this machine (--debug-port N), in front of debugpy in
// the function's network namespace. pasta forwards a port of its own (an
// inner, free one) into the namespace's port N, and accepts connections on
// it from the start; a debugger that connected before debugpy listens would
// be reset. So this relay owns N: it accepts an editor at any time, holds the
// connection until the function says debugpy listens, then joins it to
// pasta's port. An editor can attach before, during or after the cold start.
import * as net from "net";
import { UserError } from "../shared/errors";
import { freePort } from "./emulator";

export interface DebugRelay {
    /** The port pasta forwards into the namespace (to debugpy's port there). */
    innerPort: number;
    /** The function printed that debugpy listens: held and later connections go through. */
    listening(): void;
    close(): Promise<void>;
}

export async function startDebugRelay(port: number): Promise<DebugRelay> {
    const innerPort = await freePort();
    let ready = false;
    const waiting: net.Socket[] = [];
    const sockets = new Set<net.Socket>();
    const join = (client: net.Socket) => {
        if (client.destroyed) return;
        const inner = net.connect(innerPort, "127.0.0.1");
        sockets.add(inner);
        inner.on("close", () => sockets.delete(inner));
        client.pipe(inner).pipe(client);
        const end = () => {
            client.destroy();
            inner.destroy();
        };
        inner.on("error", end);
        client.on("error", end);
        client.on("close", end);
        inner.on("close", end);
    };
    const server = net.createServer((client) => {
        sockets.add(client);
        client.on("close", () => sockets.delete(client));
        client.on("error", () => client.destroy());
        if (ready) join(client);
        else waiting.push(client);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", (e: NodeJS.ErrnoException) =>
            reject(
                e.code === "EADDRINUSE"
                    ? new UserError(`--debug-port ${port}: the port is in use on 127.0.0.1 (another debug session?). Pick another port, and the same one in your editor's attach configuration.`)
                    : new UserError(`--debug-port ${port}: cannot listen on 127.0.0.1:${port}: ${e.message}`),
            ),
        );
        server.listen(port, "127.0.0.1", () => resolve());
    });
    return {
        innerPort,
        listening() {
            ready = true;
            for (const client of waiting.splice(0)) join(client);
        },
        async close() {
            for (const s of sockets) s.destroy();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}
