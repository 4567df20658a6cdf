/**
 * A cache hit never instantiates a codec (issue 14, "first request in a fresh isolate"): after
 * a variant is made and cached, every codec instance is dropped, as in a fresh isolate, and the
 * hit (edge cache), its 304 and the durable variant store (R2) are served without any.
 * wasm/instances.ts owns every instance (the @jsquash codecs and our own modules), so its
 * report names them all.
 */
import { describe, expect, it } from 'vitest';
import { variantCacheKey } from '../../src/storage/edge-cache';
import { canonicalTransform, parseTransform } from '../../src/transform/spec';
import { dropCodecs, instantiatedCodecs } from '../../wasm/instances';
import { BASE, call, fixture, upload } from '../helpers';

/**
 * Source files and variants covering every codec on the miss: JPEG (jpeg_scaled, mozjpeg
 * encoder), PNG with a Display P3 profile (png, Little CMS, libavif encoder), WebP with alpha
 * (libwebp decoder and encoder), and an AVIF made from the PNG (libavif decoder, png_scaled,
 * squoosh PNG encoder); the resize codec runs on some of them. (mozjpeg's decoder is not used for delivery.)
 */
const CASES: { file: string; transform: string }[] = [
  { file: 'images/small/Giunchedi_Filippo_January_2015_01.jpg', transform: 'width=160,f=jpeg' },
  { file: 'images/color/p3.png', transform: 'width=32,f=avif' },
  { file: 'images/alpha/5_webp_a.webp', transform: 'width=120,f=webp' },
];

describe('a cache hit stays lazy', () => {
  it('serves hits, 304s and stored variants without instantiating any codec', async () => {
    const seen = new Set<string>();
    const sources: { id: string; transform: string }[] = [];
    for (const { file, transform } of CASES) {
      const { res, json } = await upload(await fixture(file));
      expect(res.status, file).toBe(201);
      sources.push({ id: json.id as string, transform });
    }
    // An AVIF variant of the P3 PNG, uploaded as an original: an AVIF source → PNG.
    const avif = await call(`/img/${sources[1]!.id}/width=24,f=avif`);
    expect(avif.status).toBe(200);
    const { res, json } = await upload(new Uint8Array(await avif.arrayBuffer()));
    expect(res.status).toBe(201);
    sources.push({ id: json.id as string, transform: 'width=16,f=png' });

    for (const { id, transform } of sources) {
      const path = `/img/${id}/${transform}`;
      // The miss makes the variant: the codecs it needs are instantiated.
      dropCodecs();
      const miss = await call(path);
      expect(miss.status, path).toBe(200);
      expect(miss.headers.get('X-Cache'), path).toBe('MISS');
      const bytes = new Uint8Array(await miss.arrayBuffer());
      const used = instantiatedCodecs();
      expect(used.length, path).toBeGreaterThan(0);
      for (const name of used) seen.add(name);

      // Fresh isolate: the hit and its 304 leave every codec un-instantiated.
      dropCodecs();
      const hit = await call(path);
      expect(hit.status, path).toBe(200);
      expect(hit.headers.get('X-Cache'), path).toBe('HIT');
      expect(new Uint8Array(await hit.arrayBuffer()), path).toEqual(bytes);
      const etag = hit.headers.get('ETag')!;
      expect((await call(path, { headers: { 'If-None-Match': etag } })).status, path).toBe(304);
      expect(instantiatedCodecs(), path).toEqual([]);

      // Evicted from the edge cache: the variant comes from R2, still without a codec.
      const key = variantCacheKey(BASE, id, canonicalTransform(parseTransform(transform)));
      expect(await caches.default.delete(key), path).toBe(true);
      const stored = await call(path);
      expect(stored.status, path).toBe(200);
      expect(stored.headers.get('X-Variant-Source'), path).toBe('r2');
      expect(new Uint8Array(await stored.arrayBuffer()), path).toEqual(bytes);
      expect(instantiatedCodecs(), path).toEqual([]);
    }
    // The misses went through every codec the hits had to leave alone.
    expect([...seen].sort()).toEqual([
      'avifDec',
      'avifEnc',
      'jpegEnc',
      'jpegScaled',
      'lcms',
      'pngEnc',
      'pngScaled',
      'resize',
      'webpDec',
      'webpEnc',
    ]);
  });
});
