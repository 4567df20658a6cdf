#!/usr/bin/env bash
# Builds wasm/avif.wasm: AVIF decoding with Debian's dav1d 1.5.1 (AV1 decoder) and libavif
# 1.4.2 (AVIF container, colour conversion; with the C subset of libyuv's scaler that libavif
# ships in third_party/ when no system libyuv is used) plus our glue (wasm/avif/glue.c:
# banded YUV → RGBA8 with a box shrink), for wasm32 with SIMD, single-threaded.
#
#   bash wasm/avif/build.sh          (also run by wasm/build.sh and `npm run build:wasm`)
#
# - Sources from Debian only, through a private deb-src list (wasm/lib/debian.sh), pinned:
#   dav1d 1.5.1-1 from trixie; libavif 1.4.2-1 from forky (trixie's 1.2.1-1.2 is listed in
#   trixie's Sources but its files are gone from the mirror). Each .dsc is checked against
#   its sha256 below and dpkg-source checks the tarballs against the .dsc.
# - Patched: wasm/avif/scale-rows.patch (libyuv's plane scaler, in libavif's third_party/,
#   computes a window of destination rows, for avif_rows_run's banded scaling).
# - Toolchain: Debian 12 clang-14 + lld-14 + wasi-libc (+ meson, ninja for dav1d), installed
#   when missing. dav1d: meson cross build, no asm, 8- and 16-bit, our single-thread
#   <pthread.h> stand-in (wasm/avif/include/); -pthread (added by meson's threads dependency)
#   is filtered out by a compiler wrapper, so no shared memory or atomics are used.
# - Reproducible: fixed build paths remapped, SOURCE_DATE_EPOCH=0, no debug info, no
#   timestamps; the sha256 of the committed module is in wasm/README.md.
set -euo pipefail

DAV1D_VERSION=1.5.1-1
DAV1D_DSC_SHA256=a418ee8fdc8003feee1ba19391eac250e3ef03106c995c8e25b8a42b56de18cf
LIBAVIF_VERSION=1.4.2-1
LIBAVIF_SUITE=forky
LIBAVIF_DSC_SHA256=8ca9c8483159e7ca05d23df8ad625408e725303a5e57f1785dd6b76262001a7a

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WASM_DIR="$(dirname "$HERE")"
T="$HERE/target" # git-ignored (wasm/*/target/)
OUT="$WASM_DIR/avif.wasm"
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC

# shellcheck source=../lib/debian.sh
. "$WASM_DIR/lib/debian.sh"
ensure_packages avif/build.sh clang-14 lld-14 llvm-14 wasi-libc libclang-rt-14-dev-wasm32 \
  meson ninja-build wabt dpkg-dev patch

# --- Sources ----------------------------------------------------------------------------
DAV1D="$T/dav1d/build/dav1d"
LIBAVIF="$T/libavif/build/libavif"
debian_source "$T/dav1d" "dav1d=$DAV1D_VERSION" "dav1d_${DAV1D_VERSION}.dsc" "$DAV1D_DSC_SHA256" "$DAV1D"
debian_source "$T/libavif" "libavif=$LIBAVIF_VERSION" "libavif_${LIBAVIF_VERSION}.dsc" \
  "$LIBAVIF_DSC_SHA256" "$LIBAVIF" "$LIBAVIF_SUITE"
(cd "$LIBAVIF" && patch -p1 --quiet --no-backup-if-mismatch <"$HERE/scale-rows.patch")

# --- dav1d: meson cross build to a static library ----------------------------------------
TC="$T/toolchain"
rm -rf "$TC"
mkdir -p "$TC"
cat >"$TC/cc" <<'EOF'
#!/bin/sh
# clang-14 for wasm32-wasi, without the -pthread that meson's threads dependency adds.
for a in "$@"; do shift; [ "$a" = "-pthread" ] || set -- "$@" "$a"; done
exec /usr/lib/llvm-14/bin/clang --target=wasm32-wasi "$@"
EOF
chmod +x "$TC/cc"
cat >"$TC/cross.ini" <<EOF
[binaries]
c = '$TC/cc'
ar = '/usr/lib/llvm-14/bin/llvm-ar'
strip = '/usr/lib/llvm-14/bin/llvm-strip'
[built-in options]
c_args = ['-O3', '-msimd128', '-D_GNU_SOURCE', '-I$HERE/include', '-ffile-prefix-map=$DAV1D=/build/dav1d', '-ffile-prefix-map=$HERE=/build/glue', '-g0']
[host_machine]
system = 'wasi'
cpu_family = 'wasm32'
cpu = 'wasm32'
endian = 'little'
EOF
(cd "$DAV1D" && meson setup build --cross-file "$TC/cross.ini" -Denable_asm=false \
  -Denable_tools=false -Denable_tests=false -Denable_examples=false -Dlogging=false \
  -Ddefault_library=static -Dbuildtype=release -Db_ndebug=true -Dbitdepths=8,16 >/dev/null &&
  ninja -C build src/libdav1d.a >/dev/null)

# --- libavif + glue, linked with dav1d -----------------------------------------------------
EXPORTS=()
for f in avif_alloc avif_free avif_release avif_decode avif_rows_open avif_rows_run avif_version; do EXPORTS+=("-Wl,--export=$f"); done
mkdir -p "$T/out"
(cd "$LIBAVIF" && PATH=/usr/lib/llvm-14/bin clang --target=wasm32-wasi \
  -O3 -msimd128 -flto -fuse-ld=/usr/bin/wasm-ld-14 -DNDEBUG -DAVIF_CODEC_DAV1D=1 \
  -Iinclude -Ithird_party/libyuv/include -I"$HERE/include" -I"$DAV1D/include" \
  -I"$DAV1D/build/include" -ffile-prefix-map="$LIBAVIF"=/build/libavif \
  -ffile-prefix-map="$HERE"=/build/glue -g0 -w -mexec-model=reactor \
  -Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=262144 -Wl,--initial-memory=1048576 \
  -Wl,--max-memory=2147483648 "${EXPORTS[@]}" -o "$T/out/avif.wasm" \
  src/alpha.c src/avif.c src/colr.c src/colrconvert.c src/diag.c src/exif.c src/gainmap.c \
  src/io.c src/mem.c src/obu.c src/properties.c src/rawdata.c src/read.c src/reformat.c \
  src/reformat_libsharpyuv.c src/reformat_libyuv.c src/sampletransform.c src/scale.c \
  src/stream.c src/utils.c src/codec_dav1d.c third_party/libyuv/source/*.c \
  "$HERE/glue.c" "$DAV1D/build/src/libdav1d.a")

install_wasi_module avif "$T/out/avif.wasm" "$OUT" \
  "env.avif_pause env.avif_write_row fd_close fd_seek fd_write"
