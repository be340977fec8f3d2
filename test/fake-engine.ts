// The engine side of the Pulumi protocol for tests: the offline preview's own
// Engine + ResourceMonitor services (preview/monitor-server.ts), answering
// registrations with the SDK's mock monitor of this process (start a
// MockStack first), recording every RegisterResource as the engine receives
// it and every diagnostic a program or plugin logs (which the CLI prints).
import type { MockMonitorLike, MonitorServer } from "../preview/monitor-server";
import { serveMonitor } from "../preview/monitor-server";
import { RecordedResource, recordOf } from "../preview/mock-stack";

/** A diagnostic as the CLI prints it: `error: <message>` under the resource the URN names. */
export interface EngineLog {
    severity: "debug" | "info" | "warning" | "error";
    message: string;
    urn: string;
}

const SEVERITIES: EngineLog["severity"][] = ["debug", "info", "warning", "error"];

/** Engine + ResourceMonitor services on one port. */
export class FakeEngine {
    readonly registrations: RecordedResource[] = [];
    readonly logs: string[] = [];
    readonly diagnostics: EngineLog[] = [];
    private server?: MonitorServer;
    address = "";

    async start(): Promise<void> {
        const mock = require("@pulumi/pulumi/runtime/settings").getMonitor() as MockMonitorLike;
        this.server = await serveMonitor(mock, {
            registered: (req) => this.registrations.push(recordOf(req, mock.newUrn(req.getParent(), req.getType(), req.getName()))),
            log: (severity, message, urn) => {
                this.logs.push(message);
                this.diagnostics.push({ severity: SEVERITIES[severity] ?? "error", message, urn });
            },
        });
        this.address = this.server.address;
    }

    stop(): void {
        this.server?.stop();
    }
}
