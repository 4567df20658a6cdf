/**
 * The streamed path's encoder for one shape, called as transform/pipeline.ts calls it
 * (`encodeStreamed` with the whole decoded image as the crop), for tests that compare a source
 * held whole with the same source fed as rows (streamed-feed.test.ts, streamed-avif-feed.test.ts).
 */
import type { EncodeFormat } from '../../src/codecs/types';
import type { IccProfile } from '../../src/codecs/icc';
import type { VariantShape } from '../../src/transform/pipeline';
import type { TransformSpec } from '../../src/transform/spec';
import { encodeStreamed, streamedOutput } from '../../src/transform/streamed';

/** What `encodeStreamed` takes as its decoded image: RGBA, rows pulled, or rows fed. */
type Decoded = Parameters<typeof encodeStreamed>[0]['img'];

/**
 * `run(img)` encodes `img` (already the shape's target size) as `format` on the streamed path,
 * pausing through a 0 ms timer; `pauses()` counts the pauses taken so far.
 */
export function streamedEncoder(
  shape: Pick<VariantShape, 'orientation' | 'target'>,
  spec: TransformSpec,
  format: EncodeFormat,
  hasAlpha: boolean,
  icc: IccProfile | null = null,
): { run: (img: Decoded) => ReturnType<typeof encodeStreamed>; pauses: () => number } {
  const { target } = shape;
  const whole = { left: 0, top: 0, width: target.width, height: target.height };
  const plan = { orientation: shape.orientation, target };
  const out = streamedOutput(spec, format, hasAlpha);
  let pauses = 0;
  const pause = async () => {
    pauses++;
    await new Promise<void>((r) => setTimeout(r, 0));
  };
  return {
    run: (img) =>
      encodeStreamed({ img, crop: whole }, hasAlpha, plan, icc, undefined, undefined, out, pause),
    pauses: () => pauses,
  };
}
