// An event given as a file (or stdin, "-"), as Lambda would receive it: the
// JSON text as written (a 20-digit number or a 100,000-deep list reaches the
// function as it is, not as JavaScript would rewrite it), read within
// Lambda's 6 MB payload limit (a longer stdin is refused once it is past it,
// a longer file before it is read). Used by `invoke` and `preview --invoke`.
import { withCommas } from "../policies/rules/format";
import { UserError } from "../shared/errors";
import { readInput } from "../shared/user-input";
import { JsonText, MAX_PAYLOAD_BYTES } from "./index";

export async function readEventFile(source: string): Promise<JsonText> {
    const label = source === "-" ? "the event on stdin" : `event file ${source}`;
    const bytes = await readInput(source, "event file", {
        bytes: MAX_PAYLOAD_BYTES,
        refuse: (size) =>
            new UserError(
                `${label} is ${size === undefined ? `over ${withCommas(MAX_PAYLOAD_BYTES)}` : withCommas(size)} bytes; Lambda refuses a synchronous invoke's payload over ${withCommas(MAX_PAYLOAD_BYTES)} bytes (6 MB). Send a smaller event, or pass a reference to the data (e.g. an S3 key).`,
            ),
    });
    const text = bytes.toString("utf8");
    try {
        JSON.parse(text);
    } catch (e) {
        throw new UserError(`${label} is not valid JSON (${(e as Error).message}). Give a JSON document, e.g. {"key": "value"}.`);
    }
    return new JsonText(text);
}
