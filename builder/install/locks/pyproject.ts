// What a pyproject.toml declares: its dependencies in each tool's dialect
// (PEP 621 `[project]`, PEP 735 `[dependency-groups]`, Poetry's
// `[tool.poetry]`, PDM's `[tool.pdm]`), the groups and extras a build may
// choose, and whether the project is itself a package that its build backend
// installs (so a handler such as `myapp.handler.lambda_handler` imports).
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../../../shared/errors";
import { normalizeName } from "../requirements";
import type { ProjectSpec } from "./project-spec";
import { parseToml, readText, str, strings, table, TomlTable } from "./toml";

export function readPyproject(file: string): { text: string; data: TomlTable } {
    const text = readText(file, "project file");
    return { text, data: parseToml(text, file, "project file") };
}

/** Poetry's own dependency tables, other than the Python version: what only a poetry.lock can pin. */
export function poetryDependencies(data: TomlTable): string[] {
    const poetry = table(data, "tool", "poetry");
    const names = Object.keys(table(poetry, "dependencies")).filter((n) => n.toLowerCase() !== "python");
    for (const g of Object.values(table(poetry, "group"))) names.push(...Object.keys(table(g, "dependencies")));
    names.push(...Object.keys(table(poetry, "dev-dependencies")));
    return names;
}

/** Whether the file declares any dependency (in a form some lock or resolution could install). */
export function declaresDependencies(data: TomlTable): boolean {
    const project = table(data, "project");
    return (
        strings(project.dependencies).length > 0 ||
        Object.keys(table(project, "optional-dependencies")).length > 0 ||
        Object.keys(table(data, "dependency-groups")).length > 0 ||
        Object.keys(table(data, "tool", "pdm", "dev-dependencies")).length > 0 ||
        poetryDependencies(data).length > 0
    );
}

/** PEP 735 groups with `{include-group = "…"}` expanded: normalised name → requirement strings. */
export function dependencyGroups(data: TomlTable, file: string): Map<string, string[]> {
    const raw = table(data, "dependency-groups");
    const byName = new Map(Object.entries(raw).map(([k, v]) => [normalizeName(k), v]));
    const out = new Map<string, string[]>();
    const expand = (name: string, trail: string[]): string[] => {
        if (trail.includes(name)) throw new UserError(`[dependency-groups] in ${file} includes itself: ${[...trail, name].join(" → ")}. Remove the loop.`);
        const entries = byName.get(name);
        if (!Array.isArray(entries)) throw new UserError(`[dependency-groups] in ${file} includes "${name}", which it does not define.`);
        return entries.flatMap((e) => {
            if (typeof e === "string") return [e];
            const include = str(table(e)["include-group"]);
            return include ? expand(normalizeName(include), [...trail, name]) : [];
        });
    };
    for (const name of byName.keys()) out.set(name, expand(name, []));
    return out;
}

export type ProjectPackage = { install: true; folder: string } | { install: false; note?: string };

/**
 * Whether the project is a package its build backend would install, as each
 * tool decides: not when Poetry's `package-mode = false`, uv's
 * `package = false` or PDM's `distribution = false` say so; a Poetry project
 * whose package Poetry cannot find (no `packages`, no folder or module of the
 * project's name at the top or under src/) is skipped as `poetry install`
 * skips it, with a note; any other project with a `[build-system]` is
 * installed; one without is an application, not a package.
 */
export function projectPackage(pyproject: string, data: TomlTable): ProjectPackage {
    const folder = path.dirname(pyproject);
    const poetry = table(data, "tool", "poetry");
    if (poetry["package-mode"] === false || table(data, "tool", "uv").package === false || table(data, "tool", "pdm").distribution === false) return { install: false };
    const backend = str(table(data, "build-system")["build-backend"]);
    if (!backend) return { install: false };
    if (backend.startsWith("poetry.core") && !Array.isArray(poetry.packages)) {
        const name = str(table(data, "project").name) ?? str(poetry.name) ?? "";
        const module = name.replace(/[-.]/g, "_").toLowerCase();
        const found = [module, `${module}.py`, path.join("src", module), path.join("src", `${module}.py`)].some((p) => module && fs.existsSync(path.join(folder, p)));
        if (!found) {
            return {
                install: false,
                note: `the project ${name || folder} itself is not installed: Poetry finds no package for it (no ${module || "<name>"}/ or src/${module || "<name>"}/, and no \`packages\` in [tool.poetry]), as \`poetry install\` warns; set \`package-mode = false\` to say so, or \`packages\` to name its code`,
            };
        }
    }
    return { install: true, folder };
}

/** Extras a project defines: `[project.optional-dependencies]` and Poetry's `[tool.poetry.extras]`. */
export function projectExtras(data: TomlTable): string[] {
    return [...Object.keys(table(data, "project", "optional-dependencies")), ...Object.keys(table(data, "tool", "poetry", "extras"))].map(normalizeName);
}

export type OwnPackage = { folder?: string; note?: string };

/**
 * The project's own package, decided on every build (a folder appearing or
 * going changes it, and the dependencies' install does not depend on it):
 * for Poetry, PDM and PEP 621 projects, from the pyproject (projectPackage).
 * uv exports its project with the lock; Pipenv and PEP 751 locks have none.
 */
export function ownPackage(spec: ProjectSpec, texts: Record<string, string>): OwnPackage {
    const pyproject = spec.kind === "pyproject" ? spec.file : spec.kind === "poetry-lock" || spec.kind === "pdm-lock" ? spec.project : undefined;
    if (!pyproject) return {};
    const text = texts[pyproject] ?? readPyproject(pyproject).text;
    // Without a build backend the project is an application, not a package: no need to read the file.
    if (!/build-backend/.test(text)) return {};
    const decided = projectPackage(pyproject, parseToml(text, pyproject, "project file"));
    return decided.install ? { folder: decided.folder } : { note: decided.note };
}
