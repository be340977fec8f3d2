// How a Pulumi plugin (a provider, a policy pack) started by `@pulumi/pulumi/cmd/run-plugin` or
// `run-policy-pack` says where it serves: its port, alone on the first line of its stdout, as the Pulumi CLI
// reads it. The offline preview's component provider and the tests that start plugins read it here.
import type { ChildProcess } from "child_process";

/** The port `proc` prints first; rejects, naming `what` and the end of its stderr, if it prints something else or ends first. */
export function pluginPort(proc: ChildProcess, what: string): Promise<string> {
    let stderr = "";
    proc.stderr!.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString("utf8")).slice(-4000);
    });
    return new Promise((resolve, reject) => {
        let out = "";
        proc.stdout!.on("data", (d: Buffer) => {
            out += d.toString("utf8");
            if (!out.includes("\n")) return;
            const port = out.split("\n")[0].trim();
            if (/^\d+$/.test(port)) resolve(port);
            else reject(new Error(`${what} printed ${JSON.stringify(port)} instead of its port: ${stderr.trim()}`));
        });
        proc.once("error", reject);
        proc.once("exit", (code) => reject(new Error(`${what} ended with exit ${code} before it served: ${stderr.trim()}`)));
    });
}
