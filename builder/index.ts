// The archive builder: a folder of handler code plus its dependencies in, a
// reproducible .zip for one Lambda target out. See DESIGN.md beside this
// file for the pipeline and why it is shaped this way.
//
// This module is the builder's public API (what components/, cli/, serve/ and the tests import): the build
// itself is pipeline.ts, its parts one module each (source.ts, dependencies.ts, plan.ts, write-archive.ts,
// archive-cache.ts, donors.ts, checks.ts).
import * as path from "path";
import { removeQuietly } from "../shared/atomic";
import { describeWriteError, UserError } from "../shared/errors";
import { setChildTempRoot } from "../shared/process";
import { defaultToolsDir } from "../shared/cache-dirs";
import { BuildCache } from "./cache";
import { sweepLeftovers } from "./leftovers";
import { BuildOptions, resolveOptions } from "./options";
import { build } from "./pipeline";
import { remoteSession } from "./remote";
import { BuildResult } from "./result";
import { ChangedFileError } from "./zip-writer";
import { holdYoungGeneration } from "./young-generation";

export { BuildOptions } from "./options";
export { BuildResult, DependencyReport } from "./result";
export { blocksBuild, BuildCheckError } from "./checks";

export async function buildArchive(input: BuildOptions): Promise<BuildResult> {
    const options = resolveOptions(input);
    // pip's and uv's temporary files go under the cache, where an interrupted build's are removed with ours.
    setChildTempRoot(path.join(options.cacheDir, "tmp"));
    // What builds killed outright left (temporary folders and files, installers still running): a listing of a few folders.
    sweepLeftovers([...new BuildCache(options.cacheDir).leftoverFolders(), defaultToolsDir()], options.out);
    // The remote cache, when one is set: asked on local misses, given what this build makes (DESIGN.md).
    const remote = options.remoteCache && remoteSession(options.remoteCache, options.progress);
    // Every file's records live to the end of the build: V8 would grow this thread's young generation for them (young-generation.ts).
    const releaseYoungGeneration = holdYoungGeneration();
    try {
        try {
            return await build(options, remote);
        } catch (e) {
            // An installed file that is not what the install's manifest says: the cached install was damaged
            // (edited by hand, a disk fault). Never ship it: install again, once.
            const damaged = e instanceof ChangedFileError ? damagedInstall(e.file, options.cacheDir) : undefined;
            if (!damaged) throw e;
            options.progress(`the cached install ${damaged} was modified; installing again`);
            removeQuietly(damaged);
            return await build(options, remote);
        }
    } catch (e) {
        // A full disk, a read-only or unwritable folder: one paragraph naming the place, not a stack trace.
        if (e instanceof UserError) throw e;
        const p = (e as NodeJS.ErrnoException)?.path;
        const place = options.out && p && path.dirname(p) === path.dirname(options.out) ? `the archive's destination ${options.out} (--out)` : `the build cache ${options.cacheDir} (--cache-dir, LAMBDA_PYTHON_CACHE_DIR)`;
        throw describeWriteError(e, place) ?? e;
    } finally {
        releaseYoungGeneration();
        await remote?.settle();
    }
}

/** The cached install folder (installs/<key>) holding `file`, if it is in one. */
function damagedInstall(file: string, cacheDir: string): string | undefined {
    const installs = path.join(cacheDir, "installs") + path.sep;
    if (!file.startsWith(installs)) return undefined;
    return installs + file.slice(installs.length).split(path.sep)[0];
}
