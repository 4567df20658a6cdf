/**
 * A tiny, bounded EXIF reader: just enough TIFF to find the Orientation tag in IFD0.
 * Spec: TIFF 6.0 (header, IFD entries) and EXIF 2.3 §4.6.4 (Orientation, tag 0x0112).
 * It never throws and never allocates from header values; anything unexpected yields 1.
 */

/** EXIF/TIFF tag number of Orientation. */
const ORIENTATION_TAG = 0x0112;
/** TIFF field type SHORT (16-bit unsigned). */
const TYPE_SHORT = 3;
/** Upper bound on IFD0 entries examined (the 16-bit count field allows 65535). */
const MAX_IFD_ENTRIES = 512;

/**
 * The EXIF orientation (1..8) stored in IFD0 of a TIFF structure.
 *
 * @param tiff bytes starting at the TIFF header (`II*\0` or `MM\0*`); a leading
 *   `Exif\0\0` APP1 identifier is tolerated and skipped (some PNG/WebP writers keep it).
 * @returns 1..8; 1 when the data is truncated, invalid, or has no SHORT×1 Orientation
 *   entry with a value in 1..8. Never throws.
 */
export function readExifOrientation(tiff: Uint8Array): number {
  let base = 0;
  if (
    tiff.length >= 6 &&
    tiff[0] === 0x45 && // E
    tiff[1] === 0x78 && // x
    tiff[2] === 0x69 && // i
    tiff[3] === 0x66 && // f
    tiff[4] === 0 &&
    tiff[5] === 0
  ) {
    base = 6;
  }
  const len = tiff.length - base;
  if (len < 8) return 1;
  const b0 = tiff[base];
  const b1 = tiff[base + 1];
  let little: boolean;
  if (b0 === 0x49 && b1 === 0x49) little = true;
  else if (b0 === 0x4d && b1 === 0x4d) little = false;
  else return 1;

  const u16 = (off: number): number => {
    const a = tiff[base + off] ?? 0;
    const b = tiff[base + off + 1] ?? 0;
    return little ? a | (b << 8) : (a << 8) | b;
  };
  const u32 = (off: number): number =>
    little ? (u16(off) + u16(off + 2) * 0x10000) >>> 0 : (u16(off) * 0x10000 + u16(off + 2)) >>> 0;

  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  // Offsets are relative to the TIFF header; IFD0 needs its 2-byte count inside the data.
  if (ifd < 8 || ifd > len - 2) return 1;
  const declared = u16(ifd);
  const fit = Math.floor((len - ifd - 2) / 12);
  const count = Math.min(declared, fit, MAX_IFD_ENTRIES);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (u16(entry) !== ORIENTATION_TAG) continue;
    // Like browsers: only a single SHORT is honoured; the value sits in the first
    // two bytes of the 4-byte value field (left-justified, in the file's byte order).
    if (u16(entry + 2) !== TYPE_SHORT || u32(entry + 4) !== 1) return 1;
    const value = u16(entry + 8);
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}
