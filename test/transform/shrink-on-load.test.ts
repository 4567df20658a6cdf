/**
 * Shrink-on-load JPEG decoding (wasm/jpeg_scaled.wasm) in the real pipeline: large photos are
 * served inline within the memory goal, and the scaled path matches the full-decode path.
 * The first test runs first in this file's isolate, so wasm memories start small.
 */
import { describe, expect, it } from 'vitest';
import { dropCodecs, wasmMemory } from '../../wasm/instances';
import { decodeImage } from '../../src/codecs/decode';
import { encodeImage } from '../../src/codecs/encode';
import { decodeJpegScaled } from '../../src/codecs/jpeg-scaled';
import { probe, sniffFormat } from '../../src/codecs/probe';
import { resizeImage } from '../../src/codecs/resize';
import type { RawImage } from '../../src/codecs/types';
import { decodePlan, runPipeline } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { call, fixture, psnr, upload } from '../helpers';

const MiB = 1024 * 1024;

/** The full-decode reference: libjpeg-turbo at full size (decodeImage), then the same resize. */
async function fullPath(bytes: Uint8Array, width: number, height: number): Promise<RawImage> {
  return resizeImage(await decodeImage(bytes, 'jpeg'), width, height);
}

/**
 * PSNR floor of the module at 1/1 against libjpeg-turbo + resizeImage: the same lanczos3 on
 * slightly different decodes (jpeg-decoder's IDCT and chroma upsampling vs libjpeg-turbo's).
 * The shrink-on-load floor is 34 dB: measured 36.5-44 dB across these files (the scaled
 * path low-passes in the DCT; the full path box-shrinks then lanczos3); below 34 dB
 * differences become visible.
 */
const FULL_SCALE_PSNR = 40;

describe('shrink-on-load', () => {
  it('serves Carrie.jpg (12 MP) as an 800x1067 WebP inline, within 48 MiB of wasm memory', async () => {
    const { json } = await upload(await fixture('images/large/Carrie.jpg'));
    const res = await call(`/img/${json.id as string}/w=800,f=webp`);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(sniffFormat(bytes)).toBe('webp');
    const img = await decodeImage(bytes, 'webp');
    expect([img.width, img.height]).toEqual([800, 1067]);
    // Every wasm memory this request touched (decode at 1/2, resize, WebP encode), except
    // the WebP decoder this test itself just used.
    const { webpDec: _mine, ...used } = wasmMemory();
    const total = Object.values(used).reduce((a, b) => a + b, 0);
    expect(total / MiB).toBeLessThanOrEqual(48);
  });

  it('serves a 3 MP JPEG at 1200 px inline through the module at 1/1', async () => {
    // A 1500x2000 photo (Carrie at 1/2, re-encoded): 1200 px is a 1.25x reduction, too
    // small to shrink on load, so the module decodes at full size and resamples in place.
    const half = decodeJpegScaled(await fixture('images/large/Carrie.jpg'), 2);
    const jpeg = await encodeImage(half, 'jpeg', { quality: 90 });
    dropCodecs();
    const { json } = await upload(jpeg);
    expect(json).toMatchObject({ width: 1500, height: 2000 });
    const res = await call(`/img/${json.id as string}/w=1200,f=webp`);
    if (res.status !== 200) console.log('BODY', await res.clone().text());
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Cache')).toBe('MISS'); // computed in this request
    const img = await decodeImage(new Uint8Array(await res.arrayBuffer()), 'webp');
    expect([img.width, img.height]).toEqual([1200, 1600]);
    expect(wasmMemory().jpegTurbo ?? 0).toBe(0); // the module decoded it, not libjpeg-turbo
    expect(wasmMemory().resize ?? 0).toBeLessThanOrEqual(2 * MiB); // nor a full-size resize
    // Matches the full-decode path (libjpeg-turbo, then wasm/resize.wasm) closely.
    const ref = await fullPath(jpeg, 1200, 1600);
    const mine = await runPipeline(jpeg, probe(jpeg), parseTransform('w=1200,f=png'), 'png');
    expect(psnr(await decodeImage(mine.bytes, 'png'), ref)).toBeGreaterThan(40);
  });

  it('serves a progressive JPEG that is not reduced through libjpeg-turbo at 8/8', async () => {
    // Carrie at 1/4 (750x1000) re-encoded by our encoder (progressive), enlarged to 900 px.
    const quarter = decodeJpegScaled(await fixture('images/large/Carrie.jpg'), 4);
    const jpeg = await encodeImage(quarter, 'jpeg', { quality: 90 });
    const src = probe(jpeg);
    expect(src.progressive).toBe(true);
    const spec = parseTransform('w=900,h=1200,fit=cover,f=png');
    expect(decodePlan(src, src, { width: 900, height: 1200 })).toMatchObject({
      eighths: 8,
      inModule: false,
    });
    dropCodecs();
    const { json } = await upload(jpeg);
    const res = await call(`/img/${json.id as string}/w=900,h=1200,fit=cover,f=png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Cache')).toBe('MISS'); // computed in this request
    expect(wasmMemory().jpegTurbo).toBeGreaterThan(0);
    expect(wasmMemory().jpegScaled ?? 0).toBe(0); // not the module
    const served = new Uint8Array(await res.arrayBuffer());
    expect(served).toEqual((await runPipeline(jpeg, src, spec, 'png')).bytes);
    const img = await decodeImage(served, 'png');
    expect([img.width, img.height]).toEqual([900, 1200]);
  });

  it('picks the largest reduction that still covers the output', () => {
    const src = {
      format: 'jpeg' as const,
      width: 3000,
      height: 4000,
      orientation: 1,
      hasAlpha: false,
      progressive: true, // (a baseline JPEG may take libjpeg-turbo at M/8 instead: below)
    };
    const full = { width: 3000, height: 4000 };
    expect(decodePlan(src, full, { width: 800, height: 1067 }).scale).toBe(2);
    expect(decodePlan(src, full, { width: 300, height: 400 }).scale).toBe(8);
    expect(decodePlan(src, full, { width: 1600, height: 2134 }).scale).toBe(1);
    expect(decodePlan({ ...src, format: 'png' }, full, { width: 300, height: 400 }).scale).toBe(1);
  });

  it('sends reduced JPEGs through libjpeg-turbo at M/8 where that decodes less, else the module', () => {
    const src = { format: 'jpeg' as const, width: 3000, height: 4000, orientation: 1 };
    const full = { width: 3000, height: 4000 };
    const plan = (
      s: typeof src & { cmyk?: boolean; progressive?: boolean },
      target: { width: number; height: number },
    ) => decodePlan({ ...s, hasAlpha: false }, full, target);
    // A baseline reduction of 2x or more: M/8 (3/8 for 800w) + wasm/resize.wasm is priced
    // cheaper than the module at 1/2 (src/transform/jpeg-cost.ts, measured there).
    expect(plan(src, { width: 800, height: 1067 })).toMatchObject({
      scale: 1,
      eighths: 3,
      inModule: false,
    });
    // Under 2x: the module at 1/1, full decode + lanczos3 as sharp (pipeline.ts turboEighths).
    expect(plan(src, { width: 1600, height: 2133 })).toMatchObject({ scale: 1, inModule: true });
    expect(plan(src, { width: 1600, height: 2133 }).eighths).toBeUndefined();
    // Where M/8 decodes no fewer pixels than 1/d (1/8 for 375w, 8/8 for 3000x3999): the module.
    expect(plan(src, { width: 375, height: 500 })).toMatchObject({ scale: 8, inModule: true });
    expect(plan(src, { width: 3000, height: 3999 })).toMatchObject({ scale: 1, inModule: true });
    // Progressive JPEGs keep the module for every reduction.
    const prog = { ...src, progressive: true };
    expect(plan(prog, { width: 800, height: 1067 })).toMatchObject({ scale: 2, inModule: true });
    expect(plan(prog, { width: 1600, height: 2133 })).toMatchObject({ scale: 1, inModule: true });
    // No reduction (format change, pure crop) or an enlargement: libjpeg-turbo at 8/8 (the
    // same pixels as mozjpeg), CMYK too; a progressive JPEG as well (sharp's pixels), or the
    // module when CMYK.
    expect(plan(src, full)).toMatchObject({ scale: 1, eighths: 8, inModule: false });
    expect(plan(src, { width: 3200, height: 4267 })).toMatchObject({ eighths: 8, inModule: false });
    expect(plan({ ...src, cmyk: true }, full)).toMatchObject({ eighths: 8, inModule: false });
    const progressive = { ...src, progressive: true };
    expect(plan(progressive, full)).toMatchObject({ scale: 1, eighths: 8, inModule: false });
    expect(plan(progressive, { width: 3200, height: 4267 })).toMatchObject({ eighths: 8 });
    expect(plan({ ...progressive, cmyk: true }, full).inModule).toBe(true);
    expect(plan({ ...progressive, cmyk: true }, full).eighths).toBeUndefined();
    // PNGs have their own module (test/codecs/png-scaled.test.ts), never at a JPEG scale.
    expect(plan({ ...src, format: 'png' } as never, { width: 800, height: 1067 })).toMatchObject({
      scale: 1,
      inModule: true,
    });
  });

  it('matches the full-decode path on the large photos and the Kodak set', async () => {
    // Kodak PNGs become JPEGs (q 92, our encoder) so both paths have a JPEG to read.
    const inputs: [string, Uint8Array][] = [
      ['large/Carrie.jpg', await fixture('images/large/Carrie.jpg')],
      [
        'large/2569067123_aca715a2ee_o.jpg',
        await fixture('images/large/2569067123_aca715a2ee_o.jpg'),
      ],
      ['progressive/Cerkiew.jpg', await fixture('images/progressive/Cerkiew.jpg')],
    ];
    for (const n of ['01', '04', '08', '12']) {
      const png = await decodeImage(await fixture(`images/kodak/kodim${n}.png`), 'png');
      inputs.push([`kodim${n} as JPEG`, await encodeImage(png, 'jpeg', { quality: 92 })]);
    }
    for (const [name, bytes] of inputs) {
      const facts = probe(bytes);
      // A ≥2x reduction (shrink-on-load: the module at 1/d or libjpeg-turbo at M/8), then a
      // 1.6x one (the module at 1/1).
      for (const [divisor, floor] of [
        [3, 34],
        [1.6, FULL_SCALE_PSNR],
      ] as const) {
        const width = Math.max(64, Math.floor(facts.width / divisor));
        const spec = parseTransform(`w=${width},f=png`);
        const out = await runPipeline(bytes, facts, spec, 'png');
        const mine = await decodeImage(out.bytes, 'png');
        const ref = await fullPath(bytes, mine.width, mine.height);
        expect(psnr(mine, ref), `${name} / ${divisor}`).toBeGreaterThan(floor);
      }
    }
  });

  it('decodes CMYK JPEGs to the right sRGB colours', async () => {
    const { res, json } = await upload(await fixture('local/cmyk.jpg'));
    expect(res.status).toBe(201);
    expect(json).toMatchObject({ format: 'jpeg', width: 80, height: 16 });
    const out = await call(`/img/${json.id as string}/f=png`);
    expect(out.status).toBe(200);
    const img = await decodeImage(new Uint8Array(await out.arrayBuffer()), 'png');
    const at = (x: number) => Array.from(img.data.subarray((8 * 80 + x) * 4, (8 * 80 + x) * 4 + 3));
    const want = [
      [0, 255, 255],
      [255, 0, 255],
      [255, 255, 0],
      [127, 127, 127],
      [255, 255, 255],
    ];
    want.forEach((rgb, i) =>
      at(8 + 16 * i).forEach((v, c) => expect(Math.abs(v - rgb[c]!)).toBeLessThanOrEqual(3)),
    );
    // Enlarged: the module decodes at full size, the resizer enlarges.
    const big = await call(`/img/${json.id as string}/w=160,fit=contain,f=png`);
    expect(big.status).toBe(200);
    const bigImg = await decodeImage(new Uint8Array(await big.arrayBuffer()), 'png');
    expect([bigImg.width, bigImg.height]).toEqual([160, 32]);
  });
});
