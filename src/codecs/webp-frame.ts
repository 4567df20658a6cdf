/**
 * The first frame of an animated WebP as a still WebP file, so the still decoders can read it
 * until the engine decodes animations frame by frame. Container layout per RFC 9649 §2.7:
 * `RIFF····WEBP`, a `VP8X` chunk with the animation flag, `ANIM`, then `ANMF` chunks whose
 * payload is a 16-byte frame header (X/2, Y/2, width−1, height−1, duration: 24-bit LE each,
 * then a flags byte) followed by the frame's own chunks (an optional `ALPH`, then `VP8 ` or
 * `VP8L`).
 */

/** Where the first frame sits on the animation's canvas, and the frame as a still WebP. */
export interface WebpFirstFrame {
  /** A complete still WebP file holding only the first frame's bitstream (and its alpha). */
  still: Uint8Array;
  /** Offset of the frame on the canvas, in pixels. */
  x: number;
  y: number;
  /** Canvas size from `VP8X`, in pixels. */
  canvasWidth: number;
  canvasHeight: number;
}

const le24 = (b: Uint8Array, o: number) =>
  (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16);
const le32 = (b: Uint8Array, o: number) => (le24(b, o) | ((b[o + 3] ?? 0) << 24)) >>> 0;
const tag = (b: Uint8Array, o: number) =>
  String.fromCharCode(b[o] ?? 0, b[o + 1] ?? 0, b[o + 2] ?? 0, b[o + 3] ?? 0);

/** At most this many chunks are walked at either level (the probe counts frames the same way). */
const MAX_CHUNKS = 1 << 16;

/** Chunks `[name, start of payload, payload size]` of `[start, end)`, clipped to `end`. */
function* chunks(b: Uint8Array, start: number, end: number): Generator<[string, number, number]> {
  let pos = start;
  for (let i = 0; i < MAX_CHUNKS && pos + 8 <= end; i++) {
    const size = le32(b, pos + 4);
    const data = pos + 8;
    yield [tag(b, pos), data, Math.min(size, end - data)];
    pos = data + size + (size & 1);
  }
}

/** A RIFF/WEBP file of the given chunks (`[name, payload]`). */
function riff(parts: [string, Uint8Array][]): Uint8Array {
  const size = 4 + parts.reduce((n, [, p]) => n + 8 + p.length + (p.length & 1), 0);
  const out = new Uint8Array(8 + size);
  const view = new DataView(out.buffer);
  const put = (o: number, s: string) =>
    out.set(
      [...s].map((c) => c.charCodeAt(0)),
      o,
    );
  put(0, 'RIFF');
  view.setUint32(4, size, true);
  put(8, 'WEBP');
  let pos = 12;
  for (const [name, payload] of parts) {
    put(pos, name);
    view.setUint32(pos + 4, payload.length, true);
    out.set(payload, pos + 8);
    pos += 8 + payload.length + (payload.length & 1);
  }
  return out;
}

/**
 * For an animated WebP (VP8X animation flag and at least one `ANMF` chunk), its first frame as
 * a still WebP and its place on the canvas; null for a still WebP. The frame's alpha plane is
 * kept (a `VP8X` with the alpha flag, then `ALPH` and `VP8 `); a lossless frame becomes a plain
 * `VP8L` file. Reads only within `bytes` and never throws; a frame whose bitstream is missing or
 * truncated gives a still file that the decoder then refuses.
 * Call it on bytes the probe accepted (so the frame lies inside the canvas).
 */
export function webpFirstFrame(bytes: Uint8Array): WebpFirstFrame | null {
  if (bytes.length < 30 || tag(bytes, 0) !== 'RIFF' || tag(bytes, 8) !== 'WEBP') return null;
  if (tag(bytes, 12) !== 'VP8X' || ((bytes[20] ?? 0) & 0x02) === 0) return null;
  const end = Math.min(bytes.length, 8 + le32(bytes, 4));
  for (const [name, data, size] of chunks(bytes, 12, end)) {
    if (name !== 'ANMF' || size < 16) continue;
    const frame = { x: le24(bytes, data) * 2, y: le24(bytes, data + 3) * 2 };
    const width = le24(bytes, data + 6) + 1;
    const height = le24(bytes, data + 9) + 1;
    let alph: Uint8Array | undefined;
    for (const [inner, at, len] of chunks(bytes, data + 16, data + size)) {
      const payload = bytes.subarray(at, at + len);
      if (inner === 'ALPH') alph = payload;
      if (inner !== 'VP8 ' && inner !== 'VP8L') continue;
      const parts: [string, Uint8Array][] = [[inner, payload]];
      if (alph && inner === 'VP8 ') {
        const vp8x = new Uint8Array(10);
        vp8x[0] = 0x10; // alpha
        vp8x.set([(width - 1) & 0xff, ((width - 1) >> 8) & 0xff, (width - 1) >> 16], 4);
        vp8x.set([(height - 1) & 0xff, ((height - 1) >> 8) & 0xff, (height - 1) >> 16], 7);
        parts.unshift(['VP8X', vp8x], ['ALPH', alph]);
      }
      return {
        still: riff(parts),
        ...frame,
        canvasWidth: le24(bytes, 24) + 1,
        canvasHeight: le24(bytes, 27) + 1,
      };
    }
    return { still: riff([]), ...frame, canvasWidth: 1, canvasHeight: 1 };
  }
  return null;
}
