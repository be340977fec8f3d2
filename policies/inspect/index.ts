// Inspecting an archive given by path: a .zip file or a folder. An archive
// that cannot be parsed at all still yields facts, whose `problems` say why,
// so every caller reports damage as a finding instead of crashing.
import * as fs from "fs";
import { ZipFormatError } from "../zip/reader";
import { ArchiveFacts, emptyFacts, gatherFacts, InspectedArchive, inspectSource, textReader } from "./facts";
import { folderSource, zipFileSource } from "./source";

export * from "./facts";

/** Inspects a .zip or a folder. Throws only for filesystem errors (a missing file …). */
export function inspectPath(p: string, label = p): InspectedArchive {
    const st = fs.statSync(p);
    if (st.isDirectory()) {
        const inspected = inspectSource(folderSource(p));
        inspected.facts.label = label;
        return inspected;
    }
    let src;
    try {
        src = zipFileSource(p);
    } catch (e) {
        if (e instanceof ZipFormatError) return { facts: damagedFacts(label, st.size, e.message), readText: () => undefined };
        throw e;
    }
    try {
        const facts = gatherFacts(src);
        facts.label = label;
        // Keep no file open: the few rules that read a file reopen the zip.
        return { facts, readText: (name, max) => readZipText(p, name, max) };
    } finally {
        src.close();
    }
}

export function readZipText(zipPath: string, name: string, maxBytes?: number): string | undefined {
    const src = zipFileSource(zipPath);
    try {
        return textReader(src)(name, maxBytes);
    } finally {
        src.close();
    }
}

export function damagedFacts(label: string, zippedBytes: number, problem: string): ArchiveFacts {
    const facts = emptyFacts("zip", label, zippedBytes);
    facts.problems.push(problem);
    return facts;
}
