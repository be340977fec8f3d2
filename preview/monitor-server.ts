// The engine's side of the protocol every Pulumi SDK speaks, served over
// gRPC for a program in another language (a Python program, a provider
// plugin constructing a component): the ResourceMonitor service (register,
// read, invoke, outputs, features) and the Engine service (log, root
// resource), on one port of 127.0.0.1, as `pulumi preview` serves them to a
// language host. Each request is answered by the Node SDK's own mock monitor
// (the one `pulumi.runtime.setMocks` installs), so registrations get the
// same engine-like answers as a TypeScript program's (engine-mocks.ts);
// the hooks see every request first, to record it, or to answer a remote
// component's registration themselves (the engine hands those to the
// component's provider: Construct).
import * as grpc from "@grpc/grpc-js";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engineproto from "@pulumi/pulumi/proto/engine_pb";
import * as resourcerpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resourceproto from "@pulumi/pulumi/proto/resource_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";

type Callback<T> = (error: Error | null, response?: T) => void;

/** The SDK's MockMonitor (@pulumi/pulumi/runtime/mocks), as `settings.getMonitor()` returns it after setMocks. */
export interface MockMonitorLike {
    registerResource(req: resourceproto.RegisterResourceRequest, cb: Callback<resourceproto.RegisterResourceResponse>): unknown;
    registerResourceOutputs(req: resourceproto.RegisterResourceOutputsRequest, cb: Callback<unknown>): unknown;
    readResource(req: resourceproto.ReadResourceRequest, cb: Callback<resourceproto.ReadResourceResponse>): unknown;
    invoke(req: resourceproto.ResourceInvokeRequest, cb: Callback<resourceproto.ResourceInvokeResponse>): unknown;
    supportsFeature(req: resourceproto.SupportsFeatureRequest, cb: Callback<{ getHassupport(): boolean }>): unknown;
    getDeploymentInfo(req: unknown, cb: Callback<resourceproto.DeploymentInfo>): unknown;
    registerPackage(req: resourceproto.RegisterPackageRequest, cb: Callback<resourceproto.RegisterPackageResponse>): unknown;
    newUrn(parent: string, type: string, name: string): string;
}

export interface MonitorHooks {
    /** Every registration, before it is answered (a remote one included). */
    registered?(req: resourceproto.RegisterResourceRequest): void;
    /** Answers a remote component's registration (the engine's Construct); undefined leaves it to the mock monitor. */
    construct?(req: resourceproto.RegisterResourceRequest): Promise<resourceproto.RegisterResourceResponse> | undefined;
    /** A resource's outputs (the stack's are the program's exports). */
    outputs?(urn: string, outputs: Record<string, unknown>): void;
    /** A message the program or the SDK logs (pulumi.log.*, an unhandled error). */
    log?(severity: engineproto.LogSeverity, message: string, urn: string): void;
}

export interface MonitorServer {
    /** host:port, for PULUMI_MONITOR / --monitor and --engine (one port serves both). */
    address: string;
    stop(): void;
}

/** Serves the ResourceMonitor and Engine services over the mock monitor, with the hooks. */
export async function serveMonitor(mock: MockMonitorLike, hooks: MonitorHooks = {}): Promise<MonitorServer> {
    const server = new grpc.Server();
    const fail = (cb: Callback<never>, e: unknown) => cb(e instanceof Error ? e : new Error(String(e)));
    const monitor: Partial<resourcerpc.IResourceMonitorServer> = {
        supportsFeature: (call, cb) => mock.supportsFeature(call.request, (e, r) => (e ? cb(e) : cb(null, new resourceproto.SupportsFeatureResponse().setHassupport(!!r?.getHassupport())))),
        getDeploymentInfo: (call, cb) => mock.getDeploymentInfo(call.request, (e, r) => cb(e, r)),
        registerResource: (call, cb) => {
            hooks.registered?.(call.request);
            const constructed = call.request.getRemote() ? hooks.construct?.(call.request) : undefined;
            if (constructed)
                constructed.then(
                    (r) => cb(null, r),
                    (e) => fail(cb, e),
                );
            else void mock.registerResource(call.request, (e, r) => cb(e, r));
        },
        registerResourceOutputs: (call, cb) => {
            hooks.outputs?.(call.request.getUrn(), (call.request.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>);
            mock.registerResourceOutputs(call.request, (e) => cb(e, new Empty()));
        },
        readResource: (call, cb) => void mock.readResource(call.request, (e, r) => cb(e, r)),
        invoke: (call, cb) => void mock.invoke(call.request, (e, r) => cb(e, r)),
        registerPackage: (call, cb) => mock.registerPackage(call.request, (e, r) => cb(e, r)),
        // Stack transforms are the engine's to run; the offline preview does not (preview/DESIGN.md, "Not done").
        registerStackTransform: (_call, cb) => cb(null, new Empty()),
        registerStackInvokeTransform: (_call, cb) => cb(null, new Empty()),
        // The SDKs wait here for the engine's delete hooks; a preview deletes nothing.
        signalAndWaitForShutdown: (_call, cb) => cb(null, new Empty()),
    };
    const engine: Partial<enginerpc.IEngineServer> = {
        log: (call, cb) => {
            hooks.log?.(call.request.getSeverity(), call.request.getMessage(), call.request.getUrn());
            cb(null, new Empty());
        },
        getRootResource: (_call, cb) => cb(null, new engineproto.GetRootResourceResponse()),
        setRootResource: (_call, cb) => cb(null, new engineproto.SetRootResourceResponse()),
        requirePulumiVersion: (_call, cb) => cb(null, new engineproto.RequirePulumiVersionResponse()),
    };
    server.addService(resourcerpc.ResourceMonitorService, monitor as resourcerpc.IResourceMonitorServer);
    server.addService(enginerpc.EngineService, engine as enginerpc.IEngineServer);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}
