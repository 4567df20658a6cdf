/**
 * The banded PNG encoder (src/codecs/png-enc.ts, wasm/png_scaled.wasm): lossless round trips
 * of RGBA and RGB images of awkward sizes through our decoder, @jsquash/png's and sharp's
 * (native libspng, which checks chunk CRCs); the CRCs and the zlib stream's Adler-32 checked
 * here too; the rows API's contract; and the module's memory after a large encode.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { encodePng, encodePngRows, pngFileBound } from '../../src/codecs/png-enc';
import { decodePngResized } from '../../src/codecs/png-scaled';
import { resizeImage } from '../../src/codecs/resize';
import type { RawImage } from '../../src/codecs/types';
import { wasmMemory } from '../../wasm/instances';
import { fixture } from '../helpers';

/** The chunks of a PNG: type, data and the CRC stored after it. */
function chunks(b: Uint8Array): { type: string; data: Uint8Array; crc: number }[] {
  expect([...b.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = [];
  let i = 8;
  while (i < b.length) {
    const len = view.getUint32(i);
    const type = String.fromCharCode(...b.subarray(i + 4, i + 8));
    out.push({ type, data: b.subarray(i + 8, i + 8 + len), crc: view.getUint32(i + 8 + len) });
    i += 12 + len;
  }
  expect(i).toBe(b.length);
  return out;
}

/** CRC-32 (ISO-HDLC, PNG's) of `parts` in order: the bitwise definition, for a test. */
function crc32(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const part of parts)
    for (const byte of part) {
      c ^= byte;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    }
  return (c ^ 0xffffffff) >>> 0;
}

/** Inflates a zlib stream with the runtime's own zlib, which checks the Adler-32. */
async function inflate(z: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([z]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Checks the file's structure: IHDR (size, 8-bit, `channels`), IDAT chunks, IEND, every CRC,
 * and the zlib stream (Adler-32; one filter byte + a row per row). Returns the IDAT stream.
 */
async function checkFile(png: Uint8Array, width: number, height: number, channels: 3 | 4) {
  const list = chunks(png);
  const enc = new TextEncoder();
  for (const c of list) expect(crc32(enc.encode(c.type), c.data), c.type).toBe(c.crc);
  expect(list[0]!.type).toBe('IHDR');
  const ihdr = new DataView(list[0]!.data.buffer, list[0]!.data.byteOffset, 13);
  expect([ihdr.getUint32(0), ihdr.getUint32(4), ihdr.getUint8(8), ihdr.getUint8(9)]).toEqual([
    width,
    height,
    8,
    channels === 4 ? 6 : 2,
  ]);
  expect(list.at(-1)!.type).toBe('IEND');
  const idat = list.slice(1, -1);
  expect(idat.every((c) => c.type === 'IDAT')).toBe(true);
  const z = new Uint8Array(idat.reduce((n, c) => n + c.data.length, 0));
  let at = 0;
  for (const c of idat) z.set(c.data, (at += c.data.length) - c.data.length);
  const raw = await inflate(z);
  expect(raw.length).toBe(height * (1 + width * channels));
  return z;
}

/** A deterministic RGBA image: gradients, noise and (unless `opaque`) varying alpha. */
function synthetic(width: number, height: number, opaque = false): RawImage {
  const data = new Uint8ClampedArray(width * height * 4);
  let seed = 12345;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const i = (y * width + x) * 4;
      data[i] = x * 7 + y;
      data[i + 1] = y * 3;
      data[i + 2] = seed >>> 24;
      data[i + 3] = opaque ? 255 : (x + y * 5) & 255;
    }
  return { data, width, height };
}

/** Our decoder at full size (`decodePngResized` with the whole image): exact when opaque. */
const ourDecode = (png: Uint8Array, w: number, h: number) =>
  decodePngResized(png, { left: 0, top: 0, width: w, height: h }, w, h);

/** sharp's decode (native libspng/libpng in Node, through the FIXTURES service), RGBA8. */
async function sharpDecode(png: Uint8Array, w: number, h: number): Promise<Uint8Array> {
  const res = await env.FIXTURES.fetch(`http://fixtures/sharp/?w=${w}&h=${h}`, {
    method: 'POST',
    body: png,
  });
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

/** How many bytes differ between two equal-length arrays (a diff of megabytes would not print). */
function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** `img` with alpha set to 255 (what an RGB PNG decodes to). */
const opaqued = (img: RawImage): Uint8ClampedArray =>
  img.data.map((v, i) => (i % 4 === 3 ? 255 : v));

let photo: RawImage; // kodim01, 768x512, opaque

beforeAll(async () => {
  photo = await decodeImage(await fixture('images/kodak/kodim01.png'), 'png');
});

describe('encodePng: lossless round trips', () => {
  it.each([
    [1, 1, 32],
    [1, 37, 5],
    [37, 1, 32],
    [3, 7, 2],
    [257, 129, 32],
    [8192, 3, 1],
  ])('%ix%i RGBA and RGB (bands of %i rows) decode to the same pixels', async (w, h, bandRows) => {
    const img = synthetic(w, h);
    const rgba = encodePng(img, { bandRows });
    await checkFile(rgba, w, h, 4);
    // (Our decoder premultiplies alpha, so only opaque pixels come back exactly from it.)
    expect((await decodeImage(rgba, 'png')).data).toEqual(img.data);
    const rgb = encodePng(img, { bandRows, channels: 3 });
    await checkFile(rgb, w, h, 3);
    expect(ourDecode(rgb, w, h).data).toEqual(opaqued(img));
    // Band height does not change the bytes.
    expect(encodePng(img, { bandRows: h })).toEqual(rgba);
  });

  it('a photo and an alpha image decode with sharp (CRCs checked) to the same pixels', async () => {
    const bug = await decodeImage(await fixture('images/alpha/blackbug.png'), 'png');
    for (const img of [photo, bug]) {
      const { width: w, height: h } = img;
      const png = encodePng(img);
      await checkFile(png, w, h, 4);
      expect(differing(await sharpDecode(png, w, h), img.data)).toBe(0);
    }
    const rgb = encodePng(photo, { channels: 3 });
    expect(differing(await sharpDecode(rgb, 768, 512), opaqued(photo))).toBe(0);
    expect(rgb.length).toBeLessThan(encodePng(photo).length);
  });

  it('the checks above catch a bad CRC and a bad Adler-32', async () => {
    const png = encodePng(synthetic(40, 30)).slice();
    const list = chunks(png);
    const idat = list.find((c) => c.type === 'IDAT')!;
    // The last byte of the zlib stream (in the last IDAT) is the Adler-32's low byte.
    const last = list.filter((c) => c.type === 'IDAT').at(-1)!;
    const adlerAt = last.data.byteOffset + last.data.length - 1;
    const badAdler = png.slice();
    badAdler[adlerAt]! ^= 1;
    await expect(checkFile(badAdler, 40, 30, 4)).rejects.toThrow();
    const badCrc = png.slice();
    badCrc[idat.data.byteOffset + idat.data.length]! ^= 1;
    await expect(checkFile(badCrc, 40, 30, 4)).rejects.toThrow();
    await checkFile(png, 40, 30, 4);
  });
});

describe('encodePngRows', () => {
  it('takes rows in order and refuses anything else, leaving the module usable', () => {
    const img = synthetic(20, 10);
    const rowOf = (y: number) => img.data.subarray(y * 80, (y + 1) * 80);
    const png = encodePngRows(20, 10, (rowAt) => {
      for (let y = 0; y < 10; y++) rowAt(y).set(rowOf(y));
    });
    expect(png).toEqual(encodePng(img));
    expect(() => encodePngRows(20, 10, (rowAt) => void rowAt(1))).toThrow(/row 1 asked for/);
    expect(() =>
      encodePngRows(20, 10, (rowAt) => {
        for (let y = 0; y < 9; y++) rowAt(y);
      }),
    ).toThrow(/9 of 10 rows/);
    expect(() =>
      encodePngRows(20, 10, (rowAt) => {
        for (let y = 0; y < 11; y++) rowAt(y);
      }),
    ).toThrow(RangeError);
    expect(() =>
      encodePngRows(20, 10, () => {
        throw new Error('producer failed');
      }),
    ).toThrow('producer failed');
    expect(() => encodePngRows(0, 10, () => {})).toThrow(RangeError);
    expect(() => encodePngRows(20000, 20000, () => {})).toThrow(RangeError); // over 2^28 px
    expect(() => encodePng(img, { channels: 2 as 3 })).toThrow(RangeError);
    expect(() => encodePng({ ...img, width: 19 })).toThrow(RangeError);
    expect(encodePng(img)).toEqual(png);
  });
});

describe('pngFileBound', () => {
  it.each([3, 4] as const)('holds noise, which deflate stores raw (%i channels)', async (ch) => {
    const [w, h] = [700, 500];
    const bytes = new Uint8Array(w * h * 4);
    for (let i = 0; i < bytes.length; i += 65536)
      crypto.getRandomValues(bytes.subarray(i, i + 65536));
    const data = new Uint8ClampedArray(bytes.buffer);
    if (ch === 3) for (let i = 3; i < data.length; i += 4) data[i] = 255;
    const png = encodePng({ data, width: w, height: h }, { channels: ch });
    expect(png.length).toBeGreaterThan(w * h * ch); // not compressible
    expect(png.length).toBeLessThanOrEqual(pngFileBound(w, h, ch));
    expect(pngFileBound(w, h, ch)).toBeLessThan(1.01 * w * h * ch + 8192);
    expect(differing(await sharpDecode(png, w, h), data)).toBe(0);
  });
});

describe('encodePng: memory', () => {
  it('a 1600x2133 photo needs under 6 MiB of module memory, not the file nor the RGBA', async () => {
    const big = await resizeImage(photo, 1600, 2133);
    const png = encodePng(big);
    const mem = wasmMemory().pngEnc!;
    // The file (7.0 MiB here) is drained to JS after every band: the module keeps its
    // 1.1 MiB of stack and data, about 0.9 MiB of encode state (a band, the deflate
    // compressor, an IDAT buffer) and a 1 MiB segment or two (it held the whole file before
    // png_encode_drain; @jsquash/png held the RGBA, the compressed stream and a copy of the
    // file: 44 MiB at this size, bench/results/2026-12-05-memory.json).
    // (The instance is shared with the tests above: its memory is their peak, if larger.)
    expect(png.length).toBeGreaterThan(6.5 * 2 ** 20);
    expect(mem).toBeLessThan(6 * 2 ** 20);
    // The file is a view of one resizable buffer reserving the bound, grown to the file.
    expect(png.length).toBeLessThanOrEqual(pngFileBound(1600, 2133, 4));
    expect(png.buffer.byteLength).toBe(png.length);
    expect((png.buffer as ArrayBuffer).maxByteLength).toBe(pngFileBound(1600, 2133, 4));
    expect(differing(await sharpDecode(png, 1600, 2133), big.data)).toBe(0);
  });
});
