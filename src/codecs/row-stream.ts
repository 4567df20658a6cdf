/**
 * The band pull behind the decoders that hand out their rows a band per call
 * (codecs/jpeg-turbo.ts `openJpegTurboRows`, codecs/webp.ts `openWebpRows`): a
 * {@link RowStream} whose `row(y)` decodes bands until row `y` is in the one held.
 */
import { DecodeError, type RowStream } from './types';

/**
 * A {@link RowStream} of `width` × `height` RGBA8 rows over `read`, which decodes the next band
 * and returns its header (the other modules' ABI, wasm/README.md: word 2 its row count, 0 when
 * the image ends early; word 3 its byte offset in `memory()`). Each band goes through
 * `onBand` before any of its rows is handed out. `what` names the codec in errors.
 * @throws (from `row`) RangeError for a row asked for out of order; DecodeError `malformed`
 *   when the image ends before its last row; whatever `read` throws.
 */
export function pulledRows(
  what: string,
  width: number,
  height: number,
  memory: () => ArrayBuffer,
  read: () => Uint32Array,
): RowStream {
  const stride = width * 4;
  // The band held: rows top .. top + count - 1 at `at` in memory().
  let top = 0;
  let count = 0;
  let at = 0;
  const next = () => {
    const band = read();
    top += count;
    count = band[2] ?? 0;
    at = band[3] ?? 0;
    if (count === 0)
      throw new DecodeError(`${what} (malformed): the image ends before its last row`);
    rows.onBand?.({
      data: new Uint8ClampedArray(memory(), at, count * stride),
      width,
      height: count,
    });
  };
  const rows: RowStream = {
    width,
    height,
    row(y) {
      if (!Number.isInteger(y) || y < top || y >= height)
        throw new RangeError(`${what} rows: row ${y} asked for after row ${top}`);
      while (y >= top + count) next();
      return new Uint8ClampedArray(memory(), at + (y - top) * stride, stride);
    },
  };
  return rows;
}
