// glibc judged from the binaries themselves: a shared object compiled here
// with gcc that calls memfd_create (versioned GLIBC_2.27) is read through its
// ELF version needs, so it is caught for python3.11 (Amazon Linux 2, glibc
// 2.26) with no dist-info to go by, and accepted for python3.12 (glibc 2.34).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { inspectPath } from "../policies/inspect";
import { glibcNeeded } from "../policies/inspect/elf-glibc";
import { cli, SHARED_CACHE, tmpDir, writeFiles } from "./helpers";

/** Compiles C source into a shared object with this machine's gcc. */
function compile(dir: string, name: string, source: string): string {
    const c = path.join(dir, `${name}.c`);
    const so = path.join(dir, `${name}.so`);
    fs.writeFileSync(c, source);
    const r = spawnSync("gcc", ["-shared", "-fPIC", "-O2", "-o", so, c], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return so;
}

/** Reads prefixes of `bytes`, noting in `asked` how many bytes each read wanted. */
function recordingReader(bytes: Buffer, asked: number[]): (n: number) => Buffer {
    return (n) => {
        asked.push(n);
        return bytes.subarray(0, n);
    };
}

const MEMFD = '#define _GNU_SOURCE\n#include <sys/mman.h>\nint make(void) { return memfd_create("x", 0); }\n';
const PLAIN = "int add(int a, int b) { return a + b; }\n";

/** A zip made by hand with Python's zipfile: no dist-info, nothing our builder wrote. */
function handMadeZip(files: Record<string, string>): string {
    const zip = path.join(tmpDir("hand-"), "fn.zip");
    const script = "import json, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n    for name, src in json.loads(sys.argv[2]).items(): z.write(src, name) if src.startswith('/') else z.writestr(name, src)";
    const r = spawnSync("python3", ["-c", script, zip, JSON.stringify(files)], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return zip;
}

function inspectJson(zip: string, runtime: string) {
    const r = cli(["inspect", zip, "--runtime", runtime, "--arch", "x86_64", "--json"]);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    return { code: r.code, report: JSON.parse(r.stdout) as { findings: { policy: string; level: string; message: string }[] } };
}

describe("glibc needed by the binaries themselves", () => {
    const dir = tmpDir("gcc-");
    const memfd = compile(dir, "libmemfd", MEMFD);
    const plain = compile(dir, "libplain", PLAIN);

    it("reads GLIBC_2.27 from libc.so.6 out of a shared object's version needs", () => {
        const bytes = fs.readFileSync(memfd);
        const need = glibcNeeded((n) => bytes.subarray(0, n), bytes.length);
        assert.deepEqual(need, { version: [2, 27], symbolVersion: "GLIBC_2.27", library: "libc.so.6" });
    });

    it("reads only a prefix of the file when the tables sit at its start", () => {
        const bytes = fs.readFileSync(memfd);
        const asked: number[] = [];
        glibcNeeded(recordingReader(bytes, asked), bytes.length);
        assert.ok(Math.max(...asked) <= bytes.length);
        assert.equal(asked.length, 1, `read ${asked.join(", ")} bytes`);
    });

    it("finds the version need of a big library from its first segment alone, without inflating the rest", () => {
        // 512 KiB of code pushes the dynamic section (and what auditwheel's patchelf moves) far from the start.
        const big = compile(dir, "libbig", `${MEMFD}__attribute__((used)) static const char pad[512 * 1024] = {1};\nconst char *padding(void) { return pad; }\n`);
        const bytes = fs.readFileSync(big);
        const asked: number[] = [];
        const need = glibcNeeded(recordingReader(bytes, asked), bytes.length);
        assert.deepEqual(need, { version: [2, 27], symbolVersion: "GLIBC_2.27" });
        assert.ok(Math.max(...asked) < bytes.length / 4, `read ${Math.max(...asked)} of ${bytes.length} bytes`);
    });

    it("agrees with readelf -V on this machine's shared libraries, read from a deflated zip", function () {
        // Real libraries of every shape (dynamic section near the end, big read-only segments,
        // weak needs), compressed by Python's zipfile, read through the archive inspection.
        const libDir = "/usr/lib/x86_64-linux-gnu";
        if (!fs.existsSync(libDir)) this.skip();
        const libs = fs
            .readdirSync(libDir)
            .filter((n) => /\.so(\.|$)/.test(n))
            .map((n) => path.join(libDir, n))
            .filter((p) => fs.lstatSync(p).isFile() && fs.statSync(p).size < 8 * 1024 * 1024)
            .sort()
            .filter((_, i) => i % 8 === 0);
        assert.ok(libs.length >= 20, `only ${libs.length} libraries in ${libDir}`);
        const zip = handMadeZip(Object.fromEntries(libs.map((p) => [`lib/${path.basename(p)}`, p])));
        const natives = new Map(inspectPath(zip).facts.natives.map((n) => [n.name, n.glibc?.version]));
        let withNeeds = 0;
        for (const lib of libs) {
            const out = spawnSync("readelf", ["-V", "-W", lib], { encoding: "utf8" }).stdout;
            let expected: [number, number] | undefined;
            for (const m of (out.split("Version needs section")[1] ?? "").matchAll(/Name: GLIBC_(\d+)\.(\d+)[\s.]/g)) {
                const v: [number, number] = [Number(m[1]), Number(m[2])];
                if (!expected || v[0] > expected[0] || (v[0] === expected[0] && v[1] > expected[1])) expected = v;
            }
            assert.deepEqual(natives.get(`lib/${path.basename(lib)}`), expected, lib);
            if (expected) withNeeds++;
        }
        assert.ok(withNeeds >= 20, `only ${withNeeds} of the libraries need a GLIBC version`);
    });

    it("finds no glibc need in a file that is not ELF", () => {
        const text = Buffer.from("#!/bin/sh\necho hi\n".repeat(10));
        assert.equal(
            glibcNeeded((n) => text.subarray(0, n), text.length),
            undefined,
        );
    });

    it("flags a vendored .so needing GLIBC_2.27 in a hand-made zip for python3.11, naming the file and the version", () => {
        const zip = handMadeZip({ "app.py": "def handler(e, c):\n    return 1\n", "vendor/libmemfd.so": memfd, "vendor/libplain.so": plain });
        const { code, report } = inspectJson(zip, "python3.11");
        assert.equal(code, 1);
        const glibc = report.findings.filter((f) => /newer glibc/.test(f.message));
        assert.equal(glibc.length, 1, JSON.stringify(report.findings));
        assert.equal(glibc[0].policy, "lambda-architecture-compatibility");
        assert.equal(glibc[0].level, "mandatory");
        assert.match(glibc[0].message, /1 shared object needs a newer glibc than python3\.11 has \(AL2, glibc 2\.26\)/);
        assert.match(glibc[0].message, /vendor\/libmemfd\.so needs GLIBC_2\.27 from libc\.so\.6/);
        assert.doesNotMatch(glibc[0].message, /libplain/);
    });

    it("accepts the same zip for python3.12 (Amazon Linux 2023, glibc 2.34)", () => {
        const zip = handMadeZip({ "app.py": "def handler(e, c):\n    return 1\n", "vendor/libmemfd.so": memfd });
        const { report } = inspectJson(zip, "python3.12");
        assert.deepEqual(
            report.findings.filter((f) => /glibc/.test(f.message)),
            [],
        );
    });

    it("stops a build for python3.11 whose source folder vendors the .so", () => {
        const app = writeFiles(tmpDir("vendored-"), { "app.py": "def handler(e, c):\n    return 1\n", "lib/libmemfd.so": fs.readFileSync(memfd) });
        const out = path.join(tmpDir("out-"), "fn.zip");
        const r = cli(["build", app, "--runtime", "python3.11", "--cache-dir", SHARED_CACHE, "--out", out]);
        assert.notEqual(r.code, 0, r.stdout);
        assert.match(r.stdout + r.stderr, /lib\/libmemfd\.so needs GLIBC_2\.27/);
        assert.equal(fs.existsSync(out), false);
    });
});
