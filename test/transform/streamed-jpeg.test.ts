/**
 * JPEG on the streamed path (src/transform/streamed.ts with the planner's `jpegRows`): the
 * pixels are those of the buffered path. For each case the buffered path's finished image is
 * made losslessly (PNG, forced buffered by a same-size `enlargeTo`) and encoded by the rows
 * encoder directly: the streamed file must be byte for byte that file. Cases cover bands
 * (orientation 1, flip=h), the whole turned image (EXIF 3..8, flip=v: rows that come bottom to
 * top or transposed), an embedded profile converted before and after resizing, band boundaries,
 * and transparency flattened onto the background.
 */
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/codecs/decode';
import { encodeJpegRows } from '../../src/codecs/jpeg-rows';
import { probe } from '../../src/codecs/probe';
import { DEFAULT_QUALITY } from '../../src/codecs/encode';
import { planVariant, runPipeline, runShape, shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { fixture } from '../helpers';

const CASES: [file: string, transform: string][] = [
  ['images/large/2569067123_aca715a2ee_o.jpg', 'w=600,h=400,fit=cover'],
  ['images/large/2569067123_aca715a2ee_o.jpg', 'w=700,rotate=90,flip=h'],
  ['images/color/Shoes-AdobeRGB.jpg', 'w=200'],
  ['images/color/Shoes-AdobeRGB.jpg', 'w=1200'],
  ...[1, 2, 3, 4, 5, 6, 7, 8].map(
    (n) => [`images/exif/Landscape_${n}.jpg`, 'w=300'] as [string, string],
  ),
  ['images/kodak/kodim03.png', 'w=301,flip=v'],
  ['images/kodak/kodim03.png', 'h=33,flip=h'],
  ['images/kodak/kodim03.png', 'h=65'],
  ['images/alpha/blackbug.png', 'w=300,background=336699'],
  ['images/alpha/PNG_transparency_demonstration_1.png', 'w=199,background=white'],
];

describe('streamed JPEG encode (rows encoder)', () => {
  it.each(CASES)('%s %s: the buffered pixels, encoded from rows', async (file, t) => {
    const bytes = await fixture(file);
    const src = probe(bytes);
    const spec = parseTransform(t);
    const { canvas } = planVariant(src, spec).geometry;
    const shape = { ...shapeVariant(src, spec), jpegRows: true };
    const streamed = await runShape(bytes, shape, 'jpeg');
    expect([streamed.width, streamed.height]).toEqual([canvas.width, canvas.height]);
    const finished = await runPipeline(bytes, src, spec, 'png', 0, canvas);
    const img = await decodeImage(finished.bytes, 'png');
    const n = img.width * 4;
    const expected = encodeJpegRows(
      img.width,
      img.height,
      (rowAt) => {
        for (let y = 0; y < img.height; y++) rowAt(y).set(img.data.subarray(y * n, (y + 1) * n));
      },
      { quality: DEFAULT_QUALITY.jpeg! },
    );
    expect(streamed.bytes).toEqual(expected);
  });

  it('flattens transparency onto white by default, as the buffered JPEG path does', async () => {
    const bytes = await fixture('images/alpha/PNG_transparency_demonstration_1.png');
    const src = probe(bytes);
    const spec = parseTransform('w=199');
    const shape = { ...shapeVariant(src, spec), jpegRows: true };
    const rows = await decodeImage((await runShape(bytes, shape, 'jpeg')).bytes, 'jpeg');
    const moz = await decodeImage((await runPipeline(bytes, src, spec, 'jpeg')).bytes, 'jpeg');
    expect([rows.width, rows.height]).toEqual([moz.width, moz.height]);
    let se = 0;
    for (let i = 0; i < rows.data.length; i++)
      if (i % 4 !== 3) se += (rows.data[i]! - moz.data[i]!) ** 2;
    const psnr = 10 * Math.log10((255 * 255) / (se / ((rows.data.length * 3) / 4)));
    expect(psnr).toBeGreaterThan(35); // two encoders of the same flattened pixels
  });
});
