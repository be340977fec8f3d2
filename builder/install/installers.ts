// The two installers we drive, pip and uv, told to install for the Lambda
// target rather than for this machine. Finding them, naming their versions
// (part of the install cache key) and building their command lines.
//
// Both must give the same distributions and versions for the same inputs:
// - pip runs through target-pip.ts, so markers are the target's, and gets
//   the full manylinux ladder of the target's glibc.
// - uv judges markers for --python-version itself, but its --python-platform
//   has no manylinux_2_26 (Amazon Linux 2). For those targets uv would either
//   miss manylinux_2_24/2_26 wheels (2_17) or take 2_27/2_28 wheels that do
//   not load (2_28). So there, uv resolves at 2_28 and each version's file is
//   the one pip's tag order picks on the exact ladder (wheel-rank.ts); when
//   one has no wheel there, pip (with the exact ladder) resolves
//   and picks the files, `pip install --dry-run --report`, and uv installs
//   exactly those files with --no-deps. The pip that resolves is the tools folder's
//   pinned one when present (the same answer on every machine; pip 26 does
//   it in about half the time of pip 23), else the machine's.
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import { UserError } from "../../shared/errors";
import { run, RunResult } from "../../shared/process";
import { LambdaTarget, manylinuxPlatformTags, pythonTag, uvPythonPlatform } from "../../policies/target";
import platforms from "../../policies/data/lambda-platforms.json";
import { PackageIndexes, pipIndexArgs, uvIndexArgs, withoutIndexEnvironment } from "./indexes";
import { pipForTarget } from "./target-pip";
import { probe } from "./probes";
import { withLocalFoldersBuilt } from "./local-wheels";
import { normalizeName, requirementName } from "./requirements";
import { timed } from "../timing";
import { findUv, HostPython, hostPython } from "./host-tools";
import { indexUnreachable } from "./diagnose";
import { parseToml, readText, str, table, tables } from "./locks/toml";
import { bestWheel } from "./wheel-rank";

export type InstallerChoice = "auto" | "pip" | "uv";

export interface InstallRequest {
    requirementsFile: string;
    target: LambdaTarget;
    siteDir: string;
    /** Folders of wheels we built ourselves (pure-Python sdists). */
    findLinks: string[];
    /** Where packages may come from (every source the user can name them in). */
    indexes: PackageIndexes;
    /** Other options passed through as the user wrote them (--pre, …). */
    extraArgs: string[];
}

export interface Installer {
    name: "pip" | "uv";
    version: string;
    /** Everything about the installer that can change what it installs. */
    identity: Record<string, string>;
    install(req: InstallRequest, onLine?: (line: string) => void): Promise<RunResult>;
}

export async function pipInstaller(pythonCommand?: string): Promise<Installer> {
    const py = await hostPython(pythonCommand);
    if (!py.pipVersion) throw new UserError(`pip is not installed for ${py.command} (Python ${py.version}). Install it (${py.command} -m ensurepip) or install uv.`);
    return {
        name: "pip",
        version: py.pipVersion,
        // Markers are the target's (target-pip.ts); the host version still picks pip's own behaviour.
        identity: { installer: "pip", pip: py.pipVersion, hostPython: py.version, markers: "target" },
        install(req, onLine) {
            return run(py.command, pipForTarget(req.target, ["install", ...pipTargetArgs(req)]), { onLine, env: withoutIndexEnvironment() });
        },
    };
}

/** pip options that install req for its Lambda target. */
function pipTargetArgs(req: InstallRequest): string[] {
    const [major, minor] = req.target.python;
    return [
        "--target",
        req.siteDir,
        "--implementation",
        "cp",
        "--python-version",
        `${major}.${minor}`,
        "--abi",
        pythonTag(req.target),
        ...manylinuxPlatformTags(req.target).flatMap((t) => ["--platform", t]),
        "--only-binary=:all:",
        "--no-compile",
        "--no-input",
        "--disable-pip-version-check",
        "--no-warn-conflicts",
        "--no-warn-script-location",
        ...pipIndexArgs(req.indexes),
        ...req.findLinks.flatMap((d) => ["--find-links", d]),
        ...req.extraArgs,
        "-r",
        req.requirementsFile,
    ];
}

/** Whether uv has a --python-platform for exactly the target's glibc. */
function uvPlatformIsExact(target: LambdaTarget): boolean {
    return uvPythonPlatform(target).endsWith(`_2_${target.glibc[1]}`);
}

/** The smallest uv platform at or above the target's glibc: accepts every file pip chose for it. */
function uvPlatformCovering(target: LambdaTarget): string {
    const candidates = platforms.uvPlatforms[target.architecture];
    return candidates.find((c) => Number(/_2_(\d+)$/.exec(c)![1]) >= target.glibc[1]) ?? candidates[candidates.length - 1];
}

/**
 * `pinnedResolver`: the Python whose pip resolves for targets uv has no
 * platform for (the tools folder's pinned pip, tools/index.ts); else the host Python's pip.
 */
async function uvInstaller(uvCommand: string, pythonCommand?: string, pinnedResolver?: HostPython): Promise<Installer> {
    const r = await probe(uvCommand, ["--version"]);
    const version = r && /uv (\S+)/.exec(r.stdout)?.[1];
    if (r?.code !== 0 || !version) throw new UserError(`"${uvCommand} --version" failed: ${r ? r.stderr.trim() : "not found"}`);
    const py = await hostPython(pythonCommand).catch(() => undefined);
    const resolver = pinnedResolver ?? py;
    const env = { ...withoutIndexEnvironment(), UV_PYTHON_DOWNLOADS: "never", UV_COMPILE_BYTECODE: "0" };
    // `uv pip install` and `uv pip compile` for req's target: the platform, Python, indexes and user options they share.
    const uvPip = (command: "install" | "compile", req: InstallRequest, platform: string, args: string[], onLine?: (line: string) => void) =>
        run(
            uvCommand,
            [
                "pip",
                command,
                ...args,
                "--python-platform",
                platform,
                "--python-version",
                req.target.python.join("."),
                "--only-binary",
                ":all:",
                "--no-progress",
                ...(py ? ["--python", py.command] : []),
                ...uvIndexArgs(req.indexes),
                ...req.findLinks.flatMap((d) => ["--find-links", d]),
                // uv refuses a flag given twice: the local projects' --no-deps meets the pinned install's own.
                ...req.extraArgs.filter((a) => !(a === "--no-deps" && args.includes(a))),
            ],
            { onLine, env },
        );
    const uvInstall = (req: InstallRequest, platform: string, args: string[], onLine?: (line: string) => void) => uvPip("install", req, platform, ["--target", req.siteDir, ...args], onLine);
    const uvResolve = (req: InstallRequest, platform: string, out: string) => uvPip("compile", req, platform, [req.requirementsFile, "--format", "pylock.toml", "--no-header", "--quiet", "--output-file", out]);
    return {
        name: "uv",
        version,
        identity: { installer: "uv", uv: version, resolver: resolver?.pipVersion ? `uv at the covering platform, else pip ${resolver.pipVersion}` : "uv" },
        async install(req, onLine) {
            // uv builds nothing under --only-binary, not even the user's own folders: those become wheels first.
            await timed("local folders", () => withLocalFoldersBuilt(req.requirementsFile, path.join(path.dirname(req.siteDir), "local-wheels"), uvCommand, env, py?.command));
            const viaPipsFiles = await installPipsWheelFiles(req, resolver, uvInstall, uvResolve, onLine);
            if (viaPipsFiles) return viaPipsFiles;
            if (uvPlatformIsExact(req.target) || !resolver?.pipVersion || !pipHasReport(resolver.pipVersion)) {
                // Without pip (22.2+, for --report), the nearest lower platform: never a wheel that cannot load, possibly an older version.
                return timed("uv resolve and install", () => uvInstall(req, uvPythonPlatform(req.target), ["-r", req.requirementsFile], onLine));
            }
            return installPipResolution(req, resolver, uvInstall, onLine);
        },
    };
}

type UvInstall = (req: InstallRequest, platform: string, args: string[], onLine?: (line: string) => void) => Promise<RunResult>;

/**
 * For a target uv has no exact platform for (Amazon Linux 2's glibc 2.26): uv resolves for the platform just
 * above, and pip's preference over the target's tag ladder picks each version's wheel file, which uv installs.
 * Undefined when that route does not apply or did not work (the caller goes on to the next).
 */
async function installPipsWheelFiles(
    req: InstallRequest,
    resolver: HostPython | undefined,
    uvInstall: UvInstall,
    uvResolve: (req: InstallRequest, platform: string, out: string) => Promise<RunResult>,
    onLine?: (line: string) => void,
): Promise<RunResult | undefined> {
    if (!uvPlatformIsExact(req.target) && !hashChecked(req) && resolver?.pipVersion) {
        // uv resolves for the platform just above the target's glibc (2_28 for Amazon Linux 2's 2.26);
        // for each version it chose, pip's preference over the target's tag ladder picks the wheel file
        // (pickPipWheels): the file pip itself would install, so both installers ship the same bytes
        // (before, uv took lxml's manylinux2014 wheel where pip took its manylinux_2_26 one). A version
        // with no wheel on the ladder (only 2_27+), or a direct reference, is left to pip below, as before.
        const work = path.dirname(req.siteDir);
        const lock = path.join(work, "pylock.resolution.toml"); // uv insists on pylock.<name>.toml
        const resolved = await timed("uv resolve (covering platform)", () => uvResolve(req, uvPlatformCovering(req.target), lock));
        // An index that cannot be reached: pip would only find the same after its own retries.
        if (resolved.code !== 0 && indexUnreachable(resolved.stdout + resolved.stderr)) return resolved;
        const picked = resolved.code === 0 ? await timed("pick pip's wheel files", async () => pickPipWheels(lock, req)) : undefined;
        if (picked) {
            const pinned = path.join(work, "uv-resolution.txt");
            fs.writeFileSync(pinned, pinnedRequirements(picked));
            const installed = await timed("uv install (pip's files)", () => uvInstall(req, uvPlatformCovering(req.target), ["--no-deps", "-r", pinned], onLine));
            if (installed.code === 0) {
                forgetPinning(req.siteDir, picked);
                return installed;
            }
            fs.rmSync(req.siteDir, { recursive: true, force: true });
        }
    }
    return undefined;
}

/** pip resolves for the target (--dry-run --report); uv installs exactly the files pip chose. */
async function installPipResolution(req: InstallRequest, resolver: HostPython, uvInstall: UvInstall, onLine?: (line: string) => void): Promise<RunResult> {
    const work = path.dirname(req.siteDir);
    const report = path.join(work, "resolution.json");
    const resolved = await timed("pip resolve (--dry-run --report)", () =>
        run(resolver.command, pipForTarget(req.target, ["install", "--dry-run", "--quiet", "--report", report, ...pipTargetArgs(req)]), {
            env: withoutIndexEnvironment(),
        }),
    );
    if (resolved.code !== 0) return resolved;
    const pinned = path.join(work, "resolved-requirements.txt");
    const resolution = JSON.parse(fs.readFileSync(report, "utf8")) as PipReport;
    if (!resolution.install.length) return resolved;
    fs.writeFileSync(pinned, pinnedRequirements(resolution));
    const installed = await timed("uv install (pinned files)", () => uvInstall(req, uvPlatformCovering(req.target), ["--no-deps", "-r", pinned], onLine));
    if (installed.code === 0) forgetPinning(req.siteDir, resolution);
    return installed;
}

/** Whether the requirements pin hashes (hash-checking mode): their files are then chosen by pip, which checks them. */
function hashChecked(req: InstallRequest): boolean {
    if (req.extraArgs.includes("--require-hashes")) return true;
    const seen = new Set<string>();
    const mentions = (file: string): boolean => {
        if (seen.has(file)) return false;
        seen.add(file);
        let text: string;
        try {
            text = fs.readFileSync(file, "utf8");
        } catch {
            return false;
        }
        if (/--hash[=\s]|--require-hashes/.test(text)) return true;
        // Nested requirement and constraint files, relative to the file naming them.
        for (const m of text.matchAll(/^\s*(?:-r|--requirement|-c|--constraint)[=\s]+(\S+)/gm)) {
            if (mentions(path.resolve(path.dirname(file), m[1]))) return true;
        }
        return false;
    };
    return mentions(req.requirementsFile);
}

/** Names (normalised) the requirement files ask for, nested -r files included: what a plain install marks REQUESTED. */
function requestedNames(file: string, seen = new Set<string>()): Set<string> {
    const out = new Set<string>();
    if (seen.has(file)) return out;
    seen.add(file);
    for (const raw of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
        const nested = /^\s*(?:-r|--requirement)[=\s]+(\S+)/.exec(raw);
        if (nested) for (const n of requestedNames(path.resolve(path.dirname(file), nested[1]), seen)) out.add(n);
        const name = requirementName(raw);
        if (name) out.add(name);
    }
    return out;
}

/**
 * For every package of uv's pylock.toml resolution, the wheel file pip would
 * install for the target: pip's own tag order for the same --python-version,
 * --abi and --platform ladder pip is given (wheel-rank.ts, the rule the lock
 * readers use too). Undefined when a package has no wheel on the ladder or is
 * not a plain index file: pip then decides.
 */
function pickPipWheels(lock: string, req: InstallRequest): PipReport | undefined {
    const data = parseToml(readText(lock, "uv's resolution"), lock, "uv's resolution");
    const requested = requestedNames(req.requirementsFile);
    const install: PipReport["install"] = [];
    for (const p of tables(data.packages)) {
        const wheels = tables(p.wheels).flatMap((w) => {
            const local = str(w.path);
            const url = str(w.url) ?? (local ? pathToFileURL(path.resolve(path.dirname(lock), local)).href : undefined);
            return url ? [{ name: str(w.name) ?? url.split("/").pop()!, url, sha256: str(table(w, "hashes").sha256) }] : [];
        });
        const best = bestWheel(wheels, req.target);
        const name = str(p.name);
        const version = str(p.version);
        if (!best || !name || !version) return undefined;
        install.push({
            metadata: { name, version },
            is_direct: false,
            requested: requested.has(normalizeName(name)),
            download_info: { url: best.url, archive_info: best.sha256 ? { hashes: { sha256: best.sha256 } } : undefined },
        });
    }
    return install.length ? { install } : undefined;
}

/** `pip install --report` arrived in pip 22.2. */
function pipHasReport(version: string): boolean {
    const [major, minor] = version.split(".").map(Number);
    return major > 22 || (major === 22 && minor >= 2);
}

interface PipReport {
    install: {
        metadata: { name: string; version: string };
        is_direct: boolean;
        requested: boolean;
        download_info: { url: string; archive_info?: { hashes?: Record<string, string> } };
    }[];
}

/** `name @ url --hash=…` for every distribution in a pip installation report. */
function pinnedRequirements(report: PipReport): string {
    return `${report.install
        .map((i) => {
            const sha = i.download_info.archive_info?.hashes?.sha256;
            return `${i.metadata.name} @ ${i.download_info.url}${sha ? ` --hash=sha256:${sha}` : ""}`;
        })
        .join("\n")}\n`;
}

/**
 * Installing pinned URLs marks every distribution as a requested direct-URL
 * install; put back what installing the user's requirements records, as
 * pip's route does (REQUESTED only for what was asked, direct_url.json only
 * for direct references).
 */
function forgetPinning(siteDir: string, report: PipReport): void {
    const byDistInfo = new Map(report.install.map((i) => [normalizeName(`${i.metadata.name}-${i.metadata.version}`), i]));
    for (const entry of fs.readdirSync(siteDir)) {
        if (!entry.endsWith(".dist-info")) continue;
        const item = byDistInfo.get(normalizeName(entry.slice(0, -".dist-info".length)));
        if (!item) continue;
        if (!item.is_direct) fs.rmSync(path.join(siteDir, entry, "direct_url.json"), { force: true });
        if (!item.requested) fs.rmSync(path.join(siteDir, entry, "REQUESTED"), { force: true });
    }
}

export async function chooseInstaller(choice: InstallerChoice, options: { python?: string; uv?: string; toolsDir: string; progress?: (message: string) => void }): Promise<Installer> {
    if (choice === "pip") return pipInstaller(options.python);
    const uv = await findUv(options.uv, options.toolsDir);
    const tools = await import("../tools");
    if (uv) return uvInstaller(uv, options.python, await tools.resolverPython(options.toolsDir));
    if (choice === "uv") throw new UserError("installer uv was asked for but uv is not installed. Install it (pip install uv, or lambda-python setup) or use installer pip.");
    // auto: uv is the installer, installed at its pinned version on first use rather than silently falling back.
    try {
        options.progress?.(`installing uv ${tools.UV_VERSION} and pip ${tools.PIP_VERSION} into ${options.toolsDir} (once)`);
        const installed = await tools.ensureUv(options.toolsDir);
        return await uvInstaller(installed, options.python, await tools.resolverPython(options.toolsDir));
    } catch (e) {
        if (!(e instanceof UserError)) throw e;
        options.progress?.(`uv could not be installed (${e.message.split("\n")[0]}); using pip, which installs for the target the same way`);
        return pipInstaller(options.python);
    }
}

/** How an install finds its installer: chooseInstaller, or a fake in the unit tests (InstallContext.chooseInstaller). */
export type ChooseInstaller = typeof chooseInstaller;
