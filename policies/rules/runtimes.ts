// Lambda runtime identifiers: which language family each belongs to, and
// how versions within a family compare. Every rule that must know "is this
// a Python function?" asks here, so the scoping is the same everywhere.

export type RuntimeFamily = "python" | "nodejs" | "java" | "dotnet" | "ruby" | "provided";

/**
 * "python3.12" → python, "nodejs22.x" → nodejs, "provided.al2023" → provided, …
 * undefined for anything else. go1.x counts as OS-only: Go moved there.
 */
export function runtimeFamily(runtime: string): RuntimeFamily | undefined {
    const m = /^(python|nodejs|java|dotnetcore|dotnet|ruby|provided|go)/.exec(runtime);
    if (!m) return undefined;
    if (m[1] === "dotnetcore") return "dotnet";
    if (m[1] === "go") return "provided";
    return m[1] as RuntimeFamily;
}

export function isPythonRuntime(runtime: string | undefined): boolean {
    return runtime !== undefined && /^python3\.\d+$/.test(runtime);
}

/** Numbers of a runtime's version, for ordering within a family: "nodejs22.x" → [22], "java8.al2" → [8], "provided.al2023" → [2023]. */
export function runtimeVersion(runtime: string): number[] {
    if (runtime === "provided") return [0];
    return (runtime.match(/\d+/g) ?? []).map(Number);
}

export function compareVersions(a: number[], b: number[]): number {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const d = (a[i] ?? 0) - (b[i] ?? 0);
        if (d) return d;
    }
    return 0;
}

/** What to tell a user about their function's language, for advice in messages. */
export function rebuildHint(runtime: string | undefined, architecture: string): string {
    const arm = architecture === "arm64";
    switch (runtime && runtimeFamily(runtime)) {
        case "python":
            return `Reinstall the dependencies for ${architecture} (\`pip install --platform manylinux2014_${arm ? "aarch64" : "x86_64"} --only-binary=:all:\`; lambda-python build does this) or change the architecture.`;
        case "nodejs":
            return `Reinstall native modules for Linux on ${architecture} (\`npm install --os=linux --cpu=${arm ? "arm64" : "x64"}\`) or change the architecture.`;
        case "provided":
            return `Rebuild the executable for Linux on ${architecture} (Go: \`GOOS=linux GOARCH=${arm ? "arm64" : "amd64"}\`; Rust: \`--target ${arm ? "aarch64" : "x86_64"}-unknown-linux-gnu\`) or change the architecture.`;
        default:
            return `Rebuild the native code for Linux on ${architecture} or change the function's architecture.`;
    }
}

/**
 * Whether a layer is a Python layer: it declares a Python runtime, or it
 * holds python/ (the folder Lambda puts on sys.path).
 */
export function layerIsPython(compatibleRuntimes: string[], files: { name: string }[]): boolean {
    return compatibleRuntimes.some(isPythonRuntime) || files.some((f) => f.name.startsWith("python/"));
}
