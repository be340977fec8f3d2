// The engine's wire form of resource properties, as the Pulumi SDK
// serializes them: special values are objects whose signature key says what
// they are (secret, asset, archive, resource reference, output value), and a
// value unknown during preview is a sentinel string.

export const SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
export const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
/** A value not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

type Wire = Record<string, unknown>;

const signed = (value: unknown, sig: string): value is Wire => !!value && typeof value === "object" && (value as Wire)[SIG] === sig;

export const isSecret = (value: unknown): value is Wire & { value: unknown } => signed(value, SECRET_SIG);

/** A value without its secret wrapper. */
export function unsecret(value: unknown): unknown {
    return isSecret(value) ? value.value : value;
}

/** A path asset or archive found in a resource's inputs, with where it was ("code", "source.assets.app"). */
export interface PathAsset {
    kind: "asset" | "archive";
    path: string;
    property: string;
}

/** Every FileAsset and FileArchive in `props`, nested ones (inside an AssetArchive, a list or a secret) included. */
export function pathAssets(props: Wire): PathAsset[] {
    const out: PathAsset[] = [];
    const visit = (value: unknown, where: string) => {
        if (Array.isArray(value)) return value.forEach((v, i) => visit(v, `${where}[${i}]`));
        if (!value || typeof value !== "object") return;
        const o = value as Wire;
        if (o[SIG] === ASSET_SIG || o[SIG] === ARCHIVE_SIG) {
            if (typeof o.path === "string") out.push({ kind: o[SIG] === ASSET_SIG ? "asset" : "archive", path: o.path, property: where });
            if (o.assets && typeof o.assets === "object") for (const [k, v] of Object.entries(o.assets as Wire)) visit(v, `${where}["${k}"]`);
            return;
        }
        for (const [k, v] of Object.entries(o)) if (k !== SIG) visit(v, where ? `${where}.${k}` : k);
    };
    for (const [k, v] of Object.entries(props)) visit(v, k);
    return out;
}

/** A value as `pulumi preview` shows it: an unknown as output<string>, a secret as [secret], a resource by its URN. */
export function displayValue(value: unknown): unknown {
    if (value === UNKNOWN) return "output<string>";
    if (Array.isArray(value)) return value.map(displayValue);
    if (!value || typeof value !== "object") return value;
    const o = value as Wire;
    switch (o[SIG]) {
        case SECRET_SIG:
            return "[secret]";
        case RESOURCE_SIG:
            return o.urn;
        case OUTPUT_SIG:
            return o.secret ? "[secret]" : "value" in o ? displayValue(o.value) : "output<string>";
        case ASSET_SIG:
        case ARCHIVE_SIG:
            return o.path ?? o.uri ?? (o.text !== undefined ? "[text asset]" : "[asset archive]");
        default:
            return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, displayValue(v)]));
    }
}
