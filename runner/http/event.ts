// An HTTP request as the event its front end sends a Lambda function: a
// function URL's (API Gateway HTTP API payload format 2.0, as AWS documents
// it in "Invoking Lambda function URLs", "Request payload format"), an HTTP
// API's (payload 2.0, its $default route) or a REST API's (Lambda proxy
// integration, payload 1.0, a {proxy+} resource). Pure: no sockets, no clock.
// `lambda-python event url|http|rest` writes these same events.

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

/** Which front end's event (and response rules, response.ts): a function URL, an HTTP API (2.0) or a REST API (1.0). */
export type ApiKind = "url" | "http" | "rest";
export const API_KINDS: readonly ApiKind[] = ["url", "http", "rest"];

/** The account id sample events and API events carry (AWS's documentation examples use it too). */
export const SAMPLE_ACCOUNT = "123456789012";

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

/** The event `kind`'s front end sends for this request. */
export function buildApiEvent(kind: ApiKind, request: IncomingRequest, context: EventContext): object {
    if (kind === "rest") return buildRestEvent(request, context);
    const event = buildEvent(request, context);
    if (kind === "http") {
        // An HTTP API's $default route: the same payload 2.0, from an API in an account, at its stage.
        event.requestContext.accountId = SAMPLE_ACCOUNT;
    }
    return event;
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

/** A REST API's stage, in requestContext.path ("/prod/orders") and .stage. */
const REST_STAGE = "prod";

/**
 * A REST API's Lambda proxy integration event (payload 1.0) for an API whose
 * `ANY /{proxy+}` resource (and `ANY /` for the root) sends every request to
 * the function, deployed to a stage, without binary media types — as AWS
 * documents it in "Set up a proxy integration with a proxy resource"
 * ("Input format of a Lambda function for proxy integration"). Headers keep
 * their case; `headers` and `queryStringParameters` hold the last value and
 * the `multiValue…` maps every value; the body is text (an API without
 * binary media types passes no body as base64), null when there is none.
 */
function buildRestEvent(request: IncomingRequest, context: EventContext): object {
    const [rawPath, ...query] = originForm(request.url).split("?");
    const path = rawPath || "/";
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
        const [name, value] = [request.rawHeaders[i], request.rawHeaders[i + 1]];
        // One entry per name whatever its case, under the case it was first sent with.
        const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
        headers[key] = value;
        (multiValueHeaders[key] ??= []).push(value);
    }
    const forwarded: [string, string][] = [
        ["X-Forwarded-For", request.sourceIp],
        ["X-Forwarded-Proto", "http"],
        ["X-Forwarded-Port", String(context.port)],
    ];
    for (const [name, value] of forwarded) {
        if (Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase())) continue;
        headers[name] = value;
        multiValueHeaders[name] = [value];
    }
    const single: Record<string, string> = {};
    const multi: Record<string, string[]> = {};
    for (const [key, value] of new URLSearchParams(query.join("?"))) {
        single[key] = value;
        (multi[key] ??= []).push(value);
    }
    const hasQuery = Object.keys(single).length > 0;
    const resource = path === "/" ? "/" : "/{proxy+}";
    const userAgent = Object.entries(headers).find(([k]) => k.toLowerCase() === "user-agent")?.[1] ?? null;
    return {
        resource,
        path,
        httpMethod: request.method.toUpperCase(),
        headers,
        multiValueHeaders,
        queryStringParameters: hasQuery ? single : null,
        multiValueQueryStringParameters: hasQuery ? multi : null,
        pathParameters: path === "/" ? null : { proxy: decodeURIComponentSafe(path.slice(1)) },
        stageVariables: null,
        requestContext: {
            accountId: SAMPLE_ACCOUNT,
            apiId: context.urlId,
            domainName: context.domainName,
            domainPrefix: context.urlId,
            extendedRequestId: context.requestId,
            httpMethod: request.method.toUpperCase(),
            identity: {
                accessKey: null,
                accountId: null,
                caller: null,
                cognitoAuthenticationProvider: null,
                cognitoAuthenticationType: null,
                cognitoIdentityId: null,
                cognitoIdentityPoolId: null,
                principalOrgId: null,
                sourceIp: request.sourceIp,
                user: null,
                userAgent,
                userArn: null,
            },
            path: `/${REST_STAGE}${path}`,
            protocol: `HTTP/${request.httpVersion}`,
            requestId: context.requestId,
            requestTime: clfTime(context.now),
            requestTimeEpoch: context.now.getTime(),
            resourceId: "abc123",
            resourcePath: resource,
            stage: REST_STAGE,
        },
        body: request.body.length ? request.body.toString("utf8") : null,
        isBase64Encoded: false,
    };
}

function decodeURIComponentSafe(s: string): string {
    try {
        return decodeURIComponent(s);
    } catch {
        return s;
    }
}
