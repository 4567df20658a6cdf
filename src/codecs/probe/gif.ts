/**
 * GIF header facts: GIF89a block walk (image descriptors, graphic control extensions,
 * sub-blocks).
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
  let pendingTransparency = false;
  // Each step advances `pos` by at least one byte; `guard` makes the bound explicit.
  for (let guard = 0; pos < len && guard < len; guard++) {
    const introducer = u8(b, pos);
    if (introducer === 0x3b) break; // trailer
    if (introducer === 0x21) {
      if (pos + 2 > len) break;
      const label = u8(b, pos + 1);
      pos += 2;
      // Graphic control extension: block size 4, packed fields; bit 0 = transparency flag.
      if (label === 0xf9 && pos + 2 <= len && u8(b, pos) >= 4) {
        pendingTransparency = (u8(b, pos + 1) & 1) === 1;
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
      if (pendingTransparency) hasAlpha = true;
      pendingTransparency = false;
      pos += 10;
      if (fpacked & 0x80) pos += 3 << ((fpacked & 7) + 1); // local colour table
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
