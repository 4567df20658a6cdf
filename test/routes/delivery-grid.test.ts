/**
 * The issue-13 grid through the Worker: 15 sources (scripts/lib/grid-sources.mjs: phone
 * photos, 4.9–24 MP JPEGs, 12 MP PNG/WebP lossy/WebP lossless/AVIF, a 4 MP 16-bit PNG, a 2 MP
 * GIF, a 3 MP alpha PNG, 48 MP and 99.6 MP JPEGs) × 10 common variants. Every cell must
 * answer the requested format and size: inline, or a stand-in of the requested size and
 * format (for AVIF, WebP or JPEG may stand in) and, once the queue consumer has run, the real
 * variant. Only a full-size output may instead be a 422 that names the limit and says what
 * would work (`Request w=N or less`); never a 503 (since session 12 every full-size miss sent
 * to the queue has a stand-in that fits the inline budget: the original made at 1/2-1/8, or
 * the nearest stored variant, enlarged into WebP at method 0, delivery/stand-in.ts).
 *
 * The test is strict. Cells that fail today are listed below, each with the reason; they run
 * as `it.fails`, so a cell that starts passing fails the run until it is taken off its list.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { probe, sniffFormat } from '../../src/codecs/probe';
import { planVariant } from '../../src/transform/pipeline';
import { sourceFacts } from '../../src/transform/cost';
import { parseTransform } from '../../src/transform/spec';
import type { ImageRecord } from '../../src/storage/images-db';
import { call, fixture, KEYS } from '../helpers';
import { envWith, FakeQueue, pump } from '../work/helpers';

/** What a browser that takes everything sends. */
const ACCEPT = { Accept: 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8' };

/** The 10 variants; presets with their options (src/transform/presets.ts). */
const VARIANTS: { path: string; options: string; full?: boolean }[] = [
  { path: 'thumbnail', options: 'w=150,h=150,fit=cover,f=auto' },
  { path: 'w=400,f=webp', options: 'w=400,f=webp' },
  { path: 'w=800,f=webp', options: 'w=800,f=webp' },
  { path: 'w=800,f=avif', options: 'w=800,f=avif' },
  { path: 'w=800,f=jpeg', options: 'w=800,f=jpeg' },
  { path: 'w=1600,f=webp', options: 'w=1600,f=webp' },
  { path: 'large', options: 'w=1600,f=auto' },
  { path: 'w=2000,h=2000,fit=cover,f=webp', options: 'w=2000,h=2000,fit=cover,f=webp' },
  { path: 'f=webp', options: 'f=webp', full: true },
  { path: 'w=800,f=auto', options: 'w=800,f=auto' },
];

/**
 * Cells that fail for other parts of the engine (issue 13) that no branch builds yet, keyed
 * `<source> × <variant>`, each with its cause (the 422's estimate, src/transform/cost.ts); they
 * run as `it.fails`. None left: the last two (12 MP AVIF and 3 MP alpha PNG × 2000 cover) are
 * served since session 8. Measured peaks: workerd VmHWM above idle (`node
 * bench/grid-memory.mjs`, bench/results/2026-12-05-memory.json and
 * 2026-12-05-planner-memory.json); the planner's estimates must never be below them
 * (test/transform/cost-measured.test.ts).
 */
const AWAITING_OTHER = new Map<string, string>();

/** One grid source as the fixtures service lists it. */
interface Source {
  label: string;
  path: string;
}

/** The answer's format and size, from its header. */
function described(bytes: Uint8Array): { format: string; width: number; height: number } {
  const format = sniffFormat(bytes);
  if (!format) throw new Error('the answer is not an image');
  const { width, height } = probe(bytes);
  return { format, width, height };
}

/** Formats acceptable for a requested one (`auto`: AVIF or WebP for this Accept). */
const acceptable = (requested: string, standIn: boolean): string[] => {
  if (requested === 'auto') return ['avif', 'webp'];
  if (requested === 'avif' && standIn) return ['avif', 'webp', 'jpeg'];
  return [requested];
};

/** The 15 labels, in table order (scripts/lib/grid-sources.mjs). */
const LABELS = [
  '12 MP phone JPEG',
  '8 MP phone JPEG (portrait, EXIF 6)',
  '4.9 MP progressive JPEG',
  '6.1 MP JPEG',
  '12 MP JPEG (Carrie)',
  '24 MP progressive JPEG',
  '12 MP PNG',
  '12 MP WebP (lossy)',
  '12 MP WebP (lossless)',
  '12 MP AVIF',
  '4 MP 16-bit PNG',
  '2 MP GIF',
  '3 MP alpha PNG',
  '48 MP JPEG',
  '99.6 MP JPEG',
];

let sources: Source[] = [];
const uploaded = new Map<string, ImageRecord>();

beforeAll(async () => {
  sources = (await (await env.FIXTURES.fetch('http://fixtures/grid/')).json()) as Source[];
  for (const label of LABELS) await image(label);
}, 300_000);

/** Uploads a source once (raw body with its length: over 16 MiB it streams). */
async function image(label: string): Promise<ImageRecord> {
  const known = uploaded.get(label);
  if (known) return known;
  const source = sources.find((s) => s.label === label);
  if (!source) throw new Error(`no grid source ${label}`);
  const bytes = await fixture(source.path);
  const res = await call('/v1/images', {
    method: 'POST',
    body: bytes,
    key: KEYS.alice,
    headers: { 'Content-Length': String(bytes.byteLength) },
  });
  const json = (await res.json()) as Record<string, unknown>;
  expect([200, 201], JSON.stringify(json)).toContain(res.status);
  const rec = (await env.DB.prepare('SELECT * FROM images WHERE id = ?').bind(json.id).first<{
    format: string;
    width: number;
    height: number;
    orientation: number;
  }>())!;
  const record = {
    format: rec.format,
    width: rec.width,
    height: rec.height,
    orientation: rec.orientation,
    hasAlpha: json.has_alpha ?? false,
    frames: 1,
    id: json.id,
  } as unknown as ImageRecord;
  uploaded.set(label, record);
  return record;
}

/** Checks one answer: an image of an acceptable format at the planned size. */
async function expectImage(
  res: Response,
  requested: string,
  size: { width: number; height: number },
  standIn: boolean,
) {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const got = described(bytes);
  expect(acceptable(requested, standIn)).toContain(got.format);
  expect({ width: got.width, height: got.height }).toEqual(size);
}

describe.each(LABELS)('grid: %s', (label) => {
  for (const variant of VARIANTS) {
    const name = `${label} × ${variant.path}`;
    const reason = AWAITING_OTHER.get(name);
    const test = reason ? it.fails : it;
    test(reason ? `${variant.path} (fails today: ${reason})` : variant.path, async () => {
      const rec = await image(label);
      const spec = parseTransform(variant.options);
      const { canvas } = planVariant(sourceFacts(rec), spec).geometry;
      const size = { width: canvas.width, height: canvas.height };
      const requested = spec.format ?? 'same';
      const q = new FakeQueue();
      const url = `/img/${rec.id}/${variant.path}`;
      const first = await call(url, { headers: ACCEPT, env: envWith(q) });
      if (first.status === 422 && variant.full) {
        // Only a full-size output may be refused, saying what would work.
        const problem = (await first.json()) as { detail: string };
        expect(problem.detail).toMatch(/Request w=\d+ or less/);
        return;
      }
      expect(first.status, await first.clone().text()).toBe(200);
      const standIn = first.headers.get('X-Variant-Source') === 'stand-in';
      await expectImage(first, requested, size, standIn);
      if (!standIn) return;
      await pump(q, envWith(q));
      const real = await call(url, { headers: ACCEPT, env: envWith(q) });
      expect(real.status, await real.clone().text()).toBe(200);
      expect(real.headers.get('X-Variant-Source')).not.toBe('stand-in');
      await expectImage(real, requested, size, false);
    });
  }
});
