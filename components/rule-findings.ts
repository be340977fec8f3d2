// Findings of the shared rules (policies/rules), turned into what a component
// reports at preview: the first mandatory finding fails the component with
// the rule's own message (the one the policy pack and `lambda-python inspect`
// print), advisory ones are warnings on the component.
import * as pulumi from "@pulumi/pulumi";
import { Finding } from "../policies/rules/types";
import { ComponentError } from "./component-error";

export function judge(findings: Finding[], resource: pulumi.Resource): void {
    const blocking = findings.filter((f) => f.level === "mandatory");
    if (blocking.length) throw new ComponentError(blocking.map((f) => f.message).join(" "), resource);
    for (const f of findings) pulumi.log.warn(f.message, resource);
}
