// The notes beside a program's failure: the config it required, offline; what
// the Pulumi SDK's cmd/run compiled it with, judged from the packages it can
// resolve, as cmd/run resolves them (from the SDK's own folder).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configNote, typescriptSetupNote } from "../../preview/failure-hints";

/** A program folder with the given packages installed (name -> version), and "type": "module" or not. */
function program(packages: Record<string, string>, esm: boolean): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-setup-"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "p", ...(esm ? { type: "module" } : {}) }));
    fs.writeFileSync(path.join(dir, "index.ts"), "export {};\n");
    for (const [name, version] of Object.entries({ "@pulumi/pulumi": "3.276.0", ...packages })) {
        const pkg = path.join(dir, "node_modules", name);
        fs.mkdirSync(pkg, { recursive: true });
        const exports = name === "ts-node" ? { exports: { ".": "./index.js", "./esm": "./esm.mjs", "./package.json": "./package.json" } } : {};
        fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name, version, main: "index.js", ...exports }));
        fs.writeFileSync(path.join(pkg, "index.js"), "");
        if (name === "ts-node" && version.startsWith("10")) fs.writeFileSync(path.join(pkg, "esm.mjs"), "");
    }
    return dir;
}

/** What ts-node said when the TypeScript in use did not know the tsconfig's options (TypeScript 3.8.3 and nodenext). */
const TS6046 = ["⨯ Unable to compile TypeScript:\nerror TS6046: Argument for '--module' option must be: 'none', 'commonjs', 'amd', 'system', 'umd', 'es6', 'es2015', 'es2020', 'esnext'."];
/** What an ES module compiled to CommonJS fails with. */
const NOT_FOUND = ["Cannot find module './functions/api.js' (index.ts:2)"];

describe("typescriptSetupNote", () => {
    it("says nothing of a CommonJS program with its own typescript", () => {
        const dir = program({ typescript: "5.9.3" }, false);
        assert.equal(typescriptSetupNote(dir, path.join(dir, "index.ts"), true, TS6046), undefined);
    });

    it("names the vendored TypeScript 3.8.3 when the program has no typescript of its own", () => {
        const dir = program({}, false);
        assert.match(typescriptSetupNote(dir, path.join(dir, "index.ts"), true, TS6046) ?? "", /no typescript package of its own.*TypeScript 3\.8\.3.*npm install -D typescript/);
    });

    it("says what an ES module program lacks to run as ESM: ts-node 10, or typescript 4.7", () => {
        const noTsNode = program({ typescript: "5.9.3" }, true);
        const note = typescriptSetupNote(noTsNode, path.join(noTsNode, "index.ts"), true, NOT_FOUND) ?? "";
        assert.match(note, /ES module.*ts-node 10/);
        assert.doesNotMatch(note, /typescript >=/);
        const oldTs = program({ typescript: "4.5.2", "ts-node": "10.9.2" }, true);
        assert.match(typescriptSetupNote(oldTs, path.join(oldTs, "index.ts"), true, TS6046) ?? "", /typescript >= 4\.7 \(it has 4\.5\.2\)/);
    });

    it("says nothing when an ES module program has typescript >= 4.7 and ts-node/esm, or is JavaScript", () => {
        const dir = program({ typescript: "5.9.3", "ts-node": "10.9.2" }, true);
        assert.equal(typescriptSetupNote(dir, path.join(dir, "index.ts"), true, NOT_FOUND), undefined);
        const js = program({}, true);
        assert.equal(typescriptSetupNote(js, path.join(js, "index.js"), true, NOT_FOUND), undefined);
        assert.equal(typescriptSetupNote(js, path.join(js, "index.ts"), false, NOT_FOUND), undefined);
    });

    // Public programs that failed for their own reasons were told to install TypeScript: a constant their
    // @pulumi/aws no longer has, a mixin it dropped, a build output they require, an archive not built yet.
    it("says nothing when the program failed for a reason of its own, whatever its TypeScript set-up", () => {
        const own = [
            "Cannot read properties of undefined (reading 'CloudWatchLogsFullAccess') (index.ts:154)",
            "tpsReports.onObjectCreated is not a function (index.ts:11)",
            "Missing required file: /src/kanban/dist. Run npm run build before pulumi preview/up. (index.ts:12)",
            'aws:lambda/function:Function "mylambda" (index.ts:48): its code["."] is a FileArchive of ./app/publish, which does not exist',
        ];
        const noTypescript = program({}, false);
        const esmWithoutTsNode = program({ typescript: "5.9.3" }, true);
        for (const error of own) {
            assert.equal(typescriptSetupNote(noTypescript, path.join(noTypescript, "index.ts"), true, [error]), undefined, error);
            assert.equal(typescriptSetupNote(esmWithoutTsNode, path.join(esmWithoutTsNode, "index.ts"), true, [error]), undefined, error);
        }
    });
});

describe("configNote", () => {
    it("turns the SDK's `pulumi config set` advice into the preview's --config, for a plain or secret key", () => {
        const sdk = "Missing required configuration variable 'shop:dbPassword'\n\tplease set a value using the command `pulumi config set --secret shop:dbPassword <value>`";
        assert.equal(configNote([sdk], "prod"), "give shop:dbPassword a value offline with --config shop:dbPassword=VALUE, or under config: in Pulumi.prod.yaml.");
    });

    it("names aws:region for @pulumi/aws's requireRegion, and nothing for other errors", () => {
        assert.match(configNote(["No AWS region has been configured (index.ts:5)"], "dev") ?? "", /--config aws:region=us-east-1.*AWS_REGION/);
        assert.equal(configNote(["Cannot read properties of undefined (reading 'x') (index.ts:3)"], "dev"), undefined);
    });
});
