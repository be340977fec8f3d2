// lambda-python serve --api rest|http: API Gateway's events (payload 1.0 and
// 2.0) and response rules beside the function URL's, end to end through the
// compiled CLI and the runner; --print-events shows each event built.
import { strict as assert } from "assert";
import * as path from "path";
import { tmpDir, writeFiles } from "./helpers";
import { eventually, serve, Served } from "./serve-helpers";

// A REST API's function: Lambda proxy integration, payload 1.0.
const REST = `import json

def handler(event, context):
    path = event["path"]
    if path == "/malformed":
        return {"statusCode": 200, "body": {"not": "a string"}}
    if path == "/cookies-field":
        return {"statusCode": 200, "body": "x", "cookies": ["a=b"]}
    if path == "/fail":
        raise ValueError("asked to fail")
    return {
        "statusCode": 201,
        "headers": {"X-One": "1", "Set-Cookie": "ignored=1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps({
            "method": event["httpMethod"],
            "path": path,
            "resource": event["resource"],
            "proxy": event["pathParameters"],
            "query": event["multiValueQueryStringParameters"],
            "body": event["body"],
            "stage": event["requestContext"]["stage"],
            "content_type": event["headers"].get("content-type"),  # REST keeps the case the client sent (fetch sends lower case)
        }),
    }
`;

// An HTTP API's function: payload 2.0.
const HTTP = `import json

def handler(event, context):
    if event["rawPath"] == "/fail":
        raise ValueError("asked to fail")
    if event["rawPath"] == "/plain":
        return ["a", "list"]
    return {"statusCode": 200, "body": json.dumps({"version": event["version"], "account": event["requestContext"]["accountId"], "path": event["rawPath"], "query": event.get("queryStringParameters")}), "cookies": ["c=3"]}
`;

describe("lambda-python serve --api", () => {
    const running: Served[] = [];
    after(async () => {
        for (const s of running) await s.stop();
    });

    describe("rest: a REST API's Lambda proxy integration (payload 1.0)", () => {
        let rest: Served;
        const url = (p: string) => new URL(p, Object.values(rest.urls)[0]).toString();
        before(async () => {
            const src = writeFiles(tmpDir("serve-rest-"), { "app.py": REST });
            rest = await serve([src, "--handler", "app.handler", "--runtime", "python3.13", "--api", "rest", "--print-events"], 1);
            running.push(rest);
        });

        it("sends payload 1.0 (resource, pathParameters.proxy, multi-value query, body as text) and maps headers and multiValueHeaders", async () => {
            const res = await fetch(url("/orders/7?x=1&x=2"), { method: "POST", headers: { "content-type": "application/json" }, body: '{"qty": 2}' });
            assert.equal(res.status, 201);
            assert.equal(res.headers.get("x-one"), "1");
            assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"], "a name in both takes multiValueHeaders' list");
            assert.equal(res.headers.get("content-type"), "application/json");
            assert.deepEqual(await res.json(), { method: "POST", path: "/orders/7", resource: "/{proxy+}", proxy: { proxy: "orders/7" }, query: { x: ["1", "2"] }, body: '{"qty": 2}', stage: "prod", content_type: "application/json" });
        });

        it("answers a response REST cannot map (a body that is not a string, a key it does not know) 502 Malformed Lambda proxy response", async () => {
            for (const p of ["/malformed", "/cookies-field"]) {
                const res = await fetch(url(p));
                assert.equal(res.status, 502, p);
                assert.deepEqual(await res.json(), { message: "Internal server error" });
            }
            await eventually(() => /GET \/malformed -> 502 .*Malformed Lambda proxy response: body is object, not a string/.test(rest.stderr()), "the reason in the log");
            await eventually(() => /GET \/cookies-field -> 502 .*Malformed Lambda proxy response: unknown key cookies/.test(rest.stderr()), "the reason in the log");
        });

        it("answers a function error 502 with API Gateway's JSON message", async () => {
            const res = await fetch(url("/fail"));
            assert.equal(res.status, 502);
            assert.deepEqual(await res.json(), { message: "Internal server error" });
        });

        it("--print-events shows each event as JSON before it is sent", async () => {
            await fetch(url("/printed?seen=yes"));
            await eventually(() => /\] event: \{\n {2}"resource": "\/\{proxy\+\}",\n {2}"path": "\/printed",[\s\S]*"seen": \[\n\s+"yes"/.test(rest.stderr()), "the printed event");
        });
    });

    describe("http: an HTTP API (payload 2.0)", () => {
        let api: Served;
        const url = (p: string) => new URL(p, Object.values(api.urls)[0]).toString();
        before(async () => {
            const src = writeFiles(tmpDir("serve-http-"), { "app.py": HTTP });
            api = await serve([src, "--handler", "app.handler", "--runtime", "python3.13", "--api", "http"], 1);
            running.push(api);
        });

        it("sends payload 2.0 from an API in an account, and maps cookies", async () => {
            const res = await fetch(url("/v1/items?a=1&a=2"));
            assert.equal(res.status, 200);
            assert.deepEqual(res.headers.getSetCookie(), ["c=3"]);
            assert.deepEqual(await res.json(), { version: "2.0", account: "123456789012", path: "/v1/items", query: { a: "1,2" } });
        });

        it("answers a result without statusCode 200 with its JSON, and a function error 500 Internal Server Error", async () => {
            const plain = await fetch(url("/plain"));
            assert.equal(plain.status, 200);
            assert.deepEqual(await plain.json(), ["a", "list"]);
            const res = await fetch(url("/fail"));
            assert.equal(res.status, 500);
            assert.deepEqual(await res.json(), { message: "Internal Server Error" });
        });
    });

    it("refuses an unknown --api in one paragraph", async () => {
        await assert.rejects(serve([path.join(tmpDir("serve-api-"), "x.zip"), "--api", "graphql"], 1), /--api must be one of url, http, rest; got "graphql"\./);
    });
});
