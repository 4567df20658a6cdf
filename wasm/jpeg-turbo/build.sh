#!/usr/bin/env bash
# Builds wasm/jpeg_turbo.wasm: JPEG decoding with DCT scaling by eighths (libjpeg-turbo 2.1.5,
# Debian trixie's libjpeg-turbo 1:2.1.5-4, decompressor only) plus our glue
# (wasm/jpeg-turbo/glue.c: decode at M/8 to RGBA8, whole or as a stream of rows), and wasm/jpeg_turbo_enc.wasm: its
# compressor fed RGBA rows (wasm/jpeg-turbo/glue-enc.c), for wasm32 with SIMD, single-threaded.
#
#   bash wasm/jpeg-turbo/build.sh    (also run by wasm/build.sh and `npm run build:wasm`)
#
# - Source from Debian only, through a private deb-src list (wasm/lib/debian.sh), pinned.
#   The mirror no longer serves this version's .dsc (404), only its two tarballs, so they are
#   checked against the sha256s below, which are the ones trixie's signed Sources index lists
#   for 1:2.1.5-4 (apt verifies that index and the downloads against it; the .dsc's own
#   sha256 there is 26cbf22a…); Debian's patches (debian/patches/series) are applied in order.
# - libjpeg-turbo is compiled without CMake: jconfig.h, jconfigint.h and jversion.h are made
#   from its .in templates with the values its CMake build would give for this target
#   (JPEG_LIB_VERSION 62, 8-bit samples, size_t of 4, in-memory source), WITH_SIMD off (its
#   SIMD is x86/Arm asm and intrinsics: jsimd_none.c), arithmetic decoding off (as
#   jpeg_scaled.wasm, which refuses it). `-O3 -msimd128` lets clang vectorise the C code.
# - Toolchain: Debian 12 clang-14 + lld-14 + wasi-libc, installed when missing.
# - Reproducible: fixed build paths remapped, SOURCE_DATE_EPOCH=0, BUILD string fixed, no
#   debug info; the sha256 of the committed module is in wasm/README.md.
set -euo pipefail

VERSION=2.1.5
DEB_VERSION=1:2.1.5-4
ORIG_SHA256=254f3642b04e309fee775123133c6464181addc150499561020312ec61c1bf7c
DEBIAN_SHA256=739e7dc22904dccdc5ab105de57a6e4c1515c0e841e68226e6410ff4976e0e91

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WASM_DIR="$(dirname "$HERE")"
T="$HERE/target" # git-ignored (wasm/*/target/)
OUT="$WASM_DIR/jpeg_turbo.wasm"
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC

# shellcheck source=../lib/debian.sh
. "$WASM_DIR/lib/debian.sh"
ensure_packages jpeg-turbo/build.sh clang-14 lld-14 llvm-14 wasi-libc libclang-rt-14-dev-wasm32 \
  wabt patch

# --- Source -------------------------------------------------------------------------------
SRC="$T/fetch/src"
ORIG="$SRC/libjpeg-turbo_${VERSION}.orig.tar.gz"
DEBIAN="$SRC/libjpeg-turbo_${DEB_VERSION#1:}.debian.tar.xz"
if [ ! -f "$ORIG" ] || [ ! -f "$DEBIAN" ]; then
  # apt-get fetches both tarballs, then fails on the missing .dsc: that failure is expected.
  debian_fetch "$T/fetch" "libjpeg-turbo=$DEB_VERSION" || true
fi
printf '%s  %s\n%s  %s\n' "$ORIG_SHA256" "$ORIG" "$DEBIAN_SHA256" "$DEBIAN" | sha256sum -c -
LJT="$T/build/libjpeg-turbo"
rm -rf "$T/build"
mkdir -p "$T/build"
tar -xzf "$ORIG" -C "$T/build"
mv "$T/build/libjpeg-turbo-$VERSION" "$LJT"
tar -xJf "$DEBIAN" -C "$LJT"
while read -r p; do
  [ -n "$p" ] && [ "${p#\#}" = "$p" ] && patch -s -p1 -d "$LJT" <"$LJT/debian/patches/$p"
done <"$LJT/debian/patches/series"
# Our own patch (wasm/README.md): the compact K x K coefficient store for multi-scan files.
patch -s -p1 -d "$LJT" <"$HERE/progressive-kxk.patch"

# --- Configuration headers (what libjpeg-turbo's CMake would write for this target) -------
cfg() { sed -e "$1" "$LJT/$2.in" >"$LJT/$2"; }
cfg 's/@JPEG_LIB_VERSION@/62/; s/@VERSION@/'"$VERSION"'/;
  s/@LIBJPEG_TURBO_VERSION_NUMBER@/2001005/; s/@BITS_IN_JSAMPLE@/8/;
  s/#cmakedefine MEM_SRCDST_SUPPORTED 1/#define MEM_SRCDST_SUPPORTED 1/;
  s/#cmakedefine \(.*\)/\/* #undef \1 *\//' jconfig.h
cfg 's/@BUILD@/debian-'"${DEB_VERSION#1:}"'-wasm/; s/@INLINE@/__inline__ __attribute__((always_inline))/;
  s/@THREAD_LOCAL@//; s/@CMAKE_PROJECT_NAME@/libjpeg-turbo/; s/@VERSION@/'"$VERSION"'/;
  s/@SIZE_T@/4/; s/#cmakedefine HAVE_BUILTIN_CTZL/#define HAVE_BUILTIN_CTZL/;
  s/#cmakedefine \(.*\)/\/* #undef \1 *\//' jconfigint.h
cfg 's/@COPYRIGHT_YEAR@/1991-2023/' jversion.h
if grep -n '@[A-Z_]*@\|#cmakedefine' "$LJT/jconfig.h" "$LJT/jconfigint.h" "$LJT/jversion.h"; then
  echo "jpeg-turbo/build.sh: unconfigured template values left" >&2
  exit 1
fi

# --- Compile and link ----------------------------------------------------------------------
# The decompressor's sources (CMakeLists.txt JPEG_SOURCES minus the compressor, plus the
# SIMD-less dispatcher); jdcolext.c, jdmrgext.c, jdcol565.c, jdmrg565.c are #included.
SOURCES=(jdapimin.c jdapistd.c jdatasrc.c jdcoefct.c jdcolor.c jddctmgr.c jdhuff.c jdicc.c
  jdinput.c jdmainct.c jdmarker.c jdmaster.c jdmerge.c jdphuff.c jdpostct.c jdsample.c
  jerror.c jidctflt.c jidctfst.c jidctint.c jidctred.c jquant1.c jquant2.c jutils.c jmemmgr.c
  jmemnobs.c jcomapi.c jsimd_none.c)
EXPORTS=()
for f in jt_alloc jt_free jt_release jt_decode jt_open jt_read jt_close jt_version jt_message; do EXPORTS+=("-Wl,--export=$f"); done
mkdir -p "$T/out"
(cd "$LJT" && PATH=/usr/lib/llvm-14/bin clang --target=wasm32-wasi \
  -O3 -msimd128 -flto -fuse-ld=/usr/bin/wasm-ld-14 -DNDEBUG -DNO_GETENV -DNO_PUTENV -I. \
  -ffile-prefix-map="$LJT"=/build/libjpeg-turbo -ffile-prefix-map="$HERE"=/build/glue -g0 -w \
  -mexec-model=reactor -Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=262144 \
  -Wl,--initial-memory=1048576 -Wl,--max-memory=2147483648 "${EXPORTS[@]}" \
  -o "$T/out/jpeg_turbo.wasm" "${SOURCES[@]}" "$HERE/glue.c")

install_wasi_module jpeg-turbo "$T/out/jpeg_turbo.wasm" "$OUT"

# The compressor (CMakeLists.txt JPEG_SOURCES: the jc*.c files, jdatadst.c, the forward DCTs and
# the shared ones; no arithmetic coding) with its glue (wasm/jpeg-turbo/glue-enc.c: RGBA rows in,
# the JPEG handed out a segment at a time through its one host import, env.je_write), linked into
# a module of its own: wasm/jpeg_turbo_enc.wasm.
ENC_SOURCES=(jcapimin.c jcapistd.c jccoefct.c jccolor.c jcdctmgr.c jchuff.c jcicc.c jcinit.c
  jcmainct.c jcmarker.c jcmaster.c jcomapi.c jcparam.c jcphuff.c jcprepct.c jcsample.c
  jdatadst.c jerror.c jfdctflt.c jfdctfst.c jfdctint.c jutils.c jmemmgr.c jmemnobs.c jsimd_none.c)
ENC_EXPORTS=()
for f in je_begin je_put je_finish je_release je_message; do ENC_EXPORTS+=("-Wl,--export=$f"); done
(cd "$LJT" && PATH=/usr/lib/llvm-14/bin clang --target=wasm32-wasi \
  -O3 -msimd128 -flto -fuse-ld=/usr/bin/wasm-ld-14 -DNDEBUG -DNO_GETENV -DNO_PUTENV -I. \
  -ffile-prefix-map="$LJT"=/build/libjpeg-turbo -ffile-prefix-map="$HERE"=/build/glue -g0 -w \
  -mexec-model=reactor -Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=262144 \
  -Wl,--initial-memory=1048576 -Wl,--max-memory=2147483648 "${ENC_EXPORTS[@]}" \
  -o "$T/out/jpeg_turbo_enc.wasm" "${ENC_SOURCES[@]}" "$HERE/glue-enc.c")

install_wasi_module jpeg-turbo "$T/out/jpeg_turbo_enc.wasm" "$WASM_DIR/jpeg_turbo_enc.wasm" \
  "env.je_write fd_close fd_seek fd_write"
