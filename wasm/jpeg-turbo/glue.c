// libjpeg-turbo glue for the image-edge Worker: a small C ABI over libjpeg-turbo 2.1.5's
// decompressor (jpeglib.h), decoding a JPEG at scale_num/8 (DCT scaling, M = 1..8) straight
// into an RGBA8 buffer of the scaled size. Built by wasm/jpeg-turbo/build.sh into
// wasm/jpeg_turbo.wasm; driven by src/codecs/jpeg-turbo.ts.
//
// ABI (wasm32: pointers and sizes are u32), the header layout of jpeg_scaled.wasm
// (wasm/README.md, "Export ABI"): 11 u32 words in static storage, valid until the next call:
//   0 status (0 ok, 1 malformed, 2 unsupported, 3 too large, 4 out of memory, 5 bad argument)
//   1 width, 2 height (the scaled size), 3 RGBA pointer, 4 RGBA length (width*height*4),
//   5 coded width, 6 coded height, 7 components (1, 3, 4), 8 1 if progressive (or any other
//   multi-scan file), 9 message pointer, 10 message length.
// - jt_alloc(len) -> ptr (0 on failure); jt_free(ptr) frees a buffer not passed on.
// - jt_decode(ptr, len, scale_num, max_src_pixels): takes (and frees) the input; decodes it
//   at scale_num/8 (1..8) to RGBA8, alpha 255. Refuses coded width*height > max_src_pixels
//   (0: 2^28) after the header, before allocating anything image-sized.
// - jt_release(): frees the output of the last decode.
// - jt_open(ptr, len, scale_num, max_src_pixels): the same decode as a stream of rows. Takes
//   the input (kept until jt_close), reads the header and starts the decompressor (a multi-scan
//   file is read whole here: libjpeg keeps all its coefficients, 2 bytes per coded sample);
//   words 1, 2 are the scaled size, 5..8 as for jt_decode, words 3, 4 zero. On failure
//   everything is freed already. One stream at a time: opening another closes the last.
// - jt_read() -> the next rows (at most 16, fewer only at the end, 0 after the last):
//   word 1 width, 2 the row count, 3 their RGBA pointer (rows one after another), 4 length;
//   valid until the next jt_read or jt_close. Status 5 when nothing is open.
// - jt_close(): ends the stream and frees its input and rows (safe when nothing is open).
// - jt_version() -> LIBJPEG_TURBO_VERSION_NUMBER (2001005).
// - jt_message() -> the last fatal error's message (NUL-terminated), kept across a trap.
//
// libjpeg's error_exit must not return, and this toolchain (clang-14, wasm32-wasi) has no
// setjmp/longjmp: a fatal libjpeg error (and a truncated scan, below) formats its message into
// `jt_message_buf` and then TRAPS (`unreachable`). The host must discard the instance after a trap
// (src/codecs/own-wasm.ts does); the leaked buffers go with it.
//
// Colour, kept equal to jpeg_scaled.wasm's rules (jpeg-decoder 0.2.6):
// - 1 component: grey, expanded to RGBA;
// - 3 components: RGB when an Adobe APP14 marker says transform 0, else YCbCr (libjpeg would
//   also take RGB for component ids 'R','G','B' and YCbCr for JFIF + Adobe 0: overridden);
// - 4 components: libjpeg's CMYK output (YCCK converted to CMYK by libjpeg; Adobe-inverted
//   values as stored), then R = round(C*K/255), G = round(M*K/255), B = round(Y*K/255): the
//   same naive conversion as jpeg_scaled.wasm's R = (255 - c)(255 - k)/255 on ink amounts.
// Truncation: libjpeg-turbo pads a truncated scan with zeros and only warns; here a warning
// that data was missing inside a scan (JWRN_HIT_MARKER) is fatal, and so is the end of the
// file before the last scan of a multi-scan file (JWRN_JPEG_EOF then stops the decode early).
// A missing EOI after complete scan data is accepted.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpeglib.h"
#include "jerror.h"

#define EXPORT __attribute__((visibility("default"), used))

enum { S_OK = 0, S_MALFORMED = 1, S_UNSUPPORTED = 2, S_TOO_LARGE = 3, S_OOM = 4, S_BAD_ARG = 5 };

// Coded pixels decoded at most when the caller gives no limit (as jpeg_scaled.wasm).
#define DEFAULT_MAX_PIXELS (1u << 28)
// Scanlines handed to jpeg_read_scanlines per call.
#define ROWS_PER_CALL 16

static uint32_t header[11];
static uint8_t *output = NULL;
static char jt_message_buf[JMSG_LENGTH_MAX];
static int eof_seen = 0;

static uint32_t *set_status(uint32_t status, const char *msg) {
  header[0] = status;
  if (msg) {
    header[9] = (uint32_t)(uintptr_t)msg;
    header[10] = (uint32_t)strlen(msg);
  }
  return header;
}

// error_exit: keep the message (readable in memory after the trap), then trap.
static void trap_exit(j_common_ptr cinfo) {
  (*cinfo->err->format_message)(cinfo, jt_message_buf);
  __builtin_trap();
}

// libjpeg's default error_exit calls exit(): linked (jpeg_std_error refers to it) but replaced
// by trap_exit; this definition keeps wasi-libc's exit (and its proc_exit import) out and
// makes any call trap anyway.
_Noreturn void exit(int code) {
  (void)code;
  __builtin_trap();
}

// emit_message: warnings (level -1) that mean missing data are fatal (see the top); traces
// and other warnings (e.g. extraneous bytes before a marker) are ignored.
static void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  int code = cinfo->err->msg_code;
  if (code == JWRN_HIT_MARKER) trap_exit(cinfo);
  if (code == JWRN_JPEG_EOF) eof_seen = 1;
}

static void free_output(void) {
  free(output);
  output = NULL;
}

EXPORT uint8_t *jt_alloc(uint32_t len) { return (uint8_t *)malloc(len ? len : 1); }

EXPORT void jt_free(uint8_t *ptr) { free(ptr); }

EXPORT void jt_release(void) { free_output(); }

EXPORT uint32_t jt_version(void) { return LIBJPEG_TURBO_VERSION_NUMBER; }

// The message of the last fatal libjpeg error (NUL-terminated; "" if none): readable after a
// trap, before the instance is discarded.
EXPORT const char *jt_message(void) { return jt_message_buf; }

// In place: CMYK (4 bytes per pixel) → RGBA.
static void cmyk_to_rgba(uint8_t *p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++, p += 4) {
    uint32_t k = p[3];
    // round(a * k / 255) for a, k in 0..255, exactly.
    uint32_t r = p[0] * k + 128, g = p[1] * k + 128, b = p[2] * k + 128;
    p[0] = (uint8_t)((r + (r >> 8)) >> 8);
    p[1] = (uint8_t)((g + (g >> 8)) >> 8);
    p[2] = (uint8_t)((b + (b >> 8)) >> 8);
    p[3] = 255;
  }
}

// Reads the header of `input` into `cinfo` (created, its error manager set) and sets the colour
// conversion and the scale scale_num/8. Returns NULL when the decode may start, else the failed
// header (the caller destroys `cinfo` and frees the input). Fills header words 5..8; sets *cmyk.
static uint32_t *begin(j_decompress_ptr cinfo, uint8_t *input, uint32_t len, uint32_t scale_num,
                       uint32_t max_src_pixels, int *cmyk) {
  if (!max_src_pixels) max_src_pixels = DEFAULT_MAX_PIXELS;
  jpeg_mem_src(cinfo, input, len);
  if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK)
    return set_status(S_MALFORMED, "no image in the JPEG data");
  header[5] = cinfo->image_width;
  header[6] = cinfo->image_height;
  header[7] = (uint32_t)cinfo->num_components;
  header[8] = jpeg_has_multiple_scans(cinfo) ? 1 : 0;
  if ((uint64_t)cinfo->image_width * cinfo->image_height > max_src_pixels)
    return set_status(S_TOO_LARGE, "image is larger than the pixel limit");
  *cmyk = 0;
  switch (cinfo->num_components) {
    case 1:
      cinfo->jpeg_color_space = JCS_GRAYSCALE;
      cinfo->out_color_space = JCS_EXT_RGBA;
      break;
    case 3:
      cinfo->jpeg_color_space =
          cinfo->saw_Adobe_marker && cinfo->Adobe_transform == 0 ? JCS_RGB : JCS_YCbCr;
      cinfo->out_color_space = JCS_EXT_RGBA;
      break;
    case 4:
      // libjpeg already chose CMYK (Adobe transform 0 or no APP14) or YCCK.
      cinfo->out_color_space = JCS_CMYK;
      *cmyk = 1;
      break;
    default:
      return set_status(S_UNSUPPORTED, "unsupported number of colour components");
  }
  cinfo->scale_num = scale_num;
  cinfo->scale_denom = 8;
  // No block smoothing (it only estimates coefficients a file never completed): so a
  // multi-scan file decoded below 8/8 keeps only the coefficients its scale uses
  // (wasm/jpeg-turbo/progressive-kxk.patch).
  cinfo->do_block_smoothing = FALSE;
  jpeg_calc_output_dimensions(cinfo);
  return NULL;
}

// Resets the per-call state; NULL, or (having freed `input`) the bad-argument header when
// scale_num is not 1..8.
static uint32_t *reset(uint32_t scale_num, uint8_t *input) {
  memset(header, 0, sizeof(header));
  jt_message_buf[0] = 0;
  eof_seen = 0;
  if (scale_num >= 1 && scale_num <= 8) return NULL;
  free(input);
  return set_status(S_BAD_ARG, "scale_num must be 1..8");
}

// Creates a decompressor whose fatal errors trap (trap_exit) and whose warnings of missing data
// are handled by on_message.
static void create(j_decompress_ptr cinfo, struct jpeg_error_mgr *jerr) {
  cinfo->err = jpeg_std_error(jerr);
  jerr->error_exit = trap_exit;
  jerr->emit_message = on_message;
  jpeg_create_decompress(cinfo);
}

EXPORT uint32_t *jt_decode(uint8_t *input, uint32_t len, uint32_t scale_num,
                           uint32_t max_src_pixels) {
  free_output();
  uint32_t *failed = reset(scale_num, input);
  if (failed) return failed;

  struct jpeg_decompress_struct cinfo;
  struct jpeg_error_mgr jerr;
  create(&cinfo, &jerr);
  int cmyk = 0;
  failed = begin(&cinfo, input, len, scale_num, max_src_pixels, &cmyk);
  if (failed) {
    jpeg_destroy_decompress(&cinfo);
    free(input);
    return failed;
  }
  uint32_t w = cinfo.output_width, h = cinfo.output_height;
  size_t stride = (size_t)w * 4;
  output = (uint8_t *)malloc(stride * h);
  if (!output) {
    jpeg_destroy_decompress(&cinfo);
    free(input);
    return set_status(S_OOM, "cannot allocate the output");
  }

  jpeg_start_decompress(&cinfo);
  JSAMPROW rows[ROWS_PER_CALL];
  while (cinfo.output_scanline < h && !(eof_seen && header[8])) {
    uint32_t y = cinfo.output_scanline;
    uint32_t n = h - y < ROWS_PER_CALL ? h - y : ROWS_PER_CALL;
    for (uint32_t i = 0; i < n; i++) rows[i] = output + (y + i) * stride;
    uint32_t got = jpeg_read_scanlines(&cinfo, rows, n);
    if (cmyk) cmyk_to_rgba(output + (size_t)y * stride, got * w);
  }
  int truncated = eof_seen && header[8];
  jpeg_destroy_decompress(&cinfo);
  free(input);
  if (truncated) {
    free_output();
    return set_status(S_MALFORMED, "truncated JPEG: the file ends before its last scan");
  }
  header[1] = w;
  header[2] = h;
  header[3] = (uint32_t)(uintptr_t)output;
  header[4] = (uint32_t)(stride * h);
  return set_status(S_OK, NULL);
}

// --- The row stream: one open decode at a time, its state in static storage -------------------
static struct jpeg_decompress_struct rows_cinfo;
static struct jpeg_error_mgr rows_jerr;
static int rows_open = 0, rows_cmyk = 0;
static uint8_t *rows_input = NULL, *rows_buf = NULL;

EXPORT void jt_close(void) {
  if (rows_open) jpeg_destroy_decompress(&rows_cinfo);
  rows_open = 0;
  free(rows_input);
  free(rows_buf);
  rows_input = rows_buf = NULL;
}

EXPORT uint32_t *jt_open(uint8_t *input, uint32_t len, uint32_t scale_num,
                         uint32_t max_src_pixels) {
  jt_close();
  uint32_t *failed = reset(scale_num, input);
  if (failed) return failed;
  rows_input = input;
  create(&rows_cinfo, &rows_jerr);
  rows_open = 1;
  failed = begin(&rows_cinfo, input, len, scale_num, max_src_pixels, &rows_cmyk);
  if (failed) {
    jt_close();
    return failed;
  }
  size_t stride = (size_t)rows_cinfo.output_width * 4;
  rows_buf = (uint8_t *)malloc(stride * ROWS_PER_CALL);
  if (!rows_buf) {
    jt_close();
    return set_status(S_OOM, "cannot allocate the row buffer");
  }
  // A multi-scan file is read whole here (its coefficients kept); a baseline one row by row.
  jpeg_start_decompress(&rows_cinfo);
  if (eof_seen && header[8]) {
    jt_close();
    return set_status(S_MALFORMED, "truncated JPEG: the file ends before its last scan");
  }
  header[1] = rows_cinfo.output_width;
  header[2] = rows_cinfo.output_height;
  return set_status(S_OK, NULL);
}

EXPORT uint32_t *jt_read(void) {
  memset(header, 0, 5 * sizeof(uint32_t));
  if (!rows_open) return set_status(S_BAD_ARG, "no JPEG is open");
  uint32_t w = rows_cinfo.output_width, h = rows_cinfo.output_height;
  size_t stride = (size_t)w * 4;
  uint32_t got = 0;
  JSAMPROW rows[ROWS_PER_CALL];
  while (got < ROWS_PER_CALL && rows_cinfo.output_scanline < h) {
    uint32_t n = ROWS_PER_CALL - got;
    if (h - rows_cinfo.output_scanline < n) n = h - rows_cinfo.output_scanline;
    for (uint32_t i = 0; i < n; i++) rows[i] = rows_buf + (got + i) * stride;
    got += jpeg_read_scanlines(&rows_cinfo, rows, n);
  }
  if (rows_cmyk) cmyk_to_rgba(rows_buf, got * w);
  header[1] = w;
  header[2] = got;
  header[3] = (uint32_t)(uintptr_t)rows_buf;
  header[4] = (uint32_t)(stride * got);
  return set_status(S_OK, NULL);
}
