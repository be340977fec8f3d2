// What a project folder declares: which lock (or pyproject.toml alone) to
// install from, and the groups and extras chosen (detect.ts finds it; the
// readers of each lock and of pyproject.toml take it).
import type { Selection } from "./selection";

export type LockKind = "uv-lock" | "poetry-lock" | "pipfile-lock" | "pdm-lock" | "pylock";

export interface ProjectSpec extends Selection {
    kind: LockKind | "pyproject";
    /** The lock (the pyproject.toml for "pyproject"). */
    file: string;
    /** The project file beside the lock: pyproject.toml, or the Pipfile. */
    project?: string;
}
