// The preview's transpiled TypeScript (preview/typescript-cache.ts), with a
// stand-in for ts-node's service: an unchanged program file is served from
// the cache without compiling, an edited one is compiled again and replaces
// its older output, and an output a preview reads is marked used, so the
// build cache's sweep keeps it while one unread for a month goes.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BuildCache, UNUSED_FOR_MS } from "../../builder/cache";
import { cacheCompiles, TsNodeService } from "../../preview/typescript-cache";

const DAY = 24 * 3600_000;

function service(): TsNodeService & { compiled: string[] } {
    const compiled: string[] = [];
    return {
        compiled,
        compile(code: string, fileName: string) {
            compiled.push(fileName);
            return `// compiled ${path.basename(fileName)}\n${code.replace(/: number/g, "")}`;
        },
        config: { options: { target: "es2022" } },
        ts: { version: "5.9.3" },
    };
}

describe("the preview's transpiled TypeScript", () => {
    let root: string;
    let dir: string;
    const tsnode = path.dirname(require.resolve("ts-node/package.json"));
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "ts-cache-"));
        dir = path.join(root, "preview", "typescript");
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("serves an unchanged file without compiling it, and an edited one compiled again in place of its older output", () => {
        const file = path.join(root, "index.ts");
        const first = service();
        cacheCompiles(first, {}, tsnode, dir);
        const out = first.compile("export const a: number = 1;\n", file);
        assert.deepEqual(first.compiled, [file]);
        const second = service();
        cacheCompiles(second, {}, tsnode, dir);
        assert.equal(second.compile("export const a: number = 1;\n", file), out);
        assert.deepEqual(second.compiled, [], "served from the cache");
        second.compile("export const a: number = 2;\n", file);
        assert.deepEqual(second.compiled, [file]);
        assert.equal(fs.readdirSync(dir).length, 1, "one output per program file");
    });

    it("marks an output it serves used, so the build cache's sweep keeps it, and sweeps one unread for a month", () => {
        const s = service();
        cacheCompiles(s, {}, tsnode, dir);
        s.compile("export const read = 1;\n", path.join(root, "read.ts"));
        s.compile("export const unread = 1;\n", path.join(root, "unread.ts"));
        const monthAgo = new Date(Date.now() - UNUSED_FOR_MS - DAY);
        for (const f of fs.readdirSync(dir)) fs.utimesSync(path.join(dir, f), monthAgo, monthAgo);
        const again = service();
        cacheCompiles(again, {}, tsnode, dir);
        again.compile("export const read = 1;\n", path.join(root, "read.ts"));
        assert.deepEqual(again.compiled, []);
        fs.writeFileSync(path.join(dir, "notes.txt"), "not an output"); // left alone
        new BuildCache(root).sweep({ evenIfRecent: true });
        const left = fs.readdirSync(dir).sort();
        assert.equal(left.length, 2, left.join(", "));
        assert.ok(left.includes("notes.txt"));
        const third = service();
        cacheCompiles(third, {}, tsnode, dir);
        third.compile("export const read = 1;\n", path.join(root, "read.ts"));
        third.compile("export const unread = 1;\n", path.join(root, "unread.ts"));
        assert.deepEqual(third.compiled, [path.join(root, "unread.ts")], "the read one stayed, the unread one was swept");
    });
});
