// The dependency groups and extras a build installs besides a project's
// main dependencies (--group, --extra; the components' `groups`, `extras`).
import { UserError } from "../../../shared/errors";
import { normalizeName } from "../requirements";

export interface Selection {
    groups: string[];
    extras: string[];
}

/** Refuses groups or extras the project does not define: a misspelt name must not build without its packages. */
export function checkChosen(what: "group" | "extra", chosen: string[], known: string[], file: string, fix: string): void {
    const knownSet = new Set(known.map(normalizeName));
    const unknown = chosen.filter((c) => !knownSet.has(normalizeName(c)));
    if (!unknown.length) return;
    const list = [...knownSet].sort();
    throw new UserError(`${file} defines no ${what} ${unknown.map((u) => `"${u}"`).join(", ")}. ${list.length ? `Its ${what}s: ${list.join(", ")}.` : `It defines no ${what}s.`} ${fix}`);
}
