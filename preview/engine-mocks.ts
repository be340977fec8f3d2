// What the Pulumi engine answers a program during `pulumi preview`, given to
// the SDK's own mock monitor (pulumi.runtime.setMocks) so that a program sees
// what it would see in a real preview:
//
// - A resource being created has an unknown ID, and its outputs are known
//   only where its inputs give them (the provider's planned state); every
//   output the provider computes (an ARN, a URL, a version) is unknown. The
//   SDK turns an empty ID and a missing output into unknowns during a dry run,
//   so an `apply` on them does not run. Names the provider would generate
//   (Pulumi's auto-naming: the logical name and 7 hex digits) are known in a
//   real preview and are known here too, for the types listed below.
// - A resource read by ID (`Resource.get`) keeps that ID; its properties come
//   from the cloud, so they are unknown here (said in a note).
// - A stack reference's outputs are the ones the user gave
//   (--stack-outputs NAME=FILE.json), else unknown (said in a note).
// - A component built by a provider plugin (awsx, aws-apigateway: a "remote"
//   component) has unknown outputs; its children are made by the plugin, which
//   the offline preview does not run (said in a note). awsx's DefaultVpc is
//   the default VPC's documented offline answer.
// - A data source gets the answer of ./data-sources.ts, or stops the preview.
import * as crypto from "crypto";
import type { MockCallArgs, MockResourceArgs, MockResourceResult, Mocks } from "@pulumi/pulumi/runtime/mocks";
import { answer, DataSourceContext, OfflineLimit } from "./data-sources";
import { UNKNOWN } from "./wire";

/** Properties the AWS provider names automatically when they are not given (Pulumi auto-naming), by resource type. */
const AUTO_NAMED: Record<string, string> = {
    "aws:lambda/function:Function": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/policy:Policy": "name",
    "aws:iam/rolePolicy:RolePolicy": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:sqs/queue:Queue": "name",
    "aws:sns/topic:Topic": "name",
    "aws:dynamodb/table:Table": "name",
    "aws:secretsmanager/secret:Secret": "name",
    "aws:apigateway/restApi:RestApi": "name",
    "aws:apigatewayv2/api:Api": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:cloudwatch/eventRule:EventRule": "name",
    "aws:sfn/stateMachine:StateMachine": "name",
};

export interface EngineMocksOptions extends DataSourceContext {
    project: string;
    stack: string;
    /** Stack references' outputs the user gave, by stack name. */
    stackOutputs: Record<string, Record<string, unknown>>;
    /** Tells the user something about the run, once per distinct text. */
    note(text: string): void;
    /** Records a data source the preview cannot answer (the preview stops after the program). */
    limit(error: OfflineLimit, token: string): void;
}

export class EngineMocks implements Mocks {
    constructor(private readonly options: EngineMocksOptions) {}

    newResource(args: MockResourceArgs): MockResourceResult {
        if (args.type === "pulumi:pulumi:StackReference") return this.stackReference(args);
        if (args.id) {
            // Resource.get / import: the ID is the one given, the properties are the cloud's. An ID that is an
            // output of a resource being created (awsx "classic" reads a new VPC's default security group so)
            // reaches the monitor as the wire's marker for an unknown value; the engine skips that read.
            const id = args.id === UNKNOWN ? "an ID that is not known during this preview (an output of a resource being created, or of a stack reference not given offline)" : `ID (${args.id})`;
            this.options.note(`${args.type} "${args.name}" is read from the cloud by ${id}; its properties are unknown offline.`);
            return { id: args.id, state: {} };
        }
        if (!args.custom) return this.component(args);
        const state: Record<string, unknown> = { ...args.inputs };
        const named = AUTO_NAMED[args.type];
        if (named && state[named] === undefined && state[`${named}Prefix`] === undefined) state[named] = autoName(args.name, this.options.project, this.options.stack, args.type);
        return { id: "", state };
    }

    call(args: MockCallArgs): Record<string, unknown> {
        try {
            const { result, note } = answer(args.token, args.inputs ?? {}, this.options);
            if (note) this.options.note(note);
            return result;
        } catch (e) {
            if (e instanceof OfflineLimit) this.options.limit(e, args.token);
            throw e;
        }
    }

    private stackReference(args: MockResourceArgs): MockResourceResult {
        const name = String(args.inputs?.name ?? args.id ?? args.name);
        const outputs = this.options.stackOutputs[name];
        if (outputs) {
            this.options.note(`stack reference ${name}: the outputs you gave`);
            return { id: name, state: { name, outputs, secretOutputNames: [] } };
        }
        this.options.note(`stack reference ${name}: its outputs are unknown offline (give them with --stack-outputs ${name}=FILE.json).`);
        return { id: name, state: { name } };
    }

    private component(args: MockResourceArgs): MockResourceResult {
        // The SDK's own components (and this package's) are built in the program; a plugin's are not.
        // Only a remote component's registration carries outputs back, so its state matters; a local one's is ignored.
        if (args.type === "awsx:ec2:DefaultVpc") {
            const vpc = this.call({ token: "aws:ec2/getVpc:getVpc", inputs: { default: true } });
            const subnets = this.call({ token: "aws:ec2/getSubnets:getSubnets", inputs: { filters: [{ name: "vpc-id", values: [vpc.id] }] } });
            return { id: "", state: { vpcId: vpc.id, publicSubnetIds: subnets.ids, privateSubnetIds: [] } };
        }
        return { id: "", state: {} };
    }
}

/** Pulumi's auto-name: the logical name, a dash and 7 hex digits (random for the engine; derived from the URN here, so stable). */
function autoName(name: string, project: string, stack: string, type: string): string {
    return `${name}-${crypto.createHash("sha256").update(`${stack}::${project}::${type}::${name}`).digest("hex").slice(0, 7)}`;
}
