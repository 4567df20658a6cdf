/**
 * Header facts without decoding pixels: the security boundary for every upload.
 *
 * Our own bounded parsers (no dependency) for the five accepted containers:
 * - JPEG: ITU-T T.81 marker walk (Annex B) up to the first SOFn; JFIF/EXIF APP segments.
 * - PNG: PNG spec 3rd ed. (IHDR, tRNS, eXIf) and APNG (acTL, fcTL) chunk headers.
 * - WebP: RIFF container per RFC 9649 (VP8, VP8L, VP8X, ALPH, ANMF, EXIF chunks).
 * - AVIF: ISOBMFF (ISO/IEC 14496-12) / HEIF (ISO/IEC 23008-12) boxes: ftyp, meta, pitm,
 *   iprp/ipco/ipma, ispe, auxC, irot, imir, iref/auxl; moov/stsz for sequences.
 * - GIF: GIF89a block walk (image descriptors, graphic control extensions, sub-blocks).
 * - EXIF orientation: TIFF 6.0 IFD0 (see ./exif.ts).
 * - Embedded ICC profiles (located only; ./icc.ts reads them): JPEG APP2 `ICC_PROFILE`
 *   chunks (ICC.1:2022 Annex B.4), PNG `iCCP`, WebP `ICCP` (RFC 9649 §2.7.1.3), AVIF/HEIF
 *   `colr` of type `prof` or `rICC` (ISO/IEC 14496-12 §12.1.5) on the primary item.
 *
 * Rules every parser follows:
 * - Reads are bounds-checked against the data actually present; nothing is allocated from
 *   header values, and every walk advances by at least one byte and is capped by a
 *   maximum iteration count. The only exception that can escape is {@link ProbeError}.
 * - Dimensions are exactly what the header declares (never grown or guessed); a side above
 *   {@link MAX_DIMENSION} is refused as malformed, so callers can apply pixel limits to
 *   plain numbers.
 * - Only the header must be sane. Pixel data, CRCs, Adler-32 and anything after the facts
 *   we need are the decoder's business. When a walk meets a length field that runs past
 *   the end of the data (a truncated file, or a "huge" ancillary chunk such as libpng's
 *   huge_eXIf_chunk.png), the walk stops and the facts gathered so far stand; the decoder
 *   then fails on the missing bytes. A truncated or inconsistent *required* header (PNG
 *   IHDR, JPEG segments up to SOFn, WebP first chunk, AVIF meta box, GIF screen and first
 *   image descriptor) is `malformed`.
 */

import { readExifOrientation } from '../exif';

/** Formats accepted as originals (decided from magic bytes only). */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';

/** What the header says about an image. Sizes are coded (as stored), in pixels. */
export interface ProbeResult {
  format: ImageFormat;
  /** Coded width and height, pixels, as stored in the file (before EXIF orientation). */
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent or invalid). */
  orientation: number;
  /**
   * Alpha may be present: PNG colour type 4/6 or a valid tRNS; WebP VP8X alpha flag, ALPH
   * chunk or VP8L alpha hint; AVIF alpha auxiliary item linked to the primary; GIF
   * transparency flag in a graphic control extension.
   */
  hasAlpha: boolean;
  /**
   * Number of frames (1 for still images), counted from what is present: GIF image
   * descriptors, APNG fcTL chunks (capped by acTL), WebP ANMF chunks, AVIF sequence samples.
   */
  frames: number;
  /** Stored for incremental display: JPEG SOF2/6/10/14, or PNG Adam7 interlace. */
  progressive: boolean;
  /** JPEG with 4 components (CMYK or YCCK). */
  cmyk: boolean;
  /** Where the embedded ICC profile is; absent when there is none (or it is unusable). */
  icc?: IccLocation;
}

/** Colour model of the stored samples, as the header says: what an ICC profile must match. */
export type ColourModel = 'grey' | 'rgb' | 'cmyk';

/**
 * Where an embedded ICC profile's bytes are, without copying them: `parts` are
 * `[offset, length]` byte ranges of the file, to be concatenated in order (JPEG spreads a
 * profile over up to 255 APP2 segments, already sorted by sequence number here); `deflate`:
 * the concatenation is a zlib stream (PNG iCCP) rather than the profile itself. `model` is
 * the image's colour model (JPEG component count, PNG colour type; RGB for WebP and AVIF).
 */
export interface IccLocation {
  parts: Array<[offset: number, length: number]>;
  deflate: boolean;
  model: ColourModel;
}

/** Why probing failed: `unsupported` → 415, `malformed` → 422. */
export class ProbeError extends Error {
  constructor(
    readonly kind: 'unsupported' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

/**
 * Largest width or height `probe` ever returns, in pixels (2^24, the WebP VP8X canvas
 * limit). Larger declared sides (PNG allows 2^31-1, AVIF ispe 2^32-1) are `malformed`.
 */
export const MAX_DIMENSION = 16_777_216;

// Walk caps (each step also advances by at least one byte, so walks end at the data end).
const MAX_JPEG_SEGMENTS = 65_536;
const MAX_PNG_CHUNKS = 1 << 20;
const MAX_WEBP_CHUNKS = 1 << 20;
const MAX_BOXES = 4096;
const MAX_PROPERTIES = 4096;
const MAX_FTYP_BRANDS = 256;

// ---------------------------------------------------------------------------------------
// Byte helpers. Callers check bounds first; `?? 0` only satisfies the type checker.

function u8(b: Uint8Array, o: number): number {
  return b[o] ?? 0;
}
function be16(b: Uint8Array, o: number): number {
  return (u8(b, o) << 8) | u8(b, o + 1);
}
function be24(b: Uint8Array, o: number): number {
  return (u8(b, o) << 16) | (u8(b, o + 1) << 8) | u8(b, o + 2);
}
function be32(b: Uint8Array, o: number): number {
  return ((u8(b, o) << 24) | (u8(b, o + 1) << 16) | (u8(b, o + 2) << 8) | u8(b, o + 3)) >>> 0;
}
function le16(b: Uint8Array, o: number): number {
  return u8(b, o) | (u8(b, o + 1) << 8);
}
function le24(b: Uint8Array, o: number): number {
  return u8(b, o) | (u8(b, o + 1) << 8) | (u8(b, o + 2) << 16);
}
function le32(b: Uint8Array, o: number): number {
  return (u8(b, o) | (u8(b, o + 1) << 8) | (u8(b, o + 2) << 16) | (u8(b, o + 3) << 24)) >>> 0;
}
/** A four-character code as the big-endian u32 it is stored as. */
function fourcc(s: string): number {
  return (
    ((s.charCodeAt(0) << 24) |
      (s.charCodeAt(1) << 16) |
      (s.charCodeAt(2) << 8) |
      s.charCodeAt(3)) >>>
    0
  );
}
/** True when `b[o..]` holds exactly the ASCII bytes of `s`. */
function bytesEqual(b: Uint8Array, o: number, s: string): boolean {
  if (o < 0 || o + s.length > b.length) return false;
  for (let i = 0; i < s.length; i++) if (b[o + i] !== s.charCodeAt(i)) return false;
  return true;
}

function malformed(message: string): ProbeError {
  return new ProbeError('malformed', message);
}

function checkSides(format: string, width: number, height: number): void {
  if (width <= 0 || height <= 0) throw malformed(`${format}: zero width or height`);
  if (width > MAX_DIMENSION || height > MAX_DIMENSION) {
    throw malformed(`${format}: ${width}x${height} exceeds ${MAX_DIMENSION} px per side`);
  }
}

// ---------------------------------------------------------------------------------------
// Sniffing

const AVIF_BRANDS = [fourcc('avif'), fourcc('avis')];
const HEIF_BRANDS = [
  fourcc('heic'),
  fourcc('heix'),
  fourcc('heim'),
  fourcc('heis'),
  fourcc('hevc'),
  fourcc('hevx'),
  fourcc('mif1'),
  fourcc('msf1'),
];

/** True when the major brand or a compatible brand of a leading `ftyp` box is in `brands`. */
function ftypHasBrand(b: Uint8Array, brands: number[]): boolean {
  if (b.length < 16 || be32(b, 4) !== fourcc('ftyp')) return false;
  const size = be32(b, 0);
  if (size < 16) return false; // 0 (to EOF) and 1 (64-bit size) are not used for ftyp
  if (brands.includes(be32(b, 8))) return true;
  const end = Math.min(size, b.length);
  for (let p = 16, n = 0; p + 4 <= end && n < MAX_FTYP_BRANDS; p += 4, n++) {
    if (brands.includes(be32(b, p))) return true;
  }
  return false;
}

/**
 * The format named by the magic bytes, or null when none of ours.
 *
 * JPEG `FF D8 FF`; PNG `89 50 4E 47 0D 0A 1A 0A`; WebP `RIFF` size `WEBP`; GIF `GIF87a` or
 * `GIF89a`; AVIF: a leading ISOBMFF `ftyp` box whose major or a compatible brand is `avif`
 * or `avis` (HEIC without those brands is null). Only looks at the first bytes; never throws.
 */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (
    b.length >= 8 &&
    b[0] === 0x89 &&
    bytesEqual(b, 1, 'PNG') &&
    b[4] === 0x0d &&
    b[5] === 0x0a &&
    b[6] === 0x1a &&
    b[7] === 0x0a
  ) {
    return 'png';
  }
  if (b.length >= 12 && bytesEqual(b, 0, 'RIFF') && bytesEqual(b, 8, 'WEBP')) return 'webp';
  if (b.length >= 6 && (bytesEqual(b, 0, 'GIF87a') || bytesEqual(b, 0, 'GIF89a'))) return 'gif';
  if (ftypHasBrand(b, AVIF_BRANDS)) return 'avif';
  return null;
}

/**
 * Reads header facts (see {@link ProbeResult}) without decoding pixels. Runs in time linear
 * in the header walk (at most one pass over the data) and allocates nothing sized by the file.
 *
 * @param bytes the whole upload (or at least its header; a prefix gives the same facts or a
 *   `malformed` error, except frame counts, which only count what is present).
 * @throws ProbeError `unsupported` when the magic bytes are not JPEG, PNG, WebP, AVIF or GIF
 *   (SVG, BMP, HEIC, DjVu, HTML, empty input…); `malformed` when the format's required
 *   header is truncated or inconsistent, or a side is 0 or above {@link MAX_DIMENSION}.
 *   Nothing else is ever thrown.
 */
export function probe(bytes: Uint8Array): ProbeResult {
  switch (sniffFormat(bytes)) {
    case 'jpeg':
      return probeJpeg(bytes);
    case 'png':
      return probePng(bytes);
    case 'webp':
      return probeWebp(bytes);
    case 'gif':
      return probeGif(bytes);
    case 'avif':
      return probeAvif(bytes);
    case null:
      if (bytes.length === 0) throw new ProbeError('unsupported', 'empty input');
      if (ftypHasBrand(bytes, HEIF_BRANDS)) {
        throw new ProbeError('unsupported', 'HEIF/HEIC without an AVIF brand is not supported');
      }
      throw new ProbeError('unsupported', 'not a JPEG, PNG, WebP, AVIF or GIF image');
  }
}

/**
 * Width and height as displayed, pixels: the coded size with sides swapped for EXIF
 * orientations 5..8 (the ones that turn the image by 90°).
 */
export function displaySize(result: Pick<ProbeResult, 'width' | 'height' | 'orientation'>): {
  width: number;
  height: number;
} {
  return result.orientation >= 5 && result.orientation <= 8
    ? { width: result.height, height: result.width }
    : { width: result.width, height: result.height };
}

// ---------------------------------------------------------------------------------------
// JPEG (ITU-T T.81 Annex B; EXIF in APP1 "Exif\0\0")

/** SOFn markers: C0-C3, C5-C7, C9-CB, CD-CF (C4 DHT, C8 JPG, CC DAC are not frames). */
function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function probeJpeg(b: Uint8Array): ProbeResult {
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

// ---------------------------------------------------------------------------------------
// PNG (PNG spec 3rd edition; APNG acTL/fcTL)

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

function probePng(b: Uint8Array): ProbeResult {
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

// ---------------------------------------------------------------------------------------
// WebP (RFC 9649)

const VP8 = fourcc('VP8 ');
const VP8L = fourcc('VP8L');
const VP8X = fourcc('VP8X');
const ALPH = fourcc('ALPH');
const ANMF = fourcc('ANMF');
const EXIF_WEBP = fourcc('EXIF');
const ICCP_WEBP = fourcc('ICCP');

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

function probeWebp(b: Uint8Array): ProbeResult {
  if (b.length < 20) throw malformed('WebP: data ends before the first chunk header');
  const riffSize = le32(b, 4);
  if (riffSize < 12) throw malformed('WebP: RIFF size too small');
  const end = Math.min(b.length, 8 + riffSize); // bytes past the RIFF size are ignored
  const type = be32(b, 12);
  const size = le32(b, 16);
  const available = Math.min(size, end - 20);

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
  let pos = 30;
  for (let i = 0; i < MAX_WEBP_CHUNKS && pos + 8 <= end; i++) {
    const ctype = be32(b, pos);
    const csize = le32(b, pos + 4);
    const data = pos + 8;
    const cend = data + csize;
    const avail = Math.min(cend, end) - data;
    if (ctype === ALPH) {
      hasAlpha = true;
    } else if (ctype === ICCP_WEBP && !icc && (flags & 0x20) !== 0 && cend <= end) {
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
    if (cend > end) break;
    pos = cend + (csize & 1);
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
    ...(icc && { icc }),
  };
}

// ---------------------------------------------------------------------------------------
// GIF (GIF89a)

/** Skips data sub-blocks from `pos` (length byte + data, ended by a 0 length); -1 if truncated. */
function skipSubBlocks(b: Uint8Array, pos: number): number {
  const len = b.length;
  while (pos < len) {
    const n = u8(b, pos);
    pos += 1;
    if (n === 0) return pos;
    pos += n;
  }
  return -1;
}

function probeGif(b: Uint8Array): ProbeResult {
  const len = b.length;
  if (len < 13) throw malformed('GIF: data ends inside the logical screen descriptor');
  const screenW = le16(b, 6);
  const screenH = le16(b, 8);
  const packed = u8(b, 10);
  let pos = 13;
  if (packed & 0x80) pos += 3 << ((packed & 7) + 1); // global colour table
  let width = screenW;
  let height = screenH;
  let frames = 0;
  let hasAlpha = false;
  let pendingTransparency = false;
  // Each step advances `pos` by at least one byte; `guard` makes the bound explicit.
  for (let guard = 0; pos < len && guard < len; guard++) {
    const introducer = u8(b, pos);
    if (introducer === 0x3b) break; // trailer
    if (introducer === 0x21) {
      if (pos + 2 > len) break;
      const label = u8(b, pos + 1);
      pos += 2;
      // Graphic control extension: block size 4, packed fields; bit 0 = transparency flag.
      if (label === 0xf9 && pos + 2 <= len && u8(b, pos) >= 4) {
        pendingTransparency = (u8(b, pos + 1) & 1) === 1;
      }
      pos = skipSubBlocks(b, pos);
      if (pos < 0) break;
      continue;
    }
    if (introducer === 0x2c) {
      if (pos + 10 > len) break; // truncated image descriptor
      const left = le16(b, pos + 1);
      const top = le16(b, pos + 3);
      const fw = le16(b, pos + 5);
      const fh = le16(b, pos + 7);
      const fpacked = u8(b, pos + 9);
      if (fw === 0 || fh === 0) throw malformed('GIF: zero-size frame');
      frames++;
      // The effective canvas covers every frame rectangle (decoders grow it; bombs rely on it).
      width = Math.max(width, left + fw);
      height = Math.max(height, top + fh);
      if (pendingTransparency) hasAlpha = true;
      pendingTransparency = false;
      pos += 10;
      if (fpacked & 0x80) pos += 3 << ((fpacked & 7) + 1); // local colour table
      pos += 1; // LZW minimum code size
      if (pos >= len) break;
      pos = skipSubBlocks(b, pos);
      if (pos < 0) break;
      continue;
    }
    break; // unknown block: decoders stop here
  }
  if (frames === 0) throw malformed('GIF: no complete image descriptor');
  checkSides('GIF', width, height); // at most 65535 + 65535 per side
  return {
    format: 'gif',
    width,
    height,
    orientation: 1,
    hasAlpha,
    frames,
    progressive: false,
    cmyk: false,
  };
}

// ---------------------------------------------------------------------------------------
// AVIF (ISOBMFF / HEIF / MIAF / AVIF)

interface Box {
  type: number;
  /** Offset of the box payload (after size/type/largesize). */
  content: number;
  /** End of the box, clamped to the enclosing range. */
  end: number;
  /** The declared size ran past the enclosing range. */
  truncated: boolean;
}

/** Reads the box header at `pos` within `[pos, limit)`; null if no valid header fits. */
function readBox(b: Uint8Array, pos: number, limit: number): Box | null {
  if (pos + 8 > limit) return null;
  let size = be32(b, pos);
  const type = be32(b, pos + 4);
  let header = 8;
  if (size === 1) {
    if (pos + 16 > limit) return null;
    const hi = be32(b, pos + 8);
    // Anything with a non-zero high word is far beyond any upload; the clamp below handles it.
    size = hi > 0 ? Number.MAX_SAFE_INTEGER : be32(b, pos + 12);
    header = 16;
  } else if (size === 0) {
    size = limit - pos; // box extends to the end of its container
  }
  if (size < header) return null;
  const declaredEnd = pos + size;
  return {
    type,
    content: pos + header,
    end: Math.min(declaredEnd, limit),
    truncated: declaredEnd > limit,
  };
}

/**
 * The child boxes of `[start, end)`. With `strict`, a child that overruns the range or has
 * an invalid size is `malformed`; otherwise the walk stops there (keeping a truncated child).
 */
function childBoxes(b: Uint8Array, start: number, end: number, strict: boolean): Box[] {
  const out: Box[] = [];
  let pos = start;
  while (pos < end && out.length < MAX_BOXES) {
    const box = readBox(b, pos, end);
    if (!box || box.truncated) {
      if (strict) throw malformed('AVIF: box overruns its container');
      if (box) out.push(box);
      break;
    }
    out.push(box);
    pos = box.end;
  }
  return out;
}

/** Bounds-checked big-endian reader over one box payload; overruns are `malformed`. */
class BoxReader {
  constructor(
    private readonly b: Uint8Array,
    public pos: number,
    private readonly end: number,
  ) {}
  private need(n: number): void {
    if (this.pos + n > this.end) throw malformed('AVIF: box payload is truncated');
  }
  u8(): number {
    this.need(1);
    return u8(this.b, this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = be16(this.b, this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = be32(this.b, this.pos);
    this.pos += 4;
    return v;
  }
  /** FullBox version (the 24-bit flags are returned via `flags`). */
  fullBox(): { version: number; flags: number } {
    const version = this.u8();
    this.need(3);
    const flags = be24(this.b, this.pos);
    this.pos += 3;
    return { version, flags };
  }
}

const META = fourcc('meta');
const MOOV = fourcc('moov');
const PITM = fourcc('pitm');
const IPRP = fourcc('iprp');
const IPCO = fourcc('ipco');
const IPMA = fourcc('ipma');
const IREF = fourcc('iref');
const ISPE = fourcc('ispe');
const IROT = fourcc('irot');
const IMIR = fourcc('imir');
const AUXC = fourcc('auxC');
const AUXL = fourcc('auxl');
const TRAK = fourcc('trak');
const MDIA = fourcc('mdia');
const MINF = fourcc('minf');
const STBL = fourcc('stbl');
const STSZ = fourcc('stsz');
const COLR = fourcc('colr');
const PROF = fourcc('prof');
const RICC = fourcc('rICC');

/** auxC aux_type values that mark an alpha plane (MIAF/AVIF, and the older HEVC form). */
const ALPHA_URNS = ['urn:mpeg:mpegB:cicp:systems:auxiliary:alpha', 'urn:mpeg:hevc:2015:auxid:1'];

/** True when the NUL-terminated string at `[p, end)` is one of the alpha URNs. */
function isAlphaAuxType(b: Uint8Array, p: number, end: number): boolean {
  return ALPHA_URNS.some(
    (urn) =>
      p + urn.length <= end &&
      bytesEqual(b, p, urn) &&
      (p + urn.length === end || b[p + urn.length] === 0),
  );
}

/**
 * EXIF orientation equivalent of irot (anticlockwise quarter turns, applied first) and imir
 * (axis 0: top and bottom exchanged; 1: left and right exchanged), HEIF 2nd ed. §6.5.10-12,
 * matching libavif's avifImageIrotImirToExifOrientation (1.2+): angle 1 ↔ 8, angle 3 ↔ 6.
 */
function irotImirToOrientation(angle: number | null, axis: number | null): number {
  const a = angle ?? 0;
  if (axis === null) return [1, 8, 3, 6][a] ?? 1;
  if (axis === 1) return [2, 7, 4, 5][a] ?? 1;
  return [4, 5, 2, 7][a] ?? 1;
}

function probeAvif(b: Uint8Array): ProbeResult {
  let meta: Box | null = null;
  let moov: Box | null = null;
  for (const box of childBoxes(b, 0, b.length, false)) {
    if (box.type === META && !meta) {
      if (box.truncated) throw malformed('AVIF: meta box is truncated');
      meta = box;
    } else if (box.type === MOOV && !moov && !box.truncated) {
      moov = box;
    }
  }
  if (!meta) throw malformed('AVIF: no meta box');

  const metaReader = new BoxReader(b, meta.content, meta.end);
  metaReader.fullBox();
  let primary: number | null = null;
  const properties: Box[] = [];
  const ipmas: Box[] = [];
  let iref: Box | null = null;
  for (const box of childBoxes(b, metaReader.pos, meta.end, true)) {
    if (box.type === PITM) {
      const r = new BoxReader(b, box.content, box.end);
      const { version } = r.fullBox();
      primary = version === 0 ? r.u16() : r.u32();
    } else if (box.type === IPRP) {
      for (const child of childBoxes(b, box.content, box.end, true)) {
        if (child.type === IPCO && properties.length === 0) {
          for (const prop of childBoxes(b, child.content, child.end, true)) {
            if (properties.length >= MAX_PROPERTIES) break;
            properties.push(prop);
          }
        } else if (child.type === IPMA) {
          ipmas.push(child);
        }
      }
    } else if (box.type === IREF && !iref) {
      iref = box;
    }
  }
  if (primary === null) throw malformed('AVIF: no primary item (pitm)');

  let size: { width: number; height: number } | null = null;
  let angle: number | null = null;
  let axis: number | null = null;
  let icc: IccLocation | undefined;
  const alphaItems = new Set<number>();
  for (const ipma of ipmas) {
    const r = new BoxReader(b, ipma.content, ipma.end);
    const { version, flags } = r.fullBox();
    const entries = r.u32();
    for (let e = 0; e < entries; e++) {
      const item = version < 1 ? r.u16() : r.u32();
      const count = r.u8();
      for (let k = 0; k < count; k++) {
        const index = flags & 1 ? r.u16() & 0x7fff : r.u8() & 0x7f;
        if (index === 0) continue; // "no property"
        const prop = properties[index - 1];
        if (!prop) throw malformed('AVIF: property index out of range');
        if (prop.type === AUXC) {
          const pr = new BoxReader(b, prop.content, prop.end);
          pr.fullBox();
          if (isAlphaAuxType(b, pr.pos, prop.end)) alphaItems.add(item);
        }
        if (item !== primary) continue;
        if (prop.type === ISPE && !size) {
          const pr = new BoxReader(b, prop.content, prop.end);
          pr.fullBox();
          size = { width: pr.u32(), height: pr.u32() };
        } else if (prop.type === IROT && angle === null) {
          angle = new BoxReader(b, prop.content, prop.end).u8() & 3;
        } else if (prop.type === IMIR && axis === null) {
          axis = new BoxReader(b, prop.content, prop.end).u8() & 1;
        } else if (prop.type === COLR && !icc && !prop.truncated) {
          // colour_type, then an ICC profile for `prof`/`rICC` (`nclx` is not a profile).
          const colourType = new BoxReader(b, prop.content, prop.end).u32();
          const start = prop.content + 4;
          if ((colourType === PROF || colourType === RICC) && prop.end > start) {
            icc = { parts: [[start, prop.end - start]], deflate: false, model: 'rgb' };
          }
        }
      }
    }
  }
  if (!size) throw malformed('AVIF: primary item has no ispe property');
  checkSides('AVIF', size.width, size.height);

  return {
    format: 'avif',
    width: size.width,
    height: size.height,
    orientation: irotImirToOrientation(angle, axis),
    hasAlpha:
      alphaItems.size > 0 && iref !== null && hasAuxlToPrimary(b, iref, alphaItems, primary),
    frames: moov ? sequenceFrames(b, moov) : 1,
    progressive: false,
    cmyk: false,
    ...(icc && { icc }),
  };
}

/** True when an `auxl` reference goes from an alpha item to the primary item (HEIF §8.11.12). */
function hasAuxlToPrimary(
  b: Uint8Array,
  iref: Box,
  alphaItems: Set<number>,
  primary: number,
): boolean {
  const r = new BoxReader(b, iref.content, iref.end);
  const { version } = r.fullBox();
  for (const ref of childBoxes(b, r.pos, iref.end, true)) {
    if (ref.type !== AUXL) continue;
    const rr = new BoxReader(b, ref.content, ref.end);
    const from = version === 0 ? rr.u16() : rr.u32();
    const count = rr.u16();
    for (let i = 0; i < count; i++) {
      const to = version === 0 ? rr.u16() : rr.u32();
      if (to === primary && alphaItems.has(from)) return true;
    }
  }
  return false;
}

/**
 * Frame count of an image sequence: sample_count of the first track's `stsz`, bounded by
 * what the file can hold (a sample table entry or at least one byte per sample); 1 when
 * absent or unreadable (the primary item is still a valid still image).
 */
function sequenceFrames(b: Uint8Array, moov: Box): number {
  const find = (box: Box, type: number): Box | undefined =>
    childBoxes(b, box.content, box.end, false).find((c) => c.type === type && !c.truncated);
  const trak = find(moov, TRAK);
  const mdia = trak && find(trak, MDIA);
  const minf = mdia && find(mdia, MINF);
  const stbl = minf && find(minf, STBL);
  const stsz = stbl && find(stbl, STSZ);
  if (!stsz || stsz.end - stsz.content < 12) return 1;
  const sampleSize = be32(b, stsz.content + 4);
  const count = be32(b, stsz.content + 8);
  const present =
    sampleSize === 0
      ? Math.floor((stsz.end - stsz.content - 12) / 4)
      : Math.floor(b.length / sampleSize);
  return Math.max(1, Math.min(count, present));
}
