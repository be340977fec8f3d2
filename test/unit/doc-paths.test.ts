// Every path to a .ts, .md or .json file that a Markdown file of the repository
// names in backticks exists, relative to that Markdown file's folder or to the
// repository's root: when a module moves or is renamed, the docs that point at
// it fail here instead of sending a reader to a file that is gone. Names that
// are not paths of this repository (a file users write, a file inside a wheel
// or the cache, another project's path) are allowed by name, with the reason.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const SKIP_FOLDERS = new Set(["node_modules", "dist", ".git"]);

/** Markdown file (from the root) → names in backticks that are not files of this repository, and why. */
const NOT_PATHS: Record<string, Record<string, string>> = {
    "README.md": {
        "direct_url.json": "a file of an installed distribution's .dist-info",
        "offline-answers.json": "a file the user writes beside Pulumi.yaml",
        ".vscode/launch.json": "the user's VS Code configuration",
        "index.ts": "each example's program (examples/*/index.ts)",
    },
    "builder/DESIGN.md": {
        "direct_url.json": "a file of an installed distribution's .dist-info",
        "manifest.json": "a file of the build cache (an install's manifest)",
        "pack.json": "a file of the build cache (a fetched install's pack)",
    },
    "docs/PREVIEW-CORPUS.md": { "expected.json": "each corpus case's file (test/fixtures/corpus/<name>/expected.json)" },
    "docs/RELIABILITY.md": { "config.json": "a file in a test's fixture folder" },
    "preview/DESIGN.md": { "offline-answers.json": "a file the user writes beside Pulumi.yaml" },
    "runner/DESIGN.md": { "lambda-python-root.json": "a file inside each installed CPython root" },
    "runner/events/sam/README.md": {
        "samcli/lib/generated_sample_events/events/s3/S3Put.json": "a path in aws-sam-cli's repository",
    },
};

function markdownFiles(folder: string): string[] {
    const found: string[] = [];
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
        if (SKIP_FOLDERS.has(entry.name)) continue;
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) found.push(...markdownFiles(full));
        else if (entry.isFile() && entry.name.endsWith(".md")) found.push(full);
    }
    return found;
}

/** Backticked names that look like a path to a .ts, .md or .json file: no spaces, no placeholder or glob. */
function namedPaths(text: string): string[] {
    const names = new Set<string>();
    for (const [, name] of text.matchAll(/`([^`\s]+)`/g)) {
        if (!/[A-Za-z0-9_-]\.(ts|md|json)$/.test(name)) continue;
        if (/[<>*…{}$]|^[a-z]+:\/\//.test(name)) continue;
        if (/^\.[a-z.]+$/.test(name)) continue; // an extension (`.d.ts`), not a file
        names.add(name);
    }
    return [...names];
}

describe("paths named in the docs", () => {
    const files = markdownFiles(ROOT);

    it("finds the docs to check", () => {
        const names = files.map((f) => path.relative(ROOT, f));
        for (const expected of ["README.md", "ARCHITECTURE.md", "builder/DESIGN.md", "docs/BENCHMARKS.md"]) {
            assert.ok(names.includes(expected), `${expected} is checked`);
        }
    });

    it("exist, relative to the Markdown file or to the repository's root", () => {
        const missing: string[] = [];
        for (const file of files) {
            const doc = path.relative(ROOT, file).split(path.sep).join("/");
            const allowed = NOT_PATHS[doc] ?? {};
            for (const name of namedPaths(fs.readFileSync(file, "utf8"))) {
                if (name in allowed) continue;
                const places = [path.join(path.dirname(file), name), path.join(ROOT, name)];
                if (!places.some((p) => fs.existsSync(p))) missing.push(`${doc}: \`${name}\``);
            }
        }
        assert.deepEqual(missing, [], `paths named in the docs that do not exist (fix the doc, or add a genuine non-path to NOT_PATHS):\n${missing.join("\n")}`);
    });

    it("allows only names the docs still use", () => {
        const unused: string[] = [];
        for (const [doc, names] of Object.entries(NOT_PATHS)) {
            const text = fs.readFileSync(path.join(ROOT, doc), "utf8");
            for (const name of Object.keys(names)) if (!text.includes(`\`${name}\``)) unused.push(`${doc}: ${name}`);
        }
        assert.deepEqual(unused, []);
    });

    it("sees a path that does not exist", () => {
        assert.deepEqual(namedPaths("see `builder/gone.ts`, `a b.ts`, `x/<key>.json`, `*.test.ts` `pkg.tests` and `.d.ts`"), ["builder/gone.ts"]);
    });
});
