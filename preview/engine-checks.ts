// What the Pulumi engine refuses in a program that the SDK's mock monitor
// lets through, so that the offline preview fails where `pulumi preview`
// fails: two resources with the same URN, and a FileAsset or FileArchive
// whose path does not exist (the engine hashes every asset before it asks the
// provider, and stops on one it cannot read).
import * as fs from "fs";
import * as path from "path";
import { RecordedResource } from "./records";
import { pathAssets } from "./wire";

/** The engine's errors for these registrations, each one paragraph naming the resource and where it was made. */
export function checkAsTheEngineDoes(resources: RecordedResource[], programDir: string): string[] {
    return [...duplicateUrns(resources), ...missingAssets(resources, programDir)];
}

/** The URN as the engine writes it: a resource whose parent is the stack has no parent type in it (the SDK's mock monitor adds the stack's). */
const engineUrn = (urn: string) => urn.replace("::pulumi:pulumi:Stack$", "::");

const where = (r: RecordedResource) => (r.origin ? ` (${r.origin})` : "");

function duplicateUrns(resources: RecordedResource[]): string[] {
    const seen = new Map<string, RecordedResource>();
    const out: string[] = [];
    for (const r of resources) {
        const first = seen.get(r.urn);
        if (!first) seen.set(r.urn, r);
        else
            out.push(
                `Duplicate resource URN '${engineUrn(r.urn)}'; try giving it a unique name: ${r.type} "${r.name}" is registered twice${first.origin && r.origin ? ` (${first.origin} and ${r.origin})` : where(r)}. Pulumi identifies a resource by its type, name and parent, so \`pulumi preview\` stops here too.`,
            );
    }
    return out;
}

function missingAssets(resources: RecordedResource[], programDir: string): string[] {
    const out: string[] = [];
    for (const r of resources) {
        for (const a of pathAssets(r.wire)) {
            // The engine resolves a relative path against the program's folder (its working directory).
            const full = path.resolve(programDir, a.path);
            if (fs.existsSync(full)) continue;
            const kind = a.kind === "archive" ? "FileArchive" : "FileAsset";
            out.push(
                `${r.type} "${r.name}"${where(r)}: its ${a.property} is a ${kind} of ${a.path}, which does not exist (${full}). \`pulumi preview\` fails on it too ("couldn't read ${a.kind} path"). If a build step makes it (npm run build, a bundler, a zip script), run that first; otherwise fix the path (relative paths are from the program's folder, ${programDir}).`,
            );
        }
    }
    return out;
}
