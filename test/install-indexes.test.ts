// Which package indexes are in force, gathered from requirement files,
// --installer-arg and the environment, and how each installer is told.
import { strict as assert } from "assert";
import * as path from "path";
import { pipConfigIndexes, uvConfigIndexes } from "../builder/install/config-files";
import { describeIndexes, packageIndexes, pipIndexArgs, splitIndexArgs, uvIndexArgs } from "../builder/install/indexes";
import { tmpDir, writeFiles } from "./helpers";

describe("package indexes named by the user", () => {
    it("takes the primary index from the requirements file before --installer-arg and the environment, as pip does", () => {
        const ix = packageIndexes([{ file: "/app/requirements.txt", args: ["--index-url", "https://file.example/simple"] }], ["--index-url=https://arg.example/simple"], {
            PIP_INDEX_URL: "https://env.example/simple",
        });
        assert.equal(ix.indexUrl, "https://file.example/simple");
        assert.equal(packageIndexes([], ["-i", "https://arg.example/simple"], { PIP_INDEX_URL: "https://env.example/simple" }).indexUrl, "https://arg.example/simple");
    });

    it("reads uv's and pip's environment variables alike, so either installer honours both", () => {
        const ix = packageIndexes([], [], { UV_INDEX_URL: "https://uv.example/simple/", PIP_EXTRA_INDEX_URL: "https://a.example/simple https://b.example/simple", UV_INDEX: "corp=https://c.example/simple" });
        assert.equal(ix.indexUrl, "https://uv.example/simple");
        assert.deepEqual(ix.extraIndexUrls, ["https://c.example/simple", "https://a.example/simple", "https://b.example/simple"]);
        assert.deepEqual(pipIndexArgs(ix).slice(0, 2), ["--index-url", "https://uv.example/simple"]);
        assert.deepEqual(uvIndexArgs(ix).slice(0, 2), ["--index-url", "https://uv.example/simple"]);
    });

    it("resolves find-links in a requirements file against that file's folder", () => {
        const ix = packageIndexes([{ file: "/app/reqs/requirements.txt", args: ["--find-links", "../wheels"] }], [], {});
        assert.deepEqual(ix.findLinks, ["/app/wheels"]);
    });

    it("always names the primary index explicitly, PyPI when the user named none", () => {
        assert.deepEqual(pipIndexArgs(packageIndexes([], [], {})), ["--index-url", "https://pypi.org/simple"]);
        assert.deepEqual(pipIndexArgs(packageIndexes([], ["--no-index", "-f", "/w"], {})), ["--no-index", "--find-links", "/w"]);
    });

    it("keeps options that are not about indexes for the installer", () => {
        assert.deepEqual(splitIndexArgs(["--pre", "--index-url=https://x/simple", "--no-binary", "lxml"]).rest, ["--pre", "--no-binary", "lxml"]);
    });

    it("hides credentials in messages", () => {
        assert.equal(describeIndexes(packageIndexes([], ["--index-url", "https://user:s3cret@corp.example/simple"], {})), "the package index https://***@corp.example/simple");
    });

    it("reads pip.conf's [install] over [global], extra indexes on continuation lines, find-links against the file's folder", () => {
        const dir = writeFiles(tmpDir("pipconf-"), {
            "pip.conf": "[global]\nindex-url = https://global.example/simple\nextra-index-url =\n    https://a.example/simple\n    https://b.example/simple\n[install]\nindex-url = https://install.example/simple\nfind-links = wheels\n",
        });
        const cfg = pipConfigIndexes(undefined, { PIP_CONFIG_FILE: path.join(dir, "pip.conf"), XDG_CONFIG_DIRS: dir, XDG_CONFIG_HOME: dir });
        const ix = packageIndexes([], [], {}, cfg.pairs);
        assert.equal(ix.indexUrl, "https://install.example/simple");
        assert.deepEqual(ix.extraIndexUrls, ["https://a.example/simple", "https://b.example/simple"]);
        assert.deepEqual(ix.findLinks, [path.join(dir, "wheels")]);
        assert.deepEqual(cfg.files, [path.join(dir, "pip.conf")]);
    });

    it("puts the environment's primary index before a configuration file's, as both installers do", () => {
        const dir = writeFiles(tmpDir("uvconf-"), { "uv.toml": '[[index]]\nname = "corp"\nurl = "https://corp.example/simple"\ndefault = true\n' });
        const cfg = uvConfigIndexes(dir, { UV_CONFIG_FILE: path.join(dir, "uv.toml") });
        assert.equal(packageIndexes([], [], {}, cfg.pairs).indexUrl, "https://corp.example/simple");
        assert.equal(packageIndexes([], [], { PIP_INDEX_URL: "https://env.example/simple" }, cfg.pairs).indexUrl, "https://env.example/simple");
    });

    it("finds a project's pyproject.toml [tool.uv] from the working folder up, and reads nothing with UV_NO_CONFIG", () => {
        const project = writeFiles(tmpDir("uvproject-"), {
            "pyproject.toml": '[project]\nname = "x"\n[tool.uv.pip]\nextra-index-url = [\n  "https://extra.example/simple",  # team mirror\n]\n',
            "src/app/.keep": "",
        });
        const env = { XDG_CONFIG_DIRS: project, XDG_CONFIG_HOME: project };
        assert.deepEqual(uvConfigIndexes(path.join(project, "src", "app"), env).pairs, [["extraIndexUrls", "https://extra.example/simple"]]);
        assert.deepEqual(uvConfigIndexes(path.join(project, "src", "app"), { ...env, UV_NO_CONFIG: "1" }).pairs, []);
    });
});
