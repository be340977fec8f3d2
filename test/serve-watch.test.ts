// lambda-python serve --watch: an edit to the served source folder is
// rebuilt and the next requests run it; a rebuild that fails keeps the
// previous code serving. Polled on the answer, with a deadline (no sleeps).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { tmpDir, writeFiles } from "./helpers";
import { eventually, serve, Served } from "./serve-helpers";

const handler = (answer: string) => `import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"answer": ${JSON.stringify(answer)}})}
`;

/** Asks until the function answers `expected` (or the deadline passes, failing with the last answer). */
async function answersWith(url: string, expected: string, seconds = 120): Promise<void> {
    let last = "";
    for (const end = Date.now() + seconds * 1000; Date.now() < end; ) {
        const res = await fetch(url);
        last = `${res.status} ${await res.text()}`;
        if (last === `200 {"answer": "${expected}"}`) return;
    }
    assert.fail(`the function never answered ${expected} within ${seconds} s; last answer: ${last}`);
}

describe("lambda-python serve --watch", () => {
    let served: Served | undefined;
    after(async () => {
        await served?.stop();
    });

    it("rebuilds a source folder on change and answers with the new code; a failed rebuild keeps the old code", async () => {
        const src = writeFiles(tmpDir("serve-watch-"), { "app.py": handler("first") });
        served = await serve([src, "--handler", "app.handler", "--runtime", "python3.13", "--watch"], 1);
        const url = Object.values(served.urls)[0];
        await eventually(() => /watching .* for changes/.test(served!.stderr()), "serve saying it watches");
        await answersWith(url, "first", 5);

        fs.writeFileSync(path.join(src, "app.py"), handler("second"));
        await answersWith(url, "second");
        await eventually(() => /app\.py changed: rebuilding[\s\S]*reloaded /.test(served!.stderr()), "the rebuild in serve's log");

        // A requirements file the builder refuses: the rebuild fails, the second version goes on answering.
        fs.writeFileSync(path.join(src, "requirements.txt"), "--no-such-pip-option\n");
        await eventually(() => /the rebuild failed; still serving the previous code/.test(served!.stderr()), "the failed rebuild in serve's log", 120);
        await answersWith(url, "second", 5);

        // Fixed, and changed again: the next rebuild serves it.
        fs.rmSync(path.join(src, "requirements.txt"));
        fs.writeFileSync(path.join(src, "app.py"), handler("third"));
        await answersWith(url, "third");
    });
});
