// lambda-python event <kind>: each sample event, written by the compiled CLI,
// is read field by field by a real handler in the runner (and through invoke
// and preview --invoke), as a function for that trigger reads it.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { JsonText, startFunction, WarmFunction } from "../runner";
import { sampleEvent } from "../runner/events";
import { FunctionUrlEvent } from "../runner/http/event";
import { assertOneParagraph, cli, ROOT, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";

const READER = path.join(ROOT, "test", "fixtures", "runner", "events");

/** What the reader fixture answers for each kind, given these options. */
const CASES: { kind: string; args: string[]; expect: Record<string, unknown> }[] = [
    {
        kind: "url",
        args: ["--method", "POST", "--path", "/orders/42", "--query", "tag=a&tag=b", "--body", '{"qty": 2}'],
        expect: {
            kind: "payload 2.0",
            method: "POST",
            path: "/orders/42",
            protocol: "HTTP/1.1",
            query: { tag: "a,b" },
            content_type: "application/json",
            body: { qty: 2 },
            host: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
            account: "anonymous",
        },
    },
    {
        kind: "http",
        args: ["--path", "/health", "--region", "eu-west-1"],
        expect: { kind: "payload 2.0", method: "GET", path: "/health", protocol: "HTTP/1.1", query: null, content_type: null, body: null, host: "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", account: "123456789012" },
    },
    {
        kind: "rest",
        args: ["--method", "put", "--path", "/items/a%20b", "--query", "x=1&x=2", "--body", '{"name": "lamp"}'],
        expect: { kind: "payload 1.0", method: "PUT", path: "/items/a%20b", proxy: "items/a b", query: { x: ["1", "2"] }, body: { name: "lamp" }, stage: "prod" },
    },
    { kind: "s3", args: ["--bucket", "uploads", "--key", "photos/cat 1+2.jpg"], expect: { kind: "s3", event: "ObjectCreated:Put", bucket: "uploads", key: "photos/cat 1+2.jpg", region: "us-east-1" } },
    { kind: "sqs", args: ["--queue", "orders", "--body", 'he said "ship it"'], expect: { kind: "sqs", queue: "orders", body: 'he said "ship it"', md5_matches: true } },
    { kind: "sns", args: ["--topic", "alerts", "--subject", "Disk", "--message", "90% full"], expect: { kind: "sns", topic: "alerts", subject: "Disk", message: "90% full" } },
    {
        kind: "eventbridge",
        args: ["--source", "com.example.shop", "--detail-type", "Order Placed", "--detail", '{"orderId": "o-1"}', "--account", "111122223333"],
        expect: { kind: "eventbridge", source: "com.example.shop", detail_type: "Order Placed", detail: { orderId: "o-1" }, account: "111122223333" },
    },
    { kind: "dynamodb", args: ["--table", "Orders"], expect: { kind: "dynamodb", table: "Orders", changes: ["INSERT", "MODIFY", "REMOVE"], ids: ["101", "101", "101"] } },
    { kind: "schedule", args: ["--rule", "nightly"], expect: { kind: "schedule", rule: "nightly", source: "aws.events" } },
];

describe("lambda-python event", () => {
    const dir = tmpDir("lp-event-");
    let reader: WarmFunction;

    before(async () => {
        reader = await startFunction({ code: READER, handler: "lambda_function.lambda_handler", runtime: "python3.13", architecture: "x86_64" });
    });
    after(async () => {
        await reader?.close();
    });

    for (const c of CASES) {
        it(`${c.kind}: a complete event a handler for that trigger reads (${c.args.join(" ")})`, async () => {
            const r = cli(["event", c.kind, ...c.args]);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stderr, "");
            const result = await reader.invoke(new JsonText(r.stdout));
            assert.equal(result.ok, true, `${result.payload}\n${result.logs}`);
            assert.deepEqual(JSON.parse(result.payload), c.expect);
        });
    }

    it("every kind's defaults are valid too", async () => {
        for (const c of CASES) {
            const r = cli(["event", c.kind]);
            assert.equal(r.code, 0, r.stderr);
            const result = await reader.invoke(new JsonText(r.stdout));
            assert.equal(result.ok, true, `${c.kind}: ${result.payload}`);
        }
    });

    it("the url event is the one serve builds: version, routeKey, requestContext.http with protocol, lower-case headers, cookies apart", () => {
        const event = sampleEvent("url", { header: ["Cookie: a=1; b=2", "X-Trace: t1"] }) as FunctionUrlEvent;
        assert.equal(event.version, "2.0");
        assert.equal(event.routeKey, "$default");
        assert.deepEqual(Object.keys(event.requestContext.http).sort(), ["method", "path", "protocol", "sourceIp", "userAgent"]);
        assert.deepEqual(event.cookies, ["a=1", "b=2"]);
        assert.equal(event.headers["x-trace"], "t1");
        assert.equal(event.headers.cookie, undefined);
    });

    it("pipes into invoke --event -, and --out writes a file invoke reads", () => {
        const piped = cli(["invoke", READER, "--runtime", "python3.13", "--event", "-", "--quiet"], { input: cli(["event", "sns", "--message", "from a pipe"]).stdout });
        assert.equal(piped.code, 0, piped.stderr);
        assert.equal(JSON.parse(piped.stdout).message, "from a pipe");
        const file = path.join(dir, "s3.json");
        const written = cli(["event", "s3", "--key", "a/b.txt", "--out", file]);
        assert.equal(written.code, 0, written.stderr);
        assert.equal(written.stdout, "");
        const r = cli(["invoke", READER, "--runtime", "python3.13", "--event", file, "--quiet"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(JSON.parse(r.stdout).key, "a/b.txt");
    });

    it("is read by preview --invoke as a program's events/<function>.json", () => {
        const program = writeFiles(tmpDir("lp-event-preview-"), {
            "Pulumi.yaml": "name: reads-events\nruntime: nodejs\nmain: index.ts\n",
            "index.ts": `import { PythonFunction } from ${JSON.stringify(path.join(ROOT, "components"))};\nnew PythonFunction("reader", { source: ${JSON.stringify(READER)}, handler: "lambda_function.lambda_handler", runtime: "python3.13" });\n`,
        });
        fs.mkdirSync(path.join(program, "events"));
        assert.equal(cli(["event", "sqs", "--body", "from preview", "--out", path.join(program, "events", "reader.json")]).code, 0);
        const r = cli(["preview", program, "--invoke", "--json", "--quiet"], { env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE } });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const invoked = JSON.parse(r.stdout).invocations;
        assert.equal(invoked.length, 1, r.stdout);
        assert.equal(invoked[0].event, path.join("events", "reader.json"));
        assert.match(JSON.stringify(invoked[0]), /from preview/);
    });

    it("refuses what a kind does not take, an unknown kind, and bad values, each in one paragraph", () => {
        assertOneParagraph(cli(["event", "s3", "--path", "/x"]), /s3 events have no --path; it takes --bucket, --key, --region, --account\./);
        assertOneParagraph(cli(["event", "kinesis"]), /"kinesis" is not an event kind\. Kinds: url, http, rest, s3, sqs, sns, eventbridge, dynamodb, schedule\./);
        assertOneParagraph(cli(["event", "eventbridge", "--detail", "[1]"]), /--detail must be a JSON object/);
        assertOneParagraph(cli(["event", "url", "--path", "orders"]), /--path must be a URL path starting with "\/"/);
        assertOneParagraph(cli(["event", "url", "--header", "no-colon"]), /--header wants "Name: value"/);
        assertOneParagraph(cli(["event", "sqs", "--account", "12"]), /--account must be an AWS account id, 12 digits/);
        assertOneParagraph(cli(["event", "sqs", "--out", path.join(dir, "missing", "e.json")]), /cannot write the event to .*missing\/e\.json: its folder does not exist/);
        assertOneParagraph(cli(["event"]), /event takes one kind: url, http/);
    });
});
