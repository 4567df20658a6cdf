/**
 * `border` (Cloudflare Images, https://developers.cloudflare.com/images/optimization/features/#border):
 * a border of `border.color` added outside the resized (and padded) image, each side
 * `border.width` or `border.top|right|bottom|left` CSS pixels × `dpr`; the output grows by it.
 */
import type { RawImage } from '../codecs/types';
import type { Geometry } from './geometry';
import { deviceSide, type Rgba, type TransformSpec } from './spec';

/** Border sides in device pixels. */
export interface Sides {
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly left: number;
}

/** The spec's border sides in device pixels (× `dpr`, rounded), or undefined for none. */
export function borderSides(spec: TransformSpec): Sides | undefined {
  const b = spec.border;
  if (!b) return undefined;
  const d = (n: number) => deviceSide(n, spec.dpr);
  return { top: d(b.top), right: d(b.right), bottom: d(b.bottom), left: d(b.left) };
}

/** `g` with its canvas grown by `sides` and its offset moved in by the left and top sides. */
export function withBorder(g: Geometry, sides: Sides | undefined): Geometry {
  if (!sides) return g;
  return {
    ...g,
    canvas: {
      width: g.canvas.width + sides.left + sides.right,
      height: g.canvas.height + sides.top + sides.bottom,
    },
    offset: { left: g.offset.left + sides.left, top: g.offset.top + sides.top },
  };
}

/**
 * A new image: `img` copied as it is inside a border of `color` (straight RGBA8). One write
 * per output pixel.
 */
export function addBorder(img: RawImage, sides: Sides, color: Rgba): RawImage {
  const width = img.width + sides.left + sides.right;
  const height = img.height + sides.top + sides.bottom;
  const out = new Uint8ClampedArray(width * height * 4);
  const px = new Uint32Array(out.buffer);
  px.fill(new Uint32Array(new Uint8Array([color.r, color.g, color.b, color.a]).buffer)[0]!);
  const src = new Uint32Array(img.data.buffer, img.data.byteOffset, img.width * img.height);
  for (let y = 0; y < img.height; y++)
    px.set(src.subarray(y * img.width, (y + 1) * img.width), (y + sides.top) * width + sides.left);
  return { data: out, width, height };
}
