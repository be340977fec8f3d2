// Starting the Lambda emulator when it does not come up: one emulator that
// never listens (a stand-in, handed to startEmulator as the emulator file,
// the option the runner fills with the installed aws-lambda-rie) and one that
// exits at once. Either way the start fails with one paragraph that says
// why, and no process is left behind.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { liveEmulatorPids, startEmulator } from "../runner/emulator";
import { isUserError } from "../shared/errors";
import { tmpDir } from "./helpers";

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** An executable that writes its pid to `pidFile`, says `says` on stderr, then does `then`. */
function standIn(dir: string, pidFile: string, says: string, then: string): string {
    const file = path.join(dir, "aws-lambda-rie-x86_64");
    fs.writeFileSync(file, `#!/bin/sh\necho $$ > '${pidFile}'\necho '${says}' >&2\n${then}\n`, { mode: 0o755 });
    return file;
}

async function startFailure(emulator: string, listenWithinMs?: number): Promise<Error> {
    const error = await startEmulator({ emulator, bootstrap: ["/bin/true"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, listenWithinMs }).then(
        async (started) => {
            await started.close();
            assert.fail("the emulator was reported started");
        },
        (e: Error) => e,
    );
    assert.ok(isUserError(error), `a user error, not ${error.stack}`);
    return error;
}

describe("runner: an emulator that does not start", () => {
    it("stops an emulator that never listens and says it did not listen within the limit, what it printed and what to check", async () => {
        const dir = tmpDir("lp-rie-");
        const pidFile = path.join(dir, "pid");
        // exec: the stand-in's own pid (the process group's leader, under setpriv) is the one that must be gone.
        const emulator = standIn(dir, pidFile, "starting up slowly", "exec sleep 600");
        const before = liveEmulatorPids();
        const error = await startFailure(emulator, 300);
        const pid = Number(fs.readFileSync(pidFile, "utf8"));
        assert.ok(!alive(pid), `the stand-in (pid ${pid}) was stopped`);
        assert.deepEqual(liveEmulatorPids(), before);
        assert.match(error.message, new RegExp(`^the Lambda emulator \\(${emulator.replace(/[.]/g, "\\.")}\\) did not start: it was not listening on 127\\.0\\.0\\.1:\\d+ after 300 ms, so it was stopped\\.`));
        assert.match(error.message, /Its last output: starting up slowly/);
        assert.ok(error.message.includes(`delete its folder (${dir})`), error.message);
        assert.match(error.message, /lambda-python setup/);
        assert.doesNotMatch(error.message, /status null|\n/);
    });

    it("says what an emulator that exits at once printed", async () => {
        const dir = tmpDir("lp-rie-");
        const pidFile = path.join(dir, "pid");
        const emulator = standIn(dir, pidFile, "cannot start: bad flag", "exit 3");
        const error = await startFailure(emulator);
        assert.equal(error.message, `the Lambda emulator (${emulator}) did not start: cannot start: bad flag`);
        assert.ok(!alive(Number(fs.readFileSync(pidFile, "utf8"))));
    });

    it("says an emulator that exits at once without a word exited, and with which status", async () => {
        const dir = tmpDir("lp-rie-");
        const emulator = path.join(dir, "aws-lambda-rie-x86_64");
        fs.writeFileSync(emulator, "#!/bin/sh\nexit 3\n", { mode: 0o755 });
        const error = await startFailure(emulator);
        assert.equal(error.message, `the Lambda emulator (${emulator}) did not start: it exited with status 3`);
    });
});
