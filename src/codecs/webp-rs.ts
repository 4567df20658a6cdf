/**
 * Memory-safe WebP decoding for the files libwebp 1.1.0 must not see: lossless (`VP8L`)
 * images and lossy images with a losslessly compressed alpha plane, which run the VP8L
 * decoder that has CVE-2023-4863 (src/security/webp-lossless.ts). Backed by
 * wasm/webp_rs.wasm: the pure-Rust WebP decoder of image 0.24.3 (source and ABI in
 * wasm/webp-rs/ and wasm/README.md). Lossless pixels are exact; lossy colour differs a
 * little from libwebp's (image-rs upsamples chroma without libwebp's "fancy" filter), which
 * is why plain lossy WebPs stay on libwebp.
 */
import wasmModule from '../../wasm/webp_rs.wasm';
import { OwnDecoder, type OwnDecodedImage } from './own-wasm';
import { DecodeError } from './types';

/** The module's exports (see wasm/README.md, "webp_rs.wasm"). */
interface WebpRsExports {
  memory: WebAssembly.Memory;
  webp_alloc(len: number): number;
  webp_free(ptr: number, len: number): void;
  webp_decode(ptr: number, len: number): number;
  webp_release(): void;
}

/**
 * Drop an instance above this after a call (wasm memory never shrinks). The decoder holds
 * the whole image at least twice (its own planes and the RGBA output): a 0.4 MP image fits,
 * a 2048x1536 one (49 MiB) does not stay resident.
 */
const DROP_INSTANCE_ABOVE_BYTES = 32 * 1024 * 1024;

const decoder = new OwnDecoder<WebpRsExports>({
  module: wasmModule,
  what: 'WebP',
  alloc: (e, len) => e.webp_alloc(len),
  release: (e) => e.webp_release(),
  error: (code, message, options) => new DecodeError(`webp (${code}): ${message}`, options),
  dropAboveBytes: DROP_INSTANCE_ABOVE_BYTES,
});

/**
 * Decodes a still WebP (lossy, lossless or extended with alpha) to RGBA8 (alpha 255 when the
 * file has none). The decoder works on the whole image as it reads the headers, so check the
 * size first (the probe does, from the same headers).
 * @throws DecodeError for a corrupt, truncated, animated or otherwise unsupported file, and
 *   when the decoder traps (that instance is then discarded; the next call makes a new one).
 */
export function decodeWebpRs(bytes: Uint8Array): OwnDecodedImage {
  return decoder.run(bytes, 0, (wasm, ptr) => wasm.webp_decode(ptr, bytes.length));
}

/** Bytes of wasm memory held by the current instance (0: none). For tests and benchmarks. */
export function webpRsMemoryBytes(): number {
  return decoder.memoryBytes();
}
