#!/usr/bin/env bash
# Builds wasm/avif_enc.wasm: AVIF encoding with Debian's aom 3.12.1 (AV1 encoder only) and
# libavif 1.4.2 (AVIF container, RGB → YUV) plus our glue (wasm/avif-enc/glue.c: RGBA8 →
# AVIF, 8-bit 4:2:0, alpha kept), for wasm32 (no SIMD), single-threaded.
#
#   bash wasm/avif-enc/build.sh      (also run by wasm/build.sh and `npm run build:wasm`)
#
# - Sources from Debian only, through a private deb-src list (wasm/lib/debian.sh), pinned:
#   aom 3.12.1-1+deb13u1 from trixie: the mirror no longer serves this version's .dsc (404),
#   only its two tarballs, so they are checked against the sha256s below, which are the ones
#   trixie's signed Sources index lists for it (apt verifies that index and the downloads
#   against it); Debian's patches (debian/patches/series) are applied in order. libavif
#   1.4.2-1 from forky, the same pinned .dsc as wasm/avif/build.sh (trixie's 1.2.1-1.2 files
#   are gone from the mirror); dpkg-source checks its tarballs against the .dsc.
# - aom: CMake cross build to static libraries, encoder only (CONFIG_AV1_DECODER=0), generic
#   C target (no x86/Arm asm or intrinsics), no threads (CONFIG_MULTITHREAD=0), 8-bit only
#   (CONFIG_AV1_HIGHBITDEPTH=0), no tests, tools, examples, docs, WebM or libyuv. Its error
#   path (setjmp/longjmp) goes through our <setjmp.h> (wasm/avif-enc/include/): an aom error
#   traps. Built without -msimd128: with it (clang vectorising aom's generic C) the encoder was
#   no faster in Node (800x1067 and 1600 px, A/B in one process) and the module 1 MB larger
#   (AVIF_ENC_CFLAGS overrides the optimisation flags for such an experiment).
# - libavif: compiled with its aom encoder glue only; its YUV → RGB threads are never started
#   (maxThreads 1), so wasm/avif/include/pthread.h, the single-thread stand-in, serves.
# - Toolchain: Debian 12 clang-14 + lld-14 + wasi-libc (+ cmake, perl for aom), installed
#   when missing.
# - Reproducible: fixed build paths remapped, SOURCE_DATE_EPOCH=0, no debug info, no
#   timestamps; the sha256 of the committed module is in wasm/README.md.
set -euo pipefail

AOM_VERSION=3.12.1
AOM_DEB_VERSION=3.12.1-1+deb13u1
AOM_ORIG_SHA256=40c929a41b2a59c24319a699c358351422829b3ae646de31b18cbabed0191962
AOM_DEBIAN_SHA256=e94efe3356d69b0056dd95746f3cf29551130766b3f3503365e40e9d1c8f8ee7
LIBAVIF_VERSION=1.4.2-1
LIBAVIF_SUITE=forky
LIBAVIF_DSC_SHA256=8ca9c8483159e7ca05d23df8ad625408e725303a5e57f1785dd6b76262001a7a
CFLAGS_OPT=${AVIF_ENC_CFLAGS:--O3}

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WASM_DIR="$(dirname "$HERE")"
T="$HERE/target" # git-ignored (wasm/*/target/)
OUT="${AVIF_ENC_OUT:-$WASM_DIR/avif_enc.wasm}"
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC

# shellcheck source=../lib/debian.sh
. "$WASM_DIR/lib/debian.sh"
ensure_packages avif-enc/build.sh clang-14 lld-14 llvm-14 wasi-libc libclang-rt-14-dev-wasm32 \
  cmake make perl wabt dpkg-dev patch

# --- Sources ----------------------------------------------------------------------------
SRC="$T/fetch/src"
ORIG="$SRC/aom_${AOM_VERSION}.orig.tar.gz"
DEBIAN="$SRC/aom_${AOM_DEB_VERSION}.debian.tar.xz"
if [ ! -f "$ORIG" ] || [ ! -f "$DEBIAN" ]; then
  # apt-get fetches both tarballs, then fails on the missing .dsc: that failure is expected.
  debian_fetch "$T/fetch" "aom=$AOM_DEB_VERSION" || true
fi
printf '%s  %s\n%s  %s\n' "$AOM_ORIG_SHA256" "$ORIG" "$AOM_DEBIAN_SHA256" "$DEBIAN" | sha256sum -c -
AOM="$T/build/aom"
rm -rf "$T/build"
mkdir -p "$T/build"
tar -xzf "$ORIG" -C "$T/build"
mv "$T/build/aom-$AOM_VERSION" "$AOM"
tar -xJf "$DEBIAN" -C "$AOM"
while read -r p; do
  [ -n "$p" ] && [ "${p#\#}" = "$p" ] && patch -s -p1 -d "$AOM" <"$AOM/debian/patches/$p"
done <"$AOM/debian/patches/series"

LIBAVIF="$T/libavif/build/libavif"
debian_source "$T/libavif" "libavif=$LIBAVIF_VERSION" "libavif_${LIBAVIF_VERSION}.dsc" \
  "$LIBAVIF_DSC_SHA256" "$LIBAVIF" "$LIBAVIF_SUITE"

# --- aom: CMake cross build, encoder only --------------------------------------------------
TC="$T/toolchain.cmake"
cat >"$TC" <<TOOLCHAIN
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(CMAKE_C_COMPILER /usr/lib/llvm-14/bin/clang)
set(CMAKE_CXX_COMPILER /usr/lib/llvm-14/bin/clang++)
set(CMAKE_C_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)
set(CMAKE_AR /usr/lib/llvm-14/bin/llvm-ar)
set(CMAKE_RANLIB /usr/lib/llvm-14/bin/llvm-ranlib)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
TOOLCHAIN
AOM_FLAGS="$CFLAGS_OPT -DNDEBUG -I$HERE/include -ffile-prefix-map=$AOM=/build/aom -ffile-prefix-map=$HERE=/build/glue -g0"
cmake -S "$AOM" -B "$AOM/out" -DCMAKE_TOOLCHAIN_FILE="$TC" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS_RELEASE="$AOM_FLAGS" -DCMAKE_CXX_FLAGS_RELEASE="$AOM_FLAGS" \
  -DAOM_TARGET_CPU=generic -DCONFIG_AV1_DECODER=0 -DCONFIG_AV1_ENCODER=1 \
  -DCONFIG_MULTITHREAD=0 -DCONFIG_RUNTIME_CPU_DETECT=0 -DCONFIG_AV1_HIGHBITDEPTH=0 \
  -DCONFIG_WEBM_IO=0 -DCONFIG_LIBYUV=0 -DENABLE_DOCS=0 -DENABLE_EXAMPLES=0 -DENABLE_TESTS=0 \
  -DENABLE_TESTDATA=0 -DENABLE_TOOLS=0 -DCONFIG_PIC=0 >"$T/aom-cmake.log" 2>&1
make -C "$AOM/out" -j"${JOBS:-2}" aom >"$T/aom-make.log" 2>&1

# --- libavif (encoder side) + glue, linked with aom -----------------------------------------
EXPORTS=()
for f in avifenc_alloc avifenc_free avifenc_release avifenc_encode avifenc_version; do
  EXPORTS+=("-Wl,--export=$f")
done
mkdir -p "$T/out"
(cd "$LIBAVIF" && PATH=/usr/lib/llvm-14/bin clang --target=wasm32-wasi \
  $CFLAGS_OPT -flto -fuse-ld=/usr/bin/wasm-ld-14 -DNDEBUG -DAVIF_CODEC_AOM=1 \
  -DAVIF_CODEC_AOM_ENCODE=1 -Iinclude -Ithird_party/libyuv/include -I"$AOM" -I"$WASM_DIR/avif/include" \
  -ffile-prefix-map="$LIBAVIF"=/build/libavif -ffile-prefix-map="$AOM"=/build/aom \
  -ffile-prefix-map="$HERE"=/build/glue -g0 -w -mexec-model=reactor \
  -Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=1048576 -Wl,--initial-memory=2097152 \
  -Wl,--max-memory=2147483648 "${EXPORTS[@]}" -o "$T/out/avif_enc.wasm" \
  src/alpha.c src/avif.c src/colr.c src/colrconvert.c src/diag.c src/exif.c src/gainmap.c \
  src/io.c src/mem.c src/obu.c src/properties.c src/rawdata.c src/read.c src/reformat.c \
  src/reformat_libsharpyuv.c src/reformat_libyuv.c src/sampletransform.c src/scale.c \
  src/stream.c src/utils.c src/write.c src/codec_aom.c third_party/libyuv/source/*.c \
  "$HERE/glue.c" "$AOM/out/libaom.a")

# aom's encoder links code paths that open files (film-grain tables, debug dumps), read the
# clock (its timers) and exit; none runs with our options. The host answers these WASI calls
# with ENOSYS / a zero clock / a throw (src/codecs/avif-enc.ts).
install_wasi_module avif-enc "$T/out/avif_enc.wasm" "$OUT" "clock_time_get fd_close \
fd_fdstat_get fd_fdstat_set_flags fd_prestat_dir_name fd_prestat_get fd_read fd_seek fd_write \
path_open proc_exit"
