// What a build killed outright leaves is removed by the next one, and only
// that: temporary names carry their owner's pid and start time, an owner that
// no longer runs (or whose pid now belongs to another process) is dead, and
// an installer recorded in a dead build's folder is stopped.
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { commitTemp, tempPathFor } from "../../shared/atomic";
import { sweepLeftovers } from "../../builder/leftovers";
import { ownerAlive, ownerTag, tagOf } from "../../shared/owner";
import { CHILD_MARKER } from "../../shared/process";

describe("leftovers of killed builds", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leftovers-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("tells a live owner from a dead one, and from another process that got its pid", () => {
        assert.ok(ownerAlive(ownerTag()));
        const done = spawnSync("true");
        assert.ok(!ownerAlive(`${done.pid}.1`), "a process that has ended");
        const [pid, start] = ownerTag().split(".");
        assert.ok(!ownerAlive(`${pid}.${Number(start) + 1}`), "this pid, started at another time");
    });

    it("removes the temporaries of dead owners, keeps those of live ones, and stops a dead build's installer", async () => {
        const tmp = path.join(dir, "tmp");
        fs.mkdirSync(tmp);
        const dead = `${spawnSync("true").pid}.1`;
        const installer = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
        const installerTag = tagOf(installer.pid!)!;
        const exited = new Promise((r) => installer.on("exit", r));
        for (const name of [`install-${dead}-abc`, `child-${dead}-def`, `.spill.tmp-${dead}-0011`, `install-${ownerTag()}-keep`, `.spill.tmp-${ownerTag()}-keep`]) fs.mkdirSync(path.join(tmp, name));
        fs.writeFileSync(path.join(tmp, `child-${dead}-def`, CHILD_MARKER), installerTag);
        const outDir = path.join(dir, "out");
        fs.mkdirSync(outDir);
        for (const name of [`.fn.zip.tmp-${dead}-aa`, `.other.zip.tmp-${dead}-bb`, "notes.txt"]) fs.writeFileSync(path.join(outDir, name), "");
        assert.equal(sweepLeftovers([tmp], path.join(outDir, "fn.zip")), 4);
        assert.deepEqual(fs.readdirSync(tmp).sort(), [`.spill.tmp-${ownerTag()}-keep`, `install-${ownerTag()}-keep`]);
        assert.deepEqual(fs.readdirSync(outDir).sort(), [`.other.zip.tmp-${dead}-bb`, "notes.txt"], "only --out's own temporaries, in a user's folder");
        await exited; // killed by the sweep (SIGKILL to its process group)
        assert.equal(installer.signalCode, "SIGKILL");
    });

    it("leaves no temporary name when a rename finds both names linking one file (two builds, one --out)", () => {
        const archive = path.join(dir, "archive.zip");
        fs.writeFileSync(archive, "zip");
        const out = path.join(dir, "shared.zip");
        fs.linkSync(archive, out);
        const temp = tempPathFor(out);
        fs.linkSync(archive, temp);
        commitTemp(temp, out); // rename(2) succeeds and does nothing here
        assert.ok(!fs.existsSync(temp));
        assert.equal(fs.readFileSync(out, "utf8"), "zip");
    });
});
