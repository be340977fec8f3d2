// A PythonFunction's name in AWS, derived before anything is created so that
// its log group can be /aws/lambda/<function name> (components/function-name.ts).
import { strict as assert } from "assert";
import { derivedFunctionName, functionNameProblem, logGroupNameOf } from "../../components/function-name";

describe("a PythonFunction's derived function name", () => {
    it("is the component's name and 7 hex digits, the same on every run", () => {
        const name = derivedFunctionName("api", "shop", "prod");
        assert.match(name, /^api-[0-9a-f]{7}$/);
        assert.equal(derivedFunctionName("api", "shop", "prod"), name);
    });

    it("differs between stacks and projects that may share an account, and between components", () => {
        const names = new Set([derivedFunctionName("api", "shop", "prod"), derivedFunctionName("api", "shop", "dev"), derivedFunctionName("api", "blog", "prod"), derivedFunctionName("api-2", "shop", "prod")]);
        assert.equal(names.size, 4);
    });

    it("is a name Lambda accepts whatever the component's name: other characters become hyphens, the length at most 64", () => {
        for (const component of ["orders.v2/api", "x".repeat(200), "émoji 🚀", "---"]) {
            const name = derivedFunctionName(component, "p", "s");
            assert.equal(functionNameProblem(name), undefined, `${component} → ${name}`);
        }
        assert.match(derivedFunctionName("orders.v2/api", "p", "s"), /^orders-v2-api-[0-9a-f]{7}$/);
        assert.equal(derivedFunctionName("x".repeat(200), "p", "s").length, 64);
    });

    it("gives the log group Lambda writes to", () => {
        assert.equal(logGroupNameOf("api-1234567"), "/aws/lambda/api-1234567");
    });

    it("refuses given names Lambda refuses, saying what to do", () => {
        assert.match(functionNameProblem("a".repeat(65)) ?? "", /1 to 64 characters .* has 65\. Shorten it, or leave it out/);
        assert.match(functionNameProblem("") ?? "", /1 to 64 characters/);
        assert.match(functionNameProblem("orders api") ?? "", /may hold only letters, digits, hyphens and underscores/);
        assert.equal(functionNameProblem("orders_api-2"), undefined);
    });
});
