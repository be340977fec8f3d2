/*
 * The few entry points the deflate workers call (builder/libdeflate/index.ts).
 * One compressor per level is allocated on first use and kept: a libdeflate
 * compressor may be reused for any number of inputs, and allocating one per
 * file was most of the cost of a small file in the npm wrapper we replaced.
 * The decompressor checks every stream before it goes into an archive.
 */
#include <stdlib.h>
#include "libdeflate.h"

/* Set by chunk-mode.patch's deflate_compress.c: no final block, ending with a sync flush. */
extern int libdeflate_chunk_mode;

static struct libdeflate_compressor *compressors[13];
static struct libdeflate_decompressor *decompressor;

static struct libdeflate_compressor *compressor(int level) {
    if (level < 1 || level > 12) return 0;
    if (!compressors[level]) compressors[level] = libdeflate_alloc_compressor(level);
    return compressors[level];
}

__attribute__((export_name("ld_alloc"))) void *ld_alloc(size_t n) { return malloc(n); }

__attribute__((export_name("ld_free"))) void ld_free(void *p) { free(p); }

/* The largest output ld_deflate can write for n input bytes at this level; 0 if the level is invalid or memory ran out. */
__attribute__((export_name("ld_bound"))) size_t ld_bound(int level, size_t n) {
    struct libdeflate_compressor *c = compressor(level);
    return c ? libdeflate_deflate_compress_bound(c, n) : 0;
}

/* Raw DEFLATE of in[0..n) into out[0..avail): the compressed size, or 0 if it did not fit. */
__attribute__((export_name("ld_deflate"))) size_t ld_deflate(int level, const void *in, size_t n, void *out, size_t avail) {
    struct libdeflate_compressor *c = compressor(level);
    return c ? libdeflate_deflate_compress(c, in, n, out, avail) : 0;
}

/*
 * Raw DEFLATE of one chunk of a bigger file, in[0..n) with n of 64 KiB or more,
 * whose output joins the next chunk's: no block is final and it ends with an
 * empty stored block (byte-aligned). out needs ld_bound(level, n) + 8 bytes.
 * The compressed size, or 0 if it did not fit.
 */
__attribute__((export_name("ld_deflate_chunk"))) size_t ld_deflate_chunk(int level, const void *in, size_t n, void *out, size_t avail) {
    struct libdeflate_compressor *c = compressor(level);
    size_t written;
    if (!c || n < 65536) return 0;
    libdeflate_chunk_mode = 1;
    written = libdeflate_deflate_compress(c, in, n, out, avail);
    libdeflate_chunk_mode = 0;
    return written;
}

/* Inflates in[0..n) into out[0..avail): the number of bytes it gave, or (size_t)-1 if the stream is not valid DEFLATE or does not fit. */
__attribute__((export_name("ld_inflate"))) size_t ld_inflate(const void *in, size_t n, void *out, size_t avail) {
    size_t actual = 0;
    if (!decompressor) decompressor = libdeflate_alloc_decompressor();
    if (!decompressor || libdeflate_deflate_decompress(decompressor, in, n, out, avail, &actual) != LIBDEFLATE_SUCCESS) return (size_t)-1;
    return actual;
}
