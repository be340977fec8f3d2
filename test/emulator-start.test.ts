// Starting the Lambda emulator when it does not come up: one emulator that
// never listens (a stand-in, handed to startEmulator as the emulator file,
// the option the runner fills with the installed aws-lambda-rie) and one that
// exits at once, and one whose port another process holds (it never
// listens itself). Each way the start fails with one paragraph that says
// why, and no process is left behind.
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { spawn } from "child_process";
import { freePort, liveEmulatorPids, startEmulator } from "../runner/emulator";
import { listeningInodes, portListeners } from "../runner/port-owner";
import { runningInGroup } from "../runner/process-group";
import { isUserError } from "../shared/errors";
import { tmpDir } from "./helpers";

/** Running: a zombie (a killed grandchild whose new parent, this machine's init, has not reaped it yet) is not. */
function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    try {
        return !/^\d+ \(.*\) Z /s.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return false;
    }
}

/** An executable that adds its pid to `pidFile`, says `says` on stderr, then does `then`. */
function standIn(dir: string, pidFile: string, says: string, then: string): string {
    const file = path.join(dir, "aws-lambda-rie-x86_64");
    fs.writeFileSync(file, `#!/bin/sh\necho $$ >> '${pidFile}'\necho '${says}' >&2\n${then}\n`, { mode: 0o755 });
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

    it("says why an emulator file that cannot be run did not start (no file, as after a half-removed setup)", async () => {
        const missing = path.join(tmpDir("lp-rie-"), "aws-lambda-rie-x86_64");
        const error = await startFailure(missing);
        assert.match(error.message, /^the Lambda emulator \(.+\) did not start: .*(No such file or directory|ENOENT)/);
        assert.doesNotMatch(error.message, /\n/);
    });

    it("does not take another process listening on its port for the emulator: it tries other ports, then says so", async () => {
        const dir = tmpDir("lp-rie-");
        const pids = path.join(dir, "pids");
        // Each start: the stand-in has a process of its own bind the port it was given, then sleeps; with a
        // connection as the only test, this was reported started, and its invokes would have gone to that process.
        const squatter = `require("net").createServer().listen(Number(process.argv[1]), "127.0.0.1")`;
        const emulator = standIn(dir, pids, "starting", `'${process.execPath}' -e '${squatter}' "\${2##*:}" &\necho $! >> '${pids}'\nexec sleep 600`);
        const error = await startFailure(emulator, 5000);
        assert.match(error.message, /^the Lambda emulator \(.+\) did not start: 127\.0\.0\.1:\d+: address already in use by another process$/);
        const started = fs.readFileSync(pids, "utf8").trim().split("\n").map(Number);
        assert.equal(started.length, 6, "three tries, each a stand-in and its squatter");
        for (const pid of started) assert.ok(!alive(pid), `pid ${pid} was stopped`);
    });
});

describe("runner: who listens on a port", () => {
    it("tells this process's listening socket from another process's, and a port nobody listens on", async () => {
        const server = net.createServer();
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const { port } = server.address() as net.AddressInfo;
        try {
            const free = await freePort();
            assert.deepEqual(portListeners([port, free], process.pid), ["ours", "none"]);
            assert.deepEqual(portListeners([port], process.ppid), ["another"]);
        } finally {
            await new Promise((r) => server.close(r));
        }
        assert.deepEqual(portListeners([await freePort()], process.pid), ["none"]);
    });

    it("reads listening sockets on 127.0.0.1 and on any address from /proc/net/tcp, and nothing else", () => {
        const table = [
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
            "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0",
            "   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0",
            "   2: 0100007F:1F90 0100007F:A000 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0000000000000000 20 4 30 10 -1",
            "   3: 0200007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0",
            "   4: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1 0000000000000000 100 0 0 10 0",
        ].join("\n");
        assert.deepEqual(listeningInodes(table, 8080), ["1111", "2222"]);
        assert.deepEqual(listeningInodes(table, 8082), []);
    });
});

describe("runner: the processes of a group", () => {
    it("names the leader and what it started in the background, then none of them once the group is killed", async () => {
        const dir = tmpDir("lp-group-");
        const pids = path.join(dir, "pids");
        const leader = spawn("/bin/sh", ["-c", `sleep 600 &\necho $! > '${pids}'\nexec sleep 600`], { detached: true, stdio: "ignore" });
        const exited = new Promise((r) => leader.on("exit", r));
        while (!fs.existsSync(pids) || !fs.readFileSync(pids, "utf8").trim()) await new Promise((r) => setTimeout(r, 5));
        const background = Number(fs.readFileSync(pids, "utf8"));
        try {
            assert.deepEqual(runningInGroup(leader.pid!)?.sort(), [leader.pid!, background].sort());
        } finally {
            process.kill(-leader.pid!, "SIGKILL");
        }
        await exited;
        // The leader's end does not wait for the background member's: poll, as the emulator's kill() does.
        while ((runningInGroup(leader.pid!) ?? []).length > 0) await new Promise((r) => setTimeout(r, 5));
        assert.ok(!alive(background));
    });
});
