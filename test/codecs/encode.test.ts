import { env } from 'cloudflare:test';
import { describe, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { encodeImage } from '../../src/codecs/encode';
import { resizeImage } from '../../src/codecs/resize';
import { wasmMemory } from '../../wasm';
import { fixture } from '../helpers';

async function now() { await env.FIXTURES.fetch('http://fixtures/images/README.md').then(r => r.arrayBuffer()); return Date.now(); }
function psnr(a: Uint8ClampedArray, b: Uint8ClampedArray) { let s = 0; let n = 0; for (let i = 0; i < a.length; i++) { if (i % 4 === 3) continue; const d = a[i]! - b[i]!; s += d * d; n++; } return 10 * Math.log10(255 * 255 / (s / n)); }

describe('measure', () => {
  it('memory', async () => {
    const MB = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, (v / 2 ** 20).toFixed(1)]));
    console.log('start', MB(wasmMemory()));
    await decodeImage(await fixture('images/kodak/kodim01.png'), 'png');
    console.log('kodim01 png decode', MB(wasmMemory()));
    let t = await now();
    const big = await decodeImage(await fixture('images/large/Carrie.jpg'), 'jpeg');
    let t2 = await now(); console.log('carrie decode ms', t2 - t, performance.now());
    console.log('carrie decode', big.width, big.height, MB(wasmMemory()));
    t = await now();
    const r = await resizeImage(big, 800, 1067);
    t2 = await now(); console.log('resize ms', t2 - t);
    console.log('resize', MB(wasmMemory()));
    t = await now();
    const w = await encodeImage(r, 'webp');
    t2 = await now(); console.log('webp ms', t2 - t, w.length);
    console.log('webp enc', MB(wasmMemory()));
  });
  it('avif speeds + quality', async () => {
    const src = await decodeImage(await fixture('images/kodak/kodim01.png'), 'png');
    await encodeImage(src, 'avif', { avifSpeed: 10 });
    const big = await decodeImage(await fixture('images/large/Carrie.jpg'), 'jpeg');
    const r = await resizeImage(big, 800, 1067);
    for (const img of [src, r]) for (const speed of [6, 7, 8, 9, 10]) {
      let best = 1e9; let out!: Uint8Array;
      for (let k = 0; k < 3; k++) {
      const t = await now();
      out = await encodeImage(img, 'avif', { avifSpeed: speed });
      const t2 = await now(); best = Math.min(best, t2 - t); }
      const t = 0, t2 = best;
      const back = await decodeImage(out, 'avif');
      console.log('avif speed', speed, 'ms', t2 - t, 'bytes', out.length, 'psnr', psnr(img.data, back.data).toFixed(2), img.width);
    }
    for (const [fmt, qs] of [['jpeg', [75, 82, 90]], ['webp', [75, 80, 90]], ['avif', [40, 50, 60, 75]]] as const) {
      for (const q of qs) {
        const t = await now();
        const out = await encodeImage(src, fmt, { quality: q });
        const t2 = await now();
        const back = await decodeImage(out, fmt);
        console.log(fmt, q, 'ms', t2 - t, 'bytes', out.length, 'psnr', psnr(src.data, back.data).toFixed(2));
      }
    }
    const t = await now();
    const p = await encodeImage(src, 'png');
    console.log('png ms', (await now()) - t, p.length);
    console.log(wasmMemory());
  });
});
