// The lambda-python CrossGuard policy pack. Constructing the PolicyPack
// starts the analyzer's gRPC server, so the policies themselves live in
// pack/policies.ts where tests and tools can import them.
import { PolicyPack } from "@pulumi/policy";
import { PACK_DISPLAY_NAME, PACK_README } from "./pack/metadata";
import { lambdaPolicies } from "./pack/policies";

new PolicyPack("lambda-python", {
    policies: lambdaPolicies,
    displayName: PACK_DISPLAY_NAME,
    readme: PACK_README,
    provider: "aws",
    tags: ["aws", "lambda", "serverless", "packaging", "security"],
});
