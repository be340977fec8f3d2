// Peak memory of a build whose source folder holds one 1 GiB file, against
// `zip -r -q -X -6` on the same folder in the same run (docs/BENCHMARKS.md).
//
//   npm run bench -- memory
//
// Each build runs in a child process of its own (the compiled builder, as the
// CLI runs it) with a cold cache; its peak resident set is the kernel's
// VmHWM of that process (not getrusage's maxrss, which keeps the bench's own
// peak across exec), worker threads included. With the default limit
// the file is refused before any of it is compressed (it is over Lambda's
// 250 MB); with the limit raised through the rule's config it is streamed
// and compressed.
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { WORK } from "./corpus";
import { recordSection } from "./record";

const GIB = 1024 * 1024 * 1024;
const BUILDER = path.join(__dirname, "..", "dist", "builder", "index.js");
const GOAL_MB = 150;

/** 1 GiB of bytes with 4 bits of entropy each: compressible about 2:1, like much real data, and not a trivial case. */
function ensureSource(): string {
    const dir = path.join(WORK, "memory-src");
    const big = path.join(dir, "model.bin");
    if (fs.existsSync(big) && fs.statSync(big).size === GIB) return dir;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "app.py"), "def handler(event, context):\n    return 'ok'\n");
    const fd = fs.openSync(big, "w");
    for (let i = 0; i < GIB / (4 << 20); i++) {
        const b = crypto.randomBytes(4 << 20);
        for (let j = 0; j < b.length; j++) b[j] &= 15;
        fs.writeSync(fd, b);
    }
    fs.closeSync(fd);
    return dir;
}

export interface Measured {
    ok: boolean;
    ms: number;
    /** User + system CPU of the whole process, worker threads included. */
    cpuMs: number;
    rssMB: number;
    zipped?: number;
    error?: string;
}

export function buildInChild(source: string, maxUnzippedBytes?: number): Measured {
    const cache = path.join(WORK, "memory-cache");
    const out = path.join(WORK, "memory.zip");
    fs.rmSync(cache, { recursive: true, force: true });
    fs.rmSync(out, { force: true });
    const script = `
const { buildArchive } = require(${JSON.stringify(BUILDER)});
const [source, out, cacheDir, limit] = process.argv.slice(1);
const t = process.hrtime.bigint();
const checks = limit ? { "lambda-unzipped-size": { maxUnzippedBytes: Number(limit) } } : undefined;
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const cpu0 = cpu();
const done = (r) => console.log(JSON.stringify({ ...r, ms: Number(process.hrtime.bigint() - t) / 1e6, cpuMs: cpu() - cpu0, rssMB: Number(/VmHWM:\\s+(\\d+) kB/.exec(require("fs").readFileSync("/proc/self/status", "utf8"))[1]) / 1024 }));
buildArchive({ source, out, cacheDir, checks }).then((r) => done({ ok: true, zipped: r.zippedBytes }), (e) => done({ ok: false, error: e.message.split("\\n")[1] }));
`;
    execFileSync("sync");
    const r = spawnSync(process.execPath, ["-e", script, source, out, cache, maxUnzippedBytes ? String(maxUnzippedBytes) : ""], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`the build child failed: ${r.stderr}`);
    fs.rmSync(cache, { recursive: true, force: true });
    return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

/** `zip -r` on the same folder, its peak RSS from GNU time. */
export function zipInChild(source: string): Measured {
    const out = path.join(WORK, "memory-zip-r.zip");
    fs.rmSync(out, { force: true });
    execFileSync("sync");
    const t = process.hrtime.bigint();
    const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", "zip", "-r", "-q", "-X", "-6", out, "."], { cwd: source, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`zip failed: ${r.stderr}`);
    const zipped = fs.statSync(out).size;
    fs.rmSync(out, { force: true });
    const [user, system, kb] = r.stderr.trim().split("\n").pop()!.split(" ").map(Number);
    return { ok: true, ms, cpuMs: (user + system) * 1000, rssMB: kb / 1024, zipped };
}

export async function benchMemory(): Promise<string> {
    if (!fs.existsSync(BUILDER)) throw new Error(`${BUILDER} is missing: run npm run build first`);
    const source = ensureSource();
    const refused = buildInChild(source);
    const streamed = buildInChild(source, 2 * GIB);
    const zip = zipInChild(source);
    if (refused.ok || !streamed.ok) throw new Error(`unexpected outcome: ${JSON.stringify({ refused, streamed })}`);
    const mb = (x: number) => `${x.toFixed(0)} MB`;
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const pass = (rss: number) => (rss < GOAL_MB ? "pass" : "FAIL");
    const body = [
        `Source folder: app.py and one 1 GiB file (random bytes of 4 bits each, compresses about 2:1). Machine: Node ${process.version}, cold build cache, one build per child process, peak RSS = VmHWM of that process (worker threads included; unlike getrusage's maxrss it does not inherit the bench's own peak across exec).`,
        "",
        "| measurement | peak RSS | time | goal | |",
        "|---|---|---|---|---|",
        `| build, default limit: refused before compressing (a \`lambda-unzipped-size\` finding naming the file) | ${mb(refused.rssMB)} | ${refused.ms.toFixed(0)} ms | < ${GOAL_MB} MB | ${pass(refused.rssMB)} |`,
        `| build, limit raised to 2 GiB: file streamed and compressed (${(streamed.zipped! / 1e6).toFixed(0)} MB zip) | ${mb(streamed.rssMB)} | ${s(streamed.ms)} | < ${GOAL_MB} MB | ${pass(streamed.rssMB)} |`,
        `| \`zip -r -q -X -6\` on the same folder (reference; ${(zip.zipped! / 1e6).toFixed(0)} MB zip) | ${mb(zip.rssMB)} | ${s(zip.ms)} | | |`,
        "",
        "Files of 8 MiB or more are read in 4 MiB chunks into libdeflate's memory and deflated chunk by chunk (its chunk mode: the chunks join into one stream) into a spool file (builder/DESIGN.md), so memory does not grow with a file's size; before this, a 1.5 GB file died with \"memory access out of bounds\" after 3 GB. Issue 12: 191 MB before, when each chunk went through Node's zlib and left two garbage buffers in the worker's malloc arena.",
    ].join("\n");
    recordSection("memory", "Peak memory with one 1 GiB file (issues 10 and 12)", "npm run build && npm run bench -- memory", body);
    return body;
}
