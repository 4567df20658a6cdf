/**
 * encodeImage: container magic, round trips (size, PSNR, alpha), no metadata in any output,
 * option validation; CODEC_VERSIONS against the installed packages.
 */
import { version as jpegVersion } from '@jsquash/jpeg/package.json';
import { version as pngVersion } from '@jsquash/png/package.json';
import { version as gifencVersion } from 'gifenc/package.json';
import { version as gifVersion } from 'omggif/package.json';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { DEFAULT_QUALITY, encodeImage } from '../../src/codecs/encode';
import { resizeImage } from '../../src/codecs/resize';
import type { EncodeFormat, RawImage } from '../../src/codecs/types';
import {
  CODEC_VERSIONS,
  JPEG_SCALED_SHA256,
  JPEG_TURBO_ENC_SHA256,
  JPEG_TURBO_SHA256,
  PNG_SCALED_SHA256,
  PIPELINE_VERSION,
  AVIF_ENC_SHA256,
  AVIF_SHA256,
  LCMS_SHA256,
  LIBWEBP_SHA256,
  RESIZE_SHA256,
} from '../../src/codecs/versions';
import { wasmMemory } from '../../wasm/instances';
import { fixture, psnr } from '../helpers';

const ascii = (b: Uint8Array, from: number, to: number) =>
  String.fromCharCode(...b.subarray(from, to));

/** JPEG marker codes from SOI up to and including SOS. */
function jpegMarkers(b: Uint8Array): number[] {
  const out: number[] = [];
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1]!;
    out.push(marker);
    if (marker === 0xda) break;
    i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  return out;
}

/** PNG chunk types in order. */
function pngChunks(b: Uint8Array): string[] {
  const out: string[] = [];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 8; i + 8 <= b.length; i += 12 + view.getUint32(i)) out.push(ascii(b, i + 4, i + 8));
  return out;
}

/** WebP (RIFF) chunk fourccs in order. */
function webpChunks(b: Uint8Array): string[] {
  const out: string[] = [];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 12; i + 8 <= b.length;) {
    out.push(ascii(b, i, i + 4));
    const size = view.getUint32(i + 4, true);
    i += 8 + size + (size & 1);
  }
  return out;
}

function contains(haystack: Uint8Array, needle: string): boolean {
  const n = new TextEncoder().encode(needle);
  outer: for (let i = 0; i + n.length <= haystack.length; i++) {
    for (let j = 0; j < n.length; j++) if (haystack[i + j] !== n[j]) continue outer;
    return true;
  }
  return false;
}

let photo: RawImage; // kodim01, 768x512, opaque
let bug: RawImage; // blackbug.png at 512x384, with transparent areas

beforeAll(async () => {
  photo = await decodeImage(await fixture('images/kodak/kodim01.png'), 'png');
  const full = await decodeImage(await fixture('images/alpha/blackbug.png'), 'png');
  bug = await resizeImage(full, 512, 384, { premultiply: true });
});

describe('encodeImage: containers', () => {
  it('writes the right magic bytes for every format', async () => {
    const small = await resizeImage(photo, 96, 64);
    const jpeg = await encodeImage(small, 'jpeg');
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const png = await encodeImage(small, 'png');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const webp = await encodeImage(small, 'webp');
    expect([ascii(webp, 0, 4), ascii(webp, 8, 12)]).toEqual(['RIFF', 'WEBP']);
    const avif = await encodeImage(small, 'avif');
    expect([ascii(avif, 4, 8), ascii(avif, 8, 12)]).toEqual(['ftyp', 'avif']);
  });

  it('writes an opaque PNG as RGB and one with transparency as RGBA, the same pixels', async () => {
    const opaque = await resizeImage(photo, 96, 64);
    const rgb = await encodeImage(opaque, 'png');
    expect(rgb[25]).toBe(2); // IHDR colour type: truecolour
    const back = await decodeImage(rgb, 'png');
    expect(back.data).toEqual(opaque.data);
    const rgba = await encodeImage(bug, 'png');
    expect(rgba[25]).toBe(6); // truecolour with alpha
    expect((await decodeImage(rgba, 'png')).data).toEqual(bug.data);
  });

  it('writes no EXIF into JPEG, even from an EXIF source', async () => {
    const src = await fixture('images/exif/Landscape_6.jpg');
    expect(jpegMarkers(src)).toContain(0xe1); // the source has APP1
    const out = await encodeImage(await decodeImage(src, 'jpeg'), 'jpeg');
    const markers = jpegMarkers(out);
    expect(markers).not.toContain(0xe1); // APP1 (Exif/XMP)
    expect(markers).not.toContain(0xe2); // APP2 (ICC)
    expect(markers.filter((m) => m >= 0xe0 && m <= 0xef)).toEqual([0xe0]); // JFIF only
    expect(contains(out, 'Exif')).toBe(false);
  });

  it('writes only IHDR/IDAT/IEND into PNG, even from a PNG with text chunks', async () => {
    const src = await fixture('bad-images/polyglot-metadata/patt_CVE-2022-44268_profile_text.png');
    expect(pngChunks(src)).toContain('tEXt');
    const out = await encodeImage(await decodeImage(src, 'png'), 'png');
    expect(new Set(pngChunks(out))).toEqual(new Set(['IHDR', 'IDAT', 'IEND']));
    const big = await encodeImage(photo, 'png');
    expect(new Set(pngChunks(big))).toEqual(new Set(['IHDR', 'IDAT', 'IEND']));
  });

  it('writes no metadata chunks into WebP or AVIF', async () => {
    const webp = await encodeImage(bug, 'webp');
    for (const c of webpChunks(webp)) expect(['VP8 ', 'VP8L', 'VP8X', 'ALPH']).toContain(c);
    const avif = await encodeImage(bug, 'avif');
    expect(contains(avif, 'Exif')).toBe(false);
    expect(contains(avif, 'mime')).toBe(false); // XMP items are of type 'mime'
  });
});

describe('encodeImage: round trips', () => {
  it('PNG is lossless', async () => {
    const back = await decodeImage(await encodeImage(bug, 'png'), 'png');
    expect([back.width, back.height]).toEqual([bug.width, bug.height]);
    expect(back.data.every((v, i) => v === bug.data[i])).toBe(true);
  });

  // Thresholds sit ~2 dB under the values measured on kodim01 (a detailed photo).
  it.each([
    ['jpeg', undefined, 31],
    ['jpeg', 90, 34],
    ['webp', undefined, 33.5],
    ['webp', 75, 32],
    ['avif', undefined, 30],
    ['avif', 75, 36],
  ] as [EncodeFormat, number | undefined, number][])(
    '%s quality %s keeps size and PSNR > %s dB',
    async (format, quality, minPsnr) => {
      const out = await encodeImage(photo, format, { quality });
      const back = await decodeImage(out, format);
      expect([back.width, back.height]).toEqual([768, 512]);
      expect(psnr(photo, back)).toBeGreaterThan(minPsnr);
    },
  );

  it.each(['png', 'webp', 'avif'] as const)('%s keeps alpha', async (format) => {
    const back = await decodeImage(await encodeImage(bug, format), format);
    expect([back.width, back.height]).toEqual([512, 384]);
    let transparent = 0;
    let err = 0;
    for (let i = 3; i < back.data.length; i += 4) {
      if (back.data[i]! < 255) transparent++;
      err += Math.abs(back.data[i]! - bug.data[i]!);
    }
    expect(transparent).toBeGreaterThan(back.width * back.height * 0.1);
    expect(err / (back.width * back.height)).toBeLessThan(2); // mean alpha error, 0..255
  });

  it('uses DEFAULT_QUALITY when no quality is given', async () => {
    expect(DEFAULT_QUALITY).toEqual({ jpeg: 82, webp: 80, avif: 50, png: null, gif: null });
    const small = await resizeImage(photo, 128, 96);
    for (const format of ['jpeg', 'webp'] as const) {
      const implicit = await encodeImage(small, format);
      const explicit = await encodeImage(small, format, { quality: DEFAULT_QUALITY[format]! });
      expect(implicit).toEqual(explicit);
      expect((await encodeImage(small, format, { quality: 30 })).length).toBeLessThan(
        implicit.length,
      );
    }
  });

  it('honours avifSpeed', async () => {
    const small = await resizeImage(photo, 128, 96);
    const fast = await encodeImage(small, 'avif');
    const slow = await encodeImage(small, 'avif', { avifSpeed: 6 });
    expect(slow).not.toEqual(fast);
    expect(psnr(small, await decodeImage(slow, 'avif'))).toBeGreaterThan(28);
  });
});

describe('encodeImage: validation', () => {
  const img: RawImage = { data: new Uint8ClampedArray(16 * 8 * 4), width: 16, height: 8 };

  it('rejects bad quality, speed and RawImage shapes with RangeError', async () => {
    for (const quality of [0, 101, NaN, -5])
      await expect(encodeImage(img, 'webp', { quality })).rejects.toThrow(RangeError);
    for (const avifSpeed of [-1, 11, 2.5])
      await expect(encodeImage(img, 'avif', { avifSpeed })).rejects.toThrow(RangeError);
    await expect(encodeImage({ ...img, width: 15 }, 'png')).rejects.toThrow(RangeError);
    await expect(encodeImage({ ...img, width: 0, height: 0 }, 'jpeg')).rejects.toThrow(RangeError);
    const tall = { data: new Uint8ClampedArray(16384 * 4), width: 1, height: 16384 };
    await expect(encodeImage(tall, 'webp')).rejects.toThrow(RangeError);
  });

  it('accepts a RawImage whose data is a view into a larger buffer', async () => {
    const backing = new Uint8ClampedArray(img.data.length + 64).fill(200);
    const view = { ...img, data: backing.subarray(32, 32 + img.data.length) };
    const back = await decodeImage(await encodeImage(view, 'png'), 'png');
    expect(back.data.every((v) => v === 200)).toBe(true);
  });
});

describe('CODEC_VERSIONS', () => {
  it('names every installed codec package version', () => {
    expect(CODEC_VERSIONS).toBe(
      `jpeg${jpegVersion}-png${pngVersion}-avifenc${AVIF_ENC_SHA256.slice(0, 12)}-resize${RESIZE_SHA256.slice(0, 12)}-gif${gifVersion}-gifenc${gifencVersion}-jpegscaled${JPEG_SCALED_SHA256.slice(0, 12)}-pngscaled${PNG_SCALED_SHA256.slice(0, 12)}-libwebp${LIBWEBP_SHA256.slice(0, 12)}-lcms${LCMS_SHA256.slice(0, 12)}-avifdec${AVIF_SHA256.slice(0, 12)}-jpegturbo${JPEG_TURBO_SHA256.slice(0, 12)}-jpegturboenc${JPEG_TURBO_ENC_SHA256.slice(0, 12)}-pipeline${PIPELINE_VERSION}`,
    );
    expect(CODEC_VERSIONS).toMatch(
      /^jpeg\d+\.\d+\.\d+-png\d+\.\d+\.\d+-avifenc[0-9a-f]{12}-resize[0-9a-f]{12}-gif\d+\.\d+\.\d+-gifenc\d+\.\d+\.\d+-jpegscaled[0-9a-f]{12}-pngscaled[0-9a-f]{12}-libwebp[0-9a-f]{12}-lcms[0-9a-f]{12}-avifdec[0-9a-f]{12}-jpegturbo[0-9a-f]{12}-jpegturboenc[0-9a-f]{12}-pipeline\d+$/,
    );
  });
});

describe('wasmMemory', () => {
  it('reports the memory of each instantiated codec in bytes', () => {
    const mem = wasmMemory();
    for (const name of ['pngCodec', 'jpegEnc', 'avifEnc', 'resize'])
      expect(mem[name], name).toBeGreaterThanOrEqual(64 * 1024);
  });
});
