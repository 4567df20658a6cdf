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

import { ProbeError, type ImageFormat, type ProbeResult } from './facts';
import { AVIF_BRANDS, HEIF_BRANDS, ftypHasBrand, probeAvif } from './avif';
import { bytesEqual } from './bytes';
import { probeGif } from './gif';
import { probeJpeg } from './jpeg';
import { probePng } from './png';
import { probeWebp } from './webp';

export * from './facts';
export { webpLosslessReason, type LosslessReason } from './webp';

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
