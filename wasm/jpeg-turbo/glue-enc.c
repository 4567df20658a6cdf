// libjpeg-turbo glue for the image-edge Worker, encoder side: a small C ABI over libjpeg-turbo
// 2.1.5's compressor (jpeglib.h) that takes RGBA8 rows a band at a time (or a whole image written
// into its buffer) and hands the JPEG to the host as it is written, a segment at a time (our
// destination manager: the file never exists in wasm memory). Built by wasm/jpeg-turbo/build.sh
// into wasm/jpeg_turbo_enc.wasm; driven by src/codecs/jpeg-rows.ts.
//
// ABI (wasm32: pointers and sizes are u32); every call but je_release returns the 11-word header
// of the other modules (wasm/README.md, "Export ABI"), valid until the next call:
//   0 status (0 ok, 4 out of memory, 5 bad argument), 1 width, 2 height, 3 data pointer,
//   4 data length, 9 message pointer, 10 message length.
// - je_begin(width, height, quality, mode, band_rows): starts an encode (ending any other):
//   YCbCr 4:2:0, libjpeg's quality scaling of the standard (Annex K) tables at `quality`
//   (1..100, baseline-compatible tables), islow DCT, JFIF APP0 only. `mode` 0: baseline with
//   optimised Huffman tables (two passes over the coefficients); 1: progressive, libjpeg's
//   simple progression (jpeg_simple_progression), optimised tables; 2: single pass, baseline
//   with the standard (Annex K) Huffman tables, each row compressed and written as it comes.
//   Allocates the input buffer of band_rows rows of width × 4 bytes (alpha ignored): data
//   pointer and length in the header. band_rows = height takes the whole image at once.
// - je_put(first, rows): compresses `rows` rows from the input buffer, starting at its row
//   `first`; rows go in order, top to bottom (the next `rows` rows of the image).
// - je_finish(): finishes the file; data length (word 4) is the file's size in bytes, all of
//   them handed to the host by then; data pointer 0.
// - je_release(): frees everything of the encode (also after a failure).
// Import env.je_write(pointer, length): the host copies `length` bytes of the file (the next
// ones, in order) out of wasm memory at `pointer` before it returns; it must not call the module.
// Called from je_put and je_finish whenever the segment (SEGMENT_BYTES) is full, and at the end.
//
// Memory: with several scans (progressive) or optimised Huffman tables (modes 0 and 1) libjpeg
// keeps the whole image's quantised coefficients (jccoefct.c full-image buffer: 2 bytes per
// coefficient, 64 per 8x8 block, 1.5 blocks' worth of samples per pixel at 4:2:0: 3 bytes per
// pixel) and writes the whole file in je_finish; mode 2 keeps none (an MCU row's worth). Besides
// that: the input rows, libjpeg's tables and one output segment of SEGMENT_BYTES.
//
// libjpeg's error_exit must not return and this toolchain has no setjmp/longjmp: a fatal error
// (a libjpeg bug or a failed allocation inside libjpeg) formats its message into
// `je_message_buf` and TRAPS; the host discards the instance (src/codecs/own-wasm.ts).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpeglib.h"
#include "jerror.h"

#define EXPORT __attribute__((visibility("default"), used))

enum { S_OK = 0, S_OOM = 4, S_BAD_ARG = 5 };

// libjpeg's largest image side (JPEG_MAX_DIMENSION).
#define MAX_SIDE 65500u

static uint32_t header[11];
static char je_message_buf[JMSG_LENGTH_MAX];

static struct jpeg_compress_struct cinfo;
static struct jpeg_error_mgr jerr;
static int active = 0;
static uint8_t *input = NULL;
static uint32_t input_rows = 0, stride = 0;
// The output segment, handed to the host (je_write) whenever it fills, and at the end.
#define SEGMENT_BYTES (256u * 1024u)
static uint8_t *segment = NULL;
static uint32_t written = 0; // bytes handed to the host so far
static struct jpeg_destination_mgr dest;

__attribute__((import_module("env"), import_name("je_write"))) extern void
host_write(const uint8_t *data, uint32_t length);

static void dest_init(j_compress_ptr c) {
  c->dest->next_output_byte = segment;
  c->dest->free_in_buffer = SEGMENT_BYTES;
}

// A full segment (libjpeg's contract: the whole buffer, whatever free_in_buffer says).
static boolean dest_empty(j_compress_ptr c) {
  host_write(segment, SEGMENT_BYTES);
  written += SEGMENT_BYTES;
  dest_init(c);
  return TRUE;
}

static void dest_term(j_compress_ptr c) {
  uint32_t n = SEGMENT_BYTES - (uint32_t)c->dest->free_in_buffer;
  if (n) host_write(segment, n);
  written += n;
  dest_init(c);
}

static uint32_t *set_status(uint32_t status, const char *msg) {
  header[0] = status;
  if (msg) {
    header[9] = (uint32_t)(uintptr_t)msg;
    header[10] = (uint32_t)strlen(msg);
  }
  return header;
}

static void trap_exit(j_common_ptr c) {
  (*c->err->format_message)(c, je_message_buf);
  __builtin_trap();
}

// libjpeg's default error_exit calls exit(): replaced by trap_exit; this keeps wasi-libc's
// exit (and its proc_exit import) out.
_Noreturn void exit(int code) {
  (void)code;
  __builtin_trap();
}

// The compressor emits no warnings that matter here (traces only).
static void on_message(j_common_ptr c, int level) {
  (void)c;
  (void)level;
}

EXPORT void je_release(void) {
  if (active) jpeg_destroy_compress(&cinfo);
  active = 0;
  free(input);
  input = NULL;
  free(segment);
  segment = NULL;
  written = 0;
}

// The message of the last fatal libjpeg error (NUL-terminated; "" if none), kept across a trap.
EXPORT const char *je_message(void) { return je_message_buf; }

EXPORT uint32_t *je_begin(uint32_t width, uint32_t height, uint32_t quality, uint32_t mode,
                          uint32_t band_rows) {
  memset(header, 0, sizeof(header));
  je_release();
  je_message_buf[0] = 0;
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE)
    return set_status(S_BAD_ARG, "width and height must be 1..65500");
  if (quality < 1 || quality > 100) return set_status(S_BAD_ARG, "quality must be 1..100");
  if (band_rows < 1 || band_rows > height) return set_status(S_BAD_ARG, "band rows must be 1..height");
  if (mode > 2) return set_status(S_BAD_ARG, "mode must be 0, 1 or 2");
  stride = width * 4;
  input_rows = band_rows;
  input = (uint8_t *)malloc((size_t)stride * band_rows);
  segment = (uint8_t *)malloc(SEGMENT_BYTES);
  if (!input || !segment) return set_status(S_OOM, "cannot allocate the input rows");

  cinfo.err = jpeg_std_error(&jerr);
  jerr.error_exit = trap_exit;
  jerr.emit_message = on_message;
  jpeg_create_compress(&cinfo);
  active = 1;
  dest.init_destination = dest_init;
  dest.empty_output_buffer = dest_empty;
  dest.term_destination = dest_term;
  cinfo.dest = &dest;
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_EXT_RGBA;
  jpeg_set_defaults(&cinfo); // YCbCr, 2x2 luma sampling (4:2:0), islow DCT
  jpeg_set_quality(&cinfo, (int)quality, TRUE);
  cinfo.optimize_coding = mode != 2; // mode 2: jpeg_set_defaults' standard tables
  if (mode == 1) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  header[1] = width;
  header[2] = height;
  header[3] = (uint32_t)(uintptr_t)input;
  header[4] = stride * band_rows;
  return set_status(S_OK, NULL);
}

EXPORT uint32_t *je_put(uint32_t first, uint32_t rows) {
  memset(header, 0, sizeof(header));
  if (!active) return set_status(S_BAD_ARG, "no encode begun");
  if (rows < 1 || first > input_rows || rows > input_rows - first ||
      rows > cinfo.image_height - cinfo.next_scanline)
    return set_status(S_BAD_ARG, "rows outside the input buffer or the image");
  JSAMPROW row[16];
  for (uint32_t done = 0; done < rows;) {
    uint32_t n = rows - done < 16 ? rows - done : 16;
    for (uint32_t i = 0; i < n; i++) row[i] = input + (size_t)(first + done + i) * stride;
    done += jpeg_write_scanlines(&cinfo, row, n);
  }
  return set_status(S_OK, NULL);
}

EXPORT uint32_t *je_finish(void) {
  memset(header, 0, sizeof(header));
  if (!active) return set_status(S_BAD_ARG, "no encode begun");
  if (cinfo.next_scanline != cinfo.image_height)
    return set_status(S_BAD_ARG, "finished before the last row");
  free(input); // the coefficients are all made: the rows are no longer needed
  input = NULL;
  jpeg_finish_compress(&cinfo);
  header[1] = cinfo.image_width;
  header[2] = cinfo.image_height;
  jpeg_destroy_compress(&cinfo);
  active = 0;
  free(segment);
  segment = NULL;
  header[4] = written;
  return set_status(S_OK, NULL);
}
