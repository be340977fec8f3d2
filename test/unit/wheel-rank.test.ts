// Which wheel of a release a Lambda target installs, decided by our one rule
// (builder/install/wheel-rank.ts) and by pip's own code for the same target
// (pip's compatibility_tags.get_supported with the --python-version, --abi and
// --platform ladder the installers give pip, lowest index wins): they must
// pick the same file, over the real wheel lists of releases on PyPI
// (test/fixtures/wheels/pypi-wheels.json) and over tag combinations chosen
// where an ordering of our own would go wrong.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { defaultToolsDir } from "../../shared/cache-dirs";
import { bestWheel } from "../../builder/install/wheel-rank";
import { BUILDABLE_RUNTIMES, lambdaTarget, LambdaTarget, manylinuxPlatformTags, pythonTag } from "../../policies/target";

const releases: Record<string, string[]> = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "wheels", "pypi-wheels.json"), "utf8")).releases;

// Releases made up to sit where tag orders differ: CPython's own tag without an ABI against an older abi3, the
// unversioned py3 against a versioned one, a legacy manylinux alias alone, a wheel for one Linux machine.
const edges: Record<string, string[]> = {
    "none-or-abi3": ["x-1-cp311-none-manylinux_2_17_x86_64.whl", "x-1-cp310-abi3-manylinux_2_17_x86_64.whl", "x-1-cp311-none-manylinux_2_17_aarch64.whl", "x-1-cp310-abi3-manylinux_2_17_aarch64.whl"],
    "py3-or-py311-any": ["x-1-py3-none-any.whl", "x-1-py311-none-any.whl", "x-1-py310-none-any.whl"],
    "py-platform-or-cp-any": ["x-1-py3-none-manylinux_2_17_x86_64.whl", "x-1-cp313-none-any.whl", "x-1-py3-none-manylinux_2_17_aarch64.whl"],
    "legacy-only": ["x-1-cp311-cp311-manylinux1_x86_64.whl", "x-1-cp311-cp311-manylinux2010_x86_64.whl", "x-1-cp311-cp311-linux_x86_64.whl"],
    "free-threaded": ["x-1-cp313-cp313t-manylinux_2_17_x86_64.whl", "x-1-cp313-cp313-manylinux_2_17_x86_64.whl"],
    "old-abi-suffix": ["x-1-cp311-cp311m-manylinux_2_17_x86_64.whl", "x-1-cp37-cp37m-manylinux_2_17_x86_64.whl"],
};

/** pip's pick for each target and release, from pip's own tag priority. */
function pipPicks(targets: LambdaTarget[], lists: Record<string, string[]>): Record<string, Record<string, string | null>> {
    const tools = path.join(defaultToolsDir(), "venv", "bin", "python");
    const python = fs.existsSync(tools) ? tools : "python3";
    const script = [
        "import json, sys",
        "from pip._internal.utils.compatibility_tags import get_supported",
        "from pip._vendor.packaging.utils import parse_wheel_filename",
        "cfg = json.load(sys.stdin)",
        "out = {}",
        "for t in cfg['targets']:",
        "    rank = {tag: i for i, tag in enumerate(get_supported(version=t['version'], platforms=t['platforms'], impl='cp', abis=[t['abi']]))}",
        "    picks = out.setdefault(t['key'], {})",
        "    for release, files in cfg['lists'].items():",
        "        best = None",
        "        for f in files:",
        "            r = min((rank[tag] for tag in parse_wheel_filename(f)[3] if tag in rank), default=None)",
        "            if r is not None and (best is None or r < best[0]):",
        "                best = (r, f)",
        "        picks[release] = best and best[1]",
        "json.dump(out, sys.stdout)",
    ].join("\n");
    const input = {
        targets: targets.map((t) => ({ key: `${t.runtime} ${t.architecture}`, version: t.python.join(""), abi: pythonTag(t), platforms: manylinuxPlatformTags(t) })),
        lists,
    };
    const r = spawnSync(python, ["-c", script], { input: JSON.stringify(input), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
}

describe("the wheel a target installs: our rule and pip's", () => {
    const targets = BUILDABLE_RUNTIMES.flatMap((runtime) => ["x86_64", "arm64"].map((arch) => lambdaTarget(runtime, arch)));
    const lists = { ...releases, ...edges };
    let pip: Record<string, Record<string, string | null>>;
    before(() => {
        pip = pipPicks(targets, lists);
    });

    it(`picks pip's file for ${Object.keys(releases).length} releases on PyPI and ${Object.keys(edges).length} made-up ones, on every buildable runtime and architecture`, () => {
        const differences: string[] = [];
        let compared = 0;
        for (const t of targets) {
            for (const [release, files] of Object.entries(lists)) {
                const ours =
                    bestWheel(
                        files.map((name) => ({ name })),
                        t,
                    )?.name ?? null;
                const theirs = pip[`${t.runtime} ${t.architecture}`][release];
                compared++;
                if (ours !== theirs) differences.push(`${release} on ${t.runtime} ${t.architecture}: ours ${ours}, pip's ${theirs}`);
            }
        }
        assert.deepEqual(differences, [], `${differences.length} of ${compared} differ`);
        assert.ok(compared >= 100, String(compared));
    });

    it("installs nothing the target cannot load, and something for most releases", () => {
        const t = lambdaTarget("python3.11", "arm64");
        assert.equal(bestWheel([{ name: "x-1-cp311-cp311-manylinux_2_28_aarch64.whl" }], t), undefined, "needs glibc 2.28, Amazon Linux 2 has 2.26");
        assert.equal(bestWheel([{ name: "x-1-cp311-cp311-manylinux_2_17_x86_64.whl" }], t), undefined, "another architecture");
        const picked = (release: string) =>
            bestWheel(
                releases[release].map((name) => ({ name })),
                t,
            )?.name;
        assert.match(picked("lxml==5.3.0")!, /^lxml-5\.3\.0-cp311-cp311-manylinux_2_17_aarch64/);
        assert.match(picked("cryptography==43.0.3")!, /^cryptography-43\.0\.3-cp39-abi3-manylinux_2_17_aarch64/);
    });
});
