// How many resource operations a previewed program and its providers run at
// once: what the Pulumi CLI gives them (its --parallel default), so that a
// Python program's components are constructed as many at a time as under
// `pulumi preview`.
import { strict as assert } from "assert";
import * as os from "os";
import { engineParallel } from "../../preview/project";

describe("resource operations at once, as the Pulumi CLI sets them for a program and its providers", () => {
    it("is PULUMI_PARALLEL when it is a positive number, else 4 per CPU (pkg/cmd/pulumi/operations/up.go defaultParallel)", () => {
        assert.equal(engineParallel({ PULUMI_PARALLEL: "16" }), 16);
        assert.equal(engineParallel({}), os.availableParallelism() * 4);
        for (const v of ["0", "-2", "many", "1.5", ""]) assert.equal(engineParallel({ PULUMI_PARALLEL: v }), os.availableParallelism() * 4, v);
    });
});
