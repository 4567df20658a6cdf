/**
 * decodeImage: sizes as stored (no EXIF rotation), RGBA8 output for every format and depth,
 * first-frame handling, and failure behaviour on hostile files (DecodeError only, codec
 * instances replaced after aborts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { encodeImage } from '../../src/codecs/encode';
import type { ImageFormat } from '../../src/codecs/probe';
import { resizeImage } from '../../src/codecs/resize';
import { DecodeError, type RawImage } from '../../src/codecs/types';
import { wasmMemory } from '../../wasm/instances';
import { fixture, fixtureList } from '../helpers';

/** Format by magic bytes (a local copy so these tests do not depend on the probe). */
function sniff(b: Uint8Array): ImageFormat | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (ascii(4, 8) === 'ftyp' && ['avif', 'avis'].includes(ascii(8, 12))) return 'avif';
  return null;
}

function expectRgba8(img: RawImage, width: number, height: number): void {
  expect(img.data).toBeInstanceOf(Uint8ClampedArray);
  expect([img.width, img.height]).toEqual([width, height]);
  expect(img.data.length).toBe(width * height * 4);
}

/** Alpha values of an RGBA8 buffer. */
function alphas(img: RawImage): Set<number> {
  const out = new Set<number>();
  for (let i = 3; i < img.data.length; i += 4) out.add(img.data[i]!);
  return out;
}

/** Mean absolute difference of two same-size RGBA8 buffers, RGB only. */
function meanAbsDiff(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) sum += Math.abs(a[i]! - b[i]!);
  return sum / ((a.length / 4) * 3);
}

function rotate180(img: RawImage): Uint8ClampedArray {
  const src = new Uint32Array(img.data.slice().buffer);
  return new Uint8ClampedArray(src.reverse().buffer);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A 16-bit RGBA PNG (colour type 6, depth 16) of `width x height` with the given samples. */
async function png16(width: number, height: number, samples: number[]): Promise<Uint8Array> {
  const raw = new Uint8Array(height * (1 + width * 8));
  const view = new DataView(raw.buffer);
  for (let y = 0; y < height; y++)
    for (let i = 0; i < width * 4; i++)
      view.setUint16(y * (1 + width * 8) + 1 + i * 2, samples[y * width * 4 + i]!);
  const idat = new Uint8Array(
    await new Response(
      new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate')),
    ).arrayBuffer(),
  );
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([16, 6, 0, 0, 0], 8);
  const chunk = (type: string, data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(12 + data.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array()),
  ];
  return new Uint8Array(await new Blob(parts).arrayBuffer());
}

describe('decodeImage: sizes as stored', () => {
  it.each([
    ['images/kodak/kodim01.png', 'png', 768, 512],
    ['images/kodak/kodim04.png', 'png', 512, 768],
    ['images/alpha/PNG_transparency_demonstration_1.png', 'png', 800, 600],
    ['images/exif/Landscape_1.jpg', 'jpeg', 600, 450],
    ['images/exif/Landscape_5.jpg', 'jpeg', 450, 600],
    ['images/exif/Landscape_6.jpg', 'jpeg', 450, 600],
    ['images/exif/Landscape_8.jpg', 'jpeg', 450, 600],
    ['images/small/Giunchedi_Filippo_January_2015_01.jpg', 'jpeg', 800, 533],
    ['images/progressive/Cerkiew.jpg', 'jpeg', 1914, 2565],
    ['images/animated/animated-loop-3.gif', 'gif', 370, 285],
    ['images/animated/rotating-squares.gif', 'gif', 80, 80],
  ] as const)('%s → %s %ix%i', async (path, format, width, height) => {
    expectRgba8(await decodeImage(await fixture(path), format), width, height);
  });

  it('decodes the 12 MP JPEG (Carrie.jpg, once)', async () => {
    expectRgba8(await decodeImage(await fixture('images/large/Carrie.jpg'), 'jpeg'), 3000, 4000);
  });

  it('does not apply EXIF orientation (orientation 3 stays upside down)', async () => {
    const upright = await decodeImage(await fixture('images/exif/Landscape_1.jpg'), 'jpeg');
    const stored180 = await decodeImage(await fixture('images/exif/Landscape_3.jpg'), 'jpeg');
    expectRgba8(stored180, 600, 450);
    // Landscape_3 stores the picture rotated by 180°: its raw pixels match the upright
    // picture only after we rotate them ourselves (measured: 14 vs 68; the files were encoded
    // separately, 4:4:4 vs 4:2:0, so they never match exactly).
    expect(meanAbsDiff(rotate180(stored180), upright.data)).toBeLessThan(20);
    expect(meanAbsDiff(stored180.data, upright.data)).toBeGreaterThan(50);
  });
});

describe('decodeImage: pixels', () => {
  it('gives opaque RGBA8 for RGB PNG and JPEG', async () => {
    const png = await decodeImage(await fixture('images/kodak/kodim01.png'), 'png');
    const jpg = await decodeImage(await fixture('images/exif/Landscape_1.jpg'), 'jpeg');
    expect(alphas(png)).toEqual(new Set([255]));
    expect(alphas(jpg)).toEqual(new Set([255]));
  });

  it('keeps PNG alpha', async () => {
    const img = await decodeImage(await fixture('images/alpha/blackbug.png'), 'png');
    expectRgba8(img, 2048, 1536);
    const a = alphas(img);
    expect(a.has(0)).toBe(true);
    expect(a.has(255)).toBe(true);
  });

  it('normalises 16-bit PNG to RGBA8 (high byte)', async () => {
    const bytes = await png16(
      2,
      1,
      [0xffff, 0x8000, 0x0001, 0xffff, 0x1234, 0xabcd, 0x00ff, 0x7f00],
    );
    const img = await decodeImage(bytes, 'png');
    expectRgba8(img, 2, 1);
    expect([...img.data]).toEqual([0xff, 0x80, 0x00, 0xff, 0x12, 0xab, 0x00, 0x7f]);
  });

  it('gives the first GIF frame on a transparent logical-screen canvas', async () => {
    const squares = await decodeImage(await fixture('images/animated/rotating-squares.gif'), 'gif');
    // Frame 0 has a transparent index: alpha is 0 there and 255 elsewhere, nothing between.
    expect(alphas(squares)).toEqual(new Set([0, 255]));
    const loop = await decodeImage(await fixture('images/animated/animated-loop-3.gif'), 'gif');
    expect(alphas(loop)).toEqual(new Set([255]));
  });

  it.each(['animated-loop-3', 'rotating-squares'])(
    'gives the first frame of animated WebP %s, like the same animation as GIF',
    async (name) => {
      const webp = await decodeImage(await fixture(`images/animated/${name}.webp`), 'webp');
      const gif = await decodeImage(await fixture(`images/animated/${name}.gif`), 'gif');
      expectRgba8(webp, gif.width, gif.height);
      // Same frame, encoded twice (lossy WebP vs a 256-colour palette): close where both are
      // opaque, and most pixels are.
      const opaque = (img: RawImage, i: number) => img.data[i * 4 + 3]! === 255;
      let sum = 0;
      let n = 0;
      for (let i = 0; i < gif.width * gif.height; i++) {
        if (!opaque(webp, i) || !opaque(gif, i)) continue;
        for (let c = 0; c < 3; c++) sum += Math.abs(webp.data[i * 4 + c]! - gif.data[i * 4 + c]!);
        n += 3;
      }
      expect(n).toBeGreaterThan(gif.width * gif.height);
      expect(sum / n).toBeLessThan(12);
    },
  );

  it('gives the first frame of an APNG whose acTL overstates the frame count', async () => {
    const bytes = await fixture('bad-images/frames/pillow_apng_syntax_num_frames_high.png');
    expectRgba8(await decodeImage(bytes, 'png'), 128, 64);
  });

  it('refuses a truncated JPEG as malformed rather than filling the missing rows', async () => {
    const bytes = await fixture('bad-images/malformed/pillow_truncated_jpeg.jpg');
    const err = await decodeImage(bytes, 'jpeg').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as Error).message).toMatch(/^jpeg \(malformed\): truncated JPEG/);
  });
});

describe('decodeImage: failures', () => {
  /** A valid file per format, to check that the codec still works after a failure. */
  const good = {} as Record<ImageFormat, { bytes: Uint8Array; width: number; height: number }>;

  beforeAll(async () => {
    const kodim = await decodeImage(await fixture('images/kodak/kodim03.png'), 'png');
    const small = await resizeImage(kodim, 96, 64);
    good.jpeg = { bytes: await fixture('images/exif/Landscape_1.jpg'), width: 600, height: 450 };
    good.png = { bytes: await fixture('images/kodak/kodim03.png'), width: 768, height: 512 };
    good.gif = {
      bytes: await fixture('images/animated/rotating-squares.gif'),
      width: 80,
      height: 80,
    };
    good.webp = { bytes: await encodeImage(small, 'webp'), width: 96, height: 64 };
    good.avif = { bytes: await encodeImage(small, 'avif'), width: 96, height: 64 };
  });

  it('turns every hostile file into a RawImage or a DecodeError, and the codec keeps working', async () => {
    const folders = ['malformed/', 'polyglot-metadata/', 'frames/', 'bombs/'];
    const files = (await fixtureList('bad-images')).filter((f) =>
      folders.some((d) => f.startsWith(d)),
    );
    const seen: Record<string, string> = {};
    for (const file of files) {
      const bytes = await fixture(`bad-images/${file}`);
      const format = sniff(bytes);
      if (!format) continue;
      try {
        const img = await decodeImage(bytes, format);
        expect(img.width * img.height * 4, file).toBe(img.data.length);
        expect(img.width, file).toBeGreaterThan(0);
        seen[file] = `${img.width}x${img.height}`;
      } catch (err) {
        expect(err, file).toBeInstanceOf(DecodeError);
        seen[file] = 'DecodeError';
      }
      const ok = good[format];
      expectRgba8(await decodeImage(ok.bytes, format), ok.width, ok.height);
    }
    // The set covers every decoder's failure paths.
    expect(seen).toMatchObject({
      'malformed/sharp_truncated.png': 'DecodeError',
      'malformed/pillow_zero_width.gif': 'DecodeError',
      // Animated WebP (97 frames): its first frame, on the 13x169 canvas.
      'frames/sharp_big-height.webp': '13x169',
      'bombs/sharp_65536-uint32-limit.png': 'DecodeError',
      'bombs/pillow_decompression_bomb.gif': 'DecodeError',
      'polyglot-metadata/synthetic_jpeg_magic_then_html.jpg': 'DecodeError',
      'polyglot-metadata/synthetic_png_with_trailing_html.png': '1x1',
    });
  });

  it('replaces the libjpeg-turbo instance after a fatal libjpeg error and reports its message', async () => {
    const bad = await fixture('bad-images/polyglot-metadata/synthetic_jpeg_magic_then_html.jpg');
    await decodeImage(good.jpeg.bytes, 'jpeg');
    expect(wasmMemory().jpegTurbo).toBeGreaterThan(0);
    const err = await decodeImage(bad, 'jpeg').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as Error).message).toMatch(/^jpeg \(trap\): .*JPEG/);
    expect(wasmMemory().jpegTurbo).toBeUndefined(); // the trapped instance was dropped
    expectRgba8(await decodeImage(good.jpeg.bytes, 'jpeg'), 600, 450);
    expect(wasmMemory().jpegTurbo).toBeGreaterThan(0);
  });

  it('replaces the PNG instance after unwrap_throw, so failures do not leak wasm memory', async () => {
    // A truncated 2048x1536 PNG: the png crate allocates the 12.6 MB output before failing,
    // and a throw through wasm frames never frees it.
    const truncated = (await fixture('images/alpha/blackbug.png')).slice(0, 80_000);
    for (let i = 0; i < 6; i++) {
      await expect(decodeImage(truncated, 'png')).rejects.toThrow(DecodeError);
      expect(wasmMemory().pngCodec).toBeUndefined();
    }
    expectRgba8(await decodeImage(good.png.bytes, 'png'), 768, 512);
    expect(wasmMemory().pngCodec).toBeLessThan(32 * 2 ** 20);
  });

  it('rejects empty and wrong-format input with DecodeError', async () => {
    for (const format of ['jpeg', 'png', 'webp', 'avif', 'gif'] as const) {
      await expect(decodeImage(new Uint8Array(), format)).rejects.toThrow(DecodeError);
      await expect(decodeImage(good.gif.bytes.slice(0, 30), format)).rejects.toThrow(DecodeError);
      const ok = good[format];
      expectRgba8(await decodeImage(ok.bytes, format), ok.width, ok.height);
    }
  });
});
