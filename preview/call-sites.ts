// Where a program calls a data source the offline preview cannot answer, in
// the program's own files, so the paragraph that stops the preview names the
// lines to look at (or says the call is a library's).
import * as fs from "fs";
import * as path from "path";

export interface SourceLanguage {
    /** The call as written in this language, for the function name of the token (getAmi, get_ami). */
    pattern(fn: string): RegExp;
    /** Whether a file is one of the program's sources. */
    isSource(name: string): boolean;
    /** Folders that are not the program's own (dependencies, virtualenvs). */
    skip: string[];
}

export const TYPESCRIPT: SourceLanguage = {
    pattern: (fn) => new RegExp(`\\b${fn}(Output)?\\s*\\(`),
    isSource: (name) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(name) && !name.endsWith(".d.ts"),
    skip: ["node_modules"],
};

export const PYTHON: SourceLanguage = {
    pattern: (fn) => new RegExp(`\\b${fn.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()}(_output)?\\s*\\(`),
    isSource: (name) => name.endsWith(".py"),
    skip: ["venv", "node_modules", "__pycache__"],
};

export const GO: SourceLanguage = {
    // aws:ec2/getAmi:getAmi is ec2.LookupAmi (a resource's get) or aws.GetRegion in the Go SDKs.
    pattern: (fn) => {
        const rest = fn.replace(/^get/, "");
        const name = rest.charAt(0).toUpperCase() + rest.slice(1);
        return new RegExp(`\\b(Get|Lookup)?${name}(Output)?\\s*\\(`);
    },
    isSource: (name) => name.endsWith(".go") && !name.endsWith("_test.go"),
    skip: ["vendor", "sdks"],
};

/** " It is called at a.ts:3, b.ts:9." for the data source `token` (e.g. aws:ec2/getAmi:getAmi), at most three places. */
export function callSites(programDir: string, token: string, language: SourceLanguage): string {
    const pattern = language.pattern(token.split(":").pop() ?? token);
    const found: string[] = [];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            if (entry.name.startsWith(".") || language.skip.includes(entry.name)) continue;
            const p = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(p);
            else if (language.isSource(entry.name))
                fs.readFileSync(p, "utf8")
                    .split("\n")
                    .forEach((line, i) => {
                        if (pattern.test(line) && found.length < 3) found.push(`${path.relative(programDir, p)}:${i + 1}`);
                    });
        }
    };
    try {
        walk(programDir);
    } catch {
        // an unreadable folder: the call site is not named
    }
    return found.length ? ` It is called at ${found.join(", ")}.` : " The call is made by a library the program uses (no call to it in the program's own files).";
}
