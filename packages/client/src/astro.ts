/**
 * An Astro external image service (`astro:assets`, `<Image>` and `<Picture>`):
 *
 *     // astro.config.mjs
 *     image: {
 *       service: {
 *         entrypoint: '@image-edge/client/astro',
 *         config: { baseUrl: 'https://img.example.com' },
 *       },
 *     },
 *
 *     <Image src={imageId} width={800} height={600} alt="" />
 *
 * Astro calls `getURL(options, imageConfig)` for the `src` and once per width or density of
 * the `srcset`; `imageConfig.service.config` holds the settings above (plus default options).
 */
import { createUrlBuilder, type OutputFormat, type TransformOptions } from './url';
import { imageIdOf } from './source';

/** The subset of Astro's `ImageTransform` this service reads. */
export interface AstroImageTransform {
  src: string | { src: string };
  width?: number;
  height?: number;
  quality?: number | 'low' | 'mid' | 'high' | 'max' | string;
  format?: string;
  fit?: string;
  [option: string]: unknown;
}

/** Astro's `imageConfig`, as far as this service reads it. */
export interface AstroImageConfig {
  service: { config: { baseUrl: string } & TransformOptions };
}

/** Astro's named qualities, as numbers. */
const QUALITIES: Record<string, number> = { low: 25, mid: 50, high: 80, max: 100 };
/** Astro formats this service makes; others (e.g. `svg`) fall back to `auto`. */
const FORMATS: Record<string, OutputFormat> = {
  avif: 'avif',
  webp: 'webp',
  jpeg: 'jpeg',
  jpg: 'jpeg',
  png: 'png',
};
/** Astro's `fit` values (CSS object-fit names) → Cloudflare Images `fit`. */
const FITS: Record<string, TransformOptions['fit']> = {
  cover: 'cover',
  contain: 'contain',
  fill: 'scale-down',
  'scale-down': 'scale-down',
  none: 'scale-down',
};

/** The transform options for one Astro call. */
function optionsOf(options: AstroImageTransform, defaults: TransformOptions): TransformOptions {
  const q = options.quality;
  const quality = typeof q === 'number' ? q : q !== undefined ? QUALITIES[q] : undefined;
  return {
    format: 'auto',
    ...defaults,
    ...(options.width !== undefined && { width: Math.round(options.width) }),
    ...(options.height !== undefined && { height: Math.round(options.height) }),
    ...(quality !== undefined && { quality }),
    ...(options.format !== undefined && { format: FORMATS[options.format] ?? 'auto' }),
    ...(options.fit !== undefined && FITS[options.fit] && { fit: FITS[options.fit] }),
  };
}

/** The service object Astro loads from this module's default export. */
const service = {
  /** The `src` of the `<img>` (and of each `srcset` entry). @throws TransformError */
  getURL(options: AstroImageTransform, imageConfig: AstroImageConfig): string {
    const { baseUrl, ...defaults } = imageConfig.service.config;
    const src = typeof options.src === 'string' ? options.src : options.src.src;
    return createUrlBuilder({ baseUrl }).url(imageIdOf(src), optionsOf(options, defaults));
  },
};

export default service;
