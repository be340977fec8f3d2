// The builds a Pulumi program's components share: one per distinct options
// within a program (the key: options that change the archive, at any depth),
// forgotten by a reset so the next program sees its files as they are now,
// and never keeping a failure. Real builds of a one-file folder (no installs).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BuildOptions } from "../../builder";
import { buildKey, onBuildProgress, resetSharedBuilds, sharedBuilds } from "../../components/shared-build";
import { isUserError } from "../../shared/errors";

describe("shared builds", () => {
    it("tell apart options that differ only in a nested value", () => {
        const a = buildKey({ source: "/app", checks: { "lambda-runtime-deprecation": { now: "2027-01-01" } } });
        const b = buildKey({ source: "/app", checks: { "lambda-runtime-deprecation": { now: "2028-01-01" } } });
        assert.notEqual(a, b);
        assert.notEqual(buildKey({ source: "/app", exclude: ["tests/**"] }), buildKey({ source: "/app", exclude: ["docs/**"] }));
    });

    it("share a key whatever the order of options, the handler or the progress callback", () => {
        assert.equal(buildKey({ source: "/app", runtime: "python3.13", handler: "a.b", onProgress: () => {} }), buildKey({ runtime: "python3.13", source: "/app", handler: "c.d" }));
    });

    describe("across programs in one process", () => {
        let dir: string;
        let source: string;
        let options: BuildOptions;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "shared-build-"));
            source = path.join(dir, "app");
            options = { kind: "function", source, runtime: "python3.13", architecture: "x86_64", cacheDir: path.join(dir, "cache") };
            resetSharedBuilds();
        });
        afterEach(() => {
            resetSharedBuilds();
            fs.rmSync(dir, { recursive: true, force: true });
        });
        const writeHandler = (body: string) => {
            fs.mkdirSync(source, { recursive: true });
            fs.writeFileSync(path.join(source, "lambda_function.py"), `def lambda_handler(event, context):\n    return ${body}\n`);
        };

        it("build once per distinct options within a program, and afresh after a reset", async () => {
            writeHandler("1");
            const first = sharedBuilds().build(options, 'PythonFunction "a"');
            assert.equal(sharedBuilds().build({ ...options, handler: "lambda_function.lambda_handler" }, 'PythonFunction "b"'), first, "a second function with the same options shares the build");
            const before = await first;
            writeHandler("2");
            assert.equal((await sharedBuilds().build(options, 'PythonFunction "c"')).sha256, before.sha256, "within a program the build is not repeated");
            assert.equal(sharedBuilds().size, 1);

            resetSharedBuilds();
            assert.equal(sharedBuilds().size, 0);
            const after = await sharedBuilds().build(options, 'PythonFunction "a"');
            assert.notEqual(after.sha256, before.sha256, "the next program's build sees the changed handler");
        });

        it("do not keep a failed build: the same options build again once the input is fixed", async () => {
            await assert.rejects(sharedBuilds().build(options, 'PythonFunction "a"'), (e: Error) => isUserError(e) && e.message.includes(source));
            assert.equal(sharedBuilds().size, 0);
            writeHandler("1");
            const built = await sharedBuilds().build(options, 'PythonFunction "a"');
            assert.equal(built.kind, "function");
            assert.equal(sharedBuilds().size, 1);
        });

        it("send progress, labelled, to the listener until the reset", async () => {
            writeHandler("1");
            const heard: string[] = [];
            onBuildProgress((m) => heard.push(m));
            await sharedBuilds().build(options, 'PythonFunction "a"');
            assert.ok(heard.length > 0, "the build reported progress");
            assert.ok(
                heard.every((m) => m.startsWith('PythonFunction "a": ')),
                heard.join("\n"),
            );

            resetSharedBuilds();
            const count = heard.length;
            await sharedBuilds().build(options, 'PythonFunction "a"');
            assert.equal(heard.length, count, "a reset drops the listener");
        });
    });
});
