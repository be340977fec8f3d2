// What an install's result depends on, read from the requirement files: the
// files' own text, the files they pull in with -r/-c, and the contents of
// local paths they install from. This is what the install cache key hashes.
import * as fs from "fs";
import * as path from "path";
import { describeFsError } from "../../shared/errors";

export interface RequirementInputs {
    /** Text of every requirement/constraint file, by absolute path. */
    files: Record<string, string>;
    /** Local files or folders named as requirements, by absolute path. */
    localPaths: string[];
    /** Requirement lines as written (without options), for messages. */
    lines: { file: string; line: number; text: string }[];
    /** Option lines (--index-url …, --find-links …) of each file, as tokens. */
    options: { file: string; args: string[] }[];
}

export function readRequirementInputs(file: string): RequirementInputs {
    const inputs: RequirementInputs = { files: {}, localPaths: [], lines: [], options: [] };
    const visit = (f: string) => {
        const abs = path.resolve(f);
        if (abs in inputs.files) return;
        let text: string;
        try {
            text = fs.readFileSync(abs, "utf8");
        } catch (e) {
            throw describeFsError(e, abs, "requirements file");
        }
        inputs.files[abs] = text;
        const dir = path.dirname(abs);
        text.split(/\r?\n/).forEach((raw, i) => {
            const line = raw.replace(/(^|\s)#.*$/, "").trim();
            if (!line) return;
            const include = /^(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)/.exec(line);
            if (include) return visit(path.resolve(dir, include[1]));
            const editable = /^(?:-e|--editable)(?:\s+|=)(\S+)/.exec(line);
            const target = editable ? editable[1] : line;
            if (/^(\.{1,2}\/|\/|file:)/.test(target)) {
                inputs.localPaths.push(path.resolve(dir, target.replace(/^file:(\/\/)?/, "")));
            }
            if (!line.startsWith("-")) inputs.lines.push({ file: abs, line: i + 1, text: line });
            else if (!editable) inputs.options.push({ file: abs, args: line.split(/\s+/) });
        });
    };
    visit(file);
    return inputs;
}

/** Normalised project name (PEP 503) of a requirement line. */
export function requirementName(line: string): string | undefined {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line);
    return m ? normalizeName(m[1]) : undefined;
}

export function normalizeName(name: string): string {
    return name.toLowerCase().replace(/[-_.]+/g, "-");
}
