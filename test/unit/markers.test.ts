// Versions, specifiers and markers judged as Python's `packaging` judges
// them, and JSON written as Python's json.dumps writes it: the lock readers
// (builder/install/locks/) stand on these, so each is checked against Python
// itself (pip's vendored packaging, the json module).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { lambdaTarget } from "../../policies/target";
import { defaultToolsDir } from "../../shared/cache-dirs";
import { markerEnvironment, markerHolds } from "../../builder/install/locks/markers";
import { pythonJsonDumps } from "../../builder/install/locks/python-json";
import { satisfiesPoetryConstraint, satisfiesSpecifierSet } from "../../builder/install/locks/versions";

const py310 = lambdaTarget("python3.10", "x86_64");
const py311 = lambdaTarget("python3.11", "x86_64");
const py313arm = lambdaTarget("python3.13", "arm64");

/** Python with pip's vendored `packaging`: the pinned tools' pip when set up, else the machine's. */
function python(): string {
    const pinned = path.join(defaultToolsDir(), "venv", "bin", "python");
    return fs.existsSync(pinned) ? pinned : "python3";
}

/** Runs a Python snippet that reads JSON on stdin and prints JSON. */
function askPython<T>(script: string, input: unknown): T {
    const r = spawnSync(python(), ["-c", script], { input: JSON.stringify(input), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
}

describe("Python packaging rules", () => {
    describe("versions, specifiers and markers, as packaging judges them", () => {
        it("agrees with packaging on specifier sets", () => {
            const cases: [string, string][] = [
                ["3.11", ">=3.9"],
                ["3.11.0", "<3.11"],
                ["3.10.99", "<3.11"],
                ["3.12", "~=3.11"],
                ["3.12", "~=3.11.0"],
                ["3.10", "==3.10.*"],
                ["3.10.4", "!=3.10.*"],
                ["1.0.post1", ">1.0"],
                ["1.0rc1", "<1.0"],
                ["2.0", ">=1.0,<2.0"],
                ["1.0+local", "==1.0"],
                ["3.9", "!=3.0.*,!=3.1.*,!=3.2.*,>=2.7"],
                ["1.0.0", "==1.0"],
                ["1!1.0", ">2.0"],
            ];
            const expected = askPython<boolean[]>("import json, sys\nfrom pip._vendor.packaging.specifiers import SpecifierSet\nprint(json.dumps([SpecifierSet(s).contains(v, prereleases=True) for v, s in json.load(sys.stdin)]))", cases);
            assert.deepEqual(
                cases.map(([v, s]) => satisfiesSpecifierSet(v, s)),
                expected,
            );
        });

        it("agrees with packaging on markers for a Lambda target", () => {
            const markers = [
                'python_version < "3.11"',
                "python_version >= '3.10' and python_version != '3.0'",
                "python_full_version >= '3.10.1'",
                'sys_platform == "win32"',
                'sys_platform == "linux" and platform_machine == "x86_64"',
                "platform_machine in 'x86_64 aarch64'",
                "platform_machine not in 'arm64 AMD64'",
                '(os_name == "nt" or platform_system == "Linux") and implementation_name == "cpython"',
                'platform_python_implementation != "PyPy"',
                'extra == "color"',
                "extra == 'other'",
                'python_version > "3.9" or extra == "color"',
                "python_version ~= '3.10'",
            ];
            for (const target of [py310, py311, py313arm]) {
                const env = markerEnvironment(target);
                const expected = askPython<boolean[]>("import json, sys\nfrom pip._vendor.packaging.markers import Marker\nd = json.load(sys.stdin)\nprint(json.dumps([Marker(m).evaluate(dict(d['env'], extra='color')) for m in d['markers']]))", {
                    env,
                    markers,
                });
                assert.deepEqual(
                    markers.map((m) => markerHolds(m, env, { extras: new Set(["color"]), groups: new Set() })),
                    expected,
                    target.runtime,
                );
            }
        });

        it("reads PEP 751's extras and dependency_groups as the sets chosen", () => {
            const env = markerEnvironment(py311);
            const chosen = { extras: new Set(["s3"]), groups: new Set(["dev"]) };
            assert.equal(markerHolds("'s3' in extras", env, chosen), true);
            assert.equal(markerHolds("'docs' in dependency_groups", env, chosen), false);
            assert.equal(markerHolds("'dev' in dependency_groups and python_version >= '3.11'", env, chosen), true);
            assert.throws(() => markerHolds("python_version <", env, chosen), /ends too early/);
            assert.throws(() => markerHolds("pyhton_version < '3'", env, chosen), /unknown variable "pyhton_version"/);
        });

        it("reads Poetry's constraints (^, ~, ||, bare versions)", () => {
            assert.equal(satisfiesPoetryConstraint("3.12", "^3.9"), true);
            assert.equal(satisfiesPoetryConstraint("4.0", "^3.9"), false);
            assert.equal(satisfiesPoetryConstraint("0.3.0", "^0.2.3"), false);
            assert.equal(satisfiesPoetryConstraint("0.2.9", "^0.2.3"), true);
            assert.equal(satisfiesPoetryConstraint("1.3", "~1.2"), false);
            assert.equal(satisfiesPoetryConstraint("1.2.9", "~1.2.3"), true);
            assert.equal(satisfiesPoetryConstraint("3.10", "<3.11"), true);
            assert.equal(satisfiesPoetryConstraint("2.7", ">=2.7,<2.8 || >=3.4"), true);
            assert.equal(satisfiesPoetryConstraint("3.3", ">=2.7,<2.8 || >=3.4"), false);
            assert.equal(satisfiesPoetryConstraint("1.2.0", "1.2"), true);
            assert.equal(satisfiesPoetryConstraint("1.0", "*"), true);
            assert.equal(satisfiesPoetryConstraint("1.0", "not a constraint"), undefined);
        });

        it("writes JSON exactly as Python's json.dumps(sort_keys=True) does", () => {
            const value = { b: [1n, 2.5, 3.0, true, null], a: { ü: "naïve — ☃ 𝄞", z: 'quote " back\\slash\nline\u0001' }, A: [] };
            const expected = askPython<string[]>(
                "import json, sys\nv = {'b': [1, 2.5, 3.0, True, None], 'a': {'ü': 'naïve — ☃ 𝄞', 'z': 'quote \" back\\\\slash\\nline\\u0001'}, 'A': []}\nprint(json.dumps([json.dumps(v, sort_keys=True), json.dumps(v, sort_keys=True, separators=(',', ':'))]))",
                null,
            );
            assert.deepEqual([pythonJsonDumps(value), pythonJsonDumps(value, [",", ":"])], expected);
        });
    });
});
