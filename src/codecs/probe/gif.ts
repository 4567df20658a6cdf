/**
 * GIF header facts: GIF89a block walk (image descriptors, graphic control extensions,
 * sub-blocks). Transparency: a frame whose graphic control extension sets the transparency
 * flag is transparent only if its image data uses that index; encoders such as cgif (sharp,
 * libvips) set the flag on opaque images, so the frame's LZW codes are walked
 * ({@link lzwUsesIndex}: codes only, no pixels) to tell.
 */

import { u8, le16, malformed, checkSides } from './bytes';
import { type ProbeResult } from './facts';

/** Skips data sub-blocks from `pos` (length byte + data, ended by a 0 length); -1 if truncated. */
function skipSubBlocks(b: Uint8Array, pos: number): number {
  const len = b.length;
  while (pos < len) {
    const n = u8(b, pos);
    pos += 1;
    if (n === 0) return pos;
    pos += n;
  }
  return -1;
}

/** LZW codes are at most 12 bits (GIF89a §22, appendix F). */
const MAX_CODES = 4096;

/**
 * True when the LZW image data at `pos` (the minimum code size byte, then data sub-blocks)
 * puts colour `index` among the frame's first `pixels` pixels; also true when the data is
 * malformed or ends before `pixels` pixels (decoders leave those transparent), the safe
 * answer. Walks the codes only: each dictionary entry keeps its length, its first index and
 * whether its string holds `index` (GIF89a appendix F), so the cost is linear in the data and
 * no pixel is produced.
 */
export function lzwUsesIndex(b: Uint8Array, pos: number, index: number, pixels: number): boolean {
  if (pos >= b.length) return true;
  const minSize = u8(b, pos);
  if (minSize < 1 || minSize > 11) return true;
  const clear = 1 << minSize;
  const end = clear + 1;
  const holds = new Uint8Array(MAX_CODES);
  const first = new Uint16Array(MAX_CODES);
  const length = new Uint32Array(MAX_CODES);
  for (let c = 0; c < clear; c++) {
    holds[c] = c === index ? 1 : 0;
    first[c] = c;
    length[c] = 1;
  }
  let size = minSize + 1;
  let next = clear + 2;
  let prev = -1;
  let out = 0;
  let acc = 0; // bit accumulator, LSB first
  let bits = 0;
  let lengthByte = pos + 1; // the next sub-block's length byte
  let i = 0; // data cursor, and the end of the current sub-block (none yet)
  let blockEnd = 0;
  /** The next data byte across sub-blocks, or -1 at the block terminator or the file's end. */
  const nextByte = (): number => {
    while (i >= blockEnd) {
      if (lengthByte >= b.length || u8(b, lengthByte) === 0) return -1;
      i = lengthByte + 1;
      blockEnd = i + u8(b, lengthByte);
      lengthByte = blockEnd;
    }
    return i < b.length ? u8(b, i++) : -1;
  };
  for (;;) {
    while (bits < size) {
      const byte = nextByte();
      if (byte < 0) return out < pixels;
      acc |= byte << bits;
      bits += 8;
    }
    const code = acc & ((1 << size) - 1);
    acc >>>= size;
    bits -= size;
    if (code === clear) {
      size = minSize + 1;
      next = clear + 2;
      prev = -1;
      continue;
    }
    if (code === end) return out < pixels;
    if (prev < 0) {
      if (code >= clear) return true; // the first code after a clear must be a literal
    } else {
      if (code > next || (code === next && next >= MAX_CODES)) return true;
      const head = code === next ? first[prev]! : first[code]!;
      if (next < MAX_CODES) {
        holds[next] = holds[prev]! | (head === index ? 1 : 0);
        first[next] = first[prev]!;
        length[next] = length[prev]! + 1;
        next++;
        if (next === 1 << size && size < 12) size++;
      }
    }
    if (holds[code]) return true;
    out += length[code]!;
    if (out >= pixels) return false;
    prev = code;
  }
}

/** Header facts of a GIF file (sniffed as such). @throws ProbeError `malformed`. */
export function probeGif(b: Uint8Array): ProbeResult {
  const len = b.length;
  if (len < 13) throw malformed('GIF: data ends inside the logical screen descriptor');
  const screenW = le16(b, 6);
  const screenH = le16(b, 8);
  const packed = u8(b, 10);
  let pos = 13;
  if (packed & 0x80) pos += 3 << ((packed & 7) + 1); // global colour table
  let width = screenW;
  let height = screenH;
  let frames = 0;
  let hasAlpha = false;
  let transparentIndex = -1; // from the pending graphic control extension
  // Each step advances `pos` by at least one byte; `guard` makes the bound explicit.
  for (let guard = 0; pos < len && guard < len; guard++) {
    const introducer = u8(b, pos);
    if (introducer === 0x3b) break; // trailer
    if (introducer === 0x21) {
      if (pos + 2 > len) break;
      const label = u8(b, pos + 1);
      pos += 2;
      // Graphic control extension: block size 4, packed fields; bit 0 = transparency flag.
      if (label === 0xf9 && pos + 5 <= len && u8(b, pos) >= 4) {
        transparentIndex = (u8(b, pos + 1) & 1) === 1 ? u8(b, pos + 4) : -1;
      }
      pos = skipSubBlocks(b, pos);
      if (pos < 0) break;
      continue;
    }
    if (introducer === 0x2c) {
      if (pos + 10 > len) break; // truncated image descriptor
      const left = le16(b, pos + 1);
      const top = le16(b, pos + 3);
      const fw = le16(b, pos + 5);
      const fh = le16(b, pos + 7);
      const fpacked = u8(b, pos + 9);
      if (fw === 0 || fh === 0) throw malformed('GIF: zero-size frame');
      frames++;
      // The effective canvas covers every frame rectangle (decoders grow it; bombs rely on it).
      width = Math.max(width, left + fw);
      height = Math.max(height, top + fh);
      pos += 10;
      if (fpacked & 0x80) pos += 3 << ((fpacked & 7) + 1); // local colour table
      if (transparentIndex >= 0 && !hasAlpha)
        hasAlpha = lzwUsesIndex(b, pos, transparentIndex, fw * fh);
      transparentIndex = -1;
      pos += 1; // LZW minimum code size
      if (pos >= len) break;
      pos = skipSubBlocks(b, pos);
      if (pos < 0) break;
      continue;
    }
    break; // unknown block: decoders stop here
  }
  if (frames === 0) throw malformed('GIF: no complete image descriptor');
  checkSides('GIF', width, height); // at most 65535 + 65535 per side
  return {
    format: 'gif',
    width,
    height,
    orientation: 1,
    hasAlpha,
    frames,
    progressive: false,
    cmyk: false,
  };
}
