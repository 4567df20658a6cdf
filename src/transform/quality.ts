/**
 * Perceptual quality levels (`quality=high|medium-high|medium-low|low`, also accepted by
 * `slow-connection-quality`), Cloudflare Images' named alternative to 1..100. Cloudflare does
 * not publish the numbers behind them; ours are per format, on each encoder's own 1..100
 * scale, chosen so a level looks alike across formats (AVIF reaches a given SSIM at a lower
 * setting than JPEG or WebP). `medium-high` equals the per-format default quality
 * (codecs/encode.ts), so it makes the same bytes as no `quality` at all for JPEG and WebP.
 */
import type { EncodeFormat } from '../codecs/types';

/** The named levels, best first. */
export const QUALITY_LEVELS = ['high', 'medium-high', 'medium-low', 'low'] as const;
/** A perceptual quality level. */
export type QualityLevel = (typeof QUALITY_LEVELS)[number];

/** Encoder quality per level and format (PNG and GIF are lossless/palette: unused). */
const LEVELS: Readonly<Record<QualityLevel, { jpeg: number; webp: number; avif: number }>> = {
  high: { jpeg: 90, webp: 90, avif: 65 },
  'medium-high': { jpeg: 82, webp: 80, avif: 50 },
  'medium-low': { jpeg: 70, webp: 65, avif: 40 },
  low: { jpeg: 55, webp: 50, avif: 30 },
};

/**
 * The encoder quality (1..100) for a `quality` value and output format; undefined when the
 * value is undefined or the format is lossless (PNG, GIF), leaving the encoder's default.
 */
export function encoderQuality(
  quality: number | QualityLevel | undefined,
  format: EncodeFormat,
): number | undefined {
  if (quality === undefined || typeof quality === 'number') return quality;
  if (format !== 'jpeg' && format !== 'webp' && format !== 'avif') return undefined;
  return LEVELS[quality][format];
}
