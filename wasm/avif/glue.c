/*
 * avif.wasm glue (ours): AVIF decode with libavif (container: items, grids, alpha auxiliary
 * image, colr) and dav1d (AV1), converted to RGBA8 in row bands and box-shrunk on the way, so
 * the full-size RGBA image never exists in this module's memory.
 *
 * Calling convention (shared with jpeg_scaled.wasm and libwebp.wasm; src/codecs/own-wasm.ts):
 * exports return a pointer to 11 u32 words:
 *   [0] status (0 ok, 1 malformed, 2 unsupported, 3 too large, 4 out of memory,
 *       5 bad argument, 6 internal)   [1] width  [2] height  [3] data ptr  [4] data length
 *   [5] coded bit depth  [6] flags (bit 0: alpha plane; bit 1: the file has an ICC profile)
 *   [7] colour primaries (CICP, ITU-T H.273)  [8] transfer characteristics (CICP)
 *   [9] message ptr  [10] message length
 *
 * Exports:
 *   avif_alloc(len) → ptr          input buffer (malloc); 0 when out of memory
 *   avif_free(ptr)
 *   avif_release()                 frees the last output
 *   avif_decode(ptr, len, left, top, width, height, k, out_w, out_h, max_pixels) → header
 *       Decodes the primary image of the AVIF in [ptr, ptr+len) (freed here), takes the
 *       rectangle (left, top, width, height) of the coded image (as stored: irot/imir are
 *       not applied, clap is not applied) and box-shrinks it by the integer factor k (1..64):
 *       output pixel (x, y) is the mean of the k×k block at (kx, ky) of the rectangle
 *       (partial blocks at the right and bottom edges averaged over the pixels they have;
 *       colour weighted by alpha when there is an alpha plane), i.e. exactly
 *       src/codecs/resize.ts `boxShrink`. Output: RGBA8, ceil(width/k) × ceil(height/k),
 *       non-premultiplied. width = height = 0 means the whole image. YUV → RGB is libavif's
 *       avifImageYUVToRGB (matrix and range from the file; bilinear chroma upsampling) on
 *       views of bands of 2·k·⌈32/k⌉ rows, widened by two samples on each side so chroma
 *       upsampling at band edges equals a whole-image conversion. With out_w and out_h
 *       (k ignored): the rectangle is scaled to out_w × out_h as YUV first (see `scaled`).
 *       Coded images above
 *       max_pixels (0: libavif's default, 2^28) are refused with status 3 before decoding.
 *   avif_version() → libavif version number (1040200 for 1.4.2)
 *
 * Memory at the peak: the input, dav1d's decoded planes (about 1.5 B/px at 8-bit 4:2:0, 3 at 8-bit 4:4:4 or
 * 10-bit 4:2:0; plus the alpha plane), one RGBA band (view width × ~70 rows × 4) and its
 * accumulator, and the output. In scale mode the decoder (its frame and state) and the input
 * are freed once the scaled planes exist, before the output is allocated, so the output takes
 * their memory instead of growing the module (src/transform/avif-cost.ts models this).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avif/avif.h"

#define HEADER_WORDS 11
enum { S_OK = 0, S_MALFORMED = 1, S_UNSUPPORTED = 2, S_TOO_LARGE = 3, S_OOM = 4, S_BAD_ARG = 5, S_INTERNAL = 6 };

static uint32_t header[HEADER_WORDS];
static uint8_t *output;
static char message[256];

__attribute__((export_name("avif_alloc"))) void *avif_alloc(uint32_t len) { return malloc(len ? len : 1); }
__attribute__((export_name("avif_free"))) void avif_free(void *ptr) { free(ptr); }
__attribute__((export_name("avif_release"))) void avif_release(void) {
  free(output);
  output = NULL;
}
__attribute__((export_name("avif_version"))) uint32_t avif_version(void) { return AVIF_VERSION; }

static uint32_t *fail(int status, const char *what, const char *detail) {
  size_t n = 0;
  message[0] = 0;
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

/* libavif's result → our status. */
static int status_of(avifResult r) {
  switch (r) {
    case AVIF_RESULT_OUT_OF_MEMORY: return S_OOM;
    case AVIF_RESULT_NOT_IMPLEMENTED:
    case AVIF_RESULT_NO_CODEC_AVAILABLE: return S_UNSUPPORTED;
    default: return S_MALFORMED;
  }
}

/* Chroma subsampling shifts of the image's YUV format. */
static void chroma_shift(const avifImage *img, uint32_t *sx, uint32_t *sy) {
  *sx = img->yuvFormat == AVIF_PIXEL_FORMAT_YUV420 || img->yuvFormat == AVIF_PIXEL_FORMAT_YUV422;
  *sy = img->yuvFormat == AVIF_PIXEL_FORMAT_YUV420;
}

/* Rows of the rectangle converted per band: a multiple of k, about 64. */
static uint32_t band_rows(uint32_t k) { return k * (k >= 64 ? 1 : (64 + k - 1) / k); }

/*
 * Converts the rectangle (left, top, w, h) of `img` to RGBA8 and box-shrinks it by k into
 * `out` (ceil(w/k) × ceil(h/k) × 4 bytes). Returns an avifResult.
 */
static avifResult convert_shrink(const avifImage *img, uint32_t left, uint32_t top, uint32_t w,
                                 uint32_t h, uint32_t k, uint8_t *out) {
  const uint32_t ow = (w + k - 1) / k, oh = (h + k - 1) / k;
  const int alpha = img->alphaPlane != NULL;
  uint32_t sx, sy;
  chroma_shift(img, &sx, &sy);
  /* Columns of every view: the rectangle widened by 2 samples each side, start aligned. */
  uint32_t vx0 = left >= 2 ? left - 2 : 0;
  vx0 &= ~sx;
  uint32_t vx1 = left + w + 2 < img->width ? left + w + 2 : img->width;
  const uint32_t vw = vx1 - vx0;
  const uint32_t rows = band_rows(k);
  const uint32_t max_view_rows = rows + 6;
  uint8_t *band = malloc((size_t)vw * max_view_rows * 4);
  uint32_t *acc = k > 1 ? malloc((size_t)ow * 4 * sizeof(uint32_t)) : NULL;
  /* Weight (alpha sum) per output pixel when premultiplying; pixel count otherwise. */
  uint32_t *wsum = k > 1 ? malloc((size_t)ow * sizeof(uint32_t)) : NULL;
  if (!band || (k > 1 && (!acc || !wsum))) {
    free(band);
    free(acc);
    free(wsum);
    return AVIF_RESULT_OUT_OF_MEMORY;
  }
  avifResult result = AVIF_RESULT_OK;
  avifImage view;
  memset(&view, 0, sizeof(view));
  for (uint32_t r0 = 0; r0 < h && result == AVIF_RESULT_OK; r0 += rows) {
    const uint32_t r1 = r0 + rows < h ? r0 + rows : h; /* rectangle rows [r0, r1) */
    uint32_t vy0 = top + r0 >= 2 ? top + r0 - 2 : 0;
    vy0 &= ~sy;
    uint32_t vy1 = top + r1 + 2 < img->height ? top + r1 + 2 : img->height;
    const avifCropRect rect = { vx0, vy0, vw, vy1 - vy0 };
    result = avifImageSetViewRect(&view, img, &rect);
    if (result != AVIF_RESULT_OK) break;
    avifRGBImage rgb;
    avifRGBImageSetDefaults(&rgb, &view);
    rgb.format = AVIF_RGB_FORMAT_RGBA;
    rgb.depth = 8;
    rgb.chromaUpsampling = AVIF_CHROMA_UPSAMPLING_BILINEAR;
    rgb.pixels = band;
    rgb.rowBytes = vw * 4;
    rgb.maxThreads = 1;
    result = avifImageYUVToRGB(&view, &rgb);
    if (result != AVIF_RESULT_OK) break;
    const uint32_t dx = left - vx0;
    for (uint32_t y = r0; y < r1; y += k) { /* one output row per k rectangle rows */
      const uint32_t y1 = y + k < h ? y + k : h;
      const uint32_t oy = y / k;
      if (k == 1) {
        memcpy(out + (size_t)oy * ow * 4, band + ((size_t)(top + y - vy0) * vw + dx) * 4, (size_t)w * 4);
        continue;
      }
      memset(acc, 0, (size_t)ow * 4 * sizeof(uint32_t));
      memset(wsum, 0, (size_t)ow * sizeof(uint32_t));
      for (uint32_t yy = y; yy < y1; yy++) {
        const uint8_t *p = band + ((size_t)(top + yy - vy0) * vw + dx) * 4;
        for (uint32_t x = 0; x < w; x++, p += 4) {
          uint32_t *a = acc + (x / k) * 4;
          const uint32_t wt = alpha ? p[3] : 1;
          a[0] += p[0] * wt;
          a[1] += p[1] * wt;
          a[2] += p[2] * wt;
          a[3] += p[3];
          wsum[x / k] += wt;
        }
      }
      uint8_t *o = out + (size_t)oy * ow * 4;
      for (uint32_t ox = 0; ox < ow; ox++, o += 4) {
        const uint32_t x1 = (ox + 1) * k < w ? (ox + 1) * k : w;
        const uint32_t n = (y1 - y) * (x1 - ox * k);
        const uint32_t *a = acc + ox * 4;
        const uint32_t ws = wsum[ox];
        for (int c = 0; c < 3; c++) o[c] = ws ? (uint8_t)((a[c] + ws / 2) / ws) : 0;
        o[3] = (uint8_t)((a[3] + n / 2) / n);
      }
    }
  }
  free(band);
  free(acc);
  free(wsum);
  return result;
}

/*
 * Scale mode: the rectangle (its start moved up/left to the chroma grid, at most 1 px) is
 * scaled as YUV by libavif's avifImageScale (the libyuv subset libavif ships: box filter
 * when reducing 2x or more, bilinear below) to out_w × out_h (at most the rectangle), then
 * converted to RGBA8 at that size.
 */
static uint32_t *scaled(avifDecoder **decp, uint8_t **inputp, uint32_t left, uint32_t top, uint32_t w,
                        uint32_t h, uint32_t out_w, uint32_t out_h) {
  const avifImage *img = (*decp)->image;
  if (!out_w || !out_h || out_w > w || out_h > h) return fail(S_BAD_ARG, "scaled size must be 1..rectangle", NULL);
  uint32_t sx, sy;
  chroma_shift(img, &sx, &sy);
  const avifCropRect rect = { left & ~sx, top & ~sy, w, h };
  avifImage *view = avifImageCreateEmpty();
  if (!view) return fail(S_OOM, "cannot allocate the view", NULL);
  avifDiagnostics diag;
  avifDiagnosticsClearError(&diag);
  avifResult r = avifImageSetViewRect(view, img, &rect);
  if (r == AVIF_RESULT_OK) r = avifImageScale(view, out_w, out_h, &diag);
  /* What the header reports, read before the decoder (which owns `img`) may be destroyed. */
  const uint32_t depth = img->depth, primaries = img->colorPrimaries;
  const uint32_t transfer = img->transferCharacteristics;
  const uint32_t flags = (img->alphaPlane ? 1u : 0u) | (img->icc.size ? 2u : 0u);
  if (r == AVIF_RESULT_OK && view->imageOwnsYUVPlanes && (!img->alphaPlane || view->imageOwnsAlphaPlane)) {
    /* The view holds its own scaled planes: free dav1d's frame, the decoder and the input
     * before the RGBA output is allocated, so the output reuses their memory instead of
     * growing the module beyond the decode's peak (wasm memory never shrinks). */
    avifDecoderDestroy(*decp);
    *decp = NULL;
    free(*inputp);
    *inputp = NULL;
    img = NULL;
  }
  uint32_t *ret;
  if (r != AVIF_RESULT_OK) {
    ret = fail(status_of(r), "scale", diag.error[0] ? diag.error : avifResultToString(r));
  } else if (!(output = malloc((size_t)out_w * out_h * 4))) {
    ret = fail(S_OOM, "cannot allocate the output", NULL);
  } else if ((r = convert_shrink(view, 0, 0, out_w, out_h, 1, output)) != AVIF_RESULT_OK) {
    avif_release();
    ret = fail(status_of(r), "YUV to RGB", avifResultToString(r));
  } else {
    header[0] = S_OK;
    header[1] = out_w;
    header[2] = out_h;
    header[3] = (uint32_t)(uintptr_t)output;
    header[4] = out_w * out_h * 4;
    header[5] = depth;
    header[6] = flags;
    header[7] = primaries;
    header[8] = transfer;
    ret = header;
  }
  avifImageDestroy(view);
  return ret;
}

__attribute__((export_name("avif_decode"))) uint32_t *avif_decode(uint8_t *ptr, uint32_t len, uint32_t left,
                                                                 uint32_t top, uint32_t width, uint32_t height,
                                                                 uint32_t k, uint32_t out_w, uint32_t out_h,
                                                                 uint32_t max_pixels) {
  avif_release();
  memset(header, 0, sizeof(header));
  if (!ptr || !len) {
    free(ptr);
    return fail(S_BAD_ARG, "empty input", NULL);
  }
  if (k < 1 || k > 64) {
    free(ptr);
    return fail(S_BAD_ARG, "box factor must be 1..64", NULL);
  }
  avifDecoder *dec = avifDecoderCreate();
  if (!dec) {
    free(ptr);
    return fail(S_OOM, "cannot create the decoder", NULL);
  }
  dec->maxThreads = 1;
  dec->codecChoice = AVIF_CODEC_CHOICE_DAV1D;
  dec->ignoreExif = AVIF_TRUE;
  dec->ignoreXMP = AVIF_TRUE;
  dec->strictFlags = AVIF_STRICT_DISABLED; /* as browsers and libheif: accept files missing pixi etc. */
  /* max_pixels is checked after parsing (below), so that it is reported as "too large". */
  uint32_t *ret = NULL;
  avifResult r = avifDecoderSetIOMemory(dec, ptr, len);
  if (r == AVIF_RESULT_OK) r = avifDecoderParse(dec);
  if (r == AVIF_RESULT_OK) {
    const avifImage *img = dec->image;
    if ((uint64_t)img->width * img->height > (max_pixels ? max_pixels : AVIF_DEFAULT_IMAGE_SIZE_LIMIT))
      r = AVIF_RESULT_NOT_IMPLEMENTED, ret = fail(S_TOO_LARGE, "image above the pixel limit", NULL);
  }
  if (r == AVIF_RESULT_OK) r = avifDecoderNextImage(dec);
  if (r != AVIF_RESULT_OK) {
    if (!ret) {
      const char *detail = dec->diag.error[0] ? dec->diag.error : NULL;
      ret = fail(status_of(r), avifResultToString(r), detail);
    }
  } else {
    const avifImage *img = dec->image;
    if (width == 0 && height == 0 && left == 0 && top == 0) {
      width = img->width;
      height = img->height;
    }
    if (width == 0 || height == 0 || (uint64_t)left + width > img->width ||
        (uint64_t)top + height > img->height) {
      ret = fail(S_BAD_ARG, "rectangle outside the image", NULL);
    } else if (!img->yuvPlanes[0]) {
      ret = fail(S_MALFORMED, "no image data", NULL);
    } else if (out_w || out_h) {
      ret = scaled(&dec, &ptr, left, top, width, height, out_w, out_h);
    } else {
      const uint32_t ow = (width + k - 1) / k, oh = (height + k - 1) / k;
      output = malloc((size_t)ow * oh * 4);
      if (!output) {
        ret = fail(S_OOM, "cannot allocate the output", NULL);
      } else {
        r = convert_shrink(img, left, top, width, height, k, output);
        if (r != AVIF_RESULT_OK) {
          avif_release();
          ret = fail(status_of(r), "YUV to RGB", avifResultToString(r));
        } else {
          header[0] = S_OK;
          header[1] = ow;
          header[2] = oh;
          header[3] = (uint32_t)(uintptr_t)output;
          header[4] = ow * oh * 4;
          header[5] = img->depth;
          header[6] = (img->alphaPlane ? 1u : 0u) | (img->icc.size ? 2u : 0u);
          header[7] = img->colorPrimaries;
          header[8] = img->transferCharacteristics;
          ret = header;
        }
      }
    }
  }
  if (dec) avifDecoderDestroy(dec);
  free(ptr);
  return ret;
}
