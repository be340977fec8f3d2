// Sample events, as the services that invoke Lambda functions send them, for
// `lambda-python event <kind>` (and so for `invoke --event` and `preview
// --invoke-event`). The HTTP kinds are the events `serve` builds for a
// request (runner/http/event.ts: one implementation); S3, SQS, SNS,
// DynamoDB streams and scheduled events are AWS SAM CLI's `generate-event`
// templates (sam/README.md says where they come from); EventBridge follows
// AWS's documented event structure, which SAM has no template for.
import { createHash } from "crypto";
import { UserError } from "../../shared/errors";
import { API_KINDS, ApiKind, buildApiEvent, SAMPLE_ACCOUNT } from "../http/event";
import dynamodb from "./sam/DynamoDBUpdate.json";
import s3 from "./sam/S3Put.json";
import schedule from "./sam/ScheduledEvent.json";
import sns from "./sam/Sns.json";
import sqs from "./sam/Sqs.json";

/** The fields a user may set, by option name (without "--"). */
export interface EventFields {
    region?: string;
    account?: string;
    method?: string;
    path?: string;
    query?: string;
    header?: string[];
    body?: string;
    "content-type"?: string;
    bucket?: string;
    key?: string;
    queue?: string;
    topic?: string;
    subject?: string;
    message?: string;
    table?: string;
    rule?: string;
    source?: string;
    "detail-type"?: string;
    detail?: string;
}

export type EventField = keyof EventFields;

interface KindInfo {
    about: string;
    /** Options this kind takes, beyond --region and --account. */
    fields: EventField[];
}

const HTTP_FIELDS: EventField[] = ["method", "path", "query", "header", "body", "content-type"];

export const EVENT_KINDS: Record<string, KindInfo> = {
    url: { about: "a function URL request (payload 2.0), as serve sends it", fields: HTTP_FIELDS },
    http: { about: "an API Gateway HTTP API request (payload 2.0, $default route)", fields: HTTP_FIELDS },
    rest: { about: "an API Gateway REST API request (Lambda proxy, payload 1.0)", fields: HTTP_FIELDS },
    s3: { about: "an S3 ObjectCreated:Put notification", fields: ["bucket", "key"] },
    sqs: { about: "an SQS batch of one message", fields: ["queue", "body"] },
    sns: { about: "an SNS notification", fields: ["topic", "subject", "message"] },
    eventbridge: { about: "an EventBridge event from an application", fields: ["source", "detail-type", "detail"] },
    dynamodb: { about: "a DynamoDB stream batch (INSERT, MODIFY, REMOVE)", fields: ["table"] },
    schedule: { about: "an EventBridge (CloudWatch Events) scheduled event", fields: ["rule"] },
};

export const COMMON_FIELDS: EventField[] = ["region", "account"];

/** A sample event of `kind`, with the fields given; unknown kinds and fields another kind takes are UserErrors. */
export function sampleEvent(kind: string, fields: EventFields = {}, now: Date = new Date()): object {
    const info = EVENT_KINDS[kind];
    if (!info) throw new UserError(`"${kind}" is not an event kind. Kinds: ${Object.keys(EVENT_KINDS).join(", ")}.`);
    const given = (Object.keys(fields) as EventField[]).filter((f) => fields[f] !== undefined);
    const foreign = given.filter((f) => !info.fields.includes(f) && !COMMON_FIELDS.includes(f));
    if (foreign.length) {
        const takes = [...info.fields, ...COMMON_FIELDS].map((f) => `--${f}`).join(", ");
        throw new UserError(`${kind} events have no ${foreign.map((f) => `--${f}`).join(", ")}; it takes ${takes}.`);
    }
    const region = fields.region ?? "us-east-1";
    const account = fields.account ?? SAMPLE_ACCOUNT;
    if (!/^\d{12}$/.test(account)) throw new UserError(`--account must be an AWS account id, 12 digits; got "${account}".`);
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new UserError(`--region must be an AWS region such as us-east-1; got "${region}".`);
    if ((API_KINDS as readonly string[]).includes(kind)) return httpEvent(kind as ApiKind, fields, region, now);
    const common = { region, account_id: account, accountId: account, partition: partitionOf(region) };
    switch (kind) {
        case "s3":
            return fill(s3, { ...common, bucket: fields.bucket ?? "example-bucket", key: s3Key(fields.key ?? "test/key") });
        case "sqs": {
            const body = fields.body ?? "Hello from SQS!";
            return fill(sqs, { ...common, queue_name: fields.queue ?? "MyQueue", body, md5_of_body: createHash("md5").update(body).digest("hex") });
        }
        case "sns":
            return fill(sns, { ...common, topic: fields.topic ?? "ExampleTopic", subject: fields.subject ?? "example subject", message: fields.message ?? "example message" });
        case "dynamodb":
            return fill(dynamodb, { ...common, table: fields.table ?? "ExampleTableWithStream" });
        case "schedule":
            return fill(schedule, { ...common, rule: fields.rule ?? "ExampleRule" });
        default:
            return eventBridge(fields, region, account, now);
    }
}

function partitionOf(region: string): string {
    return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
}

/** An object key as S3 puts it in a notification: URL-encoded, a space as "+", slashes kept. */
function s3Key(key: string): string {
    return encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+");
}

/**
 * A SAM template filled in: each `{{{name}}}` inside a JSON string is
 * replaced by the value (so quotes and backslashes in a value stay valid
 * JSON). A name without a value would be an empty string in SAM; here it is
 * an error, so that a template and its values cannot drift apart unseen.
 */
function fill(template: unknown, values: Record<string, string>): object {
    const walk = (v: unknown): unknown => {
        if (typeof v === "string")
            return v.replace(/\{\{\{(\w+)\}\}\}/g, (_, name: string) => {
                if (!(name in values)) throw new Error(`sample event template: no value for {{{${name}}}}`);
                return values[name];
            });
        if (Array.isArray(v)) return v.map(walk);
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
        return v;
    };
    return walk(template) as object;
}

/** The request a user describes with --method, --path, --query, --header, --body, as it would arrive at the deployed front end. */
function httpEvent(kind: ApiKind, fields: EventFields, region: string, now: Date): object {
    const method = (fields.method ?? (fields.body !== undefined ? "POST" : "GET")).toUpperCase();
    if (!/^[A-Z]+$/.test(method)) throw new UserError(`--method must be an HTTP method such as GET or POST; got "${fields.method}".`);
    const path = fields.path ?? "/";
    if (!path.startsWith("/") || /[\s#?]/.test(path)) throw new UserError(`--path must be a URL path starting with "/", without spaces, "?" or "#" (give the query with --query); got "${path}".`);
    const query = (fields.query ?? "").replace(/^\?/, "");
    const id = kind === "url" ? "abcdefghijklmnopqrstuvwxyz012345" : "a1b2c3d4e5";
    const host = kind === "url" ? `${id}.lambda-url.${region}.on.aws` : `${id}.execute-api.${region}.amazonaws.com`;
    const rawHeaders = ["Host", host, "User-Agent", "curl/8.5.0", "Accept", "*/*"];
    for (const h of fields.header ?? []) {
        const colon = h.indexOf(":");
        if (colon <= 0) throw new UserError(`--header wants "Name: value"; got "${h}".`);
        rawHeaders.push(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
    }
    const body = Buffer.from(fields.body ?? "", "utf8");
    if (body.length) {
        const hasType = rawHeaders.some((v, i) => i % 2 === 0 && v.toLowerCase() === "content-type");
        if (!hasType) rawHeaders.push("Content-Type", fields["content-type"] ?? (looksLikeJson(fields.body!) ? "application/json" : "text/plain"));
        rawHeaders.push("Content-Length", String(body.length));
    } else if (fields["content-type"]) rawHeaders.push("Content-Type", fields["content-type"]);
    rawHeaders.push("X-Forwarded-Proto", "https", "X-Forwarded-Port", "443");
    return buildApiEvent(kind, { method, url: query ? `${path}?${query}` : path, httpVersion: "1.1", rawHeaders, body, sourceIp: "203.0.113.10" }, { requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", now, domainName: host, urlId: id, port: 443 });
}

function looksLikeJson(text: string): boolean {
    try {
        JSON.parse(text);
        return true;
    } catch {
        return false;
    }
}

/** An event an application puts on a bus, as "Amazon EventBridge events" documents its fields. */
function eventBridge(fields: EventFields, region: string, account: string, now: Date): object {
    let detail: unknown = {};
    if (fields.detail !== undefined) {
        try {
            detail = JSON.parse(fields.detail);
        } catch (e) {
            throw new UserError(`--detail must be a JSON object, e.g. '{"orderId": "1234"}': ${(e as Error).message}.`);
        }
        if (!detail || typeof detail !== "object" || Array.isArray(detail)) throw new UserError(`--detail must be a JSON object, e.g. '{"orderId": "1234"}'; got ${fields.detail}.`);
    }
    return {
        version: "0",
        id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": fields["detail-type"] ?? "Order Placed",
        source: fields.source ?? "com.example.orders",
        account,
        time: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
        region,
        resources: [],
        detail,
    };
}
