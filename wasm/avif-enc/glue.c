/*
 * avif_enc.wasm glue (ours): RGBA8 → AVIF with libavif (RGB → YUV, container) and aom's
 * encoder (AV1, all-intra for a still image), with the settings of the @jsquash/avif 2.1.1
 * encoder this module replaces: 8-bit 4:2:0, BT.601 matrix, full range, libavif's `quality`
 * for colour and alpha alike, libavif's speed (aom cpu-used = min(speed, 9) in all-intra
 * mode), libavif's default tune (SSIM for colour, PSNR for alpha), one thread, no tiling.
 * An opaque image (every alpha 255) gets no alpha item (libavif drops an opaque plane).
 *
 * Calling convention (shared with our other modules; src/codecs/own-wasm.ts): exports return
 * a pointer to 11 u32 words:
 *   [0] status (0 ok, 4 out of memory, 5 bad argument, 6 internal)
 *   [1] width  [2] height  [3] data ptr  [4] data length  [5..8] 0
 *   [9] message ptr  [10] message length
 *
 * Exports:
 *   avifenc_alloc(len) → ptr        input buffer (malloc); 0 when out of memory
 *   avifenc_free(ptr)               frees an input buffer not given to avifenc_encode
 *   avifenc_release()               frees the last output
 *   avifenc_encode(ptr, width, height, quality, speed) → header
 *       Encodes the width × height RGBA8 pixels at ptr (rows top to bottom, not
 *       premultiplied; the buffer is freed here, before the AV1 encode) as an AVIF still
 *       image. quality 0..100 (100 = lossless quantizer), speed 0..10. Output: the file.
 *   avifenc_version() → libavif version number (1040200 for 1.4.2)
 *
 * Errors inside aom (allocation failure, internal error) take aom's longjmp, which traps in
 * this build (wasm/avif-enc/include/setjmp.h): the host discards the instance.
 *
 * Memory at the peak: the YUV and alpha planes (2.5 B/px) and aom's encoder state for the
 * frame (a few times the frame size), plus the output; the RGBA input (4 B/px) is freed
 * before the encode starts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avif/avif.h"

#define HEADER_WORDS 11
enum { S_OK = 0, S_OOM = 4, S_BAD_ARG = 5, S_INTERNAL = 6 };

static uint32_t header[HEADER_WORDS];
static avifRWData output = AVIF_DATA_EMPTY;
static char message[256];

__attribute__((export_name("avifenc_alloc"))) void *avifenc_alloc(uint32_t len) {
  return malloc(len ? len : 1);
}
__attribute__((export_name("avifenc_free"))) void avifenc_free(void *ptr) { free(ptr); }
__attribute__((export_name("avifenc_release"))) void avifenc_release(void) {
  avifRWDataFree(&output);
}
__attribute__((export_name("avifenc_version"))) uint32_t avifenc_version(void) {
  return AVIF_VERSION;
}

static uint32_t *fail(int status, const char *what, const char *detail) {
  size_t n = 0;
  for (const char *s = what; s && *s && n < sizeof(message) - 1; s++) message[n++] = *s;
  if (detail) {
    for (const char *s = ": "; *s && n < sizeof(message) - 1; s++) message[n++] = *s;
    for (const char *s = detail; *s && n < sizeof(message) - 1; s++) message[n++] = *s;
  }
  message[n] = 0;
  header[0] = (uint32_t)status;
  header[9] = (uint32_t)(uintptr_t)message;
  header[10] = (uint32_t)n;
  return header;
}

static uint32_t *fail_avif(const char *what, avifResult r) {
  return fail(r == AVIF_RESULT_OUT_OF_MEMORY ? S_OOM : S_INTERNAL, what, avifResultToString(r));
}

__attribute__((export_name("avifenc_encode"))) uint32_t *avifenc_encode(uint8_t *rgba,
                                                                        uint32_t width,
                                                                        uint32_t height,
                                                                        int32_t quality,
                                                                        int32_t speed) {
  memset(header, 0, sizeof(header));
  avifRWDataFree(&output);
  if (!rgba) return fail(S_BAD_ARG, "no input", NULL);
  if (width == 0 || height == 0 || width > 65536 || height > 65536 || quality < 0 ||
      quality > 100 || speed < 0 || speed > 10) {
    free(rgba);
    return fail(S_BAD_ARG, "bad size, quality or speed", NULL);
  }

  avifImage *image = avifImageCreate(width, height, 8, AVIF_PIXEL_FORMAT_YUV420);
  if (!image) {
    free(rgba);
    return fail(S_OOM, "cannot create the image", NULL);
  }
  image->matrixCoefficients = AVIF_MATRIX_COEFFICIENTS_BT601;
  avifRGBImage rgb;
  avifRGBImageSetDefaults(&rgb, image); /* RGBA, 8-bit */
  rgb.pixels = rgba;
  rgb.rowBytes = width * 4;
  avifResult r = avifImageRGBToYUV(image, &rgb);
  free(rgba);
  if (r != AVIF_RESULT_OK) {
    avifImageDestroy(image);
    return fail_avif("RGB to YUV", r);
  }

  avifEncoder *encoder = avifEncoderCreate();
  if (!encoder) {
    avifImageDestroy(image);
    return fail(S_OOM, "cannot create the encoder", NULL);
  }
  encoder->codecChoice = AVIF_CODEC_CHOICE_AOM;
  encoder->maxThreads = 1;
  encoder->speed = speed;
  encoder->quality = quality;
  encoder->qualityAlpha = quality;
  encoder->tileRowsLog2 = 0;
  encoder->tileColsLog2 = 0;
  r = avifEncoderWrite(encoder, image, &output);
  avifEncoderDestroy(encoder);
  avifImageDestroy(image);
  if (r != AVIF_RESULT_OK) {
    avifRWDataFree(&output);
    return fail_avif("encode", r);
  }
  header[0] = S_OK;
  header[1] = width;
  header[2] = height;
  header[3] = (uint32_t)(uintptr_t)output.data;
  header[4] = (uint32_t)output.size;
  return header;
}
