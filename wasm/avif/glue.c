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
 *   avif_rows_open(ptr, len, left, top, width, height, k, out_w, out_h, max_pixels) → header
 *       Decodes as avif_decode with the same arguments, but makes no output: the header gives
 *       its size, depth, flags and CICP (data ptr and length 0), and the decoded image is kept
 *       for avif_rows_run until avif_release.
 *   avif_rows_run(pause_every) → header (status only)
 *       Makes avif_rows_open's output, the same pixels as avif_decode's, and hands each output
 *       row to the import `env.avif_write_row(row, y)` (RGBA8, out width × 4 bytes, valid
 *       during the call; rows top to bottom, each once) instead of keeping it: box-shrunk, one
 *       band of RGBA at a time; scaled (out_w, out_h), each band of output rows scaled from the
 *       decoded planes by libyuv's windowed scaler (wasm/avif/scale-rows.patch) into band
 *       planes and converted, so neither the scaled planes nor the output exist whole. After
 *       every pause_every rows (0: never) it calls the import `env.avif_pause()`, where the
 *       host may suspend (JSPI); it is never called with pause_every 0.
 *
 * Memory at the peak (avif_decode): the input, dav1d's decoded planes (about 1.5 B/px at 8-bit 4:2:0, 3 at 8-bit 4:4:4 or
 * 10-bit 4:2:0; plus the alpha plane), one RGBA band (view width × ~70 rows × 4) and its
 * accumulator, and the output. In scale mode the decoder (its frame and state) and the input
 * are freed once the scaled planes exist, before the output is allocated, so the output takes
 * their memory instead of growing the module (src/transform/avif-cost.ts models this).
 * avif_rows_run holds no output: the input, dav1d's planes, one RGBA band and (scaled) the
 * band's planes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avif/avif.h"
#include "libyuv/scale.h"

#define HEADER_WORDS 11
enum { S_OK = 0, S_MALFORMED = 1, S_UNSUPPORTED = 2, S_TOO_LARGE = 3, S_OOM = 4, S_BAD_ARG = 5, S_INTERNAL = 6 };

static uint32_t header[HEADER_WORDS];
static uint8_t *output;
static char message[256];

/* Host imports (avif_rows_run). */
__attribute__((import_module("env"), import_name("avif_write_row"))) void avif_write_row(const uint8_t *row,
                                                                                        uint32_t y);
__attribute__((import_module("env"), import_name("avif_pause"))) void avif_pause(void);

/* What avif_rows_open decoded, for avif_rows_run (freed by avif_release). */
static struct {
  avifDecoder *dec;
  uint8_t *input;
  uint32_t left, top, width, height, k, out_w, out_h;
} rows_state;

/* Output rows handed to the host so far in this run, and the pause interval (0: none). */
static uint32_t rows_written, rows_pause_every;

/* Hands output row y to the host, pausing after every rows_pause_every rows. */
static void emit_row(const uint8_t *row, uint32_t y) {
  avif_write_row(row, y);
  if (rows_pause_every && ++rows_written % rows_pause_every == 0) avif_pause();
}

__attribute__((export_name("avif_alloc"))) void *avif_alloc(uint32_t len) { return malloc(len ? len : 1); }
__attribute__((export_name("avif_free"))) void avif_free(void *ptr) { free(ptr); }
__attribute__((export_name("avif_release"))) void avif_release(void) {
  free(output);
  output = NULL;
  if (rows_state.dec) avifDecoderDestroy(rows_state.dec);
  free(rows_state.input);
  memset(&rows_state, 0, sizeof(rows_state));
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
 * `out` (ceil(w/k) × ceil(h/k) × 4 bytes), or, with `out` NULL, hands each output row to the
 * host (emit_row). Returns an avifResult.
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
  /* One output row, for the host (box-shrunk rows only; unshrunk ones are the band's). */
  uint8_t *row = !out && k > 1 ? malloc((size_t)ow * 4) : NULL;
  if (!band || (k > 1 && (!acc || !wsum || (!out && !row)))) {
    free(band);
    free(acc);
    free(wsum);
    free(row);
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
        const uint8_t *src = band + ((size_t)(top + y - vy0) * vw + dx) * 4;
        if (out) memcpy(out + (size_t)oy * ow * 4, src, (size_t)w * 4);
        else emit_row(src, oy);
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
      uint8_t *const o0 = out ? out + (size_t)oy * ow * 4 : row;
      uint8_t *o = o0;
      for (uint32_t ox = 0; ox < ow; ox++, o += 4) {
        const uint32_t x1 = (ox + 1) * k < w ? (ox + 1) * k : w;
        const uint32_t n = (y1 - y) * (x1 - ox * k);
        const uint32_t *a = acc + ox * 4;
        const uint32_t ws = wsum[ox];
        for (int c = 0; c < 3; c++) o[c] = ws ? (uint8_t)((a[c] + ws / 2) / ws) : 0;
        o[3] = (uint8_t)((a[3] + n / 2) / n);
      }
      if (!out) emit_row(o0, oy);
    }
  }
  free(band);
  free(acc);
  free(wsum);
  free(row);
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

/* Fills the header of a successful call for an output of ow × oh from `img` (no data). */
static uint32_t *ok_header(const avifImage *img, uint32_t ow, uint32_t oh) {
  header[0] = S_OK;
  header[1] = ow;
  header[2] = oh;
  header[3] = 0;
  header[4] = 0;
  header[5] = img->depth;
  header[6] = (img->alphaPlane ? 1u : 0u) | (img->icc.size ? 2u : 0u);
  header[7] = img->colorPrimaries;
  header[8] = img->transferCharacteristics;
  return header;
}

/*
 * avif_decode's and avif_rows_open's common part: checks the arguments, parses and decodes
 * the AVIF in [ptr, ptr+len) and checks the rectangle against it (0 × 0 at 0, 0: the whole
 * image, written back). Returns NULL with *decp the decoder (its image decoded), else a
 * failure header (the decoder destroyed, *decp NULL). The input stays the caller's.
 */
static uint32_t *decode_image(uint8_t *ptr, uint32_t len, uint32_t *left, uint32_t *top, uint32_t *width,
                              uint32_t *height, uint32_t k, uint32_t max_pixels, avifDecoder **decp) {
  *decp = NULL;
  if (!ptr || !len) return fail(S_BAD_ARG, "empty input", NULL);
  if (k < 1 || k > 64) return fail(S_BAD_ARG, "box factor must be 1..64", NULL);
  avifDecoder *dec = avifDecoderCreate();
  if (!dec) return fail(S_OOM, "cannot create the decoder", NULL);
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
    if (*width == 0 && *height == 0 && *left == 0 && *top == 0) {
      *width = img->width;
      *height = img->height;
    }
    if (*width == 0 || *height == 0 || (uint64_t)*left + *width > img->width ||
        (uint64_t)*top + *height > img->height) {
      ret = fail(S_BAD_ARG, "rectangle outside the image", NULL);
    } else if (!img->yuvPlanes[0]) {
      ret = fail(S_MALFORMED, "no image data", NULL);
    }
  }
  if (ret) avifDecoderDestroy(dec);
  else *decp = dec;
  return ret;
}

__attribute__((export_name("avif_decode"))) uint32_t *avif_decode(uint8_t *ptr, uint32_t len, uint32_t left,
                                                                 uint32_t top, uint32_t width, uint32_t height,
                                                                 uint32_t k, uint32_t out_w, uint32_t out_h,
                                                                 uint32_t max_pixels) {
  avif_release();
  memset(header, 0, sizeof(header));
  avifDecoder *dec;
  uint32_t *ret = decode_image(ptr, len, &left, &top, &width, &height, k, max_pixels, &dec);
  if (!ret && (out_w || out_h)) {
    ret = scaled(&dec, &ptr, left, top, width, height, out_w, out_h);
  } else if (!ret) {
    const avifImage *img = dec->image;
    const uint32_t ow = (width + k - 1) / k, oh = (height + k - 1) / k;
    output = malloc((size_t)ow * oh * 4);
    if (!output) {
      ret = fail(S_OOM, "cannot allocate the output", NULL);
    } else {
      avifResult r = convert_shrink(img, left, top, width, height, k, output);
      if (r != AVIF_RESULT_OK) {
        avif_release();
        ret = fail(status_of(r), "YUV to RGB", avifResultToString(r));
      } else {
        ret = ok_header(img, ow, oh);
        header[3] = (uint32_t)(uintptr_t)output;
        header[4] = ow * oh * 4;
      }
    }
  }
  if (dec) avifDecoderDestroy(dec);
  free(ptr);
  return ret;
}

__attribute__((export_name("avif_rows_open"))) uint32_t *avif_rows_open(uint8_t *ptr, uint32_t len, uint32_t left,
                                                                       uint32_t top, uint32_t width,
                                                                       uint32_t height, uint32_t k, uint32_t out_w,
                                                                       uint32_t out_h, uint32_t max_pixels) {
  avif_release();
  memset(header, 0, sizeof(header));
  avifDecoder *dec;
  uint32_t *ret = decode_image(ptr, len, &left, &top, &width, &height, k, max_pixels, &dec);
  if (!ret && (out_w || out_h) && (!out_w || !out_h || out_w > width || out_h > height))
    ret = fail(S_BAD_ARG, "scaled size must be 1..rectangle", NULL);
  if (ret) {
    if (dec) avifDecoderDestroy(dec);
    free(ptr);
    return ret;
  }
  rows_state.dec = dec;
  rows_state.input = ptr;
  rows_state.left = left;
  rows_state.top = top;
  rows_state.width = width;
  rows_state.height = height;
  rows_state.k = k;
  rows_state.out_w = out_w;
  rows_state.out_h = out_h;
  return out_w ? ok_header(dec->image, out_w, out_h)
               : ok_header(dec->image, (width + k - 1) / k, (height + k - 1) / k);
}

/*
 * Scales plane `p` of `src` (a view of the rectangle: its planes and sizes) as avifImageScale
 * does to an image of out_w × out_h (libyuv's ScalePlane / ScalePlane_12, box filter), but
 * only the destination rows [first, end) of that plane, into `dst` (rows of `dst_stride`
 * bytes). Returns an avifResult.
 */
static avifResult scale_plane_rows(const avifImage *src, int p, uint32_t out_w, uint32_t out_h, uint32_t first,
                                   uint32_t end, uint8_t *dst, uint32_t dst_stride) {
  uint32_t sx, sy;
  chroma_shift(src, &sx, &sy);
  const int alpha = p == AVIF_CHAN_A;
  const int luma = p == AVIF_CHAN_Y || alpha;
  const uint8_t *plane = alpha ? src->alphaPlane : src->yuvPlanes[p];
  const uint32_t stride = alpha ? src->alphaRowBytes : src->yuvRowBytes[p];
  const uint32_t sw = luma ? src->width : (src->width + sx) >> sx;
  const uint32_t sh = luma ? src->height : (src->height + sy) >> sy;
  const uint32_t dw = luma ? out_w : (out_w + sx) >> sx;
  const uint32_t dh = luma ? out_h : (out_h + sy) >> sy;
  if (dw > sw || dh > sh || end > dh) return AVIF_RESULT_INVALID_ARGUMENT; /* reductions only */
  if (end <= first) return AVIF_RESULT_OK;
  ScaleRowsFirst = (int)first;
  ScaleRowsEnd = (int)end;
  int failure;
  if (src->depth > 8)
    failure = ScalePlane_12((const uint16_t *)plane, (int)(stride / 2), (int)sw, (int)sh, (uint16_t *)dst,
                            (int)(dst_stride / 2), (int)dw, (int)dh, kFilterBox);
  else
    failure = ScalePlane(plane, (int)stride, (int)sw, (int)sh, dst, (int)dst_stride, (int)dw, (int)dh, kFilterBox);
  ScaleRowsFirst = 0;
  ScaleRowsEnd = 0x7fffffff;
  return failure == 0 ? AVIF_RESULT_OK : failure == 1 ? AVIF_RESULT_OUT_OF_MEMORY : AVIF_RESULT_UNKNOWN_ERROR;
}

/*
 * avif_rows_run for a scaled output: the rectangle view `src` scaled to out_w × out_h as
 * `scaled` does (avifImageScale), then converted as convert_shrink converts that image
 * (bands of 64 rows, views widened by 2 rows each side, start on the chroma grid), each band's
 * view scaled on its own (scale_plane_rows) into band planes: the same pixels.
 */
static avifResult scale_rows(const avifImage *src, uint32_t out_w, uint32_t out_h) {
  if (src->width > 16384 || src->height > 16384) return AVIF_RESULT_NOT_IMPLEMENTED; /* as avifImageScale */
  uint32_t sx, sy;
  chroma_shift(src, &sx, &sy);
  const uint32_t px = src->depth > 8 ? 2 : 1;
  const int mono = src->yuvFormat == AVIF_PIXEL_FORMAT_YUV400 || !src->yuvPlanes[AVIF_CHAN_U];
  const uint32_t rows = band_rows(1), max_rows = rows + 6;
  const uint32_t uvw = (out_w + sx) >> sx, max_uv_rows = (max_rows >> sy) + 2;
  const uint32_t ys = out_w * px, uvs = uvw * px;
  uint8_t *planes[4] = { malloc((size_t)ys * max_rows), mono ? NULL : malloc((size_t)uvs * max_uv_rows),
                         mono ? NULL : malloc((size_t)uvs * max_uv_rows),
                         src->alphaPlane ? malloc((size_t)ys * max_rows) : NULL };
  uint8_t *rgba = malloc((size_t)out_w * max_rows * 4);
  avifResult result = AVIF_RESULT_OK;
  if (!planes[0] || (!mono && (!planes[1] || !planes[2])) || (src->alphaPlane && !planes[3]) || !rgba)
    result = AVIF_RESULT_OUT_OF_MEMORY;
  for (uint32_t r0 = 0; r0 < out_h && result == AVIF_RESULT_OK; r0 += rows) {
    const uint32_t r1 = r0 + rows < out_h ? r0 + rows : out_h;
    uint32_t vy0 = r0 >= 2 ? r0 - 2 : 0;
    vy0 &= ~sy;
    const uint32_t vy1 = r1 + 2 < out_h ? r1 + 2 : out_h;
    /* The band: the scaled image's rows [vy0, vy1), as avifImageSetViewRect would view them. */
    avifImage band = *src;
    band.width = out_w;
    band.height = vy1 - vy0;
    band.imageOwnsYUVPlanes = AVIF_FALSE;
    band.imageOwnsAlphaPlane = AVIF_FALSE;
    const uint32_t uv0 = vy0 >> sy, uv1 = uv0 + ((band.height + sy) >> sy);
    result = scale_plane_rows(src, AVIF_CHAN_Y, out_w, out_h, vy0, vy1, planes[0], ys);
    band.yuvPlanes[AVIF_CHAN_Y] = planes[0];
    band.yuvRowBytes[AVIF_CHAN_Y] = ys;
    for (int p = AVIF_CHAN_U; p <= AVIF_CHAN_V && !mono && result == AVIF_RESULT_OK; p++) {
      result = scale_plane_rows(src, p, out_w, out_h, uv0, uv1, planes[p], uvs);
      band.yuvPlanes[p] = planes[p];
      band.yuvRowBytes[p] = uvs;
    }
    if (src->alphaPlane && result == AVIF_RESULT_OK) {
      result = scale_plane_rows(src, AVIF_CHAN_A, out_w, out_h, vy0, vy1, planes[3], ys);
      band.alphaPlane = planes[3];
      band.alphaRowBytes = ys;
    }
    if (result != AVIF_RESULT_OK) break;
    avifRGBImage rgb;
    avifRGBImageSetDefaults(&rgb, &band);
    rgb.format = AVIF_RGB_FORMAT_RGBA;
    rgb.depth = 8;
    rgb.chromaUpsampling = AVIF_CHROMA_UPSAMPLING_BILINEAR;
    rgb.pixels = rgba;
    rgb.rowBytes = out_w * 4;
    rgb.maxThreads = 1;
    result = avifImageYUVToRGB(&band, &rgb);
    for (uint32_t y = r0; y < r1 && result == AVIF_RESULT_OK; y++)
      emit_row(rgba + (size_t)(y - vy0) * out_w * 4, y);
  }
  for (int p = 0; p < 4; p++) free(planes[p]);
  free(rgba);
  return result;
}

__attribute__((export_name("avif_rows_run"))) uint32_t *avif_rows_run(uint32_t pause_every) {
  if (!rows_state.dec) return fail(S_BAD_ARG, "no image open", NULL);
  const avifImage *img = rows_state.dec->image;
  const uint32_t left = rows_state.left, top = rows_state.top, w = rows_state.width, h = rows_state.height;
  const uint32_t out_w = rows_state.out_w, out_h = rows_state.out_h;
  rows_written = 0;
  rows_pause_every = pause_every;
  avifResult r;
  if (out_w) {
    uint32_t sx, sy;
    chroma_shift(img, &sx, &sy);
    const avifCropRect rect = { left & ~sx, top & ~sy, w, h };
    avifImage *view = avifImageCreateEmpty();
    if (!view) return fail(S_OOM, "cannot allocate the view", NULL);
    r = avifImageSetViewRect(view, img, &rect);
    if (r == AVIF_RESULT_OK) r = scale_rows(view, out_w, out_h);
    avifImageDestroy(view);
  } else {
    r = convert_shrink(img, left, top, w, h, rows_state.k, NULL);
  }
  rows_pause_every = 0;
  if (r != AVIF_RESULT_OK) return fail(status_of(r), "YUV to RGB", avifResultToString(r));
  memset(header, 0, sizeof(header));
  return ok_header(img, out_w ? out_w : (w + rows_state.k - 1) / rows_state.k,
                   out_w ? out_h : (h + rows_state.k - 1) / rows_state.k);
}
