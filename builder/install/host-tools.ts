// The Python and the uv this machine has: probed once per interpreter or
// executable (probes.ts). The installers run them; `lambda-python setup`
// (tools/) and the diagnoses read them too, so they live apart from both.
import * as path from "path";
import { UserError } from "../../shared/errors";
import { probe, ProbeAnswer } from "./probes";

export interface HostPython {
    command: string;
    version: string;
    /** sys.prefix: where pip looks for a site-wide pip.conf. */
    prefix: string;
    pipVersion?: string;
}

/** The Python that runs pip (and builds pure-Python sdists); probed once per interpreter file (probes.ts). */
export async function hostPython(command = "python3"): Promise<HostPython> {
    const script = [
        "import os, sys",
        "print('%d.%d.%d' % sys.version_info[:3])",
        "print(sys.prefix)",
        "try:",
        " import pip; print(pip.__version__); print(os.path.dirname(os.path.dirname(os.path.abspath(pip.__file__))))",
        "except Exception:",
        " print(''); print('')",
    ].join("\n");
    const lines = (a: ProbeAnswer) => a.stdout.split(/\r?\n/);
    // Upgrading pip changes its site-packages folder, not the interpreter.
    const r = await probe(command, ["-c", script], (a) => [lines(a)[3]].filter(Boolean));
    if (!r) {
        throw new UserError(`Python was not found as "${command}". Installing dependencies needs Python 3 with pip on this machine; install it or pass the interpreter to use (python option, --python).`);
    }
    if (r.code !== 0) throw new UserError(`"${command}" did not run as a Python interpreter: ${r.stderr.trim()}`);
    const [version, prefix, pipVersion] = lines(r);
    return { command, version, prefix, pipVersion: pipVersion || undefined };
}

/** uv from the option, LAMBDA_PYTHON_UV, PATH, or the tools folder `lambda-python setup` fills. */
export async function findUv(explicit: string | undefined, toolsDir: string): Promise<string | undefined> {
    const candidates = [explicit, process.env.LAMBDA_PYTHON_UV, "uv", path.join(toolsDir, "venv", "bin", "uv")].filter((c): c is string => !!c);
    for (const c of candidates) {
        const r = await probe(c, ["--version"]);
        if (r?.code === 0) return c;
    }
    if (explicit) throw new UserError(`uv was not found at "${explicit}".`);
    return undefined;
}
