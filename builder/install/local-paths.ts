// Relative paths in requirement files, made absolute against the file's own
// folder before the installer sees them.
//
// pip and uv both resolve a local requirement such as `./localpkg` against
// the current folder, not the requirement file's (pip documents `-r` paths as
// relative to the including file, but not plain paths), so a build started
// from another folder installed the wrong thing or failed, while the install
// key hashed the folder beside the file. The builder takes the requirement
// file's folder for both: the installer gets a copy of each file (and of the
// files it includes with -r/-c) in which every relative path is absolute.
import * as fs from "fs";
import * as path from "path";
import { describeFsError } from "../../shared/errors";

const INCLUDE = /^(-r|--requirement|-c|--constraint)(\s+|=)(\S+)(.*)$/;
const PATH_OPTION = /^(-e|--editable|-f|--find-links)(\s+|=)(\S+)(.*)$/;
const LOCAL = /^(\.{1,2}\/[^\s[;#]*|\.{1,2}(?=$|[\s[;#]))(.*)$/;

/** Writes the absolute-path copy of `file` (and what it includes) into `workDir`; returns the copy's path. */
export function withAbsolutePaths(file: string, workDir: string): string {
    const copies = new Map<string, string>();
    const outDir = path.join(workDir, "requirements");
    fs.mkdirSync(outDir, { recursive: true });
    const visit = (f: string): string => {
        const abs = path.resolve(f);
        const known = copies.get(abs);
        if (known) return known;
        const copy = path.join(outDir, `${copies.size}-${path.basename(abs)}`);
        copies.set(abs, copy);
        let text: string;
        try {
            text = fs.readFileSync(abs, "utf8");
        } catch (e) {
            throw describeFsError(e, abs, "requirements file");
        }
        const dir = path.dirname(abs);
        const lines = text.split(/\r?\n/).map((raw) => {
            const line = raw.trim();
            const include = INCLUDE.exec(line);
            if (include) return `${include[1]} ${visit(path.resolve(dir, include[3]))}${include[4]}`;
            const option = PATH_OPTION.exec(line);
            if (option && isRelativePath(option[3])) return `${option[1]} ${path.resolve(dir, option[3])}${option[4]}`;
            const local = LOCAL.exec(line);
            if (local) return `${path.resolve(dir, local[1])}${local[2]}`;
            return raw;
        });
        fs.writeFileSync(copy, lines.join("\n"));
        return copy;
    };
    return visit(file);
}

function isRelativePath(value: string): boolean {
    return !path.isAbsolute(value) && !/^[a-z][a-z0-9+.-]*:/i.test(value);
}
