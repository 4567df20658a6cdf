/**
 * Decoded pixels, the one pixel type of the code base (re-exported as `RawImage` by
 * src/codecs/types.ts): RGBA, 8 bits per channel, row-major, no padding
 * (`data.length === width * height * 4`); width and height in pixels. Its own module, so
 * that code which only needs the type does not load the codecs' wasm imports.
 */
export interface RawImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}
