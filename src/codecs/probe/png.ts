/**
 * PNG header facts: PNG spec 3rd ed. (IHDR, tRNS, eXIf, iCCP) and APNG (acTL, fcTL) chunk
 * headers.
 */

import { readExifOrientation } from '../exif';
import { u8, be32, fourcc, malformed, checkSides } from './bytes';
import { type ProbeResult, type IccLocation } from './facts';

// Walk caps (each step also advances by at least one byte, so walks end at the data end).
const MAX_PNG_CHUNKS = 1 << 20;

const IHDR = fourcc('IHDR');
const IDAT = fourcc('IDAT');
const IEND = fourcc('IEND');
const EXIF_PNG = fourcc('eXIf');
const TRNS = fourcc('tRNS');
const ACTL = fourcc('acTL');
const FCTL = fourcc('fcTL');
const ICCP_PNG = fourcc('iCCP');

/** Allowed bit depths per colour type, as bit masks of the depth values (PNG 3rd ed. §11.2.1). */
const PNG_DEPTHS: Record<number, number> = {
  0: (1 << 1) | (1 << 2) | (1 << 4) | (1 << 8) | (1 << 16),
  2: (1 << 8) | (1 << 16),
  3: (1 << 1) | (1 << 2) | (1 << 4) | (1 << 8),
  4: (1 << 8) | (1 << 16),
  6: (1 << 8) | (1 << 16),
};

function isChunkLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Header facts of a PNG file (sniffed as such). @throws ProbeError `malformed`. */
export function probePng(b: Uint8Array): ProbeResult {
  const len = b.length;
  // Signature (8) + IHDR length/type (8) + 13 data bytes + CRC (4).
  if (len < 33) throw malformed('PNG: data ends inside the IHDR chunk');
  if (be32(b, 8) !== 13 || be32(b, 12) !== IHDR) {
    throw malformed('PNG: the first chunk is not a 13-byte IHDR');
  }
  const width = be32(b, 16);
  const height = be32(b, 20);
  const depth = u8(b, 24);
  const colourType = u8(b, 25);
  const interlace = u8(b, 28);
  if (width > 0x7fffffff || height > 0x7fffffff) throw malformed('PNG: IHDR size above 2^31-1');
  checkSides('PNG', width, height);
  const depths = PNG_DEPTHS[colourType];
  if (depths === undefined || depth > 16 || (depths & (1 << depth)) === 0) {
    throw malformed(`PNG: invalid bit depth ${depth} for colour type ${colourType}`);
  }
  if (u8(b, 26) !== 0 || u8(b, 27) !== 0 || interlace > 1) {
    throw malformed('PNG: unknown compression, filter or interlace method');
  }

  let orientation = 1;
  let exifSeen = false;
  let trns = false;
  let actlFrames = 0; // 0 = not an APNG
  let fctlCount = 0;
  let seenIdat = false;
  let icc: IccLocation | undefined;
  let pos = 33;
  for (let i = 0; i < MAX_PNG_CHUNKS && pos + 8 <= len; i++) {
    const length = be32(b, pos);
    if (length > 0x7fffffff) break; // spec limit; treat like a chunk past the end
    const data = pos + 8;
    const end = data + length;
    if (end > len) break; // truncated file or huge ancillary chunk: stop, keep facts so far
    if (!isChunkLetter(u8(b, pos + 4)) || !isChunkLetter(u8(b, pos + 5))) break;
    if (!isChunkLetter(u8(b, pos + 6)) || !isChunkLetter(u8(b, pos + 7))) break;
    const type = be32(b, pos + 4);
    if (type === IEND) break;
    if (type === IHDR) throw malformed('PNG: second IHDR chunk');
    if (type === IDAT) {
      seenIdat = true;
      if (actlFrames === 0) break; // still image: nothing after the first IDAT matters
    } else if (!seenIdat) {
      if (type === EXIF_PNG && !exifSeen) {
        exifSeen = true;
        orientation = readExifOrientation(b.subarray(data, end));
      } else if (type === TRNS) {
        // libpng ignores tRNS of the wrong size (and it is not allowed for types 4 and 6).
        trns =
          (colourType === 0 && length === 2) ||
          (colourType === 2 && length === 6) ||
          (colourType === 3 && length >= 1 && length <= 256);
      } else if (type === ICCP_PNG && !icc) {
        // Profile name (1-79 bytes), NUL, compression method 0, then a zlib stream.
        const nul = b.subarray(data, Math.min(end, data + 80)).indexOf(0);
        if (nul >= 1 && data + nul + 2 < end && b[data + nul + 1] === 0) {
          const start = data + nul + 2;
          const model = colourType === 0 || colourType === 4 ? 'grey' : 'rgb';
          icc = { parts: [[start, end - start]], deflate: true, model };
        }
      } else if (type === ACTL && length === 8 && actlFrames === 0) {
        actlFrames = be32(b, data); // num_frames; 0 is invalid and leaves a still image
      }
    }
    if (type === FCTL && actlFrames > 0) fctlCount++;
    pos = end + 4; // skip CRC (not verified)
  }
  return {
    format: 'png',
    width,
    height,
    orientation,
    hasAlpha: colourType === 4 || colourType === 6 || trns,
    // Never trust acTL alone: count only frame control chunks actually present.
    frames: actlFrames > 0 ? Math.max(1, Math.min(actlFrames, fctlCount)) : 1,
    progressive: interlace === 1,
    cmyk: false,
    ...(icc && { icc }),
  };
}
