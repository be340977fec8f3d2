// lambda-python preview --policy-config FILE: the policy pack config file
// `pulumi preview --policy-pack-config` takes, applied to the pack in the
// offline preview (levels, "all", a policy's fields), and refused in one
// paragraph when it cannot be applied.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { assertOneParagraph, cli, ROOT, SHARED_CACHE, tmpDir } from "./helpers";

const env = { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE };
const HELLO = path.join(ROOT, "examples", "hello-url");

interface Report {
    diagnostics: { policy: string; level: string; message: string }[];
}

function configFile(content: unknown): string {
    const file = path.join(tmpDir("policy-config-"), "policy-config.json");
    fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content, null, 2));
    return file;
}

function preview(config: unknown): { code: number; report: Report; stderr: string } {
    const r = cli(["preview", HELLO, "--json", "--quiet", "--policy-config", configFile(config)], { env });
    return { code: r.code, report: JSON.parse(r.stdout || "{}"), stderr: r.stderr };
}

const levels = (report: Report, policy: string) => report.diagnostics.filter((d) => d.policy === policy).map((d) => d.level);

describe("lambda-python preview --policy-config", () => {
    it("previews as the pack's defaults say without one: hello-url's public URL is an advisory", () => {
        const r = cli(["preview", HELLO, "--json", "--quiet"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(levels(JSON.parse(r.stdout), "lambda-function-url-public"), ["advisory"]);
    });

    it("disables a policy", () => {
        const r = preview({ "lambda-function-url-public": "disabled" });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(levels(r.report, "lambda-function-url-public"), []);
    });

    it("raises a policy's level: the public URL becomes a mandatory violation, and the preview fails", () => {
        const r = preview({ "lambda-function-url-public": { enforcementLevel: "mandatory" } });
        assert.equal(r.code, 1, r.stderr);
        assert.deepEqual(levels(r.report, "lambda-function-url-public"), ["mandatory"]);
    });

    it("changes a policy's threshold: an archive over a 100-byte maxZippedBytes is a mandatory violation", () => {
        const r = preview({ "lambda-zip-size": { maxZippedBytes: 100 } });
        assert.equal(r.code, 1, r.stderr);
        const found = r.report.diagnostics.filter((d) => d.policy === "lambda-zip-size");
        assert.equal(found.length, 1, JSON.stringify(r.report.diagnostics));
        assert.equal(found[0].level, "mandatory");
        assert.match(found[0].message, /function "hello-url" is \d+ B \(\d+ bytes\) zipped, over the 100 B \(100 bytes\) limit for direct upload/);
    });

    it("sets every policy's level with \"all\", a policy's own entry winning", () => {
        const r = preview({ all: "advisory", "lambda-zip-size": { maxZippedBytes: 100 }, "lambda-function-url-public": "disabled" });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(levels(r.report, "lambda-zip-size"), ["advisory"]);
        assert.deepEqual(levels(r.report, "lambda-function-url-public"), []);
    });

    describe("refuses, in one paragraph before the program runs", () => {
        const refused = (args: string[], pattern: RegExp) => assertOneParagraph(cli(["preview", HELLO, "--quiet", "--policy-config", ...args], { env }), pattern);

        it("a file that does not exist", () => {
            refused([path.join(tmpDir(), "nope.json")], /policy config file \S+nope\.json does not exist/);
        });

        it("a file that is not JSON", () => {
            refused([configFile("lambda-zip-size: disabled\n")], /policy config file \S+ is not JSON \(.*\)\. It takes what pulumi preview --policy-pack-config takes/);
        });

        it("a policy the pack does not have, listing the pack's", () => {
            refused([configFile({ "lambda-zip-sizes": "disabled" })], /names "lambda-zip-sizes", which is not a policy of the lambda-python pack\. Its policies: lambda-zip-size, lambda-unzipped-size, /);
        });

        it("a level that is not one", () => {
            refused([configFile({ "lambda-zip-size": "warn" })], /"lambda-zip-size" in \S+ must be "advisory", "mandatory" or "disabled", not "warn"\./);
        });

        it("a field the policy does not have, listing its fields", () => {
            refused([configFile({ "lambda-zip-size": { maxBytes: 10 } })], /"lambda-zip-size" in policy config file \S+ has no field "maxBytes"\. Its fields: maxZippedBytes, exempt, programDir/);
        });

        it("a field of the wrong type", () => {
            refused([configFile({ "lambda-zip-size": { maxZippedBytes: "10 MB" } })], /lambda-zip-size\.maxZippedBytes must be a whole number, not "10 MB"\./);
        });
    });
});
