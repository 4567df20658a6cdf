/**
 * The AV1 coding of an AVIF original (migrations/0011_avif_coding.sql, read from the primary
 * item's `av1C` by src/codecs/probe/avif.ts and recorded by src/images/ingest.ts): its bit
 * depth and chroma subsampling decide the frame the AV1 decoder holds, which the planner
 * charges (src/transform/avif-cost.ts). A row stored before the columns (NULL) is charged the
 * largest frame (12-bit 4:4:4).
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getImage } from '../../src/storage/images-db';
import { estimateVariant, sourceFacts } from '../../src/transform/cost';
import { parseTransform } from '../../src/transform/spec';
import { fixture, KEYS, upload } from '../helpers';

/** Uploads a fixture; its row's id, owner and AV1 coding columns. */
async function stored(path: string) {
  const { res, json } = await upload(await fixture(path), KEYS.alice);
  expect([200, 201], JSON.stringify(json)).toContain(res.status);
  const row = await env.DB.prepare(
    'SELECT owner, avif_bit_depth, avif_chroma FROM images WHERE id = ?',
  )
    .bind(json.id)
    .first<{ owner: string; avif_bit_depth: unknown; avif_chroma: unknown }>();
  return { id: json.id as string, ...row! };
}

describe('the AV1 coding of an AVIF upload', () => {
  it.each([
    ['avif/p3-nclx.avif', 8, '4:2:0'],
    ['avif/10bit.avif', 10, '4:2:0'],
    ['avif/10bit-444.avif', 10, '4:4:4'],
    ['images/kodak/kodim05.png', null, null], // not an AVIF
  ])('%s is stored as %s-bit %s', async (path, depth, chroma) => {
    const row = await stored(path);
    expect([row.avif_bit_depth, row.avif_chroma]).toEqual([depth, chroma]);
  });

  it('prices a deeper frame higher, and a row stored before the columns as the largest', async () => {
    const spec = parseTransform('w=400,f=webp');
    const plan = async (path: string) => {
      const { id, owner } = await stored(path);
      const rec = (await getImage(env.DB, owner, id))!;
      return { id, owner, mb: estimateVariant(sourceFacts(rec), spec, 'webp').memoryMB };
    };
    const shallow = await plan('avif/10bit.avif'); // 10-bit 4:2:0: 3 bytes a pixel
    const deep = await plan('avif/10bit-444.avif'); // 10-bit 4:4:4: 6 bytes a pixel
    expect(deep.mb).toBeGreaterThan(shallow.mb);
    await env.DB.prepare('UPDATE images SET avif_bit_depth = NULL, avif_chroma = NULL WHERE id = ?')
      .bind(shallow.id)
      .run();
    const before = (await getImage(env.DB, shallow.owner, shallow.id))!;
    expect(before.avifCoding).toBeUndefined();
    // The same file as 10-bit 4:2:0 is charged at least a 10-bit 4:4:4 frame.
    const unknown = estimateVariant(sourceFacts(before), spec, 'webp').memoryMB;
    expect(unknown).toBeGreaterThan(shallow.mb);
    expect(unknown).toBeGreaterThan(deep.mb - 0.1); // the two files differ by a few KB
  });
});
