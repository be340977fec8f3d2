// lambda-layer-python-path: a Python layer's modules must be under python/
// (or python/lib/python3.X/site-packages/), the only layer folders on
// sys.path; anything else is extracted to /opt and never imported.
import { ArchiveFacts } from "../inspect/facts";
import { listSome } from "./format";
import { finding, Finding } from "./types";

const POLICY = "lambda-layer-python-path";

export function checkLayerPythonPath(facts: ArchiveFacts, compatibleRuntimes: string[] = []): Finding[] {
    if (compatibleRuntimes.length && !compatibleRuntimes.some((r) => r.startsWith("python"))) return [];
    const out: Finding[] = [];
    const misplaced = new Set<string>();
    const versions = new Map<string, string>();
    for (const f of facts.files) {
        const name = f.name;
        const sp = /^python\/lib\/(python\d+\.\d+)\/site-packages\//.exec(name);
        if (sp) {
            versions.set(sp[1], name);
            continue;
        }
        if (name.startsWith("python/")) continue;
        if (!isPythonCode(name)) continue;
        // bin/ and lib/ hold executables and shared libraries, found through PATH and LD_LIBRARY_PATH.
        if ((name.startsWith("bin/") || name.startsWith("lib/")) && !/^lib\/python\d/.test(name) && !name.endsWith(".py")) continue;
        misplaced.add(topOf(name));
    }
    if (misplaced.size) {
        out.push(
            finding(
                POLICY,
                "mandatory",
                `${facts.label} has Python code outside python/: ${listSome([...misplaced].sort())}. Lambda extracts layers to /opt and imports only from /opt/python and /opt/python/lib/python3.X/site-packages; put these under python/.`,
            ),
        );
    }
    const pythons = compatibleRuntimes.filter((r) => r.startsWith("python"));
    for (const [version, example] of versions) {
        if (pythons.length && !pythons.includes(version)) {
            out.push(
                finding(
                    POLICY,
                    "mandatory",
                    `${facts.label} puts packages in python/lib/${version}/site-packages (e.g. ${example}), which is on sys.path only for ${version}, but the layer is for ${pythons.join(", ")}. Use python/ for a version-independent layer, or rebuild for the right version.`,
                ),
            );
        }
    }
    return out;
}

function isPythonCode(name: string): boolean {
    return name.endsWith(".py") || /\.(cpython-[^/]*|abi3)\.so$/.test(name) || /\.dist-info\//.test(name);
}

function topOf(name: string): string {
    if (/^(lib\/python\d+\.\d+\/site-packages|site-packages)\//.test(name)) return name.replace(/^((lib\/python\d+\.\d+\/)?site-packages\/).*$/, "$1");
    const slash = name.indexOf("/");
    return slash < 0 ? name : name.slice(0, slash + 1);
}
