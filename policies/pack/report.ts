// Reporting findings to @pulumi/policy, with exemptions. A resource is
// exempt from a policy when the policy's `exempt` config lists its name or
// URN, or when it carries the tag `lambda-python:skip=<policy>[,<policy>]`.
// An exemption never hides anything: the findings it covers are reported
// together as one advisory that says why they are not enforced.
import { ReportViolation } from "@pulumi/policy";
import { Finding, PolicyName } from "../rules/types";
import { knownString, prop, unwrap } from "./code";
import { labelOf } from "./resources";

const SKIP_TAG = "lambda-python:skip";

export const exemptSchema = {
    exempt: { type: "array", items: { type: "string" }, default: [], description: `Resource names or URNs this policy does not enforce on (reported as advisories). A resource can also carry the tag ${SKIP_TAG}=<policy>[,<policy>].` },
};

/** A resource a finding is about (a URL's function counts too, so tagging the function exempts its URL). */
export interface Subject {
    type: string;
    name: string;
    urn?: string;
    props: unknown;
}

/** Why the policy is not enforced on these subjects, or undefined. */
function exemption(policy: PolicyName, config: Record<string, unknown>, subjects: Subject[]): string | undefined {
    const listed = Array.isArray(config.exempt) ? (config.exempt as unknown[]).filter((x): x is string => typeof x === "string") : [];
    for (const s of subjects) {
        if (listed.includes(s.name) || (s.urn && listed.includes(s.urn))) return `${labelOf(s.type, s.name)} is in the policy's exempt config`;
        const tags = unwrap(prop(s.props, "tags")) as Record<string, unknown> | undefined;
        const skip = tags && typeof tags === "object" ? knownString(unwrap(tags[SKIP_TAG])) : undefined;
        if (
            skip
                ?.split(",")
                .map((p) => p.trim())
                .some((p) => p === policy || p === "all")
        )
            return `${labelOf(s.type, s.name)} has the tag ${SKIP_TAG}=${skip}`;
    }
    return undefined;
}

export interface ReportContext {
    policy: PolicyName;
    description: string;
    config: Record<string, unknown>;
    subjects: Subject[];
    /** For stack policies: the resource the diagnostic is attached to. */
    urn?: string;
}

/** Reports findings: advisory ones always as advisories, the rest at the policy's enforcement level; exempt ones as one advisory. */
export function report(reportViolation: ReportViolation, ctx: ReportContext, findings: Finding[]): void {
    if (!findings.length) return;
    // @pulumi/policy's server accepts an object with its own enforcement level (it is not in the typings).
    const advisory = (message: string) => (reportViolation as unknown as (v: object) => void)({ message: `${ctx.description}\n${message}`, enforcementLevel: "advisory", urn: ctx.urn });
    const why = exemption(ctx.policy, ctx.config, ctx.subjects);
    if (why) {
        advisory(`Exempt: ${why}, so ${findings.length === 1 ? "this finding is" : `these ${findings.length} findings are`} not enforced: ${findings.map((f) => f.message).join(" | ")}`);
        return;
    }
    for (const f of findings) {
        if (f.level === "advisory") advisory(f.message);
        else reportViolation(f.message, ctx.urn);
    }
}
