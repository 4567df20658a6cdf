/**
 * JPEG header facts: ITU-T T.81 marker walk (Annex B) up to the first SOFn; EXIF in APP1
 * "Exif\0\0"; ICC profiles in APP2 `ICC_PROFILE` chunks (ICC.1:2022 Annex B.4).
 */

import { readExifOrientation } from '../exif';
import { u8, be16, bytesEqual, malformed, checkSides } from './bytes';
import { type ProbeResult, type ColourModel } from './facts';

// Walk caps (each step also advances by at least one byte, so walks end at the data end).
const MAX_JPEG_SEGMENTS = 65_536;

/** SOFn markers: C0-C3, C5-C7, C9-CB, CD-CF (C4 DHT, C8 JPG, CC DAC are not frames). */
function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Header facts of a JPEG file (sniffed as such). @throws ProbeError `malformed`. */
export function probeJpeg(b: Uint8Array): ProbeResult {
  const len = b.length;
  let pos = 2; // after SOI
  let orientation = 1;
  let exifSeen = false;
  const iccChunks: IccChunk[] = [];
  for (let seg = 0; seg < MAX_JPEG_SEGMENTS; seg++) {
    // Like libjpeg's next_marker(): skip stray bytes, then 0xFF fill bytes.
    while (pos < len && b[pos] !== 0xff) pos++;
    while (pos < len && b[pos] === 0xff) pos++;
    if (pos >= len) throw malformed('JPEG: no frame header (SOFn) before the end of the data');
    const marker = u8(b, pos);
    pos++;
    if (marker === 0x00) continue; // FF 00 is a stuffed byte, not a marker: stray data
    if (marker === 0xd9) throw malformed('JPEG: EOI before a frame header (SOFn)');
    if (marker === 0xda) throw malformed('JPEG: scan (SOS) before a frame header (SOFn)');
    if (marker === 0xd8) throw malformed('JPEG: second SOI');
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // RSTn, TEM: no length
    if (pos + 2 > len) throw malformed('JPEG: truncated segment length');
    const segLen = be16(b, pos);
    if (segLen < 2) throw malformed('JPEG: segment length below 2');
    const end = pos + segLen;
    if (end > len) throw malformed('JPEG: segment runs past the end of the data');
    if (isSof(marker)) return readSof(b, marker, pos + 2, end, orientation, iccChunks);
    if (marker === 0xe2 && segLen >= 16 && bytesEqual(b, pos + 2, 'ICC_PROFILE\0')) {
      // 12-byte tag, sequence number (1-based), chunk count, then the profile bytes.
      iccChunks.push({ seq: u8(b, pos + 14), count: u8(b, pos + 15), offset: pos + 16, end });
    }
    if (marker === 0xe1 && !exifSeen && segLen >= 8 && bytesEqual(b, pos + 2, 'Exif\0\0')) {
      exifSeen = true;
      orientation = readExifOrientation(b.subarray(pos + 8, end));
    }
    pos = end;
  }
  throw malformed('JPEG: too many segments before the frame header');
}

/** One APP2 `ICC_PROFILE` segment: its sequence number and chunk count, and its data range. */
interface IccChunk {
  seq: number;
  count: number;
  offset: number;
  end: number;
}

/**
 * The profile's parts in sequence order (ICC.1:2022 B.4: numbers 1..count, count the same
 * in every chunk); null when chunks are missing, repeated or inconsistent (libjpeg's
 * `jpeg_read_icc_profile` refuses such profiles too).
 */
function jpegIccParts(chunks: IccChunk[]): Array<[number, number]> | null {
  const count = chunks[0]?.count ?? 0;
  if (count === 0 || chunks.length !== count) return null;
  const bySeq = new Array<IccChunk | undefined>(count);
  for (const c of chunks) {
    if (c.count !== count || c.seq < 1 || c.seq > count || bySeq[c.seq - 1]) return null;
    bySeq[c.seq - 1] = c;
  }
  return bySeq.map((c) => [c?.offset ?? 0, (c?.end ?? 0) - (c?.offset ?? 0)]);
}

/** Frame header (T.81 B.2.2): P, Y, X, Nf, then 3 bytes per component; Lf = 8 + 3·Nf. */
function readSof(
  b: Uint8Array,
  marker: number,
  p: number,
  end: number,
  orientation: number,
  iccChunks: IccChunk[],
): ProbeResult {
  if (end - p < 6) throw malformed('JPEG: frame header too short');
  const height = be16(b, p + 1);
  const width = be16(b, p + 3);
  const components = u8(b, p + 5);
  if (components === 0 || end - p !== 6 + 3 * components) {
    throw malformed('JPEG: frame header length does not match its component count');
  }
  // Height 0 means "defined later by DNL"; like libjpeg we refuse it.
  checkSides('JPEG', width, height);
  const parts = jpegIccParts(iccChunks);
  const model: ColourModel = components === 1 ? 'grey' : components === 4 ? 'cmyk' : 'rgb';
  return {
    format: 'jpeg',
    width,
    height,
    orientation,
    hasAlpha: false,
    frames: 1,
    progressive: marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce,
    cmyk: components === 4,
    ...(parts && { icc: { parts, deflate: false, model } }),
  };
}
