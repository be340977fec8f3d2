// What a data source (a provider function: `aws.getRegion()`,
// `aws.ec2.getVpc({ default: true })`, …) answers in the offline preview.
// The engine asks the cloud; offline there is no cloud, so a lookup gets
// either an answer that is documented here or given by the user, or none:
// the preview then stops and says which data source asked and how to answer
// it. Nothing is made up to keep a program going.
//
// Built in, for the lookups a user cannot avoid (every one said in a note):
// - aws.getRegion: config aws:region, else AWS_REGION / AWS_DEFAULT_REGION,
//   else us-east-1;
// - aws.getPartition: from the region (aws, aws-cn, aws-us-gov);
// - aws.getCallerIdentity: AWS's documentation account 123456789012;
// - aws.getAvailabilityZones: <region>a, b and c;
// - the default VPC (aws.ec2.getVpc({ default: true })) and its subnets
//   (getSubnets / getSubnetIds / getSubnet): 172.31.0.0/16 with one /20 per
//   zone, as AWS makes them;
// - aws.iam.getPolicyDocument: computed from its inputs, as the provider does
//   without calling AWS.
// Given by the user: --invoke-result TOKEN=FILE.json, or offline-answers.json
// beside Pulumi.yaml ({ "invokes": { TOKEN: result } }).
import { UNKNOWN } from "./wire";

/** The file beside Pulumi.yaml that holds answers ({ "invokes": {…}, "stackOutputs": {…} }). */
export const ANSWERS_FILE = "offline-answers.json";

export interface Answer {
    result: Record<string, unknown>;
    /** Said to the user once per token: where the answer came from. */
    note?: string;
}

/** A data source the offline preview cannot answer: the preview stops, saying what asked and how to answer it. */
export class OfflineLimit extends Error {
    /** How the user gives the answer. */
    readonly remedy: string;
    constructor(
        readonly what: string,
        token: string,
    ) {
        const remedy = `Give its result (a JSON object) with --invoke-result ${token}=FILE.json, or under "invokes" in ${ANSWERS_FILE} beside Pulumi.yaml.`;
        super(`${what} ${remedy}`);
        this.name = "OfflineLimit";
        this.remedy = remedy;
    }
}

export interface DataSourceContext {
    /** Stack config as the program sees it ("aws:region" -> value). */
    config: Record<string, string>;
    /** Answers the user gave, by token. */
    given: Record<string, Record<string, unknown>>;
}

const ACCOUNT = "123456789012";
const DEFAULT_VPC = "vpc-0d0f0a0u0l0t0v0pc";

export function regionOf(context: DataSourceContext): { region: string; from: string } {
    const configured = context.config["aws:region"];
    if (configured) return { region: configured, from: "config aws:region" };
    for (const name of ["AWS_REGION", "AWS_DEFAULT_REGION"]) if (process.env[name]) return { region: process.env[name]!, from: name };
    return { region: "us-east-1", from: "the default: no aws:region config, AWS_REGION or AWS_DEFAULT_REGION" };
}

function partitionOf(region: string): { partition: string; dnsSuffix: string; reverseDnsPrefix: string } {
    if (region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn", reverseDnsPrefix: "cn.com.amazonaws" };
    if (region.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
    return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
}

function zones(region: string): string[] {
    return ["a", "b", "c"].map((z) => `${region}${z}`);
}

/** The default VPC's subnets: one /20 per zone, in AWS's order (172.31.0.0/20, 172.31.16.0/20, …). */
function defaultSubnets(region: string): { id: string; zone: string; cidr: string }[] {
    return zones(region).map((zone, i) => ({ id: `subnet-0d0f0a0u0l0t${zone.slice(-1)}`, zone, cidr: `172.31.${i * 16}.0/20` }));
}

/** Whether a value holds an unknown (a lookup whose inputs are not known yet answers unknown, as in `pulumi preview`). */
function hasUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(hasUnknown);
    if (value && typeof value === "object") return Object.values(value).some(hasUnknown);
    return false;
}

type Filter = { name?: string; values?: string[] };
const filterValues = (inputs: Record<string, unknown>, name: string): string[] | undefined => (inputs.filters as Filter[] | undefined)?.find((f) => f.name === name)?.values;

/** The documented offline answer for `token`, or undefined when there is none. */
function builtIn(token: string, inputs: Record<string, unknown>, context: DataSourceContext): Answer | undefined {
    const { region, from } = regionOf(context);
    const where = `offline answer (region ${region}, from ${from})`;
    switch (token) {
        case "aws:index/getRegion:getRegion":
            return { result: { id: region, name: region, region, endpoint: `ec2.${region}.amazonaws.com`, description: region }, note: `aws.getRegion: ${region} (${from})` };
        case "aws:index/getPartition:getPartition": {
            const p = partitionOf(region);
            return { result: { id: p.partition, ...p }, note: `aws.getPartition: ${p.partition} (${where})` };
        }
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                result: { id: ACCOUNT, accountId: ACCOUNT, arn: `arn:${partitionOf(region).partition}:iam::${ACCOUNT}:user/offline-preview`, userId: "AIDAOFFLINEPREVIEW" },
                note: `aws.getCallerIdentity: account ${ACCOUNT}, AWS's documentation account (give yours with --invoke-result aws:index/getCallerIdentity:getCallerIdentity=FILE.json)`,
            };
        case "aws:index/getAvailabilityZones:getAvailabilityZones": {
            const names = zones(region);
            return {
                result: { id: region, region, names, zoneIds: names.map((_, i) => `${region.replace(/-/g, "").slice(0, 4)}-az${i + 1}`), groupNames: [region], state: inputs.state },
                note: `aws.getAvailabilityZones: ${names.join(", ")} (${where})`,
            };
        }
        case "aws:ec2/getVpc:getVpc":
            if (inputs.default !== true) return undefined;
            return {
                result: {
                    id: DEFAULT_VPC,
                    arn: `arn:${partitionOf(region).partition}:ec2:${region}:${ACCOUNT}:vpc/${DEFAULT_VPC}`,
                    cidrBlock: "172.31.0.0/16",
                    default: true,
                    enableDnsHostnames: true,
                    enableDnsSupport: true,
                    instanceTenancy: "default",
                    ownerId: ACCOUNT,
                    region,
                    state: "available",
                    tags: {},
                },
                note: `the default VPC: ${DEFAULT_VPC}, 172.31.0.0/16 (${where})`,
            };
        case "aws:ec2/getSubnets:getSubnets":
        case "aws:ec2/getSubnetIds:getSubnetIds": {
            const vpc = (inputs.vpcId as string | undefined) ?? filterValues(inputs, "vpc-id")?.[0];
            const defaultForAz = filterValues(inputs, "default-for-az")?.[0] === "true";
            if (vpc !== DEFAULT_VPC && !defaultForAz) return undefined;
            const ids = defaultSubnets(region).map((s) => s.id);
            return { result: { id: region, region, ids, vpcId: vpc, filters: inputs.filters, tags: {} }, note: `the default VPC's subnets: ${ids.join(", ")} (${where})` };
        }
        case "aws:ec2/getSubnet:getSubnet": {
            const subnet = defaultSubnets(region).find((s) => s.id === inputs.id || (filterValues(inputs, "default-for-az")?.[0] === "true" && (inputs.availabilityZone === s.zone || filterValues(inputs, "availability-zone")?.[0] === s.zone)));
            if (!subnet) return undefined;
            return {
                result: {
                    id: subnet.id,
                    arn: `arn:${partitionOf(region).partition}:ec2:${region}:${ACCOUNT}:subnet/${subnet.id}`,
                    availabilityZone: subnet.zone,
                    cidrBlock: subnet.cidr,
                    defaultForAz: true,
                    mapPublicIpOnLaunch: true,
                    ownerId: ACCOUNT,
                    region,
                    state: "available",
                    vpcId: DEFAULT_VPC,
                    tags: {},
                },
                note: `the default VPC's subnet ${subnet.id}: ${subnet.zone}, ${subnet.cidr} (${where})`,
            };
        }
        case "aws:iam/getPolicyDocument:getPolicyDocument":
            if (inputs.sourcePolicyDocuments || inputs.overridePolicyDocuments) return undefined; // merged documents are not computed offline
            return { result: policyDocument(inputs) };
        default:
            return undefined;
    }
}

/** What `token` answers offline; throws OfflineLimit when nothing can answer it. */
export function answer(token: string, inputs: Record<string, unknown>, context: DataSourceContext): Answer {
    const given = context.given[token];
    if (given) return { result: given, note: `${token}: the answer you gave` };
    if (hasUnknown(inputs)) return { result: Object.fromEntries(Object.keys(inputs).map((k) => [k, UNKNOWN])) };
    const known = builtIn(token, inputs, context);
    if (known) return known;
    throw new OfflineLimit(`the data source ${token} asks the cloud, and the offline preview has no answer for it${describeInputs(inputs)}.`, token);
}

function describeInputs(inputs: Record<string, unknown>): string {
    const shown = JSON.stringify(inputs);
    return shown === "{}" ? "" : ` (called with ${shown.length > 200 ? `${shown.slice(0, 197)}...` : shown})`;
}

// aws.iam.getPolicyDocument, computed as the provider computes it (no AWS call): statements in order,
// Effect "Allow" by default, one-element lists written as a plain string, two-space indented JSON.
interface Statement {
    sid?: string;
    effect?: string;
    actions?: string[];
    notActions?: string[];
    resources?: string[];
    notResources?: string[];
    principals?: { type: string; identifiers: string[] }[];
    notPrincipals?: { type: string; identifiers: string[] }[];
    conditions?: { test: string; variable: string; values: string[] }[];
}

const one = (values: string[]) => (values.length === 1 ? values[0] : values);

function principals(list: { type: string; identifiers: string[] }[]): unknown {
    if (list.length === 1 && list[0].type === "*") return "*";
    const byType: Record<string, string[]> = {};
    for (const p of list) (byType[p.type] ??= []).push(...p.identifiers);
    return Object.fromEntries(Object.entries(byType).map(([type, ids]) => [type, one(ids)]));
}

function policyDocument(inputs: Record<string, unknown>): Record<string, unknown> {
    const statements = ((inputs.statements as Statement[] | undefined) ?? []).map((s) => {
        const out: Record<string, unknown> = {};
        if (s.sid) out.Sid = s.sid;
        out.Effect = s.effect ?? "Allow";
        if (s.actions?.length) out.Action = one(s.actions);
        if (s.notActions?.length) out.NotAction = one(s.notActions);
        if (s.resources?.length) out.Resource = one(s.resources);
        if (s.notResources?.length) out.NotResource = one(s.notResources);
        if (s.principals?.length) out.Principal = principals(s.principals);
        if (s.notPrincipals?.length) out.NotPrincipal = principals(s.notPrincipals);
        if (s.conditions?.length) {
            const condition: Record<string, Record<string, unknown>> = {};
            for (const c of s.conditions) (condition[c.test] ??= {})[c.variable] = one(c.values);
            out.Condition = condition;
        }
        return out;
    });
    const doc: Record<string, unknown> = { Version: (inputs.version as string | undefined) ?? "2012-10-17" };
    if (inputs.policyId) doc.Id = inputs.policyId;
    doc.Statement = statements;
    const json = JSON.stringify(doc, null, 2);
    return { id: String(hash(json)), json, minifiedJson: JSON.stringify(doc), statements: inputs.statements, version: doc.Version };
}

function hash(text: string): number {
    let h = 0;
    for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
    return h >>> 0;
}
