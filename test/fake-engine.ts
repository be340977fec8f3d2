// The engine side of the Pulumi protocol for tests: the Engine service (the
// diagnostics a program or plugin logs, which the Pulumi CLI prints) and the
// real ResourceMonitor service, answering registrations with the SDK's mock
// monitor of this process (start a MockStack first), recording every
// RegisterResource as the engine receives it.
import * as grpc from "@grpc/grpc-js";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engineproto from "@pulumi/pulumi/proto/engine_pb";
import * as resourcerpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resourceproto from "@pulumi/pulumi/proto/resource_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
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
    private readonly server = new grpc.Server();
    address = "";

    async start(): Promise<void> {
        const mock = require("@pulumi/pulumi/runtime/settings").getMonitor();
        const record = (req: resourceproto.RegisterResourceRequest) => {
            this.registrations.push(recordOf(req, mock.newUrn(req.getParent(), req.getType(), req.getName())));
        };
        const monitor: Partial<resourcerpc.IResourceMonitorServer> = {
            supportsFeature: (call, cb) => {
                // As the mock monitor: everything but output values, so inputs arrive as plain values.
                cb(null, new resourceproto.SupportsFeatureResponse().setHassupport(call.request.getId() !== "outputValues"));
            },
            registerResource: (call, cb) => {
                record(call.request);
                void mock.registerResource(call.request, cb);
            },
            registerResourceOutputs: (call, cb) => mock.registerResourceOutputs(call.request, (err: Error | null) => cb(err, new Empty())),
            invoke: (call, cb) => void mock.invoke(call.request, cb),
            registerPackage: (call, cb) => mock.registerPackage(call.request, cb),
        };
        const engine: Partial<enginerpc.IEngineServer> = {
            log: (call, cb) => {
                this.logs.push(call.request.getMessage());
                this.diagnostics.push({ severity: SEVERITIES[call.request.getSeverity()] ?? "error", message: call.request.getMessage(), urn: call.request.getUrn() });
                cb(null, new Empty());
            },
            getRootResource: (_call, cb) => cb(null, new engineproto.GetRootResourceResponse()),
            setRootResource: (_call, cb) => cb(null, new engineproto.SetRootResourceResponse()),
        };
        this.server.addService(resourcerpc.ResourceMonitorService, monitor as resourcerpc.IResourceMonitorServer);
        this.server.addService(enginerpc.EngineService, engine as enginerpc.IEngineServer);
        const port = await new Promise<number>((resolve, reject) => this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
        this.address = `127.0.0.1:${port}`;
    }

    stop(): void {
        this.server.forceShutdown();
    }
}
