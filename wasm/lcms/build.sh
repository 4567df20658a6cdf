#!/usr/bin/env bash
# Builds wasm/lcms.wasm: Little CMS (Debian source package lcms2, pinned below) plus our C
# glue (wasm/lcms/glue.c), with clang-14 + wasi-libc + lld-14, for wasm32 with SIMD.
#
#   bash wasm/lcms/build.sh          (also run by wasm/build.sh and `npm run build:wasm`)
#
# - Sources come from Debian only: `apt-get source` through a private source list (the
#   machine's own Debian mirror and keyring, read from its apt sources at run time; nothing
#   system-wide changes), pinned to one version; the .dsc is checked against its pinned
#   sha256 and dpkg-source checks the tarballs against the .dsc (Debian's patches applied).
# - Installs the compilers it needs when missing (needs root and Debian's apt).
# - Reproducible: fixed flags, build paths remapped, SOURCE_DATE_EPOCH=0, no timestamps (the
#   glue's time() returns 0); the sha256 of the committed module is in wasm/README.md.
set -euo pipefail

LCMS_VERSION="2.16-2+deb13u2"
DSC_SHA256="8ff22453843eed5ef7bfb76b4cb2cfe490613337cb197141db658e5195ead9fc"
ORIG_SHA256="d873d34ad8b9b4cea010631f1a6228d2087475e4dc5e763eb81acc23d9d45a51"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WASM_DIR="$(dirname "$HERE")"
WORK="$HERE/target"          # git-ignored (wasm/*/target/)
OUT="$WASM_DIR/lcms.wasm"
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC

# shellcheck source=../lib/debian.sh
. "$WASM_DIR/lib/debian.sh"
ensure_packages lcms/build.sh clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 wabt dpkg-dev

# --- Sources: Debian's lcms2, pinned ------------------------------------------------------
SRC="$WORK/build/lcms2"
debian_source "$WORK" "lcms2=$LCMS_VERSION" "lcms2_${LCMS_VERSION}.dsc" "$DSC_SHA256" "$SRC"
echo "$ORIG_SHA256  $WORK/src/lcms2_2.16.orig.tar.gz" | sha256sum -c -

# --- Compile -----------------------------------------------------------------------------
# Little CMS is single-threaded here (no pthreads in workerd); NDEBUG drops assert(), which
# would link stdio's stderr. -flto + --gc-sections keep only what the glue reaches.
EXPORTS=()
for f in lcms_alloc lcms_free lcms_prepare lcms_apply lcms_reset; do EXPORTS+=("-Wl,--export=$f"); done
mkdir -p "$WORK/out"
(cd "$SRC" && PATH=/usr/lib/llvm-14/bin clang --target=wasm32-wasi \
  -O3 -msimd128 -flto -fuse-ld=/usr/bin/wasm-ld-14 \
  -DNDEBUG -DCMS_NO_PTHREADS=1 -DCMS_NO_REGISTER_KEYWORD=1 -Iinclude \
  -ffile-prefix-map="$SRC"=/build/lcms2 -ffile-prefix-map="$HERE"=/build/glue \
  -w -mexec-model=reactor \
  -Wl,--gc-sections -Wl,--strip-all "${EXPORTS[@]}" \
  -o "$WORK/out/lcms.wasm" src/*.c "$HERE/glue.c")

install_wasi_module lcms "$WORK/out/lcms.wasm" "$OUT"
