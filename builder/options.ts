// The builder's options, checked and filled in with defaults. Every mistake a
// user can make in them becomes a UserError naming the option and the path.
import * as fs from "fs";
import * as path from "path";
import { describeFsError, describeKind, describeWriteError, UserError } from "../shared/errors";
import { PartialRuleConfigs } from "../policies/rules/config";
import { ArchiveKind } from "../policies/rules/types";
import { Architecture, isArchitecture, lambdaTarget, LambdaTarget, NEWEST_RUNTIME, TargetError } from "../policies/target";
import { defaultCacheDir } from "../shared/cache-dirs";
import { DependencySpec } from "./install/dependencies";
import { detectDependencies, lockSpec, pyprojectSpec } from "./install/detect";
import { InstallerChoice } from "./install/installers";
import { checkBytecodeOption } from "./target-bytecode";
import { RemoteCacheConfig, remoteCacheConfig } from "./remote/config";
import { ResolvedSlim, resolveSlim, SlimOptions } from "./slim";

export interface BuildOptions {
    /** Folder with the handler code (function) or extra modules (layer). Optional for a layer of dependencies only. */
    source?: string;
    /** @default "function" */
    kind?: ArchiveKind;
    /** Lambda runtime identifier. @default the newest runtime in the lifecycle table */
    runtime?: string;
    /** @default "x86_64" */
    architecture?: Architecture;
    /** A requirements.txt. @default found in the source folder (see detectDependencies) */
    requirements?: string;
    /** A pyproject.toml: installed from the lock beside it (poetry.lock, pdm.lock, uv.lock, pylock.toml), else its dependencies resolved for the target. @default found from the source folder up */
    pyproject?: string;
    /** A lock file: poetry.lock, Pipfile.lock, pdm.lock, uv.lock, pylock.toml or pylock.<name>.toml (read with the project file beside it). @default found from the source folder up */
    lock?: string;
    /** An already-installed site-packages folder (the virtualenv route); not installed again, only checked. */
    sitePackages?: string;
    /** Set false to ignore dependency files found in the source folder and the folders above it. @default true */
    detectDependencies?: boolean;
    /** Dependency groups to install besides the main dependencies (Poetry groups, PEP 735 [dependency-groups], PDM groups, Pipfile categories). @default none */
    groups?: string[];
    /** Extras of the project to install ([project.optional-dependencies], Poetry extras). @default none */
    extras?: string[];
    /** Only files matching these globs (relative to their folder) go in. @default all */
    include?: string[];
    /** Files and folders matching these globs stay out, in addition to the defaults. */
    exclude?: string[];
    /** Leave out VCS folders, virtualenvs, node_modules, caches and .env files. @default true */
    defaultExcludes?: boolean;
    /** @default "auto": uv (installed on first use); pip only if that fails */
    installer?: InstallerChoice;
    /** Python interpreter that runs pip. @default "python3" */
    python?: string;
    /** Path of the uv executable. @default found on PATH */
    uv?: string;
    /** Passed to the installer as is: ["--index-url", "https://…"], ["--find-links", "./wheels"] … */
    installerArgs?: string[];
    /** Where a layer's packages go: "python" (python/) or "site-packages" (python/lib/python3.X/site-packages/). @default "python" */
    layerLayout?: "python" | "site-packages";
    /** Deflate level: 0 stores, 1-12 trade speed for size (libdeflate's levels). @default 6 */
    compressionLevel?: number;
    /** module.function; checked to be at the archive root and defined. */
    handler?: string;
    /** The function has layers that may provide the handler module. */
    hasLayers?: boolean;
    /** Add each module's bytecode, compiled by the runtime's own CPython (unchecked-hash .pyc in __pycache__): shorter cold starts, larger archive. See DESIGN.md. @default false */
    bytecode?: boolean;
    /** Also copy the archive here (atomically). */
    out?: string;
    /** @default $LAMBDA_PYTHON_CACHE_DIR, else ~/.cache/lambda-python */
    cacheDir?: string;
    /** Config of the shared rules (thresholds, the runtime table, `now`). */
    checks?: PartialRuleConfigs;
    /** A build cache shared by many machines: s3://bucket/prefix ("" or "off": none). @default $LAMBDA_PYTHON_REMOTE_CACHE, else none */
    remoteCache?: string;
    /** Progress messages for long steps. */
    onProgress?: (message: string) => void;
    /** Leave out what dependencies do not need on Lambda (tests, headers, stubs, docs, build leftovers) and strip their shared objects (builder/slim). @default false */
    slim?: boolean | SlimOptions;
}

export interface ResolvedOptions {
    source?: string;
    kind: ArchiveKind;
    target: LambdaTarget;
    dependencies: DependencySpec | { kind: "site-packages"; dir: string } | { kind: "none" };
    /** Why there are no dependencies to install, for the report. */
    noDependencies?: string;
    include?: string[];
    exclude?: string[];
    defaultExcludes: boolean;
    installer: InstallerChoice;
    python?: string;
    uv?: string;
    installerArgs: string[];
    prefix: string;
    compressionLevel: number;
    handler?: string;
    hasLayers: boolean;
    bytecode: boolean;
    out?: string;
    cacheDir: string;
    checks?: PartialRuleConfigs;
    remoteCache?: RemoteCacheConfig;
    progress: (message: string) => void;
    slim?: ResolvedSlim;
}

export function resolveOptions(o: BuildOptions): ResolvedOptions {
    const kind = o.kind ?? "function";
    if (kind !== "function" && kind !== "layer") throw new UserError(`kind must be "function" or "layer", not "${kind}".`);
    const architecture = o.architecture ?? "x86_64";
    if (!isArchitecture(architecture)) throw new UserError(`architecture must be "x86_64" or "arm64", not "${architecture}".`);
    let target: LambdaTarget;
    try {
        target = lambdaTarget(o.runtime ?? NEWEST_RUNTIME, architecture);
    } catch (e) {
        if (e instanceof TargetError) throw new UserError(e.message);
        throw e;
    }
    const source = o.source === undefined ? undefined : path.resolve(o.source);
    if (source !== undefined) requireFolder(source, "source folder");
    if (kind === "function" && source === undefined) throw new UserError("a function archive needs a source folder with the handler code.");

    const given = [o.requirements && "requirements", o.pyproject && "pyproject", o.lock && "lock", o.sitePackages && "sitePackages"].filter(Boolean);
    if (given.length > 1) throw new UserError(`give dependencies one way only; got ${given.join(" and ")}.`);
    const chosen = { groups: nameList(o.groups, "groups"), extras: nameList(o.extras, "extras") };
    const choosing = chosen.groups.length > 0 || chosen.extras.length > 0;
    let dependencies: ResolvedOptions["dependencies"] = { kind: "none" };
    let noDependencies: string | undefined;
    if (o.requirements) dependencies = { kind: "requirements", file: requireFile(o.requirements, "requirements file") };
    else if (o.pyproject) dependencies = pyprojectSpec(requirePyproject(o.pyproject), chosen);
    else if (o.lock) dependencies = lockSpec(requireFile(o.lock, "lock file"), chosen);
    else if (o.sitePackages) dependencies = { kind: "site-packages", dir: requireFolder(path.resolve(o.sitePackages), "site-packages folder") };
    else if (source && o.detectDependencies !== false) {
        const detected = detectDependencies(source, chosen);
        if (detected.spec) dependencies = detected.spec;
        else noDependencies = detected.note;
    } else noDependencies = source ? "dependency detection is off (--no-detect)" : "none given";
    if (choosing && (dependencies.kind === "requirements" || dependencies.kind === "site-packages" || dependencies.kind === "none")) {
        const what = dependencies.kind === "none" ? `there is no project (${noDependencies})` : `the dependencies come from ${dependencies.kind === "requirements" ? dependencies.file : dependencies.dir}`;
        throw new UserError(`groups and extras choose among a project's dependencies (a pyproject.toml or a lock), but ${what}. Leave them out, or give the project with --pyproject or --lock.`);
    }
    if (kind === "layer" && source === undefined && dependencies.kind === "none") {
        throw new UserError("a layer needs a source folder, a requirements file, a pyproject.toml or lock file, or a site-packages folder.");
    }

    const level = o.compressionLevel ?? 6;
    if (!Number.isInteger(level) || level < 0 || level > 12) throw new UserError(`compressionLevel must be a whole number from 0 (store) to 12, not ${level}.`);
    const layout = o.layerLayout ?? "python";
    if (layout !== "python" && layout !== "site-packages") throw new UserError(`layerLayout must be "python" or "site-packages", not "${layout}".`);
    const prefix = kind === "function" ? "" : layout === "python" ? "python/" : `python/lib/python${target.python.join(".")}/site-packages/`;
    const installer = o.installer ?? "auto";
    if (!["auto", "pip", "uv"].includes(installer)) throw new UserError(`installer must be "auto", "pip" or "uv", not "${installer}".`);

    return {
        source,
        kind,
        target,
        dependencies,
        noDependencies,
        include: o.include,
        exclude: o.exclude,
        defaultExcludes: o.defaultExcludes !== false,
        installer,
        python: o.python,
        uv: o.uv,
        installerArgs: o.installerArgs ?? [],
        prefix,
        compressionLevel: level,
        handler: o.handler,
        hasLayers: o.hasLayers ?? false,
        bytecode: checkBytecodeOption(o.bytecode, target.runtime),
        out: o.out === undefined ? undefined : checkOut(path.resolve(o.out), source, dependencies),
        cacheDir: checkCacheDir(path.resolve(o.cacheDir ?? defaultCacheDir()), o.cacheDir !== undefined),
        checks: o.checks,
        remoteCache: remoteCacheConfig(o.remoteCache),
        progress: o.onProgress ?? (() => {}),
        slim: resolveSlim(o.slim),
    };
}

function requireFolder(p: string, what: string): string {
    let st: fs.Stats;
    try {
        st = fs.statSync(p);
    } catch {
        throw new UserError(`${what} ${p} does not exist.`);
    }
    if (!st.isDirectory()) throw new UserError(`${what} ${p} is ${describeKind(st)}; expected a folder.`);
    return p;
}

function requireFile(p: string, what: string): string {
    const abs = path.resolve(p);
    let st: fs.Stats;
    try {
        st = fs.statSync(abs);
    } catch {
        throw new UserError(`${what} ${abs} does not exist.`);
    }
    if (!st.isFile()) throw new UserError(`${what} ${abs} is ${describeKind(st)}; expected a file.`);
    return abs;
}

/** A pyproject.toml, or a folder holding one. */
function requirePyproject(p: string): string {
    let abs = path.resolve(p);
    if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) abs = path.join(abs, "pyproject.toml");
    return requireFile(abs, "pyproject file");
}

/** Group and extra names: non-empty strings, each once. */
function nameList(values: string[] | undefined, option: string): string[] {
    if (values === undefined) return [];
    if (!Array.isArray(values) || values.some((v) => typeof v !== "string" || !v.trim())) throw new UserError(`${option} must be a list of names; got ${JSON.stringify(values)}.`);
    return [...new Set(values.map((v) => v.trim()))];
}

/** The first part of `p` (itself or a folder above it) that exists, with its stat; `describe` words a failure to look. */
function nearestExisting(p: string, describe: (e: unknown, at: string) => Error = (e, at) => describeFsError(e, at, "folder")): { at: string; st: fs.Stats } {
    for (let at = p; ; at = path.dirname(at)) {
        try {
            return { at, st: fs.statSync(at) };
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code !== "ENOENT" && code !== "ENOTDIR") throw describe(e, at);
            if (at === path.dirname(at)) throw e;
        }
    }
}

/** The archive's destination: a file name whose folder can exist, and never one of the build's inputs. */
function checkOut(out: string, source: string | undefined, deps: ResolvedOptions["dependencies"]): string {
    // A destination that cannot be written is said to be one, before any work (not "cannot read folder … exclude it").
    const place = `the archive's destination ${out} (--out)`;
    const unwritable = (e: unknown): Error => describeWriteError(e, place) ?? (e as Error);
    const { at, st } = nearestExisting(out, unwritable);
    if (at === out && st.isDirectory()) throw new UserError(`--out ${out} is a folder; give the archive's file name, e.g. ${path.join(out, "function.zip")}.`);
    if (at !== out && !st.isDirectory()) throw new UserError(`--out ${out} cannot be written: ${at} is a file, not a folder. Choose another --out.`);
    try {
        fs.accessSync(at === out ? path.dirname(out) : at, fs.constants.W_OK | fs.constants.X_OK);
    } catch (e) {
        throw unwritable(e);
    }
    const real = at === out ? fs.realpathSync(out) : path.join(fs.realpathSync(at), path.relative(at, out));
    const inputs: string[] = [];
    if (deps.kind === "requirements") inputs.push(deps.file);
    else if (deps.kind !== "site-packages" && deps.kind !== "none") inputs.push(deps.file, ...(deps.project ? [deps.project] : []));
    for (const input of inputs) {
        if (fs.existsSync(input) && fs.realpathSync(input) === real) throw new UserError(`--out ${out} is the build's input ${input}; writing the archive there would destroy it. Choose another --out.`);
    }
    if (deps.kind === "site-packages" && isInside(real, fs.realpathSync(deps.dir))) {
        throw new UserError(`--out ${out} is inside the site-packages folder ${deps.dir}, which goes into the archive. Choose another --out.`);
    }
    // Inside the source folder the output is left out of the archive (see index.ts); it may replace a previous
    // output there, but never a file of the user's.
    if (source && at === out && isInside(real, fs.realpathSync(source)) && !isOurArchive(out)) {
        throw new UserError(`--out ${out} is a file of the source folder ${source} and not an archive this tool wrote; writing the archive there would destroy it. Choose another --out (outside the source folder is best).`);
    }
    return out;
}

function isInside(p: string, folder: string): boolean {
    return p === folder || p.startsWith(folder + path.sep);
}

/**
 * Whether a file starts the way every archive of zip-writer.ts does: a local header with version 20 and
 * the fixed time 1980-01-01 00:00 (or the end record alone, for an empty archive).
 */
function isOurArchive(file: string): boolean {
    const head = Buffer.alloc(14);
    let n = 0;
    try {
        const fd = fs.openSync(file, "r");
        try {
            n = fs.readSync(fd, head, 0, head.length, 0);
        } finally {
            fs.closeSync(fd);
        }
    } catch {
        return false;
    }
    if (n >= 4 && head.readUInt32LE(0) === 0x06054b50) return true;
    return n === 14 && head.readUInt32LE(0) === 0x04034b50 && head.readUInt16LE(4) === 20 && head.readUInt16LE(10) === 0 && head.readUInt16LE(12) === 0x21;
}

/** The build cache must be (or become) a folder we can write to; checked before any work is done. */
function checkCacheDir(dir: string, given: boolean): string {
    const option = given ? "--cache-dir" : "the build cache (LAMBDA_PYTHON_CACHE_DIR, default ~/.cache/lambda-python)";
    try {
        fs.mkdirSync(dir, { recursive: true });
        fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EEXIST" || code === "ENOTDIR") {
            const { at } = nearestExisting(dir);
            throw new UserError(`${option} ${dir} cannot be used: ${at} is a file, not a folder. Point it at a folder.`);
        }
        if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
            throw new UserError(`${option} ${dir} is not writable (${code === "EROFS" ? "read-only file system" : "permission denied"}). Point it at a folder you can write to.`);
        }
        throw e;
    }
    return dir;
}
