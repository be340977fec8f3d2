// The -X importtime parser (runner/init-profile.ts): CPython's lines, children
// before their parent, and a profile cut short by a runtime that died.
import { strict as assert } from "assert";
import { handlerImportLines, parseImportTime } from "../../runner/init-profile";
import { IMPORT_TIME_BEGIN, IMPORT_TIME_END } from "../../runner/sandbox";

const line = (self: number, cumulative: number, level: number, name: string) => `import time: ${String(self).padStart(9)} | ${String(cumulative).padStart(10)} | ${" ".repeat(level * 2)}${name}`;

describe("init profile: -X importtime lines", () => {
    it("nests children under the parent printed after them, in microseconds as milliseconds", () => {
        const tree = parseImportTime([
            "import time: self [us] | cumulative | imported package",
            line(300, 300, 2, "pandas._libs.tslib"),
            line(200, 500, 1, "pandas._libs"),
            line(100, 100, 1, "pandas.compat"),
            line(1000, 1600, 0, "pandas"),
            line(50, 50, 0, "tinymod"),
        ]);
        assert.deepEqual(
            tree.map((n) => [n.module, n.selfMs, n.cumulativeMs, n.children.map((c) => c.module)]),
            [
                ["pandas", 1, 1.6, ["pandas._libs", "pandas.compat"]],
                ["tinymod", 0.05, 0.05, []],
            ],
        );
        assert.deepEqual(
            tree[0].children[0].children.map((c) => c.module),
            ["pandas._libs.tslib"],
        );
    });

    it("keeps the imports that finished under one that never did (the runtime died): they become roots", () => {
        // numpy's own line never came: what it imported is kept, each with what it imported in turn.
        const tree = parseImportTime([line(10, 10, 0, "json"), line(20, 20, 2, "numpy.core._multiarray_umath"), line(5, 25, 1, "numpy.core"), line(5, 5, 1, "numpy.version")]);
        assert.deepEqual(
            tree.map((n) => n.module),
            ["json", "numpy.core", "numpy.version"],
        );
        assert.deepEqual(
            tree[1].children.map((n) => n.module),
            ["numpy.core._multiarray_umath"],
        );
    });

    it("splits the runtime's own imports from the handler module's by the launcher's markers, and reads how it ended", () => {
        const lines = [line(10, 10, 0, "awslambdaric"), IMPORT_TIME_BEGIN, line(20, 20, 0, "slowpkg"), `${IMPORT_TIME_END} failed 1234`];
        assert.deepEqual(handlerImportLines(lines), { before: [lines[0]], during: [lines[2]], outcome: "failed", elapsedMs: 1.234 });
        assert.deepEqual(handlerImportLines(lines.slice(0, 3)), { before: [lines[0]], during: [lines[2]] }, "no end: the runtime died during the import");
    });
});
