// The Pulumi SDK's index loads its automation API and closure serializer as
// soon as a program (or the policy pack) imports `@pulumi/pulumi`, and with
// them two big modules that only closure serialization uses
// (`pulumi.runtime.computeCodePaths`, `serializeFunction`:
// `aws.lambda.CallbackFunction`):
// - @npmcli/arborist: ~120 ms of a warm preview's ~0.45 s of module loading;
// - TypeScript, through the SDK's `typescript-shim` (the closure parser
//   requires it at load): ~125 ms and ~20 MB in the host of a Python or Go
//   program, which never serializes a closure. A TypeScript program loads
//   TypeScript anyway (ts-node), so the Node.js host leaves it alone.
//
// Before the preview loads the SDK, the module's entry in Node's module cache
// is taken by a stand-in that loads the real module the first time anything
// is read from it, so a program that serializes a closure gets the real one.
// The stand-in says `__esModule`, so the SDK's `__importStar` keeps it as it
// is instead of copying every export (which would load it at once).
import * as path from "path";

/** Puts arborist's stand-in in place for the SDK that `fromDir` resolves; does nothing when it is not found or already loaded. */
export function deferArborist(fromDir: string): void {
    // A class target, as the real module is (the Arborist class with its helpers as properties).
    deferFromSdk(fromDir, "@npmcli/arborist", class Arborist {});
}

/** Puts the stand-in of the SDK's `typescript-shim` (TypeScript itself) in place for the SDK that `fromDir` resolves. */
export function deferTypeScript(fromDir: string): void {
    // A plain object, as TypeScript's namespace is.
    deferFromSdk(fromDir, "./typescript-shim", {});
}

/** The module `request` resolves to from the SDK that `fromDir` resolves, deferred; nothing when either is not found (another SDK layout). */
function deferFromSdk(fromDir: string, request: string, target: object): void {
    let file: string;
    try {
        const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [fromDir] }));
        file = require.resolve(request, { paths: [sdk] });
    } catch {
        return;
    }
    defer(file, target);
}

/** Takes `file`'s entry in the module cache with a stand-in that loads the real module on first use. */
function defer(file: string, target: object): void {
    if (require.cache[file]) return;
    let real: Record<PropertyKey, unknown> & ((...args: unknown[]) => unknown);
    const load = () => {
        if (!real) {
            delete require.cache[file];
            real = require(file);
        }
        return real;
    };
    const standIn = new Proxy(target, {
        get: (_, key) => (key === "__esModule" ? true : key === "default" ? (load().default ?? load()) : load()[key]),
        has: (_, key) => key in load(),
        ownKeys: () => Reflect.ownKeys(load()),
        // Said configurable: a proxy may not report a property its target lacks as fixed (TypeScript's getters are).
        getOwnPropertyDescriptor: (_, key) => {
            const d = Object.getOwnPropertyDescriptor(load(), key);
            return d && { ...d, configurable: true };
        },
        apply: (_, self, args) => Reflect.apply(load(), self, args),
        construct: (_, args) => Reflect.construct(load(), args),
    });
    const entry = new (require("module") as { new (id: string): NodeJS.Module })(file);
    entry.filename = file;
    entry.loaded = true;
    entry.exports = standIn;
    require.cache[file] = entry;
}
