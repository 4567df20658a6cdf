/**
 * encodeAvif (src/codecs/avif-enc.ts, wasm/avif_enc.wasm: aom 3.12.1 + libavif 1.4.2): files
 * our AVIF decoder reads back at the size given (odd sizes too), alpha kept and an opaque
 * image written without an alpha item, quality and speed honoured, the same bytes for the same
 * pixels, bad arguments refused before the module runs, a large instance dropped.
 */
import { describe, expect, it } from 'vitest';
import { decodeAvif } from '../../src/codecs/avif';
import { AvifEncodeError, encodeAvif } from '../../src/codecs/avif-enc';
import { wasmMemory } from '../../wasm/instances';

/** A smooth RGBA test card: gradients and a disc; alpha from `alpha(x, y)`. */
function card(w: number, h: number, alpha: (x: number, y: number) => number = () => 255) {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const inDisc = (x - w / 2) ** 2 + (y - h / 2) ** 2 < (Math.min(w, h) / 3) ** 2;
      data[i] = (255 * x) / w;
      data[i + 1] = inDisc ? 40 : (255 * y) / h;
      data[i + 2] = inDisc ? 220 : 90;
      data[i + 3] = alpha(x, y);
    }
  return { data, width: w, height: h };
}

/** PSNR of channels `from..to` (0 R .. 3 A) of two RGBA8 buffers, dB. */
function channelPsnr(a: Uint8ClampedArray, b: Uint8ClampedArray, from: number, to: number) {
  let se = 0;
  let n = 0;
  for (let i = 0; i < a.length; i += 4)
    for (let c = from; c <= to; c++, n++) se += (a[i + c]! - b[i + c]!) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / n));
}

const ALPHA_URN = 'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha';
const has = (bytes: Uint8Array, text: string) =>
  new TextDecoder('latin1').decode(bytes).includes(text);

describe('encodeAvif', () => {
  it('writes odd sizes that decode at that size, close to the input', () => {
    for (const [w, h] of [
      [1, 1],
      [33, 17],
      [301, 201],
    ] as const) {
      const img = card(w, h);
      const avif = encodeAvif(img.data, w, h, { quality: 75, speed: 9 });
      expect(new TextDecoder().decode(avif.subarray(4, 12))).toBe('ftypavif');
      const back = decodeAvif(avif);
      expect([back.width, back.height, back.depth, back.alpha], `${w}x${h}`).toEqual([
        w,
        h,
        8,
        false,
      ]);
      // 4:2:0 blurs the disc's colour edges, a large share of a tiny image (33x17: 26 dB);
      // pixels of another size or garbage score under 12.
      if (w > 1) expect(channelPsnr(back.data, img.data, 0, 2), `${w}x${h}`).toBeGreaterThan(22);
    }
  });

  it('keeps alpha, and writes no alpha item for an opaque image', () => {
    const ramp = card(64, 48, (x) => Math.round((255 * x) / 63));
    const withAlpha = encodeAvif(ramp.data, 64, 48, { quality: 50, speed: 9 });
    expect(has(withAlpha, ALPHA_URN)).toBe(true);
    const back = decodeAvif(withAlpha);
    expect(back.alpha).toBe(true);
    expect(channelPsnr(back.data, ramp.data, 3, 3)).toBeGreaterThan(35);
    const opaque = encodeAvif(card(64, 48).data, 64, 48, { quality: 50, speed: 9 });
    expect(has(opaque, ALPHA_URN)).toBe(false);
  });

  it('honours quality and speed, and gives the same bytes for the same pixels', () => {
    const img = card(160, 120);
    const low = encodeAvif(img.data, 160, 120, { quality: 20, speed: 9 });
    const high = encodeAvif(img.data, 160, 120, { quality: 90, speed: 9 });
    expect(high.length).toBeGreaterThan(low.length * 1.5);
    expect(channelPsnr(decodeAvif(high).data, img.data, 0, 2)).toBeGreaterThan(
      channelPsnr(decodeAvif(low).data, img.data, 0, 2) + 3,
    );
    const slow = encodeAvif(img.data, 160, 120, { quality: 50, speed: 6 });
    const fast = encodeAvif(img.data, 160, 120, { quality: 50, speed: 9 });
    expect(slow).not.toEqual(fast);
    // Deterministic, and a view into a larger buffer is read at its offset.
    const backing = new Uint8ClampedArray(img.data.length + 64);
    backing.set(img.data, 32);
    expect(
      encodeAvif(backing.subarray(32, 32 + img.data.length), 160, 120, { quality: 50, speed: 9 }),
    ).toEqual(fast);
  });

  it('refuses bad arguments with a RangeError', () => {
    const img = card(8, 8);
    const ok = { quality: 50, speed: 9 };
    expect(() => encodeAvif(img.data, 0, 8, ok)).toThrow(RangeError);
    expect(() => encodeAvif(img.data, 8.5, 8, ok)).toThrow(RangeError);
    expect(() => encodeAvif(img.data, 8, 7, ok)).toThrow(RangeError);
    expect(() => encodeAvif(new Uint8Array(65537 * 4), 65537, 1, ok)).toThrow(RangeError);
    for (const quality of [-1, 101, 2.5])
      expect(() => encodeAvif(img.data, 8, 8, { quality, speed: 9 })).toThrow(RangeError);
    for (const speed of [-1, 11, 2.5])
      expect(() => encodeAvif(img.data, 8, 8, { quality: 50, speed })).toThrow(RangeError);
    expect(new AvifEncodeError('x')).toBeInstanceOf(Error);
  });

  it('keeps a small instance and drops one a large encode grew', () => {
    const small = card(200, 150);
    encodeAvif(small.data, 200, 150, { quality: 50, speed: 9 });
    expect(wasmMemory().avifEnc).toBeGreaterThan(0);
    const large = card(1600, 1200);
    encodeAvif(large.data, 1600, 1200, { quality: 50, speed: 9 });
    expect(wasmMemory().avifEnc).toBeUndefined();
  });
});
