// lambda-python event <kind>: a complete sample event on stdout (or --out
// FILE), shaped as the service sends it, for invoke --event and
// preview --invoke. See runner/events/index.ts for where each comes from.
import * as fs from "fs";
import { describeFsError, UserError } from "../shared/errors";
import { COMMON_FIELDS, EVENT_KINDS, EventField, EventFields, sampleEvent } from "../runner/events";
import { Options, parse } from "./args";
import { eventUsage } from "./usage";

const help = `${eventUsage}

Writes a sample event, complete and shaped as the service sends it, for
lambda-python invoke --event FILE (or --event - through a pipe):

${Object.entries(EVENT_KINDS)
    .map(([kind, info]) => `  ${kind.padEnd(12)}${info.about}\n  ${"".padEnd(12)}${info.fields.map((f) => `--${f}`).join(" ")}`)
    .join("\n")}

Options:
  --method M              HTTP method (default GET, POST with --body)
  --path /P               the request's path (default /)
  --query Q               the query string, e.g. "page=2&tag=a&tag=b"
  --header "Name: value"  a request header (repeatable)
  --body TEXT             the request body (http kinds), the message body (sqs)
  --content-type T        the body's type (default application/json when the body is JSON, else text/plain)
  --bucket B              the S3 bucket
  --key K                 the S3 object key (URL-encoded in the event, as S3 sends it)
  --queue Q               the SQS queue's name
  --topic T               the SNS topic's name
  --subject S             the SNS subject
  --message M             the SNS message
  --source S              the EventBridge event's source
  --detail-type T         its detail-type
  --detail JSON           its detail
  --table T               the DynamoDB table's name
  --rule R                the EventBridge rule's name
  --region R              default us-east-1
  --account ID            default 123456789012
  --out FILE              write the event to FILE instead of stdout

The url, http and rest events are the ones lambda-python serve builds (serve
--api url|http|rest, --print-events shows them); s3, sqs, sns, dynamodb and
schedule are AWS SAM CLI's generate-event templates (aws-sam-cli 1.170.0).

  lambda-python event url --method POST --path /orders --body '{"qty": 2}' > event.json
  lambda-python event s3 --bucket uploads --key "photos/cat 1.jpg" | lambda-python invoke app --event -`;

/** The fields in the kinds' order (then --region, --account): the order sampleEvent names any a kind does not take. */
const FIELDS = [...new Set([...Object.values(EVENT_KINDS).flatMap((k) => k.fields), ...COMMON_FIELDS])];

/** event's options, as parseArgs takes them (--help comes with every command): one per field of runner/events' EventFields, and --out. */
const OPTIONS = {
    method: { type: "string" },
    path: { type: "string" },
    query: { type: "string" },
    header: { type: "string", multiple: true },
    body: { type: "string" },
    "content-type": { type: "string" },
    bucket: { type: "string" },
    key: { type: "string" },
    queue: { type: "string" },
    topic: { type: "string" },
    subject: { type: "string" },
    message: { type: "string" },
    source: { type: "string" },
    "detail-type": { type: "string" },
    detail: { type: "string" },
    table: { type: "string" },
    rule: { type: "string" },
    region: { type: "string" },
    account: { type: "string" },
    out: { type: "string" },
} satisfies Options & { [F in EventField]-?: { type: "string"; multiple?: EventFields[F] extends string[] | undefined ? true : never } };

export async function eventCommand(argv: string[]): Promise<number> {
    const { values: v, positionals } = parse("event", argv, OPTIONS, eventUsage);
    if (v.help) {
        console.log(help);
        return 0;
    }
    if (positionals.length !== 1) throw new UserError(`event takes one kind: ${Object.keys(EVENT_KINDS).join(", ")}.\nUsage: ${eventUsage}`);
    const given: EventFields = Object.fromEntries(FIELDS.filter((f) => v[f] !== undefined).map((f) => [f, v[f]]));
    const text = `${JSON.stringify(sampleEvent(positionals[0], given), null, 2)}\n`;
    const out = v.out;
    if (out === undefined) {
        process.stdout.write(text);
        return 0;
    }
    try {
        fs.writeFileSync(out, text);
    } catch (e) {
        const code = e instanceof Error && "code" in e ? e.code : undefined;
        if (code === "ENOENT") throw new UserError(`cannot write the event to ${out}: its folder does not exist. Create it, or give another --out.`);
        if (code === "EACCES" || code === "EPERM" || code === "EROFS") throw new UserError(`cannot write the event to ${out}: permission denied. Give another --out.`);
        throw describeFsError(e, out, "event file");
    }
    process.stderr.write(`lambda-python: wrote a ${positionals[0]} event to ${out}\n`);
    return 0;
}
