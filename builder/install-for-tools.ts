// The builder's entry point for a part above it that needs Python packages
// for a Lambda target but builds no archive (the runner's awslambdaric):
// the one implementation of "pip for a target" (install/target-pip.ts, the
// target's markers and manylinux ladder), with the indexes named in the
// environment as for a build, into a folder. How the builder installs
// (installers, indexes, host probes) stays inside builder/install/; callers
// use this module only.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { LambdaTarget } from "../policies/target";
import type { RunResult } from "../shared/process";
import { packageIndexes } from "./install/indexes";
import { pipInstaller } from "./install/installers";

export type { HostPython } from "./install/host-tools";
/** The Python that runs pip on this machine (its version, and pip's when pip is installed). */
export { hostPython } from "./install/host-tools";

export interface TargetInstall {
    /** Requirement lines, e.g. "awslambdaric==4.2.2". */
    requirements: string[];
    target: LambdaTarget;
    /** The folder the packages go into, as `pip install --target` fills it. */
    into: string;
    /** Install exactly the requirements given, not their dependencies (they are all listed, pinned). */
    noDeps?: boolean;
}

/**
 * Installs `requirements` for `target` into `into` with pip, wheels only; the
 * indexes are the environment's (PIP_INDEX_URL, UV_INDEX_URL, …), else PyPI.
 * Resolves with pip's exit code and output: a failure is the caller's to
 * word (it knows what the packages were for).
 */
export async function installForTarget(request: TargetInstall): Promise<RunResult> {
    const pip = await pipInstaller();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-python-requirements-"));
    try {
        const requirementsFile = path.join(dir, "requirements.txt");
        fs.writeFileSync(requirementsFile, `${request.requirements.join("\n")}\n`);
        return await pip.install({
            requirementsFile,
            target: request.target,
            siteDir: request.into,
            findLinks: [],
            indexes: packageIndexes([], []),
            extraArgs: request.noDeps ? ["--no-deps"] : [],
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
