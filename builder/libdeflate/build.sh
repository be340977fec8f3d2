#!/usr/bin/env bash
# Rebuilds libdeflate.wasm.json: libdeflate's compressor compiled to WebAssembly
# from pinned sources by a pinned compiler, so anyone can check that the
# checked-in module is what these lines make (the build is reproducible: the
# same sha256 on every run).
#
#   bash builder/libdeflate/build.sh      (about a minute; downloads ~110 MB once)
#
# - libdeflate 1.23: Debian's original tarball, checked against the sha256 of
#   Debian's source index (trixie, libdeflate 1.23-2).
# - zig 0.17.1 from PyPI (the `ziglang` wheel): a C compiler with a WASI libc
#   for wasm32, one download with no system packages.
# - chunk-mode.patch: a flag under which no block is final and the output ends
#   with an empty stored block, so a big file's chunks join into one stream
#   (as pigz does with zlib) and never need the whole file in memory.
# - small-input.patch: after a small input, only the hash buckets it could
#   have written are cleared, instead of both whole tables (192 KiB) before
#   every input; the output is the same.
# - -mbulk-memory turns the per-file clearing of libdeflate's hash tables into
#   one memory.fill instead of a loop: the reason for building it ourselves
#   (docs/BENCHMARKS.md, builder/DESIGN.md).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${LIBDEFLATE_BUILD_DIR:-${TMPDIR:-/tmp}/libdeflate-build}"
version=1.23
tarball="libdeflate_${version}.orig.tar.gz"
tarball_sha256=1ab18349b9fb0ce8a0ca4116bded725be7dcbfa709e19f6f983d99df1fb8b25f
zig_version=0.17.1

mkdir -p "$work"
cd "$work"
if ! echo "$tarball_sha256  $tarball" | sha256sum -c --status 2>/dev/null; then
    curl -fsSLo "$tarball" "https://deb.debian.org/debian/pool/main/libd/libdeflate/$tarball"
    echo "$tarball_sha256  $tarball" | sha256sum -c --quiet
fi
rm -rf "libdeflate-$version" && tar xzf "$tarball"
# A file's chunks deflated one by one and joined (builder/libdeflate/index.ts, deflateChunk).
patch -s -d "libdeflate-$version" -p1 < "$here/chunk-mode.patch"
# Small files without clearing the whole hash tables each time (builder/libdeflate/index.ts).
patch -s -d "libdeflate-$version" -p1 < "$here/small-input.patch"
if [ ! -x zig/ziglang/zig ]; then
    python3 -m pip download --quiet --no-deps --only-binary :all: -d wheel "ziglang==$zig_version"
    rm -rf zig && python3 -m zipfile -e wheel/ziglang-"$zig_version"-*.whl zig && chmod +x zig/ziglang/zig
fi
src="libdeflate-$version"
ZIG_GLOBAL_CACHE_DIR="$work/zig-cache" ZIG_LOCAL_CACHE_DIR="$work/zig-cache" \
    zig/ziglang/zig cc -target wasm32-wasi -mexec-model=reactor -O3 -mbulk-memory -msimd128 -DNDEBUG -s \
    -I"$src" "$here/glue.c" "$src/lib/deflate_compress.c" "$src/lib/deflate_decompress.c" "$src/lib/utils.c" -o libdeflate.wasm
sha256=$(sha256sum libdeflate.wasm | cut -d' ' -f1)
python3 - "$here/libdeflate.wasm.json" "$version" "$zig_version" "$sha256" <<'PY'
import base64, json, sys
out, version, zig, sha256 = sys.argv[1:]
data = base64.b64encode(open("libdeflate.wasm", "rb").read()).decode()
json.dump({"libdeflate": version, "compiler": f"zig {zig}", "sha256": sha256, "base64": data}, open(out, "w"), indent=2)
open(out, "a").write("\n")
PY
echo "libdeflate.wasm.json: libdeflate $version, sha256 $sha256"
