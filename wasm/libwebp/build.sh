#!/usr/bin/env bash
# Builds wasm/libwebp.wasm: Debian's libwebp 1.5.0 (libwebp, libwebpdemux, libwebpmux,
# libsharpyuv) plus our glue (wasm/libwebp/glue.c), as a standalone wasm32 module with wasm
# SIMD (libwebp's SSE2/SSE4.1 paths compiled by emscripten to simd128).
#
#   bash wasm/libwebp/build.sh          (also run by `npm run build:wasm`)
#
# - Source: `apt-get source libwebp=1.5.0-0.1` from Debian 13 (trixie), through a private
#   deb-src list under wasm/libwebp/target/ (nothing system-wide changes); the .dsc's sha256
#   is pinned below and dpkg-source checks the tarballs against the .dsc.
# - Patched: wasm/libwebp/vp8l-sliding-window.patch (lossless decode in a window of rows),
#   wasm/libwebp/yuva-rows.patch (RGBA → YUVA conversion of a band of rows, for the encoder),
#   wasm/libwebp/alpha-in-place.patch (the alpha plane's lossless encode without its copies),
#   wasm/libwebp/vp8l-cost-window.patch (VP8L's TraceBackwards costs in a window of positions),
#   wasm/libwebp/alpha-budget.patch (the alpha plane's lossless encode within a memory budget
#   set by the plane's size, stored uncompressed beyond it), wasm/libwebp/level-store.patch (the
#   lossy token loop's levels stored compactly instead of as tokens), wasm/libwebp/vp8l-rows.patch
#   (the lossless decode resumed band by band: glue.c webp_rows_*).
# - Toolchain: Debian's emscripten 3.1.6 (+ wabt, binaryen), installed when missing.
# - Reproducible: fixed build directory, SOURCE_DATE_EPOCH, -ffile-prefix-map, no debug info.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WASM_DIR="$(dirname "$HERE")"
OUT="$WASM_DIR/libwebp.wasm"
T="$HERE/target"
VERSION=1.5.0-0.1
DSC=libwebp_${VERSION}.dsc
DSC_SHA256=2e7be6f202ebfaac738278bebc10b151768aef60857e63734018ced4d59b9c9a
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
export NODE_PATH=/usr/share/nodejs

# shellcheck source=../lib/debian.sh
. "$WASM_DIR/lib/debian.sh"
ensure_packages libwebp/build.sh emscripten wabt binaryen dpkg-dev

# --- source: Debian's libwebp, pinned
SRC="$T/build/libwebp-1.5.0"
debian_source "$T" "libwebp=$VERSION" "$DSC" "$DSC_SHA256" "$SRC"
# Our patch (wasm/README.md, "libwebp.wasm"): the VP8L (lossless) decoder keeps a sliding
# window of rows instead of the whole ARGB image. Its sha256 is pinned here.
PATCH="$HERE/vp8l-sliding-window.patch"
PATCH_SHA256=ea236339f1bc3f18a664a3b987c3721b259b3089fb7c11c0a254c408a732aa04
echo "$PATCH_SHA256  $PATCH" | sha256sum -c --quiet
(cd "$SRC" && patch -p1 --quiet --no-backup-if-mismatch <"$PATCH")
# Our patch (wasm/README.md, "libwebp.wasm"): WebPPictureImportRGBA's RGBA → YUVA conversion
# exposed for a band of rows (the banded encode of glue.c, webp_band_*). Pinned likewise.
PATCH="$HERE/yuva-rows.patch"
PATCH_SHA256=53424d1b6e2b4facb188e6c5a3f110d848f7348bf7824be6e7c955453c7c095e
echo "$PATCH_SHA256  $PATCH" | sha256sum -c --quiet
(cd "$SRC" && patch -p1 --quiet --no-backup-if-mismatch <"$PATCH")
# Our patch (wasm/README.md, "The alpha plane's memory"): the alpha plane's lossless encode
# without its copies (no extracted plane at alpha_quality 100; the VP8L encoder transforms the
# ARGB picture in place instead of copying it). Pinned likewise.
PATCH="$HERE/alpha-in-place.patch"
PATCH_SHA256=a86513c2a8ecc5216e3d268775c29da0aaf0eafbe311ab670d10009edea18557
echo "$PATCH_SHA256  $PATCH" | sha256sum -c --quiet
(cd "$SRC" && patch -p1 --quiet --no-backup-if-mismatch <"$PATCH")
# Our patch (wasm/README.md, "The alpha plane's memory"): VP8L's shortest-path search
# (TraceBackwards) keeps its costs for a window of 2^14 positions instead of every pixel.
PATCH="$HERE/vp8l-cost-window.patch"
PATCH_SHA256=26ed6113240aaa6f096aa5d59349eaa16e29fb0cd86875ad283bd2266d274a36
echo "$PATCH_SHA256  $PATCH" | sha256sum -c --quiet
(cd "$SRC" && patch -p1 --quiet --no-backup-if-mismatch <"$PATCH")
# Our patch (wasm/README.md, "The alpha plane's memory"): the alpha plane's lossless encode
# within a budget of memory that depends on the plane's size only (WebPSafeMalloc counts while
# it is open); over it, the plane is stored uncompressed. VP8L's reference blocks at most
# 2^16 references. Pinned likewise.
PATCH="$HERE/alpha-budget.patch"
PATCH_SHA256=e9b74f76514f205235217ceee9e266391c695353f161293ebd902854e7016e7a
echo "$PATCH_SHA256  $PATCH" | sha256sum -c --quiet
(cd "$SRC" && patch -p1 --quiet --no-backup-if-mismatch <"$PATCH")
# Our patch (wasm/README.md, "The lossy encoder's tokens"): the token loop keeps the quantized
# levels compactly (about a quarter of the tokens' memory) and turns them into the same tokens
# a page at a time once the probabilities are known. Pinned likewise.
PATCH="$HERE/level-store.patch"
PATCH_SHA256=b2a7d5c4b2245856b44dad1afcc42183a62407b4fea3c01f4e079df84d10bb47
echo "$PATCH_SHA256  $PATCH" | sha256sum -c --quiet
(cd "$SRC" && patch -p1 --quiet --no-backup-if-mismatch <"$PATCH")
# Our patch (wasm/README.md, "The banded lossless decode"): VP8LDecodeImage decodes up to a
# stop row, and the VP8L decoder's window of rows may resume where its last call stopped, so
# glue.c's webp_rows_read decodes a band of rows per call (the streamed path pulls a lossless
# WebP's rows). Pinned likewise.
PATCH="$HERE/vp8l-rows.patch"
PATCH_SHA256=a2cd5c248a67093a2e52a1beaf8e539c6087c22b4a6c9fa3f6d826a425c5219a
echo "$PATCH_SHA256  $PATCH" | sha256sum -c --quiet
(cd "$SRC" && patch -p1 --quiet --no-backup-if-mismatch <"$PATCH")

# --- compile
CFLAGS=(-O3 -msimd128 -msse4.1 -DWEBP_HAVE_SSE2 -DWEBP_HAVE_SSE41 -DEMSCRIPTEN
  -DNDEBUG -DWEBP_DISABLE_STATS -I"$SRC" -I"$SRC/src" -ffile-prefix-map="$T/build"=/build
  -fno-ident -g0)
mapfile -t FILES < <(cd "$SRC" && ls src/dec/*.c src/demux/*.c src/dsp/*.c src/enc/*.c \
  src/mux/*.c src/utils/*.c sharpyuv/*.c | grep -Ev '_(neon|msa|mips32|mips_dsp_r2)\.c$' | sort)
EXPORTS=_webp_alloc,_webp_free,_webp_release,_webp_decode,_webp_anim_open,_webp_anim_next,_webp_anim_close,_webp_rows_open,_webp_rows_read,_webp_rows_close,_webp_encode,_webp_band_begin,_webp_band_put,_webp_band_finish,_webp_band_abort,_webp_yield_every,_webp_anim_enc_new,_webp_anim_enc_add,_webp_anim_enc_finish,_webp_version,_malloc,_free
(cd "$SRC" && emcc "${CFLAGS[@]}" "${FILES[@]}" "$HERE/glue.c" -o "$T/build/libwebp.wasm" \
  -sSTANDALONE_WASM --no-entry -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=1048576 \
  -sMAXIMUM_MEMORY=2147483648 -sTOTAL_STACK=262144 -sEXPORTED_FUNCTIONS=$EXPORTS \
  -sFILESYSTEM=0 -sASSERTIONS=0 --js-library "$HERE/imports.js")
wasm-validate "$T/build/libwebp.wasm"
cp "$T/build/libwebp.wasm" "$OUT"
echo "imports: $(wasm-objdump -x -j Import "$OUT" | grep -o '<- [^ ]*' | tr '\n' ' ')"
echo "$(wc -c <"$OUT") bytes  $(cd "$WASM_DIR" && sha256sum libwebp.wasm)"
