// A folder built under a temporary name is renamed into place whole; when a
// racing process put a whole one there first, that one is used and ours is
// removed; when what is there is not whole, the rename's error is thrown
// (shared/atomic.ts renameFolderIntoPlace: the installs, the tools' uv and
// the runner's tool folders all go through it).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renameFolderIntoPlace, tempPathFor } from "../../shared/atomic";

describe("a folder renamed into place", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "into-place-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const whole = (d: string) => fs.existsSync(path.join(d, "MANIFEST"));
    const built = (target: string, text: string) => {
        const temp = tempPathFor(target);
        fs.mkdirSync(temp);
        fs.writeFileSync(path.join(temp, "MANIFEST"), text);
        return temp;
    };

    it("puts ours in place when nothing is there", () => {
        const target = path.join(dir, "fresh");
        const temp = built(target, "ours");
        assert.equal(renameFolderIntoPlace(temp, target, whole), true);
        assert.equal(fs.readFileSync(path.join(target, "MANIFEST"), "utf8"), "ours");
        assert.ok(!fs.existsSync(temp));
    });

    it("keeps the whole folder a racing process put there first, and removes ours", () => {
        const target = path.join(dir, "raced");
        fs.mkdirSync(target);
        fs.writeFileSync(path.join(target, "MANIFEST"), "theirs");
        const temp = built(target, "ours");
        assert.equal(renameFolderIntoPlace(temp, target, whole), false);
        assert.equal(fs.readFileSync(path.join(target, "MANIFEST"), "utf8"), "theirs");
        assert.ok(!fs.existsSync(temp));
    });

    it("throws the rename's error when what is there is not whole", () => {
        const target = path.join(dir, "half");
        fs.mkdirSync(target);
        fs.writeFileSync(path.join(target, "partial"), "");
        const temp = built(target, "ours");
        assert.throws(() => renameFolderIntoPlace(temp, target, whole), /ENOTEMPTY|EEXIST/);
        assert.ok(fs.existsSync(temp), "ours is left to the caller, which removes it");
    });
});
