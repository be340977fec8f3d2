// lambda-unzipped-size: a function and all its layers, unzipped, must fit in
// 262,144,000 bytes. Optionally warn when close to the limit.
import limits from "../data/lambda-limits.json";
import { formatBytes, formatMB } from "./format";
import { finding, Finding } from "./types";

export interface UnzippedSizeConfig {
    /** Limit for a function plus its layers, unzipped, in bytes. */
    maxUnzippedBytes: number;
    /** Share of the limit (0-1) above which an advisory is reported; 0 turns it off. */
    warnAtShare: number;
}

export const unzippedSizeDefaults: UnzippedSizeConfig = { maxUnzippedBytes: limits.unzippedBytes, warnAtShare: 0.9 };

export const unzippedSizeSchema = {
    maxUnzippedBytes: { type: "integer", minimum: 1, default: limits.unzippedBytes, description: "Limit for a function and all its layers, unzipped, in bytes (AWS: 262,144,000)." },
    warnAtShare: { type: "number", minimum: 0, maximum: 1, default: 0.9, description: "Report an advisory above this share of the limit; 0 turns it off." },
};

export interface SizedPart {
    /** "function my-fn", "layer numpy (PythonLayer)" … */
    label: string;
    /** Unzipped bytes, or undefined when the part could not be inspected. */
    bytes?: number;
}

export function checkUnzippedSize(subject: string, parts: SizedPart[], config: UnzippedSizeConfig = unzippedSizeDefaults): Finding[] {
    const known = parts.filter((p) => p.bytes !== undefined);
    const unknown = parts.filter((p) => p.bytes === undefined);
    const total = known.reduce((sum, p) => sum + p.bytes!, 0);
    const limit = config.maxUnzippedBytes;
    const breakdown = parts.length > 1 ? ` (${known.map((p) => `${p.label} ${formatMB(p.bytes!)}`).join(" + ")})` : "";
    const notChecked = unknown.length ? ` Not counted, could not be inspected: ${unknown.map((p) => p.label).join(", ")}.` : "";
    if (total > limit) {
        return [
            finding(
                "lambda-unzipped-size",
                "mandatory",
                `${subject} unzips to ${formatBytes(total)}${breakdown}, over Lambda's limit of ${formatBytes(limit)} for a function and all its layers. ` +
                    `Drop unused dependencies (tests, docs, big optional packages), split the function, or deploy it as a container image.${notChecked}`,
            ),
        ];
    }
    if (config.warnAtShare > 0 && total > limit * config.warnAtShare) {
        return [finding("lambda-unzipped-size", "advisory", `${subject} unzips to ${formatBytes(total)}${breakdown}: ${Math.round((total / limit) * 100)}% of the ${formatMB(limit)} limit for a function and its layers.${notChecked}`)];
    }
    return [];
}
