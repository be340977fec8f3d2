// The README's usage section of each command says what `lambda-python
// <command> --help` says: the same synopsis, and the same options (each
// option of the help named in the section, and each of the command's options
// the section names offered by the help). Runs the CLI's sources as they are
// on disk.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./helpers";

const COMMANDS = ["build", "inspect", "preview", "invoke", "serve", "setup", "event"];

/**
 * Flags a section quotes that are not the command's own, so not in its --help: other tools' (pip's
 * and uv's options the builder passes or reads, lock commands', the Pulumi CLI's) and other commands'.
 */
const ELSEWHERE: Record<string, Record<string, string>> = {
    build: {
        "--platform": "pip",
        "--only-binary": "pip",
        "--no-compile": "pip",
        "--python-platform": "uv",
        "--index-url": "pip/uv (through --installer-arg or a requirements file)",
        "--extra-index-url": "pip/uv",
        "--find-links": "pip/uv",
        "--no-index": "pip/uv",
        "--trusted-host": "pip",
        "--require-hashes": "pip",
        "--no-update": "poetry lock",
        "--locked": "uv",
        "--deploy": "pipenv",
        "--format": "uv export",
        "--package": "uv init",
        "--strip-unneeded": "strip (what --slim runs on shared objects)",
    },
    inspect: { "--layer": "invoke and serve", "--slim": "lambda-python build" },
    preview: { "--policy-pack": "pulumi preview", "--policy-pack-config": "pulumi preview" },
    invoke: { "--invoke": "preview", "--out": "lambda-python build", "--bytecode": "lambda-python build" },
    serve: { "--out": "lambda-python build" },
    event: { "--event": "invoke", "--invoke": "preview", "--api": "serve" },
};

function section(readme: string, command: string): string {
    const start = readme.indexOf(`\n## \`lambda-python ${command}\``);
    assert.ok(start >= 0, `the README has a section "## \`lambda-python ${command}\`"`);
    const end = readme.indexOf("\n## ", start + 1);
    return readme.slice(start, end < 0 ? undefined : end);
}

const flags = (text: string) => new Set(text.match(/--[a-z][a-z0-9-]*/g) ?? []);
const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

describe("the README's usage section of each command agrees with its --help", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    for (const command of COMMANDS) {
        describe(command, () => {
            let help: string;
            let usage: string;
            let options: Set<string>;
            let documented: string;
            before(() => {
                const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "cli", "main.ts"), command, "--help"], { cwd: ROOT, encoding: "utf8" });
                assert.equal(r.status, 0, r.stderr);
                help = r.stdout;
                usage = help.split("\n")[0];
                // The help's option list: lines that start with an option.
                options = new Set([...help.matchAll(/^ {2,}(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]));
                documented = section(readme, command);
            });

            it("shows the help's synopsis as its own", () => {
                assert.match(usage, new RegExp(`^lambda-python ${command}\\b`));
                const block = /```\n([\s\S]*?)\n```/.exec(documented)?.[1] ?? "";
                assert.equal(block.replace(/\s+/g, " ").trim(), usage, "the README's synopsis (its first code block) is the first line of --help");
            });

            it("names every option of the help", () => {
                assert.ok(options.size > 0, "the help lists options");
                assert.deepEqual(minus(options, flags(documented)), [], "options the README section does not mention");
            });

            it("names no option of the command that the help does not offer", () => {
                const others = new Set(Object.keys(ELSEWHERE[command] ?? {}));
                assert.deepEqual(minus(new Set(minus(flags(documented), others)), options), [], "flags in the README section that --help does not list (another tool's or command's: add it to ELSEWHERE)");
            });

            it("has a synopsis that offers only the help's options, and all of them unless it says [option]...", () => {
                const inSynopsis = flags(usage);
                assert.deepEqual(minus(inSynopsis, options), [], "synopsis flags the option list lacks");
                if (!usage.includes("[option]...")) assert.deepEqual(minus(options, inSynopsis), [], "options the synopsis leaves out (list them, or end it with [option]...)");
            });
        });
    }
});
