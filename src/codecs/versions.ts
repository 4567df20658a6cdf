/**
 * Versions of the codec packages, folded into variant cache keys: upgrading any codec changes
 * every key, so no cached variant made by the old code is served as if made by the new one.
 * Read from each package's package.json at build time (the bundler inlines the strings).
 */
import { version as avif } from '@jsquash/avif/package.json';
import { version as jpeg } from '@jsquash/jpeg/package.json';
import { version as png } from '@jsquash/png/package.json';
import { version as resize } from '@jsquash/resize/package.json';
import { version as webp } from '@jsquash/webp/package.json';
import { version as gif } from 'omggif/package.json';

/**
 * SHA-256 of wasm/jpeg_scaled.wasm (our shrink-on-load decoder and resampler; see
 * wasm/README.md). test/codecs/versions.test.ts fails when a rebuilt module is committed
 * without updating it, so a decoder change always makes new variant keys.
 */
export const JPEG_SCALED_SHA256 =
  '5b461cb50290e8a0e4b0236e37afb47979113290b53281b1c0281ad408966b8e';

/**
 * SHA-256 of wasm/webp_rs.wasm (our memory-safe WebP decoder for lossless bitstreams; see
 * wasm/README.md), checked against the committed file by the same test.
 */
export const WEBP_RS_SHA256 = 'ad2d2c76fc9575caad55a3b9fdfc394c4fc13b6e469c1f0c9b3fe3465453ae7e';

/**
 * SHA-256 of wasm/lcms.wasm (Little CMS 2.16 from Debian's lcms2 2.16-2+deb13u2 and our
 * glue: embedded ICC profile → sRGB; see wasm/README.md), checked by the same test.
 */
export const LCMS_SHA256 = 'd377cc3b5081c950c5344d86e8a35e57c5820424c67e6d9b538a437216be4099';

/**
 * Version of our own pipeline code (src/transform, src/codecs adapters): bump it with any
 * change that alters the pixels or bytes of a variant made from the same inputs (a new
 * decode path, resampling rule, encoder setting), so such a change writes new variant keys
 * instead of mixing old and new outputs. 1: session 1; 2: JPEGs reduced less than 2x decode
 * and resample in the JPEG module (2026-11-21); 3: embedded ICC profiles are converted to
 * sRGB (wasm/lcms.wasm; CMYK JPEGs not yet).
 */
export const PIPELINE_VERSION = 3;

/**
 * Compact codec version string, e.g.
 * `jpeg1.6.0-png3.1.1-webp1.5.0-avif2.1.1-resize2.1.1-gif1.0.10-jpegscaled5b461cb50290-webprsad2d2c76fc95-lcmsd377cc3b5081-pipeline3`
 * (package names of @jsquash/* and omggif, our modules' hash prefixes, PIPELINE_VERSION).
 */
export const CODEC_VERSIONS: string = `jpeg${jpeg}-png${png}-webp${webp}-avif${avif}-resize${resize}-gif${gif}-jpegscaled${JPEG_SCALED_SHA256.slice(0, 12)}-webprs${WEBP_RS_SHA256.slice(0, 12)}-lcms${LCMS_SHA256.slice(0, 12)}-pipeline${PIPELINE_VERSION}`;
