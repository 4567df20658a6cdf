/**
 * The colour-managed fact of an original (migrations/0010_colour_managed.sql, recorded by
 * src/images/ingest.ts): whether making its variants runs the colour transform. An upload
 * with an embedded ICC profile, and every AVIF, is recorded 1; one without a profile 0, and
 * the planner then leaves the transform's memory and time out of its estimates
 * (src/transform/cost.ts sourceFacts); a row stored before the column (NULL) is charged them.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getImage } from '../../src/storage/images-db';
import { estimateVariant, sourceFacts } from '../../src/transform/cost';
import { parseTransform } from '../../src/transform/spec';
import { fixture, KEYS, upload } from '../helpers';

/** The `colour_managed` column of the uploaded image's row. */
async function stored(path: string): Promise<{ id: string; owner: string; value: unknown }> {
  const { res, json } = await upload(await fixture(path), KEYS.alice);
  expect([200, 201], JSON.stringify(json)).toContain(res.status);
  const row = await env.DB.prepare('SELECT owner, colour_managed FROM images WHERE id = ?')
    .bind(json.id)
    .first<{ owner: string; colour_managed: unknown }>();
  return { id: json.id as string, owner: row!.owner, value: row!.colour_managed };
}

describe('the colour-managed fact of an upload', () => {
  it.each([
    ['images/kodak/kodim05.png', 0], // no iCCP
    ['images/animated/rotating-squares.gif', 0], // GIF: no profile is read
    ['images/color/Shoes-AdobeRGB.jpg', 1], // Adobe RGB in APP2
    ['images/color/prophoto.png', 1], // iCCP
    ['avif/p3-nclx.avif', 1], // AVIF: nclx primaries may need converting
  ])('%s is stored as %i', async (path, expected) => {
    expect((await stored(path)).value).toBe(expected);
  });

  it('an untagged original is planned without the colour transform; an unknown one with it', async () => {
    const { id, owner } = await stored('images/kodak/kodim05.png');
    const rec = (await getImage(env.DB, owner, id))!;
    expect(rec.colourManaged).toBe(false);
    const spec = parseTransform('w=400,f=webp');
    const untagged = estimateVariant(sourceFacts(rec), spec, 'webp');
    // The same row as stored before migration 0010 (NULL): charged the transform.
    await env.DB.prepare('UPDATE images SET colour_managed = NULL WHERE id = ?').bind(id).run();
    const before = (await getImage(env.DB, owner, id))!;
    expect(before.colourManaged).toBeUndefined();
    const unknown = estimateVariant(sourceFacts(before), spec, 'webp');
    expect(unknown.memoryMB).toBeGreaterThan(untagged.memoryMB);
    expect(unknown.cpuMs).toBeGreaterThan(untagged.cpuMs);
  });
});
