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
    let facts: ArchiveFacts;
    try {
        facts = gatherFacts(src);
        facts.label = label;
    } finally {
        src.close();
    }
    // The directory stays parsed for the rules that read files (the handler,
    // partial-boto3's scan of the function's modules); each read opens the zip
    // for its duration only, so an inspection kept in a cache holds no descriptor.
    const read = textReader(src);
    return {
        facts,
        readText: (name, max) => {
            try {
                return read(name, max);
            } finally {
                src.close();
            }
        },
    };
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
