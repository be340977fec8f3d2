// Wheel tags judged against Lambda targets: what pip would install for a
// CPython on Amazon Linux, and the reason given when it would not.
import { strict as assert } from "assert";
import { expandTag, extensionSuffixMismatch, parseWheelFile, platformMismatch, pythonMismatch, wheelMismatch } from "../../policies/inspect/wheel-tags";
import { lambdaTarget } from "../../policies/target";

const py312x86 = lambdaTarget("python3.12", "x86_64");
const py311arm = lambdaTarget("python3.11", "arm64");

describe("wheel tags", () => {
    it("reads the Tag lines of a WHEEL file, whatever the line endings", () => {
        const text = "Wheel-Version: 1.0\r\nGenerator: bdist_wheel (0.45.1)\r\nRoot-Is-Purelib: false\r\nTag: cp312-cp312-manylinux_2_17_x86_64\r\nTag: cp312-cp312-manylinux2014_x86_64\r\n";
        assert.deepEqual(parseWheelFile(text), ["cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64"]);
    });

    it("expands compressed tag sets and ignores malformed tags", () => {
        assert.deepEqual(expandTag("py2.py3-none-any"), [
            { interpreter: "py2", abi: "none", platform: "any" },
            { interpreter: "py3", abi: "none", platform: "any" },
        ]);
        assert.equal(expandTag("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64").length, 2);
        assert.deepEqual(expandTag("not-a-tag-at-all"), []);
    });

    it("accepts manylinux platforms up to the OS's glibc on the right architecture", () => {
        assert.equal(platformMismatch("any", py312x86), undefined);
        assert.equal(platformMismatch("manylinux_2_34_x86_64", py312x86), undefined);
        assert.equal(platformMismatch("manylinux2014_x86_64", py312x86), undefined);
        assert.equal(platformMismatch("manylinux_2_26_aarch64", py311arm), undefined);
        assert.equal(platformMismatch("manylinux_2_28_aarch64", py311arm), "needs glibc 2.28, python3.11 runs on AL2 with glibc 2.26");
        assert.equal(platformMismatch("manylinux_2_17_aarch64", py312x86), "built for aarch64, the function is x86_64 (x86_64)");
    });

    it("names the platform of wheels that can never load on Lambda", () => {
        assert.match(platformMismatch("musllinux_1_2_x86_64", py312x86)!, /musl libc/);
        assert.equal(platformMismatch("macosx_11_0_arm64", py312x86), "built for macOS");
        assert.equal(platformMismatch("win_amd64", py312x86), "built for Windows");
        assert.match(platformMismatch("linux_x86_64", py312x86)!, /not manylinux/);
    });

    it("accepts cpXY only for that CPython, abi3 from its version on, and py3 anywhere", () => {
        assert.equal(pythonMismatch("cp312", "cp312", py312x86), undefined);
        assert.equal(pythonMismatch("cp311", "cp311", py312x86), "for CPython 3.11, the runtime is 3.12");
        assert.equal(pythonMismatch("cp39", "abi3", py312x86), undefined);
        assert.equal(pythonMismatch("cp313", "abi3", py312x86), "needs CPython 3.13+ (abi3), the runtime is 3.12");
        assert.equal(pythonMismatch("cp312", "cp312t", py312x86), "for free-threaded CPython 3.12, which Lambda does not run");
        assert.equal(pythonMismatch("py3", "none", py312x86), undefined);
        assert.equal(pythonMismatch("py2", "none", py312x86), "for Python 2");
        assert.equal(pythonMismatch("pp310", "pypy310_pp73", py312x86), "for interpreter pp310, Lambda runs CPython");
    });

    it("passes a wheel when any of its tags fits, and otherwise gives the first tag's reason", () => {
        assert.equal(wheelMismatch(["cp311-cp311-manylinux_2_17_x86_64", "cp312-cp312-manylinux_2_17_x86_64"], py312x86), undefined);
        assert.equal(wheelMismatch(["cp312-cp312-macosx_11_0_arm64", "cp312-cp312-win_amd64"], py312x86), "cp312-cp312-macosx_11_0_arm64: built for macOS");
        assert.equal(wheelMismatch([], py312x86), "its WHEEL file has no Tag lines");
    });

    it("reads the target out of extension-module file names", () => {
        assert.equal(extensionSuffixMismatch("numpy/core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so", py312x86), undefined);
        assert.equal(extensionSuffixMismatch("x/_speedups.cpython-311-x86_64-linux-gnu.so", py312x86), "extension module for CPython 3.11, the runtime is 3.12");
        assert.equal(extensionSuffixMismatch("x/_speedups.cpython-311-x86_64-linux-gnu.so", py311arm), "extension module for x86_64, the function is arm64");
        assert.equal(extensionSuffixMismatch("x/_speedups.cpython-312-darwin.so", py312x86), "extension module built for macOS");
        assert.equal(extensionSuffixMismatch("x/_speedups.pyd", py312x86), "Windows extension module (.pyd)");
        assert.equal(extensionSuffixMismatch("x/_speedups.abi3.so", py312x86), undefined);
    });
});
