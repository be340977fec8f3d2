// Poetry, Pipenv and PDM for the tests that need a lock written by the real
// tool. Each lives in a virtualenv of its own in the tools folder, installed
// once from exact pins (test/fixtures/project-tools/<tool>.txt, the tool and
// every package it runs on) with the pinned uv — a few seconds — and reused
// by later runs, so CI pays for it once per cache. The build never needs
// them: it reads their locks itself.
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { defaultToolsDir } from "../shared/cache-dirs";

const ROOT = path.resolve(__dirname, "..");

export type ProjectTool = "poetry-2.5.1" | "poetry-1.8.5" | "pipenv-2026.10.3" | "pdm-2.29.4" | "moto-5.2.6";

/** The pinned uv of `lambda-python setup` (npm test's test:setup step), else one on PATH. */
export function uvForTests(): string {
    const pinned = path.join(defaultToolsDir(), "venv", "bin", "uv");
    if (fs.existsSync(pinned)) return pinned;
    const which = spawnSync("sh", ["-c", "command -v uv"], { encoding: "utf8" });
    if (which.status === 0) return which.stdout.trim();
    throw new Error("uv not found; run lambda-python setup");
}

/** The `bin` folder of the tool's virtualenv, installed on first use. */
export function projectTool(tool: ProjectTool): string {
    const pins = path.join(ROOT, "test", "fixtures", "project-tools", `${tool}.txt`);
    const digest = crypto.createHash("sha256").update(fs.readFileSync(pins)).digest("hex").slice(0, 12);
    const venv = path.join(defaultToolsDir(), "test-project-tools", `${tool}-${digest}`);
    const bin = path.join(venv, "bin");
    // Scripts in a virtualenv name its folder in their first line, so it is made where it stays, and marked complete last.
    const complete = path.join(venv, ".complete");
    if (fs.existsSync(complete)) return bin;
    fs.rmSync(venv, { recursive: true, force: true });
    const uv = uvForTests();
    const env = { ...process.env, UV_PYTHON_DOWNLOADS: "never" };
    for (const args of [
        ["venv", "--quiet", "--python", "python3", venv],
        ["pip", "install", "--quiet", "--python", path.join(bin, "python"), "--no-deps", "-r", pins],
    ]) {
        const r = spawnSync(uv, args, { encoding: "utf8", env });
        if (r.status !== 0) throw new Error(`installing ${tool} for the tests failed: uv ${args.join(" ")}\n${r.stderr}`);
    }
    fs.writeFileSync(complete, "");
    return bin;
}

/** Runs a project tool in `cwd`, quietly and without touching the user's virtualenvs; throws with its output when it fails. */
export function runTool(tool: ProjectTool, args: string[], cwd: string): string {
    const bin = projectTool(tool);
    const command = path.join(bin, tool.split("-")[0]);
    const r = spawnSync(command, args, {
        cwd,
        encoding: "utf8",
        env: {
            ...process.env,
            PATH: `${bin}${path.delimiter}${process.env.PATH}`,
            VIRTUAL_ENV: "",
            PIPENV_VENV_IN_PROJECT: "1",
            PIPENV_YES: "1",
            PIPENV_IGNORE_VIRTUALENVS: "1",
            PIPENV_VERBOSITY: "-1",
            PDM_CHECK_UPDATE: "false",
            POETRY_VIRTUALENVS_IN_PROJECT: "true",
            UV_PYTHON_DOWNLOADS: "never",
        },
    });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed in ${cwd}:\n${r.error ?? ""}${r.stdout}\n${r.stderr}`);
    return r.stdout;
}
