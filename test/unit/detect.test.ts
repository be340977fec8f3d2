// Where a function's dependencies are declared: found from the source folder
// upwards as Python's tools look for their project files, never above the
// repository; refused in one paragraph when declared twice, in a form the
// build does not read, or without the lock that pins them.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { detectDependencies, pyprojectSpec } from "../../builder/install/detect";

const FIXTURES = path.join(__dirname, "..", "fixtures", "projects");
const read = (rel: string) => fs.readFileSync(path.join(FIXTURES, rel), "utf8");
const none = { groups: [], extras: [] };

describe("dependency detection", () => {
    const made: string[] = [];
    after(() => {
        for (const d of made) fs.rmSync(d, { recursive: true, force: true });
    });
    const project = (files: Record<string, string>) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lp-detect-"));
        made.push(dir);
        for (const [rel, text] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
            fs.writeFileSync(path.join(dir, rel), text);
        }
        return dir;
    };
    const detect = (dir: string) => detectDependencies(dir, none);

    it("looks upwards for a project file, as the tools do, but not above the repository", () => {
        const repo = project({ ".git/HEAD": "", "pyproject.toml": read("poetry2/pyproject.toml"), "poetry.lock": read("poetry2/poetry.lock"), "functions/orders/app.py": "" });
        const found = detect(path.join(repo, "functions", "orders"));
        assert.equal(found.spec?.kind, "poetry-lock");
        const inner = project({ "repo/.git/HEAD": "", "repo/fn/app.py": "", "pyproject.toml": read("poetry2/pyproject.toml"), "poetry.lock": read("poetry2/poetry.lock") });
        const nothing = detect(path.join(inner, "repo", "fn"));
        assert.equal(nothing.spec, undefined);
        assert.match((nothing as { note: string }).note, /^no requirements\.txt, pyproject\.toml, Pipfile or lock file in .*fn or the folders above it up to .*repo$/);
    });

    it("refuses two declarations in one folder, naming both and how to choose", () => {
        const dir = project({ "requirements.txt": "six\n", "poetry.lock": read("poetry2/poetry.lock"), "pyproject.toml": read("poetry2/pyproject.toml") });
        assert.throws(() => detect(dir), /declares dependencies in several ways: requirements\.txt and poetry\.lock\. Say which one the function uses with --requirements FILE, --lock FILE/);
    });

    it("refuses declarations it does not read, and a Pipfile or Poetry dependencies without their lock", () => {
        assert.throws(() => detect(project({ "requirements.in": "six\n" })), /requirements\.in is pip-tools' input.*pip-compile requirements\.in/);
        assert.throws(() => detect(project({ "setup.py": "setup(install_requires=['six'])\n" })), /setup\.py declares install_requires/);
        assert.throws(() => detect(project({ Pipfile: read("pipenv/Pipfile") })), /Pipfile has no Pipfile\.lock beside it: run `pipenv lock`/);
        assert.throws(() => detect(project({ "pyproject.toml": read("poetry1/pyproject.toml") })), /declares dependencies in \[tool\.poetry\] \(six, exceptiongroup and colorama, …\), which only a poetry\.lock pins\. Run `poetry lock`/);
        assert.throws(() => detect(project({ "pyproject.toml": '[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n' })), /dynamic/);
    });

    it("finds a uv workspace member's lock at its workspace root, as uv does, and never resolves the member on its own", () => {
        const copy = (rel: string) => [rel, read(`uv-workspace/${rel}`)] as const;
        const repo = project(Object.fromEntries([".git/HEAD", "pyproject.toml", "uv.lock", "functions/orders/pyproject.toml", "libs/pricing/pyproject.toml"].map((r) => (r === ".git/HEAD" ? [r, ""] : copy(r)))));
        const member = path.join(repo, "functions", "orders");
        const found = detect(member);
        assert.equal(found.spec?.kind, "uv-lock");
        assert.deepEqual([found.spec?.file, (found.spec as { project?: string }).project], [path.join(repo, "uv.lock"), path.join(member, "pyproject.toml")]);
        // From a folder inside the member, and through --pyproject, the same.
        fs.mkdirSync(path.join(member, "handlers"));
        assert.equal(detect(path.join(member, "handlers")).spec?.file, path.join(repo, "uv.lock"));
        assert.equal(pyprojectSpec(path.join(member, "pyproject.toml"), none).file, path.join(repo, "uv.lock"));
        // A folder the workspace excludes is a project of its own (uv treats it so).
        fs.mkdirSync(path.join(repo, "functions", "retired"));
        fs.writeFileSync(path.join(repo, "functions", "retired", "pyproject.toml"), '[project]\nname = "retired"\nversion = "1"\ndependencies = ["six"]\n');
        assert.equal(detect(path.join(repo, "functions", "retired")).spec?.kind, "pyproject");
        // A member of a workspace that was never locked is refused: resolved alone, its siblings would be looked up on the index.
        fs.rmSync(path.join(repo, "uv.lock"));
        assert.throws(() => detect(member), /functions\/orders is a member of the uv workspace of .*pyproject\.toml, which has no uv\.lock: run `uv lock` in .* and build again/);
    });

    it("says why there is nothing to install", () => {
        const found = detect(project({ "pyproject.toml": "[tool.black]\nline-length = 100\n", "app.py": "" }));
        assert.match((found as { note: string }).note, /pyproject\.toml declares no dependencies$/);
    });
});
