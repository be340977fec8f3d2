// libdeflate's raw DEFLATE compressor, compiled to WebAssembly by
// build.sh beside this file from pinned sources (libdeflate 1.23 from
// Debian, zig 0.17.1 from PyPI) and checked in as libdeflate.wasm.json.
//
// It replaces the `libdeflate` npm package (0.1.0), whose module was built
// without bulk memory: clearing the compressor's hash tables before each
// file ran as a loop, about 60 µs for any file of 32 bytes or more, and it
// allocated a new compressor per call. This build clears them with one
// memory.fill and keeps one compressor per level: the same bytes out (every
// file of the benchmark corpus and of the 20,000 small files compared
// equal), 3–4x less time on small files (docs/BENCHMARKS.md).
//
// Every stream is checked before it is handed out: libdeflate's decompressor
// (separate code from the compressor) inflates the exact bytes returned, and
// the length and CRC-32 (Node's zlib, outside the WebAssembly) of what comes
// back must equal the input's. That catches a fault in this wrapper or the
// module (a wrong range, stale memory, a truncated or invalid stream) at a
// third of the cost of inflating with Node's zlib, which makes a new zlib
// stream per call (20,000 small files: 111 ms against 240–355 ms).
//
// One instance per thread: each deflate worker makes its own.
import * as crypto from "crypto";
import * as zlib from "zlib";
import wasm from "./libdeflate.wasm.json";

/** Names the compressor in every archive key: another build or version may write other bytes. */
export const LIBDEFLATE = `libdeflate ${wasm.libdeflate} (${wasm.compiler}, wasm sha256 ${wasm.sha256.slice(0, 12)})`;

// The few WebAssembly names used here (the project's lib settings have no DOM or WebAssembly types).
declare const WebAssembly: {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Exports {
    memory: { buffer: ArrayBuffer };
    _initialize(): void;
    ld_alloc(n: number): number;
    ld_free(p: number): void;
    ld_bound(level: number, n: number): number;
    ld_deflate(level: number, input: number, n: number, output: number, avail: number): number;
    ld_inflate(input: number, n: number, output: number, avail: number): number;
}

/**
 * Raw DEFLATE of `raw` at `level` (1–12), as a new buffer of its own (transferable), checked to inflate back to
 * `raw.length` bytes whose CRC-32 is `crc32` (the caller's, computed from `raw`).
 */
export type Deflate = (raw: Uint8Array, level: number, crc32: number) => Uint8Array;

export function createDeflate(): Deflate {
    const bytes = Buffer.from(wasm.base64, "base64");
    const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
    if (sha256 !== wasm.sha256) throw new Error(`builder/libdeflate/libdeflate.wasm.json is damaged (sha256 ${sha256}, expected ${wasm.sha256}); reinstall the package`);
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Exports;
    exports._initialize();
    // Input and output areas are kept between calls and grow to the largest file seen.
    let input = { at: 0, size: 0 };
    let output = { at: 0, size: 0 };
    const area = (a: { at: number; size: number }, need: number) => {
        if (need <= a.size) return a;
        if (a.at) exports.ld_free(a.at);
        const size = Math.max(need, 64 * 1024);
        const at = exports.ld_alloc(size);
        if (!at) throw new Error(`libdeflate could not allocate ${size} bytes of WebAssembly memory`);
        return { at, size };
    };
    return (raw, level, crc32) => {
        if (!Number.isInteger(level) || level < 1 || level > 12) throw new RangeError(`deflate level must be 1-12, not ${level}`);
        const bound = exports.ld_bound(level, raw.length) >>> 0;
        if (!bound) throw new Error(`libdeflate could not make a level ${level} compressor (out of WebAssembly memory)`);
        input = area(input, raw.length);
        output = area(output, bound);
        new Uint8Array(exports.memory.buffer, input.at, raw.length).set(raw);
        const written = exports.ld_deflate(level, input.at, raw.length, output.at, output.size) >>> 0;
        if (!written) throw new Error("libdeflate compression failed");
        // Inflated into the input's area, whose bytes are no longer needed: no third buffer the size of the file.
        const back = exports.ld_inflate(output.at, written, input.at, raw.length) >>> 0;
        if (back !== raw.length || zlib.crc32(new Uint8Array(exports.memory.buffer, input.at, back)) >>> 0 !== crc32 >>> 0) throw new Error("deflate output failed verification");
        return new Uint8Array(exports.memory.buffer.slice(output.at, output.at + written));
    };
}
