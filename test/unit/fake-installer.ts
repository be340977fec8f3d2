// A fake pip/uv for the install layer's unit tests (aws-lambda-builders has
// FakePip for the same reason): builder/install/ takes it through
// InstallContext.chooseInstaller, so the logic around the installer — the
// install key, the cache and its manifest, one install per key in a process,
// the rescue and diagnosis of a failure, the lock's failures — runs offline
// and fast (a diagnosis still runs the host's python3, as it does for real).
// The real pip and uv stay the default and are tested end to end
// (test/install.test.ts, test/deps-*.test.ts).
//
// It installs what a wheel install leaves in --target: a real wheel found in
// a find-links folder (one the layer built from a pure sdist, say) is
// unpacked as it is; any other distribution of its catalog is written as
// its package files and its `<name>-<version>.dist-info/` with METADATA, WHEEL,
// INSTALLER, REQUESTED (only for what the requirement files ask for, not for
// dependencies pulled in) and a RECORD of every file with its sha256 and size.
// It reads the requirement files the layer hands it (nested -r files, pins,
// `name @ url`, --hash, markers, the layer's absolute paths of local projects)
// and fails in pip's or uv's own words for a project its catalog lacks, or
// with any output a test scripts.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import type { InstallRequest, Installer } from "../../builder/install/installers";
import type { RunResult } from "../../shared/process";

export interface FakeDistribution {
    name: string;
    version: string;
    /** Files under site-packages (default: `<module>/__init__.py` saying the version). */
    files?: Record<string, string | Buffer>;
    /** Names of the distributions it depends on (installed with it, not REQUESTED). */
    requires?: string[];
}

export interface FakeInstallerOptions {
    name?: "pip" | "uv";
    version?: string;
    /** A scripted answer for an install, instead of installing (undefined: install as usual). */
    answer?: (req: InstallRequest, call: number) => RunResult | undefined;
    /** Awaited before each install: lets a test hold installs open while others start. */
    gate?: () => Promise<void>;
}

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** An installer that installs from `catalog`, records every request, and needs no network or Python. */
export class FakeInstaller implements Installer {
    readonly name: "pip" | "uv";
    readonly version: string;
    readonly identity: Record<string, string>;
    /** Every install asked of it, in order. */
    readonly requests: InstallRequest[] = [];
    private readonly catalog = new Map<string, FakeDistribution>();

    constructor(
        catalog: FakeDistribution[],
        private readonly options: FakeInstallerOptions = {},
    ) {
        this.name = options.name ?? "pip";
        this.version = options.version ?? (this.name === "pip" ? "25.0" : "0.9.0");
        this.identity = { installer: this.name, [this.name]: this.version, fake: "yes" };
        for (const d of catalog) this.catalog.set(normalize(d.name), d);
    }

    /** The seam's shape (InstallContext.chooseInstaller): this installer whatever was chosen. */
    readonly choose = async () => this as Installer;

    async install(req: InstallRequest, onLine?: (line: string) => void): Promise<RunResult> {
        this.requests.push(req);
        await this.options.gate?.();
        const scripted = this.options.answer?.(req, this.requests.length);
        if (scripted) return scripted;
        const wanted = readRequirements(req.requirementsFile);
        const chosen = new Map<string, { dist: FakeDistribution; requested: boolean; fromWheel?: boolean }>();
        const wheels: { wheel: { file: string; version: string }; requested: boolean }[] = [];
        const add = (name: string, pin: string | undefined, requested: boolean, spec: string): RunResult | undefined => {
            const key = normalize(name);
            const known = chosen.get(key);
            if (known) {
                known.requested ||= requested;
                return undefined;
            }
            const wheel = findWheel(name, pin, [...req.findLinks, ...req.indexes.findLinks]);
            if (wheel) {
                wheels.push({ wheel, requested });
                chosen.set(key, { dist: { name, version: wheel.version }, requested, fromWheel: true });
                return undefined;
            }
            const dist = this.catalog.get(key);
            if (!dist || (pin !== undefined && pin !== dist.version)) return this.notFound(name, spec, dist);
            chosen.set(key, { dist, requested });
            for (const dep of dist.requires ?? []) {
                const failed = add(dep, undefined, false, dep);
                if (failed) return failed;
            }
            return undefined;
        };
        for (const w of wanted) {
            if (w.local) {
                chosen.set(normalize(w.name), { dist: localDistribution(w.local), requested: true });
                continue;
            }
            const failed = add(w.name, w.pin, true, w.spec);
            if (failed) return failed;
        }
        fs.mkdirSync(req.siteDir, { recursive: true });
        for (const { wheel, requested } of wheels) unpackWheel(wheel.file, req.siteDir, requested, this.name);
        for (const { dist, requested, fromWheel } of chosen.values()) {
            if (!fromWheel) writeDistribution(req.siteDir, dist, requested, this.name);
            onLine?.(`Installed ${dist.name}-${dist.version}`);
        }
        const names = [...chosen.values()].map(({ dist }) => `${dist.name}-${dist.version}`).join(" ");
        return { code: 0, stdout: names ? `Successfully installed ${names}\n` : "", stderr: "" };
    }

    /** pip's and uv's words for a project (or version) the indexes do not have. */
    private notFound(name: string, spec: string, dist: FakeDistribution | undefined): RunResult {
        const versions = dist ? dist.version : "none";
        if (this.name === "pip") {
            return { code: 1, stdout: "", stderr: `ERROR: Could not find a version that satisfies the requirement ${spec} (from versions: ${versions})\nERROR: No matching distribution found for ${name}\n` };
        }
        const why = dist ? `Because there is no version of ${spec}` : `Because ${name} was not found in the package registry`;
        return { code: 1, stdout: "", stderr: `  × No solution found when resolving dependencies:\n  ╰─▶ ${why} and you require ${spec}, we can conclude that your requirements are unsatisfiable.\n` };
    }
}

interface Wanted {
    name: string;
    spec: string;
    pin?: string;
    /** An absolute path: a local project folder. */
    local?: string;
}

/** The requirements of a file and the files it includes with -r, as an installer reads them. */
function readRequirements(file: string, seen = new Set<string>()): Wanted[] {
    if (seen.has(file)) return [];
    seen.add(file);
    const out: Wanted[] = [];
    for (const raw of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
        const line = raw.replace(/(^|\s)#.*$/, "").trim();
        if (!line) continue;
        const nested = /^(?:-r|--requirement)[=\s]+(\S+)/.exec(line);
        if (nested) out.push(...readRequirements(path.resolve(path.dirname(file), nested[1]), seen));
        if (line.startsWith("-")) continue;
        const spec = line.replace(/\s+--\S+.*$/, "").replace(/\s*;.*$/, "");
        if (spec.startsWith("/")) {
            out.push({ name: projectName(spec), spec, local: spec });
            continue;
        }
        const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:@\s*\S+|==\s*([^\s,;]+))?/.exec(spec);
        if (m) out.push({ name: m[1], spec, pin: m[2] });
    }
    return out;
}

/** A local project's name: its pyproject.toml's, else its folder's. */
function projectName(folder: string): string {
    const pyproject = path.join(folder, "pyproject.toml");
    const named = fs.existsSync(pyproject) ? /^name\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(pyproject, "utf8")) : null;
    return named?.[1] ?? path.basename(folder);
}

/** A local project as a distribution: the Python files of its import package, as they are in the folder now. */
function localDistribution(folder: string): FakeDistribution {
    const name = projectName(folder);
    const module = name.replace(/-/g, "_");
    const files: Record<string, Buffer> = {};
    for (const base of [path.join(folder, "src", module), path.join(folder, module)]) {
        if (!fs.existsSync(base)) continue;
        for (const f of fs.readdirSync(base, { recursive: true }) as string[]) {
            if (f.endsWith(".py")) files[`${module}/${f}`] = fs.readFileSync(path.join(base, f));
        }
        break;
    }
    return { name, version: "0.0.0", files };
}

/** `sha256=<urlsafe base64, no padding>`, as RECORD writes a file's hash. */
function recordHash(data: Buffer): string {
    return `sha256=${crypto.createHash("sha256").update(data).digest("base64url")}`;
}

function writeDistribution(siteDir: string, dist: FakeDistribution, requested: boolean, installer: string): void {
    const module = normalize(dist.name).replace(/-/g, "_");
    const distInfo = `${module}-${dist.version}.dist-info`;
    const files: Record<string, string | Buffer> = dist.files ?? { [`${module}/__init__.py`]: `__version__ = "${dist.version}"\n` };
    const metadata = [`Metadata-Version: 2.1`, `Name: ${dist.name}`, `Version: ${dist.version}`, ...(dist.requires ?? []).map((r) => `Requires-Dist: ${r}`)].join("\n");
    const all: Record<string, string | Buffer> = {
        ...files,
        [`${distInfo}/METADATA`]: `${metadata}\n`,
        [`${distInfo}/WHEEL`]: "Wheel-Version: 1.0\nGenerator: fake-installer\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        [`${distInfo}/INSTALLER`]: `${installer}\n`,
        ...(requested ? { [`${distInfo}/REQUESTED`]: "" } : {}),
    };
    const record: string[] = [];
    for (const [rel, content] of Object.entries(all)) {
        const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
        fs.mkdirSync(path.dirname(path.join(siteDir, rel)), { recursive: true });
        fs.writeFileSync(path.join(siteDir, rel), data);
        record.push(`${rel},${recordHash(data)},${data.length}`);
    }
    record.push(`${distInfo}/RECORD,,`);
    fs.writeFileSync(path.join(siteDir, distInfo, "RECORD"), `${record.join("\n")}\n`);
}

/** A py3-none-any (or other pure) wheel of `name` in the find-links folders, at the pinned version if any. */
function findWheel(name: string, pin: string | undefined, folders: string[]): { file: string; version: string } | undefined {
    for (const folder of folders) {
        if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) continue;
        for (const f of fs.readdirSync(folder).sort()) {
            const m = /^([^-]+)-([^-]+)-.+-none-any\.whl$/.exec(f);
            if (m && normalize(m[1]) === normalize(name) && (pin === undefined || m[2] === pin)) return { file: path.join(folder, f), version: m[2] };
        }
    }
    return undefined;
}

/** Unpacks a wheel into site-packages as an installer does, adding INSTALLER (and REQUESTED) to its dist-info. */
function unpackWheel(wheel: string, siteDir: string, requested: boolean, installer: string): void {
    const r = spawnSync("python3", ["-m", "zipfile", "-e", wheel, siteDir], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`unpacking ${wheel}: ${r.stderr}`);
    const distInfo = fs.readdirSync(siteDir).find((d) => d.endsWith(".dist-info") && normalize(d).startsWith(normalize(path.basename(wheel).split("-").slice(0, 2).join("-"))));
    if (!distInfo) return;
    const added: Record<string, Buffer> = { INSTALLER: Buffer.from(`${installer}\n`), ...(requested ? { REQUESTED: Buffer.alloc(0) } : {}) };
    const record = path.join(siteDir, distInfo, "RECORD");
    for (const [name, data] of Object.entries(added)) {
        fs.writeFileSync(path.join(siteDir, distInfo, name), data);
        fs.appendFileSync(record, `${distInfo}/${name},${recordHash(data)},${data.length}\n`);
    }
}
