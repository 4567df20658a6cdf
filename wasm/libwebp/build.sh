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

PKGS=(emscripten wabt binaryen dpkg-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "libwebp/build.sh: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PKGS[@]}"
fi

# --- source (private deb-src list; URIs and Signed-By read from the machine's Debian entry)
mkdir -p "$T/apt/lists/partial" "$T/src"
if [ ! -f "$T/src/$DSC" ]; then
  entry=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v RS= '/debian-archive-keyring|URIs: .*\/debian$/ && !/security/ {print; exit}')
  uri=$(printf '%s\n' "$entry" | sed -n 's/^URIs: *//p' | head -1)
  key=$(printf '%s\n' "$entry" | sed -n 's/^Signed-By: *//p' | head -1)
  [ -n "$uri" ] && [ -n "$key" ] || { echo "libwebp/build.sh: no Debian deb entry in /etc/apt/sources.list.d" >&2; exit 1; }
  printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' "$uri" "$key" >"$T/apt/src.sources"
  O=(-o "Dir::Etc::SourceList=$T/apt/src.sources" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$T/apt/lists")
  apt-get "${O[@]}" update
  (cd "$T/src" && apt-get "${O[@]}" source --download-only "libwebp=$VERSION")
fi
echo "$DSC_SHA256  $T/src/$DSC" | sha256sum -c -
SRC="$T/build/libwebp-1.5.0"
rm -rf "$T/build"
mkdir -p "$T/build"
dpkg-source --require-strong-checksums -x "$T/src/$DSC" "$SRC" >/dev/null

# --- compile
CFLAGS=(-O3 -msimd128 -msse4.1 -DWEBP_HAVE_SSE2 -DWEBP_HAVE_SSE41 -DEMSCRIPTEN
  -DNDEBUG -DWEBP_DISABLE_STATS -I"$SRC" -I"$SRC/src" -ffile-prefix-map="$T/build"=/build
  -fno-ident -g0)
mapfile -t FILES < <(cd "$SRC" && ls src/dec/*.c src/demux/*.c src/dsp/*.c src/enc/*.c \
  src/mux/*.c src/utils/*.c sharpyuv/*.c | grep -Ev '_(neon|msa|mips32|mips_dsp_r2)\.c$' | sort)
EXPORTS=_webp_alloc,_webp_free,_webp_release,_webp_decode,_webp_anim_open,_webp_anim_next,_webp_anim_close,_webp_encode,_webp_anim_enc_new,_webp_anim_enc_add,_webp_anim_enc_finish,_webp_version,_malloc,_free
(cd "$SRC" && emcc "${CFLAGS[@]}" "${FILES[@]}" "$HERE/glue.c" -o "$T/build/libwebp.wasm" \
  -sSTANDALONE_WASM --no-entry -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=1048576 \
  -sMAXIMUM_MEMORY=2147483648 -sTOTAL_STACK=262144 -sEXPORTED_FUNCTIONS=$EXPORTS \
  -sFILESYSTEM=0 -sASSERTIONS=0)
wasm-validate "$T/build/libwebp.wasm"
cp "$T/build/libwebp.wasm" "$OUT"
echo "imports: $(wasm-objdump -x -j Import "$OUT" | grep -o '<- [^ ]*' | tr '\n' ' ')"
echo "$(wc -c <"$OUT") bytes  $(cd "$WASM_DIR" && sha256sum libwebp.wasm)"
