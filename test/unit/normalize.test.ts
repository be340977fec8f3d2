// Making an installed tree machine-independent: bytecode and local-path
// records out, console scripts pointed at Lambda's Python, RECORD files
// rewritten to list what the archive really holds.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import { fixShebang, LAMBDA_PYTHON, normalizeDependencyTree } from "../../builder/normalize";

function tree(files: Record<string, string>) {
    const read = (rel: string) => {
        if (!(rel in files)) throw new Error(`read of a file not in the tree: ${rel}`);
        return Buffer.from(files[rel], "utf8");
    };
    return { paths: Object.keys(files), read };
}

const sha = (text: string) => crypto.createHash("sha256").update(text).digest("base64url");

describe("normalize", () => {
    it("leaves out bytecode, uv's lock and cache records, and direct_url.json files that name a local path", () => {
        const { paths, read } = tree({
            "six.py": "",
            "__pycache__/six.cpython-312.pyc": "",
            "pkg/mod.pyc": "",
            ".lock": "",
            "local_pkg-1.0.dist-info/direct_url.json": JSON.stringify({ url: "file:///home/me/src/local_pkg", dir_info: {} }),
            "remote_pkg-1.0.dist-info/direct_url.json": JSON.stringify({ url: "https://example.com/remote_pkg-1.0.tar.gz" }),
            "built_pkg-1.0.dist-info/uv_cache.json": '{"timestamp": 1733300000}',
        });
        const { drop, replace } = normalizeDependencyTree(paths, read, false);
        assert.deepEqual([...drop].sort(), [".lock", "__pycache__/six.cpython-312.pyc", "built_pkg-1.0.dist-info/uv_cache.json", "local_pkg-1.0.dist-info/direct_url.json", "pkg/mod.pyc"]);
        assert.equal(replace.size, 0);
    });

    it("points console scripts at Lambda's Python, keeping their arguments and leaving other files alone", () => {
        assert.equal(fixShebang(Buffer.from("#!/home/me/.venv/bin/python3.12 -E\nimport sys\n"))?.toString(), `#!${LAMBDA_PYTHON} -E\nimport sys\n`);
        assert.equal(fixShebang(Buffer.from("#!/bin/sh\n'''exec' /very/long/path/bin/python3 \"$0\" \"$@\"\n' '''\nimport sys\n"))?.toString(), `#!${LAMBDA_PYTHON}\nimport sys\n`);
        assert.equal(fixShebang(Buffer.from(`#!${LAMBDA_PYTHON}\nimport sys\n`)), undefined);
        assert.equal(fixShebang(Buffer.from("#!/bin/bash\necho hi\n")), undefined);
        assert.equal(fixShebang(Buffer.from("\x7fELF")), undefined);
    });

    it("rewrites RECORD: drops lines of files left out and updates the hash and size of rewritten scripts", () => {
        const script = "#!/usr/bin/python3\nfrom cowsay import main\nmain()\n";
        const { paths, read } = tree({
            "cowsay/__init__.py": "x = 1\n",
            "cowsay/__pycache__/__init__.cpython-312.pyc": "bytecode",
            "bin/cowsay": script,
            "cowsay-6.1.dist-info/RECORD": ["cowsay/__init__.py,sha256=abc,6", "cowsay/__pycache__/__init__.cpython-312.pyc,,", `../../bin/cowsay,sha256=${sha(script)},${script.length}`, "cowsay-6.1.dist-info/RECORD,,", ""].join("\n"),
        });
        const { drop, replace } = normalizeDependencyTree(paths, read);
        assert.ok(drop.has("cowsay/__pycache__/__init__.cpython-312.pyc"));
        const fixed = `#!${LAMBDA_PYTHON}\nfrom cowsay import main\nmain()\n`;
        assert.equal(replace.get("bin/cowsay")?.toString(), fixed);
        assert.equal(replace.get("cowsay-6.1.dist-info/RECORD")?.toString(), ["cowsay/__init__.py,sha256=abc,6", `../../bin/cowsay,sha256=${sha(fixed)},${fixed.length}`, "cowsay-6.1.dist-info/RECORD,,", ""].join("\n"));
    });

    it("does not read RECORD files when nothing was left out or changed", () => {
        const { paths, read } = tree({ "six.py": "", "six-1.17.0.dist-info/RECORD": "six.py,sha256=abc,0\n" });
        const reads: string[] = [];
        const { drop, replace } = normalizeDependencyTree(
            paths,
            (rel) => {
                reads.push(rel);
                return read(rel);
            },
            false,
        );
        assert.deepEqual([drop.size, replace.size, reads], [0, 0, []]);
    });
});
