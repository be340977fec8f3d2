// The proof that a slimmed archive still works: every top-level module its
// dependencies ship is imported on the target's CPython and architecture
// through the local runner (the sandbox `invoke` uses), each in a process of
// its own, so a crash (a stripped library the loader refuses) is one module's
// failure. A module that fails slimmed but imports from the same build
// without slimming names the packages to keep whole (its own, and those in
// its traceback); the archive is built again with them kept, and proven
// again. See DESIGN.md, "Slimming".
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BuildOptions, BuildResult, buildArchive } from "../builder";
import { UserError } from "../shared/errors";
import { sha256Hex } from "../builder/cache";
import { removeQuietly } from "../shared/atomic";
import { writeZip } from "../builder/zip-writer";
import { hostArchitecture } from "../target-python/host";
import { rootDir } from "../target-python/debian-root";
import { emulatorPath } from "./tools";
import { ensureRunnerTools, interpreterFor, invokeOnce } from ".";
import { ImportFailure, normalizeName, ProveMode, resolveSlim, SlimOptions, SlimProof } from "../builder/slim";
import limits from "../policies/data/lambda-limits.json";

const PROBE_MODULE = "lambda_python_slim_probe";
/**
 * Imports the modules group by group (one group per top-level name), each
 * group in a forked child of the function's own process (fork, not exec: an
 * emulated sandbox runs its interpreter through qemu, which a child could not
 * exec by name). The child says which module it starts and how each ended,
 * so a child that dies (a library the loader refuses) names its module, and
 * the rest of the group goes on in a new child.
 */
const PROBE = `import json, os, traceback, importlib, warnings


def _child(names, w):
    for name in names:
        os.write(w, ("S " + name + "\\n").encode())
        try:
            importlib.import_module(name)
            res = None
        except BaseException as e:
            files = [f.filename for f in traceback.extract_tb(e.__traceback__)]
            res = {"error": (type(e).__name__ + ": " + str(e))[:600].replace("\\n", " "), "files": files}
        os.write(w, ("R " + json.dumps([name, res]) + "\\n").encode())
    os._exit(0)


def _run(names):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        _child(names, w)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    out, started = {}, None
    for line in b"".join(chunks).decode().splitlines():
        if line.startswith("S "):
            started = line[2:]
        elif line.startswith("R "):
            name, res = json.loads(line[2:])
            out[name] = res
            started = None
    if started is not None:
        why = "killed by signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exit status %d" % os.WEXITSTATUS(status)
        out[started] = {"error": "the interpreter died importing it (%s)" % why, "files": []}
    return out


def handler(event, context):
    warnings.simplefilter("ignore")  # fork with the runtime client's threads: the child only imports
    out = {}
    for names in event["groups"]:
        while names:
            got = _run(names)
            out.update(got)
            names = [n for n in names if n not in out]
    return out
`;

/** Whether the runner can run this target without installing anything that needs root. */
function runnerReady(runtime: string, architecture: string): boolean {
    const interpreter = interpreterFor(runtime);
    const host = hostArchitecture();
    if (!host) return false;
    return [architecture, host].every((a) => fs.existsSync(rootDir(interpreter, a as "x86_64" | "arm64"))) && fs.existsSync(emulatorPath());
}

/** One group per top-level name, in order: a child imports a package's modules after its parent's. */
function groupsOf(modules: string[]): string[][] {
    const groups = new Map<string, string[]>();
    for (const m of modules) {
        const top = m.split(".")[0];
        groups.set(top, [...(groups.get(top) ?? []), m]);
    }
    return [...groups.values()];
}

type Probe = Map<string, { error: string; files: string[] } | null>;

/** Imports `modules` from the archive on its target. */
async function probe(result: BuildResult, modules: string[], say: (m: string) => void): Promise<Probe> {
    if (!modules.length) return new Map();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-python-slim-probe-"));
    try {
        const source = Buffer.from(PROBE, "utf8");
        let spec;
        if (result.kind === "function") {
            const layer = path.join(work, "probe-layer.zip");
            await writeZip(
                layer,
                [
                    { name: "python/", isDirectory: true, executable: true, size: 0, sha256: "" },
                    { name: `python/${PROBE_MODULE}.py`, isDirectory: false, executable: false, size: source.length, sha256: sha256Hex(source), data: source },
                ],
                { level: 6 },
            );
            spec = { code: result.path, layers: [layer] };
        } else {
            const task = path.join(work, "task");
            fs.mkdirSync(task);
            fs.writeFileSync(path.join(task, `${PROBE_MODULE}.py`), source);
            spec = { code: task, layers: [result.path] };
        }
        say(`proving the ${result.slim ? "slimmed " : "whole "}archive: importing ${modules.length} module${modules.length > 1 ? "s" : ""} on ${result.runtime} ${result.architecture}`);
        // Lambda's longest timeout (policies/data/lambda-limits.json): the probe imports every module of the archive.
        const r = await invokeOnce(
            { ...spec, handler: `${PROBE_MODULE}.handler`, runtime: result.runtime, architecture: result.architecture, timeoutSeconds: limits.timeoutSeconds, memoryMB: 3008, functionName: "slim-proof" },
            { groups: groupsOf(modules) },
        );
        if (!r.ok) {
            const why = r.cannotLoad?.map((f) => f.message).join(" ") ?? `${r.error?.errorType ?? (r.timedOut ? "timeout" : "error")}: ${r.error?.errorMessage ?? r.payload.slice(0, 300)}`;
            throw new UserError(
                `could not prove the slimmed ${result.kind} archive ${result.out ?? result.path} on ${result.runtime} ${result.architecture}: the import probe failed (${why}). Build with --no-prove (components: slimSettings.prove "never") to ship it unproven, or without slim.\n${r.logs.slice(-800)}`,
            );
        }
        const body = JSON.parse(r.payload) as Record<string, { error: string; files: string[] } | null>;
        return new Map(modules.map((m) => [m, body[m] ?? null]));
    } finally {
        removeQuietly(work);
    }
}

/**
 * The packages a failure points at: the module's own, every package a file
 * of its traceback belongs to, and the package the error itself names — a
 * module not found (`No module named 'other.tests'`) or a file not found
 * (`'/var/task/other/data/x.json'`), which may be another package's.
 */
export function blamed(pkg: string, files: string[], error: string, packageOfTop: (top: string) => string | undefined): string[] {
    const out = new Set([normalizeName(pkg)]);
    const add = (top: string | undefined) => {
        const p = top && packageOfTop(top.replace(/\.py$/, ""));
        if (p) out.add(normalizeName(p));
    };
    // A path under /var/task or a layer's python folder: its first folder (or module file) is a top-level name.
    const site = /\/(?:var\/task|opt\/python(?:\/lib\/python3\.\d+\/site-packages)?)\/([^/'"\s]+)/g;
    for (const text of [...files, error]) for (const m of text.matchAll(site)) add(m[1]);
    add(/No module named '([^'.]+)/.exec(error)?.[1]);
    return [...out];
}

/**
 * Builds with `slim` and proves the result (see the module comment); the
 * build's options must have `slim` set. Returns the archive to use and what
 * the proof found: the final archive never ships a package whose import
 * broke only because of slimming, when the proof ran.
 */
export async function buildSlimProven(options: BuildOptions, mode: ProveMode = "auto"): Promise<{ result: BuildResult; proof: SlimProof }> {
    const say = options.onProgress ?? (() => {});
    const slim = resolveSlim(options.slim);
    let result = await buildArchive(options);
    const empty: SlimProof = { ran: false, imported: [], failingAnyway: [], keptWhole: [] };
    if (!slim || !result.slim) return { result, proof: { ...empty, skipped: "slim is off" } };
    if (mode === "never") return { result, proof: { ...empty, skipped: "the proof was turned off" } };
    const target = { runtime: result.runtime, architecture: result.architecture };
    if (mode === "auto" && !runnerReady(target.runtime, target.architecture)) {
        return {
            result,
            proof: {
                ...empty,
                skipped: `the local runner is not set up for ${target.runtime} on ${target.architecture} (run "lambda-python setup --runtime ${target.runtime} --arch ${target.architecture}" once, then build again to prove the slimmed archive imports)`,
            },
        };
    }
    await ensureRunnerTools(target, say);
    const touched = new Set(result.slim.packages.map((p) => normalizeName(p.name)));
    const keepWhole = new Set(slim.keepWhole);
    const keptWhole: ImportFailure[] = [];
    let failingAnyway: ImportFailure[] | undefined;
    for (let round = 0; ; round++) {
        const report = result.slim!;
        const modules = report.modules.map((m) => m.module);
        const packageOf = new Map(report.modules.map((m) => [m.module, m.package]));
        const topPackage = (top: string) => packageOf.get(top) ?? report.packages.find((p) => normalizeName(p.name) === normalizeName(top))?.name;
        const slimmedRun = await probe(result, modules, say);
        const failed = [...slimmedRun].filter(([, v]) => v !== null).map(([m]) => m);
        if (!failed.length) return { result, proof: { ran: true, imported: modules, failingAnyway: failingAnyway ?? [], keptWhole } };
        // Which of them fail without slimming too (asked once: the unslimmed build does not change between rounds).
        if (!failingAnyway) {
            const whole = await buildArchive({ ...options, slim: false, out: undefined });
            const wholeRun = await probe(whole, failed, say);
            failingAnyway = failed.filter((m) => wholeRun.get(m)).map((m) => ({ module: m, package: packageOf.get(m) ?? m, error: wholeRun.get(m)!.error }));
        }
        const anyway = new Set(failingAnyway.map((f) => f.module));
        const broken = failed.filter((m) => !anyway.has(m));
        if (!broken.length) return { result, proof: { ran: true, imported: modules.filter((m) => !anyway.has(m)), failingAnyway, keptWhole } };
        const before = keepWhole.size;
        for (const m of broken) {
            const v = slimmedRun.get(m)!;
            for (const p of blamed(packageOf.get(m) ?? m, v.files, v.error, topPackage)) {
                if (!touched.has(p) || keepWhole.has(p)) continue;
                keepWhole.add(p);
                keptWhole.push({ module: m, package: p, error: v.error });
            }
        }
        if (keepWhole.size === before || round >= 3) {
            // Nothing left to blame: ship the archive as it would be without slimming.
            const why = broken.map((m) => `${m}: ${slimmedRun.get(m)!.error}`).join("; ");
            result = await buildArchive({ ...options, slim: false });
            return { result, proof: { ran: true, imported: [], failingAnyway, keptWhole, gaveUp: `imports still broke with the named packages kept whole (${why}); the archive was built without slimming` } };
        }
        say(`keeping ${[...keepWhole].filter((p) => !slim.keepWhole.includes(p)).join(", ")} whole: importing broke after slimming; building again`);
        const again: SlimOptions = { keepTyped: slim.keepTyped, keepWhole: [...keepWhole] };
        result = await buildArchive({ ...options, slim: again });
    }
}
