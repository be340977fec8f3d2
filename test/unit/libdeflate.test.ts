// Our WebAssembly build of libdeflate (builder/libdeflate): what it writes
// inflates back to the input at every level, for real files of every size,
// and its bytes stay those of the build the archives were checked with (a
// different build writing other bytes would change every function's
// sourceCodeHash without any change of the user's).
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { LIBDEFLATE, Libdeflate } from "../../builder/libdeflate";
import wasm from "../../builder/libdeflate/libdeflate.wasm.json";

const sha256 = (b: Uint8Array) => crypto.createHash("sha256").update(b).digest("hex");

/** Python-like source, the same on every run. */
function pythonLike(lines: number): Buffer {
    return Buffer.from(Array.from({ length: lines }, (_, i) => `def handler_${i}(event, context):\n    return {"status": ${i % 7}, "body": "item-${(i * 7919) % 1000}"}\n`).join(""));
}

describe("libdeflate (our WebAssembly build)", () => {
    const lib = new Libdeflate();
    const deflate = (raw: Uint8Array, level: number, crc32: number) => lib.deflate(raw, level, crc32);

    it("is the module build.sh makes, named in archive keys", () => {
        assert.equal(sha256(Buffer.from(wasm.base64, "base64")), wasm.sha256);
        assert.match(LIBDEFLATE, /^libdeflate 1\.23 \(zig 0\.17\.1, wasm sha256 [0-9a-f]{12}\)$/);
    });

    it("round-trips real files of every size at every level", function () {
        this.timeout(120_000); // level 12 on megabytes takes seconds on a slow machine
        const aws = path.dirname(require.resolve("@pulumi/aws/package.json"));
        const inputs: Buffer[] = [
            Buffer.from("x"),
            Buffer.from("def handler(event, context):\n    return 1\n"),
            fs.readFileSync(path.join(aws, "package.json")),
            fs.readFileSync(path.join(aws, "index.js")),
            fs.readFileSync(path.join(aws, "types", "input.d.ts")).subarray(0, 2_000_000), // 2 MB of text
            crypto.randomBytes(300_000), // incompressible: output larger than input must still fit
            Buffer.alloc(5_000_000), // one long run
        ];
        for (const level of [1, 2, 6, 9, 12]) {
            for (const raw of inputs) {
                const packed = deflate(raw, level, zlib.crc32(raw));
                assert.ok(zlib.inflateRawSync(packed).equals(raw), `level ${level}, ${raw.length} bytes`);
            }
        }
    });

    it("keeps its compressors and buffers between calls without mixing inputs", () => {
        const big = pythonLike(20_000);
        const small = pythonLike(3);
        const first = deflate(small, 6, zlib.crc32(small));
        deflate(big, 6, zlib.crc32(big));
        assert.ok(Buffer.from(deflate(small, 6, zlib.crc32(small))).equals(Buffer.from(first)), "a small file after a big one gives the same bytes");
        assert.ok(zlib.inflateRawSync(deflate(small, 6, zlib.crc32(small))).equals(small));
    });

    it("writes the same bytes as the build archives were checked with", () => {
        const five = pythonLike(5000);
        // The npm package libdeflate 0.1.0, used before this build, gives these same two digests.
        // Level 6 is the default of every build; 12 is the slowest code path.
        assert.equal(sha256(deflate(five, 6, zlib.crc32(five))), "9b1b2369b3fcc8164c12d4431d273c08aa765885cfc22f12c53770b8e4e75050");
        assert.equal(sha256(deflate(five, 12, zlib.crc32(five))), "30e16b75a18eb1f55a2d6810816826673b2543c59c780d140fc05da2fab8e673");
    });

    it("gives a small file the same bytes whatever it follows (small-input.patch clears only what the last input wrote)", () => {
        // Real small files, each compressed after all the others by one instance and alone by a fresh one.
        const aws = path.dirname(require.resolve("@pulumi/aws/package.json"));
        const small = ["lambda", "iam", "s3"]
            .flatMap((d) => fs.readdirSync(path.join(aws, d)).map((f) => fs.readFileSync(path.join(aws, d, f))))
            .filter((b) => b.length > 0 && b.length <= 8192)
            .slice(0, 150);
        assert.ok(small.length >= 100, `found ${small.length} small files`);
        for (const level of [2, 4, 6, 9]) {
            const inSequence = small.map((raw) => Buffer.from(deflate(raw, level, zlib.crc32(raw))));
            small.forEach((raw, i) => {
                const alone = Buffer.from(new Libdeflate().deflate(raw, level, zlib.crc32(raw)));
                assert.ok(alone.equals(inSequence[i]), `level ${level}: input ${i} (${raw.length} bytes) differs after the others`);
            });
        }
        // And the bytes of the build before the patch (levels 4 and 6 are its two code paths, greedy and lazy).
        const three = pythonLike(40); // 3 KB
        assert.equal(sha256(deflate(three, 4, zlib.crc32(three))), "ab4de3bd434cf7faf407f175851dc5e458704033ffc2ee08a05e39dfa0bc0f0e");
        assert.equal(sha256(deflate(three, 6, zlib.crc32(three))), "f1365e70fcb2dc3ca5a17c4ec22b82a8681b561b17f08ceb15aa5e6dd15583da");
    });

    it("checks each stream against the caller's CRC before handing it out", () => {
        const raw = pythonLike(100);
        assert.throws(() => deflate(raw, 6, (zlib.crc32(raw) + 1) >>> 0), /deflate output failed verification/);
        assert.ok(zlib.inflateRawSync(deflate(raw, 6, zlib.crc32(raw))).equals(raw), "and works again after a refusal");
    });

    it("compresses a file read straight into its memory, and leaves the input there", () => {
        const raw = pythonLike(2000);
        const area = lib.inputArea(raw.length);
        raw.copy(area);
        const packed = Buffer.from(lib.deflateInput(raw.length, 6, zlib.crc32(raw)));
        assert.ok(zlib.inflateRawSync(packed).equals(raw));
        assert.ok(Buffer.from(lib.inputArea(raw.length)).equals(raw), "the input area still holds the input");
        assert.ok(lib.memoryBytes >= raw.length + packed.length);
    });

    it("deflates chunks that join into one stream, and goes back to whole streams after", function () {
        this.timeout(120_000);
        const five = pythonLike(5000);
        const chunk = 256 * 1024;
        for (const [name, raw] of [
            ["text", pythonLike(40_000)],
            ["random", crypto.randomBytes(3 * chunk + 1000)],
            ["zeros", Buffer.alloc(2 * chunk + 7)],
        ] as const) {
            for (const level of [1, 6, 12]) {
                const parts: Buffer[] = [];
                for (let at = 0; at < raw.length; at += chunk) {
                    const piece = raw.subarray(at, at + chunk);
                    lib.inputArea(piece.length).set(piece);
                    const last = at + chunk >= raw.length;
                    const part = Buffer.from(last ? lib.deflateInput(piece.length, level, zlib.crc32(piece)) : lib.deflateChunk(piece.length, level, zlib.crc32(piece)));
                    if (!last) assert.ok(part.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff])), `${name} level ${level}: a chunk ends with an empty stored block`);
                    parts.push(part);
                }
                assert.ok(parts.length > 1);
                assert.ok(zlib.inflateRawSync(Buffer.concat(parts)).equals(raw), `${name} level ${level}: the joined stream inflates to the input`);
            }
        }
        assert.equal(sha256(deflate(five, 6, zlib.crc32(five))), "9b1b2369b3fcc8164c12d4431d273c08aa765885cfc22f12c53770b8e4e75050", "whole streams are unchanged after chunks");
    });

    it("refuses a chunk too small to be one, or one that does not inflate back", () => {
        const raw = pythonLike(2000);
        lib.inputArea(1000).set(raw.subarray(0, 1000));
        assert.throws(() => lib.deflateChunk(1000, 6, zlib.crc32(raw.subarray(0, 1000))), /a chunk must be 65536 bytes or more, not 1000/);
        lib.inputArea(raw.length).set(raw);
        assert.throws(() => lib.deflateChunk(raw.length, 6, (zlib.crc32(raw) + 1) >>> 0), /failed verification/);
    });

    it("refuses a level it does not have", () => {
        assert.throws(() => deflate(Buffer.from("x"), 0, 0), /deflate level must be 1-12, not 0/);
        assert.throws(() => deflate(Buffer.from("x"), 13, 0), /deflate level must be 1-12, not 13/);
    });
});
