// The shared rules on hand-made archive facts, with the clock injected
// through the runtime-deprecation policy's `now` config: the same code the
// policy pack, `lambda-python inspect` and the components run.
import { strict as assert } from "assert";
import { ArchiveFacts, emptyFacts, InspectedArchive } from "../../policies/inspect/facts";
import { checkArchive, Finding, hasMandatory } from "../../policies/rules";
import { checkArchiveArchitecture, checkLayerDeclaration } from "../../policies/rules/architecture";
import { configFor } from "../../policies/rules/config";
import { checkEnvironmentLimits } from "../../policies/rules/environment-limits";
import { checkFunctionUrlPublic } from "../../policies/rules/function-url-public";
import { checkHandlerAtRoot } from "../../policies/rules/handler-at-root";
import { checkLayerCount } from "../../policies/rules/layer-count";
import { checkLayerPythonPath } from "../../policies/rules/layer-python-path";
import { checkNoPycache } from "../../policies/rules/no-pycache";
import { checkPartialBoto3 } from "../../policies/rules/partial-boto3";
import { checkRuntimeDeprecation, isCreateBlocked } from "../../policies/rules/runtime-deprecation";
import { checkUnzippedSize } from "../../policies/rules/unzipped-size";
import { checkZipSize } from "../../policies/rules/zip-size";

const MB = 1024 * 1024;

/** Facts of a zip holding these files (name → text), as gatherFacts would report them. */
function archive(files: Record<string, string>, extra: Partial<ArchiveFacts> = {}): InspectedArchive {
    const facts = emptyFacts("zip", "app.zip", 1000);
    for (const [name, text] of Object.entries(files)) facts.files.push({ name, size: text.length, mode: 0o100644 });
    facts.files.sort((a, b) => (a.name < b.name ? -1 : 1));
    facts.entries = facts.files.length;
    facts.unzippedBytes = facts.files.reduce((sum, f) => sum + f.size, 0);
    Object.assign(facts, extra);
    return { facts, readText: (name) => files[name] };
}

const levels = (findings: Finding[]) => findings.map((f) => `${f.policy} ${f.level}`);

describe("rules", () => {
    describe("lambda-runtime-deprecation, with an injected clock", () => {
        const at = (now: string) => configFor("lambda-runtime-deprecation", { "lambda-runtime-deprecation": { now } });

        it("is silent long before deprecation and advises within warnDays of it", () => {
            assert.deepEqual(checkRuntimeDeprecation("function api", "python3.12", at("2026-01-01")), []);
            const [soon] = checkRuntimeDeprecation("function api", "python3.12", at("2028-09-01"));
            assert.equal(soon.level, "advisory");
            assert.match(soon.message, /^function api uses python3\.12: deprecated on 2028-10-31, in 60 days; creating functions is blocked from 2028-11-30 and updating them from 2029-01-10\. Move to python3\.14\.$/);
        });

        it("blocks a deprecated runtime and says which dates have passed", () => {
            const [deprecated] = checkRuntimeDeprecation("function api", "python3.10", at("2026-11-15"));
            assert.equal(deprecated.level, "mandatory");
            assert.match(deprecated.message, /deprecated since 2026-10-31 \(no more security patches\); creating functions is blocked from 2027-02-01/);
            const [blocked] = checkRuntimeDeprecation("function api", "python3.10", at("2027-03-03"));
            assert.match(blocked.message, /Lambda blocks creating functions on it since 2027-02-01 and updating them since 2027-03-03/);
        });

        it("knows when creating functions is blocked, from the table or from config", () => {
            assert.equal(isCreateBlocked("python3.10", { now: "2027-01-31" }), undefined);
            assert.equal(isCreateBlocked("python3.10", { now: "2027-02-01" })?.blockCreate, "2027-02-01");
            assert.equal(isCreateBlocked("python3.7", { now: "2020-01-01" })?.retired, true);
            assert.equal(isCreateBlocked("python3.14", { now: "2026-01-01", runtimes: { "python3.14": { blockCreate: "2025-12-31" } } })?.blockCreate, "2025-12-31");
        });

        it("advises about a runtime newer than the table, and blocks a name it cannot know", () => {
            assert.deepEqual(levels(checkRuntimeDeprecation("function api", "python3.15", at("2026-01-01"))), ["lambda-runtime-deprecation advisory"]);
            assert.deepEqual(levels(checkRuntimeDeprecation("function api", "python3.1x", at("2026-01-01"))), ["lambda-runtime-deprecation mandatory"]);
        });
    });

    describe("sizes and counts", () => {
        it("lambda-layer-count allows five layers, or what config says", () => {
            assert.deepEqual(checkLayerCount("function api", 5), []);
            assert.equal(checkLayerCount("function api", 6)[0].message, "function api uses 6 layers; Lambda allows at most 5. Merge layers that are always used together into one.");
            assert.deepEqual(levels(checkLayerCount("function api", 2, { maxLayers: 1 })), ["lambda-layer-count mandatory"]);
        });

        it("lambda-zip-size blocks a zip over 50 MB, and only advises when the zipped size is not known yet", () => {
            const facts = (zipped: number | undefined, unzipped: number) => ({ ...emptyFacts(zipped === undefined ? "folder" : "zip", "app.zip", zipped), unzippedBytes: unzipped });
            assert.deepEqual(checkZipSize(facts(50 * MB, 200 * MB)), []);
            assert.match(checkZipSize(facts(50 * MB + 1, 200 * MB))[0].message, /^app\.zip is 50\.0 MB \(52,428,801 bytes\) zipped, over the 50\.0 MB \(52,428,800 bytes\) limit for direct upload/);
            assert.deepEqual(levels(checkZipSize(facts(undefined, 60 * MB))), ["lambda-zip-size advisory"]);
            assert.deepEqual(levels(checkZipSize(facts(2 * MB, 3 * MB), { maxZippedBytes: MB })), ["lambda-zip-size mandatory"]);
        });

        it("lambda-unzipped-size adds up a function and its layers, naming each part", () => {
            const parts = [
                { label: 'function "api"', bytes: 100 * MB },
                { label: 'layer "numpy"', bytes: 160 * MB },
            ];
            const [over] = checkUnzippedSize('function "api"', parts);
            assert.equal(over.level, "mandatory");
            assert.match(over.message, /^function "api" unzips to 260 MB \(272,629,760 bytes\) \(function "api" 100 MB \+ layer "numpy" 160 MB\), over Lambda's limit of 250 MB \(262,144,000 bytes\)/);
            assert.deepEqual(levels(checkUnzippedSize("x", [{ label: "x", bytes: 240 * MB }])), ["lambda-unzipped-size advisory"]);
            assert.deepEqual(checkUnzippedSize("x", [{ label: "x", bytes: 240 * MB }], { maxUnzippedBytes: 262144000, warnAtShare: 0 }), []);
            const [unknown] = checkUnzippedSize("x", [{ label: "x", bytes: 251 * MB }, { label: "layer by ARN" }]);
            assert.match(unknown.message, /Not counted, could not be inspected: layer by ARN\.$/);
        });
    });

    describe("architecture and layers", () => {
        const elf = (name: string, arch: string) => ({ name, format: "elf" as const, arch });

        it("blocks shared objects for the other architecture, naming them", () => {
            const facts = { ...archive({}).facts, natives: [elf("numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so", "x86_64")] };
            const [wrong] = checkArchiveArchitecture(facts, { label: "layer numpy", architectures: ["arm64"], runtimes: ["python3.12"] });
            assert.equal(wrong.level, "mandatory");
            assert.match(wrong.message, /^layer numpy runs on arm64 but holds 1 shared object built for x86_64: numpy\/_core\/_multiarray_umath/);
        });

        it("blocks installed wheels that do not fit the runtime", () => {
            const facts = { ...archive({}).facts, wheels: [{ distInfo: "pydantic_core-2.27.1.dist-info", tags: ["cp311-cp311-manylinux_2_17_x86_64"] }] };
            const [bad] = checkArchiveArchitecture(facts, { label: "app.zip", architectures: ["x86_64"], runtimes: ["python3.12"] });
            assert.match(bad.message, /1 installed wheel does not fit python3\.12 on x86_64: pydantic_core-2\.27\.1 \(cp311-cp311-manylinux_2_17_x86_64: for CPython 3\.11, the runtime is 3\.12\)/);
            assert.deepEqual(checkArchiveArchitecture(facts, { label: "app.zip", architectures: ["x86_64"], runtimes: ["python3.11"] }), []);
        });

        it("requires a layer to declare the function's architecture and runtime", () => {
            const layer = { label: 'layer "deps"', compatibleRuntimes: ["python3.12"], compatibleArchitectures: ["x86_64"] };
            assert.deepEqual(checkLayerDeclaration('function "api"', "python3.12", "x86_64", layer), []);
            assert.deepEqual(
                checkLayerDeclaration('function "api"', "python3.13", "arm64", layer).map((f) => f.message),
                [
                    'function "api" runs on arm64 but layer "deps" is built for x86_64. Build the layer for arm64 or change the function\'s architecture.',
                    'function "api" uses python3.13 but layer "deps" lists only python3.12 as compatible runtimes. Rebuild the layer for python3.13.',
                ],
            );
            assert.deepEqual(checkLayerDeclaration('function "api"', "python3.13", "arm64", { label: "undeclared" }), [], "a layer that declares nothing is not judged");
        });

        it("lambda-layer-python-path blocks modules outside python/ and a site-packages for another Python", () => {
            const { facts } = archive({ "requests/__init__.py": "", "python/lib/python3.11/site-packages/six.py": "" });
            assert.deepEqual(
                checkLayerPythonPath(facts, ["python3.12"]).map((f) => f.message.split(":")[0]),
                [
                    "app.zip has Python code outside python/",
                    "app.zip puts packages in python/lib/python3.11/site-packages (e.g. python/lib/python3.11/site-packages/six.py), which is on sys.path only for python3.11, but the layer is for python3.12. Use python/ for a version-independent layer, or rebuild for the right version.",
                ],
            );
        });
    });

    describe("the archive's Python", () => {
        it("lambda-handler-at-root finds the handler module and function, or says where it is", () => {
            const app = archive({ "lambda_function.py": "def lambda_handler(event, context):\n    return 1\n", "src/main.py": "def handler(e, c): pass\n" });
            assert.deepEqual(checkHandlerAtRoot(app, "lambda_function.lambda_handler"), []);
            assert.match(checkHandlerAtRoot(app, "lambda_function.handler")[0].message, /lambda_function\.py in app\.zip does not define handler/);
            assert.match(checkHandlerAtRoot(app, "main.handler")[0].message, /needs main\.py at the root of app\.zip, but it is at src\/main\.py\. Zip the contents of src\/ rather than the folder itself, or set the handler to "src\.main\.handler"/);
            assert.deepEqual(levels(checkHandlerAtRoot(app, "missing.handler", true)), ["lambda-handler-at-root advisory"], "a layer may provide it");
            assert.deepEqual(levels(checkHandlerAtRoot(app, "nodots")), ["lambda-handler-at-root mandatory"]);
        });

        it("lambda-no-pycache counts bytecode entries", () => {
            const { facts } = archive({}, { pycache: ["__pycache__/", "__pycache__/app.cpython-312.pyc"], pycacheCount: 2 });
            assert.match(checkNoPycache(facts)[0].message, /^app\.zip contains 2 bytecode cache entries \(__pycache__\/, __pycache__\/app\.cpython-312\.pyc\)/);
        });

        it("lambda-no-pycache judges bytecode by its header against the runtimes: a layer's, none given, and stray beside matching", () => {
            const withPyc = (pycs: [string, number, number][]) => {
                const a = archive({ "python/pkg/__init__.py": "", "python/pkg/mod.py": "X = 1\n" });
                for (const [name, magic, flags] of pycs) a.facts.files.push({ name, size: 32, mode: 0o100644, pyc: { magic, flags } });
                a.facts.pycache = pycs.map(([n]) => n);
                a.facts.pycacheCount = pycs.length;
                return a.facts;
            };
            const py313 = withPyc([
                ["python/pkg/__pycache__/__init__.cpython-313.pyc", 3571, 1],
                ["python/pkg/__pycache__/mod.cpython-313.pyc", 3571, 3],
            ]);
            assert.deepEqual(levels(checkNoPycache(py313, ["python3.12", "python3.13"])), ["lambda-no-pycache advisory"], "a layer for 3.12 and 3.13: used by 3.13");
            assert.match(checkNoPycache(py313)[0].message, /for 2 modules compiled for python3\.13 .*\(it matches a python3\.13 function only\)/);
            assert.match(checkNoPycache(py313, ["python3.14"])[0].message, /contains 2 bytecode cache entries .* compiled by CPython 3\.13, not 3\.14/);
            const mixed = withPyc([
                ["python/pkg/__pycache__/mod.cpython-313.pyc", 3571, 1],
                ["python/pkg/__pycache__/mod.cpython-311.pyc", 3495, 0],
            ]);
            assert.deepEqual(levels(checkNoPycache(mixed, ["python3.13"])), ["lambda-no-pycache mandatory", "lambda-no-pycache advisory"]);
            assert.match(checkNoPycache(mixed, ["python3.13"])[0].message, /1 bytecode cache entries \(python\/pkg\/__pycache__\/mod\.cpython-311\.pyc\)/);
        });

        it("lambda-partial-boto3 advises when the function's code imports boto3 against a bundled botocore", () => {
            const files = { "app.py": "import boto3\n", "botocore/__init__.py": "", "botocore-1.35.0.dist-info/METADATA": "" };
            const wheels = [{ distInfo: "botocore-1.35.0.dist-info", tags: ["py3-none-any"] }];
            const [partial] = checkPartialBoto3(archive(files, { wheels }), "function");
            assert.match(partial.message, /^app\.zip bundles botocore without boto3: app\.py imports boto3/);
            assert.deepEqual(checkPartialBoto3(archive({ ...files, "boto3/__init__.py": "" }, { wheels }), "function"), []);
        });
    });

    it("checkArchive runs every archive rule and judges Python rules only for Python", () => {
        const app = archive({ "lambda_function.py": "def lambda_handler(e, c): pass\n" }, { pycache: ["__pycache__/x.pyc"], pycacheCount: 1 });
        const now = { "lambda-runtime-deprecation": { now: "2026-01-01" } };
        assert.deepEqual(levels(checkArchive(app, { kind: "function", runtimes: ["python3.12"], architectures: ["x86_64"], handler: "lambda_function.lambda_handler", config: now })), ["lambda-no-pycache mandatory"]);
        assert.deepEqual(checkArchive(app, { kind: "function", runtimes: ["nodejs22.x"], architectures: ["x86_64"], handler: "index.handler", config: now }), []);
        assert.equal(hasMandatory(checkArchive(app, { kind: "function", runtimes: ["python3.8"], config: { "lambda-runtime-deprecation": { now: "2027-03-03" } } })), true);
    });

    it("the organisation rules: environment limits and public URLs", () => {
        assert.match(checkEnvironmentLimits("function api", [{ name: "AWS_REGION", value: "eu-west-1" }])[0].message, /sets AWS_REGION, which Lambda reserves/);
        assert.deepEqual(levels(checkEnvironmentLimits("function api", [{ name: "BIG", value: "x".repeat(5000) }])), ["lambda-environment-limits mandatory"]);
        assert.deepEqual(checkEnvironmentLimits("function api", [{ name: "STAGE", value: "prod" }]), []);
        assert.deepEqual(levels(checkFunctionUrlPublic("function api", "NONE", ["api"])), ["lambda-function-url-public mandatory"]);
        assert.deepEqual(checkFunctionUrlPublic("function api", "NONE", ["api"], { allowedFunctions: ["api"] }), []);
        assert.deepEqual(checkFunctionUrlPublic("function api", "AWS_IAM", ["api"]), []);
    });
});
