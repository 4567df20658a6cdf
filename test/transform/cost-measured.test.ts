/**
 * The planner against measurement: for every grid pipeline recorded by
 * `node bench/grid-memory.mjs` (one fresh workerd per case, VmHWM), the planner's memory
 * estimate of the same variant of the same source, made the same way, must be at least the
 * measured peak above the idle isolate (`peakAboveIdleMB`: the input held, the codecs
 * instantiated and the pipeline's buffers). An estimate below a measurement would let the
 * planner place a variant inline or in the consumer that does not fit there; the one
 * exception is a variant that measured over the consumer's budget and that the planner
 * refuses too (nothing runs it, so how far over does not matter).
 *
 * bench/results/2026-12-05-memory.json ran every case on its default shape (runPipeline);
 * 2026-12-05-planner-memory.json on the shape the planner picks (transform/fallback.ts: the
 * libjpeg-turbo M/8 fallback where only that fits), and `|m8` cases on that fallback forced;
 * 2026-12-05-decode-memory.json likewise, the JPEG cases measured again for the JPEG module's
 * refit (jpeg-cost.ts `scaledModuleMb`); 2026-12-05-beyond-memory.json (`beyond:` cases, wider
 * outputs and other encoders than the grid's) on the planner's shape. A case whose shape
 * changed since is measured again on the new shape (its `replaces` field gives the old peak).
 * 2026-12-05-jpeg-rows-memory.json: JPEG outputs on the planner's shape (`beyond:` cases, where
 * the rows encoder replaces mozjpeg: they supersede the beyond file's cases of the same id, made
 * with mozjpeg) and on libjpeg-turbo's rows encoder forced (`jrows:` cases, `jpegRows`).
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import measured from '../../bench/results/2026-12-05-memory.json';
import planned from '../../bench/results/2026-12-05-planner-memory.json';
import refit from '../../bench/results/2026-12-05-decode-memory.json';
import beyond from '../../bench/results/2026-12-05-beyond-memory.json';
import jpegRows from '../../bench/results/2026-12-05-jpeg-rows-memory.json';
import { probe } from '../../src/codecs/probe';
import type { EncodeFormat } from '../../src/codecs/types';
import { loadConfig } from '../../src/config';
import { estimateShape, type PlanShape, type PlanSource } from '../../src/transform/cost';
import { decodeFallback, placeShape } from '../../src/transform/fallback';
import { shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import { fixture } from '../helpers';

interface Measured {
  output: string;
  peakAboveIdleMB: number;
}

/** How a results file ran its cases: the default shape, or the planner's (see above). */
type Made = 'default' | 'planned';
const gridCases = (file: { cases: Record<string, Measured> }, made: Made) =>
  Object.entries(file.cases)
    .filter(([id]) => id.startsWith('grid:') || id.startsWith('beyond:'))
    .map(([id, m]) => {
      const [label = '', t = '', f = '', m8 = ''] = id.replace(/^\w+:/, '').split('|');
      const how = m8 === 'm8' ? ('m8' as const) : made;
      return { id: `${id} (${made})`, label, t, f: f as EncodeFormat, how, m };
    });
/** The rows-encoder file's cases: `beyond:` on the planner's shape, `jrows:` forced. */
const rowsCases = Object.entries((jpegRows as { cases: Record<string, Measured> }).cases).map(
  ([id, m]) => {
    const [kind = '', rest = ''] = id.split(/:(.*)/s);
    const [label = '', t = '', f = ''] = rest.split('|');
    const how = kind === 'jrows' ? ('rows' as const) : ('planned' as const);
    return { id: `${id} (rows file)`, label, t, f: f as EncodeFormat, how, m };
  },
);
const CASES = [
  ...rowsCases,
  ...gridCases(measured as { cases: Record<string, Measured> }, 'default'),
  ...gridCases(planned as { cases: Record<string, Measured> }, 'planned'),
  ...gridCases(refit as { cases: Record<string, Measured> }, 'planned').map((c) => ({
    ...c,
    id: c.id.replace('(planned)', '(refit)'),
  })),
  // Superseded by the rows file's measurement of the same variant on its new shape.
  ...gridCases(beyond as { cases: Record<string, Measured> }, 'planned').filter(
    (c) => !(c.id.replace(/ \(planned\)$/, '') in jpegRows.cases),
  ),
];

const facts = new Map<string, PlanSource>();
const config = loadConfig({});
const { queueBudgetMb } = config;

/** The shape a case was made on (see the module comment). */
function shapeOf(
  src: PlanSource,
  t: string,
  f: EncodeFormat,
  how: Made | 'm8' | 'rows',
): PlanShape {
  const shape = shapeVariant(src, parseTransform(t));
  if (how === 'default') return shape;
  if (how === 'rows') return { ...shape, jpegRows: true };
  if (how === 'planned') return placeShape(shape, f, config).shape;
  const alt = decodeFallback(shape);
  if (!alt) throw new Error(`${t}: no decode fallback`);
  return alt;
}

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
    for (const { label, t, f, how } of CASES) {
      const src = facts.get(label)!;
      const shape = shapeOf(src, t, f, how);
      const { eighths, inModule, scale } = shape.decode;
      const { crop, resize } = shape.geometry;
      const resized = crop.width !== resize.width || crop.height !== resize.height;
      const underTwo = how !== 'default' && shape !== shapeVariant(src, parseTransform(t));
      if (eighths && underTwo)
        paths.add(`libjpeg-turbo M/8 fallback${src.progressive ? ' (progressive)' : ''}`);
      else if (eighths)
        paths.add(
          eighths < 8
            ? 'libjpeg-turbo M/8 reduction'
            : `libjpeg-turbo 8/8${src.progressive ? ' (progressive)' : ''}`,
        );
      else if (src.format === 'jpeg')
        paths.add(inModule ? `jpeg_scaled 1/${scale}` : 'mozjpeg (progressive)');
      else if (src.format === 'webp')
        paths.add(
          src.webpLossless
            ? 'webp lossless'
            : inModule
              ? 'webp scaled fallback'
              : scale > 1
                ? 'webp scaled'
                : 'webp 1/1',
        );
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
        'libjpeg-turbo 8/8 (progressive)',
        'libjpeg-turbo M/8 fallback',
        'libjpeg-turbo M/8 fallback (progressive)',
        'libjpeg-turbo M/8 reduction',
        'png',
        'resize.wasm',
        'webp lossless',
        'webp scaled',
        'webp scaled fallback',
      ]),
    );
  });

  it.each(CASES)('$id', ({ label, t, f, how, m }) => {
    const src = facts.get(label);
    expect(src, label).toBeDefined();
    const est = estimateShape(shapeOf(src!, t, f, how), f);
    const [width = 0, height = 0] = m.output.split('x').map(Number);
    expect(est.outputPixels).toBe(width * height); // the same variant as measured
    if (est.memoryMB > queueBudgetMb && m.peakAboveIdleMB > queueBudgetMb) return; // refused
    expect(est.memoryMB).toBeGreaterThanOrEqual(m.peakAboveIdleMB);
  });
});
