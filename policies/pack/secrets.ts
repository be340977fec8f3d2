// Which resource properties are Pulumi secrets. The engine sends secrets to
// policy packs marked as such (KeepSecrets), but @pulumi/policy 1.21 unwraps
// them before a policy sees the props, so "is this value a secret?" cannot
// be answered from args.props. This module wraps the SDK's deserializer once
// so that every deserialized props object also carries (under a symbol, not
// enumerable, invisible to other code) the paths of its secret values under
// the tracked properties (`environment`).
// If the SDK's shape changes and the wrap cannot be installed,
// `secretsKnown` is false and callers say they could not tell.

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const PATHS = Symbol.for("lambda-python:secret-paths");

type Path = string[];

/** Top-level properties whose secret values are tracked (what lambda-environment-secrets reads). */
const TRACKED = ["environment"];

interface WireStruct {
    getFieldsMap?(): { get(name: string): { toJavaScript(): unknown } | undefined };
}

function secretPaths(value: unknown, at: Path = [], out: Path[] = []): Path[] {
    if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) secretPaths(v, [...at, String(i)], out);
    } else if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (o[SIG_KEY] === SECRET_SIG) out.push(at);
        else if (!o[SIG_KEY]) for (const [k, v] of Object.entries(o)) secretPaths(v, [...at, k], out);
    }
    return out;
}

function install(): boolean {
    try {
        const deserialize = require("@pulumi/policy/deserialize");
        const original = deserialize.deserializeProperties;
        if (typeof original !== "function") return false;
        if (original.__lambdaPythonSecrets) return true;
        const wrapped = function (this: unknown, struct: WireStruct, proxySecrets: boolean) {
            const props = original.call(this, struct, proxySecrets);
            // Only the properties a rule asks about are walked, so other resources cost nothing.
            const fields = props && typeof props === "object" ? struct?.getFieldsMap?.() : undefined;
            if (fields) {
                const paths = TRACKED.flatMap((name) => {
                    const field = fields.get(name);
                    return field ? secretPaths(field.toJavaScript(), [name]) : [];
                });
                if (paths.length) Object.defineProperty(props, PATHS, { value: paths, enumerable: false });
            }
            return props;
        };
        wrapped.__lambdaPythonSecrets = true;
        deserialize.deserializeProperties = wrapped;
        return deserialize.deserializeProperties === wrapped;
    } catch {
        return false;
    }
}

/** Whether secret-ness of values can be told at all (the deserializer wrap is in place). */
export const secretsKnown = install();

/** Whether the value at `path` of unwrapped props is (inside) a Pulumi secret. */
export function isSecretAt(rawProps: unknown, path: Path): boolean {
    const paths = (rawProps as { [PATHS]?: Path[] } | undefined)?.[PATHS];
    return !!paths?.some((p) => p.length <= path.length && p.every((seg, i) => seg === path[i]));
}
