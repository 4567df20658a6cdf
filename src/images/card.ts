/**
 * The image card: a ThumbHash placeholder (https://evanw.github.io/thumbhash/, the `thumbhash`
 * package), the average colour and the attention point (images/attention.ts), computed once
 * per image by the queue consumer and stored in D1. The card is made from the upright image
 * (EXIF orientation applied) scaled to fit 256x256, which the pipeline produces cheaply
 * (shrink-on-load for JPEGs): the attention point from those pixels, the ThumbHash and colour
 * from them scaled on to fit 100x100.
 */
import { rgbaToThumbHash, thumbHashToRGBA } from 'thumbhash';
import { decodeImage } from '../codecs/decode';
import { encodeImage } from '../codecs/encode';
import { resizeImage } from '../codecs/resize';
import type { RawImage } from '../codecs/types';
import { attentionPoint, type FocalPoint } from './attention';
import { runPipeline, type SourceFacts } from '../transform/pipeline';
import { parseTransform } from '../transform/spec';

/** The card's input: the image scaled to fit 256x256 (enough for the attention point). */
export const CARD_SPEC = parseTransform('w=256,h=256,fit=scale-down,f=png');

/** ThumbHash's own maximum side, pixels. */
const THUMBHASH_SIDE = 100;

/** An image card. */
export interface ImageCard {
  /** ThumbHash, base64 (standard alphabet, padded). */
  thumbhash: string;
  /** Alpha-weighted average colour `#rrggbb`, or null for a fully transparent image. */
  colour: string | null;
  /** Attention point in fractions of the upright image (where `g=auto` crops centre). */
  focal: FocalPoint;
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const hex2 = (n: number) => Math.round(n).toString(16).padStart(2, '0');

/** Alpha-weighted average colour of RGBA pixels, `#rrggbb`, or null when all transparent. */
export function averageColour(img: RawImage): string | null {
  let r = 0;
  let g = 0;
  let b = 0;
  let a = 0;
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) {
    const w = d[i + 3]!;
    r += d[i]! * w;
    g += d[i + 1]! * w;
    b += d[i + 2]! * w;
    a += w;
  }
  return a === 0 ? null : `#${hex2(r / a)}${hex2(g / a)}${hex2(b / a)}`;
}

/** The card of upright pixels at most 256x256 (larger works, only slower). */
export async function cardOfPixels(img: RawImage): Promise<ImageCard> {
  const s = Math.min(1, THUMBHASH_SIDE / img.width, THUMBHASH_SIDE / img.height);
  const small = await resizeImage(
    img,
    Math.max(1, Math.round(img.width * s)),
    Math.max(1, Math.round(img.height * s)),
  );
  const hash = rgbaToThumbHash(small.width, small.height, small.data);
  return { thumbhash: toBase64(hash), colour: averageColour(small), focal: attentionPoint(img) };
}

/**
 * Computes the card of an original.
 * @throws DecodeError when the original does not decode (a permanent failure).
 */
export async function computeCard(bytes: Uint8Array, src: SourceFacts): Promise<ImageCard> {
  const upright = await runPipeline(bytes, src, CARD_SPEC, 'png');
  return cardOfPixels(await decodeImage(upright.bytes, 'png'));
}

/**
 * Renders a stored ThumbHash as a small PNG (at most 32 px on the long side, as ThumbHash
 * decodes).
 * @throws Error when the text is not a ThumbHash.
 */
export async function placeholderPng(thumbhash: string): Promise<Uint8Array> {
  const { w, h, rgba } = thumbHashToRGBA(fromBase64(thumbhash));
  return encodeImage({ data: new Uint8ClampedArray(rgba), width: w, height: h }, 'png');
}
