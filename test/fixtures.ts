// Real bytes for policy tests: a shared object out of the official numpy
// wheel for Linux on AArch64 (and x86-64), fetched once with pip.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SHARED_CACHE } from "./helpers";

const wheels = new Map<string, Buffer>();

/** numpy/_core/_multiarray_tests.cpython-312-<arch>-linux-gnu.so from numpy 2.4.6's wheel for python3.12. */
export function numpySharedObject(arch: "aarch64" | "x86_64"): { name: string; data: Buffer } {
    const name = `numpy/_core/_multiarray_tests.cpython-312-${arch}-linux-gnu.so`;
    let data = wheels.get(arch);
    if (!data) {
        const dir = path.join(SHARED_CACHE, `numpy-wheel-${arch}`);
        if (!fs.existsSync(dir)) {
            const r = spawnSync(
                "python3",
                [
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--disable-pip-version-check",
                    "--no-deps",
                    "-d",
                    dir,
                    "--platform",
                    `manylinux_2_28_${arch}`,
                    "--platform",
                    `manylinux2014_${arch}`,
                    "--implementation",
                    "cp",
                    "--python-version",
                    "3.12",
                    "--abi",
                    "cp312",
                    "--only-binary=:all:",
                    "numpy==2.4.6",
                ],
                { encoding: "utf8" },
            );
            if (r.status !== 0) throw new Error(`pip download numpy failed: ${r.stderr}`);
        }
        const wheel = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith(".whl"))!);
        const out = spawnSync("python3", ["-c", "import sys, zipfile\nsys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))", wheel, name], { maxBuffer: 64 * 1024 * 1024 });
        if (out.status !== 0) throw new Error(`could not read ${name} from ${wheel}: ${out.stderr}`);
        data = out.stdout as Buffer;
        wheels.set(arch, data);
    }
    return { name, data };
}
