/**
 * What a refused variant's 422 suggests (src/transform/suggest.ts): the widest output of the
 * same request the planner does not refuse.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { estimateVariant, placement, type PlanSource } from '../../src/transform/cost';
import { placeShape } from '../../src/transform/fallback';
import { shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { largestFeasibleWidth, withOutputWidth } from '../../src/transform/suggest';

const config = loadConfig(env);
/** The grid's 48 MP JPEG (scripts/lib/grid-sources.mjs): 6000x8000, 6.2 MB. */
const jpeg48: PlanSource = {
  format: 'jpeg',
  width: 6000,
  height: 8000,
  orientation: 1,
  hasAlpha: false,
  bytes: 6_157_576,
};

describe('largestFeasibleWidth', () => {
  it('is the widest output that is not refused, for full-size and boxed requests', () => {
    for (const [src, t] of [
      [jpeg48, 'f=webp'],
      // (4000 and 5000 cover fit the queue since the rows path's refit and libwebp's level store.)
      [jpeg48, 'w=6000,h=6000,fit=cover,f=webp'],
    ] as const) {
      const spec = parseTransform(t);
      const format = t.includes('avif') ? 'avif' : 'webp';
      expect(placement(estimateVariant(src, spec, format), config)).toBe('refuse');
      const w = largestFeasibleWidth(src, spec, format, config);
      expect(w, t).not.toBeNull();
      const canvas = spec.width ?? src.width;
      // Placed as a request is (the decode fallbacks included), as largestFeasibleWidth does.
      const at = (x: number) =>
        placeShape(shapeVariant(src, withOutputWidth(spec, canvas, x)), format, config).placement;
      expect(at(w!), t).not.toBe('refuse');
      expect(at(w! + 1), t).toBe('refuse');
    }
  });

  it('is null when no size fits (a 48 MP PNG is decoded whole)', () => {
    const png: PlanSource = { ...jpeg48, format: 'png', bytes: undefined };
    expect(largestFeasibleWidth(png, parseTransform('w=800,f=webp'), 'webp', config)).toBeNull();
  });

  it('keeps the aspect of a box and folds dpr into it', () => {
    const spec = parseTransform('w=1000,h=500,dpr=2,fit=cover');
    expect(withOutputWidth(spec, 2000, 800)).toMatchObject({ width: 800, height: 400, dpr: 1 });
  });
});
