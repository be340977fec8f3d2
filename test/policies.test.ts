// The policy pack through the analyzer's own entry points: every policy
// passing and failing, archives given every way Pulumi can give them, the
// preview-time cases, and a corpus of bad zips.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { analyze, analyzeStack, assetArchive, Diagnostic, FUNCTION, FUNCTION_URL, fileArchive, fileAsset, LAYER, only, remoteArchive, stringAsset, UNKNOWN_ARCHIVE, UNKNOWN_STRING, urnOf } from "./analyzer";
import { numpySharedObject } from "./fixtures";
import { tmpDir } from "./helpers";
import { CraftEntry, craftZip, deflatedZeros, elfHeader, machoHeader, writeSparseStoredZip } from "./zip-crafter";

const HANDLER = Buffer.from("def lambda_handler(event, context):\n    return 1\n");
const MB = 1024 * 1024;

function zip(entries: CraftEntry[], name = "code.zip"): string {
    const p = path.join(tmpDir("pol-"), name);
    fs.writeFileSync(p, craftZip(entries));
    return p;
}

const fn = (code: unknown, extra: Record<string, unknown> = {}) => ({ code, handler: "lambda_function.lambda_handler", runtime: "python3.14", architectures: ["x86_64"], ...extra });
const handlerZip = (more: CraftEntry[] = []) => zip([{ name: "lambda_function.py", data: HANDLER }, ...more]);

function assertClean(diags: Diagnostic[], policy?: string) {
    const relevant = policy ? only(diags, policy) : diags;
    assert.deepEqual(relevant, [], relevant.map((d) => `${d.policy}: ${d.message}`).join("\n"));
}

function one(diags: Diagnostic[], policy: string, level: Diagnostic["level"] = "mandatory"): Diagnostic {
    const found = only(diags, policy);
    assert.equal(found.length, 1, `expected one ${policy} diagnostic, got:\n${diags.map((d) => `${d.policy}/${d.level}: ${d.message}`).join("\n")}`);
    assert.equal(found[0].level, level, found[0].message);
    return found[0];
}

/** The only diagnostic there is: code that cannot be inspected is said once per resource, not once per policy. */
function onlyOne(diags: Diagnostic[], policy: string, level: Diagnostic["level"]): Diagnostic {
    assert.equal(diags.length, 1, diags.map((d) => `${d.policy}/${d.level}: ${d.message}`).join("\n"));
    return one(diags, policy, level);
}

describe("policy pack (analyzer entry points, real protobufs)", () => {
    describe("a clean function", () => {
        it("passes every resource policy", async () => {
            assertClean(await analyze(FUNCTION, "api", fn(fileArchive(handlerZip()))));
        });
        it("passes every stack policy", async () => {
            assertClean(await analyzeStack([{ type: FUNCTION, name: "api", props: fn(fileArchive(handlerZip())) }]));
        });
    });

    describe("lambda-zip-size", () => {
        it("flags a zip over 50 MB and says to use S3", async () => {
            const big = path.join(tmpDir(), "big.zip");
            writeSparseStoredZip(big, "lambda_function.py", 51 * MB);
            const d = one(await analyze(FUNCTION, "api", fn(fileArchive(big), { handler: undefined })), "lambda-zip-size");
            assert.match(d.message, /function "api" is 51\.0 MB .* over the 50\.0 MB \(52,428,800 bytes\) limit for direct upload\. Upload it to S3/);
        });
        it("warns about a folder archive whose unzipped size is over 50 MB", async () => {
            const dir = tmpDir("folder-");
            fs.writeFileSync(path.join(dir, "lambda_function.py"), HANDLER);
            const fd = fs.openSync(path.join(dir, "model.bin"), "w");
            fs.ftruncateSync(fd, 60 * MB);
            fs.closeSync(fd);
            const d = one(await analyze(FUNCTION, "api", fn(fileArchive(dir))), "lambda-zip-size", "advisory");
            assert.match(d.message, /holds 60\.0 MB .* unzipped; its zipped size is known only when Pulumi packs it/);
        });
    });

    describe("lambda-unzipped-size (stack)", () => {
        const layerZip = (mb: number) => zip([{ name: "python/data.bin", raw: deflatedZeros(mb * MB) }], `layer${mb}.zip`);

        it("adds a function and its layers, found through propertyDependencies while their ARNs are unknown", async () => {
            const fnZip = zip([
                { name: "lambda_function.py", data: HANDLER },
                { name: "model.bin", raw: deflatedZeros(50 * MB) },
            ]);
            const diags = await analyzeStack([
                { type: LAYER, name: "big-a", props: { code: fileArchive(layerZip(100)), compatibleRuntimes: ["python3.14"] } },
                { type: LAYER, name: "big-b", props: { code: fileArchive(layerZip(101)), compatibleRuntimes: ["python3.14"] } },
                {
                    type: FUNCTION,
                    name: "api",
                    props: fn(fileArchive(fnZip), { layers: [UNKNOWN_STRING, UNKNOWN_STRING] }),
                    propertyDependencies: { layers: [urnOf(LAYER, "big-a"), urnOf(LAYER, "big-b")] },
                },
            ]);
            const d = one(diags, "lambda-unzipped-size");
            assert.match(d.message, /function "api" unzips to 251 MB \(263,192,\d+ bytes\) \(function "api" 50\.0 MB \+ layer "big-a" 100 MB \+ layer "big-b" 101 MB\), over Lambda's limit/);
            assert.equal(d.urn, urnOf(FUNCTION, "api"));
        });

        it("gives an advisory above 90% of the limit, and counts layers outside the stack as not checked", async () => {
            const diags = await analyzeStack([
                { type: LAYER, name: "big", props: { code: fileArchive(layerZip(230)) } },
                {
                    type: FUNCTION,
                    name: "api",
                    props: fn(fileArchive(handlerZip()), { layers: [UNKNOWN_STRING, "arn:aws:lambda:us-east-1:123456789012:layer:other:3"] }),
                    propertyDependencies: { layers: [urnOf(LAYER, "big")] },
                },
            ]);
            const d = one(diags, "lambda-unzipped-size", "advisory");
            assert.match(d.message, /92% of the 250 MB limit/);
            assert.match(d.message, /could not be inspected: a layer outside this stack \(by ARN\)/);
        });

        it("passes a small function with a small layer", async () => {
            const diags = await analyzeStack([
                { type: LAYER, name: "small", props: { code: fileArchive(layerZip(1)) } },
                { type: FUNCTION, name: "api", props: fn(fileArchive(handlerZip()), { layers: [UNKNOWN_STRING] }), propertyDependencies: { layers: [urnOf(LAYER, "small")] } },
            ]);
            assertClean(diags, "lambda-unzipped-size");
        });
    });

    describe("lambda-layer-count", () => {
        const arn = (i: number) => `arn:aws:lambda:us-east-1:123456789012:layer:l${i}:1`;
        it("flags six layers", async () => {
            const d = one(await analyze(FUNCTION, "api", fn(fileArchive(handlerZip()), { layers: [1, 2, 3, 4, 5, 6].map(arn) })), "lambda-layer-count");
            assert.match(d.message, /uses 6 layers; Lambda allows at most 5/);
        });
        it("passes five", async () => {
            assertClean(await analyze(FUNCTION, "api", fn(fileArchive(handlerZip()), { layers: [1, 2, 3, 4, 5].map(arn) })), "lambda-layer-count");
        });
    });

    describe("lambda-architecture-compatibility (stack)", () => {
        it("passes an arm64 function holding numpy's real AArch64 shared object", async () => {
            const so = numpySharedObject("aarch64");
            const code = zip([
                { name: "lambda_function.py", data: HANDLER },
                { name: so.name, data: so.data, mode: 0o100755 },
            ]);
            assertClean(await analyzeStack([{ type: FUNCTION, name: "api", props: fn(fileArchive(code), { architectures: ["arm64"], runtime: "python3.12" }) }]), "lambda-architecture-compatibility");
        });

        it("rejects the same archive on an x86_64 function", async () => {
            const so = numpySharedObject("aarch64");
            const code = zip([
                { name: "lambda_function.py", data: HANDLER },
                { name: so.name, data: so.data, mode: 0o100755 },
            ]);
            const diags = only(await analyzeStack([{ type: FUNCTION, name: "api", props: fn(fileArchive(code), { runtime: "python3.12" }) }]), "lambda-architecture-compatibility");
            assert.ok(
                diags.some((d) => /function "api" runs on x86_64 but holds 1 shared object built for arm64: numpy\/_core\/_multiarray_tests/.test(d.message)),
                diags.map((d) => d.message).join("\n"),
            );
        });

        it("rejects an arm64 function using a layer declared for x86_64 only", async () => {
            const diags = await analyzeStack([
                { type: LAYER, name: "deps", props: { code: fileArchive(zip([{ name: "python/x.py", data: Buffer.from("") }])), compatibleArchitectures: ["x86_64"], compatibleRuntimes: ["python3.14"] } },
                { type: FUNCTION, name: "api", props: fn(fileArchive(handlerZip()), { architectures: ["arm64"], layers: [UNKNOWN_STRING] }), propertyDependencies: { layers: [urnOf(LAYER, "deps")] } },
            ]);
            const d = one(diags, "lambda-architecture-compatibility");
            assert.match(d.message, /function "api" runs on arm64 but layer "deps" is built for x86_64/);
        });

        it("rejects a layer whose runtimes leave out the function's", async () => {
            const diags = await analyzeStack([
                { type: LAYER, name: "deps", props: { code: fileArchive(zip([{ name: "python/x.py", data: Buffer.from("") }])), compatibleRuntimes: ["python3.12"] } },
                { type: FUNCTION, name: "api", props: fn(fileArchive(handlerZip()), { layers: [UNKNOWN_STRING] }), propertyDependencies: { layers: [urnOf(LAYER, "deps")] } },
            ]);
            assert.match(one(diags, "lambda-architecture-compatibility").message, /uses python3\.14 but layer "deps" lists only python3\.12/);
        });

        it("rejects a layer holding a Mach-O library, and x86-64 objects in a layer used by an arm64 function", async () => {
            const layer = zip([
                { name: "python/lib/libfast.dylib", data: Buffer.concat([machoHeader(), Buffer.alloc(128)]) },
                { name: "python/fast/_c.cpython-314-x86_64-linux-gnu.so", data: Buffer.concat([elfHeader(62), Buffer.alloc(128)]), mode: 0o100755 },
            ]);
            const diags = only(
                await analyzeStack([
                    { type: LAYER, name: "deps", props: { code: fileArchive(layer) } },
                    { type: FUNCTION, name: "api", props: fn(fileArchive(handlerZip()), { architectures: ["arm64"], layers: [UNKNOWN_STRING] }), propertyDependencies: { layers: [urnOf(LAYER, "deps")] } },
                ]),
                "lambda-architecture-compatibility",
            );
            const text = diags.map((d) => d.message).join("\n");
            assert.match(text, /layer "deps" contains macOS \(Mach-O\) binaries/);
            assert.match(text, /layer "deps" \(used by function "api"\) runs on arm64 but holds 1 shared object built for x86_64/);
        });

        it("judges wheel tags: a cp311 wheel fails on python3.12, an abi3 wheel for 3.8+ passes", async () => {
            const wheel = (tag: string) => ({ name: `pkg-1.0.dist-info/WHEEL`, data: Buffer.from(`Wheel-Version: 1.0\nTag: ${tag}\n`) });
            const bad = only(await analyzeStack([{ type: FUNCTION, name: "api", props: fn(fileArchive(handlerZip([wheel("cp311-cp311-manylinux_2_17_x86_64")])), { runtime: "python3.12" }) }]), "lambda-architecture-compatibility");
            assert.match(bad[0].message, /pkg-1\.0 \(cp311-cp311-manylinux_2_17_x86_64: for CPython 3\.11, the runtime is 3\.12\)/);
            const good = await analyzeStack([{ type: FUNCTION, name: "api", props: fn(fileArchive(handlerZip([wheel("cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64")])), { runtime: "python3.12" }) }]);
            assertClean(good, "lambda-architecture-compatibility");
            const tooNew = only(await analyzeStack([{ type: FUNCTION, name: "api", props: fn(fileArchive(handlerZip([wheel("cp311-cp311-manylinux_2_28_x86_64")])), { runtime: "python3.11" }) }]), "lambda-architecture-compatibility");
            assert.match(tooNew[0].message, /needs glibc 2\.28, python3\.11 runs on AL2 with glibc 2\.26/);
        });
    });

    describe("lambda-runtime-deprecation (real clock; fixed-clock cases are in the gRPC test)", () => {
        it("flags a deprecated runtime with its block dates", async () => {
            const d = one(await analyze(FUNCTION, "api", fn(fileArchive(handlerZip()), { runtime: "python3.8" })), "lambda-runtime-deprecation");
            assert.match(d.message, /function "api" uses python3\.8: deprecated since 2024-10-14/);
        });
        it("flags a retired runtime and a runtime name that is not one", async () => {
            assert.match(one(await analyze(FUNCTION, "api", fn(fileArchive(handlerZip()), { runtime: "python3.7" })), "lambda-runtime-deprecation").message, /retired/);
            assert.match(one(await analyze(FUNCTION, "api", fn(fileArchive(handlerZip()), { runtime: "python3.1x" })), "lambda-runtime-deprecation").message, /not in the lifecycle table \(as of 2026-08-01\)/);
        });
        it("gives only an advisory for a runtime newer than the table (AWS released it since)", async () => {
            const d = one(await analyze(FUNCTION, "api", fn(fileArchive(handlerZip()), { runtime: "python3.99" })), "lambda-runtime-deprecation", "advisory");
            assert.match(d.message, /uses python3\.99, which is newer than the lifecycle table/);
        });
        it("passes a supported Node.js runtime", async () => {
            assertClean(await analyze(FUNCTION, "api", { code: fileArchive(handlerZip()), handler: "index.handler", runtime: "nodejs24.x" }), "lambda-runtime-deprecation");
        });
        it("reports a layer's old compatible runtime as an advisory only", async () => {
            const d = one(await analyze(LAYER, "deps", { code: fileArchive(zip([{ name: "python/x.py", data: Buffer.from("") }])), compatibleRuntimes: ["python3.8", "python3.14"] }), "lambda-runtime-deprecation", "advisory");
            assert.match(d.message, /layer "deps" uses python3\.8/);
        });
    });

    describe("lambda-no-pycache", () => {
        it("flags bytecode in a function", async () => {
            const d = one(await analyze(FUNCTION, "api", fn(fileArchive(handlerZip([{ name: "__pycache__/lambda_function.cpython-314.pyc", data: Buffer.alloc(32) }])))), "lambda-no-pycache");
            assert.match(d.message, /function "api" contains 1 bytecode cache entries/);
        });
        it("flags bytecode in a layer", async () => {
            one(
                await analyze(LAYER, "deps", {
                    code: fileArchive(
                        zip([
                            { name: "python/pkg/__pycache__/", mode: 0o040755 },
                            { name: "python/pkg/__pycache__/a.cpython-312.pyc", data: Buffer.alloc(8) },
                        ]),
                    ),
                }),
                "lambda-no-pycache",
            );
        });
    });

    describe("lambda-handler-at-root", () => {
        it("passes a handler module at the root that defines the function", async () => {
            assertClean(await analyze(FUNCTION, "api", fn(fileArchive(handlerZip()))), "lambda-handler-at-root");
        });
        it("flags a handler zipped inside its folder", async () => {
            const d = one(await analyze(FUNCTION, "api", fn(fileArchive(zip([{ name: "my_function/lambda_function.py", data: HANDLER }])))), "lambda-handler-at-root");
            assert.match(d.message, /it is at my_function\/lambda_function\.py\. Zip the contents of my_function\/ rather than the folder itself/);
        });
        it("flags a module without the function", async () => {
            const d = one(await analyze(FUNCTION, "api", fn(fileArchive(handlerZip()), { handler: "lambda_function.main" })), "lambda-handler-at-root");
            assert.match(d.message, /does not define main/);
        });
        it("lowers a missing module to an advisory when layers might provide it", async () => {
            one(await analyze(FUNCTION, "api", fn(fileArchive(zip([{ name: "other.py", data: HANDLER }])), { layers: ["arn:aws:lambda:us-east-1:1:layer:x:1"] })), "lambda-handler-at-root", "advisory");
        });
    });

    describe("lambda-layer-python-path", () => {
        it("passes modules under python/ and python/lib/python3.X/site-packages/", async () => {
            const code = zip([
                { name: "python/flask/__init__.py", data: Buffer.from("") },
                { name: "python/lib/python3.14/site-packages/six.py", data: Buffer.from("") },
            ]);
            assertClean(await analyze(LAYER, "deps", { code: fileArchive(code), compatibleRuntimes: ["python3.14"] }), "lambda-layer-python-path");
        });
        it("flags packages at the layer root", async () => {
            const code = zip([
                { name: "flask/__init__.py", data: Buffer.from("") },
                { name: "flask-3.1.3.dist-info/METADATA", data: Buffer.from("") },
            ]);
            const d = one(await analyze(LAYER, "deps", { code: fileArchive(code), compatibleRuntimes: ["python3.14"] }), "lambda-layer-python-path");
            assert.match(d.message, /Python code outside python\/: flask-3\.1\.3\.dist-info\/, flask\//);
        });
        it("flags site-packages for another Python version", async () => {
            const code = zip([{ name: "python/lib/python3.11/site-packages/six.py", data: Buffer.from("") }]);
            const d = one(await analyze(LAYER, "deps", { code: fileArchive(code), compatibleRuntimes: ["python3.12"] }), "lambda-layer-python-path");
            assert.match(d.message, /on sys\.path only for python3\.11, but the layer is for python3\.12/);
        });
    });

    describe("lambda-zip-entry-safety, on a corpus of bad zips", () => {
        const safety = async (code: string) => only(await analyze(FUNCTION, "api", fn(fileArchive(code), { handler: undefined })), "lambda-zip-entry-safety");

        it("path traversal and absolute paths", async () => {
            const [d] = await safety(
                zip([
                    { name: "../evil.py", data: HANDLER },
                    { name: "/etc/cron.d/x", data: HANDLER },
                ]),
            );
            assert.match(d.message, /\.\.\/evil\.py climbs out of the archive/);
            assert.match(d.message, /\/etc\/cron\.d\/x has an absolute path/);
        });
        it("files Lambda's user cannot read", async () => {
            const [d] = await safety(zip([{ name: "lambda_function.py", data: HANDLER, mode: 0o100600 }]));
            assert.match(d.message, /file mode 600: Lambda's runtime user cannot read it/);
        });
        it("a truncated (corrupt) zip", async () => {
            const bytes = craftZip([{ name: "lambda_function.py", data: HANDLER }]);
            const p = path.join(tmpDir(), "corrupt.zip");
            fs.writeFileSync(p, bytes.subarray(0, bytes.length - 10));
            const [d] = await safety(p);
            assert.equal(d.level, "mandatory");
            assert.match(d.message, /damaged or malicious: not a zip file/);
        });
        it("an overlapping-entry zip bomb", async () => {
            const entries: CraftEntry[] = [{ name: "a.bin", raw: deflatedZeros(20 * MB) }];
            for (let i = 0; i < 50; i++) entries.push({ name: `copy${i}.bin`, raw: deflatedZeros(20 * MB), shareDataWith: "a.bin" });
            const [d] = await safety(zip(entries));
            assert.match(d.message, /share compressed data \(an overlapping-entry zip bomb\)/);
        });
        it("sizes no deflate stream can produce", async () => {
            const [d] = await safety(zip([{ name: "x.bin", raw: { compressed: Buffer.alloc(10), size: 3 * 1024 * MB, crc32: 0, method: 8 } }]));
            assert.match(d.message, /more than deflate can produce/);
        });
        it("reads a zip64 archive normally", async () => {
            const bytes = craftZip(
                [
                    { name: "lambda_function.py", data: HANDLER },
                    { name: "b.py", data: Buffer.from("x = 1\n") },
                ],
                { zip64: true },
            );
            const p = path.join(tmpDir(), "z64.zip");
            fs.writeFileSync(p, bytes);
            assertClean(await analyze(FUNCTION, "api", fn(fileArchive(p))));
        });
    });

    describe("lambda-function-url-public (stack)", () => {
        it("flags auth type NONE, naming the function", async () => {
            const diags = await analyzeStack([
                { type: FUNCTION, name: "hello", props: fn(fileArchive(handlerZip())) },
                { type: FUNCTION_URL, name: "hello-url", props: { functionName: UNKNOWN_STRING, authorizationType: "NONE" }, propertyDependencies: { functionName: [urnOf(FUNCTION, "hello")] } },
            ]);
            const d = one(diags, "lambda-function-url-public", "advisory");
            assert.match(d.message, /function "hello" has a function URL with auth type NONE: anyone on the internet can invoke it/);
        });
        it("passes AWS_IAM", async () => {
            assertClean(await analyzeStack([{ type: FUNCTION_URL, name: "u", props: { functionName: "f", authorizationType: "AWS_IAM" } }]), "lambda-function-url-public");
        });
    });

    describe("lambda-partial-boto3", () => {
        it("flags botocore and urllib3 bundled without boto3 when the code imports boto3", async () => {
            const code = handlerZip([
                { name: "botocore/__init__.py", data: Buffer.from("") },
                { name: "urllib3/__init__.py", data: Buffer.from("") },
                { name: "store.py", data: Buffer.from("import boto3\n") },
            ]);
            const d = one(await analyze(FUNCTION, "api", fn(fileArchive(code))), "lambda-partial-boto3", "advisory");
            assert.match(d.message, /bundles botocore, urllib3 without boto3: store\.py imports boto3/);
        });
        it("passes the whole SDK", async () => {
            const code = handlerZip([
                { name: "boto3/__init__.py", data: Buffer.from("") },
                { name: "botocore/__init__.py", data: Buffer.from("") },
            ]);
            assertClean(await analyze(FUNCTION, "api", fn(fileArchive(code))), "lambda-partial-boto3");
        });
        it("looks under python/ in layers", async () => {
            one(await analyze(LAYER, "deps", { code: fileArchive(zip([{ name: "python/botocore/__init__.py", data: Buffer.from("") }])) }), "lambda-partial-boto3", "advisory");
        });
    });

    describe("however the code is given", () => {
        it("a folder FileArchive", async () => {
            const dir = tmpDir("folder-");
            fs.writeFileSync(path.join(dir, "lambda_function.py"), HANDLER);
            fs.mkdirSync(path.join(dir, "__pycache__"));
            fs.writeFileSync(path.join(dir, "__pycache__", "lambda_function.cpython-314.pyc"), Buffer.alloc(16));
            const diags = await analyze(FUNCTION, "api", fn(fileArchive(dir)));
            one(diags, "lambda-no-pycache");
            assertClean(diags, "lambda-handler-at-root");
        });

        it("a nested AssetArchive of a string asset, a file asset and a zip", async () => {
            const file = path.join(tmpDir(), "helper.py");
            fs.writeFileSync(file, "X = 1\n");
            const inner = zip([
                { name: "pkg/__pycache__/m.cpython-314.pyc", data: Buffer.alloc(8) },
                { name: "pkg/__init__.py", data: Buffer.from("") },
            ]);
            const code = assetArchive({ "lambda_function.py": stringAsset(HANDLER.toString()), "helper.py": fileAsset(file), vendor: fileArchive(inner) });
            const diags = await analyze(FUNCTION, "api", fn(code));
            assert.match(one(diags, "lambda-no-pycache").message, /vendor\/pkg\/__pycache__\/m\.cpython-314\.pyc/);
            assertClean(diags, "lambda-handler-at-root");
        });

        it("AssetArchive({'.': FileArchive(dir)}) puts dir's files at the root, as the engine packs it", async () => {
            const dir = tmpDir("dot-");
            fs.writeFileSync(path.join(dir, "lambda_function.py"), HANDLER);
            fs.mkdirSync(path.join(dir, "pkg"));
            fs.writeFileSync(path.join(dir, "pkg", "__init__.py"), "");
            assertClean(await analyze(FUNCTION, "api", fn(assetArchive({ ".": fileArchive(dir), "./extra/./x.py": stringAsset("X = 1\n") }))));
        });

        it("a RemoteArchive is reported as not inspected, never as a pass", async () => {
            const diags = await analyze(FUNCTION, "api", fn(remoteArchive("https://example.com/code.zip")));
            const d = onlyOne(diags, "lambda-zip-entry-safety", "advisory");
            assert.match(d.message, /could not inspect the code of function "api": the code is a remote archive \(https:\/\/example\.com\/code\.zip\)/);
        });

        it("S3 code is reported as not inspected", async () => {
            const d = onlyOne(await analyze(FUNCTION, "api", { s3Bucket: "artifacts", s3Key: "api.zip", handler: "a.b", runtime: "python3.14" }), "lambda-zip-entry-safety", "advisory");
            assert.match(d.message, /the code is in s3:\/\/artifacts\/api\.zip, which policies cannot read/);
        });

        it("an archive unknown during preview is reported as not checked yet", async () => {
            const d = onlyOne(await analyze(FUNCTION, "api", fn(UNKNOWN_ARCHIVE)), "lambda-zip-entry-safety", "advisory");
            assert.match(d.message, /not known during preview; it is checked when the update runs/);
        });

        it("an empty AssetArchive (Pulumi CLI 3.249-3.250) says it cannot inspect, and why", async () => {
            const d = onlyOne(await analyze(FUNCTION, "api", fn(assetArchive({}))), "lambda-zip-entry-safety", "advisory");
            assert.match(d.message, /empty AssetArchive\. Pulumi CLI 3\.249-3\.250 sends path archives this way \(pulumi\/pulumi#23707\)/);
        });

        it("a missing file is an advisory 'could not inspect'", async () => {
            const d = onlyOne(await analyze(FUNCTION, "api", fn(fileArchive("/nonexistent/code.zip"))), "lambda-zip-entry-safety", "advisory");
            assert.match(d.message, /the archive \/nonexistent\/code\.zip does not exist on this machine/);
        });

        it("a relative path is found from LAMBDA_PYTHON_PROGRAM_DIR", async () => {
            const programDir = tmpDir("program-");
            fs.mkdirSync(path.join(programDir, "build"));
            fs.writeFileSync(
                path.join(programDir, "build", "fn.zip"),
                craftZip([
                    { name: "lambda_function.py", data: HANDLER },
                    { name: "x.pyc", data: Buffer.alloc(4) },
                ]),
            );
            process.env.LAMBDA_PYTHON_PROGRAM_DIR = programDir;
            try {
                one(await analyze(FUNCTION, "api", fn(fileArchive("build/fn.zip"))), "lambda-no-pycache");
            } finally {
                delete process.env.LAMBDA_PYTHON_PROGRAM_DIR;
            }
        });
    });
});
