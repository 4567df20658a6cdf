/**
 * `metadata=keep|copyright` (Cloudflare Images): EXIF and the ICC profile read from an
 * original and spliced into the bytes of an encoded variant, since our encoders write pixels
 * only (codecs/encode.ts).
 *
 * - Read: EXIF from JPEG APP1 `Exif\0\0` (ITU-T T.81 marker walk), PNG `eXIf` (PNG 3rd ed.
 *   §11.3.6) and WebP `EXIF` (RFC 9649 §2.7); the ICC profile through codecs/icc.ts. AVIF
 *   originals' Exif items are not read (no EXIF is kept from them).
 * - Written: JPEG APP1 (EXIF) and APP2 `ICC_PROFILE` chunks (ICC.1:2022 Annex B.4) after
 *   SOI/JFIF; PNG `iCCP` (zlib) and `eXIf` after IHDR; WebP `ICCP` and `EXIF` chunks with a
 *   VP8X header (RFC 9649 §2.7). AVIF and GIF outputs get none (rewriting ISOBMFF item
 *   locations is not done; GIF has no place for them).
 * - EXIF is kept with Orientation set to 1 (the pixels are already upright); `copyright`
 *   keeps a new EXIF holding only the Copyright tag (0x8298) of IFD0.
 */
import type { EncodeFormat } from './types';
import { embeddedProfile } from './icc';
import { sniffFormat } from './probe';

/** What a variant carries over from its original. */
export interface KeptMetadata {
  /** An RGB or grey ICC profile's bytes, or null. */
  icc: Uint8Array | null;
  /** A TIFF structure (starting `II*\0` or `MM\0*`), or null. */
  exif: Uint8Array | null;
}

/** Largest EXIF kept, bytes: what one JPEG APP1 segment holds. */
const MAX_EXIF = 65_527;

const ascii = (b: Uint8Array, at: number, s: string) =>
  [...s].every((c, i) => b[at + i] === c.charCodeAt(0));
const be32 = (b: Uint8Array, at: number) =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const le32 = (b: Uint8Array, at: number) =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** The EXIF TIFF bytes of a JPEG, PNG or WebP original (a view), or null. Never throws. */
export function findExif(file: Uint8Array): Uint8Array | null {
  const format = sniffFormat(file);
  let tiff: Uint8Array | null = null;
  if (format === 'jpeg') {
    let pos = 2;
    while (pos + 4 <= file.length && file[pos] === 0xff) {
      const marker = file[pos + 1]!;
      if (marker === 0xda || marker === 0xd9) break;
      const len = (file[pos + 2]! << 8) | file[pos + 3]!;
      if (marker === 0xe1 && len >= 8 && ascii(file, pos + 4, 'Exif\0\0')) {
        tiff = file.subarray(pos + 10, Math.min(file.length, pos + 2 + len));
        break;
      }
      pos += 2 + len;
    }
  } else if (format === 'png') {
    let pos = 8;
    while (pos + 12 <= file.length) {
      const len = be32(file, pos);
      if (ascii(file, pos + 4, 'eXIf')) {
        tiff = file.subarray(pos + 8, Math.min(file.length, pos + 8 + len));
        break;
      }
      if (ascii(file, pos + 4, 'IDAT')) break;
      pos += 12 + len;
    }
  } else if (format === 'webp') {
    let pos = 12;
    while (pos + 8 <= file.length) {
      const len = le32(file, pos + 4);
      if (ascii(file, pos, 'EXIF')) {
        tiff = file.subarray(pos + 8, Math.min(file.length, pos + 8 + len));
        break;
      }
      pos += 8 + len + (len & 1);
    }
  }
  if (tiff && ascii(tiff, 0, 'Exif\0\0')) tiff = tiff.subarray(6);
  if (!tiff || tiff.length < 8 || tiff.length > MAX_EXIF) return null;
  return ascii(tiff, 0, 'II*\0') || ascii(tiff, 0, 'MM\0*') ? tiff : null;
}

/** A reader over TIFF bytes in their byte order. */
function tiffReader(t: Uint8Array) {
  const little = t[0] === 0x49;
  const u16 = (at: number) => (little ? t[at]! | (t[at + 1]! << 8) : (t[at]! << 8) | t[at + 1]!);
  const u32 = (at: number) => (little ? le32(t, at) : be32(t, at));
  return { little, u16, u32 };
}

/** IFD0 entries as offsets of their 12-byte records (bounded by the data). */
function ifd0Entries(t: Uint8Array): number[] {
  const { u16, u32 } = tiffReader(t);
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > t.length) return [];
  const count = Math.min(u16(ifd), Math.floor((t.length - ifd - 2) / 12));
  return Array.from({ length: count }, (_, i) => ifd + 2 + i * 12);
}

/** A copy of the EXIF with IFD0's Orientation (0x0112) set to 1 (top-left). */
export function resetOrientation(tiff: Uint8Array): Uint8Array {
  const out = tiff.slice();
  const { little, u16 } = tiffReader(out);
  for (const e of ifd0Entries(out)) {
    if (u16(e) !== 0x0112) continue;
    out[e + 8] = little ? 1 : 0;
    out[e + 9] = little ? 0 : 1;
  }
  return out;
}

/** A new EXIF (big-endian TIFF) holding only IFD0's Copyright (0x8298) string, or null. */
export function copyrightOnly(tiff: Uint8Array): Uint8Array | null {
  const { u16, u32 } = tiffReader(tiff);
  for (const e of ifd0Entries(tiff)) {
    if (u16(e) !== 0x8298 || u16(e + 2) !== 2) continue;
    const n = u32(e + 4);
    const at = n <= 4 ? e + 8 : u32(e + 8);
    if (n === 0 || n > 4096 || at + n > tiff.length) return null;
    const value = tiff.subarray(at, at + n);
    // Header (8) + IFD0: count (2), one entry (12), next-IFD offset (4); then the string.
    const out = new Uint8Array(26 + Math.max(n, 0) + (n <= 4 ? 0 : 0));
    const v = new DataView(out.buffer);
    out.set([0x4d, 0x4d, 0, 42]);
    v.setUint32(4, 8);
    v.setUint16(8, 1);
    v.setUint16(10, 0x8298);
    v.setUint16(12, 2);
    v.setUint32(14, n);
    if (n <= 4) out.set(value, 18);
    else {
      v.setUint32(18, 26);
      out.set(value, 26);
    }
    v.setUint32(22, 0);
    return n <= 4 ? out.subarray(0, 26) : out;
  }
  return null;
}

/**
 * What a variant keeps of `original` for `mode`: `keep` → its RGB/grey ICC profile and its
 * EXIF with Orientation 1; `copyright` → only the Copyright tag, no profile.
 */
export async function keptMetadata(
  original: Uint8Array,
  mode: 'keep' | 'copyright',
): Promise<KeptMetadata> {
  const exif = findExif(original);
  if (mode === 'copyright') return { icc: null, exif: exif && copyrightOnly(exif) };
  const profile = await embeddedProfile(original);
  return {
    icc: profile && profile.model !== 'cmyk' ? profile.bytes : null,
    exif: exif && resetOrientation(exif),
  };
}

/** True when `format` can carry kept metadata (JPEG, PNG, WebP). */
export const holdsMetadata = (format: EncodeFormat) =>
  format === 'jpeg' || format === 'png' || format === 'webp';

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (ISO 3309, as PNG uses) of `bytes`. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

async function zlib(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = concat([text(type), data]);
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(body, 4);
  v.setUint32(8 + data.length, crc32(body));
  return out;
}

function jpegSegment(marker: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  out.set([0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff]);
  out.set(data, 4);
  return out;
}

function riffChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length + (data.length & 1));
  out.set(text(type));
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

/** ICC chunk payload per APP2 segment (65,535 − 2 length − 14 `ICC_PROFILE\0` + seq + count). */
const ICC_CHUNK = 65_519;

/**
 * The encoded variant `bytes` with `meta` spliced in (see the module comment). Formats that
 * cannot hold it, and empty metadata, return `bytes` unchanged. `width`/`height` are the
 * variant's size (a WebP VP8X header needs its canvas).
 */
export async function embedMetadata(
  bytes: Uint8Array,
  format: EncodeFormat,
  size: { width: number; height: number },
  meta: KeptMetadata,
): Promise<Uint8Array> {
  const { icc, exif } = meta;
  if ((!icc && !exif) || !holdsMetadata(format)) return bytes;
  if (format === 'jpeg') {
    const segs: Uint8Array[] = [];
    if (exif) segs.push(jpegSegment(0xe1, concat([text('Exif\0\0'), exif])));
    if (icc) {
      const n = Math.ceil(icc.length / ICC_CHUNK);
      if (n <= 255)
        for (let i = 0; i < n; i++)
          segs.push(
            jpegSegment(
              0xe2,
              concat([
                text('ICC_PROFILE\0'),
                Uint8Array.of(i + 1, n),
                icc.subarray(i * ICC_CHUNK, (i + 1) * ICC_CHUNK),
              ]),
            ),
          );
    }
    // After SOI and a JFIF APP0, if any.
    let at = 2;
    if (bytes[2] === 0xff && bytes[3] === 0xe0) at = 4 + ((bytes[4]! << 8) | bytes[5]!);
    return concat([bytes.subarray(0, at), ...segs, bytes.subarray(at)]);
  }
  if (format === 'png') {
    const chunks: Uint8Array[] = [];
    if (icc) chunks.push(pngChunk('iCCP', concat([text('icc\0\0'), await zlib(icc)])));
    if (exif) chunks.push(pngChunk('eXIf', exif));
    const afterIhdr = 8 + 12 + be32(bytes, 8);
    return concat([bytes.subarray(0, afterIhdr), ...chunks, bytes.subarray(afterIhdr)]);
  }
  // WebP: VP8X, ICCP, the image chunks, EXIF.
  const body = bytes.subarray(12);
  let flags = (icc ? 0x20 : 0) | (exif ? 0x08 : 0);
  let rest: Uint8Array;
  if (ascii(body, 0, 'VP8X')) {
    flags |= body[8]!;
    rest = body.subarray(18);
  } else {
    // A simple file: VP8L carries an alpha hint in bit 28 of its header; VP8 has no alpha.
    if (ascii(body, 0, 'VP8L') && ((body[12]! >> 4) & 1) === 1) flags |= 0x10;
    rest = body;
  }
  const vp8x = new Uint8Array(10);
  vp8x[0] = flags;
  const w = size.width - 1;
  const h = size.height - 1;
  vp8x.set([w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, h & 0xff, (h >> 8) & 0xff, h >> 16], 4);
  const payload = concat([
    text('WEBP'),
    riffChunk('VP8X', vp8x),
    ...(icc ? [riffChunk('ICCP', icc)] : []),
    rest,
    ...(exif ? [riffChunk('EXIF', exif)] : []),
  ]);
  return concat([riffChunk('RIFF', payload).subarray(0, 8), payload]);
}
