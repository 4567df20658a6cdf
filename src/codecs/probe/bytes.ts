/**
 * Bounds-aware byte readers and the shared `malformed` and side checks of the container
 * parsers. Callers check bounds first; `?? 0` only satisfies the type checker.
 */

import { MAX_DIMENSION, ProbeError } from './facts';

/** Byte at `o` (0 past the end). */
export function u8(b: Uint8Array, o: number): number {
  return b[o] ?? 0;
}
/** Big-endian u16 at `o`. */
export function be16(b: Uint8Array, o: number): number {
  return (u8(b, o) << 8) | u8(b, o + 1);
}
/** Big-endian u24 at `o`. */
export function be24(b: Uint8Array, o: number): number {
  return (u8(b, o) << 16) | (u8(b, o + 1) << 8) | u8(b, o + 2);
}
/** Big-endian u32 at `o`. */
export function be32(b: Uint8Array, o: number): number {
  return ((u8(b, o) << 24) | (u8(b, o + 1) << 16) | (u8(b, o + 2) << 8) | u8(b, o + 3)) >>> 0;
}
/** Little-endian u16 at `o`. */
export function le16(b: Uint8Array, o: number): number {
  return u8(b, o) | (u8(b, o + 1) << 8);
}
/** Little-endian u24 at `o`. */
export function le24(b: Uint8Array, o: number): number {
  return u8(b, o) | (u8(b, o + 1) << 8) | (u8(b, o + 2) << 16);
}
/** Little-endian u32 at `o`. */
export function le32(b: Uint8Array, o: number): number {
  return (u8(b, o) | (u8(b, o + 1) << 8) | (u8(b, o + 2) << 16) | (u8(b, o + 3) << 24)) >>> 0;
}
/** A four-character code as the big-endian u32 it is stored as. */
export function fourcc(s: string): number {
  return (
    ((s.charCodeAt(0) << 24) |
      (s.charCodeAt(1) << 16) |
      (s.charCodeAt(2) << 8) |
      s.charCodeAt(3)) >>>
    0
  );
}
/** True when `b[o..]` holds exactly the ASCII bytes of `s`. */
export function bytesEqual(b: Uint8Array, o: number, s: string): boolean {
  if (o < 0 || o + s.length > b.length) return false;
  for (let i = 0; i < s.length; i++) if (b[o + i] !== s.charCodeAt(i)) return false;
  return true;
}

export function malformed(message: string): ProbeError {
  return new ProbeError('malformed', message);
}

export function checkSides(format: string, width: number, height: number): void {
  if (width <= 0 || height <= 0) throw malformed(`${format}: zero width or height`);
  if (width > MAX_DIMENSION || height > MAX_DIMENSION) {
    throw malformed(`${format}: ${width}x${height} exceeds ${MAX_DIMENSION} px per side`);
  }
}
