// The installs of a Python program's local packages that the offline preview
// makes (preview/python-program.ts: one folder per content of the packages,
// so every edit makes another) are bounded by keepRecentlyUsed
// (target-python/install-dir.ts): the one in use, the most recently used
// others, and any used in the last hour.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ownerTag } from "../../shared/owner";
import { keepRecentlyUsed } from "../../target-python/install-dir";

const FAMILY = /^local-[0-9a-f]{24}$/;
const DAY = 24 * 3600_000;

describe("keepRecentlyUsed: a family of folders made one per content", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "keep-recent-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** A folder of the family (or any name) with a file in it, last used `ago` ms ago. */
    const folder = (name: string, ago: number) => {
        const p = path.join(dir, name);
        fs.mkdirSync(p);
        fs.writeFileSync(path.join(p, "mod.py"), "X = 1\n");
        const t = new Date(Date.now() - ago);
        fs.utimesSync(p, t, t);
        return name;
    };
    const local = (i: number) => `local-${i.toString(16).padStart(24, "0")}`;
    const left = () => fs.readdirSync(dir).sort();

    it("keeps the one in use and the most recently used others, removes the rest, and marks the one in use", () => {
        const current = folder(local(100), 30 * DAY);
        const old = Array.from({ length: 10 }, (_, i) => folder(local(i), (i + 2) * DAY)); // local(0) the most recent
        const other = folder("pulumi-3.200.0-aws-7.10.0", 90 * DAY);
        keepRecentlyUsed(dir, FAMILY, path.join(dir, current), 8);
        assert.deepEqual(left(), [current, ...old.slice(0, 8), other].sort());
        assert.ok(Date.now() - fs.statSync(path.join(dir, current)).mtimeMs < 60_000, "the one in use is marked used now");
    });

    it("never removes a folder used in the last hour, however many there are", () => {
        const current = folder(local(100), 0);
        const recent = [folder(local(1), 5 * 60_000), folder(local(2), 50 * 60_000)];
        const old = folder(local(3), 2 * DAY);
        keepRecentlyUsed(dir, FAMILY, path.join(dir, current), 0);
        assert.deepEqual(left(), [current, ...recent].sort());
        assert.ok(!left().includes(old));
    });

    it("removes the family's temporaries a killed process left, and leaves a running process's", () => {
        const current = folder(local(100), 0);
        const dead = folder(`.${local(5)}.tmp-999999999.1-0a0b0c0d`, DAY);
        const running = folder(`.${local(6)}.tmp-${ownerTag()}-0a0b0c0d`, DAY);
        const unrelated = folder(".pulumi-3.200.0-aws-7.10.0.tmp-999999999.1-0a0b0c0d", DAY);
        keepRecentlyUsed(dir, FAMILY, path.join(dir, current), 8);
        assert.ok(!left().includes(dead));
        assert.deepEqual(left(), [current, running, unrelated].sort());
    });

    it("does nothing when the folder in use is gone (another process swept it meanwhile)", () => {
        const others = [folder(local(1), 3 * DAY), folder(local(2), 4 * DAY)];
        keepRecentlyUsed(dir, FAMILY, path.join(dir, local(100)), 0);
        assert.deepEqual(left(), others.sort());
    });
});
