/**
 * GIF in pure JS: every frame decoded by omggif 1.0.10 and composited onto the logical
 * screen with each frame's disposal method (GIF89a §23), and GIF encoding by gifenc 1.0.3
 * (per-frame palette quantisation, 1-bit transparency). Loop counts are given as WebP counts
 * them (total plays, 0 = forever): GIF's NETSCAPE value counts extra plays, and a GIF
 * without one plays once.
 */
import { applyPalette, GIFEncoder, quantize, type Encoder } from 'gifenc';
import { GifReader } from 'omggif';
import { DecodeError, type AnimationFrame, type AnimationInfo, type RawImage } from './types';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Decodes the first `count` frames (all by default) of a GIF, each composited onto a canvas
 * of the logical screen size, transparent where nothing was drawn (the background colour is
 * ignored, as browsers do). Disposal: 0/1 keep the frame, 2 clears its rectangle to
 * transparent, 3 restores what was there before it. `onInfo` runs before any frame (it may
 * throw to refuse); `onFrame` gets a fresh canvas copy per frame and is awaited.
 * @param maxPixels refuse a logical screen above this many pixels (0 = no limit).
 * @throws DecodeError for a malformed stream, no frames, an empty or too large screen, or a
 *   frame outside the screen (also the guard against frame-rectangle bombs: omggif decodes
 *   into the caller's canvas, sized by the screen).
 */
export async function decodeGifFrames(
  bytes: Uint8Array,
  maxPixels: number,
  onInfo: (info: AnimationInfo) => void,
  onFrame: (frame: AnimationFrame, index: number) => Promise<void> | void,
  count = Infinity,
): Promise<void> {
  let reader: GifReader;
  try {
    reader = new GifReader(bytes);
  } catch (err) {
    throw new DecodeError(`gif: ${message(err)}`);
  }
  const { width, height } = reader;
  if (!(width > 0 && height > 0)) throw new DecodeError('gif: empty logical screen');
  if (maxPixels > 0 && width * height > maxPixels)
    throw new DecodeError(`gif (too-large): ${width}x${height} screen over the pixel limit`);
  const frames = reader.numFrames();
  if (frames < 1) throw new DecodeError('gif: no frames');
  const loops = reader.loopCount();
  onInfo({ width, height, frames, loopCount: loops === null ? 1 : loops === 0 ? 0 : loops + 1 });

  const canvas = new Uint8ClampedArray(width * height * 4);
  let saved: Uint8ClampedArray | null = null;
  const n = Math.min(frames, count);
  for (let i = 0; i < n; i++) {
    const f = reader.frameInfo(i);
    if (f.x + f.width > width || f.y + f.height > height)
      throw new DecodeError(
        `gif: frame ${i} ${f.width}x${f.height}+${f.x}+${f.y} exceeds the ${width}x${height} screen`,
      );
    if (f.disposal === 3) saved = canvas.slice();
    try {
      reader.decodeAndBlitFrameRGBA(i, canvas);
    } catch (err) {
      throw new DecodeError(`gif: ${message(err)}`);
    }
    await onFrame({ data: canvas.slice(), width, height, duration: f.delay * 10 }, i);
    if (f.disposal === 2) {
      for (let y = f.y; y < f.y + f.height; y++)
        canvas.fill(0, (y * width + f.x) * 4, (y * width + f.x + f.width) * 4);
    } else if (f.disposal === 3 && saved) {
      canvas.set(saved);
    }
  }
}

/**
 * GIF encoder: add canvas-sized RGBA frames with their durations, then `finish()`. Each frame
 * gets its own palette (≤ 256 colours, quantised by gifenc; alpha below 128 becomes the
 * transparent index) and disposal 2, so a transparent pixel shows the page, not the previous
 * frame. Delays are stored in centiseconds (rounded).
 */
export class GifAnimationEncoder {
  private readonly gif: Encoder = GIFEncoder();

  /**
   * @param loopCount total plays, 0 = forever (see the module comment).
   * @throws RangeError for a size GIF cannot hold (65535 px a side).
   */
  constructor(
    readonly width: number,
    readonly height: number,
    private readonly loopCount: number,
  ) {
    if (!(width >= 1 && height >= 1 && width <= 65535 && height <= 65535))
      throw new RangeError(`gif encode: bad size ${width}x${height}`);
  }

  /** Adds a frame shown for `durationMs`. @throws RangeError for a frame of another size. */
  add(frame: RawImage, durationMs: number): void {
    if (frame.width !== this.width || frame.height !== this.height)
      throw new RangeError(
        `gif animation: frame ${frame.width}x${frame.height} is not ${this.width}x${this.height}`,
      );
    const palette = quantize(frame.data, 256, { format: 'rgba4444', oneBitAlpha: true });
    const index = applyPalette(frame.data, palette, 'rgba4444');
    const transparentIndex = palette.findIndex((c) => (c[3] ?? 255) === 0);
    this.gif.writeFrame(index, this.width, this.height, {
      palette,
      delay: Math.max(0, durationMs),
      repeat: this.loopCount === 0 ? 0 : this.loopCount === 1 ? -1 : this.loopCount - 1,
      transparent: transparentIndex >= 0,
      transparentIndex: Math.max(0, transparentIndex),
      dispose: 2,
    });
  }

  /** The .gif file. */
  finish(): Uint8Array {
    this.gif.finish();
    return this.gif.bytes();
  }
}
