/** The `card` message handler: the image card (once per image). */
import type { Config } from '../config';
import { computeCard } from '../images/card';
import { logEvent } from '../observability/log';
import type { CardMessage } from './messages';
import { getImageById, setImageCard } from '../storage/images-db';
import { getOriginal } from '../storage/originals';
import { estimateVariant, overBudget, queueBudget, sourceFacts } from '../transform/cost';
import { CARD_SPEC } from '../images/card';

/**
 * Handles a `card` message: computes and stores the ThumbHash, colour and attention point. A
 * deleted image, a card already stored (with its attention point: older cards are remade),
 * an undecodable original or one too large to decode are not retried.
 * @throws on transient failures (R2, D1).
 */
export async function processCard(env: Env, config: Config, m: CardMessage): Promise<void> {
  const rec = await getImageById(env.DB, m.imageId);
  if (!rec || (rec.thumbhash && rec.focal)) return;
  const src = sourceFacts(rec);
  const over = overBudget(estimateVariant(src, CARD_SPEC, 'png'), queueBudget(config));
  if (over.length) {
    logEvent('warn', 'card skipped', { id: rec.id, over });
    return;
  }
  const obj = await getOriginal(env.BUCKET, rec.sha256);
  if (!obj) throw new Error(`the original ${rec.sha256.slice(0, 16)} is missing from R2`);
  const card = await computeCard(new Uint8Array(await obj.arrayBuffer()), src);
  await setImageCard(env.DB, rec.id, card);
}
