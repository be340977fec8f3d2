// lambda-python serve, end to end: the compiled CLI serving real functions
// through the runner (the official emulator, the runtime's CPython), and
// real HTTP requests against it.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { FunctionUrlEvent } from "../runner/http/event";
import { CLI, ROOT, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";
import { glibc234Function } from "./runner-fixtures";
import { alive, descendants, eventually, serve, Served } from "./serve-helpers";

const env = { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE };

// A function that shows what it received and answers with cookies and, on /binary, base64 bytes.
const ECHO = `import base64, json

def handler(event, context):
    if event["rawPath"] == "/binary":
        return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"}, "body": base64.b64encode(bytes(range(256))).decode(), "isBase64Encoded": True}
    if event["rawPath"] == "/fail":
        raise ValueError("asked to fail")
    if event["rawPath"] == "/plain":
        return {"seen": event["rawPath"]}
    if event["rawPath"] == "/unsendable":
        # Responses HTTP cannot carry, as a hostile or careless function would return them.
        case = event["queryStringParameters"]["case"]
        headers = {"crlf": {"X-Bad": "a\\r\\nInjected: yes"}, "lf": {"X-Bad": "a\\nb"}, "nul": {"X-Bad": "a\\u0000b"}, "euro": {"X-Price": "5 \\u20ac"}, "space": {"Bad Name": "v"}, "colon": {"Bad:Name": "v"}}.get(case, {})
        cookies = ["a=b\\r\\nSet-Cookie: evil=1"] if case == "cookie" else []
        return {"statusCode": 200, "headers": headers, "cookies": cookies, "body": "should not be sent"}
    return {"statusCode": 201, "headers": {"Content-Type": "application/json", "X-Handler": "echo"}, "body": json.dumps(event), "cookies": ["served=yes; Path=/", "theme=dark; Max-Age=60"]}
`;

describe("lambda-python serve", () => {
    let hello: Served | undefined;
    let echo: Served | undefined;
    after(async () => {
        await hello?.stop();
        await echo?.stop();
    });

    it("serves the hello-url example program: GET returns its HTML page", async () => {
        hello = await serve([path.join(ROOT, "examples", "hello-url")], 1);
        assert.deepEqual(Object.keys(hello.urls), ["hello-url"]);
        const res = await fetch(hello.urls["hello-url"]);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "text/html");
        assert.equal(await res.text(), "<h1>Hello World from Python</h1>");
    });

    describe("a function that echoes its event", () => {
        before(async () => {
            const src = writeFiles(tmpDir("serve-echo-"), { "app.py": ECHO });
            echo = await serve([src, "--handler", "app.handler", "--runtime", "python3.13", "--env", "GREETING=hi"], 1);
        });
        const url = (p: string) => new URL(p, Object.values(echo!.urls)[0]).toString();

        it("delivers a binary POST body base64-encoded, with the query string, headers and method", async () => {
            const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]);
            const res = await fetch(url("/upload?tag=a&tag=b&q=x%20y"), { method: "POST", body: bytes, headers: { "Content-Type": "image/png", "X-Trace": "t1" } });
            assert.equal(res.status, 201);
            assert.equal(res.headers.get("x-handler"), "echo");
            const event = (await res.json()) as FunctionUrlEvent;
            assert.equal(event.version, "2.0");
            assert.equal(event.rawPath, "/upload");
            assert.equal(event.rawQueryString, "tag=a&tag=b&q=x%20y");
            assert.deepEqual(event.queryStringParameters, { tag: "a,b", q: "x y" });
            assert.equal(event.requestContext.http.method, "POST");
            assert.equal(event.headers["x-trace"], "t1");
            assert.equal(event.isBase64Encoded, true);
            assert.deepEqual(Buffer.from(event.body ?? "", "base64"), bytes);
        });

        it("delivers a JSON body as text", async () => {
            const res = await fetch(url("/json"), { method: "POST", body: JSON.stringify({ name: "Zoë" }), headers: { "Content-Type": "application/json" } });
            const event = (await res.json()) as FunctionUrlEvent;
            assert.equal(event.isBase64Encoded, false);
            assert.deepEqual(JSON.parse(event.body ?? ""), { name: "Zoë" });
        });

        it("passes request cookies in and turns the result's cookies into Set-Cookie headers", async () => {
            const res = await fetch(url("/"), { headers: { Cookie: "session=abc123; lang=en" } });
            const event = (await res.json()) as FunctionUrlEvent;
            assert.deepEqual(event.cookies, ["session=abc123", "lang=en"]);
            assert.equal(event.headers.cookie, undefined);
            assert.deepEqual(res.headers.getSetCookie(), ["served=yes; Path=/", "theme=dark; Max-Age=60"]);
        });

        it("decodes a base64 response body into bytes", async () => {
            const res = await fetch(url("/binary"));
            assert.equal(res.headers.get("content-type"), "application/octet-stream");
            assert.deepEqual(Buffer.from(await res.arrayBuffer()), Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
        });

        it("answers a result without statusCode with 200 JSON", async () => {
            const res = await fetch(url("/plain"));
            assert.equal(res.status, 200);
            assert.equal(res.headers.get("content-type"), "application/json");
            assert.deepEqual(await res.json(), { seen: "/plain" });
        });

        it("answers 502 when the handler raises, logs the error, and keeps serving", async () => {
            const res = await fetch(url("/fail"));
            assert.equal(res.status, 502);
            assert.equal(await res.text(), "Internal Server Error");
            await eventually(() => /GET \/fail -> 502/.test(echo!.stderr()), "the request's log line");
            assert.match(echo!.stderr(), /GET \/fail -> 502 \(.*\): the function failed with ValueError: asked to fail/);
            assert.equal((await fetch(url("/plain"))).status, 200);
        });

        it("refuses a request body over Lambda's 6 MB payload limit with 413, without invoking", async () => {
            const res = await fetch(url("/big"), { method: "POST", body: Buffer.alloc(6 * 1024 * 1024 + 1, 0x61), headers: { "Content-Type": "text/plain" } });
            assert.equal(res.status, 413);
            await eventually(() => /POST \/big -> 413/.test(echo!.stderr()), "the request's log line");
        });

        it("refuses a binary body under 6 MB whose base64 event is over it with 413, and keeps serving", async () => {
            const res = await fetch(url("/big-binary"), { method: "POST", body: Buffer.alloc(5_000_000, 0xff), headers: { "Content-Type": "application/octet-stream" } });
            assert.equal(res.status, 413);
            assert.match(await res.text(), /Request must be smaller than 6291456 bytes/);
            await eventually(() => /POST \/big-binary -> 413/.test(echo!.stderr()), "the request's log line");
            assert.equal((await fetch(url("/plain"))).status, 200);
        });

        it("answers 502 to a response HTTP cannot carry (CR/LF or NUL in a value, a character above U+00FF, a name with a space or colon, a cookie with CR/LF) and keeps serving", async () => {
            for (const c of ["crlf", "lf", "nul", "euro", "space", "colon", "cookie"]) {
                const res = await fetch(url(`/unsendable?case=${c}`));
                assert.equal(res.status, 502, c);
                assert.equal(await res.text(), "Internal Server Error");
                assert.equal(res.headers.get("injected"), null);
                assert.deepEqual(res.headers.getSetCookie(), []);
            }
            await eventually(() => /GET \/unsendable\?case=cookie -> 502 .*: the function's cookie has a value HTTP cannot carry/.test(echo!.stderr()), "the request's log line");
            assert.match(echo!.stderr(), /GET \/unsendable\?case=space -> 502 .*: the function's header name "Bad Name" is not an HTTP token/);
            assert.match(echo!.stderr(), /GET \/unsendable\?case=euro -> 502 .*: the function's header "X-Price" has a value HTTP cannot carry/);
            assert.equal(echo!.child.exitCode, null, "serve is still running");
            assert.equal((await fetch(url("/plain"))).status, 200);
        });

        it("answers a request body that never ends with 413 once it passes 6 MB, without reading the rest", async () => {
            const target = new URL(url("/endless"));
            const status = await new Promise<number>((resolve, reject) => {
                const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { "content-type": "application/octet-stream" } });
                let stop = false;
                req.on("response", (res) => {
                    stop = true;
                    res.resume();
                    resolve(res.statusCode!);
                    req.destroy();
                });
                req.on("error", (e) => (stop ? undefined : reject(e)));
                const chunk = Buffer.alloc(1 << 20, 0x61);
                // Writes until the server answers: an endless upload.
                const pump = () => {
                    while (!stop && req.write(chunk));
                    if (!stop) req.once("drain", pump);
                };
                pump();
            });
            assert.equal(status, 413);
            await eventually(() => /POST \/endless -> 413/.test(echo!.stderr()), "the request's log line");
            assert.equal((await fetch(url("/plain"))).status, 200);
        });

        it("answers concurrent requests, one at a time, from one warm function", async () => {
            const before = descendants(echo!.child.pid!).length;
            const all = await Promise.all(Array.from({ length: 8 }, (_, i) => fetch(url(`/n${i}`)).then((r) => r.json() as Promise<FunctionUrlEvent>)));
            assert.deepEqual(
                all.map((e) => e.rawPath),
                Array.from({ length: 8 }, (_, i) => `/n${i}`),
            );
            assert.equal(descendants(echo!.child.pid!).length, before, "no process started per request");
        });

        it("stops every process it started on SIGTERM", async () => {
            const pid = echo!.child.pid!;
            const children = descendants(pid);
            assert.ok(children.length > 0, "the warm function runs below serve");
            const code = await echo!.stop("SIGTERM");
            assert.equal(code, 143);
            assert.match(echo!.stderr(), /SIGTERM: stopping/);
            assert.deepEqual(children.filter(alive), []);
            await assert.rejects(fetch(url("/plain")));
        });
    });

    it("answers 502 for a function Lambda could not load (a python3.11 library needing GLIBC_2.34), saying so when it starts", async () => {
        const zip = glibc234Function(tmpDir("serve-glibc-"));
        const served = await serve([zip, "--runtime", "python3.11"], 1);
        try {
            const res = await fetch(Object.values(served.urls)[0]);
            assert.equal(res.status, 502);
            assert.match(served.stderr(), /warning: every request is answered 502: Lambda could not load this function — .*libthreads\.so needs GLIBC_2\.34/);
            await eventually(() => /GET \/ -> 502 .*LambdaPython\.CannotLoad/.test(served.stderr()), "the request's log line");
        } finally {
            await served.stop();
        }
    });

    it("refuses a path that is neither an archive, a source folder nor a program, in one paragraph", async () => {
        const file = path.join(tmpDir(), "notes.txt");
        fs.writeFileSync(file, "x");
        const child = spawn(process.execPath, [CLI, "serve", file], { env });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        const code = await new Promise((resolve) => child.on("exit", resolve));
        assert.equal(code, 2);
        assert.match(stderr, /notes\.txt is neither a function \.zip, a source folder nor a Pulumi program folder/);
    });

    it("refuses --handler for a program, whose functions carry their own", async () => {
        const child = spawn(process.execPath, [CLI, "serve", path.join(ROOT, "examples", "hello-url"), "--handler", "x.y"], { env });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        const code = await new Promise((resolve) => child.on("exit", resolve));
        assert.equal(code, 2);
        assert.match(stderr, /is a Pulumi program: its functions' settings come from the program, so --handler cannot be given/);
    });
});
