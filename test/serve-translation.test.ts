// lambda-python serve's translation, without a function: HTTP requests as
// function URL events (payload 2.0) and results as HTTP responses.
import { strict as assert } from "assert";
import { buildApiEvent, buildEvent, clfTime, IncomingRequest, isTextContentType } from "../runner/http/event";
import { toApiResponse, toHttpResponse } from "../runner/http/response";

const context = { requestId: "3f1c2b7e-0000-4000-8000-000000000001", now: new Date(Date.UTC(2026, 10, 22, 4, 5, 6, 789)), domainName: "127.0.0.1:9000", urlId: "hello-url", port: 9000 };

function request(over: Partial<IncomingRequest>): IncomingRequest {
    return { method: "GET", url: "/", httpVersion: "1.1", rawHeaders: ["Host", "127.0.0.1:9000"], body: Buffer.alloc(0), sourceIp: "127.0.0.1", ...over };
}

function ok(result: unknown) {
    return toHttpResponse({ ok: true, payload: JSON.stringify(result), timedOut: false });
}

describe("serve: a request as a function URL event", () => {
    it("fills in the payload 2.0 fields for a plain GET", () => {
        const event = buildEvent(request({ url: "/docs/a%20b", rawHeaders: ["Host", "127.0.0.1:9000", "User-Agent", "curl/8.5"] }), context);
        assert.equal(event.version, "2.0");
        assert.equal(event.routeKey, "$default");
        assert.equal(event.rawPath, "/docs/a%20b");
        assert.equal(event.rawQueryString, "");
        assert.equal(event.isBase64Encoded, false);
        assert.equal("body" in event, false);
        assert.equal("cookies" in event, false);
        assert.equal("queryStringParameters" in event, false);
        assert.deepEqual(event.requestContext.http, { method: "GET", path: "/docs/a%20b", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "curl/8.5" });
        assert.equal(event.requestContext.requestId, context.requestId);
        assert.equal(event.requestContext.timeEpoch, Date.UTC(2026, 10, 22, 4, 5, 6, 789));
        assert.equal(event.requestContext.time, "22/Nov/2026:04:05:06 +0000");
        assert.equal(event.requestContext.domainName, "127.0.0.1:9000");
        assert.equal(event.requestContext.stage, "$default");
        assert.equal(event.headers.host, "127.0.0.1:9000");
        assert.equal(event.headers["x-forwarded-for"], "127.0.0.1");
        assert.equal(event.headers["x-forwarded-port"], "9000");
    });

    it("lower-cases header names and joins repeated headers with commas", () => {
        const event = buildEvent(request({ rawHeaders: ["X-Thing", "one", "x-thing", "two", "Accept", "text/html"] }), context);
        assert.equal(event.headers["x-thing"], "one,two");
        assert.equal(event.headers.accept, "text/html");
        assert.equal("X-Thing" in event.headers, false);
    });

    it("keeps the raw query string and decodes parameters, joining repeated keys", () => {
        const event = buildEvent(request({ url: "/search?q=a%20b&tag=x&tag=y&empty=" }), context);
        assert.equal(event.rawQueryString, "q=a%20b&tag=x&tag=y&empty=");
        assert.deepEqual(event.queryStringParameters, { q: "a b", tag: "x,y", empty: "" });
        assert.equal(event.rawPath, "/search");
    });

    it("moves cookies out of the headers into their own list", () => {
        const event = buildEvent(request({ rawHeaders: ["Cookie", "session=abc; theme=dark", "Cookie", "lang=en"] }), context);
        assert.deepEqual(event.cookies, ["session=abc", "theme=dark", "lang=en"]);
        assert.equal("cookie" in event.headers, false);
    });

    it("passes a JSON body as text", () => {
        const event = buildEvent(request({ method: "post", rawHeaders: ["Content-Type", "application/json; charset=utf-8"], body: Buffer.from('{"a":"é"}') }), context);
        assert.equal(event.requestContext.http.method, "POST");
        assert.equal(event.isBase64Encoded, false);
        assert.equal(event.body, '{"a":"é"}');
    });

    it("base64-encodes a binary body, a form post and a body without a content type", () => {
        const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
        for (const rawHeaders of [["Content-Type", "image/png"], ["Content-Type", "application/x-www-form-urlencoded"], []]) {
            const event = buildEvent(request({ method: "POST", rawHeaders, body: bytes }), context);
            assert.equal(event.isBase64Encoded, true, JSON.stringify(rawHeaders));
            assert.deepEqual(Buffer.from(event.body!, "base64"), bytes);
        }
    });

    it("treats text/*, JSON, XML and JavaScript as text and everything else as binary", () => {
        assert.deepEqual(["text/html", "TEXT/CSV; charset=latin1", "application/json", "application/xml", "application/javascript", "application/octet-stream", "multipart/form-data; boundary=x", "", undefined].map(isTextContentType), [
            true,
            true,
            true,
            true,
            true,
            false,
            false,
            false,
            false,
        ]);
    });

    it("writes requestContext.time in the common log format", () => {
        assert.equal(clfTime(new Date(Date.UTC(2021, 8, 7, 22, 50, 22))), "07/Sep/2021:22:50:22 +0000");
    });
});

describe("serve: a result as the function URL's HTTP response", () => {
    it("answers a result without statusCode with 200 and the result as a JSON body", () => {
        const r = ok({ message: "Hello, world!" });
        assert.equal(r.statusCode, 200);
        assert.deepEqual(r.headers, [["content-type", "application/json"]]);
        assert.equal(r.body.toString(), '{"message":"Hello, world!"}');
    });

    it("answers a bare string result with the JSON string, quotes included", () => {
        const r = ok("Hello, world!");
        assert.equal(r.statusCode, 200);
        assert.equal(r.body.toString(), '"Hello, world!"');
    });

    it("uses the statusCode, headers and body of a structured result", () => {
        const r = ok({ statusCode: 201, headers: { "Content-Type": "text/html", "My-Custom-Header": "Custom Value", "X-Count": 3 }, body: "<h1>hi</h1>" });
        assert.equal(r.statusCode, 201);
        assert.deepEqual(r.headers, [
            ["Content-Type", "text/html"],
            ["My-Custom-Header", "Custom Value"],
            ["X-Count", "3"],
        ]);
        assert.equal(r.body.toString(), "<h1>hi</h1>");
    });

    it("defaults a structured result's content type to JSON and its body to empty", () => {
        const r = ok({ statusCode: 204 });
        assert.deepEqual(r.headers, [["content-type", "application/json"]]);
        assert.equal(r.body.length, 0);
    });

    it("turns the result's cookies into Set-Cookie headers", () => {
        const r = ok({ statusCode: 200, body: "{}", cookies: ["Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT", "Cookie_2=Value2; Max-Age=78000"] });
        assert.deepEqual(
            r.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v),
            ["Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT", "Cookie_2=Value2; Max-Age=78000"],
        );
    });

    it("decodes a base64 body", () => {
        const bytes = Buffer.from([0, 1, 2, 250, 255]);
        const r = ok({ statusCode: 200, headers: { "content-type": "application/octet-stream" }, body: bytes.toString("base64"), isBase64Encoded: true });
        assert.deepEqual(r.body, bytes);
    });

    it("answers 502 when the function fails or times out", () => {
        const failed = toHttpResponse({ ok: false, payload: '{"errorType":"ValueError","errorMessage":"boom"}', timedOut: false, error: { errorType: "ValueError", errorMessage: "boom" } });
        assert.equal(failed.statusCode, 502);
        assert.equal(failed.body.toString(), "Internal Server Error");
        assert.equal(failed.problem, "the function failed with ValueError: boom");
        assert.equal(toHttpResponse({ ok: false, payload: "", timedOut: true }).statusCode, 502);
    });

    it("answers 502 for a statusCode that is not an HTTP status", () => {
        for (const statusCode of ["200", 42, 200.5, null]) {
            const r = ok({ statusCode, body: "x" });
            assert.equal(r.statusCode, 502, JSON.stringify(statusCode));
            assert.match(r.problem!, /not an HTTP status/);
        }
    });

    it("answers 502 for an interim 1xx statusCode, which is never a response of its own", () => {
        for (const statusCode of [100, 101, 199]) assert.equal(ok({ statusCode, body: "x" }).statusCode, 502, String(statusCode));
        assert.equal(ok({ statusCode: 200, body: "x" }).statusCode, 200);
    });

    it("answers 502, naming the header, for a result HTTP cannot carry", () => {
        const cases: [unknown, RegExp][] = [
            [{ headers: { "X-A": "a\r\nInjected: 1" } }, /header "X-A" has a value HTTP cannot carry/],
            [{ headers: { "X-A": "a\u0000" } }, /header "X-A" has a value/],
            [{ headers: { "X-A": "\u20ac" } }, /header "X-A" has a value/],
            [{ headers: { "Two Words": "v" } }, /header name "Two Words" is not an HTTP token/],
            [{ headers: { "": "v" } }, /header name "" is not an HTTP token/],
            [{ cookies: ["a=1\nSet-Cookie: b=2"] }, /cookie has a value HTTP cannot carry/],
        ];
        for (const [extra, problem] of cases) {
            const r = ok({ statusCode: 200, body: "x", ...(extra as object) });
            assert.equal(r.statusCode, 502, JSON.stringify(extra));
            assert.match(r.problem!, problem);
            assert.deepEqual(r.headers, [["content-type", "text/plain"]], "none of the function's headers is sent");
        }
        // Latin-1 is what HTTP/1.1 carries: a value with é is sent as it is.
        assert.equal(ok({ statusCode: 200, headers: { "X-Name": "Zoë" }, body: "x" }).statusCode, 200);
    });

    it("answers 502 for headers and cookies that are lists or objects, and a body marked base64 that is not", () => {
        // Before, JavaScript's own spelling went out: "x-a: [object Object]", "set-cookie: [object Object]", and
        // bytes decoded from whatever base64 Node could skip its way through.
        const cases: [unknown, RegExp][] = [
            [{ headers: { "X-A": { k: "v" } } }, /header "X-A" is an object, not a string/],
            [{ headers: { "X-A": ["1", "2"] } }, /header "X-A" is a list, not a string/],
            [{ cookies: [{ a: 1 }] }, /cookies must be strings, not \{"a":1\}/],
            [{ cookies: ["a=1", 2] }, /cookies must be strings, not 2/],
            [{ cookies: [null] }, /cookies must be strings, not null/],
            [{ isBase64Encoded: true, body: "!!!not base64***" }, /marked isBase64Encoded but is not base64/],
            [{ isBase64Encoded: true, body: "aGVs bG8=" }, /not base64/],
        ];
        for (const [extra, problem] of cases) {
            const r = ok({ statusCode: 200, body: "x", ...(extra as object) });
            assert.equal(r.statusCode, 502, JSON.stringify(extra));
            assert.match(r.problem!, problem);
        }
        // Scalars as JSON writes them; base64 with or without its padding.
        assert.deepEqual(ok({ statusCode: 200, headers: { "X-N": 1.5, "X-B": true }, body: "x" }).headers.slice(0, 2), [
            ["X-N", "1.5"],
            ["X-B", "true"],
        ]);
        for (const body of ["aGVsbG8=", "aGVsbG8", ""]) assert.equal(ok({ statusCode: 200, isBase64Encoded: true, body }).body.toString(), body ? "hello" : "");
    });

    it("takes the path of an absolute-form request target, as a front end passes it on", () => {
        const event = buildEvent(request({ url: "http://evil.example/abs/p?x=1" }), context);
        assert.deepEqual([event.rawPath, event.requestContext.http.path, event.rawQueryString], ["/abs/p", "/abs/p", "x=1"]);
        assert.equal(buildEvent(request({ url: "http://host?q=2" }), context).rawPath, "/");
    });

    it("answers 502 for a body nested deeper than JSON can be written, rather than failing", () => {
        const r = toHttpResponse({ ok: true, payload: JSON.stringify({ statusCode: 200, body: "placeholder" }).replace('"placeholder"', "[".repeat(100_000) + "]".repeat(100_000)), timedOut: false });
        assert.equal(r.statusCode, 502);
        assert.match(r.problem!, /body cannot be written as JSON/);
    });
});

describe("serve --api rest: a request as a REST API's proxy event (payload 1.0), a result by its rules", () => {
    // As the function reads it: parsed JSON.
    const rest = (over: Partial<IncomingRequest>) => JSON.parse(JSON.stringify(buildApiEvent("rest", request(over), context)));
    const answer = (result: unknown) => toApiResponse("rest", { ok: true, payload: JSON.stringify(result), timedOut: false });

    it("sends the root to the / resource without path parameters, and a path to {proxy+}", () => {
        const root = rest({});
        assert.equal(root.resource, "/");
        assert.equal(root.pathParameters, null);
        assert.equal(root.queryStringParameters, null);
        assert.equal(root.body, null);
        assert.equal(root.requestContext.path, "/prod/");
        const deep = rest({ url: "/a/b%2Fc?k=1&k=2&j=", method: "delete" });
        assert.equal(deep.resource, "/{proxy+}");
        assert.deepEqual(deep.pathParameters, { proxy: "a/b/c" });
        assert.equal(deep.httpMethod, "DELETE");
        assert.deepEqual(deep.queryStringParameters, { k: "2", j: "" }, "the last value of each key");
        assert.deepEqual(deep.multiValueQueryStringParameters, { k: ["1", "2"], j: [""] });
        assert.equal(deep.requestContext.requestTime, "22/Nov/2026:04:05:06 +0000");
    });

    it("keeps header names as sent, the last value in headers and all in multiValueHeaders, cookies among them", () => {
        const event = rest({ rawHeaders: ["Host", "h", "X-Thing", "one", "x-thing", "two", "Cookie", "a=1"] });
        assert.equal(event.headers["X-Thing"], "two");
        assert.deepEqual(event.multiValueHeaders["X-Thing"], ["one", "two"]);
        assert.equal(event.headers.Cookie, "a=1");
        assert.equal(event.headers["X-Forwarded-For"], "127.0.0.1");
    });

    it("passes a binary body as text: a REST API without binary media types does not base64 it", () => {
        const event = rest({ method: "POST", rawHeaders: ["Content-Type", "application/octet-stream"], body: Buffer.from("bytes") });
        assert.equal(event.body, "bytes");
        assert.equal(event.isBase64Encoded, false);
    });

    it("merges headers and multiValueHeaders, a name in both taking the list, and defaults the type to JSON", () => {
        const r = answer({ statusCode: 200, headers: { "X-A": "1", "set-cookie": "x=0" }, multiValueHeaders: { "Set-Cookie": ["x=1", "y=2"] }, body: "ok" });
        assert.equal(r.statusCode, 200);
        assert.deepEqual(r.headers, [
            ["X-A", "1"],
            ["Set-Cookie", "x=1"],
            ["Set-Cookie", "y=2"],
            ["content-type", "application/json"],
        ]);
        assert.equal(r.body.toString(), "ok");
    });

    it("answers 502 Malformed Lambda proxy response for a result without statusCode, a non-string body, an unknown key, or a list", () => {
        for (const [result, why] of [
            [{ body: "x" }, /statusCode undefined/],
            [{ statusCode: 200, body: 5 }, /body is number, not a string/],
            [{ statusCode: 200, cookies: ["a=b"] }, /unknown key cookies/],
            [["a"], /not an object/],
        ] as const) {
            const r = answer(result);
            assert.equal(r.statusCode, 502, JSON.stringify(result));
            assert.equal(r.body.toString(), '{"message":"Internal server error"}');
            assert.match(r.problem!, /^Malformed Lambda proxy response: /);
            assert.match(r.problem!, why);
        }
    });

    it("sends a base64 body marked isBase64Encoded as its text, as an API without binary media types does", () => {
        const r = answer({ statusCode: 200, body: "aGk=", isBase64Encoded: true });
        assert.equal(r.body.toString(), "aGk=");
    });
});

describe("serve --api http: an HTTP API's event and failures", () => {
    it("is the function URL's payload 2.0 from an account, and answers a failure 500 with API Gateway's message", () => {
        const event = JSON.parse(JSON.stringify(buildApiEvent("http", request({ url: "/x?a=1" }), context)));
        assert.equal(event.version, "2.0");
        assert.equal(event.requestContext.accountId, "123456789012");
        const failed = toApiResponse("http", { ok: false, payload: "{}", timedOut: false, error: { errorType: "ValueError", errorMessage: "no" } });
        assert.equal(failed.statusCode, 500);
        assert.equal(failed.body.toString(), '{"message":"Internal Server Error"}');
        const timedOut = toApiResponse("http", { ok: false, payload: "Task timed out after 3.00 seconds", timedOut: true });
        assert.match(timedOut.problem!, /timed out \(Task timed out after 3\.00 seconds\): give it a longer timeout \(--timeout S/);
    });
});
