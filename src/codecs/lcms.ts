/**
 * Colour management: converts pixels from an embedded ICC profile to sRGB with Little CMS
 * 2.16 (wasm/lcms.wasm, built from Debian's lcms2 source package by wasm/lcms/build.sh; C
 * glue and ABI in wasm/lcms/glue.c). Perceptual intent, no black point compensation, Little
 * CMS's built-in sRGB as the destination, 8-bit precalculated transforms: the same as
 * libvips/sharp's default import of an embedded profile (measured within ΔE76 0.01).
 */
import { LCMS_CHUNK_PIXELS, LCMS_DROP_ABOVE_BYTES } from '../config';
import wasmModule from '../../wasm/lcms.wasm';
import type { IccProfile } from './icc';
import { OwnDecoder, wasiStdioStubs } from './own-wasm';
import { DecodeError, type RawImage } from './types';

/** The module's exports (wasm/lcms/glue.c). */
interface LcmsExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  lcms_alloc(len: number): number;
  lcms_free(ptr: number): void;
  lcms_prepare(icc: number, len: number): number;
  lcms_apply(px: number, count: number): number;
  lcms_reset(): void;
}

/** Thrown inside this module only (a trap); callers see `false` from {@link convertToSrgb}. */
class LcmsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LcmsError';
  }
}

/** lcms_prepare's flag for a transform that is the identity within ±1 (an sRGB profile). */
const FLAG_IDENTITY = 0x10;
const KIND_NAMES: Record<number, IccProfile['model']> = { 1: 'rgb', 2: 'grey', 3: 'cmyk' };

const lcms = new OwnDecoder<LcmsExports>({
  module: wasmModule,
  what: 'colour transform',
  name: 'lcms',
  imports: () => ({
    wasi_snapshot_preview1: wasiStdioStubs(),
  }),
  start: (e) => e._initialize(),
  alloc: (e, len) => e.lcms_alloc(len),
  release: (e) => e.lcms_reset(),
  error: (_code, message, options) => new LcmsError(message, options),
  dropAboveBytes: LCMS_DROP_ABOVE_BYTES,
});

/**
 * Per instance, the profile its current transform was made from and what lcms_prepare said:
 * a later image with the same profile (most photos from one camera) reuses the transform. A
 * replaced instance takes its entry with it.
 */
const prepared = new WeakMap<LcmsExports, { bytes: Uint8Array; status: number }>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Makes (or reuses) the transform for `profile`; returns lcms_prepare's status. */
function prepare(e: LcmsExports, profile: Uint8Array): number {
  const current = prepared.get(e);
  if (current && sameBytes(current.bytes, profile)) return current.status;
  prepared.delete(e);
  const ptr = e.lcms_alloc(profile.length) >>> 0;
  if (ptr === 0) return -3;
  let status: number;
  try {
    new Uint8Array(e.memory.buffer, ptr, profile.length).set(profile);
    status = e.lcms_prepare(ptr, profile.length);
  } finally {
    e.lcms_free(ptr);
  }
  prepared.set(e, { bytes: profile.slice(), status });
  return status;
}

/**
 * What {@link convertToSrgb} would do with `profile`: `convert`, `identity` (an sRGB
 * profile: the transform changes no 8-bit value by more than 1, so it is skipped) or
 * `ignored` (a profile Little CMS cannot use: corrupt, a device link, Lab, or a colour space
 * other than the image's). Never throws.
 */
export function iccAction(profile: IccProfile): 'convert' | 'identity' | 'ignored' {
  try {
    return lcms.use((e) => classify(prepare(e, profile.bytes), profile));
  } catch {
    return 'ignored';
  }
}

function classify(status: number, profile: IccProfile): 'convert' | 'identity' | 'ignored' {
  if (status < 0 || KIND_NAMES[status & 0x0f] !== profile.model) return 'ignored';
  return status & FLAG_IDENTITY ? 'identity' : 'convert';
}

/**
 * Converts `img` in place from `profile` to sRGB. RGB and grey profiles take RGBA8 pixels
 * (grey images as decoders expand them, R = G = B; the R sample is read); CMYK profiles take
 * CMYK8 ink amounts (0 = no ink) in the four bytes of each pixel and leave RGBA with alpha
 * 255. Alpha is kept otherwise. Works in chunks of 256 Ki pixels, so wasm memory stays at a
 * few MiB whatever the image size, and no second full-size buffer is made.
 *
 * @returns true when the pixels were converted; false when they were left as they are: an
 *   sRGB profile (nothing to do), or a profile that cannot be used (see {@link iccAction}),
 *   including one that makes Little CMS trap while building the transform.
 * @throws DecodeError when the module traps while converting (pixels may be half done; that
 *   instance is discarded): a 422 rather than a wrong image.
 */
export function convertToSrgb(img: RawImage, profile: IccProfile): boolean {
  const px = img.data;
  const count = img.width * img.height;
  if (px.length < count * 4) throw new RangeError('convertToSrgb: pixel buffer too short');
  if (iccAction(profile) !== 'convert') return false;
  try {
    return lcms.use((e) => {
      // Cached, unless the instance was replaced since iccAction.
      if (classify(prepare(e, profile.bytes), profile) !== 'convert') return false;
      const chunk = Math.min(count, LCMS_CHUNK_PIXELS);
      const buf = e.lcms_alloc(chunk * 4) >>> 0;
      if (buf === 0) throw new DecodeError('colour transform: out of memory');
      try {
        for (let at = 0; at < count; at += chunk) {
          const n = Math.min(chunk, count - at);
          const view = new Uint8Array(e.memory.buffer, buf, n * 4);
          view.set(px.subarray(at * 4, (at + n) * 4));
          e.lcms_apply(buf, n);
          px.set(view, at * 4);
        }
        return true;
      } finally {
        e.lcms_free(buf);
      }
    });
  } catch (err) {
    if (!(err instanceof LcmsError)) throw err; // the instance that held the transform is gone
    throw new DecodeError(err.message, { cause: err });
  }
}
