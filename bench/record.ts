// Writes one benchmark's section of docs/BENCHMARKS.md, leaving the others.
import * as fs from "fs";
import * as path from "path";

const FILE = path.join(__dirname, "..", "docs", "BENCHMARKS.md");
const HEADER = `# Benchmarks

Written by \`npm run bench\` (bench/). Each section compares figures measured
in the same run; tests never assert on time. Re-run after touching the archive
pipeline or the policy readers.
`;

export function recordSection(id: string, title: string, command: string, body: string): void {
    const text = fs.existsSync(FILE) ? fs.readFileSync(FILE, "utf8") : HEADER;
    const start = `<!-- bench:${id} -->`;
    const end = `<!-- /bench:${id} -->`;
    const section = `${start}\n## ${title}\n\nCommand: \`${command}\` — run on ${new Date().toISOString().slice(0, 10)}.\n\n${body}\n${end}`;
    const re = new RegExp(`${start}[\\s\\S]*?${end}`);
    const next = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
    fs.mkdirSync(path.dirname(FILE), { recursive: true });
    fs.writeFileSync(FILE, next);
}
