// When an install for the Lambda target fails, find out why and what to do.
//
// Following aws-lambda-builders' approach: a package without a compatible
// wheel may still be usable if its source distribution is pure Python, which
// builds into a py3-none-any wheel on any machine. Anything else (native code,
// no source at all, no such package) becomes an error that names the
// package, the runtime, the architecture and the way out. Every lookup and
// download asks only the indexes the user named (project-lookup.ts).
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../../shared/errors";
import { run, RunResult, tail } from "../../shared/process";
import { LambdaTarget, manylinuxPlatformTags } from "../../policies/target";
import alternatives from "./binary-alternatives.json";
import type { HostPython } from "./host-tools";
import { alsoSearched, describeIndexes, onlyPypi, PackageIndexes, pipIndexArgs, withoutIndexEnvironment } from "./indexes";
import { lookUpProject, ProjectLookup } from "./project-lookup";
import { normalizeName, requirementName } from "./requirements";

/** Whether an installer's output says an index could not be reached (uv's words, then pip's). */
export function indexUnreachable(output: string): boolean {
    return /Failed to fetch: |error sending request for url|tcp connect error|dns error|Failed to establish a new connection|NameResolutionError|ConnectTimeoutError/.test(output);
}

/** What went wrong with the network, in the installer's words: uv's last "cause:", or pip's connection error. */
function networkCause(output: string): string {
    const causes = [...output.matchAll(/^\s*(?:cause|Caused by): (.+)$/gm)];
    if (causes.length) return causes[causes.length - 1][1].trim();
    const pip = /(Failed to establish a new connection: [^'")]+|NameResolutionError[^'")]*|ConnectTimeoutError[^'")]*)/.exec(output);
    return pip?.[1].trim() ?? "a network error";
}

/** Names of the packages an installer's output blames. */
function blamedPackages(output: string): string[] {
    const found: string[] = [];
    const patterns = [
        /No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)/g,
        /Because (?:all versions of |only the following versions of |only |there are no versions of )?([A-Za-z0-9][A-Za-z0-9._-]*)(?:[<>=!~]=?[^\s]*)? (?:was not found|has no|have no|are available|is available)/g,
        /(?:we only found wheels for|Wheels are required for|Wheels are available for) `([A-Za-z0-9][A-Za-z0-9._-]*)`/g,
        // uv, when no release matches the version asked for ("Because there is no version of six==9.9 and you require …").
        /Because there (?:is|are) no versions? of ([A-Za-z0-9][A-Za-z0-9._-]*)/g,
        // uv, when an index cannot be read: the project's page on the simple API (`…/simple/six/`).
        /Failed to fetch: `?https?:\/\/\S*?\/([A-Za-z0-9][A-Za-z0-9._-]*)\/`?\s*$/gm,
    ];
    for (const p of patterns) for (const m of output.matchAll(p)) found.push(normalizeName(m[1]));
    return [...new Set(found)];
}

export interface DiagnoseContext {
    target: LambdaTarget;
    python: HostPython;
    /** Requirement lines, to build the version the user asked for. */
    requirementLines: string[];
    /** Where packages may come from: the only places asked. */
    indexes: PackageIndexes;
    /** --pre among the pass-through options. */
    pre: boolean;
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
        throw new UserError(`installing the dependencies in ${ctx.what} for ${describeTarget(ctx.target)} with ${ctx.installerName} failed:\n${tail(output)}`);
    }
    const network = indexUnreachable(output) ? networkCause(output) : undefined;
    const built: string[] = [];
    for (const name of blamed.slice(0, 5)) {
        await buildPureWheel(name, ctx, network);
        built.push(name);
    }
    return built;
}

/**
 * Finds the package's sdist on the user's indexes and looks inside before
 * building: native code is reported at once (building it here would take
 * minutes and give a wheel for this machine); pure Python is built into a
 * py3-none-any wheel. After an install that could not reach an index
 * (`networkFailure`), a package the index now shows is not judged by its
 * files: the user is told to build again.
 */
async function buildPureWheel(name: string, ctx: DiagnoseContext, networkFailure?: string): Promise<void> {
    const line = ctx.requirementLines.find((l) => requirementName(l) === name) ?? name;
    const spec = line.replace(/\s+--\S+.*$/, "");
    const target = describeTarget(ctx.target);
    const sdistDir = path.join(ctx.wheelsDir, "..", "sdists");
    const lookup = await lookUpProject(ctx.python.command, spec, ctx.indexes, ctx.target, sdistDir, ctx.pre);
    const where = describeIndexes(ctx.indexes);
    const unreachable = lookup.errors.length ? ` (${lookup.errors.slice(0, 3).join("; ")})` : "";
    // The install could not reach an index that answers now: its failure says nothing about the package's files.
    if (networkFailure !== undefined && lookup.found && !lookup.errors.length) {
        throw new UserError(`${name} could not be installed: ${where} could not be reached during the install (${networkFailure}), but it answers now, so that looks like a passing network failure. Build again.${alsoSearched(ctx.indexes)}`);
    }
    if (!lookup.sdist) {
        if (!lookup.found) {
            throw new UserError(
                lookup.errors.length
                    ? `${name} could not be looked up: ${where} could not be read${unreachable}. Only the indexes you name are used; check the URL, credentials and network.${alsoSearched(ctx.indexes)}`
                    : `${name} was not found on ${where}. Check its name in ${ctx.what}${onlyPypi(ctx.indexes) ? "" : ", or publish it to your index"}.${alsoSearched(ctx.indexes)}`,
            );
        }
        // The project is there, but not the version asked for: that is the problem, not the target's wheels.
        if (lookup.matching === false) {
            const versions = lookup.versions?.length ? ` (the newest there: ${lookup.versions.slice().reverse().join(", ")})` : "";
            const searched = ctx.indexes.noIndex ? "the find-links locations (--no-index)" : where;
            throw new UserError(`no release of ${name} on ${searched} matches ${spec}${versions}${unreachable}. Check the version in ${ctx.what}${onlyPypi(ctx.indexes) ? "" : ", or publish that version to your index"}.${alsoSearched(ctx.indexes)}`);
        }
        const available = wheelSummary(lookup);
        throw new UserError(`${name} has no wheel for ${target} and no source distribution to build one from on ${where}${available ? ` (${available})` : ""}${unreachable}. ${nativeAdvice(name, ctx.target)}${alsoSearched(ctx.indexes)}`);
    }
    const sdistName = path.basename(lookup.sdist.file);
    if (lookup.sdist.native.length) {
        throw new UserError(
            `${name} has no wheel for ${target}, and its source distribution ${sdistName} contains native code (${lookup.sdist.native.join(", ")}): ` +
                `built here it would be for this machine, not Lambda, so it was not built. ${nativeAdvice(name, ctx.target)}`,
        );
    }
    const before = new Set(fs.existsSync(ctx.wheelsDir) ? fs.readdirSync(ctx.wheelsDir) : []);
    const r = await run(ctx.python.command, ["-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "--no-input", "-w", ctx.wheelsDir, ...pipIndexArgs(ctx.indexes), lookup.sdist.file], { env: withoutIndexEnvironment() });
    const wheel = (fs.existsSync(ctx.wheelsDir) ? fs.readdirSync(ctx.wheelsDir) : []).find((f) => !before.has(f) && f.endsWith(".whl"));
    if (r.code === 0 && wheel) {
        if (/-py[0-9.]+-none-any\.whl$/.test(wheel) || /-py2\.py3-none-any\.whl$/.test(wheel)) return;
        fs.rmSync(path.join(ctx.wheelsDir, wheel), { force: true });
        throw new UserError(`${name} has no wheel for ${target}, and its source distribution ${sdistName} contains native code: building it here produced ${wheel}, ` + `which is for this machine, not Lambda. ${nativeAdvice(name, ctx.target)}`);
    }
    const reason = lastErrorLine(`${r.stdout}\n${r.stderr}`);
    throw new UserError(
        `${name} has no wheel for ${target}, and building its source distribution ${sdistName} failed${reason ? ` ("${reason}")` : ""}. ` + `Run "pip wheel --no-deps ${sdistName}" to see the whole log. ${nativeAdvice(name, ctx.target)}`,
    );
}

/** The most telling line of a failed build's log, instead of the whole log after our paragraph. */
function lastErrorLine(output: string): string | undefined {
    const lines = output
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean);
    const error = lines.filter((l) => /error/i.test(l) && !/^ERROR: Failed building wheel|subprocess-exited-with-error|^note:|^╰─>|^error: subprocess/i.test(l)).pop();
    return (error ?? lines.pop())?.slice(0, 300);
}

function nativeAdvice(name: string, target: LambdaTarget): string {
    const image = `public.ecr.aws/sam/build-${target.runtime}:latest${target.architecture === "arm64" ? "-arm64" : "-x86_64"}`;
    const other = target.architecture === "arm64" ? "x86_64" : "arm64";
    const alternative = (alternatives.packages as Record<string, string>)[name];
    return (
        (alternative ? `Use ${alternative} instead. Otherwise pick` : "Pick") +
        ` a version of ${name} that publishes ${target.wheelArch} manylinux wheels for CPython ${target.python.join(".")}, ` +
        `build the dependencies on ${target.os === "AL2" ? "Amazon Linux 2" : "Amazon Linux 2023"} (for example in ${image}) and pass the result as site-packages, ` +
        `or use the ${other} architecture if ${name} has wheels for it.`
    );
}

export function describeTarget(target: LambdaTarget): string {
    return `${target.runtime} on ${target.architecture} (CPython ${target.python.join(".")}, ${manylinuxPlatformTags(target)[0]} or older)`;
}

/** "its latest release, 0.5.4.post2, has wheels only for manylinux_2_17_x86_64 (cp38-cp314)". */
function wheelSummary(lookup: ProjectLookup): string {
    if (!lookup.latest) return "";
    const wheels = lookup.latestWheels;
    if (!wheels.length) return `its latest release, ${lookup.latest}, publishes no wheels`;
    const byPlatform = new Map<string, Set<string>>();
    for (const w of wheels) {
        const parts = w.slice(0, -4).split("-");
        if (parts.length < 5) continue;
        const platform = parts[parts.length - 1].split(".").pop()!;
        const pythons = byPlatform.get(platform) ?? new Set<string>();
        pythons.add(parts[parts.length - 3]);
        byPlatform.set(platform, pythons);
    }
    const described = [...byPlatform.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([platform, pythons]) => `${platform} (${pythonRange([...pythons])})`);
    return `its latest release, ${lookup.latest}, has wheels only for ${described.slice(0, 5).join(", ")}${described.length > 5 ? ", …" : ""}`;
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
