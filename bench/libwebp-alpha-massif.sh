#!/usr/bin/env bash
# Where libwebp's memory goes when it encodes a WebP with alpha (session 9; docs/performance.md,
# "Alpha planes of any content"): builds wasm/libwebp/glue.c and the patched libwebp sources of
# wasm/libwebp/build.sh (run it first: they are under wasm/libwebp/target/build/) natively with
# gcc, writes the planes of bench/libwebp-alpha-memory.mjs as raw RGBA (noise, gradient, shapes,
# real) and runs each encode under valgrind's massif; prints the peak snapshot's largest
# allocation sites.
#
#   bash bench/libwebp-alpha-massif.sh [WxH] [METHOD]     (default 2000x2000, 4)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/wasm/libwebp/target/build/libwebp-1.5.0"
SIZE=${1:-2000x2000}
METHOD=${2:-4}
W=${SIZE%x*}
H=${SIZE#*x}
OUT="$(mktemp -d)"
[ -d "$SRC" ] || { echo "run bash wasm/libwebp/build.sh first" >&2; exit 1; }
sed 's/^static uint8_t\* band_buf = NULL;/uint8_t* band_buf = NULL;/' "$ROOT/wasm/libwebp/glue.c" >"$OUT/glue.c"
mapfile -t FILES < <(cd "$SRC" && ls src/dec/*.c src/demux/*.c src/dsp/*.c src/enc/*.c \
  src/mux/*.c src/utils/*.c sharpyuv/*.c | grep -Ev '_(neon|msa|mips32|mips_dsp_r2)\.c$')
(cd "$SRC" && gcc -O1 -g -fno-inline -no-pie -DNDEBUG -DWEBP_DISABLE_STATS -I. -Isrc \
  "${FILES[@]}" "$OUT/glue.c" "$ROOT/bench/native/libwebp-alpha.c" -o "$OUT/encode" -lm)
node --input-type=module -e "
import fs from 'node:fs';
import sharp from 'sharp';
const [w, h] = [$W, $H];
const hash = (x, y) => { let s = Math.imul(x, 73856093) ^ Math.imul(y, 19349663); s = Math.imul(s ^ (s >>> 16), 0x45d9f3b); return (s ^ (s >>> 16)) >>> 0; };
const planes = {
  noise: (x, y) => hash(x, y) & 255,
  gradient: (x, y) => Math.round((255 * (x + y)) / (w + h - 2)),
  shapes: (x, y) => ((((x >> 6) ^ (y >> 6)) & 1) ? 255 : 0) ^ (Math.hypot((x % 300) - 150, (y % 300) - 150) < 90 ? 255 : 0),
};
for (const [k, f] of Object.entries(planes)) {
  const px = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set([(x * 255) / w, (y * 255) / h, 128, f(x, y)], (y * w + x) * 4);
  fs.writeFileSync('$OUT/' + k + '.rgba', px);
}
fs.writeFileSync('$OUT/real.rgba', await sharp('$ROOT/../shared/images/alpha/blackbug.png').resize(w, h, { fit: 'fill' }).ensureAlpha().raw().toBuffer());
"
for k in noise gradient shapes real; do
  valgrind --tool=massif --massif-out-file="$OUT/$k.massif" --alloc-fn=WebPSafeMalloc \
    --alloc-fn=WebPSafeCalloc --depth=12 --threshold=1 "$OUT/encode" "$OUT/$k.rgba" "$W" "$H" "$METHOD" \
    >/dev/null 2>&1
  echo "== $k $SIZE method $METHOD"
  # The peak snapshot's top-level allocation sites (the callers of WebPSafeMalloc & co).
  peak=$(ms_print "$OUT/$k.massif" | grep -o '[0-9]* (peak)' | cut -d' ' -f1)
  ms_print "$OUT/$k.massif" | awk -v p="$peak" '$1 == p && $2 ~ /,/ { on = 1; print "total " $3 " B"; next }
    on && /^ *[0-9]+ +[0-9,]+ +[0-9,]+/ { exit } on && /^->|^\| ->/' |
    sed -E 's/0x[0-9A-F]+: //; s/ \([a-z_]+\.c:[0-9]+\)//; s/\(in \/.*$//' | head -24
done
rm -rf "$OUT"
