// Native driver for bench/libwebp-alpha-massif.sh: one banded lossy encode (q80, method 4 unless
// given) of a raw RGBA file through wasm/libwebp/glue.c, built natively from the same patched
// libwebp sources as wasm/libwebp.wasm, so valgrind's massif can say where the memory goes.
//   libwebp-alpha FILE.rgba WIDTH HEIGHT [METHOD]
// The glue's header holds 32-bit pointers (wasm32); the band buffer is read from the glue's
// `band_buf`, made non-static by the script.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t* webp_band_begin(int w, int h, float q, int m, int f, int rows);
uint32_t* webp_band_put(int y0, int rows);
uint32_t* webp_band_finish(void);
void webp_release(void);
extern uint8_t* band_buf;

int main(int argc, char** argv) {
  if (argc < 4) return 1;
  const int w = atoi(argv[2]), h = atoi(argv[3]), method = argc > 4 ? atoi(argv[4]) : 4;
  const size_t n = (size_t)w * h * 4;
  uint8_t* px = malloc(n);
  FILE* f = fopen(argv[1], "rb");
  if (!px || !f || fread(px, 1, n, f) != n) return 2;
  fclose(f);
  if (webp_band_begin(w, h, 80, method, 0, 32)[0]) return 3;
  for (int y = 0; y < h; y += 32) {
    const int r = h - y < 32 ? h - y : 32;
    memcpy(band_buf, px + (size_t)y * w * 4, (size_t)r * w * 4);
    if (webp_band_put(y, r)[0]) return 4;
  }
  free(px);
  const uint32_t* hd = webp_band_finish();
  printf("status %u, %u bytes\n", hd[0], hd[4]);
  webp_release();
  return 0;
}
