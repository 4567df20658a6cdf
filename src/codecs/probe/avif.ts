/**
 * AVIF header facts: ISOBMFF (ISO/IEC 14496-12) / HEIF (ISO/IEC 23008-12) boxes: ftyp, meta,
 * pitm, iprp/ipco/ipma, ispe, auxC, irot, imir, iref/auxl; moov/stsz for sequences; ICC in
 * `colr` of type `prof` or `rICC` (ISO/IEC 14496-12 §12.1.5) on the primary item.
 */

import { u8, be16, be24, be32, fourcc, bytesEqual, malformed, checkSides } from './bytes';
import { type AvifCoding, type ProbeResult, type IccLocation } from './facts';

// Walk caps (each step also advances by at least one byte, so walks end at the data end).
const MAX_BOXES = 4096;
const MAX_PROPERTIES = 4096;
const MAX_FTYP_BRANDS = 256;

/** Brands that make an ISOBMFF file AVIF. */
export const AVIF_BRANDS = [fourcc('avif'), fourcc('avis')];
/** HEIF brands (refused as unsupported without an AVIF brand). */
export const HEIF_BRANDS = [
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
export function ftypHasBrand(b: Uint8Array, brands: number[]): boolean {
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
const AV1C = fourcc('av1C');
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

/**
 * The AV1 coding of an item from its `av1C` (AV1-ISOBMFF §2.3.3: high_bitdepth, twelve_bit,
 * mono_chrome, chroma_subsampling_x/y). Null when the box is too short.
 */
function av1cCoding(b: Uint8Array, box: Box): AvifCoding | null {
  if (box.truncated || box.end - box.content < 4) return null;
  const flags = b[box.content + 2]!;
  const bitDepth = flags & 0x40 ? (flags & 0x20 ? 12 : 10) : 8;
  const chroma =
    flags & 0x10 ? '4:0:0' : flags & 0x08 ? (flags & 0x04 ? '4:2:0' : '4:2:2') : '4:4:4';
  return { bitDepth, chroma };
}

/** Header facts of an AVIF file (sniffed as such). @throws ProbeError `malformed`. */
export function probeAvif(b: Uint8Array): ProbeResult {
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
  let coding: AvifCoding | null = null;
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
        } else if (prop.type === AV1C && !coding) {
          coding = av1cCoding(b, prop);
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
  const hasAlpha =
    alphaItems.size > 0 && iref !== null && hasAuxlToPrimary(b, iref, alphaItems, primary);

  return {
    format: 'avif',
    width: size.width,
    height: size.height,
    orientation: irotImirToOrientation(angle, axis),
    hasAlpha,
    frames: moov ? sequenceFrames(b, moov) : 1,
    progressive: false,
    cmyk: false,
    ...(icc && { icc }),
    ...(coding && { avifCoding: coding }),
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
