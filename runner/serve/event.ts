// An HTTP request as a Lambda function URL event: API Gateway HTTP API
// payload format 2.0, as AWS documents it in "Invoking Lambda function URLs"
// (urls-invocation, "Request payload format"). Pure: no sockets, no clock.

/** What the server read off the socket; rawHeaders as Node gives them (name, value, name, value …). */
export interface IncomingRequest {
    method: string;
    /** The request target as sent: path and query, still percent-encoded. */
    url: string;
    /** "1.1", "1.0" … */
    httpVersion: string;
    rawHeaders: string[];
    body: Buffer;
    sourceIp: string;
}

/** What a function URL knows about itself and the moment of the request. */
export interface EventContext {
    requestId: string;
    now: Date;
    /** host[:port] the client used, e.g. "127.0.0.1:9000". */
    domainName: string;
    /** The URL id (first label of the function URL's host). */
    urlId: string;
    /** The port the client connected to, for x-forwarded-port. */
    port: number;
}

export interface FunctionUrlEvent {
    version: "2.0";
    routeKey: "$default";
    rawPath: string;
    rawQueryString: string;
    cookies?: string[];
    headers: Record<string, string>;
    queryStringParameters?: Record<string, string>;
    requestContext: {
        accountId: string;
        apiId: string;
        domainName: string;
        domainPrefix: string;
        http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
        requestId: string;
        routeKey: "$default";
        stage: "$default";
        time: string;
        timeEpoch: number;
    };
    body?: string;
    isBase64Encoded: boolean;
}

/**
 * Content types whose bodies reach the function as text. AWS documents only "if the content type of the
 * request is binary, the body is base64-encoded"; this split (text/*, JSON, XML, JavaScript — and not
 * form posts, nor a body without a content type) is what HTTP APIs were observed doing
 * (ministackorg/ministack#766, checked against AWS).
 */
const TEXT_TYPES = [/^text\//, /^application\/json$/, /^application\/xml$/, /^application\/javascript$/];

export function isTextContentType(contentType: string | undefined): boolean {
    const media = (contentType ?? "").split(";")[0].trim().toLowerCase();
    return media !== "" && TEXT_TYPES.some((t) => t.test(media));
}

/** The request target's path and query: an absolute-form target (RFC 9112 section 3.2.2, "GET http://host/p?q") has its scheme and authority dropped, as a front end does. */
function originForm(target: string): string {
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(.*)$/.exec(target);
    if (!m) return target;
    return m[1].startsWith("/") ? m[1] : `/${m[1]}`;
}

export function buildEvent(request: IncomingRequest, context: EventContext): FunctionUrlEvent {
    const [rawPath, ...query] = originForm(request.url).split("?");
    const rawQueryString = query.join("?");
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
        const name = request.rawHeaders[i].toLowerCase();
        const value = request.rawHeaders[i + 1];
        // Cookies travel in their own field and not among the headers, as in payload 2.0.
        if (name === "cookie")
            cookies.push(
                ...value
                    .split(";")
                    .map((c) => c.trim())
                    .filter(Boolean),
            );
        else headers[name] = name in headers ? `${headers[name]},${value}` : value;
    }
    headers["x-forwarded-for"] ??= request.sourceIp;
    headers["x-forwarded-proto"] ??= "http";
    headers["x-forwarded-port"] ??= String(context.port);
    const event: FunctionUrlEvent = {
        version: "2.0",
        routeKey: "$default",
        rawPath: rawPath || "/",
        rawQueryString,
        headers,
        requestContext: {
            accountId: "anonymous",
            apiId: context.urlId,
            domainName: context.domainName,
            domainPrefix: context.urlId,
            http: {
                method: request.method.toUpperCase(),
                path: rawPath || "/",
                protocol: `HTTP/${request.httpVersion}`,
                sourceIp: request.sourceIp,
                userAgent: headers["user-agent"] ?? "",
            },
            requestId: context.requestId,
            routeKey: "$default",
            stage: "$default",
            time: clfTime(context.now),
            timeEpoch: context.now.getTime(),
        },
        isBase64Encoded: false,
    };
    if (cookies.length) event.cookies = cookies;
    const parameters = queryParameters(rawQueryString);
    if (parameters) event.queryStringParameters = parameters;
    if (request.body.length) {
        event.isBase64Encoded = !isTextContentType(headers["content-type"]);
        event.body = event.isBase64Encoded ? request.body.toString("base64") : request.body.toString("utf8");
    }
    return event;
}

/** Decoded query parameters; a key given several times has its values joined with commas. */
function queryParameters(rawQueryString: string): Record<string, string> | undefined {
    if (!rawQueryString) return undefined;
    const out: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(rawQueryString)) out[key] = key in out ? `${out[key]},${value}` : value;
    return Object.keys(out).length ? out : undefined;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** requestContext.time's format: "07/Sep/2021:22:50:22 +0000" (UTC). */
export function clfTime(d: Date): string {
    const two = (n: number) => String(n).padStart(2, "0");
    return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}
