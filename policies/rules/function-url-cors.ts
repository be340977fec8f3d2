// lambda-function-url-cors: a function URL whose CORS configuration lets
// every origin ("*") send credentialed requests. Browsers refuse "*" with
// credentials, so such a setting is either broken or about to be "fixed" by
// reflecting any origin — both wrong.
import { finding, Finding } from "./types";

export function checkFunctionUrlCors(subject: string, allowOrigins: (string | undefined)[] | undefined, allowCredentials: unknown): Finding[] {
    if (allowCredentials !== true || !allowOrigins?.includes("*")) return [];
    return [
        finding(
            "lambda-function-url-cors",
            "mandatory",
            `${subject} has a function URL whose CORS allows every origin ("*") together with credentials (cookies, authorization headers). List the origins that may call it in cors.allowOrigins, or set allowCredentials to false.`,
        ),
    ];
}
