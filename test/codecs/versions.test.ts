/**
 * Variant keys follow the codecs: CODEC_VERSIONS names the installed packages and the
 * committed modules of our own.
 */
import { describe, expect, it } from 'vitest';
import {
  AVIF_ENC_SHA256,
  AVIF_SHA256,
  CODEC_VERSIONS,
  JPEG_SCALED_SHA256,
  JPEG_TURBO_ENC_SHA256,
  JPEG_TURBO_SHA256,
  LCMS_SHA256,
  LIBWEBP_SHA256,
  PNG_SCALED_SHA256,
  RESIZE_SHA256,
} from '../../src/codecs/versions';
import { sha256Hex } from '../../src/hash';
import { fixture } from '../helpers';

describe('codec versions', () => {
  it('records the sha-256 of the committed wasm/jpeg_scaled.wasm', async () => {
    expect(await sha256Hex(await fixture('wasm/jpeg_scaled.wasm'))).toBe(JPEG_SCALED_SHA256);
    expect(CODEC_VERSIONS).toContain(`jpegscaled${JPEG_SCALED_SHA256.slice(0, 12)}`);
  });

  it('records the sha-256 of the committed wasm/png_scaled.wasm', async () => {
    expect(await sha256Hex(await fixture('wasm/png_scaled.wasm'))).toBe(PNG_SCALED_SHA256);
    expect(CODEC_VERSIONS).toContain(`pngscaled${PNG_SCALED_SHA256.slice(0, 12)}`);
  });

  it('records the sha-256 of the committed wasm/libwebp.wasm', async () => {
    expect(await sha256Hex(await fixture('wasm/libwebp.wasm'))).toBe(LIBWEBP_SHA256);
    expect(CODEC_VERSIONS).toContain(`libwebp${LIBWEBP_SHA256.slice(0, 12)}`);
  });

  it('records the sha-256 of the committed wasm/lcms.wasm', async () => {
    expect(await sha256Hex(await fixture('wasm/lcms.wasm'))).toBe(LCMS_SHA256);
    expect(CODEC_VERSIONS).toContain(`lcms${LCMS_SHA256.slice(0, 12)}`);
  });

  it('records the sha-256 of the committed wasm/jpeg_turbo.wasm', async () => {
    expect(await sha256Hex(await fixture('wasm/jpeg_turbo.wasm'))).toBe(JPEG_TURBO_SHA256);
    expect(CODEC_VERSIONS).toContain(`jpegturbo${JPEG_TURBO_SHA256.slice(0, 12)}`);
  });

  it('records the sha-256 of the committed wasm/jpeg_turbo_enc.wasm', async () => {
    expect(await sha256Hex(await fixture('wasm/jpeg_turbo_enc.wasm'))).toBe(JPEG_TURBO_ENC_SHA256);
    expect(CODEC_VERSIONS).toContain(`jpegturboenc${JPEG_TURBO_ENC_SHA256.slice(0, 12)}`);
  });

  it('records the sha-256 of the committed wasm/avif.wasm', async () => {
    expect(await sha256Hex(await fixture('wasm/avif.wasm'))).toBe(AVIF_SHA256);
    expect(CODEC_VERSIONS).toContain(`avifdec${AVIF_SHA256.slice(0, 12)}`);
  });

  it('records the sha-256 of the committed wasm/avif_enc.wasm', async () => {
    expect(await sha256Hex(await fixture('wasm/avif_enc.wasm'))).toBe(AVIF_ENC_SHA256);
    expect(CODEC_VERSIONS).toContain(`avifenc${AVIF_ENC_SHA256.slice(0, 12)}`);
  });

  it('records the sha-256 of the committed wasm/resize.wasm', async () => {
    expect(await sha256Hex(await fixture('wasm/resize.wasm'))).toBe(RESIZE_SHA256);
    expect(CODEC_VERSIONS).toContain(`resize${RESIZE_SHA256.slice(0, 12)}`);
  });
});
