/**
 * Finds lossless WebP bitstreams: lossless images (a `VP8L` chunk, alone, inside a VP8X file
 * or inside an animation frame) and lossy images whose alpha plane is compressed losslessly
 * (`ALPH` chunk with compression method 1, decoded by the same VP8L machinery). Uploads record
 * the answer (`webp_lossless`) so the planner can charge lossless decoding its own figures.
 * It was the CVE-2023-4863 guard while WebP was decoded by libwebp 1.1.0; our libwebp 1.5.0
 * module has the fix (1.3.2+) and decodes every kind (docs/security.md).
 *
 * The walk mirrors libwebp's container parsing (RIFF size bounds the data; chunks are padded to
 * even sizes) and is bounded: at most {@link MAX_CHUNKS} chunks, each step advances.
 */

const MAX_CHUNKS = 1 << 16;

const le32 = (b: Uint8Array, o: number) =>
  ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0;

const tag = (b: Uint8Array, o: number) =>
  String.fromCharCode(b[o] ?? 0, b[o + 1] ?? 0, b[o + 2] ?? 0, b[o + 3] ?? 0);

/** Why a WebP would run libwebp's lossless decoder: its chunk name, or null when it would not. */
export type LosslessReason = 'VP8L' | 'ALPH' | null;

/** Walks the chunks of `[start, end)`; descends into `ANMF` frames (16-byte frame header). */
function scan(b: Uint8Array, start: number, end: number, depth: number): LosslessReason {
  let pos = start;
  for (let i = 0; i < MAX_CHUNKS && pos + 8 <= end; i++) {
    const name = tag(b, pos);
    const size = le32(b, pos + 4);
    const data = pos + 8;
    const chunkEnd = Math.min(end, data + size);
    if (name === 'VP8L') return 'VP8L';
    // ALPH header byte: bits 0-1 compression method (0 none, 1 WebP lossless).
    if (name === 'ALPH' && data < chunkEnd && ((b[data] ?? 0) & 3) === 1) return 'ALPH';
    if (name === 'ANMF' && depth === 0) {
      const inner = scan(b, data + 16, chunkEnd, 1);
      if (inner) return inner;
    }
    if (data + size >= end) break;
    pos = data + size + (size & 1);
  }
  return null;
}

/**
 * Tells whether decoding this WebP file would run libwebp's lossless (VP8L) code: a `VP8L`
 * chunk at top level or in an animation frame, or an `ALPH` chunk compressed losslessly.
 * Call it on bytes already sniffed as WebP (`RIFF····WEBP`); anything else gives null. Never
 * throws; reads only within `bytes`.
 */
export function webpLosslessReason(bytes: Uint8Array): LosslessReason {
  if (bytes.length < 12 || tag(bytes, 0) !== 'RIFF' || tag(bytes, 8) !== 'WEBP') return null;
  const end = Math.min(bytes.length, 8 + le32(bytes, 4));
  return scan(bytes, 12, end, 0);
}
