// The "biggest" line of a build's summary: unzipped bytes per top-level
// package, with X.libs and .dist-info counted towards X.
import { strict as assert } from "assert";
import { biggestPackages } from "../../builder/report";
import type { ArchiveFacts } from "../../policies/inspect/facts";

const facts = (files: [string, number][]) => ({ files: files.map(([name, size]) => ({ name, size })) }) as unknown as ArchiveFacts;

describe("biggestPackages", () => {
    it("adds up each package's folder, its .libs and its dist-info, largest first", () => {
        const sizes = biggestPackages(
            facts([
                ["numpy/__init__.py", 100],
                ["numpy/_core/_multiarray_umath.so", 5000],
                ["numpy.libs/libopenblas.so", 3000],
                ["numpy-2.2.6.dist-info/RECORD", 50],
                ["six.py", 40],
                ["six-1.17.0.dist-info/METADATA", 10],
                ["app.py", 7],
            ]),
            "",
        );
        assert.deepEqual(sizes, [
            { name: "numpy", bytes: 8150 },
            { name: "six", bytes: 50 },
            { name: "app", bytes: 7 },
        ]);
    });

    it("counts only files under the prefix (a layer's python/), and keeps the count asked for", () => {
        const files: [string, number][] = [
            ["python/a/x.py", 3],
            ["python/b/y.py", 2],
            ["python/c/z.py", 1],
            ["README", 99],
        ];
        assert.deepEqual(biggestPackages(facts(files), "python/", 2), [
            { name: "a", bytes: 3 },
            { name: "b", bytes: 2 },
        ]);
    });
});
