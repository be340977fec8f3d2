// lambda-zip-entry-safety: entries Lambda would extract wrongly or not at
// all (absolute or ".." paths, unreadable modes, encryption, exotic
// compression), and archives that are corrupt or built as zip bombs.
import { ArchiveFacts } from "../inspect/facts";
import { finding, Finding } from "./types";

export function checkEntrySafety(facts: ArchiveFacts): Finding[] {
    const out: Finding[] = [];
    if (facts.problems.length) {
        out.push(finding("lambda-zip-entry-safety", "mandatory", `${facts.label} is damaged or malicious: ${facts.problems.slice(0, 3).join("; ")}${facts.problems.length > 3 ? ` (and ${facts.problems.length - 3} more)` : ""}. Rebuild the archive.`));
    }
    if (facts.unsafe.length) {
        const shown = facts.unsafe.slice(0, 5).map((u) => `${u.name} ${u.reason}`);
        out.push(finding("lambda-zip-entry-safety", "mandatory", `${facts.label} has entries Lambda cannot use safely: ${shown.join("; ")}${facts.unsafe.length > 5 ? ` (and ${facts.unsafe.length - 5} more)` : ""}.`));
    }
    return out;
}
