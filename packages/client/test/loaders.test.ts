/**
 * The framework loaders, called the way each framework calls them: Next.js asks its loader
 * for each width of the srcset it builds; Astro validates then calls `getURL` for the src
 * and each srcset width; unpic's core builds srcsets with our `transform` as transformer.
 * Every URL must be the client's canonical URL for the same options.
 */
import { transformBaseImageProps } from '@unpic/core/base';
import { describe, expect, it } from 'vitest';
import { createUrlBuilder } from '../src/index';
import astroService from '../src/astro';
import { createNextLoader } from '../src/next';
import { extract, transform } from '../src/unpic';

const BASE = 'https://img.example.com';
const ID = 'AbCdEfGhIjKlMnOp';
const urls = createUrlBuilder({ baseUrl: BASE });

/** Next.js's default `deviceSizes` and `imageSizes` (next.config `images`). */
const DEVICE_SIZES = [640, 750, 828, 1080, 1200, 1920, 2048, 3840];
const IMAGE_SIZES = [16, 32, 48, 64, 96, 128, 256, 384];

/**
 * What `next/image` does with a loader for a fixed-width image without `sizes`: the widths
 * for 1x and 2x, each rounded up to a configured size, then `loader({ src, width, quality })`
 * for each, joined as `url 1x, url 2x`; `src` is the last (largest) URL.
 */
function nextImage(
  loader: (p: { src: string; width: number; quality?: number }) => string,
  src: string,
  width: number,
  quality?: number,
) {
  const all = [...IMAGE_SIZES, ...DEVICE_SIZES].sort((a, b) => a - b);
  const widths = [
    ...new Set([width, width * 2].map((w) => all.find((s) => s >= w) ?? all.at(-1)!)),
  ];
  const srcSet = widths.map((w, i) => `${loader({ src, width: w, quality })} ${i + 1}x`).join(', ');
  return { srcSet, src: loader({ src, width: widths.at(-1)!, quality }) };
}

describe('next/image loader', () => {
  it('gives one canonical URL per width Next asks for, with quality and f=auto', () => {
    const loader = createNextLoader({ baseUrl: BASE });
    const img = nextImage(loader, ID, 300, 75);
    expect(img.srcSet).toBe(
      `${BASE}/img/${ID}/width=384,quality=75,format=auto 1x, ` +
        `${BASE}/img/${ID}/width=640,quality=75,format=auto 2x`,
    );
    expect(img.src).toBe(`${BASE}/img/${ID}/width=640,quality=75,format=auto`);
    // Next warns when a loader ignores the width: ours never does.
    expect(loader({ src: ID, width: 100 })).not.toBe(loader({ src: ID, width: 101 }));
    // A delivery URL as src works too, and defaults apply.
    const cover = createNextLoader({ baseUrl: BASE, fit: 'cover', height: 300 });
    expect(cover({ src: `${BASE}/img/${ID}/original`, width: 640 })).toBe(
      urls.url(ID, { width: 640, height: 300, fit: 'cover', format: 'auto' }),
    );
  });
});

describe('Astro image service', () => {
  const imageConfig = { service: { config: { baseUrl: BASE } } };
  it('answers getURL for the src and each srcset width', () => {
    const options = { src: ID, width: 800, height: 600, quality: 'high', format: 'webp' };
    const src = astroService.getURL(options, imageConfig);
    expect(src).toBe(`${BASE}/img/${ID}/width=800,height=600,quality=80,format=webp`);
    // Astro's srcset for `widths={[400, 800]}`: getURL once per width, height scaled.
    const srcset = [400, 800]
      .map(
        (w) =>
          `${astroService.getURL({ ...options, width: w, height: (w * 3) / 4 }, imageConfig)} ${w}w`,
      )
      .join(', ');
    expect(srcset).toBe(
      `${BASE}/img/${ID}/width=400,height=300,quality=80,format=webp 400w, ` +
        `${BASE}/img/${ID}/width=800,height=600,quality=80,format=webp 800w`,
    );
    // Imported-image metadata as src, an unsupported format → auto, object-fit names mapped.
    expect(
      astroService.getURL(
        { src: { src: `/img/${ID}/original` }, width: 320, format: 'svg', fit: 'cover' },
        imageConfig,
      ),
    ).toBe(`${BASE}/img/${ID}/width=320,fit=cover,format=auto`);
  });
});

describe('unpic provider', () => {
  it('builds the srcset of an unpic image with our transformer', () => {
    const props = transformBaseImageProps({
      src: ID,
      width: 800,
      height: 600,
      layout: 'constrained',
      transformer: transform,
      options: { baseUrl: BASE },
    });
    const entries = String(props.srcset)
      .split(/,\s+/)
      .map((e) => e.split(' '));
    expect(entries.length).toBeGreaterThan(3);
    for (const [url, descriptor] of entries) {
      const w = Number(descriptor!.replace('w', ''));
      const h = Math.round((w * 600) / 800);
      expect(url).toBe(urls.url(ID, { width: w, height: h, format: 'auto' }));
    }
    expect(props.src).toBe(urls.url(ID, { width: 800, height: 600, format: 'auto' }));
  });

  it('extracts options from a delivery URL and keeps them when transforming it', () => {
    const url = urls.url(ID, { width: 500, fit: 'cover', gravity: { x: 0.2, y: 0.3 } });
    expect(extract(url)).toEqual({
      src: ID,
      operations: { width: 500, fit: 'cover', dpr: 1, rotate: 0, gravity: { x: 0.2, y: 0.3 } },
      options: { baseUrl: BASE },
    });
    expect(transform(url, { width: 250, format: 'avif' })).toBe(
      urls.url(ID, { width: 250, fit: 'cover', gravity: { x: 0.2, y: 0.3 }, format: 'avif' }),
    );
    expect(extract('https://elsewhere.test/photo.jpg')).toBeNull();
  });
});
