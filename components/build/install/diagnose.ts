// When an install for the Lambda target fails, find out why and what to do.
//
// Following aws-lambda-builders' approach: a package without a compatible
// wheel may still be usable if its source distribution is pure Python, which
// builds into a py3-none-any wheel on any machine. Anything else (native code,
// no source at all, no such package) becomes an error that names the
// package, the runtime, the architecture and the way out.
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../../errors";
import { run, RunResult, tail } from "../../process";
import { LambdaTarget, manylinuxPlatformTags } from "../../../policies/target";
import { HostPython } from "./installers";
import { normalizeName, requirementName } from "./requirements";

/** Names of the packages an installer's output blames. */
export function blamedPackages(output: string): string[] {
    const found: string[] = [];
    const patterns = [
        /No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)/g,
        /Because (?:all versions of |only the following versions of |only |there are no versions of )?([A-Za-z0-9][A-Za-z0-9._-]*)(?:[<>=!~]=?[^\s]*)? (?:was not found|has no|have no|are available|is available)/g,
        /(?:we only found wheels for|Wheels are required for|Wheels are available for) `([A-Za-z0-9][A-Za-z0-9._-]*)`/g,
    ];
    for (const p of patterns) for (const m of output.matchAll(p)) found.push(normalizeName(m[1]));
    return [...new Set(found)];
}

export interface DiagnoseContext {
    target: LambdaTarget;
    python: HostPython;
    /** Requirement lines, to build the version the user asked for. */
    requirementLines: string[];
    /** Index options passed through to pip (--index-url …). */
    extraArgs: string[];
    wheelsDir: string;
    /** What is being installed, for messages: "requirements.txt". */
    what: string;
    installerName: string;
}

/**
 * Tries to rescue a failed install. Returns the packages for which a pure
 * wheel was built into ctx.wheelsDir (retry the install with it as
 * --find-links); throws a UserError when nothing can be done.
 */
export async function rescueFailedInstall(result: RunResult, ctx: DiagnoseContext, alreadyBuilt: Set<string>): Promise<string[]> {
    const output = `${result.stdout}\n${result.stderr}`;
    const blamed = blamedPackages(output).filter((p) => !alreadyBuilt.has(p));
    if (!blamed.length) {
        throw new UserError(
            `installing the dependencies in ${ctx.what} for ${describeTarget(ctx.target)} with ${ctx.installerName} failed:\n${tail(output)}`,
        );
    }
    const built: string[] = [];
    for (const name of blamed.slice(0, 5)) {
        await buildPureWheel(name, ctx);
        built.push(name);
    }
    return built;
}

async function buildPureWheel(name: string, ctx: DiagnoseContext): Promise<void> {
    const spec = ctx.requirementLines.find((l) => requirementName(l) === name) ?? name;
    const before = new Set(fs.existsSync(ctx.wheelsDir) ? fs.readdirSync(ctx.wheelsDir) : []);
    const r = await run(ctx.python.command, [
        "-m", "pip", "wheel", "--no-deps", "--no-binary=:all:", "--disable-pip-version-check", "--no-input",
        "-w", ctx.wheelsDir, ...indexArgs(ctx.extraArgs), spec,
    ]);
    const wheel = (fs.existsSync(ctx.wheelsDir) ? fs.readdirSync(ctx.wheelsDir) : []).find((f) => !before.has(f) && f.endsWith(".whl"));
    const target = describeTarget(ctx.target);
    if (r.code === 0 && wheel) {
        if (/-py[0-9.]+-none-any\.whl$/.test(wheel) || /-py2\.py3-none-any\.whl$/.test(wheel)) return;
        fs.rmSync(path.join(ctx.wheelsDir, wheel), { force: true });
        throw new UserError(
            `${name} has no wheel for ${target}, and its source distribution contains native code: building it here produced ${wheel}, ` +
                `which is for this machine, not Lambda. ${nativeAdvice(name, ctx.target)}`,
        );
    }
    const output = `${r.stdout}\n${r.stderr}`;
    if (/No matching distribution found|Could not find a version/.test(output)) {
        if (!(await existsOnIndex(name, ctx))) {
            throw new UserError(`${name} was not found on the package index${customIndex(ctx.extraArgs) ? "" : " (PyPI)"}. Check its name in ${ctx.what}.`);
        }
        const available = customIndex(ctx.extraArgs) ? "" : await pypiWheelSummary(name);
        throw new UserError(
            `${name} has no wheel for ${target} and no source distribution to build one from${available ? ` (${available})` : ""}. ${nativeAdvice(name, ctx.target)}`,
        );
    }
    throw new UserError(
        `${name} has no wheel for ${target}, and building its source distribution failed, which usually means it needs a compiler and headers: ` +
            `${nativeAdvice(name, ctx.target)}\n${tail(output, 8)}`,
    );
}

function nativeAdvice(name: string, target: LambdaTarget): string {
    const image = `public.ecr.aws/sam/build-${target.runtime}:latest${target.architecture === "arm64" ? "-arm64" : "-x86_64"}`;
    const other = target.architecture === "arm64" ? "x86_64" : "arm64";
    return (
        `Pick a version of ${name} that publishes ${target.wheelArch} manylinux wheels for CPython ${target.python.join(".")}, ` +
        `build the dependencies on ${target.os === "AL2" ? "Amazon Linux 2" : "Amazon Linux 2023"} (for example in ${image}) and pass the result as site-packages, ` +
        `or use the ${other} architecture if ${name} has wheels for it.`
    );
}

export function describeTarget(target: LambdaTarget): string {
    return `${target.runtime} on ${target.architecture} (CPython ${target.python.join(".")}, ${manylinuxPlatformTags(target)[0]} or older)`;
}

async function existsOnIndex(name: string, ctx: DiagnoseContext): Promise<boolean> {
    const r = await run(ctx.python.command, ["-m", "pip", "index", "versions", "--disable-pip-version-check", ...indexArgs(ctx.extraArgs), name]);
    return r.code === 0;
}

/** Options that choose where packages come from, which the diagnosis commands must share. */
function indexArgs(extraArgs: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < extraArgs.length; i++) {
        const a = extraArgs[i];
        if (/^(--index-url|-i|--extra-index-url|--find-links|-f|--trusted-host)$/.test(a)) out.push(a, extraArgs[++i]);
        else if (/^(--index-url|--extra-index-url|--find-links|--trusted-host)=/.test(a) || a === "--no-index" || a === "--pre") out.push(a);
    }
    return out;
}

function customIndex(extraArgs: string[]): boolean {
    return indexArgs(extraArgs).some((a) => /^(--index-url|-i|--no-index)/.test(a)) || !!process.env.PIP_INDEX_URL;
}

/** "its latest release, 0.5.4.post2, has wheels only for manylinux_2_17_x86_64 (cp38-cp314)", from PyPI's JSON API. */
async function pypiWheelSummary(name: string): Promise<string> {
    try {
        const res = await fetch(`https://pypi.org/pypi/${encodeURIComponent(name)}/json`, { signal: AbortSignal.timeout(10_000) });
        if (!res.ok) return "";
        const data = (await res.json()) as { info: { version: string }; urls: { filename: string }[] };
        const wheels = data.urls.map((u) => u.filename).filter((f) => f.endsWith(".whl"));
        if (!wheels.length) return `its latest release, ${data.info.version}, publishes no wheels`;
        const byPlatform = new Map<string, Set<string>>();
        for (const w of wheels) {
            const parts = w.slice(0, -4).split("-");
            if (parts.length < 5) continue;
            const platform = parts[parts.length - 1].split(".").pop()!;
            const pythons = byPlatform.get(platform) ?? new Set<string>();
            pythons.add(parts[parts.length - 3]);
            byPlatform.set(platform, pythons);
        }
        const described = [...byPlatform.entries()]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([platform, pythons]) => `${platform} (${pythonRange([...pythons])})`);
        return `its latest release, ${data.info.version}, has wheels only for ${described.slice(0, 5).join(", ")}${described.length > 5 ? ", …" : ""}`;
    } catch {
        return "";
    }
}

/** "cp38-cp314" for a run of CPython tags, else the tags listed. */
function pythonRange(tags: string[]): string {
    const cp = tags.map((t) => /^cp(\d)(\d+)$/.exec(t)).filter((m): m is RegExpExecArray => !!m);
    if (cp.length === tags.length && cp.length > 2) {
        const sorted = cp.sort((a, b) => Number(a[2]) - Number(b[2]));
        return `${sorted[0][0]}-${sorted[sorted.length - 1][0]}`;
    }
    return tags.sort().join(", ");
}
