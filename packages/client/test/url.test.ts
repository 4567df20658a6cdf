/**
 * The URL builder against the Worker: canonical strings equal the Worker's for a
 * property-based sample of options (asked of the running service with `format=json`, which
 * answers the canonical options it derived), refusals match, and srcset/sizes helpers.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalOptions,
  createUrlBuilder,
  signUrl,
  sizes,
  transformString,
  TransformError,
  type SigningKey,
  type TransformOptions,
} from '../src/index';
import { service, testClient, uploadFixture } from '../../test/helpers';

describe('transformString (offline)', () => {
  it('writes the canonical form: full names, fixed order, defaults omitted', () => {
    expect(transformString({ format: 'auto', width: 800 })).toBe('width=800,format=auto');
    expect(transformString({ fit: 'scale-down', dpr: 1, rotate: 0, gravity: 'center' })).toBe('');
    expect(transformString({ gravity: { x: 0.5, y: 0 }, background: '#FFF' })).toBe(
      'gravity=top,background=ffffff',
    );
    expect(canonicalOptions('f=jpg,q=80,w=320,flip=vh')).toBe(
      'width=320,flip=hv,quality=80,format=jpeg',
    );
  });

  it('refuses what the Worker refuses, naming the option', () => {
    const refused = (o: TransformOptions) => {
      try {
        transformString(o);
      } catch (err) {
        expect(err).toBeInstanceOf(TransformError);
        return (err as TransformError).option;
      }
      return 'accepted';
    };
    expect(refused({ width: 0 })).toBe('width');
    expect(refused({ width: 800.5 })).toBe('width');
    expect(refused({ quality: 101 })).toBe('quality');
    expect(refused({ width: 5000, dpr: 2 })).toBe('dpr');
    expect(refused({ background: 'reddish' })).toBe('background');
    expect(refused({ fit: 'fill' as never })).toBe('fit');
  });

  it('builds srcset by widths (keeping the aspect ratio) and by densities, and sizes', () => {
    const urls = createUrlBuilder({ baseUrl: 'https://img.test/' });
    expect(urls.url('AbCdEfGhIjKlMnOp')).toBe('https://img.test/img/AbCdEfGhIjKlMnOp/original');
    expect(urls.url('AbCdEfGhIjKlMnOp', 'thumbnail')).toBe(
      'https://img.test/img/AbCdEfGhIjKlMnOp/thumbnail',
    );
    expect(urls.srcset('id1', { widths: [640, 320], width: 640, height: 480, fit: 'cover' })).toBe(
      'https://img.test/img/id1/width=320,height=240,fit=cover,format=auto 320w, ' +
        'https://img.test/img/id1/width=640,height=480,fit=cover,format=auto 640w',
    );
    expect(urls.srcset('id1', { width: 400, densities: [1, 2], format: 'webp' })).toBe(
      'https://img.test/img/id1/width=400,format=webp 1x, ' +
        'https://img.test/img/id1/width=400,dpr=2,format=webp 2x',
    );
    // 5000 px at dpr 2 would be refused: dropped.
    expect(urls.srcset('id1', { widths: [1000, 5000], dpr: 2 })).toBe(
      'https://img.test/img/id1/width=1000,dpr=2,format=auto 1000w',
    );
    expect(sizes([['(max-width: 640px)', '100vw']], '50vw')).toBe('(max-width: 640px) 100vw, 50vw');
  });
});

/** Options with Cloudflare names, some of them out of range (the Worker must refuse those). */
const optionsArb: fc.Arbitrary<TransformOptions> = fc.record(
  {
    width: fc.integer({ min: 0, max: 9000 }),
    height: fc.integer({ min: 1, max: 4000 }),
    dpr: fc.oneof(fc.constantFrom(1, 1.5, 2, 3), fc.double({ min: 1, max: 4.5, noNaN: true })),
    fit: fc.constantFrom('scale-down', 'contain', 'cover', 'crop', 'pad'),
    gravity: fc.oneof(
      fc.constantFrom('auto', 'center', 'top', 'left', 'bottom-right'),
      fc.record({
        x: fc.constantFrom(0, 0.25, 0.5, 1, 0.33333),
        y: fc.constantFrom(0, 0.5, 0.7, 1),
      }),
    ),
    rotate: fc.constantFrom(0, 90, 180, 270),
    flip: fc.constantFrom('h', 'v', 'hv'),
    background: fc.constantFrom('#fff', 'FFFFFF80', '#00000000', '#12ab'),
    blur: fc.constantFrom(0, 1, 2.5, 250, 300),
    sharpen: fc.constantFrom(0, 0.5, 10),
    quality: fc.integer({ min: 0, max: 101 }),
    anim: fc.boolean(),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<TransformOptions>;

/** Aliases the Worker accepts for some option names. */
const ALIASES: Record<string, string> = {
  width: 'w',
  height: 'h',
  gravity: 'g',
  quality: 'q',
  format: 'f',
};

/** A written spelling of the options as a user might type it: aliases, any order. */
function spell(o: TransformOptions, aliases: boolean[], order: number[]): string {
  const parts = Object.entries(o).map(([k, v], i) => {
    const name = aliases[i % aliases.length] && ALIASES[k] ? ALIASES[k] : k;
    let value: string;
    if (k === 'gravity' && typeof v === 'object') value = `${v.x}x${v.y}`;
    else if (k === 'background') value = String(v).replace('#', '%23');
    else if (typeof v === 'number') value = Number.isInteger(v) ? String(v) : v.toFixed(8);
    else value = String(v);
    return `${name}=${value}`;
  });
  return parts
    .map((p, i) => [p, order[i % order.length] ?? 0] as const)
    .sort((a, b) => a[1] - b[1])
    .map(([p]) => p)
    .join(',');
}

describe('URLs against the running Worker', () => {
  let id: string;
  beforeAll(async () => {
    id = await uploadFixture(testClient(), 'small/Giunchedi_Filippo_January_2015_01.jpg');
  });

  it("equal the Worker's canonical URL for a sample of options; refusals agree", async () => {
    const client = testClient();
    let accepted = 0;
    let refusedBoth = 0;
    await fc.assert(
      fc.asyncProperty(
        optionsArb,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        async (options, aliases, order) => {
          // format=json makes the Worker answer the canonical options it derived.
          const withJson: TransformOptions = { ...options, format: 'json' };
          const written = spell(withJson, aliases, order);
          const key = service().signingKeys[0] as SigningKey;
          const answer = await fetch(await signUrl(`${service().url}/img/${id}/${written}`, key));
          let mine: string | undefined;
          try {
            mine = transformString(withJson);
          } catch (err) {
            expect(err).toBeInstanceOf(TransformError);
          }
          if (mine === undefined) {
            expect(answer.status).toBe(400);
            const problem = (await answer.json()) as { option?: string };
            expect(problem.option).toBeDefined();
            refusedBoth++;
            return;
          }
          expect(answer.status).toBe(200);
          const body = (await answer.json()) as { options: string };
          expect(body.options).toBe(mine);
          expect(client.url(id, withJson)).toBe(`${service().url}/img/${id}/${body.options}`);
          accepted++;
        },
      ),
      { numRuns: 40, seed: 18 },
    );
    expect(accepted).toBeGreaterThan(5);
    expect(refusedBoth).toBeGreaterThan(2);
  });
});
