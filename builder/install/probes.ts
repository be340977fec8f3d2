// What `uv --version` and `python3 -c 'import pip…'` answer, remembered on
// disk: every build needs the installers' identities (they are part of the
// install key), and asking costs a subprocess each — ~45 ms, 0.36 s through
// a version manager's shims — on builds that otherwise only stat files.
//
// An answer is reused while the binary it came from is the same file: the
// command is resolved on PATH and through symbolic links to a real path, and
// that file's size and mtime must match. A probe can name more files whose
// change makes the answer stale (pip's site-packages folder: upgrading pip
// does not touch the interpreter). A shim (a script, not a binary) picks its
// interpreter from the environment and version files, so those join the key.
import * as fs from "fs";
import * as path from "path";
import { run } from "../../shared/process";
import { defaultToolsDir } from "../../shared/cache-dirs";
import { ownerTag } from "../../shared/owner";

export interface ProbeAnswer {
    code: number;
    stdout: string;
    stderr: string;
}

interface Stamp {
    file: string;
    size: number;
    mtimeMs: number;
}

interface Entry {
    stamps: Stamp[];
    context: string;
    answer: ProbeAnswer;
}

const FILE = "probes.json";
// Kept for the process, shared by every build and program it runs: an answer is about one binary on one
// PATH, which does not change under a running process (not-found and failures are not kept).
const inProcess = new Map<string, Promise<ProbeAnswer | undefined>>();

/**
 * Runs `command args` unless an answer for the same binary is remembered.
 * Undefined when the command is not found (nothing is spawned for a name
 * that is not on PATH). `witnesses` names files, from a successful answer,
 * whose size and mtime must also be unchanged for it to be reused.
 */
export function probe(command: string, args: string[], witnesses: (answer: ProbeAnswer) => string[] = () => []): Promise<ProbeAnswer | undefined> {
    const id = JSON.stringify([command, args, process.env.PATH]);
    let pending = inProcess.get(id);
    if (!pending) {
        pending = probeOnce(command, args, witnesses);
        inProcess.set(id, pending);
        // "Not found" is not remembered: the tools folder may get its uv a moment later.
        pending.then(
            (a) => a ?? inProcess.delete(id),
            () => inProcess.delete(id),
        );
    }
    return pending;
}

async function probeOnce(command: string, args: string[], witnesses: (answer: ProbeAnswer) => string[]): Promise<ProbeAnswer | undefined> {
    const found = locateCommand(command);
    if (!found) return undefined;
    const binary = found.real;
    // The path as found joins the key: a virtualenv's python is a link to the base interpreter, yet its own
    // sys.prefix (pyvenv.cfg beside the link) gives it another site-packages and pip.
    const key = JSON.stringify([binary, args, found.path]);
    const context = shimContext(binary);
    const store = readStore();
    const known = store[key];
    if (known && known.context === context && known.stamps.every(sameStamp)) return known.answer;

    let answer: ProbeAnswer;
    try {
        answer = await run(command, args);
    } catch {
        return undefined;
    }
    const binaryStamp = stamp(binary);
    const others = answer.code === 0 ? witnesses(answer).map(stamp) : [];
    if (answer.code === 0 && binaryStamp && others.every((s) => s)) {
        writeStore({ ...readStore(), [key]: { stamps: [binaryStamp, ...(others as Stamp[])], context, answer } });
    }
    return answer;
}

/** A command as found (a path as given, else the first executable of that name on PATH) and the real file it runs, links followed. */
function locateCommand(command: string): { path: string; real: string } | undefined {
    const candidates = command.includes("/")
        ? [path.resolve(command)]
        : (process.env.PATH ?? "")
              .split(path.delimiter)
              .filter(Boolean)
              .map((d) => path.join(d, command));
    for (const c of candidates) {
        try {
            fs.accessSync(c, fs.constants.X_OK);
            const real = fs.realpathSync(c);
            if (fs.statSync(real).isFile()) return { path: c, real };
        } catch {
            // not here
        }
    }
    return undefined;
}

function stamp(file: string): Stamp | undefined {
    try {
        const st = fs.statSync(file);
        return { file, size: st.size, mtimeMs: st.mtimeMs };
    } catch {
        return undefined;
    }
}

function sameStamp(s: Stamp): boolean {
    const now = stamp(s.file);
    return !!now && now.size === s.size && now.mtimeMs === s.mtimeMs;
}

/**
 * For a script (pyenv's, asdf's shims): what it consults to choose the real
 * interpreter — the version-manager variables and the version files from
 * the current folder up, and pyenv's global choice. "" for a binary.
 */
function shimContext(binary: string): string {
    let head = "";
    try {
        const fd = fs.openSync(binary, "r");
        const buf = Buffer.alloc(2);
        fs.readSync(fd, buf, 0, 2, 0);
        fs.closeSync(fd);
        head = buf.toString("latin1");
    } catch {
        return "";
    }
    if (head !== "#!") return "";
    const env = Object.entries(process.env)
        .filter(([k]) => /^(PYENV|ASDF|MISE|RTX|UV|VIRTUAL_ENV|CONDA)/.test(k) && !/INDEX|FIND_LINKS/.test(k))
        .sort()
        .map(([k, v]) => `${k}=${v}`);
    const files: string[] = [];
    for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
        for (const name of [".python-version", ".tool-versions", ".mise.toml", "mise.toml"]) files.push(path.join(dir, name));
        if (path.dirname(dir) === dir) break;
    }
    const pyenvRoot = process.env.PYENV_ROOT || path.join(process.env.HOME ?? "", ".pyenv");
    files.push(path.join(pyenvRoot, "version"));
    const contents = files.map((f) => {
        try {
            return `${f}:${fs.readFileSync(f, "utf8")}`;
        } catch {
            return "";
        }
    });
    return JSON.stringify([env, contents.filter(Boolean)]);
}

function storePath(): string {
    return path.join(defaultToolsDir(), FILE);
}

function readStore(): Record<string, Entry> {
    try {
        const parsed = JSON.parse(fs.readFileSync(storePath(), "utf8"));
        return parsed && typeof parsed === "object" ? parsed : {};
    } catch {
        return {};
    }
}

/** Best effort: a read-only or missing tools folder only means probing again next time. */
function writeStore(store: Record<string, Entry>): void {
    const file = storePath();
    const temp = `${file}.tmp-${ownerTag()}`;
    try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(temp, JSON.stringify(store));
        fs.renameSync(temp, file);
    } catch {
        fs.rmSync(temp, { force: true });
    }
}
