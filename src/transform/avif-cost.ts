/**
 * The planner's memory figure for wasm/avif.wasm (dav1d 1.5.1 + libavif 1.4.2, src/codecs/avif.ts;
 * glue in wasm/avif/glue.c): what the module holds at its peak for one decode, above its
 * instance (`memoryFixedMB.decode.avif`), from header facts only:
 *
 *   input copy + dav1d's frame + dav1d's per-frame state + one RGBA band
 *     + box-shrunk or unscaled: the RGBA output (allocated while the frame is alive)
 *     + scaled by the module (`box` 0 below the crop's size): the scaled planes, and the RGBA
 *       output only when it does not fit in the memory the frame leaves when it is freed
 *       (the glue destroys the decoder, its frame and the input before allocating the output)
 *   rows handed on (`avif_rows_run`, codecs/avif.ts `openAvifRows`: the streamed path): no
 *     output and no scaled planes; scaled, one band of them (70 rows, at most the source's
 *     width) beside the RGBA band
 *
 * dav1d's frame is the coded size rounded up to 128 in both axes times the bytes per pixel of
 * the primary item's coding (its `av1C`, probe/avif.ts `avifCoding`: 1 byte per sample at 8
 * bits, 2 at 10 and 12; luma plus two chroma planes of 1/4, 1/2 or 1, none for 4:0:0), plus
 * one plane of the same depth for an alpha auxiliary image; unknown (rows stored before it was
 * recorded): 12-bit 4:4:4. Its state (loop-filter levels, CDEF and restoration lines, motion vectors) is about 0.3 MiB +
 * 0.55 MiB per MP, once more for the alpha image's decoder. Fitted to the module's memory
 * after a call (wasm MiB, Node; `node bench/avif-module-node.mjs`), 4:4:4 files made by sharp:
 * 12 MP box 64: 44.9 (this: 45.7), 6 MP 23.4 (23.9), 2 MP 9.2 (9.4), 1025x769 4.8 (4.9), 6 MP
 * with alpha 32.3 (33.1); 12 MP 3024x3024 crop → 2000x2000: 71.1 before the decoder was freed
 * first, 55.3 after (56.6); 12 MP → 800x600 45.2 (47.4). 4:2:0 and 10-bit files: docs/performance.md,
 * "AVIF frames from av1C" (`node bench/avif-module-node.mjs`).
 */
import type { AvifCoding } from '../codecs/probe';

/** The coding charged when it is unknown: the largest frame. */
const LARGEST: AvifCoding = { bitDepth: 12, chroma: '4:4:4' };
/** Chroma planes' samples per luma sample, both together. */
const CHROMA_SHARE = { '4:0:0': 0, '4:2:0': 0.5, '4:2:2': 1, '4:4:4': 2 } as const;
/** dav1d's frame rows and columns are allocated in multiples of this. */
const FRAME_ALIGN = 128;
/** dav1d's per-frame state, MiB per decoder and MiB per coded MP. */
const STATE_FIXED_MB = 0.3;
const STATE_MB_PER_MP = 0.55;

const MIB = 1_048_576;
const MP = 1_000_000;

const alignUp = (n: number) => Math.ceil(n / FRAME_ALIGN) * FRAME_ALIGN;

/** What {@link avifModuleMb} reads of the source (header facts; stored, coded size). */
export interface AvifCostSource {
  width: number;
  height: number;
  hasAlpha: boolean;
  /** Size of the file, bytes; unknown: 0.25 MB per MP is assumed. */
  bytes?: number;
  /** The primary item's AV1 coding (ProbeResult.avifCoding); unknown: the largest frame. */
  avifCoding?: AvifCoding;
}

/**
 * MiB held by wasm/avif.wasm at its peak for one decode, beyond its instance's fixed memory
 * (see the module comment). The JS copy of the output, when not lent, is the caller's.
 * @param outPixels the module's output pixels (the crop box-shrunk, or scaled to the target).
 * @param box the decode plan's box factor (pipeline.ts `decodePlan`): 0 = scaled by the module.
 * @param scaled with `box` 0: the output is smaller than the crop (else the module converts
 *   the crop as it is, like box 1).
 * @param rows the output's rows are handed on as they are made (see the module comment).
 */
export function avifModuleMb(
  src: AvifCostSource,
  outPixels: number,
  box: number,
  scaled: boolean,
  rows = false,
): number {
  const pixels = src.width * src.height;
  const input = src.bytes !== undefined ? src.bytes / MIB : (0.25 * pixels) / MP;
  const coding = src.avifCoding ?? LARGEST;
  const sample = coding.bitDepth > 8 ? 2 : 1;
  /** Bytes per coded pixel of the colour frame, and with the alpha image's. */
  const colourBytes = sample * (1 + CHROMA_SHARE[coding.chroma]);
  const planes = colourBytes + (src.hasAlpha ? sample : 0);
  const frame = (planes * alignUp(src.width) * alignUp(src.height)) / MIB;
  // Its line buffers (CDEF, loop restoration) hold samples: twice as much at 16 bits.
  const state =
    (src.hasAlpha ? 2 : 1) * sample * (STATE_FIXED_MB + (STATE_MB_PER_MP * pixels) / MP);
  // glue.c convert_shrink: bands of k·⌈64/k⌉ rows (64 when scaled) + 6, at most the width.
  const bandRows = (box > 0 ? box * Math.ceil(64 / box) : 64) + 6;
  const band = (4 * src.width * bandRows) / MIB;
  if (rows)
    return (
      input +
      frame +
      state +
      band +
      (box === 0 && scaled ? (planes * src.width * bandRows) / MIB : 0)
    );
  const rgba = (4 * outPixels) / MIB;
  if (!(box === 0 && scaled)) return input + frame + state + band + rgba;
  const scaledPlanes = (planes * outPixels) / MIB;
  // The output reuses the colour frame's freed memory when no larger (alpha's is apart).
  const fits = 4 * outPixels <= colourBytes * pixels;
  return input + frame + state + band + scaledPlanes + (fits ? 0 : rgba);
}
