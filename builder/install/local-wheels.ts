// The user's own code named as a folder in requirements (`./mypkg` with a
// pyproject.toml or setup.py), built into a wheel before uv installs.
//
// Dependencies are installed with --only-binary :all: (nothing compiled for
// this machine). pip still builds a local folder under that flag; uv refuses
// ("Building source distributions is disabled"). So for uv each such folder
// is built here with `uv build --wheel` and its line pointed at the wheel.
// The wheel must be pure (`*-none-any`): a platform wheel was compiled for
// this machine, not for Lambda, and is refused with one paragraph.
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../../shared/errors";
import { run } from "../../shared/process";
import { isProject, originOf } from "./local-paths";

const INCLUDE = /^(-r|--requirement|-c|--constraint)(\s+|=)(\S+)(.*)$/;
const FOLDER = /^(?:(?:-e|--editable)\s+)?(\/[^\s[;#]*)(.*)$/;

/** Rewrites `file` (a copy from local-paths.ts, absolute paths) and its includes so local folders become built wheels. */
export async function withLocalFoldersBuilt(file: string, wheelsDir: string, uv: string, env: NodeJS.ProcessEnv, python?: string): Promise<void> {
    const seen = new Set<string>();
    const visit = async (f: string) => {
        if (seen.has(f)) return;
        seen.add(f);
        const lines = fs.readFileSync(f, "utf8").split("\n");
        let changed = false;
        for (let i = 0; i < lines.length; i++) {
            const line = lines[i].trim();
            const include = INCLUDE.exec(line);
            if (include) {
                await visit(include[3]);
                continue;
            }
            const folder = FOLDER.exec(line);
            if (!folder || !isProject(folder[1])) continue;
            lines[i] = `${await buildWheel(folder[1], wheelsDir, uv, env, python)}${folder[2]}`;
            changed = true;
        }
        if (changed) fs.writeFileSync(f, lines.join("\n"));
    };
    await visit(file);
}

/**
 * The line of a failed `uv build` that says what went wrong: the build
 * backend's exception (`OSError: Readme file does not exist: README.md`),
 * else uv's last `cause:`, else its last line.
 */
function backendError(stderr: string): string | undefined {
    const lines = stderr
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean);
    const exception = lines.filter((l) => /^[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*:/.test(l)).pop();
    const cause = lines
        .filter((l) => l.startsWith("cause:"))
        .pop()
        ?.slice("cause:".length)
        .trim();
    return (exception ?? cause ?? lines.pop())?.slice(0, 400).replace(/\.$/, "");
}

async function buildWheel(dir: string, wheelsDir: string, uv: string, env: NodeJS.ProcessEnv, python?: string): Promise<string> {
    const out = path.join(wheelsDir, `local-${fs.existsSync(wheelsDir) ? fs.readdirSync(wheelsDir).length : 0}`);
    fs.mkdirSync(out, { recursive: true });
    const r = await run(uv, ["build", "--wheel", "--no-progress", "--out-dir", out, ...(python ? ["--python", python] : []), dir], { env });
    const wheel = fs.readdirSync(out).find((f) => f.endsWith(".whl"));
    if (r.code !== 0 || !wheel) {
        const origin = originOf(dir);
        // The snapshot is built, not the user's folder: its paths are put back to theirs.
        const why = backendError(r.stderr)?.split(dir).join(origin);
        throw new UserError(
            `the local project ${origin} (named in requirements or a lock, or the function's own project) could not be built into a wheel by its build backend${why ? `: "${why}"` : ""}. ` +
                `Fix the project (\`uv build --wheel ${origin}\` shows the whole log). If it is the function's project and not meant to be a package, say so: remove its [build-system], or set package-mode = false ([tool.poetry]), package = false ([tool.uv]) or distribution = false ([tool.pdm]).`,
        );
    }
    if (!wheel.endsWith("-none-any.whl")) {
        throw new UserError(
            `the local project ${originOf(dir)} (named in requirements or a lock, or the function's own project) built ${wheel}, a wheel for this machine, not for Lambda: it has native code. ` +
                `Build it on Amazon Linux for the function's runtime and architecture and name the wheel in requirements instead of the folder.`,
        );
    }
    return path.join(out, wheel);
}
