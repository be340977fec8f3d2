// Which package indexes are in force, gathered from requirement files,
// --installer-arg and the environment, and how each installer is told.
import { strict as assert } from "assert";
import { describeIndexes, packageIndexes, pipIndexArgs, splitIndexArgs, uvIndexArgs } from "../builder/install/indexes";

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
});
