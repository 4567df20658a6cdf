/*
 * lcms_glue: the C ABI of wasm/lcms.wasm (Little CMS 2.16 from Debian's lcms2 source package).
 *
 * One colour transform at a time, from an embedded ICC profile to Little CMS's built-in sRGB,
 * applied in place to 4-byte pixels:
 *   lcms_alloc(len) / lcms_free(ptr)          buffers in wasm memory (the profile, pixel chunks)
 *   lcms_prepare(icc, len) -> status          opens the profile, builds and caches the transform
 *   lcms_apply(px, count) -> status           transforms `count` pixels in place
 *   lcms_reset()                              frees the transform
 *
 * Pixel layouts (4 bytes per pixel, in place; alpha is never read and kept, except CMYK):
 *   RGB profile:  RGBA8 in, RGBA8 out.
 *   Grey profile: RGBA8 in (the grey value in R, as decoders expand grey), RGBA8 out.
 *   CMYK profile: CMYK8 in (ink amounts, 0 = no ink), RGBA8 out with alpha 255.
 *
 * lcms_prepare returns (kind | flags) >= 0 on success, kind 1 RGB, 2 grey, 3 CMYK;
 * flag 0x10: the transform is the identity within +-1 on every 8-bit value tested (an sRGB
 * profile), so callers may skip it. Negative: -1 unreadable profile, -2 unsupported colour
 * space or device class, -3 no transform could be built, -4 bad argument.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "lcms2.h"

#define KIND_RGB 1
#define KIND_GRAY 2
#define KIND_CMYK 3
#define FLAG_IDENTITY 0x10

#define TYPE_GRAY_8_X3 (COLORSPACE_SH(PT_GRAY) | CHANNELS_SH(1) | BYTES_SH(1) | EXTRA_SH(3))

/* The module has no file system and no clock: these replace wasi-libc's versions (Little CMS
 * reaches them only from file I/O and profile-creation dates; a fixed date keeps the built-in
 * sRGB profile reproducible). What stays linked of stdio (snprintf's vfprintf, lcms's unused
 * file I/O handler) imports WASI fd_write, fd_seek and fd_close, which are never called; the
 * host gives stubs that fail (src/codecs/lcms.ts). */
FILE *fopen(const char *path, const char *mode) {
  (void)path;
  (void)mode;
  return NULL;
}

time_t time(time_t *out) {
  if (out) *out = 0;
  return 0;
}

static cmsHTRANSFORM current = NULL;
static int current_kind = 0;

static void quiet(cmsContext id, cmsUInt32Number code, const char *text) {
  (void)id;
  (void)code;
  (void)text;
}

uint8_t *lcms_alloc(uint32_t len) { return (uint8_t *)malloc(len ? len : 1); }

void lcms_free(uint8_t *ptr) { free(ptr); }

void lcms_reset(void) {
  if (current) cmsDeleteTransform(current);
  current = NULL;
  current_kind = 0;
}

/* True when the transform maps every tested value to itself within +-1. */
static int is_identity(cmsHTRANSFORM xf, int kind) {
  static uint8_t px[17 * 17 * 17 * 4];
  static uint8_t ref[17 * 17 * 17 * 4];
  uint32_t n = 0;
  if (kind == KIND_GRAY) {
    for (uint32_t v = 0; v < 256; v++, n++) {
      px[n * 4] = px[n * 4 + 1] = px[n * 4 + 2] = (uint8_t)v;
      px[n * 4 + 3] = 255;
    }
  } else {
    for (uint32_t r = 0; r < 17; r++)
      for (uint32_t g = 0; g < 17; g++)
        for (uint32_t b = 0; b < 17; b++, n++) {
          px[n * 4] = (uint8_t)(r * 255 / 16);
          px[n * 4 + 1] = (uint8_t)(g * 255 / 16);
          px[n * 4 + 2] = (uint8_t)(b * 255 / 16);
          px[n * 4 + 3] = 255;
        }
  }
  memcpy(ref, px, n * 4);
  cmsDoTransform(xf, px, px, n);
  for (uint32_t i = 0; i < n; i++) {
    for (uint32_t c = 0; c < 3; c++) {
      int d = (int)px[i * 4 + c] - (int)ref[i * 4 + (kind == KIND_GRAY ? 0 : c)];
      if (d > 1 || d < -1) return 0;
    }
  }
  return 1;
}

int32_t lcms_prepare(const uint8_t *icc, uint32_t len) {
  lcms_reset();
  if (!icc || len < 132) return -4;
  cmsSetLogErrorHandler(quiet);
  cmsHPROFILE in = cmsOpenProfileFromMem(icc, len);
  if (!in) return -1;
  cmsProfileClassSignature cls = cmsGetDeviceClass(in);
  cmsColorSpaceSignature space = cmsGetColorSpace(in);
  int kind = 0;
  cmsUInt32Number in_format = 0;
  if (cls == cmsSigInputClass || cls == cmsSigDisplayClass || cls == cmsSigOutputClass ||
      cls == cmsSigColorSpaceClass) {
    if (space == cmsSigRgbData) {
      kind = KIND_RGB;
      in_format = TYPE_RGBA_8;
    } else if (space == cmsSigGrayData) {
      kind = KIND_GRAY;
      in_format = TYPE_GRAY_8_X3;
    } else if (space == cmsSigCmykData) {
      kind = KIND_CMYK;
      in_format = TYPE_CMYK_8;
    }
  }
  if (!kind) {
    cmsCloseProfile(in);
    return -2;
  }
  cmsHPROFILE srgb = cmsCreate_sRGBProfile();
  if (!srgb) {
    cmsCloseProfile(in);
    return -3;
  }
  /* Perceptual intent, no black point compensation: libvips' defaults for import. The
   * default flags let Little CMS optimise 8-bit transforms (matrix-shaper fast path, or a
   * precalculated CLUT with 8-bit prelinearisation). */
  cmsHTRANSFORM xf =
      cmsCreateTransform(in, in_format, srgb, TYPE_RGBA_8, INTENT_PERCEPTUAL, 0);
  cmsCloseProfile(in);
  cmsCloseProfile(srgb);
  if (!xf) return -3;
  current = xf;
  current_kind = kind;
  int flags = 0;
  if (kind != KIND_CMYK && is_identity(xf, kind)) flags |= FLAG_IDENTITY;
  return kind | flags;
}

int32_t lcms_apply(uint8_t *px, uint32_t count) {
  if (!current || !px) return -4;
  cmsDoTransform(current, px, px, count);
  if (current_kind == KIND_CMYK)
    for (uint32_t i = 0; i < count; i++) px[i * 4 + 3] = 255;
  return 0;
}
