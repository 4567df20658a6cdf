/**
 * WebP header facts: RIFF container per RFC 9649 (VP8, VP8L, VP8X, ALPH, ANMF, EXIF, ICCP
 * chunks), and the lossless-bitstream fact (`webpLosslessReason`).
 */

import { readExifOrientation } from '../exif';
import { u8, be32, le16, le24, le32, fourcc, malformed, checkSides, bytesEqual } from './bytes';
import { type ProbeResult, type IccLocation } from './facts';

/** Most chunks one walk visits (each step also advances, so walks end at the data end). */
const MAX_WEBP_CHUNKS = 1 << 20;

const VP8 = fourcc('VP8 ');
const VP8L = fourcc('VP8L');
const VP8X = fourcc('VP8X');
const ALPH = fourcc('ALPH');
const ANMF = fourcc('ANMF');
const EXIF_WEBP = fourcc('EXIF');
const ICCP_WEBP = fourcc('ICCP');

/** One chunk of a RIFF walk (offsets into the file). */
export interface RiffChunk {
  /** The chunk's FourCC as a big-endian u32 (compare with `fourcc('VP8X')`). */
  type: number;
  /** Its declared data size, bytes (before the pad byte). */
  size: number;
  /** Offset of its data. */
  data: number;
  /** End of the data present: `data + size`, or the walk's end when the chunk is truncated. */
  end: number;
  /** The whole declared data lies before the walk's end. */
  complete: boolean;
}

/**
 * The one WebP chunk walker (RFC 9649 §2.4, as libwebp parses the container): the chunks of
 * `b[start, end)` in order, each an 8-byte header (FourCC, u32 LE size) and its data, padded
 * to an even size. Ends at the first header that does not fit, after a truncated chunk
 * (yielded with `complete` false), or after {@link MAX_WEBP_CHUNKS} chunks. Never reads past
 * `end`; `end` is the RIFF end clamped to the data (see {@link riffEnd}).
 */
export function* riffChunks(b: Uint8Array, start: number, end: number): Generator<RiffChunk> {
  let pos = start;
  for (let i = 0; i < MAX_WEBP_CHUNKS && pos + 8 <= end; i++) {
    const size = le32(b, pos + 4);
    const data = pos + 8;
    const complete = data + size <= end;
    yield { type: be32(b, pos), size, data, end: complete ? data + size : end, complete };
    if (!complete) return;
    pos = data + size + (size & 1);
  }
}

/** End of a WebP's RIFF data: 8 + the RIFF size, or the data's end when that is shorter. */
function riffEnd(b: Uint8Array): number {
  return Math.min(b.length, 8 + le32(b, 4)); // bytes past the RIFF size are ignored
}

interface Bitstream {
  width: number;
  height: number;
  alpha: boolean;
}

/** VP8 key frame header (RFC 6386 §9.1): frame tag, start code 9D 01 2A, 14-bit sizes. */
function readVp8(b: Uint8Array, p: number, available: number): Bitstream | null {
  if (available < 10) return null;
  const tag = le24(b, p);
  const keyFrame = (tag & 1) === 0;
  const version = (tag >> 1) & 7;
  const shown = (tag >> 4) & 1;
  if (!keyFrame || version > 3 || !shown) return null;
  if (u8(b, p + 3) !== 0x9d || u8(b, p + 4) !== 0x01 || u8(b, p + 5) !== 0x2a) return null;
  const width = le16(b, p + 6) & 0x3fff;
  const height = le16(b, p + 8) & 0x3fff;
  if (width === 0 || height === 0) return null;
  return { width, height, alpha: false };
}

/** VP8L header (RFC 9649 §3.2.1): 0x2F, 14-bit width-1 and height-1, alpha hint, version 0. */
function readVp8l(b: Uint8Array, p: number, available: number): Bitstream | null {
  if (available < 5 || u8(b, p) !== 0x2f) return null;
  const bits = le32(b, p + 1);
  if (bits >>> 29 !== 0) return null; // version must be 0
  return {
    width: (bits & 0x3fff) + 1,
    height: ((bits >>> 14) & 0x3fff) + 1,
    alpha: ((bits >>> 28) & 1) === 1,
  };
}

/** Header facts of a WEBP file (sniffed as such). @throws ProbeError `malformed`. */
export function probeWebp(b: Uint8Array): ProbeResult {
  if (b.length < 20) throw malformed('WebP: data ends before the first chunk header');
  if (le32(b, 4) < 12) throw malformed('WebP: RIFF size too small');
  const end = riffEnd(b);
  const first = riffChunks(b, 12, end).next().value;
  if (!first) throw malformed('WebP: data ends before the first chunk header');
  const { type, size } = first;
  const available = first.end - first.data;

  if (type === VP8 || type === VP8L) {
    const bs = type === VP8 ? readVp8(b, 20, available) : readVp8l(b, 20, available);
    if (!bs) throw malformed('WebP: invalid or truncated bitstream header');
    return {
      format: 'webp',
      width: bs.width,
      height: bs.height,
      orientation: 1,
      hasAlpha: bs.alpha,
      frames: 1,
      progressive: false,
      cmyk: false,
      webpLossless: type === VP8L || webpLosslessReason(b) !== null,
      webpVp8l: type === VP8L,
    };
  }
  if (type !== VP8X) throw malformed('WebP: first chunk is not VP8, VP8L or VP8X');
  if (size !== 10 || available < 10) throw malformed('WebP: VP8X chunk is not 10 bytes');

  const flags = u8(b, 20);
  const width = le24(b, 24) + 1;
  const height = le24(b, 27) + 1;
  if (width * height > 0xffffffff) throw malformed('WebP: canvas area above 2^32-1');
  checkSides('WebP', width, height);
  const animated = (flags & 0x02) !== 0;
  let hasAlpha = (flags & 0x10) !== 0;
  let orientation = 1;
  let exifSeen = false;
  let anmf = 0;
  let bitstreamSeen = false;
  let icc: IccLocation | undefined;
  for (const { type: ctype, size: csize, data, end: cend, complete } of riffChunks(b, 30, end)) {
    const avail = cend - data;
    if (ctype === ALPH) {
      hasAlpha = true;
    } else if (ctype === ICCP_WEBP && !icc && (flags & 0x20) !== 0 && complete) {
      icc = { parts: [[data, csize]], deflate: false, model: 'rgb' };
    } else if (ctype === EXIF_WEBP && !exifSeen) {
      exifSeen = true;
      orientation = readExifOrientation(b.subarray(data, data + avail));
    } else if (ctype === ANMF && animated) {
      if (avail < 16) break; // truncated frame header: count only complete ones
      const x = le24(b, data) * 2;
      const y = le24(b, data + 3) * 2;
      const fw = le24(b, data + 6) + 1;
      const fh = le24(b, data + 9) + 1;
      if (x + fw > width || y + fh > height) throw malformed('WebP: frame outside the canvas');
      anmf++;
    } else if ((ctype === VP8 || ctype === VP8L) && !animated && !bitstreamSeen) {
      bitstreamSeen = true;
      const bs = ctype === VP8 ? readVp8(b, data, avail) : readVp8l(b, data, avail);
      if (!bs) throw malformed('WebP: invalid or truncated bitstream header');
      if (bs.width !== width || bs.height !== height) {
        throw malformed('WebP: bitstream size differs from the VP8X canvas');
      }
      if (bs.alpha) hasAlpha = true;
    }
  }
  if (animated && anmf === 0) throw malformed('WebP: animation without frames');
  return {
    format: 'webp',
    width,
    height,
    orientation,
    hasAlpha,
    frames: animated ? anmf : 1,
    progressive: false,
    cmyk: false,
    webpLossless: webpLosslessReason(b) !== null,
    webpVp8l: !animated && webpLosslessReason(b) === 'VP8L',
    ...(icc && { icc }),
  };
}

/**
 * Finds lossless WebP bitstreams: lossless images (a `VP8L` chunk, alone, inside a VP8X file
 * or inside an animation frame) and lossy images whose alpha plane is compressed losslessly
 * (`ALPH` chunk with compression method 1, decoded by the same VP8L machinery). Uploads record
 * the answer (`webp_lossless`) so the planner can charge lossless decoding its own figures.
 * It was the CVE-2023-4863 guard while WebP was decoded by libwebp 1.1.0; our libwebp 1.5.0
 * module has the fix (1.3.2+) and decodes every kind (docs/security.md).
 *
 * The walk is {@link riffChunks}, the one the header facts use.
 */

/** Why a WebP would run libwebp's lossless decoder: its chunk name, or null when it would not. */
export type LosslessReason = 'VP8L' | 'ALPH' | null;

/** Walks the chunks of `[start, end)`; descends into `ANMF` frames (16-byte frame header). */
function scan(b: Uint8Array, start: number, end: number, depth: number): LosslessReason {
  for (const { type, data, end: chunkEnd } of riffChunks(b, start, end)) {
    if (type === VP8L) return 'VP8L';
    // ALPH header byte: bits 0-1 compression method (0 none, 1 WebP lossless).
    if (type === ALPH && data < chunkEnd && (u8(b, data) & 3) === 1) return 'ALPH';
    if (type === ANMF && depth === 0) {
      const inner = scan(b, data + 16, chunkEnd, 1);
      if (inner) return inner;
    }
  }
  return null;
}

/**
 * Tells whether decoding this WebP file would run libwebp's lossless (VP8L) code: a `VP8L`
 * chunk at top level or in an animation frame, or an `ALPH` chunk compressed losslessly.
 * Call it on bytes already sniffed as WebP (`RIFF····WEBP`); anything else gives null. Never
 * throws; reads only within `bytes`.
 */
export function webpLosslessReason(bytes: Uint8Array): LosslessReason {
  if (bytes.length < 12 || !bytesEqual(bytes, 0, 'RIFF') || !bytesEqual(bytes, 8, 'WEBP'))
    return null;
  return scan(bytes, 12, riffEnd(bytes), 0);
}
