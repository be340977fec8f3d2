// What a build says about its dependencies: the partial-SDK advisory only
// when the function's code can reach the runtime's boto3, and no "ERROR" for
// a finding that does not stop the build.
import { strict as assert } from "assert";
import * as path from "path";
import { cli, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";

function build(app: string, runtime: string, extra: string[] = []) {
    const out = path.join(tmpDir("out-"), "fn.zip");
    const r = cli(["build", app, "--runtime", runtime, "--installer", "uv", "--cache-dir", SHARED_CACHE, "--out", out, "--quiet", ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
}

describe("dependency messages", () => {
    it("does not report urllib3 bundled for requests when nothing imports boto3", () => {
        const app = writeFiles(tmpDir("requests-"), { "app.py": "import requests\n\ndef handler(e, c):\n    return requests.__version__\n", "requirements.txt": "requests==2.32.3\n" });
        const stdout = build(app, "python3.12");
        assert.doesNotMatch(stdout, /lambda-partial-boto3/);
    });

    it("reports urllib3 bundled without boto3 when the function imports boto3 from the runtime", () => {
        const app = writeFiles(tmpDir("requests-boto3-"), {
            "app.py": "import requests\nfrom store import save\n\ndef handler(e, c):\n    return save(requests.__version__)\n",
            "store.py": "import json\nimport boto3\n\ndef save(v):\n    return boto3.client('s3')\n",
            "requirements.txt": "requests==2.32.3\n",
        });
        const stdout = build(app, "python3.12");
        assert.match(stdout, /warning \[lambda-partial-boto3\] .* bundles urllib3 without boto3: store\.py imports boto3, which then comes from the runtime/);
    });

    it("labels a finding that does not fail the build as a warning, not ERROR", () => {
        const app = writeFiles(tmpDir("old-runtime-"), { "app.py": "def handler(e, c):\n    return 1\n" });
        const stdout = build(app, "python3.10", ["--now", "2026-11-22"]);
        assert.match(stdout, /warning \[lambda-runtime-deprecation\] the function uses python3\.10: deprecated since/);
        assert.doesNotMatch(stdout, /ERROR/);
    });
});
