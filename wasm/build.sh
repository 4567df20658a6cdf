#!/usr/bin/env bash
# Builds our own WebAssembly modules (Debian toolchains and sources, offline once fetched):
#   wasm/jpeg-scaled → wasm/jpeg_scaled.wasm   (Rust: jpeg-decoder 0.2.6, shrink-on-load JPEG)
#   wasm/png-scaled  → wasm/png_scaled.wasm    (Rust: png 0.17.7 + fdeflate 0.3.7, PNG rows → crop + resample)
#   wasm/resize      → wasm/resize.wasm        (Rust: RGBA8 lanczos3, premultiplied, box pre-shrink)
# all with wasm/common (shared ABI conventions and the streaming lanczos3 resampler).
# and our C modules, each by its own script (see "C modules" below):
#   wasm/lcms        → wasm/lcms.wasm          (Little CMS 2.16, Debian lcms2: ICC → sRGB)
#   wasm/libwebp     → wasm/libwebp.wasm       (libwebp 1.5.0, Debian libwebp: WebP codec)
#   wasm/avif        → wasm/avif.wasm          (dav1d 1.5.1 + libavif 1.4.2, Debian: AVIF decode)
#   wasm/jpeg-turbo  → wasm/jpeg_turbo.wasm    (libjpeg-turbo 2.1.5, Debian: JPEG decode at M/8)
#   wasm/avif-enc    → wasm/avif_enc.wasm      (aom 3.12.1 + libavif 1.4.2, Debian: AVIF encode)
#
#   bash wasm/build.sh [module ...]       (npm run build:wasm; default: every module)
#
# - Installs the Debian packages it needs when missing (needs root and Debian's apt).
# - Hermetic: Debian's rustc/cargo only (PATH=/usr/bin:/bin, so a rustup toolchain is not
#   used), a private CARGO_HOME, crates from /usr/share/cargo/registry, no network.
# - Reproducible: each crate is copied to a fixed build directory (which also keeps
#   Cargo.lock out of the source tree) and build paths are remapped, so two runs give the
#   same bytes (wasm/README.md has the sha256 of each committed module).
set -euo pipefail

WASM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CRATES=()

# --- C modules: built by wasm/<name>/build.sh (Debian source packages + clang/emscripten) ---
C_MODULES=(lcms libwebp avif jpeg-turbo avif-enc)
C_SELECTED=()
for arg in "$@"; do
  if [[ " ${C_MODULES[*]} " == *" $arg "* ]]; then C_SELECTED+=("$arg"); else CRATES+=("$arg"); fi
done
(($#)) || C_SELECTED=("${C_MODULES[@]}")
for mod in "${C_SELECTED[@]}"; do
  env -u RUSTFLAGS -u CARGO_HOME bash "$WASM_DIR/$mod/build.sh"
done
(($#)) && ((${#CRATES[@]} == 0)) && exit 0
# --- end of C modules ---

((${#CRATES[@]})) || CRATES=(jpeg-scaled png-scaled resize)

# Drop every CARGO_*/RUSTC*/RUSTUP*/RUSTFLAGS-style setting from the caller's environment.
for v in $(compgen -e | grep -E '^(CARGO|RUSTC|RUSTUP|RUSTFLAGS|RUSTDOCFLAGS)' || true); do unset "$v"; done
export PATH=/usr/bin:/bin
export RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC

PKGS=(rustc cargo libstd-rust-dev-wasm32 lld-14 wabt librust-jpeg-decoder-dev librust-png-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#CRATES[@]} && ${#missing[@]})); then
  echo "build.sh: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PKGS[@]}"
fi

for crate in "${CRATES[@]+"${CRATES[@]}"}"; do
  HERE="$WASM_DIR/$crate"
  NAME="${crate//-/_}"
  OUT="$WASM_DIR/$NAME.wasm"
  BUILD="$HERE/target/build"          # under target/ (git-ignored)
  export CARGO_HOME="$HERE/target/cargo-home"

  # Fresh copy of the crate at a fixed path (its .cargo/config.toml is copied too), and of
  # the shared path dependency beside it (`../common` from the copy, as in the tree).
  COMMON="$HERE/target/common"
  rm -rf "$BUILD" "$COMMON"
  mkdir -p "$BUILD" "$COMMON" "$CARGO_HOME"
  cp -R "$HERE/Cargo.toml" "$HERE/src" "$HERE/.cargo" "$BUILD/"
  cp -R "$WASM_DIR/common/Cargo.toml" "$WASM_DIR/common/src" "$COMMON/"

  # jpeg-scaled: Debian's jpeg-decoder 0.2.6 plus our patch (progressive coefficients kept
  # only at the decode scale; wasm/README.md), copied to ../jpeg-decoder beside the build
  # copy, where the crate's [patch.crates-io] points. The patch's sha256 is pinned here.
  JD_PATCH="$HERE/jpeg-decoder-0.2.6-progressive-scaled.patch"
  JD_PATCH_SHA256=51260eb6ae37c4da0a3c378a717042709800d09b456106eb6de3ac33846a3dee
  JD="$HERE/target/jpeg-decoder"
  rm -rf "$JD"
  if [ "$crate" = jpeg-scaled ]; then
    echo "$JD_PATCH_SHA256  $JD_PATCH" | sha256sum -c --quiet
    cp -R /usr/share/cargo/registry/jpeg-decoder-0.2.6 "$JD"
    (cd "$JD" && patch -p1 --quiet --no-backup-if-mismatch <"$JD_PATCH")
  fi

  # png-scaled: Debian's png 0.17.7 plus our patch (png-0.17.7-fdeflate.patch: the image data
  # inflated by fdeflate instead of miniz_oxide; wasm/README.md), and fdeflate 0.3.7 with its
  # dependency simd-adler32 0.3.10, which Debian packages only from trixie's successor on: taken
  # from sid's librust-*-dev .debs (pinned sha256s; apt checks them against the signed index)
  # with our one-line patch for rustc 1.63 (fdeflate-0.3.7-rustc-1.63.patch; fdeflate declares
  # rust-version 1.67, hence --ignore-rust-version below). All copied beside the build copy,
  # where the crate's [patch.crates-io] points.
  PNG_PATCH="$HERE/png-0.17.7-fdeflate.patch"
  PNG_PATCH_SHA256=bb676d9a6348ab423369c5f6534c1d24fd48f0925ef1ae37ba0e27e561121c2b
  FD_PATCH="$HERE/fdeflate-0.3.7-rustc-1.63.patch"
  FD_PATCH_SHA256=8805801ba3570af16db40d39e86523ac969f630df0becc5f205c5e9cd64f8a22
  PNGC="$HERE/target/png" FDC="$HERE/target/fdeflate" SAC="$HERE/target/simd-adler32"
  rm -rf "$PNGC" "$FDC" "$SAC"
  CARGO_ARGS=()
  if [ "$crate" = png-scaled ]; then
    printf '%s  %s\n%s  %s\n' "$PNG_PATCH_SHA256" "$PNG_PATCH" "$FD_PATCH_SHA256" "$FD_PATCH" |
      sha256sum -c --quiet
    # shellcheck source=lib/debian.sh
    . "$WASM_DIR/lib/debian.sh"
    FETCH="$HERE/target/fetch"
    debian_deb "$FETCH" librust-fdeflate-dev=0.3.7-1+b1 librust-fdeflate-dev_0.3.7-1+b1_amd64.deb \
      68c66c1dd32d43ac6018d391aba40c29ccfc7f7cd862c806f0e9784f765c52ac
    debian_deb "$FETCH" librust-simd-adler32-dev=0.3.10-1 librust-simd-adler32-dev_0.3.10-1_amd64.deb \
      a847c1c779a9f21f04c34e3ee24bed46fe95969c845cd49687203f88591cb82d
    cp -R /usr/share/cargo/registry/png-0.17.7 "$PNGC"
    cp -R "$FETCH/debs/root/usr/share/cargo/registry/fdeflate-0.3.7" "$FDC"
    cp -R "$FETCH/debs/root/usr/share/cargo/registry/simd-adler32-0.3.10" "$SAC"
    (cd "$PNGC" && patch -p1 --quiet --no-backup-if-mismatch <"$PNG_PATCH")
    (cd "$FDC" && patch -p1 --quiet --no-backup-if-mismatch <"$FD_PATCH")
    CARGO_ARGS=(--ignore-rust-version)
  fi

  # SIMD: workerd (V8) supports wasm SIMD; +simd128 measured ~10% faster for jpeg-scaled.
  # Path remapping keeps machine paths out of panic-location strings.
  # png-scaled: `--cfg fuzzing` is png 0.17.7's only switch for not verifying chunk CRCs; our
  # png patch also skips the zlib Adler-32 under it (the previous decoder, @jsquash/png, checked
  # neither). `+bulk-memory` (png-scaled only): copies and fills become `memory.copy` and
  # `memory.fill` (V8 has them since 2020) instead of compiler_builtins' loops (10 % of a 12 MP
  # decode in Node).
  CFG=""; FEATURES=+simd128
  [ "$crate" = png-scaled ] && CFG="--cfg fuzzing" && FEATURES=+simd128,+bulk-memory
  export RUSTFLAGS="-C target-feature=$FEATURES $CFG \
 --remap-path-prefix=$BUILD=/build/$crate \
 --remap-path-prefix=$COMMON=/build/common \
 --remap-path-prefix=$JD=/build/jpeg-decoder \
 --remap-path-prefix=$PNGC=/build/png \
 --remap-path-prefix=$FDC=/build/fdeflate \
 --remap-path-prefix=$SAC=/build/simd-adler32 \
 --remap-path-prefix=$CARGO_HOME=/cargo-home \
 --remap-path-prefix=/usr/share/cargo/registry=/registry"

  (cd "$BUILD" && cargo build --release --offline --target wasm32-unknown-unknown \
    --target-dir "$HERE/target/cargo" "${CARGO_ARGS[@]+"${CARGO_ARGS[@]}"}")

  WASM="$HERE/target/cargo/wasm32-unknown-unknown/release/$NAME.wasm"
  wasm-validate "$WASM"
  # jpeg-scaled has no imports (workerd instantiates it with {}); png-scaled three,
  # env.png_read (the host hands out the file in chunks: src/codecs/png-scaled.ts) and
  # env.png_write_row and env.png_pause (output rows out, png_decode_rows); resize
  # env.resize_read_row, env.resize_write_row (source rows in, output rows out:
  # src/codecs/resize.ts) and env.resize_pause (resize_pause_every).
  ALLOWED=""; [ "$crate" = png-scaled ] && ALLOWED="env.png_read env.png_write_row env.png_pause"
  [ "$crate" = resize ] && ALLOWED="env.resize_read_row env.resize_write_row env.resize_pause"
  IMPORTS="$( (wasm-objdump -x -j Import "$WASM" 2>/dev/null || true) | sed -n 's/.* <- \(.*\)$/\1/p' | tr '\n' ' ' | sed 's/ $//')"
  if [ "$IMPORTS" != "$ALLOWED" ]; then
    echo "build.sh: $WASM imports '$IMPORTS', expected '$ALLOWED'" >&2
    exit 1
  fi
  cp "$WASM" "$OUT"
  echo "$(wc -c <"$OUT") bytes  $(cd "$WASM_DIR" && sha256sum "$NAME.wasm")"
done

# --- libwebp (C, emscripten): its own script, which fetches Debian's source and checks it.
