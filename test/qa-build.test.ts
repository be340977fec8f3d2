// Outsider's --out destinations for lambda-python build: a place that refuses
// new files ends in one paragraph, not an internal error.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { cli, SHARED_CACHE, tmpDir } from "./helpers";

describe("qa: build --out where nothing can be written", () => {
    it("refuses /proc as the destination in one paragraph", () => {
        const src = tmpDir("lp-qa-build-");
        fs.writeFileSync(path.join(src, "lambda_function.py"), "def lambda_handler(event, context):\n    return 1\n");
        const r = cli(["build", src, "--out", "/proc/lp-qa-function.zip"], { env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE } });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /lambda-python: error: cannot write the archive's destination \/proc\/lp-qa-function\.zip \(--out\): ENOENT, .* Choose a file in a writable folder\./);
        assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
    });
});
