// lambda-no-pycache: no __pycache__ folders or .pyc files. Bytecode built on
// another machine or Python may not match Lambda's, and it only adds size.
import { ArchiveFacts } from "../inspect/facts";
import { listSome } from "./format";
import { finding, Finding } from "./types";

export function checkNoPycache(facts: ArchiveFacts): Finding[] {
    if (facts.pycacheCount === 0) return [];
    return [
        finding(
            "lambda-no-pycache",
            "mandatory",
            `${facts.label} contains ${facts.pycacheCount} bytecode cache entries (${listSome(facts.pycache)}). ` +
                `Bytecode compiled on the build machine may not match Lambda's Python; install with \`pip install --no-compile\` and leave out __pycache__ folders (lambda-python build does both).`,
        ),
    ];
}
