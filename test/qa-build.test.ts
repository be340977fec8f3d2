// Outsider's checks of lambda-python build: a --out that refuses new files
// ends in one paragraph, not an internal error; and the default installer
// (uv) ships the same wheel files as --installer pip.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cli, pyRead, pyZip, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";

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

describe("qa: uv and pip ship the same wheel files", () => {
    // lxml 6.2.1 publishes cp311 wheels for manylinux2014 (glibc 2.17) and manylinux_2_26: pip, given Amazon Linux 2's
    // ladder (2.26 down), prefers the 2_26 one; uv took the 2014 one. Only INSTALLER (and its RECORD line) may differ.
    it("installs lxml's manylinux_2_26 wheel for python3.11 with both, every other file byte for byte the same", () => {
        const app = writeFiles(tmpDir("lxml-"), { "app.py": "def handler(event, context):\n    return 1\n", "requirements.txt": "lxml==6.2.1\n" });
        const zips = ["pip", "uv"].map((installer) => {
            const out = path.join(tmpDir(), `${installer}.zip`);
            const r = cli(["build", app, "--installer", installer, "--runtime", "python3.11", "--arch", "x86_64", "--out", out, "--cache-dir", SHARED_CACHE, "--quiet"]);
            assert.equal(r.code, 0, r.stderr);
            return out;
        });
        const tags = zips.map((z) =>
            pyRead(z, "lxml-6.2.1.dist-info/WHEEL")
                .toString()
                .match(/^Tag: .*$/gm),
        );
        assert.deepEqual(tags[0], ["Tag: cp311-cp311-manylinux_2_26_x86_64", "Tag: cp311-cp311-manylinux_2_28_x86_64"]);
        assert.deepEqual(tags[1], tags[0]);
        // Python's zipfile, independent of our reader: names and bytes of every member but INSTALLER and RECORD.
        const compare = [
            "import re, sys, zipfile",
            "a, b = (zipfile.ZipFile(p) for p in sys.argv[1:3])",
            "keep = lambda z: sorted(n for n in z.namelist() if not re.search(r'\\.dist-info/(INSTALLER|RECORD)$', n))",
            "names = keep(a)",
            "print('names differ' if names != keep(b) else '\\n'.join(n for n in names if a.read(n) != b.read(n)) or 'same')",
        ].join("\n");
        const r = spawnSync("python3", ["-c", compare, ...zips], { encoding: "utf8" });
        assert.equal(r.stdout.trim(), "same", r.stderr);
        assert.ok(pyZip(zips[1]).entries.some((e) => /^lxml\/etree\.cpython-311-x86_64-linux-gnu\.so$/.test(e.name)));
    });
});
