// The build's checks: the shared rules (policies/rules) run on the finished archive, which of their
// findings stop the build, and Lambda's unzipped limit judged from file sizes before anything is compressed.
import { ArchiveFacts, readZipText } from "../policies/inspect";
import { checkArchive, Finding } from "../policies/rules";
import { configFor } from "../policies/rules/config";
import { formatBytes } from "../policies/rules/format";
import { PolicyName } from "../policies/rules/types";
import { checkUnzippedSize } from "../policies/rules/unzipped-size";
import { UserError } from "../shared/errors";
import { ResolvedOptions } from "./options";

/** Findings that make a build fail. Size over 50 MB has the S3 route; runtime dates are the deployer's call. */
const NOT_BLOCKING: PolicyName[] = ["lambda-zip-size", "lambda-runtime-deprecation"];

/** Whether a finding stops the build (what the build's summary calls an error). */
export function blocksBuild(f: Finding): boolean {
    return f.level === "mandatory" && !NOT_BLOCKING.includes(f.policy);
}

export class BuildCheckError extends UserError {
    constructor(
        readonly findings: Finding[],
        label: string,
    ) {
        super(`${label} failed its checks:\n${findings.map((f) => `  [${f.policy}] ${f.message}`).join("\n")}`);
    }
}

function runChecks(options: ResolvedOptions, archive: { facts: ArchiveFacts; readText: (name: string, max?: number) => string | undefined }): Finding[] {
    return checkArchive(archive, {
        kind: options.kind,
        runtimes: [options.target.runtime],
        architectures: [options.target.architecture],
        handler: options.kind === "function" ? options.handler : undefined,
        hasLayers: options.hasLayers,
        config: options.checks,
    });
}

/** The shared rules on the finished archive: their findings, or the build's failure when one of them stops it. */
export function checkBuiltArchive(options: ResolvedOptions, facts: ArchiveFacts, zipPath: string): Finding[] {
    const findings = runChecks(options, { facts, readText: (name, max) => readZipText(zipPath, name, max) });
    const blocking = findings.filter(blocksBuild);
    if (blocking.length) throw new BuildCheckError(blocking, `the ${options.kind} archive of ${options.source ?? "dependencies"} (${options.target.runtime}, ${options.target.architecture})`);
    return findings;
}

/**
 * Lambda's unzipped limit, judged from the files' sizes before any of them is
 * compressed: a file bigger than the limit by itself is named, and a total over
 * it is the lambda-unzipped-size finding the checks would report after writing.
 */
export function checkSizesBeforeCompressing(options: ResolvedOptions, files: { name: string; size: number; shown: string }[]): void {
    const config = configFor("lambda-unzipped-size", options.checks);
    const subject = `the ${options.kind} archive of ${options.source ?? "dependencies"} (${options.target.runtime}, ${options.target.architecture})`;
    const biggest = files.reduce<{ name: string; size: number; shown: string } | undefined>((a, f) => (!a || f.size > a.size ? f : a), undefined);
    if (biggest && biggest.size > config.maxUnzippedBytes) {
        const message =
            `${biggest.shown} is ${formatBytes(biggest.size)}, more than Lambda's limit of ${formatBytes(config.maxUnzippedBytes)} for a function and all its layers, unzipped; ` +
            `it was not compressed. Leave it out (--exclude), fetch it at run time (S3, EFS), or deploy a container image.`;
        throw new BuildCheckError([{ policy: "lambda-unzipped-size", level: "mandatory", message }], subject);
    }
    const total = files.reduce((sum, f) => sum + f.size, 0);
    const blocking = checkUnzippedSize(subject, [{ label: subject, bytes: total }], config).filter((f) => f.level === "mandatory");
    if (blocking.length) throw new BuildCheckError(blocking, subject);
}
