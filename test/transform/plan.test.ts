/**
 * One VariantPlan per request: its shape (geometry, decode plan), format, estimate and
 * placement are those of the pipeline and the planner, computed once for every candidate.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { estimateVariant, placement, type PlanSource } from '../../src/transform/cost';
import { geometryPlanCount, shapeVariant } from '../../src/transform/pipeline';
import { planRequest } from '../../src/transform/plan';
import { canonicalTransform, parseTransform } from '../../src/transform/spec';
import { call, fixture, upload } from '../helpers';

const config = loadConfig({});
/** A 3 MP PNG with alpha. */
const bug: PlanSource = {
  format: 'png',
  width: 2048,
  height: 1536,
  orientation: 1,
  hasAlpha: true,
};
const photo: PlanSource = {
  format: 'jpeg',
  width: 3000,
  height: 4000,
  orientation: 6,
  hasAlpha: false,
};

describe('planRequest', () => {
  it.each([
    ['f=auto of an alpha PNG', bug, 'w=800,f=auto'],
    ['f=auto', photo, 'w=400,h=300,fit=cover,f=auto'],
    ['an explicit format', photo, 'w=1200,f=jpeg'],
  ])('holds the shape, format, estimate and placement of the request (%s)', (_, src, text) => {
    const spec = parseTransform(text);
    const plan = planRequest(src, spec, canonicalTransform(spec), 'avif', src, config);
    expect(plan.geometry).toEqual(shapeVariant(src, spec).geometry);
    expect(plan.estimate).toEqual(estimateVariant(src, spec, plan.format));
    expect(plan.placement).toBe(placement(plan.estimate, config));
    expect(plan.negotiated).toBe(spec.format === 'auto');
  });

  it('answers f=auto with the first candidate the planner does not refuse', () => {
    const spec = parseTransform('w=800,f=auto');
    // Budgets between the WebP and the AVIF estimate: AVIF refused, WebP not.
    const avif = estimateVariant(bug, spec, 'avif');
    const webp = estimateVariant(bug, spec, 'webp');
    expect(webp.memoryMB).toBeLessThan(avif.memoryMB);
    const mb = String(Math.floor((webp.memoryMB + avif.memoryMB) / 2));
    const tight = loadConfig({
      INLINE_BUDGET_MB: mb,
      QUEUE_BUDGET_MB: mb,
      INLINE_BUDGET_MS: '100000',
      QUEUE_BUDGET_MS: '100000',
    });
    const plan = planRequest(bug, spec, canonicalTransform(spec), 'avif', bug, tight);
    expect(placement(avif, tight)).toBe('refuse');
    expect(plan.format).toBe('webp');
    expect(plan.placement).not.toBe('refuse');
  });
});

describe('one geometry plan per miss', () => {
  it.each([
    [
      'a JPEG, f=auto for an AVIF-capable browser',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg',
      'w=200,f=auto',
    ],
    ['a PNG with alpha and a profile, f=auto', 'images/color/p3.png', 'w=40,fit=cover,h=30,f=auto'],
    ['a WebP with alpha, explicit format', 'images/alpha/5_webp_a.webp', 'w=120,f=png'],
  ])('plans the geometry once through the Worker (%s)', async (_, file, transform) => {
    const { res, json } = await upload(await fixture(file));
    expect(res.status).toBe(201);
    const before = geometryPlanCount();
    const miss = await call(`/img/${json.id as string}/${transform}`, {
      headers: { Accept: 'image/avif,image/webp,image/*' },
    });
    expect(miss.status).toBe(200);
    expect(miss.headers.get('X-Cache')).toBe('MISS');
    // Estimate, every format candidate, placement and the pipeline share one VariantPlan.
    expect(geometryPlanCount() - before).toBe(1);
    // A hit plans nothing.
    const hit = await call(`/img/${json.id as string}/${transform}`, {
      headers: { Accept: 'image/avif,image/webp,image/*' },
    });
    expect(hit.headers.get('X-Cache')).toBe('HIT');
    expect(geometryPlanCount() - before).toBe(1);
  });
});
