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
// The same decompressor unpacks the installs that come from the remote
// cache (`packedArea`, `inflatePacked`; deflate-worker.ts `unpacked`): the
// stream is read straight into the module's memory and inflated there, and
// the caller checks the result's size, CRC-32 and sha256.
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
    ld_deflate_chunk(level: number, input: number, n: number, output: number, avail: number): number;
    ld_inflate(input: number, n: number, output: number, avail: number): number;
}

/** The smallest chunk deflateChunk takes (glue.c). */
const MIN_CHUNK = 64 * 1024;

/** A DEFLATE block that ends a stream and holds nothing (fixed Huffman, BFINAL set, end of block). */
const FINAL_EMPTY_BLOCK = Uint8Array.of(0x03, 0x00);

/** Raw DEFLATE through one instance of the module; see the module header. */
export class Libdeflate {
    private readonly exports: Exports;
    /** Input and output areas, kept between calls and grown to the largest file seen. */
    private input = { at: 0, size: 0 };
    private output = { at: 0, size: 0 };

    constructor() {
        const bytes = Buffer.from(wasm.base64, "base64");
        const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
        if (sha256 !== wasm.sha256) throw new Error(`builder/libdeflate/libdeflate.wasm.json is damaged (sha256 ${sha256}, expected ${wasm.sha256}); reinstall the package`);
        this.exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Exports;
        this.exports._initialize();
    }

    /** Room for an input of `n` bytes inside the module's memory (read a file straight into it); valid until the next call. */
    inputArea(n: number): Uint8Array {
        this.input = this.area(this.input, n);
        return new Uint8Array(this.exports.memory.buffer, this.input.at, n);
    }

    /**
     * Raw DEFLATE of the first `n` bytes of the input area at `level` (1–12), checked to inflate back to `n` bytes
     * whose CRC-32 is `crc32` (the caller's, computed from the input). Returns a view of the compressed bytes, valid
     * until the next call; the input area still holds the input.
     */
    deflateInput(n: number, level: number, crc32: number): Uint8Array {
        return this.compress(n, level, crc32, false);
    }

    /**
     * One chunk of a big file (not its last): the first `n` bytes of the input area (MIN_CHUNK or more) deflated
     * so that the next chunk's stream continues it (no final block, ending with an empty stored block, as pigz
     * joins zlib's chunks). The file's last chunk goes through deflateInput, which ends the stream. Checked like
     * deflateInput (the chunk with an empty final block after it must inflate back); returns a view valid until the
     * next call, and the input area still holds the input.
     */
    deflateChunk(n: number, level: number, crc32: number): Uint8Array {
        if (n < MIN_CHUNK) throw new RangeError(`a chunk must be ${MIN_CHUNK} bytes or more, not ${n}`);
        return this.compress(n, level, crc32, true);
    }

    private compress(n: number, level: number, crc32: number, chunk: boolean): Uint8Array {
        if (!Number.isInteger(level) || level < 1 || level > 12) throw new RangeError(`deflate level must be 1-12, not ${level}`);
        if (n > this.input.size) throw new RangeError(`the input area holds ${this.input.size} bytes, not ${n}`);
        const ex = this.exports;
        const bound = ex.ld_bound(level, n) >>> 0;
        if (!bound) throw new Error(`libdeflate could not make a level ${level} compressor (out of WebAssembly memory)`);
        // A chunk's sync flush adds a few bytes, and its check appends an empty final block.
        this.output = this.area(this.output, chunk ? bound + 16 : bound);
        const deflate = chunk ? ex.ld_deflate_chunk : ex.ld_deflate;
        const written = deflate(level, this.input.at, n, this.output.at, this.output.size - (chunk ? FINAL_EMPTY_BLOCK.length : 0)) >>> 0;
        if (!written) throw new Error("libdeflate compression failed");
        // A chunk is checked as a whole stream: an empty final block after it, then inflated (not part of the output).
        if (chunk) new Uint8Array(ex.memory.buffer, this.output.at + written, FINAL_EMPTY_BLOCK.length).set(FINAL_EMPTY_BLOCK);
        const checked = chunk ? written + FINAL_EMPTY_BLOCK.length : written;
        // Inflated into the input's own area: a good stream writes the same bytes back, and no third buffer the size of the file is needed.
        const back = ex.ld_inflate(this.output.at, checked, this.input.at, n) >>> 0;
        if (back !== n || zlib.crc32(new Uint8Array(ex.memory.buffer, this.input.at, n)) >>> 0 !== crc32 >>> 0) throw new Error("deflate output failed verification");
        return new Uint8Array(ex.memory.buffer, this.output.at, written);
    }

    /** Room for `n` bytes of a raw DEFLATE stream inside the module's memory (read it straight into it); valid until the next call. */
    packedArea(n: number): Uint8Array {
        this.output = this.area(this.output, n);
        return new Uint8Array(this.exports.memory.buffer, this.output.at, n);
    }

    /**
     * The stream in the first `n` bytes of the packed area, inflated into the input area: a view of its `size`
     * bytes (valid until the next call), or undefined when the stream is damaged or does not inflate to exactly
     * `size` bytes.
     */
    inflatePacked(n: number, size: number): Uint8Array | undefined {
        if (n > this.output.size) throw new RangeError(`the packed area holds ${this.output.size} bytes, not ${n}`);
        this.input = this.area(this.input, size);
        const written = this.exports.ld_inflate(this.output.at, n, this.input.at, size);
        // (size_t)-1 for a damaged stream or one longer than `size`.
        if (written >>> 0 !== size) return undefined;
        return new Uint8Array(this.exports.memory.buffer, this.input.at, size);
    }

    /** Raw DEFLATE of `raw`, checked as deflateInput does, as a new buffer of its own (transferable). */
    deflate(raw: Uint8Array, level: number, crc32: number): Uint8Array {
        this.inputArea(raw.length).set(raw);
        return this.deflateInput(raw.length, level, crc32).slice();
    }

    /** Bytes of memory the module holds: they grow to fit the largest file and are never given back while it lives. */
    get memoryBytes(): number {
        return this.exports.memory.buffer.byteLength;
    }

    private area(a: { at: number; size: number }, need: number): { at: number; size: number } {
        if (need <= a.size) return a;
        if (a.at) this.exports.ld_free(a.at);
        const size = Math.max(need, 64 * 1024);
        const at = this.exports.ld_alloc(size);
        if (!at) throw new Error(`libdeflate could not allocate ${size} bytes of WebAssembly memory`);
        return { at, size };
    }
}
