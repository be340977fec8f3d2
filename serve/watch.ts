// serve --watch: a change in what is served (a source folder, a program
// folder, or a function .zip) is reported once the writes have settled, so
// that serve rebuilds and the next request runs the new code.
import * as fs from "fs";
import * as path from "path";

/** Folders whose changes are not the function's source: tools' state, caches, environments. */
const IGNORED = /(^|\/)(node_modules|\.git|__pycache__|\.venv|venv|\.pulumi|\.mypy_cache|\.pytest_cache|\.ruff_cache)(\/|$)/;
/** Editors' swap, backup and probe files (vim writes "4913" to test a folder). */
const EDITOR_FILES = /(^|\/)(\.[^/]*\.sw[a-p]|[^/]*~|4913|\.#[^/]*)$/;

/** How long writes must have stopped before a change is reported: an editor's save or a git checkout is several writes. */
const SETTLE_MS = 200;

export interface Watcher {
    close(): void;
}

/**
 * Calls `onChange` with the changed paths (relative to what is watched) once
 * no further change came for SETTLE_MS. A folder is watched with everything
 * below it; a file through its folder, by its name, since an editor or a
 * build often replaces it (a new inode) rather than writing it in place.
 */
export function watchSources(target: string, onChange: (changed: string[]) => void): Watcher {
    const where = path.resolve(target);
    const isFolder = fs.statSync(where).isDirectory();
    const folder = isFolder ? where : path.dirname(where);
    const changed = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    const watcher = fs.watch(folder, { recursive: isFolder }, (_type, name) => {
        const file = name ? String(name) : "";
        if (!isFolder && file !== path.basename(where)) return;
        if (IGNORED.test(file) || EDITOR_FILES.test(file)) return;
        changed.add(file || ".");
        clearTimeout(timer);
        timer = setTimeout(() => {
            const files = [...changed];
            changed.clear();
            onChange(files);
        }, SETTLE_MS);
    });
    watcher.on("error", () => {}); // a watched folder removed: nothing more to report
    return {
        close() {
            clearTimeout(timer);
            watcher.close();
        },
    };
}
