// Reading Python projects' locks without their tools: the content hashes
// Poetry, Pipenv and PDM write (checked against locks the tools wrote,
// test/fixtures/projects), which packages a target and a choice of groups and
// extras get, and the pinned, hash-checked requirements they become.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { lambdaTarget, LambdaTarget } from "../../policies/target";
import { readPoetryLock } from "../../builder/install/locks/poetry";
import { readPipfileLock } from "../../builder/install/locks/pipenv";
import { readPdmLock } from "../../builder/install/locks/pdm";
import { readPylock } from "../../builder/install/locks/pylock";
import { LockReading, pinnedInstall } from "../../builder/install/locks/locked";
import { wheelRank } from "../../builder/install/wheel-rank";
import { Selection } from "../../builder/install/locks/selection";
import { planInstall } from "../../builder/install/locks/plan";
import { UserError } from "../../shared/errors";

const FIXTURES = path.join(__dirname, "..", "fixtures", "projects");
const py310 = lambdaTarget("python3.10", "x86_64");
const py311 = lambdaTarget("python3.11", "x86_64");
const py313arm = lambdaTarget("python3.13", "arm64");

const read = (rel: string) => fs.readFileSync(path.join(FIXTURES, rel), "utf8");
const names = (r: LockReading) => r.packages.map((p) => `${p.name}==${p.version}`).sort();
const none: Selection = { groups: [], extras: [] };

describe("Python project locks", () => {
    describe("Poetry", () => {
        for (const [folder, lockVersion] of [
            ["poetry2", "2.1 (groups and markers per package)"],
            ["poetry1", "2.0 (walked from [tool.poetry.dependencies])"],
        ]) {
            const lock = path.join(FIXTURES, folder, "poetry.lock");
            const pyproject = path.join(FIXTURES, folder, "pyproject.toml");
            const reading = (target: LambdaTarget, chosen = none, pyprojectText = read(`${folder}/pyproject.toml`)) => readPoetryLock(lock, read(`${folder}/poetry.lock`), pyproject, pyprojectText, target, chosen);

            it(`lock ${lockVersion}: main dependencies with their markers judged for the target, no dev group`, () => {
                assert.deepEqual(names(reading(py311)), ["six==1.17.0"]);
                assert.deepEqual(names(reading(py310)), ["exceptiongroup==1.3.2", "six==1.17.0", "typing-extensions==4.16.0"]);
            });

            it(`lock ${lockVersion}: a chosen group and extra come in`, () => {
                assert.deepEqual(names(reading(py311, { groups: ["dev"], extras: ["color"] })), ["colorama==0.4.6", "iniconfig==2.1.0", "six==1.17.0"]);
            });

            it(`lock ${lockVersion}: a dependency changed in pyproject.toml makes the lock out of date`, () => {
                const edited = read(`${folder}/pyproject.toml`).replace(/six[^\n]*1\.16[^\n]*/, (line) => line.replace("1.16", "1.15"));
                assert.notEqual(edited, read(`${folder}/pyproject.toml`));
                assert.throws(
                    () => reading(py311, none, edited),
                    (e: Error) => e instanceof UserError && /poetry\.lock is out of date: .*Run `poetry lock`/.test(e.message),
                );
                // Other tables are not part of Poetry's hash.
                assert.doesNotThrow(() => reading(py311, none, `${read(`${folder}/pyproject.toml`)}\n[tool.black]\nline-length = 100\n`));
            });

            it(`lock ${lockVersion}: names the groups and extras there are when asked for another`, () => {
                assert.throws(() => reading(py311, { groups: ["test"], extras: [] }), /defines no group "test"\. Its groups: dev, main\./);
                assert.throws(() => reading(py311, { groups: [], extras: ["colour"] }), /defines no extra "colour"\. Its extras: color\./);
            });
        }

        it("PEP 735 [dependency-groups]: in the content hash since Poetry 2.3, as Poetry checks it, and chosen as groups", () => {
            const groups = (folder: string, pyprojectText = read(`${folder}/pyproject.toml`), chosen = none) =>
                readPoetryLock(path.join(FIXTURES, folder, "poetry.lock"), read(`${folder}/poetry.lock`), path.join(FIXTURES, folder, "pyproject.toml"), pyprojectText, py311, chosen);
            // Poetry 2.5.1 hashes them; Poetry 2.2.1 (the comment in the lock's first line says which) did not.
            for (const folder of ["poetry2-groups", "poetry22-groups"]) {
                assert.deepEqual(names(groups(folder)), ["six==1.17.0"], folder);
                assert.deepEqual(names(groups(folder, undefined, { groups: ["color"], extras: [] })), ["colorama==0.4.6", "six==1.17.0"], folder);
            }
            const edited = read("poetry2-groups/pyproject.toml").replace('color = ["colorama>=0.4"]', 'color = ["colorama>=0.4.6"]');
            assert.throws(() => groups("poetry2-groups", edited), /poetry\.lock is out of date/);
        });

        it("turns the lock into pinned requirements that check every hash the lock records", () => {
            const lock = path.join(FIXTURES, "poetry2", "poetry.lock");
            const pinned = pinnedInstall(readPoetryLock(lock, read("poetry2/poetry.lock"), path.join(FIXTURES, "poetry2", "pyproject.toml"), read("poetry2/pyproject.toml"), py311, none), py311);
            const lockHashes = [...read("poetry2/poetry.lock").matchAll(/name = "six"[\s\S]*?files = \[([\s\S]*?)\]/g)][0][1].match(/sha256:[0-9a-f]{64}/g)!;
            assert.equal(
                pinned.requirements,
                `--require-hashes\nsix==1.17.0${lockHashes
                    .sort()
                    .map((h) => ` --hash=${h}`)
                    .join("")}\n`,
            );
        });
    });

    it("refuses before any download a locked version with no wheel for the target, naming the lock and its source distribution", () => {
        // uvloop 0.21.0 publishes wheels up to CPython 3.13: python3.14 would get only its sdist, which has C in it.
        const dir = path.join(FIXTURES, "poetry2-no-wheel");
        const pinned = (target: LambdaTarget) => pinnedInstall(readPoetryLock(path.join(dir, "poetry.lock"), read("poetry2-no-wheel/poetry.lock"), path.join(dir, "pyproject.toml"), read("poetry2-no-wheel/pyproject.toml"), target, none), target);
        assert.match(pinned(lambdaTarget("python3.13", "arm64")).requirements, /^uvloop==0\.21\.0 --hash/m);
        assert.throws(
            () => pinned(lambdaTarget("python3.14", "x86_64")),
            (e: Error) =>
                e instanceof UserError &&
                /poetry\.lock lists no wheel of uvloop 0\.21\.0 for python3\.14 x86_64: only \d+ wheels for other targets \(e\.g\. uvloop-0\.21\.0-\S+\.whl: .*\) and its source distribution uvloop-0\.21\.0\.tar\.gz, which would have to be compiled here\..*Lock a version of uvloop that publishes a wheel for CPython 3\.14 on x86_64 Linux with glibc 2\.34 or older/.test(
                    e.message,
                ),
        );
    });

    it("takes a package's index from the lock: a project whose packages all come from its own source asks only that one", () => {
        const lock = path.join(FIXTURES, "poetry2-source", "poetry.lock");
        const reading = readPoetryLock(lock, read("poetry2-source/poetry.lock"), path.join(FIXTURES, "poetry2-source", "pyproject.toml"), read("poetry2-source/pyproject.toml"), py311, none);
        const pinned = pinnedInstall(reading, py311);
        const hashes = read("poetry2-source/poetry.lock")
            .match(/sha256:[0-9a-f]{64}/g)!
            .sort();
        assert.equal(pinned.requirements, `--index-url https://pypi.org/simple\n--require-hashes\nsix==1.17.0${hashes.map((h) => ` --hash=${h}`).join("")}\n`);
    });

    describe("Pipenv", () => {
        const lock = path.join(FIXTURES, "pipenv", "Pipfile.lock");
        const pipfile = path.join(FIXTURES, "pipenv", "Pipfile");
        const reading = (target: LambdaTarget, chosen = none, pipfileText = read("pipenv/Pipfile")) => readPipfileLock(lock, read("pipenv/Pipfile.lock"), pipfile, pipfileText, target, chosen);

        it("installs the default category for the Python the lock was made with; develop only when asked", () => {
            assert.deepEqual(names(reading(py311)), ["six==1.17.0"]);
            assert.deepEqual(names(reading(py311, { groups: ["develop"], extras: [] })), ["iniconfig==2.3.1", "six==1.17.0"]);
            assert.deepEqual(names(reading(py311, { groups: ["dev-packages"], extras: [] })), ["iniconfig==2.3.1", "six==1.17.0"]);
        });

        it("refuses another runtime than the lock's Python, as pipenv install --deploy does", () => {
            assert.throws(() => reading(py310), /made for Python 3\.11 \(\[requires\] in the Pipfile\), and the function's runtime is python3\.10/);
        });

        it("refuses a Pipfile edited since the lock", () => {
            assert.throws(() => reading(py311, none, read("pipenv/Pipfile").replace('six = ">=1.16"', 'six = ">=1.17"')), /Pipfile\.lock is out of date: .*Run `pipenv lock`/);
            // Pipenv 2024+ hashes package names in their PEP 503 form: a change of case is not a change.
            assert.doesNotThrow(() => reading(py311, none, read("pipenv/Pipfile").replace("six =", "Six =")));
        });

        it("leaves out a package the lock leaves unpinned when the Pipfile's marker keys (sys_platform = \"== 'win32'\") do not hold on the target", () => {
            // Pipenv 2026.10.3 writes pywin32 as {"version": "==>=306"}, without the marker its Pipfile entry gives.
            const dir = path.join(FIXTURES, "pipenv-platform");
            const platform = (target: LambdaTarget) => readPipfileLock(path.join(dir, "Pipfile.lock"), read("pipenv-platform/Pipfile.lock"), path.join(dir, "Pipfile"), read("pipenv-platform/Pipfile"), target, none);
            const x86 = platform(py311);
            assert.deepEqual(names(x86), ["six==1.17.0", "uvloop==0.23.0"]);
            assert.match(x86.notes.join("\n"), /pywin32 is left out: Pipfile\.lock does not pin it, and its marker in the Pipfile \(sys_platform == 'win32'\) does not hold on python3\.11 x86_64/);
            assert.deepEqual(names(platform(lambdaTarget("python3.11", "arm64"))), ["six==1.17.0"], "uvloop's platform_machine does not hold on arm64");
        });

        it("refuses a package the lock leaves unpinned when the target needs it", () => {
            const for310 = read("pipenv/Pipfile.lock").replace('"python_version": "3.11"', '"python_version": "3.10"');
            assert.throws(() => readPipfileLock(lock, for310, undefined, undefined, py310, none), /does not pin exceptiongroup \(version "\*"\), which python3\.10 needs by its marker "python_version < '3\.11'".*pipenv lock` with Python 3\.10/);
        });
    });

    describe("PDM", () => {
        const lock = path.join(FIXTURES, "pdm", "pdm.lock");
        const pyproject = path.join(FIXTURES, "pdm", "pyproject.toml");
        const reading = (target: LambdaTarget, chosen = none, text = read("pdm/pyproject.toml")) => readPdmLock(lock, read("pdm/pdm.lock"), pyproject, text, target, chosen);

        it("takes the default group with markers judged for the target; groups and extras when asked", () => {
            assert.deepEqual(names(reading(py311)), ["six==1.17.0"]);
            assert.deepEqual(names(reading(py310)), ["exceptiongroup==1.3.2", "six==1.17.0", "typing-extensions==4.16.0"]);
            assert.deepEqual(names(reading(py311, { groups: ["dev"], extras: ["color"] })), ["colorama==0.4.6", "iniconfig==2.1.0", "six==1.17.0"]);
        });

        it("refuses a lock made for other platforms (`pdm lock --platform`): its markers were judged for those only", () => {
            // Locked for manylinux_2_17_x86_64 and Python 3.13: colorama (aarch64 only) is not in it at all.
            const dir = path.join(FIXTURES, "pdm-platform");
            const platform = (target: LambdaTarget) => readPdmLock(path.join(dir, "pdm.lock"), read("pdm-platform/pdm.lock"), path.join(dir, "pyproject.toml"), read("pdm-platform/pyproject.toml"), target, none);
            assert.deepEqual(names(platform(lambdaTarget("python3.13", "x86_64"))), ["six==1.17.0"]);
            assert.throws(
                () => platform(py313arm),
                (e: Error) =>
                    e instanceof UserError &&
                    /pdm\.lock was locked for Python ==3\.13\.\* on manylinux_2_17_x86_64, and python3\.13 arm64 is not among its targets.*pdm lock --append --platform manylinux_2_17_aarch64 --python "==3\.13\.\*"/.test(e.message),
            );
            assert.throws(() => platform(lambdaTarget("python3.12", "x86_64")), /was made for Python ==3\.13\.\*, which python3\.12 is not/);
        });

        it("refuses a pyproject.toml edited since the lock, and a group the lock lacks", () => {
            assert.throws(() => reading(py311, none, read("pdm/pyproject.toml").replace("six>=1.16", "six>=1.15")), /pdm\.lock is out of date: .*Run `pdm lock`/);
            assert.throws(() => reading(py311, { groups: ["docs"], extras: [] }), /defines no group "docs".*pdm lock -G name/);
        });
    });

    describe("a pyproject.toml without a lock", () => {
        it("refuses [tool.uv.sources], which only uv's lock applies: resolved without it, a local or private package is looked up on PyPI by name", async () => {
            const file = path.join(FIXTURES, "no-such-folder", "pyproject.toml");
            const text = '[project]\nname = "fn"\nversion = "0.1.0"\ndependencies = ["shared", "six"]\n\n[tool.uv.sources]\nshared = { path = "../libs/shared" }\n';
            await assert.rejects(
                planInstall({ kind: "pyproject", file, groups: [], extras: [] }, { [file]: text }, py311, FIXTURES, undefined),
                (e: Error) => e instanceof UserError && /pyproject\.toml gives shared its source in \[tool\.uv\.sources\], which only uv applies, through a uv\.lock: .*Run `uv lock` beside it/.test(e.message),
            );
            const plain = await planInstall({ kind: "pyproject", file, groups: [], extras: [] }, { [file]: text.replace(/\[tool\.uv\.sources\][\s\S]*/, "") }, py311, FIXTURES, undefined);
            assert.equal(plain.requirements, "shared\nsix\n");
        });
    });

    describe("pylock.toml (PEP 751)", () => {
        it("installs each package from the file the lock names, the target's best wheel, checked against its hash", () => {
            const lock = path.join(FIXTURES, "pylock-uv", "pylock.toml");
            const pinned = pinnedInstall(readPylock(lock, read("pylock-uv/pylock.toml"), py313arm, none), py313arm);
            const orjson = pinned.requirements.split("\n").find((l) => l.startsWith("orjson @ "))!;
            assert.match(orjson, /^orjson @ https:\/\/files\.pythonhosted\.org\/\S+\/orjson-3\.10\.18-cp313-cp313-manylinux_2_17_aarch64\.manylinux2014_aarch64\.whl --hash=sha256:[0-9a-f]{64}$/);
            assert.ok(!pinned.requirements.includes("exceptiongroup"), "its marker does not hold on python3.13");
            assert.ok(pinned.requirements.startsWith("--require-hashes\n"));
        });

        it("refuses a lock whose files are another machine's, naming what it has", () => {
            const lock = path.join(FIXTURES, "pylock-pip", "pylock.toml");
            assert.throws(
                () => pinnedInstall(readPylock(lock, read("pylock-pip/pylock.toml"), py313arm, none), py313arm),
                /lists no file of orjson 3\.10\.18 that installs on python3\.13 arm64: only its wheel \(orjson-3\.10\.18-cp311-cp311-manylinux_2_17_x86_64\.manylinux2014_x86_64\.whl: .*for CPython 3\.11, the runtime is 3\.13\)/,
            );
            assert.doesNotThrow(() => pinnedInstall(readPylock(lock, read("pylock-pip/pylock.toml"), py311, none), py311));
        });

        it("ranks wheels as pip prefers them: this CPython's ABI, then abi3, then pure", () => {
            const t = lambdaTarget("python3.12", "x86_64");
            const ranks = ["x-1-cp312-cp312-manylinux_2_17_x86_64.whl", "x-1-cp39-abi3-manylinux_2_17_x86_64.whl", "x-1-py3-none-any.whl"].map((f) => wheelRank(f, t)!);
            assert.ok(ranks[0] < ranks[1] && ranks[1] < ranks[2], String(ranks));
            assert.equal(wheelRank("x-1-cp312-cp312-manylinux_2_35_x86_64.whl", t), undefined, "needs a newer glibc than AL2023's");
        });
    });
});
