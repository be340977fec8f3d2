// Where a function's dependencies are declared: found from the source folder
// upwards as Python's tools look for their project files, never above the
// repository; refused in one paragraph when declared twice, in a form the
// build does not read, or without the lock that pins them.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { detectDependencies } from "../../builder/install/detect";

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

    it("says why there is nothing to install", () => {
        const found = detect(project({ "pyproject.toml": "[tool.black]\nline-length = 100\n", "app.py": "" }));
        assert.match((found as { note: string }).note, /pyproject\.toml declares no dependencies$/);
    });
});
