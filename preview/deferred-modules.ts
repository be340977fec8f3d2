// The Pulumi SDK's index loads its automation API and closure serializer as
// soon as a program (or the policy pack) imports `@pulumi/pulumi`, and with
// them @npmcli/arborist: ~120 ms of a warm preview's ~0.45 s of module
// loading, for a module only `pulumi.runtime.computeCodePaths` uses (closure
// serialization: `aws.lambda.CallbackFunction`, `serializeFunction`).
//
// Before the preview loads the SDK, arborist's entry in Node's module cache is
// taken by a stand-in that loads the real module the first time anything is
// read from it, so a program that serializes a closure gets the real one.
// The stand-in says `__esModule`, so the SDK's `__importStar` keeps it as it
// is instead of copying every export (which would load it at once).
import * as path from "path";

/** Puts the stand-in in place for the SDK that `fromDir` resolves; does nothing when it is not found or already loaded. */
export function deferArborist(fromDir: string): void {
    let file: string;
    try {
        const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [fromDir] }));
        file = require.resolve("@npmcli/arborist", { paths: [sdk] });
    } catch {
        return; // another SDK layout: nothing to defer
    }
    if (require.cache[file]) return;
    let real: Record<PropertyKey, unknown> & ((...args: unknown[]) => unknown);
    const load = () => {
        if (!real) {
            delete require.cache[file];
            real = require(file);
        }
        return real;
    };
    // A class target, as the real module is (the Arborist class with its helpers as properties).
    const standIn = new Proxy(class Arborist {}, {
        get: (_, key) => (key === "__esModule" ? true : key === "default" ? (load().default ?? load()) : load()[key]),
        has: (_, key) => key in load(),
        ownKeys: () => Reflect.ownKeys(load()),
        getOwnPropertyDescriptor: (_, key) => Object.getOwnPropertyDescriptor(load(), key),
        apply: (_, self, args) => Reflect.apply(load(), self, args),
        construct: (_, args) => Reflect.construct(load(), args),
    });
    const entry = new (require("module") as { new (id: string): NodeJS.Module })(file);
    entry.filename = file;
    entry.loaded = true;
    entry.exports = standIn;
    require.cache[file] = entry;
}
