/**
 * The planner against measurement: for every grid pipeline recorded by
 * `node bench/grid-memory.mjs` (bench/results/2026-12-05-memory.json: one fresh workerd per
 * case, VmHWM), the planner's memory estimate of the same variant of the same source must be
 * at least the measured peak above the idle isolate (`peakAboveIdleMB`: the input held, the
 * codecs instantiated and the pipeline's buffers). An estimate below a measurement would let
 * the planner place a variant inline or in the consumer that does not fit there; the one
 * exception is a variant that measured over the consumer's budget and that the planner
 * refuses too (nothing runs it, so how far over does not matter).
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import measured from '../../bench/results/2026-12-05-memory.json';
import { probe } from '../../src/codecs/probe';
import type { EncodeFormat } from '../../src/codecs/types';
import { loadConfig } from '../../src/config';
import { estimateVariant, type PlanSource } from '../../src/transform/cost';
import { shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { fixture } from '../helpers';

interface Measured {
  output: string;
  peakAboveIdleMB: number;
}

const CASES = Object.entries(measured.cases as Record<string, Measured>)
  .filter(([id]) => id.startsWith('grid:'))
  .map(([id, m]) => {
    const [label = '', t = '', f = ''] = id.slice('grid:'.length).split('|');
    return { id, label, t, f: f as EncodeFormat, m };
  });

const facts = new Map<string, PlanSource>();
const { queueBudgetMb } = loadConfig({});

beforeAll(async () => {
  const sources = (await (await env.FIXTURES.fetch('http://fixtures/grid/')).json()) as {
    label: string;
    path: string;
  }[];
  for (const s of sources) {
    const bytes = await fixture(s.path);
    const p = probe(bytes);
    facts.set(s.label, { ...p, bytes: bytes.byteLength, focal: null });
  }
}, 120_000);

describe('the planner covers every measured grid peak', () => {
  it('has the grid cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
  });

  it('measures every decode and resize path the planner prices', () => {
    const paths = new Set<string>();
    for (const { label, t } of CASES) {
      const src = facts.get(label)!;
      const shape = shapeVariant(src, parseTransform(t));
      const { eighths, inModule, scale } = shape.decode;
      const { crop, resize } = shape.geometry;
      const resized = crop.width !== resize.width || crop.height !== resize.height;
      if (eighths) paths.add(eighths < 8 ? 'libjpeg-turbo M/8 reduction' : 'libjpeg-turbo 8/8');
      else if (src.format === 'jpeg')
        paths.add(inModule ? `jpeg_scaled 1/${scale}` : 'mozjpeg (progressive)');
      else if (src.format === 'webp')
        paths.add(src.webpLossless ? 'webp lossless' : scale > 1 ? 'webp scaled' : 'webp 1/1');
      else paths.add(src.format);
      if (resized && !inModule) paths.add(src.hasAlpha ? 'resize.wasm alpha' : 'resize.wasm');
    }
    expect([...paths].sort()).toEqual(
      expect.arrayContaining([
        'avif',
        'gif',
        'jpeg_scaled 1/1',
        'jpeg_scaled 1/2',
        'jpeg_scaled 1/4',
        'jpeg_scaled 1/8',
        'libjpeg-turbo 8/8',
        'libjpeg-turbo M/8 reduction',
        'mozjpeg (progressive)',
        'png',
        'resize.wasm',
        'resize.wasm alpha',
        'webp lossless',
        'webp scaled',
      ]),
    );
  });

  it.each(CASES)('$id', ({ label, t, f, m }) => {
    const src = facts.get(label);
    expect(src, label).toBeDefined();
    const est = estimateVariant(src!, parseTransform(t), f);
    const [width = 0, height = 0] = m.output.split('x').map(Number);
    expect(est.outputPixels).toBe(width * height); // the same variant as measured
    if (est.memoryMB > queueBudgetMb && m.peakAboveIdleMB > queueBudgetMb) return; // refused
    expect(est.memoryMB).toBeGreaterThanOrEqual(m.peakAboveIdleMB);
  });
});
