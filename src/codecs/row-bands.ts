/**
 * How rows get into the encoders fed strictly top to bottom (codecs/row-sink.ts: JPEG,
 * codecs/jpeg-rows.ts; PNG, codecs/png-enc.ts), whose input is a buffer in their wasm memory:
 * - {@link inOrderBands}: the caller's `produce` asks for output rows 0, 1, … `height` − 1 in
 *   order, each written into the band buffer; a full band is handed to the encoder when the
 *   next band's first row is asked for, the last (possibly short) band at the end, and every
 *   row must have been asked for;
 * - {@link filledWhole}: the whole image written at once (in any order) into a buffer of
 *   `height` rows, then handed over.
 */
import type { RawImage } from './types';

/** An encoder's input buffer, as these loops use it. */
export interface BandTarget {
  /** The encoder's memory (read on each use: it may have grown). */
  memory(): ArrayBuffer;
  /** Byte offset of the input buffer in {@link memory}. */
  ptr: number;
  /** Encodes the buffer's first `rows` rows (RGBA8) as the image's next rows. */
  put(rows: number): void;
}

/**
 * Runs `produce` over a `width` × `height` RGBA8 image written into `target`'s buffer of
 * `bandRows` rows (1..`height`), band by band (see the module comment): `rowAt(y)` is the
 * buffer for output row `y`, valid until the next `rowAt` call. Each band goes through
 * `onBand` (its rows, and the output row at its top) before the encoder takes it. A `produce`
 * that returns a promise makes this return one too (the last band is put when it settles).
 * @throws RangeError (message prefixed `what`) for a row asked for out of order or outside the
 *   image, or rows left out at the end; whatever `produce`, `onBand` or `target.put` throws.
 */
export function inOrderBands(
  what: string,
  width: number,
  height: number,
  bandRows: number,
  target: BandTarget,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => void | Promise<void>,
  onBand?: (band: RawImage, top: number) => void,
): void | Promise<void> {
  const rowBytes = width * 4;
  const view = (offset: number, length: number) =>
    new Uint8ClampedArray(target.memory(), target.ptr + offset, length);
  let next = 0; // the next row to ask for
  let top = 0; // the first row of the band being filled
  const flush = () => {
    const rows = next - top;
    if (rows === 0) return;
    onBand?.({ data: view(0, rows * rowBytes), width, height: rows }, top);
    target.put(rows);
    top = next;
  };
  const made = produce((y) => {
    if (y !== next) throw new RangeError(`${what}: row ${y} asked for, row ${next} next`);
    if (y >= height) throw new RangeError(`${what}: row ${y} outside 0..${height - 1}`);
    if (y - top === bandRows) flush();
    next++;
    return view((y - top) * rowBytes, rowBytes);
  });
  const last = () => {
    flush();
    if (next !== height) throw new RangeError(`${what}: ${next} of ${height} rows written`);
  };
  return made instanceof Promise ? made.then(last) : last();
}

/**
 * Runs `fill` on `target`'s buffer of `height` rows (RGBA8, `width` × `height`, rows top to
 * bottom, written in any order), then hands all the rows to the encoder; `fill`'s view is
 * valid until it returns, or until the promise it returns settles (this then returns one too).
 * @throws whatever `fill` or `target.put` throws.
 */
export function filledWhole(
  width: number,
  height: number,
  target: BandTarget,
  fill: (px: Uint8ClampedArray) => void | Promise<void>,
): void | Promise<void> {
  const put = () => target.put(height);
  const filled = fill(new Uint8ClampedArray(target.memory(), target.ptr, width * height * 4));
  return filled instanceof Promise ? filled.then(put) : put();
}
