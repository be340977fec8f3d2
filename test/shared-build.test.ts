// The per-program build key: options that change the archive make different
// keys, at any depth; progress callbacks and per-function checks do not.
import { strict as assert } from "assert";
import { buildKey } from "../components/shared-build";

describe("shared builds", () => {
    it("tell apart options that differ only in a nested value", () => {
        const a = buildKey({ source: "/app", checks: { "lambda-runtime-deprecation": { now: "2027-01-01" } } });
        const b = buildKey({ source: "/app", checks: { "lambda-runtime-deprecation": { now: "2028-01-01" } } });
        assert.notEqual(a, b);
        assert.notEqual(buildKey({ source: "/app", exclude: ["tests/**"] }), buildKey({ source: "/app", exclude: ["docs/**"] }));
    });

    it("share a key whatever the order of options, the handler or the progress callback", () => {
        assert.equal(buildKey({ source: "/app", runtime: "python3.13", handler: "a.b", onProgress: () => {} }), buildKey({ runtime: "python3.13", source: "/app", handler: "c.d" }));
    });
});
