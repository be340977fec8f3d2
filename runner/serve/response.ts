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

export function toHttpResponse(outcome: InvocationOutcome): HttpResponse {
    if (outcome.timedOut) return badGateway("the function timed out");
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
