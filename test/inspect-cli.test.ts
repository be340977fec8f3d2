// lambda-python inspect on hand-made zips: the policy pack's rules, run on
// one archive from the command line.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawn } from "child_process";
import { analyze, FUNCTION, fileArchive } from "./analyzer";
import { CLI, cli, tmpDir } from "./helpers";
import { craftZip, deflatedZeros, elfHeader, machoHeader, writeSparseStoredZip } from "./zip-crafter";

const HANDLER = Buffer.from("def lambda_handler(event, context):\n    return 1\n");

function zipFile(bytes: Buffer, name = "a.zip"): string {
    const p = path.join(tmpDir("inspect-"), name);
    fs.writeFileSync(p, bytes);
    return p;
}

function inspect(file: string, ...args: string[]) {
    const r = cli(["inspect", file, "--json", ...args]);
    assert.ok(r.code === 0 || r.code === 1, `inspect crashed (${r.code}):\n${r.stderr}`);
    const report = JSON.parse(r.stdout);
    return { code: r.code, report, policies: report.findings.map((f: { policy: string }) => f.policy) as string[] };
}

describe("lambda-python inspect", () => {
    it("passes a clean function zip and reports the documented fields", () => {
        const z = zipFile(
            craftZip([
                { name: "lambda_function.py", data: HANDLER },
                { name: "pkg/", mode: 0o040755 },
                { name: "pkg/__init__.py", data: Buffer.from("") },
            ]),
        );
        const { code, report } = inspect(z, "--runtime", "python3.12", "--arch", "x86_64", "--handler", "lambda_function.lambda_handler", "--now", "2026-11-21");
        assert.equal(code, 0);
        assert.equal(report.zippedBytes, fs.statSync(z).size);
        assert.equal(report.unzippedBytes, HANDLER.length);
        assert.equal(report.entries, 3);
        assert.deepEqual(report.nativeArchitectures, []);
        assert.deepEqual(report.findings, []);
    });

    it("flags __pycache__ folders and .pyc files", () => {
        const z = zipFile(
            craftZip([
                { name: "lambda_function.py", data: HANDLER },
                { name: "__pycache__/lambda_function.cpython-311.pyc", data: Buffer.alloc(64, 1) },
            ]),
        );
        const { code, report } = inspect(z);
        assert.equal(code, 1);
        const f = report.findings.find((x: { policy: string }) => x.policy === "lambda-no-pycache");
        assert.equal(f.level, "mandatory");
        assert.match(f.message, /__pycache__\/lambda_function\.cpython-311\.pyc/);
    });

    it("rejects an x86-64 shared object in an arm64 function", () => {
        const so = Buffer.concat([elfHeader(62), Buffer.alloc(4096, 7)]);
        const z = zipFile(
            craftZip([
                { name: "lambda_function.py", data: HANDLER },
                { name: "fast/_speedups.cpython-312-x86_64-linux-gnu.so", data: so, mode: 0o100755 },
            ]),
        );
        const { code, report } = inspect(z, "--arch", "arm64", "--runtime", "python3.12");
        assert.equal(code, 1);
        assert.deepEqual(report.nativeArchitectures, ["x86_64"]);
        const messages = report.findings.filter((f: { policy: string }) => f.policy === "lambda-architecture-compatibility").map((f: { message: string }) => f.message);
        assert.ok(
            messages.some((m: string) => /runs on arm64 but holds 1 shared object built for x86_64: fast\/_speedups/.test(m)),
            messages.join("\n"),
        );
        assert.ok(messages.some((m: string) => /extension module for x86_64, the function is arm64/.test(m)));
    });

    it("accepts the same shared object for x86_64", () => {
        const so = Buffer.concat([elfHeader(62), Buffer.alloc(4096, 7)]);
        const z = zipFile(craftZip([{ name: "fast/_speedups.cpython-312-x86_64-linux-gnu.so", data: so, mode: 0o100755 }]));
        assert.equal(inspect(z, "--arch", "x86_64", "--runtime", "python3.12").code, 0);
    });

    it("rejects a Mach-O file whatever the architecture asked", () => {
        const z = zipFile(craftZip([{ name: "lib/libthing.dylib", data: Buffer.concat([machoHeader(), Buffer.alloc(256)]) }]));
        const { code, report } = inspect(z);
        assert.equal(code, 1);
        assert.match(report.findings[0].message, /macOS \(Mach-O\) binaries, which can never load on Lambda: lib\/libthing\.dylib \[arm64\]/);
    });

    it("treats a Windows launcher (.exe, as pip vendors) as dead weight, but a .dll as broken", () => {
        const pe = (machine: number) => {
            const b = Buffer.alloc(512);
            b.write("MZ", 0, "latin1");
            b.writeUInt32LE(0x80, 0x3c);
            b.writeUInt32LE(0x00004550, 0x80);
            b.writeUInt16LE(machine, 0x84);
            return b;
        };
        const launcher = zipFile(craftZip([{ name: "pip/_vendor/distlib/t64.exe", data: pe(0x8664) }]));
        const a = inspect(launcher, "--arch", "x86_64");
        assert.equal(a.code, 0);
        assert.deepEqual(a.report.nativeArchitectures, []);
        assert.equal(a.report.findings[0].level, "advisory");
        assert.match(a.report.findings[0].message, /Windows program \(pip\/_vendor\/distlib\/t64\.exe\), which Lambda can never run/);
        const dll = zipFile(craftZip([{ name: "pkg/native.dll", data: pe(0x8664) }]));
        const b = inspect(dll, "--arch", "x86_64");
        assert.equal(b.code, 1);
        assert.match(b.report.findings[0].message, /Windows \(PE\) binaries, which can never load on Lambda: pkg\/native\.dll \[x86_64\]/);
    });

    it("rejects a wheel built for another CPython", () => {
        const z = zipFile(
            craftZip([
                { name: "numpy-2.0.0.dist-info/WHEEL", data: Buffer.from("Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_x86_64\n") },
                { name: "numpy/__init__.py", data: Buffer.from("") },
            ]),
        );
        const { code, report } = inspect(z, "--runtime", "python3.12", "--arch", "x86_64");
        assert.equal(code, 1);
        assert.match(report.findings[0].message, /numpy-2\.0\.0 \(cp311-cp311-manylinux_2_17_x86_64: for CPython 3\.11, the runtime is 3\.12\)/);
    });

    it("reports a zip over 50 MB (a sparse file, so nothing big is written to disk)", () => {
        const z = path.join(tmpDir(), "big.zip");
        writeSparseStoredZip(z, "data.bin", 51 * 1024 * 1024);
        const { report } = inspect(z);
        const f = report.findings.find((x: { policy: string }) => x.policy === "lambda-zip-size");
        assert.equal(f.level, "mandatory");
        assert.match(f.message, /over the 50\.0 MB \(52,428,800 bytes\) limit for direct upload\. Upload it to S3/);
    });

    it("reports an archive that unzips past 262,144,000 bytes, from the sizes in its headers", () => {
        const zeros = deflatedZeros(270 * 1024 * 1024);
        const z = zipFile(
            craftZip([
                { name: "lambda_function.py", data: HANDLER },
                { name: "model.bin", raw: zeros },
            ]),
        );
        assert.ok(fs.statSync(z).size < 2 * 1024 * 1024, "the zip itself is small");
        const { code, report } = inspect(z);
        assert.equal(code, 1);
        const f = report.findings.find((x: { policy: string }) => x.policy === "lambda-unzipped-size");
        assert.match(f.message, /unzips to 270 MB \(283,115,\d+ bytes\).*over Lambda's limit of 250 MB \(262,144,000 bytes\)/);
    });

    it("reports a corrupt zip as a finding, not a crash", () => {
        const good = craftZip([{ name: "lambda_function.py", data: HANDLER }]);
        const z = zipFile(good.subarray(0, good.length - 30));
        const { code, report } = inspect(z);
        assert.equal(code, 1);
        assert.equal(report.findings[0].policy, "lambda-zip-entry-safety");
        assert.match(report.findings[0].message, /damaged or malicious: not a zip file/);
    });

    it("checks every entry's data by default: a handler with a wrong CRC, or an entry inflating past its declared size, is damage", () => {
        const good = craftZip([{ name: "lambda_function.py", data: HANDLER }]);
        const crc = good.readUInt32LE(14);
        const badCrc = Buffer.from(good);
        badCrc.writeUInt32LE((crc ^ 1) >>> 0, 14);
        badCrc.writeUInt32LE((crc ^ 1) >>> 0, badCrc.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 16);
        const a = inspect(zipFile(badCrc), "--handler", "lambda_function.lambda_handler");
        assert.equal(a.code, 1);
        assert.match(a.report.findings[0].message, /damaged or malicious: lambda_function\.py: its data does not match its CRC-32/);
        const liar = zipFile(
            craftZip([
                { name: "lambda_function.py", data: HANDLER },
                { name: "model.bin", raw: { ...deflatedZeros(256 * 1024 * 1024, { crc: false }), size: 1000 } },
            ]),
        );
        const b = inspect(liar);
        assert.equal(b.code, 1);
        assert.equal(b.report.unzippedBytes, HANDLER.length + 1000);
        assert.match(b.report.findings[0].message, /model\.bin: inflates to more than the 1,000 bytes it declares/);
    });

    it("judges a 1 MB one-line handler module without hanging", async () => {
        const z = zipFile(craftZip([{ name: "app.py", data: Buffer.from("handler ".repeat(1 << 17)) }]));
        // The former patterns backtracked quadratically on one long line (80 s of CPU); a kill timer turns a hang into a failure.
        const child = spawn(process.execPath, [CLI, "inspect", z, "--handler", "app.handler"]);
        let stdout = "";
        child.stdout.on("data", (d) => (stdout += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
        const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.on("close", (c, sig) => r([c, sig])));
        clearTimeout(timer);
        assert.equal(signal, null, "inspect finished by itself");
        assert.equal(code, 1);
        assert.match(stdout, /app\.py in .* does not define handler/);
    });

    it("reports credentials in the archive's own files, as the policy pack does, never quoting them", async () => {
        const keyId = "AKIAZ7Q3WRTY5UIOP2LK";
        const z = zipFile(
            craftZip([
                { name: "lambda_function.py", data: HANDLER },
                { name: "config.json", data: Buffer.from(`{"aws_access_key_id": "${keyId}", "aws_secret_access_key": "Zq8h3kF2pL9xT4vB7nM1cR5wY0eD6gJ3aS2uV8iK"}`) },
                { name: "docs/example.ini", data: Buffer.from("aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n") },
            ]),
        );
        const { code, report } = inspect(z);
        assert.equal(code, 1);
        const [cli] = report.findings.filter((f: { policy: string }) => f.policy === "lambda-package-secrets");
        assert.match(cli.message, /ships credentials in a file: config\.json \(an AWS access key id, an AWS secret access key\)/);
        assert.ok(!JSON.stringify(report).includes(keyId));
        const pack = (await analyze(FUNCTION, "fn", { code: fileArchive(z), handler: "lambda_function.lambda_handler", runtime: "python3.12" })).filter((d) => d.policy === "lambda-package-secrets");
        assert.equal(pack.length, 1);
        assert.equal(pack[0].level, "mandatory");
        assert.match(pack[0].message, /config\.json \(an AWS access key id, an AWS secret access key\)/);
    });

    it("says when the file itself is missing", () => {
        const r = cli(["inspect", "/nonexistent.zip"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /archive \/nonexistent\.zip does not exist/);
    });

    it("reads an archive given as a pipe (<(…), /dev/stdin) and refuses a device in one sentence", () => {
        const z = zipFile(craftZip([{ name: "lambda_function.py", data: HANDLER }]));
        const direct = inspect(z);
        // What a shell's process substitution hands over: a pipe, 0 bytes long to stat.
        const substituted = cli(["inspect", "/dev/stdin", "--json"], { input: fs.readFileSync(z) });
        assert.equal(substituted.code, 0, substituted.stderr);
        const report = JSON.parse(substituted.stdout);
        assert.deepEqual([report.entries, report.unzippedBytes, report.findings], [direct.report.entries, direct.report.unzippedBytes, []]);
        for (const device of ["/dev/null", "/dev/zero"]) {
            const r = cli(["inspect", device]);
            assert.equal(r.code, 2, r.stdout);
            assert.equal(r.stderr, `lambda-python: error: archive ${device} is a device, not a .zip archive; give the archive's file.\n`);
        }
    });

    it("prints a readable report without --json", () => {
        const z = zipFile(
            craftZip([
                { name: "lambda_function.py", data: HANDLER },
                { name: "__pycache__/x.pyc", data: Buffer.alloc(8) },
            ]),
        );
        const r = cli(["inspect", z]);
        assert.equal(r.code, 1);
        assert.match(r.stdout, /unzipped\s+\S+ \S+ \(\d+ bytes\)/);
        assert.match(r.stdout, /ERROR\s+\[lambda-no-pycache\]/);
        assert.match(r.stdout, /not checked\s+wheel tags and runtime dates \(pass --runtime\)/);
    });

    describe("--runtime for any Lambda runtime, scoped as the policy pack scopes it", () => {
        const nodeZip = () =>
            zipFile(
                craftZip([
                    { name: "index.js", data: Buffer.from("exports.handler = async () => 1;\n") },
                    { name: "__pycache__/x.pyc", data: Buffer.alloc(8) },
                ]),
            );

        it("skips the Python-only rules for a Node.js zip with --runtime nodejs22.x", () => {
            const { code, policies } = inspect(nodeZip(), "--runtime", "nodejs22.x", "--handler", "index.handler", "--now", "2026-11-22");
            assert.equal(code, 0);
            assert.deepEqual(policies, []);
        });

        it("applies the same zip's Python rules when the runtime is Python", () => {
            const { code, policies } = inspect(nodeZip(), "--runtime", "python3.12", "--now", "2026-11-22");
            assert.equal(code, 1);
            assert.deepEqual(policies, ["lambda-no-pycache"]);
        });

        it("judges a Node.js runtime's lifecycle dates", () => {
            const { code, report } = inspect(nodeZip(), "--runtime", "nodejs12.x", "--now", "2026-11-22");
            assert.equal(code, 1);
            assert.deepEqual(
                report.findings.map((f: { policy: string }) => f.policy),
                ["lambda-runtime-deprecation"],
            );
            assert.match(report.findings[0].message, /nodejs12\.x: deprecated since 2023-03-31/);
        });

        it("says which rules were skipped in the readable report", () => {
            const r = cli(["inspect", nodeZip(), "--runtime", "java21", "--now", "2026-11-22"]);
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, /not checked .*the Python-only rules \(java21 is not a Python runtime\)/);
        });

        it("refuses a runtime Lambda does not have, in one paragraph", () => {
            const r = cli(["inspect", nodeZip(), "--runtime", "nodejs22"]);
            assert.equal(r.code, 2);
            assert.equal(r.stdout, "");
            assert.match(r.stderr, /^lambda-python: error: --runtime "nodejs22" is not a Lambda runtime identifier; use one such as python3\.\d+, nodejs22\.x/);
        });
    });
});
