// Runs Pulumi programs without the cloud or the Pulumi CLI: the SDK's own
// mock monitor (pulumi.runtime.setMocks) answers every registration, and we
// record each RegisterResourceRequest as the engine would receive it — type,
// name, parent, the property Struct in wire form (archives and secrets with
// their signatures) and property dependencies. The offline preview feeds
// these records to the policy pack; tests assert on them.
import * as pulumi from "@pulumi/pulumi";
import { RecordedResource, recordOf, RegisterRequest } from "./records";

export { RecordedResource, recordOf, RegisterRequest };

interface MonitorLike {
    registerResource(req: RegisterRequest, callback: (...a: unknown[]) => void): Promise<void>;
    newUrn(parent: string, type: string, name: string): string;
}

/** Fake outputs for the resources our programs create, so dependent values resolve. */
function fakeState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const region = "us-east-1";
    const account = "123456789012";
    switch (type) {
        case "aws:lambda/function:Function":
            return { ...inputs, name: inputs.name ?? `${name}-1a2b3c4`, arn: `arn:aws:lambda:${region}:${account}:function:${inputs.name ?? `${name}-1a2b3c4`}`, version: "$LATEST" };
        case "aws:lambda/layerVersion:LayerVersion":
            return { ...inputs, arn: `arn:aws:lambda:${region}:${account}:layer:${inputs.layerName ?? name}:1`, layerArn: `arn:aws:lambda:${region}:${account}:layer:${inputs.layerName ?? name}`, version: "1" };
        case "aws:lambda/functionUrl:FunctionUrl":
            return { ...inputs, functionUrl: `https://${name}.lambda-url.${region}.on.aws/`, urlId: name };
        case "aws:iam/role:Role":
            return { ...inputs, name: `${name}-7d8e9f0`, arn: `arn:aws:iam::${account}:role/${name}-7d8e9f0` };
        case "aws:cloudwatch/logGroup:LogGroup": {
            const logGroup = inputs.name ?? `${inputs.namePrefix ?? "/aws/lambda/"}20261121`;
            return { ...inputs, name: logGroup, arn: `arn:aws:logs:${region}:${account}:log-group:${logGroup}` };
        }
        case "aws:s3/bucketObjectv2:BucketObjectv2":
            return { ...inputs, etag: "0123456789abcdef" };
        default:
            return { ...inputs };
    }
}

export class MockStack {
    readonly resources: RecordedResource[] = [];

    private constructor() {}

    /** Installs the mock monitor (call before creating resources). */
    static async start(options: { project?: string; stack?: string; preview?: boolean } = {}): Promise<MockStack> {
        const recorder = new MockStack();
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => ({ id: `${args.name}-id`, state: fakeState(args.type, args.name, args.inputs) }),
                call: (args) => args.inputs,
            },
            options.project ?? "lambda-python",
            options.stack ?? "preview",
            options.preview ?? true,
        );
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        const settings = require("@pulumi/pulumi/runtime/settings");
        const monitor = settings.getMonitor() as MonitorLike;
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, callback) => {
            recorder.resources.push(recordOf(req, monitor.newUrn(req.getParent(), req.getType(), req.getName())));
            return register(req, callback);
        };
        return recorder;
    }

    /** Waits until every registration the program started has finished. */
    async settle(): Promise<void> {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
    }

    /**
     * Ends the mock program: registrations still pending (those whose inputs failed never
     * finish) are abandoned, so the SDK's promise-leak check does not fail the process.
     */
    stop(): void {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        require("@pulumi/pulumi/runtime/settings").terminateRpcs();
    }

    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    byName(type: string, name: string): RecordedResource {
        const r = this.resources.find((x) => x.type === type && x.name === name);
        if (!r) throw new Error(`no ${type} named ${name} was registered; have ${this.resources.map((x) => `${x.type}::${x.name}`).join(", ")}`);
        return r;
    }
}

/** The value of an Output, or its error. */
export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
    return (output as unknown as { promise(): Promise<T> }).promise();
}
