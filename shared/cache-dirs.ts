// Where lambda-python keeps what it reuses: the build cache (archives,
// installs, extracted code; builder/cache.ts says what is in it) and the
// tools `lambda-python setup` installs (uv, the runner's Debian roots, qemu,
// the emulator). Every part finds them here, so both follow the same
// environment variables.
import * as os from "os";
import * as path from "path";

export function defaultCacheDir(): string {
    if (process.env.LAMBDA_PYTHON_CACHE_DIR) return path.resolve(process.env.LAMBDA_PYTHON_CACHE_DIR);
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(base, "lambda-python");
}

/**
 * Where `lambda-python setup` installs tools; shared by every build cache.
 * It does not follow LAMBDA_PYTHON_CACHE_DIR or --cache-dir: a fresh build
 * cache (a test's, a CI job's) must still find the pinned uv instead of
 * installing it again or quietly building with pip.
 */
export function defaultToolsDir(): string {
    if (process.env.LAMBDA_PYTHON_TOOLS_DIR) return path.resolve(process.env.LAMBDA_PYTHON_TOOLS_DIR);
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(base, "lambda-python", "tools");
}
