// ts-node's transpile-only output for a program's TypeScript, kept on disk so
// that a preview of an unchanged program transpiles nothing: the showcase's
// six files cost ~135 ms of each warm `npm start` (TypeScript's first
// transpile warms up its compiler). Everything else stays ts-node's: which
// files it compiles or ignores and its require hooks (it is registered as
// before; only its `compile` is wrapped), and stack traces still point at the
// TypeScript lines (its source-map support is told about the outputs served
// from here, which carry their inline source maps).
//
// A file's output is found by its path and text, the compiler options
// ts-node resolved (tsconfig.json and whatever it extends), the options it
// was registered with, and the ts-node and TypeScript versions. One output is
// kept per program file: writing a new one removes the file's older ones, and
// one no preview has read for a month goes with the build cache's sweep.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { markUsed } from "../builder/cache";
import { writeFileAtomic } from "../shared/atomic";

/** The part of a ts-node service used here. */
export interface TsNodeService {
    compile(code: string, fileName: string, lineOffset?: number): string;
    config: { options: object };
    ts: { version: string };
}

const sha = (text: string) => crypto.createHash("sha256").update(text).digest("hex");

/**
 * Serves `service`'s compiles from `dir` when the same file, text and
 * settings were compiled before; `settings` is what the service was
 * registered with, `tsnodeDir` the folder ts-node was loaded from.
 */
export function cacheCompiles(service: TsNodeService, settings: object, tsnodeDir: string, dir: string): void {
    const version = (pkg: string) => JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")).version as string;
    const context = JSON.stringify([version(tsnodeDir), service.ts.version, settings, service.config.options]);
    const served = new Map<string, string>();
    const compile = service.compile.bind(service);
    service.compile = (code, fileName, lineOffset) => {
        if (lineOffset) return compile(code, fileName, lineOffset);
        const prefix = sha(fileName).slice(0, 16);
        const file = path.join(dir, `${prefix}-${sha(`${context}\0${fileName}\0${code}`).slice(0, 32)}.js`);
        let output: string;
        try {
            output = fs.readFileSync(file, "utf8");
            markUsed(file); // kept by the build cache's sweep for another month (builder/cache.ts)
        } catch {
            output = compile(code, fileName);
            store(dir, prefix, file, output);
        }
        served.set(path.normalize(fileName), output);
        return output;
    };
    // ts-node's source-map support reads outputs it compiled itself; these it did not.
    const sourceMaps = require(require.resolve("@cspotcode/source-map-support", { paths: [tsnodeDir] }));
    sourceMaps.install({ environment: "node", retrieveFile: (p: string) => served.get(path.normalize(p)) ?? "" });
}

/** Keeps `output` for later runs, replacing the file's older outputs; a cache that cannot be written only costs speed. */
function store(dir: string, prefix: string, file: string, output: string): void {
    try {
        for (const old of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
            if (old.startsWith(`${prefix}-`)) fs.rmSync(path.join(dir, old), { force: true });
        }
        writeFileAtomic(file, output);
    } catch {
        // A read-only or full cache folder: the program still runs, transpiled each time.
    }
}
