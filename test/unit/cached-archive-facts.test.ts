// The facts of an archive built in another process, from the build cache's
// record beside it (builder/archive-cache.ts cachedArchiveFacts), as the
// offline preview's policy check takes them for a Python or Go program,
// whose components the provider plugin builds in its own process: the same
// facts as a fresh inspection, vouched for by readRecord's rule (size, mtime,
// CRC-32 of the bytes), and an archive that fails the rule left in place for
// the pack to inspect as any zip. A "process" here is a copy of the build
// cache (`cp -a`: new inodes, the same bytes and times), which this process
// never built or inspected.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildArchive } from "../../builder";
import * as crypto from "crypto";
import { cachedArchiveFacts, writeManifest } from "../../builder/archive-cache";
import { DEFLATE_ENGINE } from "../../builder/deflate-pool";
import { ArchiveFacts, factsRemembered, inspectPath } from "../../policies/inspect";
import { checkWithPack } from "../../preview/policy-check";
import { RecordedResource } from "../../preview/records";

describe("facts of archives another process built, from the build cache's records", function () {
    this.timeout(120_000);
    let dir: string;
    let built: { path: string; key: string };
    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "cached-facts-"));
        const source = path.join(dir, "app");
        fs.mkdirSync(source);
        fs.writeFileSync(path.join(source, "app.py"), "import json\n\n\ndef handler(event, context):\n    return json.dumps(event)\n");
        const r = await buildArchive({ kind: "function", source, handler: "app.handler", runtime: "python3.13", architecture: "x86_64", cacheDir: path.join(dir, "cache") });
        built = { path: r.path, key: path.basename(r.path, ".zip") };
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    /** The build cache as another process left it: the same files, other inodes. */
    const otherProcess = (name: string) => {
        execFileSync("cp", ["-a", path.join(dir, "cache"), path.join(dir, name)]);
        return path.join(dir, name, "archives", `${built.key}.zip`);
    };
    const withoutLabel = (f: ArchiveFacts) => ({ ...f, label: "" });
    const functionUsing = (zip: string): RecordedResource => ({
        type: "aws:lambda/function:Function",
        name: "app",
        urn: "urn:pulumi:dev::p::aws:lambda/function:Function::app",
        custom: true,
        wire: { code: { "4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7", path: zip }, runtime: "python3.13", handler: "app.handler", architectures: ["x86_64"], role: "arn:aws:iam::123456789012:role/app" },
        propertyDependencies: {},
        dependencies: [],
    });
    /** Flips one byte of the archive's data, its size and mtime kept (rot, or an edit with the time set back). */
    const damage = (zip: string) => {
        const { mtimeNs } = fs.statSync(zip, { bigint: true });
        const bytes = fs.readFileSync(zip);
        bytes[40] ^= 0xff; // inside the first entry's data, after its 30-byte header and name
        fs.writeFileSync(zip, bytes);
        execFileSync("touch", ["-m", "-d", `@${mtimeNs / 1_000_000_000n}.${String(mtimeNs % 1_000_000_000n).padStart(9, "0")}`, zip]);
    };

    it("gives the record's facts for an archive of a build cache, equal to a fresh inspection's", () => {
        const zip = otherProcess("cache-b");
        assert.equal(factsRemembered(zip), false, "this process never saw that file");
        const facts = cachedArchiveFacts(zip);
        assert.ok(facts);
        const copy = path.join(dir, "copy.zip");
        fs.copyFileSync(zip, copy);
        assert.deepEqual(withoutLabel(facts), withoutLabel(inspectPath(copy).facts));
        assert.equal(cachedArchiveFacts(copy), undefined, "a zip outside a build cache's archives/ has no record to vouch for it");
    });

    it("gives none for a damaged archive or a record of another key, and leaves both where they are", () => {
        const zip = otherProcess("cache-c");
        damage(zip);
        assert.equal(cachedArchiveFacts(zip), undefined);
        assert.ok(fs.existsSync(zip) && fs.existsSync(zip.replace(/\.zip$/, ".json")), "read only: the pack then inspects it as any zip");
        const other = otherProcess("cache-d");
        const renamed = path.join(path.dirname(other), `${"0".repeat(40)}.zip`);
        fs.renameSync(other, renamed);
        fs.renameSync(other.replace(/\.zip$/, ".json"), renamed.replace(/\.zip$/, ".json"));
        assert.equal(cachedArchiveFacts(renamed), undefined, "the record names another key");
    });

    it("lets the policy check take a vouched archive's facts, and inspect a damaged one as any zip", async () => {
        const zip = otherProcess("cache-e");
        const good = await checkWithPack([functionUsing(zip)], dir);
        assert.equal(factsRemembered(zip), true, "taken from the record, not gathered by verifying every entry");
        assert.deepEqual(
            good.diagnostics.filter((d) => d.level === "mandatory"),
            [],
        );
        assert.ok(good.sizes["urn:pulumi:dev::p::aws:lambda/function:Function::app"].unzippedBytes > 0);

        const bad = otherProcess("cache-f");
        damage(bad);
        const found = await checkWithPack([functionUsing(bad)], dir);
        assert.ok(
            found.diagnostics.some((d) => d.level === "mandatory" && /damaged|CRC|corrupt/i.test(d.message)),
            `the damage is a finding: ${JSON.stringify(found.diagnostics)}`,
        );
    });
});

describe("an archive's manifest, written a few hundred entries at a time", () => {
    it("is the text JSON.stringify gives, with its sha256, at every size around its pieces", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "manifest-"));
        try {
            for (const n of [0, 1, 511, 512, 513, 1025]) {
                const entries = Array.from({ length: n }, (_, i) => ({
                    name: `python/pkg/m\u00e9${i}.py`,
                    sha256: crypto.createHash("sha256").update(String(i)).digest("hex"),
                    method: 8 as const,
                    crc32: i * 7919,
                    size: i,
                    compressedSize: i >> 1,
                    dataOffset: i * 100,
                    ...(i % 97 === 3 ? { secrets: ["an AWS access key"] } : {}),
                }));
                const file = path.join(dir, `${n}.json`);
                const sha = writeManifest(file, 6, entries);
                const expected = JSON.stringify({ level: 6, compressors: DEFLATE_ENGINE, manifest: entries });
                assert.equal(fs.readFileSync(file, "utf8"), expected, `${n} entries`);
                assert.equal(sha, crypto.createHash("sha256").update(expected).digest("hex"));
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
