// The rules of `slim` (builder/slim/rules.ts, importableModules): what goes,
// what stays, which modules the proof imports, and when a stripped copy of
// a shared object may replace the original. No installs, no runner.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { importableModules, slimTree } from "../../builder/slim";
import { blamed } from "../../runner/slim-proof";
import { importsFolder, LoadSegment, mentionsImportOf, slimReason, strippedSegmentsDiffer } from "../../builder/slim/rules";

/** Slims a hand-made tree (files relative to a site-packages folder) and returns what went and what the report says. */
async function slimFiles(files: Record<string, string>) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lp-slim-rules-"));
    const list = Object.entries(files).map(([rel, text]) => {
        const abs = path.join(dir, rel);
        fs.mkdirSync(path.dirname(abs), { recursive: true });
        fs.writeFileSync(abs, text);
        return { rel, abs, size: text.length, executable: false };
    });
    try {
        const r = await slimTree(list, "x86_64", { keepTyped: false, keepWhole: [] }, path.join(dir, ".cache"), () => {});
        return { gone: [...r.drop].sort(), report: r.report };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("slim rules", () => {
    it("removes tests, headers, stubs, docs and build leftovers inside packages, never metadata or a top-level tests module", () => {
        const cases: [string, string | undefined][] = [
            ["pandas/tests/frame/test_api.py", "tests"],
            ["scipy/special/tests/data/boost.npz", "tests"],
            ["numpy/_core/include/numpy/ndarraytypes.h", "headers"],
            ["scipy/linalg/cython_lapack.pxd", "headers"],
            ["numpy/__init__.pyi", "type stubs"],
            ["pydantic/py.typed", "type stubs"],
            ["somepkg/docs/index.rst", "docs and examples"],
            ["somepkg/examples/demo.py", "docs and examples"],
            ["numpy/random/_bounded_integers.pyx", "build leftovers"],
            ["pyarrow/lib/libarrow.a", "build leftovers"],
            ["pkg/CMakeLists.txt", "build leftovers"],
            ["numpy/_core/lib/pkgconfig/numpy.pc", "build leftovers"],
            ["tests/__init__.py", undefined], // a distribution's top-level module named tests
            ["numpy/testing/__init__.py", undefined], // imported by numpy users at run time
            ["pandas/_testing/__init__.py", undefined],
            ["numpy-2.5.5.dist-info/METADATA", undefined],
            ["numpy-2.5.5.dist-info/entry_points.txt", undefined],
            ["certifi/cacert.pem", undefined],
            ["numpy/_core/_multiarray_umath.cpython-313-x86_64-linux-gnu.so", undefined],
            ["six.py", undefined],
            ["pandas/conftest.py", "tests"], // pytest's plugin file: only pytest loads it
            ["conftest.py", undefined], // a top-level module of that name is a module
            ["numpy/_core/_umath_tests.cpython-313-x86_64-linux-gnu.so", "tests"],
            ["scipy/_lib/_test_ccallback.cpython-313-aarch64-linux-gnu.so", "tests"],
            ["pandas/_libs/testing.cpython-313-x86_64-linux-gnu.so", undefined], // pandas._testing imports it
            ["pkg/_tests_helper.py", undefined],
            ["scipy/ndimage/_cytest.cpython-313-x86_64-linux-gnu.so", "tests"],
            ["pkg/_latest.cpython-313-x86_64-linux-gnu.so", undefined],
            ["numpy/random/_examples/cffi/extending.py", "docs and examples"],
        ];
        for (const [rel, reason] of cases) assert.equal(slimReason(rel), reason, rel);
        assert.equal(slimReason("pydantic/py.typed", true), undefined, "keepTyped keeps py.typed");
        assert.equal(slimReason("numpy/__init__.pyi", true), undefined, "keepTyped keeps stubs");
    });

    it("sees a package import its own tests folder, absolutely or relatively", () => {
        assert.ok(importsFolder("from scipy.special.tests.test_hyp2f1 import mp_hyp2f1\n", "scipy/special/_precompute", "scipy/special/tests"));
        assert.ok(importsFolder("from .tests import helpers\n", "pkg", "pkg/tests"));
        assert.ok(importsFolder("from . import tests, util\n", "pkg", "pkg/tests"));
        assert.ok(!importsFolder("from .tests import helpers\n", "pkg/sub", "pkg/tests"), "relative to another folder");
        assert.ok(!importsFolder("# run the tests with pytest pkg/tests\nimport pytest\n", "pkg", "pkg/tests"));
    });

    it("sees a line that imports a name in any form (any depth of relative import, import_module), not a mention in a comment", () => {
        assert.ok(mentionsImportOf("from .._precompute.utils import f\n", "_precompute"));
        assert.ok(mentionsImportOf("from numpy._core import _umath_tests as t\n", "_umath_tests"));
        assert.ok(mentionsImportOf("mod = importlib.import_module('scipy.special._precompute')\n", "_precompute"));
        assert.ok(!mentionsImportOf("# see _precompute for how the tables were made\nimport os\n", "_precompute"));
        assert.ok(!mentionsImportOf("from ._precompute_cache import f\n", "_precompute"));
    });

    it("removes a private developer folder whose modules import the tests, with the tests, when nothing else imports it", async () => {
        const tree = {
            "sci/__init__.py": "from . import special\n",
            "sci/special/__init__.py": "from ._core import gamma\n",
            "sci/special/_core.py": "def gamma(x):\n    return x\n",
            "sci/special/tests/__init__.py": "",
            "sci/special/tests/test_hyp.py": "def mp_hyp(a):\n    return a\n",
            "sci/special/tests/data/cases.npz": "binary",
            "sci/special/_precompute/__init__.py": "",
            "sci/special/_precompute/hyp_data.py": "from sci.special.tests.test_hyp import mp_hyp\n",
            "sci/special/_precompute/utils.py": "def lagrange(x):\n    return x\n",
        };
        const { gone, report } = await slimFiles(tree);
        assert.deepEqual(gone, ["sci/special/_precompute/__init__.py", "sci/special/_precompute/hyp_data.py", "sci/special/_precompute/utils.py", "sci/special/tests/__init__.py", "sci/special/tests/data/cases.npz", "sci/special/tests/test_hyp.py"]);
        assert.deepEqual(report.keptFolders, []);
        // Imported at run time by a module of the package: the folder and the tests it imports stay.
        const used = await slimFiles({ ...tree, "sci/special/_core.py": "from ._precompute.utils import lagrange\n" });
        assert.deepEqual(used.gone, []);
        assert.deepEqual(used.report.keptFolders, ["sci/special/tests"]);
        // A public folder (users may import it) or one holding data files is no developer folder: the tests stay.
        const publicFolder = await slimFiles({ "sci/__init__.py": "", "sci/tests/test_a.py": "X = 1\n", "sci/tools/__init__.py": "", "sci/tools/gen.py": "from sci.tests.test_a import X\n" });
        assert.deepEqual(publicFolder.report.keptFolders, ["sci/tests"]);
        const withData = await slimFiles({ "sci/__init__.py": "", "sci/tests/test_a.py": "X = 1\n", "sci/_gen/gen.py": "from sci.tests.test_a import X\n", "sci/_gen/table.csv": "1,2\n" });
        assert.deepEqual(withData.report.keptFolders, ["sci/tests"]);
    });

    it("removes test extension modules nothing imports, and keeps one a module of the package imports", async () => {
        const so = "numpy/_core/_umath_tests.cpython-313-x86_64-linux-gnu.so";
        const unused = await slimFiles({ "numpy/__init__.py": "", "numpy/_core/__init__.py": "", [so]: "ELF", "numpy/conftest.py": "import numpy._core._umath_tests\n" });
        assert.deepEqual(unused.gone, ["numpy/_core/_umath_tests.cpython-313-x86_64-linux-gnu.so", "numpy/conftest.py"]);
        const used = await slimFiles({ "numpy/__init__.py": "", "numpy/_core/__init__.py": "", [so]: "ELF", "numpy/testing/print_tables.py": "from numpy._core._umath_tests import info\n" });
        assert.deepEqual(used.gone, []);
        assert.deepEqual(used.report.keptFolders, ["numpy/_core/_umath_tests"]);
        assert.deepEqual(used.report.notStripped, [{ file: so, why: "not an ELF file" }], "a test module put back is stripped like any other");
    });

    it("proves every package and extension module a tree ships, not test code, metadata or scripts", () => {
        const rels = [
            "numpy/__init__.py",
            "numpy/linalg/__init__.py",
            "numpy/linalg/_umath_linalg.cpython-313-x86_64-linux-gnu.so",
            "numpy/linalg/linalg.py",
            "numpy/_core/tests/__init__.py",
            "numpy/_core/tests/_helper.cpython-313-x86_64-linux-gnu.so",
            "numpy.libs/libscipy_openblas64_-56d6093b.so",
            "six.py",
            "_cffi_backend.cpython-313-x86_64-linux-gnu.so",
            "google/protobuf/__init__.py",
            "google/protobuf/internal/__init__.py",
            "numpy-2.5.5.dist-info/RECORD",
            "bin/f2py",
            "_distutils_hack/__init__.py",
            "data-files/x.so",
        ];
        assert.deepEqual(importableModules(rels), ["_cffi_backend", "google.protobuf", "google.protobuf.internal", "numpy", "numpy.linalg", "numpy.linalg._umath_linalg", "six"]);
    });

    it("accepts a stripped copy whose segments lost only zero padding, and refuses one whose segments moved or lost data", () => {
        const seg = (offset: number, vaddr: number, filesz: number, memsz = filesz, flags = 6): LoadSegment => ({ offset, vaddr, filesz, memsz, flags });
        const zeros = () => true;
        const before = [seg(0, 0, 0xf50, 0xf50, 4), seg(0x3dd8, 0x4dd8, 0x4e8, 0x510), seg(0x6000, 0x6000, 0xe40)];
        // numpy 2.5.5's lapack_lite after strip: the patchelf-added segment moved down a page, 6 bytes of padding shorter.
        assert.equal(strippedSegmentsDiffer(before, [before[0], before[1], seg(0x5000, 0x6000, 0xe3a)], zeros), undefined);
        assert.match(strippedSegmentsDiffer(before, [before[0], before[1], seg(0x5000, 0x6000, 0xe3a)], () => false) ?? "", /lost data/);
        // scipy 1.18.1's OpenBLAS after strip: a segment put at an offset the loader refuses, and truncated.
        assert.match(strippedSegmentsDiffer(before, [before[0], before[1], seg(0x5068, 0x6000, 0xe40)], zeros) ?? "", /no longer page-aligned/);
        assert.match(strippedSegmentsDiffer(before, [before[0], before[1], seg(0x5000, 0x6000, 0x400)], zeros) ?? "", /lost data/);
        assert.match(strippedSegmentsDiffer(before, [before[0], before[1]], zeros) ?? "", /2 loadable segments where the original has 3/);
    });

    it("blames a broken import on its package, the packages of its traceback, and the package its error names", () => {
        const tops: Record<string, string> = { readsown: "readsown", pandas: "pandas", other: "other-dist", six: "six", yaml: "PyYAML" };
        const top = (t: string) => tops[t];
        assert.deepEqual(blamed("readsown", ["/var/task/readsown/__init__.py"], "FileNotFoundError: [Errno 2] No such file or directory: '/var/task/readsown/tests/data.txt'", top), ["readsown"]);
        assert.deepEqual(blamed("pandas", ["/var/task/pandas/__init__.py", "/var/task/six.py"], "ModuleNotFoundError: No module named 'other.tests'", top).sort(), ["other-dist", "pandas", "six"]);
        assert.deepEqual(blamed("pandas", [], "FileNotFoundError: '/opt/python/lib/python3.13/site-packages/yaml/data.json'", top).sort(), ["pandas", "pyyaml"]);
        assert.deepEqual(blamed("pandas", ["/usr/lib/python3.13/importlib/__init__.py"], "ImportError: x", top), ["pandas"]);
    });
});
