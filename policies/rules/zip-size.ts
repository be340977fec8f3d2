// lambda-zip-size: a code archive uploaded directly (not through S3) must be
// at most 50 MB zipped.
import limits from "../data/lambda-limits.json";
import { ArchiveFacts } from "../inspect/facts";
import { formatBytes } from "./format";
import { finding, Finding } from "./types";

export interface ZipSizeConfig {
    /** Largest zipped archive accepted for direct upload, in bytes. */
    maxZippedBytes: number;
}

export const zipSizeDefaults: ZipSizeConfig = { maxZippedBytes: limits.zippedDirectUploadBytes };

export const zipSizeSchema = {
    maxZippedBytes: { type: "integer", minimum: 1, default: limits.zippedDirectUploadBytes, description: "Largest zipped archive accepted for direct upload, in bytes (AWS: 50 MB)." },
};

export function checkZipSize(facts: ArchiveFacts, config: ZipSizeConfig = zipSizeDefaults): Finding[] {
    const limit = config.maxZippedBytes;
    if (facts.zippedBytes !== undefined) {
        if (facts.zippedBytes <= limit) return [];
        return [
            finding(
                "lambda-zip-size",
                "mandatory",
                `${facts.label} is ${formatBytes(facts.zippedBytes)} zipped, over the ${formatBytes(limit)} limit for direct upload. ` +
                    `Upload it to S3 and point the function at it with s3Bucket/s3Key (PythonFunction does this when given artifactBucket), or move dependencies into a layer.`,
            ),
        ];
    }
    // A folder or asset archive is zipped by Pulumi at deploy time; only its unzipped size is known now.
    if (facts.unzippedBytes <= limit) return [];
    return [
        finding(
            "lambda-zip-size",
            "advisory",
            `${facts.label} holds ${formatBytes(facts.unzippedBytes)} unzipped; its zipped size is known only when Pulumi packs it, and a zip over ${formatBytes(limit)} cannot be uploaded directly. Build a .zip (lambda-python build) or upload through S3.`,
        ),
    ];
}
