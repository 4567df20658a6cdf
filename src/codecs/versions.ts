/**
 * Versions of the codec packages, folded into variant cache keys: upgrading any codec changes
 * every key, so no cached variant made by the old code is served as if made by the new one.
 * Read from each package's package.json at build time (the bundler inlines the strings).
 */
import { version as jpeg } from '@jsquash/jpeg/package.json';
import { version as png } from '@jsquash/png/package.json';
import { version as gifenc } from 'gifenc/package.json';
import { version as gif } from 'omggif/package.json';

/**
 * SHA-256 of wasm/jpeg_scaled.wasm (our shrink-on-load decoder and resampler; see
 * wasm/README.md). test/codecs/versions.test.ts fails when a rebuilt module is committed
 * without updating it, so a decoder change always makes new variant keys.
 */
export const JPEG_SCALED_SHA256 =
  '47b01ef9dfe5280ed28dc520297a7976aa952cb9dff7893c62636532dcfd1722';

/**
 * SHA-256 of wasm/png_scaled.wasm (our streaming PNG decoder and resampler, and the banded PNG
 * encoder, png 0.17.7 inflating with fdeflate 0.3.7; see wasm/README.md), checked against the
 * committed file by the same test.
 */
export const PNG_SCALED_SHA256 = 'bf7720f40b87e64c0af3faf52191a8b98512f1822b3f148b59f3072e1a957f5c';

/**
 * SHA-256 of wasm/libwebp.wasm (our build of libwebp 1.5.0: WebP decode, scaled and animated
 * decode, still and animated encode; see wasm/README.md), checked against the committed file
 * by the same test.
 */
export const LIBWEBP_SHA256 = 'e1a7d01064855617675b46e0ac5b4c32e6360116a4daae128e29cb1f06eefd3e';

/**
 * SHA-256 of wasm/lcms.wasm (Little CMS 2.16 from Debian's lcms2 2.16-2+deb13u2 and our
 * glue: embedded ICC profile → sRGB; see wasm/README.md), checked by the same test.
 */
export const LCMS_SHA256 = 'd377cc3b5081c950c5344d86e8a35e57c5820424c67e6d9b538a437216be4099';

/**
 * SHA-256 of wasm/jpeg_turbo.wasm (libjpeg-turbo 2.1.5 from Debian's libjpeg-turbo
 * 1:2.1.5-4 and our glue: JPEG decode at M/8, whole or as rows; see wasm/README.md), checked by the
 * same test.
 */
export const JPEG_TURBO_SHA256 = '42ad5a0352758385ce65f8004c443140b18492998abea6a5a83990f22b7a09db';

/**
 * SHA-256 of wasm/jpeg_turbo_enc.wasm (libjpeg-turbo 2.1.5's compressor, the same Debian source,
 * and our glue: JPEG encoded from rows, codecs/jpeg-rows.ts; see wasm/README.md), checked by
 * the same test. In the version string since the planner encodes JPEGs with it where mozjpeg
 * does not fit (transform/fallback.ts): such variants get new keys.
 */
export const JPEG_TURBO_ENC_SHA256 =
  'f6dd97f09b00d2e6d94085beca21332484c2036a5dc598ab8e09bceb12aa7ebe';

/**
 * SHA-256 of wasm/resize.wasm (our RGBA8 resampler: lanczos3 from wasm/common, premultiplied
 * alpha, box pre-shrink; see wasm/README.md), checked against the committed file by the same
 * test.
 */
export const RESIZE_SHA256 = 'd741c4c34e9f53f2008132107349b7492c7911afd8762abcaecd689aa431f5ef';

/**
 * Version of our own pipeline code (src/transform, src/codecs adapters): bump it with any
 * change that alters the pixels or bytes of a variant made from the same inputs (a new
 * decode path, resampling rule, encoder setting), so such a change writes new variant keys
 * instead of mixing old and new outputs. 1: session 1; 2: JPEGs reduced less than 2x decode
 * and resample in the JPEG module (2026-11-21); 3: embedded ICC profiles are converted to
 * sRGB (wasm/lcms.wasm; CMYK JPEGs not yet), or, on another branch, WebP through libwebp 1.5.0;
 * 4: both together (2026-12-04): ICC → sRGB, and WebP decoded and encoded by libwebp 1.5.0
 * (wasm/libwebp.wasm; WebP sources shrink on load), animation kept, GIF output;
 * 5: `gravity=auto` crops centre on the attention point (images/attention.ts), no longer
 * on the centre (2026-12-04); 6: PNG sources decode, crop and resample in our streaming PNG
 * module (wasm/png_scaled.wasm: premultiplied lanczos3, 16-bit kept until the resample);
 * 7: every other resize (WebP, AVIF, GIF and animation frames, mozjpeg decodes, trim,
 * enlargements, cards) runs in wasm/resize.wasm (2026-12-05): the box pre-shrink in f32
 * inside the module instead of rounded to 8 bits in JS, premultiplied lanczos3 in f32.
 * (Baseline JPEGs that are not reduced decode with libjpeg-turbo, wasm/jpeg_turbo.wasm,
 * since 2026-12-04: the same pixels as mozjpeg's, so no bump; its hash is in the string.)
 * 8: baseline JPEG reductions of 2x or more decode with libjpeg-turbo at M/8, then
 * wasm/resize.wasm, where the planner prices that cheaper than jpeg_scaled at 1/d
 * (src/transform/jpeg-cost.ts, 2026-12-05): 12 MP → 800w at 3/8 (→ 1600w stays at 1/1).
 * 9: JPEG reductions under 2x whose 1/1 plan is over the budget of its place decode with
 * libjpeg-turbo at M/8 where that fits a better place (src/transform/fallback.ts,
 * 2026-12-05): variants that were made in the queue at 1/1 may be made inline at M/8; and a
 * GIF whose transparency flag names an index no pixel uses is opaque (resampled without
 * premultiplying, `f=auto` answers JPEG to basic clients). The ledger's outputs are the same.
 * 10: progressive JPEGs that are not reduced (full size, format change, enlargement) decode
 * with libjpeg-turbo at 8/8 instead of mozjpeg (sharp's pixels; mozjpeg 3.3.1's differed by up
 * to 2), and a lossy WebP reduced under 2x whose 1/1 plan is over its place's budget is
 * cropped and scaled by libwebp while decoding (src/transform/fallback.ts, 2026-12-05).
 * 11: an opaque PNG output is written as RGB, not RGBA (the same pixels, smaller files;
 * src/codecs/encode.ts, session 9).
 * 12: JPEGs that libjpeg-turbo decodes on the streamed path are read as rows, never held whole
 * (codecs/jpeg-turbo.ts `openJpegTurboRows`, session 10): the same bytes for the same plan, but
 * the planner prices that path lower, so variants that were made in the queue at 1/1 (or
 * refused) may be made at M/8 inline (or in the queue); and the planner's M/8 fallback takes
 * 8/8 (libjpeg-turbo's full decode, then lanczos3) where no smaller M covers the target. The
 * ledger's outputs are the same.
 * 13: the planner's M/8 fallback also takes JPEG reductions of 2x and more that the JPEG
 * module's whole 1/2-1/8 decode cannot make within its place's budget: libjpeg-turbo at the
 * smallest M/8 that covers the target, read as rows (src/transform/fallback.ts, session 11).
 * Variants that were refused or queued may be made in the queue or inline, from libjpeg-turbo's
 * scaled IDCT instead of the module's. And a JPEG reduced under 2x is decoded by libjpeg-turbo
 * at 8/8 (sharp's decode) then resampled, instead of at 1/1 by the JPEG module, wherever the
 * planner finds that no worse (fallback.ts `fullTurbo`: streamed variants, chiefly). The
 * ledger's outputs (made on the default shape, runPipeline) are the same.
 * 14: the planner no longer charges libjpeg-turbo's whole-image fixed memory (jpeg-cost.ts
 * TURBO_FIXED_MB, 9 MiB) on its rows path, which measured nothing of it (session 12): JPEG
 * variants read as rows are estimated 9 MB lower, so variants that were refused are made in the
 * queue at M/8 (the 24 MP progressive at w=2400, the 48 and 99.6 MP at w=4000,h=4000,fit=cover),
 * and a variant may now take libjpeg-turbo's plan (fallback.ts `fullTurbo` or the M/8
 * fallback) where it was queued on the JPEG module's. The ledger's outputs are the same.
 * 15: libwebp's lossy encoder keeps its quantized levels compactly instead of as tokens
 * (wasm/libwebp/level-store.patch, session 12; the same bytes), and the planner prices a banded
 * WebP encode at its new, lower memory (transform/cost.ts `bandedWebpMb`): large WebP variants
 * that were refused, or made on a decode fallback, may be made in the queue or on the default
 * shape. The ledger's outputs are the same.
 * 16: the PNG encoder's file is drained into JS band by band (codecs/png-enc.ts, session 13;
 * the same bytes) and the planner charges it once (png-cost.ts `streamedPngEncodeMb`), and the
 * queue's CPU budget is 10 s instead of 5 (QUEUE_BUDGET_MS): PNG variants and large outputs
 * that were refused may be made in the queue. The ledger's outputs are the same.
 * 17: libjpeg-turbo's rows encoder hands its file out as it is written (the same bytes), and
 * the planner charges it the file once instead of four times; where its two passes do not fit
 * the queue's budget it encodes in one (baseline, standard Huffman tables, no coefficients
 * kept: transform/fallback.ts `jpegOnePass`, session 13). JPEG variants that were refused are
 * made in the queue, and one made inline from libjpeg-turbo's M/8 rows is made from the JPEG
 * module's decode. The ledger's outputs are the same.
 * 18: a still lossless (VP8L) WebP on the streamed path is pulled as rows, cropped and scaled
 * by libwebp's rescaler as it is decoded (codecs/webp.ts `openWebpRows`,
 * wasm/libwebp/vp8l-rows.patch, session 13; the same pixels as before), and the planner, which
 * no longer charges libwebp's scaled output (or the whole image), makes variants it refused
 * (the 12 MP lossless WebP at w=3000,h=3000,fit=cover, w=4000 and w=4000,h=4000,fit=cover,
 * queued). The ledger's outputs are the same.
 */
export const PIPELINE_VERSION = 18;

/**
 * SHA-256 of wasm/avif.wasm (our AVIF decoder: dav1d 1.5.1 + libavif 1.4.2; see
 * wasm/README.md), checked against the committed file by the same test.
 */
export const AVIF_SHA256 = '6a89e201986e3068a0c480800a89a1590e92cc577d44952225f41760793f11c0';

/**
 * SHA-256 of wasm/avif_enc.wasm (our AVIF encoder: aom 3.12.1 + libavif 1.4.2; see
 * wasm/README.md), checked against the committed file by the same test.
 */
export const AVIF_ENC_SHA256 = '53c7295efaa6bbead600cb4745f368a73a3ef19ed61f58dc1019239c234f88cc';

/**
 * Compact codec version string, e.g.
 * `jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resize0123456789ab-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebp995af131eafa-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-jpegturboenc0bc8431a840f-pipeline8`
 * (versions of @jsquash/jpeg and /png, omggif and gifenc, our modules' hash prefixes,
 * PIPELINE_VERSION).
 */
export const CODEC_VERSIONS: string = `jpeg${jpeg}-png${png}-avifenc${AVIF_ENC_SHA256.slice(0, 12)}-resize${RESIZE_SHA256.slice(0, 12)}-gif${gif}-gifenc${gifenc}-jpegscaled${JPEG_SCALED_SHA256.slice(0, 12)}-pngscaled${PNG_SCALED_SHA256.slice(0, 12)}-libwebp${LIBWEBP_SHA256.slice(0, 12)}-lcms${LCMS_SHA256.slice(0, 12)}-avifdec${AVIF_SHA256.slice(0, 12)}-jpegturbo${JPEG_TURBO_SHA256.slice(0, 12)}-jpegturboenc${JPEG_TURBO_ENC_SHA256.slice(0, 12)}-pipeline${PIPELINE_VERSION}`;
