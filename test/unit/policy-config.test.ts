// The policy pack config file of `lambda-python preview --policy-config`
// (preview/policy-config.ts): checked against the pack's policies and their
// config schemas, and applied by wrapping the policies.
import { strict as assert } from "assert";
import { lambdaPolicies } from "../../policies/pack/policies";
import { analyzeStackResources } from "../../preview/analyze";
import { checkPolicyConfig, configurePolicies, SCHEMA_KEYWORDS } from "../../preview/policy-config";

const urlResource = { type: "aws:lambda/functionUrl:FunctionUrl", name: "api-url", urn: "urn:pulumi:dev::app::aws:lambda/functionUrl:FunctionUrl::api-url", props: { functionName: "api", authorizationType: "NONE" } };

function keywordsOf(schema: unknown, into = new Set<string>()): Set<string> {
    if (!schema || typeof schema !== "object") return into;
    for (const [k, v] of Object.entries(schema)) {
        into.add(k);
        if (k === "properties") for (const s of Object.values(v as object)) keywordsOf(s, into);
        else if (k === "items" || k === "additionalProperties") keywordsOf(v, into);
    }
    return into;
}

describe("policy pack config (preview --policy-config)", () => {
    it("knows every schema keyword the pack's config schemas use", () => {
        for (const p of lambdaPolicies) {
            for (const field of Object.values((p.configSchema?.properties ?? {}) as Record<string, unknown>)) {
                for (const k of keywordsOf(field)) assert.ok(SCHEMA_KEYWORDS.has(k), `${p.name}: the schema keyword "${k}" is not checked by preview/policy-config.ts`);
            }
        }
    });

    it("reads levels as strings or in objects, and the fields beside them", () => {
        const config = checkPolicyConfig({ all: { enforcementLevel: "advisory" }, "lambda-zip-size": { enforcementLevel: "mandatory", maxZippedBytes: 1000 }, "lambda-no-pycache": "disabled" }, lambdaPolicies, "c.json");
        assert.deepEqual(config, {
            all: { enforcementLevel: "advisory", properties: {} },
            "lambda-zip-size": { enforcementLevel: "mandatory", properties: { maxZippedBytes: 1000 } },
            "lambda-no-pycache": { enforcementLevel: "disabled", properties: {} },
        });
    });

    it("checks nested fields against their schema: a runtime date that is not YYYY-MM-DD", () => {
        assert.throws(
            () => checkPolicyConfig({ "lambda-runtime-deprecation": { runtimes: { "python3.9": { deprecated: "Dec 2025" } } } }, lambdaPolicies, "c.json"),
            /lambda-runtime-deprecation\.runtimes\.python3\.9\.deprecated "Dec 2025" does not match/,
        );
        assert.throws(() => checkPolicyConfig({ "lambda-unzipped-size": { warnAtShare: 2 } }, lambdaPolicies, "c.json"), /warnAtShare must be at most 1, not 2/);
        assert.throws(() => checkPolicyConfig({ "lambda-zip-size": { exempt: ["a", 3] } }, lambdaPolicies, "c.json"), /lambda-zip-size\.exempt\[1\] must be a string, not 3/);
    });

    it("refuses remediate, which no policy of the pack does", () => {
        assert.throws(() => checkPolicyConfig({ "lambda-zip-size": "remediate" }, lambdaPolicies, "c.json"), /"remediate" needs a policy that remediates, and no lambda-python policy does/);
    });

    it("applies a level and a field through the analyzer (a stack policy here), and keeps the pack's policies as they were", async () => {
        const before = (await analyzeStackResources([urlResource])).filter((d) => d.policy === "lambda-function-url-public");
        assert.deepEqual(
            before.map((d) => d.level),
            ["advisory"],
        );
        const configured = configurePolicies(lambdaPolicies, checkPolicyConfig({ "lambda-function-url-public": "mandatory" }, lambdaPolicies, "c.json"));
        const after = (await analyzeStackResources([urlResource], configured)).filter((d) => d.policy === "lambda-function-url-public");
        assert.deepEqual(
            after.map((d) => d.level),
            ["mandatory"],
        );
        const exempt = configurePolicies(lambdaPolicies, checkPolicyConfig({ "lambda-function-url-public": { enforcementLevel: "mandatory", exempt: ["api-url"] } }, lambdaPolicies, "c.json"));
        const exempted = (await analyzeStackResources([urlResource], exempt)).filter((d) => d.policy === "lambda-function-url-public");
        assert.deepEqual(
            exempted.map((d) => d.level),
            ["advisory"],
        );
        assert.match(exempted[0].message, /Exempt: .* is in the policy's exempt config/);
        assert.equal(lambdaPolicies.find((p) => p.name === "lambda-function-url-public")?.enforcementLevel, "advisory", "the pack itself is unchanged");
    });
});
