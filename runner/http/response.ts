// A function's result as the HTTP response a function URL sends, by the
// payload 2.0 rules AWS documents in "Invoking Lambda function URLs"
// ("Response payload format", "Cookies"). Pure.
//
// A result HTTP cannot carry (a header name that is not a token, a value or
// cookie with CR, LF or NUL, a character above U+00FF) is answered 502, like
// any result a function URL cannot map: AWS does not document the function
// URL's answer for it, and its documented siblings answer 502 (CloudFront's
// "Lambda validation error ... invalid character in header value",
// API Gateway's "Malformed Lambda proxy response").
import { validateHeaderName, validateHeaderValue } from "http";
import type { ApiKind } from "./event";

/** What an invocation gave; the runner's InvokeResult has these fields. */
export interface InvocationOutcome {
    ok: boolean;
    /** The response (or error) document as JSON text. */
    payload: string;
    timedOut: boolean;
    error?: { errorType: string; errorMessage: string };
}

export interface HttpResponse {
    statusCode: number;
    /** In order; a name may repeat (set-cookie). */
    headers: [string, string][];
    body: Buffer;
    /** Why the function URL answered 502, for the server's log; absent on success. */
    problem?: string;
}

const JSON_TYPE: [string, string] = ["content-type", "application/json"];
/** Standard base64 (RFC 4648 section 4), padding optional, as Python's base64.b64encode writes it. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** A function URL's answer when the function fails, times out or returns something it cannot map; the details stay in the log. */
export function badGateway(problem: string): HttpResponse {
    return { statusCode: 502, headers: [["content-type", "text/plain"]], body: Buffer.from("Internal Server Error"), problem };
}

/** A timeout, for serve's log: what Lambda says, and what to change. */
function timedOut(outcome: InvocationOutcome): string {
    return `the function timed out (${outcome.payload.trim()}): give it a longer timeout (--timeout S, or the program's timeout), or make it faster`;
}

export function toHttpResponse(outcome: InvocationOutcome): HttpResponse {
    if (outcome.timedOut) return badGateway(timedOut(outcome));
    if (!outcome.ok) return badGateway(outcome.error ? `the function failed with ${outcome.error.errorType}: ${outcome.error.errorMessage}` : `the function failed: ${outcome.payload}`);
    let result: unknown;
    try {
        result = JSON.parse(outcome.payload);
    } catch {
        return badGateway(`the function's response is not JSON: ${outcome.payload.slice(0, 200)}`);
    }
    // Without a statusCode, the whole result is the body of a 200 JSON response.
    if (!isObject(result) || !("statusCode" in result)) return { statusCode: 200, headers: [JSON_TYPE], body: Buffer.from(outcome.payload) };

    const status = result.statusCode;
    // 1xx are interim answers a server sends before the real one, never the response itself.
    if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) {
        return badGateway(`the function's statusCode ${JSON.stringify(status)} is not an HTTP status for a response (an integer from 200 to 599)`);
    }
    const headers: [string, string][] = [];
    if (result.headers !== undefined && result.headers !== null) {
        if (!isObject(result.headers)) return badGateway(`the function's headers must be an object of strings, not ${JSON.stringify(result.headers)}`);
        for (const [name, value] of Object.entries(result.headers)) {
            if (value === null || value === undefined) continue;
            // A number or boolean is sent as JSON writes it; a list or an object has no header form (JavaScript's
            // "1,2" or "[object Object]" would be this server's invention, not the function's answer).
            if (typeof value === "object") return badGateway(`the function's header ${JSON.stringify(name)} is ${Array.isArray(value) ? "a list" : "an object"}, not a string`);
            headers.push([name, String(value)]);
        }
    }
    if (!headers.some(([name]) => name.toLowerCase() === "content-type")) headers.push(JSON_TYPE);
    if (result.cookies !== undefined && result.cookies !== null) {
        if (!Array.isArray(result.cookies)) return badGateway(`the function's cookies must be a list of strings, not ${JSON.stringify(result.cookies)}`);
        for (const cookie of result.cookies) {
            if (typeof cookie !== "string") return badGateway(`the function's cookies must be strings, not ${JSON.stringify(cookie)}`);
            headers.push(["set-cookie", cookie]);
        }
    }
    const unsendable = headers.map(([name, value]) => headerProblem(name, value)).find(Boolean);
    if (unsendable) return badGateway(unsendable);
    const raw = result.body;
    let text: string;
    try {
        text = raw === undefined || raw === null ? "" : typeof raw === "string" ? raw : JSON.stringify(raw);
    } catch (e) {
        // A body nested deeper than the JSON writer's stack (RangeError) cannot be sent.
        return badGateway(`the function's body cannot be written as JSON: ${(e as Error).message}`);
    }
    // Node decodes any text as base64, skipping what is not; a body that is not base64 is not the bytes the function meant.
    if (result.isBase64Encoded === true && !BASE64.test(text)) return badGateway("the function's body is marked isBase64Encoded but is not base64");
    const body = result.isBase64Encoded === true ? Buffer.from(text, "base64") : Buffer.from(text, "utf8");
    return { statusCode: status, headers, body };
}

/** Why HTTP cannot carry this header (Node's own checks, which are RFC 9110's), or undefined. */
function headerProblem(name: string, value: string): string | undefined {
    const what = name.toLowerCase() === "set-cookie" ? "cookie" : `header ${JSON.stringify(name)}`;
    try {
        validateHeaderName(name);
    } catch {
        return `the function's header name ${JSON.stringify(name)} is not an HTTP token (letters, digits and !#$%&'*+-.^_\`|~, no spaces)`;
    }
    try {
        validateHeaderValue(name, value);
    } catch {
        return `the function's ${what} has a value HTTP cannot carry (a CR, LF or NUL, or a character above U+00FF): ${JSON.stringify(value.slice(0, 100))}`;
    }
    return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ------------------------------------------------------------------ API Gateway

/** An API Gateway error response: its JSON `{"message": …}` body. */
function gatewayError(statusCode: number, message: string, problem: string): HttpResponse {
    return { statusCode, headers: [["content-type", "application/json"]], body: Buffer.from(JSON.stringify({ message })), problem };
}

/**
 * The response `kind`'s front end sends for this outcome. An HTTP API maps
 * a payload 2.0 result as a function URL does, and answers a failure 500
 * `{"message":"Internal Server Error"}` ("Working with AWS Lambda proxy
 * integrations for HTTP APIs"); a REST API by its own rules (toRestResponse).
 */
export function toApiResponse(kind: ApiKind, outcome: InvocationOutcome): HttpResponse {
    if (kind === "rest") return toRestResponse(outcome);
    const response = toHttpResponse(outcome);
    if (kind === "http" && response.problem) return gatewayError(500, "Internal Server Error", response.problem);
    return response;
}

const REST_KEYS = new Set(["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"]);

/**
 * A REST API's Lambda proxy integration response (payload 1.0), as AWS
 * documents it ("Output format of a Lambda function for proxy integration"):
 * an object with an integer `statusCode`, `headers` and `multiValueHeaders`
 * (merged; a name in both takes the multi-value list), a string `body`, and
 * `isBase64Encoded`. Anything else — no statusCode, a body that is not a
 * string, a key it does not know — is a "Malformed Lambda proxy response",
 * 502 `{"message": "Internal server error"}`, as is a function error or
 * timeout. An API without binary media types sends a base64 body as the
 * text it is (it decodes only for a binary media type it was configured with).
 */
function toRestResponse(outcome: InvocationOutcome): HttpResponse {
    const fail = (problem: string) => gatewayError(502, "Internal server error", problem);
    if (outcome.timedOut) return fail(timedOut(outcome));
    if (!outcome.ok) return fail(outcome.error ? `the function failed with ${outcome.error.errorType}: ${outcome.error.errorMessage}` : `the function failed: ${outcome.payload}`);
    let result: unknown;
    try {
        result = JSON.parse(outcome.payload);
    } catch {
        return fail(`Malformed Lambda proxy response: the response is not JSON: ${outcome.payload.slice(0, 200)}`);
    }
    const malformed = (why: string) => fail(`Malformed Lambda proxy response: ${why} (a REST API wants {statusCode, headers, multiValueHeaders, body, isBase64Encoded})`);
    if (!isObject(result)) return malformed(`the response is ${JSON.stringify(result).slice(0, 100)}, not an object`);
    const unknown = Object.keys(result).filter((k) => !REST_KEYS.has(k));
    if (unknown.length) return malformed(`unknown key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`);
    const status = result.statusCode;
    if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) return malformed(`statusCode ${JSON.stringify(status)} is not an HTTP status (an integer from 200 to 599)`);
    const merged = new Map<string, { name: string; values: string[] }>();
    for (const field of ["headers", "multiValueHeaders"] as const) {
        const given = result[field];
        if (given === undefined || given === null) continue;
        if (!isObject(given)) return malformed(`${field} is not an object`);
        for (const [name, value] of Object.entries(given)) {
            if (value === null || value === undefined) continue;
            const values = field === "multiValueHeaders" ? value : [value];
            if (!Array.isArray(values) || values.some((v) => typeof v === "object")) return malformed(`${field}.${name} is not ${field === "headers" ? "a string" : "a list of strings"}`);
            merged.set(name.toLowerCase(), { name, values: values.map(String) });
        }
    }
    const headers: [string, string][] = [...merged.values()].flatMap(({ name, values }) => values.map((v): [string, string] => [name, v]));
    if (!merged.has("content-type")) headers.push(JSON_TYPE);
    const unsendable = headers.map(([name, value]) => headerProblem(name, value)).find(Boolean);
    if (unsendable) return fail(unsendable);
    const body = result.body;
    if (body !== undefined && body !== null && typeof body !== "string") return malformed(`body is ${Array.isArray(body) ? "a list" : typeof body}, not a string (json.dumps it)`);
    return { statusCode: status, headers, body: Buffer.from(body ?? "", "utf8") };
}
