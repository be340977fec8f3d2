// Lambda targets: the runtime table, Amazon Linux's glibc and the tag ladders
// pip and uv are given, all derived from policies/data.
import { strict as assert } from "assert";
import { BUILDABLE_RUNTIMES, isRetiredPythonRuntime, lambdaTarget, manylinuxGlibc, manylinuxPlatformTags, NEWEST_RUNTIME, parsePythonRuntime, pythonTag, TargetError, uvPythonPlatform } from "../../policies/target";

describe("Lambda targets", () => {
    it("put python3.11 on Amazon Linux 2 and python3.12 on Amazon Linux 2023", () => {
        assert.deepEqual(lambdaTarget("python3.11", "arm64"), { runtime: "python3.11", architecture: "arm64", python: [3, 11], os: "AL2", glibc: [2, 26], wheelArch: "aarch64", elfMachine: 183 });
        assert.deepEqual(lambdaTarget("python3.12", "x86_64"), { runtime: "python3.12", architecture: "x86_64", python: [3, 12], os: "AL2023", glibc: [2, 34], wheelArch: "x86_64", elfMachine: 62 });
        assert.equal(pythonTag(lambdaTarget("python3.13", "x86_64")), "cp313");
    });

    it("refuse unknown architectures, unknown runtimes and retired ones, naming what to use", () => {
        assert.throws(
            () => lambdaTarget("python3.12", "aarch64"),
            (e: Error) => e instanceof TargetError && /unknown architecture "aarch64": Lambda supports "x86_64" and "arm64"/.test(e.message),
        );
        assert.throws(
            () => lambdaTarget("python3.99", "x86_64"),
            (e: Error) => e instanceof TargetError && /unknown runtime "python3.99": use one of python3.8, /.test(e.message),
        );
        assert.throws(() => lambdaTarget("python3.7", "x86_64"), /runtime "python3.7" is retired/);
        assert.equal(isRetiredPythonRuntime("python3.7"), true);
        assert.equal(isRetiredPythonRuntime("python3.12"), false);
    });

    it("build only unretired Python runtimes, oldest first, defaulting to the newest", () => {
        assert.ok(!BUILDABLE_RUNTIMES.includes("python3.7"));
        assert.ok(BUILDABLE_RUNTIMES.every((r) => parsePythonRuntime(r) !== undefined));
        assert.equal(NEWEST_RUNTIME, BUILDABLE_RUNTIMES[BUILDABLE_RUNTIMES.length - 1]);
        assert.equal(BUILDABLE_RUNTIMES[0], "python3.8");
        assert.equal(parsePythonRuntime("nodejs22.x"), undefined);
        assert.deepEqual(parsePythonRuntime("python3.10"), [3, 10]);
    });

    it("give pip every manylinux tag up to the OS's glibc, then the legacy aliases", () => {
        const arm = manylinuxPlatformTags(lambdaTarget("python3.11", "arm64"));
        assert.deepEqual(arm, [...[26, 25, 24, 23, 22, 21, 20, 19, 18, 17].map((n) => `manylinux_2_${n}_aarch64`), "manylinux2014_aarch64"]);
        const x86 = manylinuxPlatformTags(lambdaTarget("python3.12", "x86_64"));
        assert.equal(x86[0], "manylinux_2_34_x86_64");
        assert.ok(x86.includes("manylinux_2_5_x86_64"));
        assert.deepEqual(x86.slice(-3), ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]);
    });

    it("give uv its newest platform not above the OS's glibc", () => {
        assert.equal(uvPythonPlatform(lambdaTarget("python3.11", "x86_64")), "x86_64-manylinux_2_17");
        assert.equal(uvPythonPlatform(lambdaTarget("python3.13", "arm64")), "aarch64-manylinux_2_34");
    });

    it("read the glibc a manylinux tag needs, legacy names included", () => {
        assert.deepEqual(manylinuxGlibc("manylinux_2_28_aarch64"), { glibc: [2, 28], arch: "aarch64" });
        assert.deepEqual(manylinuxGlibc("manylinux2014_x86_64"), { glibc: [2, 17], arch: "x86_64" });
        assert.deepEqual(manylinuxGlibc("manylinux1_x86_64"), { glibc: [2, 5], arch: "x86_64" });
        assert.equal(manylinuxGlibc("musllinux_1_2_x86_64"), undefined);
    });
});
