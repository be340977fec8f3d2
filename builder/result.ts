// What a build gives back: the archive, its checks' findings, where its dependencies came from, what the
// caches did. The public shapes of builder/index.ts's buildArchive.
import { ArchiveFacts } from "../policies/inspect";
import { Finding } from "../policies/rules";
import { Architecture } from "../policies/target";
import { PackageSize } from "./report";
import { SlimReport } from "./slim";

export interface BuildResult {
    /** The archive in the build cache (absolute); do not modify it. */
    path: string;
    /** Where it was copied, when `out` was given. */
    out?: string;
    kind: "function" | "layer";
    runtime: string;
    architecture: Architecture;
    sha256: string;
    /** base64 sha256: what Lambda reports as CodeSha256, and Pulumi's sourceCodeHash. */
    sha256Base64: string;
    zippedBytes: number;
    unzippedBytes: number;
    entries: number;
    nativeArchitectures: string[];
    biggestPackages: PackageSize[];
    /** Credential files of the source (or site-packages) folder left out of the archive; an --include naming one puts it back. */
    credentialsLeftOut: string[];
    findings: Finding[];
    dependencies: DependencyReport;
    /** "remote": taken from the remote cache (builder/remote/) by this build. */
    cache: { archive: "hit" | "remote" | "miss"; install: "hit" | "remote" | "miss" | "none"; compressedEntries: number; reusedEntries: number; hashedFiles: number };
    /** What slimming removed and stripped, per package (the `slim` option). */
    slim?: SlimReport;
    /** What the checks saw; rules can be re-run on it. Shared with later inspections of the archive in this process: do not modify it. */
    facts: ArchiveFacts;
}

/** Where the archive's dependencies came from, and what was installed. */
export interface DependencyReport {
    /** "requirements", "poetry-lock", "pipfile-lock", "pdm-lock", "uv-lock", "pylock", "pyproject", "site-packages" or "none". */
    from: string;
    /** The requirements file, lock, pyproject.toml or site-packages folder. */
    file?: string;
    /** The project file read with the lock (pyproject.toml, Pipfile). */
    project?: string;
    installer?: string;
    groups?: string[];
    extras?: string[];
    /** Every version fixed by a lock (false: resolved at build time). Absent for requirements files and site-packages folders. */
    pinned?: boolean;
    /** name==version of every distribution the archive holds, from its .dist-info. */
    packages: string[];
    /** What else the build has to say: why there are none, what was not pinned or checked, a project not installed. */
    notes: string[];
}
