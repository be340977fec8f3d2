// What to do about a program that failed, beside its error: the program
// fails under the preview as it would under `pulumi preview`, and these say
// how to give it what it lacks here.
//
// Config it requires (pulumi.Config.require*, aws.config.requireRegion):
// the SDK says `pulumi config set`; offline it is `--config` or the stack file.
//
// Its TypeScript set-up: the SDK's cmd/run compiles with the project's own
// typescript and ts-node when it can resolve them, and otherwise with the
// copies it vendors (TypeScript 3.8.3, ts-node 7.0.1), which know neither
// `module: nodenext` nor ES modules. ESM TypeScript (`"type": "module"`) runs
// as ESM only with typescript >= 4.7 and ts-node/esm (ts-node 10) resolvable
// from the SDK; otherwise it is compiled to CommonJS and `.js` specifiers of
// `.ts` files are not found. The preview runs the program the same way, so it
// fails the same way; this names the cause and the fix beside the error.
import * as fs from "fs";
import * as path from "path";

/** A sentence on the config a failed program required and did not have, else undefined. */
export function configNote(errors: string[], stack: string): string | undefined {
    const text = errors.join("\n");
    const missing = /Missing required configuration variable '([^']+)'/.exec(text)?.[1];
    if (missing) return `give ${missing} a value offline with --config ${missing}=VALUE, or under config: in Pulumi.${stack}.yaml.`;
    if (/No AWS region has been configured/.test(text)) return `the program requires an AWS region: set aws:region under config: in Pulumi.${stack}.yaml, pass --config aws:region=us-east-1, or set AWS_REGION.`;
    return undefined;
}

/** ts-node's compile errors: an option or syntax the TypeScript in use does not know, a type error. */
const COMPILE_ERROR = /Unable to compile TypeScript|\berror TS\d{4,5}\b/;
/** What an ES module compiled to CommonJS (or loaded without ts-node's ESM hooks) fails with. */
const ESM_LOAD_ERROR = /Cannot find module|ERR_MODULE_NOT_FOUND|ERR_REQUIRE_ESM|require\(\) of ES Module|Cannot use import statement outside a module|is not defined in ES module scope|import\.meta|ERR_UNKNOWN_FILE_EXTENSION/;

/** A sentence on the program's TypeScript set-up when it explains the failure (`errors`), else undefined. */
export function typescriptSetupNote(programDir: string, main: string, typescript: boolean, errors: string[]): string | undefined {
    if (!typescript || !/\.[cm]?ts$/.test(main)) return undefined;
    const text = errors.join("\n");
    let sdk: string;
    try {
        sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [programDir] }));
    } catch {
        return undefined; // the program's own error says @pulumi/pulumi is missing
    }
    const ts = versionOf("typescript", sdk);
    const esm = isModulePackage(path.dirname(main));
    if (esm) {
        if (!COMPILE_ERROR.test(text) && !ESM_LOAD_ERROR.test(text)) return undefined;
        const tsNodeEsm = resolves("ts-node/esm", sdk);
        if (ts && atLeast(ts, 4, 7) && tsNodeEsm) return undefined;
        const missing = [!ts ? "typescript" : !atLeast(ts, 4, 7) ? `typescript >= 4.7 (it has ${ts})` : "", !tsNodeEsm ? "ts-node 10 (for ts-node/esm)" : ""].filter(Boolean);
        return `${programDir} is an ES module ("type": "module" in its package.json) written in TypeScript; Pulumi's Node.js language host runs it as ESM only when the project has ${missing.join(" and ")} of its own, and otherwise compiles it to CommonJS, where imports such as './file.js' of file.ts are not found. Install them (npm install -D typescript ts-node) and preview again.`;
    }
    if (!ts && COMPILE_ERROR.test(text)) {
        return `${programDir} has no typescript package of its own, so the Pulumi SDK compiled it with the TypeScript 3.8.3 it vendors, which does not know options such as module "nodenext" or targets after es2020. Install it (npm install -D typescript) and preview again.`;
    }
    return undefined;
}

function resolves(specifier: string, from: string): boolean {
    try {
        require.resolve(specifier, { paths: [from] });
        return true;
    } catch {
        return false;
    }
}

function versionOf(pkg: string, from: string): string | undefined {
    try {
        return JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`, { paths: [from] }), "utf8")).version;
    } catch {
        return undefined;
    }
}

function atLeast(version: string, major: number, minor: number): boolean {
    const [a, b] = version.split(".").map((n) => Number.parseInt(n, 10));
    return a > major || (a === major && b >= minor);
}

/** Whether the nearest package.json above `dir` says "type": "module". */
function isModulePackage(dir: string): boolean {
    for (let d = dir; ; d = path.dirname(d)) {
        const file = path.join(d, "package.json");
        if (fs.existsSync(file)) {
            try {
                return JSON.parse(fs.readFileSync(file, "utf8")).type === "module";
            } catch {
                return false;
            }
        }
        if (path.dirname(d) === d) return false;
    }
}
