// libwebp glue for the image-edge Worker: a small C ABI over libwebp 1.5.0 (decode, scaled
// decode, animated decode with libwebpdemux, still encode, animated encode with libwebpmux).
// Built by wasm/libwebp/build.sh into wasm/libwebp.wasm; driven by src/codecs/webp.ts.
//
// ABI (wasm32: pointers and sizes are u32). Every call that produces something returns a
// pointer to an 11-word u32 header in static storage (valid until the next call), laid out
// like jpeg_scaled.wasm's and webp_rs.wasm's (wasm/README.md, "Export ABI"):
//   0 status (0 ok, 1 malformed, 2 unsupported, 3 too large, 4 out of memory, 5 bad argument)
//   1 width, 2 height, 3 data pointer, 4 data length, 5..8 call-specific, 9 message pointer,
//   10 message length (a static C string, not NUL-counted).
// - webp_alloc(len) -> ptr (0 on failure); webp_free(ptr) frees a buffer not passed on.
// - webp_decode(ptr, len, target_w, target_h, max_pixels, crop_left, crop_top, crop_w,
//   crop_h): takes (and frees) the input; decodes a still WebP to RGBA8 (non-premultiplied),
//   cropped by libwebp to the crop_w x crop_h rectangle at (crop_left, crop_top) when both
//   crop_w and crop_h are > 0 (a lossy image's crop origin is snapped to even coordinates by
//   libwebp), then scaled by libwebp's rescaler to target_w x target_h (at most the crop) when
//   both are > 0. Words 5..8: source width, height, has_alpha, format (0 mixed/undefined,
//   1 lossy, 2 lossless). Animated files: status 2.
// - webp_release(): frees the output of the last decode or encode.
// - webp_anim_open(ptr, len, max_pixels): takes the input (kept until webp_anim_close) and
//   opens a WebPAnimDecoder (RGBA, canvas-composited). Words 5..8: frame count, loop count
//   (0 = forever), background colour (ARGB as stored), 0.
// - webp_anim_next(): decodes the next frame. Data: the canvas (width*height*4 bytes, owned
//   by the decoder, valid until the next call). Words 5..6: timestamp (end of this frame,
//   ms since the start), frame index (0-based).
// - webp_anim_close(): frees the decoder and its input.
// - webp_rows_open(ptr, len, max_pixels, crop_left, crop_top, crop_w, crop_h, target_w,
//   target_h): takes the input (kept until webp_rows_close) and opens a still lossless (VP8L)
//   WebP for decoding a band of rows per call (our patch, wasm/libwebp/vp8l-rows.patch):
//   reads the header (transforms, Huffman tables); crop and target as for webp_decode, whose
//   pixels the rows are. Words 1..2: the output's width and height; 5..6: source width,
//   height; 7: has_alpha; 8: 2. Lossy or animated files: status 2.
// - webp_rows_read(): decodes source rows ROWS_IN at a time until at least one output row is
//   made (rows above the crop make none) into the band buffer, RGBA8 (non-premultiplied),
//   top to bottom. Data: the band (width * 4 bytes a row, valid until the next call); word 2:
//   its rows (0 past the last row); word 5: its first row. Only the VP8L decoder's window of
//   rows (vp8l-sliding-window.patch), libwebp's rescaler and the band are held, never the
//   image or the output; rows below the crop are never decoded. A decode error closes the
//   decoder.
// - webp_rows_close(): frees the decoder, the band and the input.
// - webp_encode(ptr, w, h, quality, method, flags): takes (and frees) the RGBA input;
//   WebPEncode with WebPConfigInit defaults plus quality (0..100), method (0..6) and flags
//   (bit 0 lossless, bit 1 exact: keep the RGB of transparent pixels, bit 2 no alpha
//   compression). Data: the .webp file.
// - webp_band_begin(w, h, quality, method, flags, band_rows): starts a lossy still encode
//   whose RGBA comes in bands of rows (band_rows even, >= 2): allocates the picture's YUV 4:2:0
//   planes and a band buffer of band_rows x w RGBA8 (the alpha plane only when a band has
//   transparency). Data: the band buffer (band_rows * w * 4 bytes, valid until
//   webp_band_finish or webp_band_abort); word 5: band_rows. Lossless (flag bit 0): status 5.
// - webp_band_put(y0, rows): converts the first `rows` rows of the band buffer, picture rows
//   y0.. (y0 a multiple of 2; rows even unless the band ends the picture), into the planes
//   with libwebp's own arithmetic (our patch, wasm/libwebp/yuva-rows.patch); the first band
//   with a pixel that is not opaque makes the alpha plane (255 wherever no such band was put).
//   Status only.
// - webp_band_finish(): WebPEncode, with no alpha plane when every pixel was opaque (as
//   WebPPictureImportRGBA decides, CheckNonOpaque); data: the .webp file,
//   the same bytes as webp_encode of the whole RGBA. Every row must have been put. Frees the
//   picture and the band buffer (also on failure).
// - webp_band_abort(): frees a banded encode's picture and band buffer.
// - webp_yield_every(percent): the next webp_encode or webp_band_finish (only that one) calls
//   the import `env.webp_yield()` each time libwebp's progress (WebPPicture.progress_hook,
//   0..100 %: the analysis pass, then the macroblock rows) has advanced by `percent` or more
//   since the last call; 0 (the default) never calls it. The host makes that import a JSPI
//   suspending function and calls the encode through WebAssembly.promising, so a long encode
//   gives the thread back between steps (src/codecs/webp.ts); the bytes do not change.
// - webp_anim_enc_new(w, h, loop_count, quality, method, flags) -> header (status only).
// - webp_anim_enc_add(ptr, timestamp_ms): takes (and frees) one w x h RGBA frame shown from
//   timestamp_ms. Status only.
// - webp_anim_enc_finish(end_timestamp_ms): assembles; data: the animated .webp file. The
//   encoder is freed (also on failure).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webp/decode.h"
#include "webp/demux.h"
#include "webp/encode.h"
#include "webp/mux.h"
#include "src/enc/vp8i_enc.h"  // WebPPictureAllocYUVA, WebPPictureImportRGBARows (patched)
#include "src/dec/vp8li_dec.h"  // VP8LDecoder (webp_rows_*)
#include "src/dec/webpi_dec.h"  // WebPParseHeaders, WebPDecParams

#define EXPORT __attribute__((visibility("default"), used))

enum { S_OK = 0, S_MALFORMED = 1, S_UNSUPPORTED = 2, S_TOO_LARGE = 3, S_OOM = 4, S_BAD_ARG = 5 };

static uint32_t header[11];
static uint8_t* output = NULL;          // malloc'ed by us or by libwebp (WebPFree == free)
static uint8_t* anim_input = NULL;      // input kept alive for the animation decoder
static WebPAnimDecoder* anim_dec = NULL;
static WebPAnimEncoder* anim_enc = NULL;
static WebPConfig anim_config;
static int anim_w = 0, anim_h = 0;

static uint32_t* set_status(uint32_t status, const char* msg) {
  memset(header, 0, sizeof(header));
  header[0] = status;
  if (msg) {
    header[9] = (uint32_t)(uintptr_t)msg;
    header[10] = (uint32_t)strlen(msg);
  }
  return header;
}

static const char* vp8_message(VP8StatusCode code) {
  switch (code) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "user abort";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data (truncated file)";
    default: return "decode failed";
  }
}

static uint32_t vp8_status(VP8StatusCode code) {
  switch (code) {
    case VP8_STATUS_OUT_OF_MEMORY: return S_OOM;
    case VP8_STATUS_UNSUPPORTED_FEATURE: return S_UNSUPPORTED;
    case VP8_STATUS_INVALID_PARAM: return S_BAD_ARG;
    default: return S_MALFORMED;
  }
}

EXPORT uint8_t* webp_alloc(uint32_t len) { return len ? (uint8_t*)malloc(len) : NULL; }

EXPORT void webp_free(uint8_t* ptr) { free(ptr); }

EXPORT void webp_release(void) {
  free(output);
  output = NULL;
}

EXPORT uint32_t* webp_decode(uint8_t* data, uint32_t len, int target_w, int target_h,
                             uint32_t max_pixels, int crop_left, int crop_top, int crop_w,
                             int crop_h) {
  webp_release();
  WebPDecoderConfig config;
  uint32_t* h;
  if (!WebPInitDecoderConfig(&config)) {
    free(data);
    return set_status(S_BAD_ARG, "libwebp version mismatch");
  }
  VP8StatusCode st = WebPGetFeatures(data, len, &config.input);
  if (st != VP8_STATUS_OK) {
    free(data);
    return set_status(vp8_status(st), vp8_message(st));
  }
  const int sw = config.input.width, sh = config.input.height;
  if (config.input.has_animation) {
    free(data);
    return set_status(S_UNSUPPORTED, "animated WebP: use the animation decoder");
  }
  if (max_pixels && (uint64_t)sw * (uint64_t)sh > max_pixels) {
    free(data);
    return set_status(S_TOO_LARGE, "image larger than the pixel limit");
  }
  int ow = sw, oh = sh;
  if (crop_w > 0 && crop_h > 0 && (crop_w != sw || crop_h != sh)) {
    if (crop_left < 0 || crop_top < 0 || crop_w > sw - crop_left || crop_h > sh - crop_top) {
      free(data);
      return set_status(S_BAD_ARG, "crop outside the image");
    }
    config.options.use_cropping = 1;
    config.options.crop_left = crop_left;
    config.options.crop_top = crop_top;
    config.options.crop_width = ow = crop_w;
    config.options.crop_height = oh = crop_h;
  }
  if (target_w > 0 && target_h > 0 && (target_w != ow || target_h != oh)) {
    if (target_w > ow || target_h > oh) {
      free(data);
      return set_status(S_BAD_ARG, "scaled decode only reduces");
    }
    config.options.use_scaling = 1;
    config.options.scaled_width = ow = target_w;
    config.options.scaled_height = oh = target_h;
  }
  const size_t stride = (size_t)ow * 4;
  const size_t size = stride * (size_t)oh;
  output = (uint8_t*)malloc(size);
  if (!output) {
    free(data);
    return set_status(S_OOM, "cannot allocate the output");
  }
  config.output.colorspace = MODE_RGBA;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = output;
  config.output.u.RGBA.stride = (int)stride;
  config.output.u.RGBA.size = size;
  st = WebPDecode(data, len, &config);
  const int has_alpha = config.input.has_alpha, fmt = config.input.format;
  WebPFreeDecBuffer(&config.output);  // external memory: frees nothing of ours
  free(data);
  if (st != VP8_STATUS_OK) {
    webp_release();
    return set_status(vp8_status(st), vp8_message(st));
  }
  h = set_status(S_OK, NULL);
  h[1] = (uint32_t)ow;
  h[2] = (uint32_t)oh;
  h[3] = (uint32_t)(uintptr_t)output;
  h[4] = (uint32_t)size;
  h[5] = (uint32_t)sw;
  h[6] = (uint32_t)sh;
  h[7] = (uint32_t)has_alpha;
  h[8] = (uint32_t)fmt;
  return h;
}

EXPORT void webp_anim_close(void) {
  if (anim_dec) WebPAnimDecoderDelete(anim_dec);
  anim_dec = NULL;
  free(anim_input);
  anim_input = NULL;
}

EXPORT uint32_t* webp_anim_open(uint8_t* data, uint32_t len, uint32_t max_pixels) {
  webp_anim_close();
  anim_input = data;
  WebPAnimDecoderOptions opts;
  if (!WebPAnimDecoderOptionsInit(&opts)) return set_status(S_BAD_ARG, "libwebp version mismatch");
  opts.color_mode = MODE_RGBA;
  opts.use_threads = 0;
  // Check the canvas before WebPAnimDecoderNew allocates it (two canvases of w*h*4 bytes).
  WebPBitstreamFeatures f;
  VP8StatusCode st = WebPGetFeatures(data, len, &f);
  if (st != VP8_STATUS_OK) {
    webp_anim_close();
    return set_status(vp8_status(st), vp8_message(st));
  }
  if (max_pixels && (uint64_t)f.width * (uint64_t)f.height > max_pixels) {
    webp_anim_close();
    return set_status(S_TOO_LARGE, "canvas larger than the pixel limit");
  }
  WebPData wd = {data, len};
  anim_dec = WebPAnimDecoderNew(&wd, &opts);
  if (!anim_dec) {
    webp_anim_close();
    return set_status(S_MALFORMED, "not a decodable WebP (demux failed)");
  }
  WebPAnimInfo info;
  if (!WebPAnimDecoderGetInfo(anim_dec, &info)) {
    webp_anim_close();
    return set_status(S_MALFORMED, "cannot read the animation info");
  }
  uint32_t* h = set_status(S_OK, NULL);
  h[1] = info.canvas_width;
  h[2] = info.canvas_height;
  h[5] = info.frame_count;
  h[6] = info.loop_count;
  h[7] = info.bgcolor;
  return h;
}

EXPORT uint32_t* webp_anim_next(void) {
  if (!anim_dec) return set_status(S_BAD_ARG, "no animation open");
  if (!WebPAnimDecoderHasMoreFrames(anim_dec)) return set_status(S_BAD_ARG, "no more frames");
  uint8_t* buf = NULL;
  int ts = 0;
  if (!WebPAnimDecoderGetNext(anim_dec, &buf, &ts)) return set_status(S_MALFORMED, "frame decode failed");
  const WebPDemuxer* dmux = WebPAnimDecoderGetDemuxer(anim_dec);
  const uint32_t w = WebPDemuxGetI(dmux, WEBP_FF_CANVAS_WIDTH);
  const uint32_t hh = WebPDemuxGetI(dmux, WEBP_FF_CANVAS_HEIGHT);
  uint32_t* h = set_status(S_OK, NULL);
  h[1] = w;
  h[2] = hh;
  h[3] = (uint32_t)(uintptr_t)buf;
  h[4] = w * hh * 4;
  h[5] = (uint32_t)ts;
  return h;
}

// Banded lossless decode state (webp_rows_*).
#define ROWS_IN 16    // source rows per step: VP8L's ProcessRows emits at most 16 a call
#define ROWS_OUT 32   // band rows: a step of a reduction makes at most ROWS_IN + 1
static uint8_t* rows_input = NULL;
static uint8_t* rows_band = NULL;
static VP8LDecoder* rows_dec = NULL;
static VP8Io rows_io;
static WebPDecParams rows_params;
static WebPDecBuffer rows_out;
static WebPDecoderOptions rows_opts;
static int rows_next = 0;      // the next step's first source row
static int rows_out_next = 0;  // the next band's first output row
static int rows_end = 0;       // the crop's bottom (source rows)

EXPORT void webp_rows_close(void) {
  if (rows_dec) VP8LDelete(rows_dec);
  rows_dec = NULL;
  free(rows_band);
  rows_band = NULL;
  free(rows_input);
  rows_input = NULL;
}

EXPORT uint32_t* webp_rows_open(uint8_t* data, uint32_t len, uint32_t max_pixels,
                                int crop_left, int crop_top, int crop_w, int crop_h,
                                int target_w, int target_h) {
  webp_rows_close();
  rows_input = data;
  WebPBitstreamFeatures f;
  VP8StatusCode st = WebPGetFeatures(data, len, &f);
  uint32_t* h;
  if (st != VP8_STATUS_OK) {
    webp_rows_close();
    return set_status(vp8_status(st), vp8_message(st));
  }
  if (f.has_animation || f.format != 2) {
    webp_rows_close();
    return set_status(S_UNSUPPORTED, "banded decode: still lossless WebP only");
  }
  if (max_pixels && (uint64_t)f.width * (uint64_t)f.height > max_pixels) {
    webp_rows_close();
    return set_status(S_TOO_LARGE, "image larger than the pixel limit");
  }
  const int sw = f.width, sh = f.height;
  int ow = sw, oh = sh;
  memset(&rows_opts, 0, sizeof(rows_opts));
  rows_opts.use_cropping = 1;  // the whole image unless a crop is given
  rows_opts.crop_width = sw;
  rows_opts.crop_height = sh;
  if (crop_w > 0 && crop_h > 0 && (crop_w != sw || crop_h != sh)) {
    if (crop_left < 0 || crop_top < 0 || crop_w > sw - crop_left || crop_h > sh - crop_top) {
      webp_rows_close();
      return set_status(S_BAD_ARG, "crop outside the image");
    }
    rows_opts.crop_left = crop_left;
    rows_opts.crop_top = crop_top;
    rows_opts.crop_width = ow = crop_w;
    rows_opts.crop_height = oh = crop_h;
  }
  rows_end = rows_opts.crop_top + rows_opts.crop_height;
  if (target_w > 0 && target_h > 0 && (target_w != ow || target_h != oh)) {
    if (target_w > ow || target_h > oh) {
      webp_rows_close();
      return set_status(S_BAD_ARG, "scaled decode only reduces");
    }
    rows_opts.use_scaling = 1;
    rows_opts.scaled_width = ow = target_w;
    rows_opts.scaled_height = oh = target_h;
  }
  WebPHeaderStructure headers;
  memset(&headers, 0, sizeof(headers));
  headers.data = data;
  headers.data_size = len;
  headers.have_all_data = 1;
  st = WebPParseHeaders(&headers);
  if (st == VP8_STATUS_OK && !headers.is_lossless) st = VP8_STATUS_UNSUPPORTED_FEATURE;
  if (st != VP8_STATUS_OK) {
    webp_rows_close();
    return set_status(vp8_status(st), vp8_message(st));
  }
  VP8InitIo(&rows_io);
  rows_io.data = data + headers.offset;
  rows_io.data_size = len - headers.offset;
  WebPResetDecParams(&rows_params);
  WebPInitDecBuffer(&rows_out);
  rows_params.output = &rows_out;
  rows_params.options = &rows_opts;
  WebPInitCustomIo(&rows_params, &rows_io);
  rows_dec = VP8LNew();
  if (!rows_dec) {
    webp_rows_close();
    return set_status(S_OOM, "out of memory");
  }
  if (!VP8LDecodeHeader(rows_dec, &rows_io)) {
    st = rows_dec->status_;
    webp_rows_close();
    return set_status(vp8_status(st), vp8_message(st));
  }
  if (rows_io.width != sw || rows_io.height != sh) {
    webp_rows_close();
    return set_status(S_MALFORMED, "VP8L size differs from the container's");
  }
  const size_t stride = (size_t)ow * 4;
  rows_band = (uint8_t*)malloc(stride * ROWS_OUT);
  if (!rows_band) {
    webp_rows_close();
    return set_status(S_OOM, "cannot allocate the band");
  }
  // The output "buffer" is the band: each step resets its row (last_out_row_) to 0, and
  // decodes up to its last source row (stop_row_, our patch).
  rows_out.colorspace = MODE_RGBA;
  rows_out.width = ow;
  rows_out.height = oh;
  rows_out.is_external_memory = 1;
  rows_out.u.RGBA.rgba = rows_band;
  rows_out.u.RGBA.stride = (int)stride;
  rows_out.u.RGBA.size = stride * ROWS_OUT;
  rows_next = 0;
  rows_out_next = 0;
  h = set_status(S_OK, NULL);
  h[1] = (uint32_t)ow;
  h[2] = (uint32_t)oh;
  h[5] = (uint32_t)sw;
  h[6] = (uint32_t)sh;
  h[7] = (uint32_t)f.has_alpha;
  h[8] = 2;
  return h;
}

EXPORT uint32_t* webp_rows_read(void) {
  if (!rows_dec) return set_status(S_BAD_ARG, "no banded decode open");
  const int ow = rows_out.width;
  uint32_t* h;
  int made = 0;
  while (made == 0 && rows_next < rows_end) {
    const int stop = (rows_next + ROWS_IN < rows_end) ? rows_next + ROWS_IN : rows_end;
    rows_dec->stop_row_ = stop;
    rows_dec->last_out_row_ = 0;
    if (!VP8LDecodeImage(rows_dec)) {
      const VP8StatusCode st = rows_dec->status_;
      webp_rows_close();
      return set_status(vp8_status(st), vp8_message(st));
    }
    made = rows_dec->last_out_row_;
    rows_next = stop;
  }
  if (made > ROWS_OUT || rows_out_next + made > rows_out.height ||
      (rows_next >= rows_end && rows_out_next + made != rows_out.height)) {
    webp_rows_close();
    return set_status(S_MALFORMED, "banded decode: output rows do not add up");
  }
  h = set_status(S_OK, NULL);
  h[1] = (uint32_t)ow;
  h[2] = (uint32_t)made;
  h[3] = (uint32_t)(uintptr_t)rows_band;
  h[4] = (uint32_t)((size_t)ow * 4 * (size_t)made);
  h[5] = (uint32_t)rows_out_next;
  rows_out_next += made;
  return h;
}

static const char* enc_message(WebPEncodingError e) {
  switch (e) {
    case VP8_ENC_ERROR_OUT_OF_MEMORY:
    case VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY: return "out of memory";
    case VP8_ENC_ERROR_BAD_DIMENSION: return "bad dimension";
    case VP8_ENC_ERROR_PARTITION0_OVERFLOW: return "partition 0 overflow";
    case VP8_ENC_ERROR_PARTITION_OVERFLOW: return "partition overflow";
    case VP8_ENC_ERROR_FILE_TOO_BIG: return "file too big";
    default: return "encode failed";
  }
}

enum { F_LOSSLESS = 1, F_EXACT = 2, F_NO_ALPHA_COMPRESSION = 4 };

static int make_config(WebPConfig* c, float quality, int method, int flags) {
  if (!WebPConfigInit(c)) return 0;
  c->quality = quality;
  c->method = method;
  c->lossless = (flags & F_LOSSLESS) ? 1 : 0;
  c->exact = (flags & F_EXACT) ? 1 : 0;
  if (flags & F_NO_ALPHA_COMPRESSION) c->alpha_compression = 0;
  return WebPValidateConfig(c);
}

// The host's yield (see webp_yield_every), called from the progress hook.
__attribute__((import_module("env"), import_name("webp_yield"))) extern void webp_yield(int percent);
static int yield_step = 0;  // set by webp_yield_every for the next encode only
static int yield_every = 0; // the encode in progress: its step (%)
static int yield_next = 0;  // the progress (%) at which the hook next yields

EXPORT void webp_yield_every(int percent) { yield_step = percent > 0 ? percent : 0; }

static int yield_hook(int percent, const WebPPicture* pic) {
  (void)pic;
  if (percent >= yield_next) {
    yield_next = percent + yield_every;
    webp_yield(percent);
  }
  return 1;
}

// A WebPMemoryWriter that allocates the file once, at its exact size: libwebp's first write
// is the RIFF header, which holds the file's size (less 8 bytes), so the buffer never
// doubles (WebPMemoryWrite's growth held up to 3 times the file while it copied, e.g. for
// the lossy encoder's padding byte). Anything else grows as WebPMemoryWrite does.
static int exact_write(const uint8_t* data, size_t data_size, const WebPPicture* pic) {
  WebPMemoryWriter* const w = (WebPMemoryWriter*)pic->custom_ptr;
  if (w->mem == NULL && data_size >= 8 && !memcmp(data, "RIFF", 4)) {
    const size_t total = 8 + ((size_t)data[4] | (size_t)data[5] << 8 |
                              (size_t)data[6] << 16 | (size_t)data[7] << 24);
    if (total >= data_size) w->mem = (uint8_t*)WebPSafeMalloc(1ULL, total);
    if (w->mem != NULL) w->max_size = total;
  }
  return WebPMemoryWrite(data, data_size, pic);
}

// WebPEncode of `pic` into memory, which becomes `output`; frees the picture.
static uint32_t* encode_picture(const WebPConfig* config, WebPPicture* pic) {
  WebPMemoryWriter wr;
  WebPMemoryWriterInit(&wr);
  pic->writer = exact_write;
  pic->custom_ptr = &wr;
  if (yield_step > 0) {
    pic->progress_hook = yield_hook;
    yield_every = yield_next = yield_step;
    yield_step = 0;
  }
  const int ok = WebPEncode(config, pic);
  const WebPEncodingError err = pic->error_code;
  const int w = pic->width, h = pic->height;
  WebPPictureFree(pic);
  if (!ok) {
    WebPMemoryWriterClear(&wr);
    return set_status(err == VP8_ENC_ERROR_OUT_OF_MEMORY ? S_OOM : S_BAD_ARG, enc_message(err));
  }
  output = wr.mem;
  uint32_t* hd = set_status(S_OK, NULL);
  hd[1] = (uint32_t)w;
  hd[2] = (uint32_t)h;
  hd[3] = (uint32_t)(uintptr_t)output;
  hd[4] = (uint32_t)wr.size;
  return hd;
}

EXPORT uint32_t* webp_encode(uint8_t* rgba, int w, int h, float quality, int method, int flags) {
  webp_release();
  WebPConfig config;
  if (!make_config(&config, quality, method, flags)) {
    free(rgba);
    return set_status(S_BAD_ARG, "bad encoder options");
  }
  WebPPicture pic;
  if (!WebPPictureInit(&pic)) {
    free(rgba);
    return set_status(S_BAD_ARG, "libwebp version mismatch");
  }
  pic.width = w;
  pic.height = h;
  pic.use_argb = config.lossless;
  const int ok = WebPPictureImportRGBA(&pic, rgba, w * 4);
  free(rgba);
  if (!ok) {
    WebPPictureFree(&pic);
    return set_status(S_OOM, "cannot import the picture");
  }
  return encode_picture(&config, &pic);
}

// Banded encode state (webp_band_*).
static WebPPicture band_pic;
static WebPConfig band_config;
static uint8_t* band_buf = NULL;
static uint8_t* band_alpha = NULL;  // a band's alpha while the picture has no alpha plane
static uint8_t* alpha_plane = NULL;  // the picture's alpha plane (band_pic.a), once needed
static int band_open = 0, band_rows = 0, band_done = 0;

EXPORT void webp_band_abort(void) {
  if (band_open) WebPPictureFree(&band_pic);  // frees Y, U, V (one block), not alpha_plane
  band_open = 0;
  free(band_buf);
  band_buf = NULL;
  free(band_alpha);
  band_alpha = NULL;
  free(alpha_plane);
  alpha_plane = NULL;
}

EXPORT uint32_t* webp_band_begin(int w, int h, float quality, int method, int flags, int rows) {
  webp_band_abort();
  webp_release();
  if ((flags & F_LOSSLESS) || rows < 2 || (rows & 1) || w <= 0 || h <= 0)
    return set_status(S_BAD_ARG, "banded encode: lossy, even band height");
  if (!make_config(&band_config, quality, method, flags))
    return set_status(S_BAD_ARG, "bad encoder options");
  // WebPPictureImportRGBA converts with neither sharp YUV nor dithering, and WebPEncode
  // converts nothing when the planes exist: the config has no say in the planes.
  if (!WebPPictureInit(&band_pic)) return set_status(S_BAD_ARG, "libwebp version mismatch");
  band_pic.width = w;
  band_pic.height = h;
  band_pic.use_argb = 0;
  band_pic.colorspace = WEBP_YUV420;  // the alpha plane comes with the first transparency
  band_open = 1;
  if (!WebPPictureAllocYUVA(&band_pic)) {
    const int dim = band_pic.error_code == VP8_ENC_ERROR_BAD_DIMENSION;
    webp_band_abort();
    return dim ? set_status(S_BAD_ARG, "bad dimension") : set_status(S_OOM, "cannot allocate the picture");
  }
  const size_t len = (size_t)w * 4 * (size_t)rows;
  band_buf = (uint8_t*)malloc(len);
  band_alpha = (uint8_t*)malloc((size_t)w * (size_t)rows);
  if (!band_buf || !band_alpha) {
    webp_band_abort();
    return set_status(S_OOM, "cannot allocate the band");
  }
  band_rows = rows;
  band_done = 0;
  uint32_t* hd = set_status(S_OK, NULL);
  hd[1] = (uint32_t)w;
  hd[2] = (uint32_t)h;
  hd[3] = (uint32_t)(uintptr_t)band_buf;
  hd[4] = (uint32_t)len;
  hd[5] = (uint32_t)rows;
  return hd;
}

EXPORT uint32_t* webp_band_put(int y0, int rows) {
  if (!band_open || !band_buf) return set_status(S_BAD_ARG, "no banded encode");
  if (rows > band_rows) return set_status(S_BAD_ARG, "band larger than the buffer");
  const int w = band_pic.width;
  if (y0 < 0) return set_status(S_BAD_ARG, "band outside the picture");
  uint8_t* const a = alpha_plane ? alpha_plane + (size_t)y0 * w : band_alpha;
  const int r = WebPPictureImportRGBARows(&band_pic, band_buf, w * 4, y0, rows, a, w);
  if (r < 0) return set_status(S_BAD_ARG, "band outside the picture, or out of memory");
  if (r > 0 && !alpha_plane) {
    // The first transparency: the alpha plane, opaque where bands were put or are to come.
    alpha_plane = (uint8_t*)malloc((size_t)w * (size_t)band_pic.height);
    if (!alpha_plane) return set_status(S_OOM, "cannot allocate the alpha plane");
    memset(alpha_plane, 0xff, (size_t)w * (size_t)band_pic.height);
    memcpy(alpha_plane + (size_t)y0 * w, band_alpha, (size_t)w * (size_t)rows);
  }
  band_done += rows;
  return set_status(S_OK, NULL);
}

EXPORT uint32_t* webp_band_finish(void) {
  webp_release();
  if (!band_open) return set_status(S_BAD_ARG, "no banded encode");
  if (band_done != band_pic.height) {
    webp_band_abort();
    return set_status(S_BAD_ARG, "banded encode: not every row was put");
  }
  free(band_buf);
  band_buf = NULL;
  free(band_alpha);
  band_alpha = NULL;
  if (alpha_plane) {  // as ImportYUVAFromRGBA: an alpha plane only when some pixel needs one
    band_pic.a = alpha_plane;
    band_pic.a_stride = band_pic.width;
    band_pic.colorspace = WEBP_YUV420A;
  }
  band_open = 0;  // encode_picture frees the picture (not alpha_plane)
  uint32_t* const hd = encode_picture(&band_config, &band_pic);
  free(alpha_plane);
  alpha_plane = NULL;
  return hd;
}

static void anim_enc_drop(void) {
  if (anim_enc) WebPAnimEncoderDelete(anim_enc);
  anim_enc = NULL;
}

EXPORT uint32_t* webp_anim_enc_new(int w, int h, int loop_count, float quality, int method,
                                   int flags) {
  anim_enc_drop();
  webp_release();
  if (!make_config(&anim_config, quality, method, flags))
    return set_status(S_BAD_ARG, "bad encoder options");
  WebPAnimEncoderOptions opts;
  if (!WebPAnimEncoderOptionsInit(&opts)) return set_status(S_BAD_ARG, "libwebp version mismatch");
  opts.anim_params.loop_count = loop_count;
  opts.allow_mixed = 0;
  anim_enc = WebPAnimEncoderNew(w, h, &opts);
  if (!anim_enc) return set_status(S_BAD_ARG, "cannot create the animation encoder");
  anim_w = w;
  anim_h = h;
  return set_status(S_OK, NULL);
}

EXPORT uint32_t* webp_anim_enc_add(uint8_t* rgba, int timestamp_ms) {
  if (!anim_enc) {
    free(rgba);
    return set_status(S_BAD_ARG, "no animation encoder");
  }
  WebPPicture pic;
  if (!WebPPictureInit(&pic)) {
    free(rgba);
    return set_status(S_BAD_ARG, "libwebp version mismatch");
  }
  pic.width = anim_w;
  pic.height = anim_h;
  pic.use_argb = 1;  // the animation encoder works on ARGB and converts per sub-frame
  int ok = WebPPictureImportRGBA(&pic, rgba, anim_w * 4);
  free(rgba);
  if (!ok) {
    WebPPictureFree(&pic);
    anim_enc_drop();
    return set_status(S_OOM, "cannot import the frame");
  }
  ok = WebPAnimEncoderAdd(anim_enc, &pic, timestamp_ms, &anim_config);
  WebPPictureFree(&pic);
  if (!ok) {
    anim_enc_drop();
    return set_status(S_BAD_ARG, "cannot add the frame");
  }
  return set_status(S_OK, NULL);
}

EXPORT uint32_t* webp_anim_enc_finish(int end_timestamp_ms) {
  webp_release();
  if (!anim_enc) return set_status(S_BAD_ARG, "no animation encoder");
  WebPData out;
  WebPDataInit(&out);
  int ok = WebPAnimEncoderAdd(anim_enc, NULL, end_timestamp_ms, NULL) &&
           WebPAnimEncoderAssemble(anim_enc, &out);
  anim_enc_drop();
  if (!ok) {
    WebPDataClear(&out);
    return set_status(S_BAD_ARG, "cannot assemble the animation");
  }
  output = (uint8_t*)out.bytes;
  uint32_t* h = set_status(S_OK, NULL);
  h[1] = (uint32_t)anim_w;
  h[2] = (uint32_t)anim_h;
  h[3] = (uint32_t)(uintptr_t)output;
  h[4] = (uint32_t)out.size;
  return h;
}

/** libwebp's decoder version, packed 0xMMmmpp (0x010500 for 1.5.0). */
EXPORT int webp_version(void) { return WebPGetDecoderVersion(); }
