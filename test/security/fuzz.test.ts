/**
 * Fuzz targets (fast-check) for the three parsers that see attacker bytes first, and for the
 * decoders behind them (AVIF, PNG, JPEG, and lossless WebP read as rows):
 * - the header probe and upload check (src/codecs/probe/, images/ingest.ts checkHeader,
 *   codecs/probe/webp.ts): random bytes, random bytes behind each magic number, and
 *   mutated real files. Only ProbeError / 413-415-422 problems may escape; facts are bounded.
 * - the transform-option parser (transform/spec.ts): grammar-shaped and random strings. Only
 *   400 problems escape; a parsed spec's canonical string parses back to itself.
 * - the signature verifier (security/signature.ts): random and mutated presentations and URLs
 *   never throw and never verify.
 *
 * `npm test` runs a small number of cases (≤ 2 s); `npm run fuzz` runs the same properties
 * with `__FUZZ_RUNS__` (default 100,000) each, set by vitest.fuzz.config.ts, and prints
 * runs and failures per target.
 */
import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAvif } from '../../src/codecs/avif';
import { decodeJpegTurbo, openJpegTurboRows, type JpegEighths } from '../../src/codecs/jpeg-turbo';
import { decodeImage } from '../../src/codecs/decode';
import { decodePngResized } from '../../src/codecs/png-scaled';
import { resizeImage } from '../../src/codecs/resize';
import { MAX_DIMENSION, probe, ProbeError } from '../../src/codecs/probe';
import { DecodeError } from '../../src/codecs/types';
import { decodeWebp, encodeWebp, openWebpRows } from '../../src/codecs/webp';
import { loadConfig } from '../../src/config';
import { HttpError } from '../../src/errors';
import { checkHeader } from '../../src/images/ingest';
import {
  presentedSignature,
  signingKeySet,
  signPath,
  verifySignature,
  type SigningKeySet,
} from '../../src/security/signature';
import { webpLosslessReason } from '../../src/codecs/probe/webp';
import { canonicalTransform, parseTransform } from '../../src/transform/spec';
import { fixture } from '../helpers';
import { SIGNING } from './helpers';

declare const __FUZZ_RUNS__: number | undefined;
/** Cases per target: set by `npm run fuzz`, small inside `npm test`. */
const FUZZ = typeof __FUZZ_RUNS__ === 'number' ? __FUZZ_RUNS__ : 0;
const runs = (small: number) => (FUZZ > 0 ? FUZZ : small);
const TIMEOUT = FUZZ > 0 ? 3_600_000 : 30_000;

/** Runs `property` and reports runs and failures (fast-check stops at the first failure). */
async function fuzz<Ts>(name: string, property: fc.IRawProperty<Ts>, n: number): Promise<void> {
  const started = Date.now();
  const details = await fc.check(property, { numRuns: n });
  const failures = details.failed ? 1 : 0;
  if (FUZZ > 0)
    console.log(
      `fuzz ${name}: ${details.numRuns} runs, ${failures} failures, ${details.numSkips} skipped, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  expect(details.failed, fc.defaultReportMessage(details) ?? '').toBe(false);
  expect(details.numRuns).toBe(n);
}

const config = loadConfig({});

const MAGICS: number[][] = [
  [0xff, 0xd8, 0xff],
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  [...'RIFF']
    .map((c) => c.charCodeAt(0))
    .concat(
      [0x40, 0, 0, 0],
      [...'WEBPVP8X'].map((c) => c.charCodeAt(0)),
    ),
  [...'RIFF']
    .map((c) => c.charCodeAt(0))
    .concat(
      [0x40, 0, 0, 0],
      [...'WEBPVP8L'].map((c) => c.charCodeAt(0)),
    ),
  [0, 0, 0, 0x1c, ...[...'ftypavif'].map((c) => c.charCodeAt(0)), 0, 0, 0, 0],
  [...'GIF89a'].map((c) => c.charCodeAt(0)),
];

/** Checks one input against every header-level parser. */
function headerProperty(bytes: Uint8Array): void {
  try {
    const facts = probe(bytes);
    for (const side of [facts.width, facts.height]) {
      expect(Number.isInteger(side) && side >= 1 && side <= MAX_DIMENSION).toBe(true);
    }
    expect(facts.orientation >= 1 && facts.orientation <= 8).toBe(true);
    expect(Number.isInteger(facts.frames) && facts.frames >= 1).toBe(true);
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
  }
  try {
    checkHeader(bytes, config, { maxBytes: 1 << 20, maxPixels: 1 << 22 });
  } catch (err) {
    if (!(err instanceof HttpError) || ![413, 415, 422].includes(err.status)) throw err;
  }
  const reason = webpLosslessReason(bytes);
  expect(reason === null || reason === 'VP8L' || reason === 'ALPH').toBe(true);
}

describe('fuzz: header probe and upload check', () => {
  let seeds: Uint8Array[] = [];
  beforeAll(async () => {
    seeds = await Promise.all(
      [
        'bad-images/synthetic/png_control_1x1_rgba8_valid.png',
        'bad-images/frames/pillow_apng_syntax_num_frames_high.png',
        'bad-images/frames/sharp_big-height.webp',
        'bad-images/polyglot-metadata/pillow_truncated_exif_dpi.jpg',
        'bad-images/bombs/pillow_decompression_bomb_extents.gif',
        'images/animated/animated-loop-3.gif',
      ].map((p) => fixture(p)),
    );
  });

  it('random bytes', { timeout: TIMEOUT }, async () => {
    await fuzz(
      'probe/random',
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => headerProperty(b)),
      runs(300),
    );
  });

  it('random bytes behind each magic number', { timeout: TIMEOUT }, async () => {
    await fuzz(
      'probe/magic',
      fc.property(fc.constantFrom(...MAGICS), fc.uint8Array({ maxLength: 512 }), (magic, rest) => {
        const b = new Uint8Array(magic.length + rest.length);
        b.set(magic);
        b.set(rest, magic.length);
        headerProperty(b);
      }),
      runs(300),
    );
  });

  it('mutated and truncated real files', { timeout: TIMEOUT }, async () => {
    await fuzz(
      'probe/mutated',
      fc.property(
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, edits, cut) => {
          const seed = seeds[which % seeds.length]!;
          const b = seed.slice(0, cut === undefined ? seed.length : cut % (seed.length + 1));
          for (const [at, v] of edits) if (b.length) b[at % b.length] = v;
          headerProperty(b);
        },
      ),
      runs(300),
    );
  });
});

describe('fuzz: AVIF decoder (wasm/avif.wasm: libavif + dav1d)', () => {
  let seeds: Uint8Array[] = [];
  beforeAll(async () => {
    seeds = await Promise.all(['avif/tiny.avif', 'avif/p3-nclx.avif'].map((p) => fixture(p)));
  });

  it(
    'mutated and truncated AVIFs give an image or a DecodeError, never a trap that sticks',
    { timeout: TIMEOUT },
    async () => {
      await fuzz(
        'avif/mutated',
        fc.property(
          fc.nat(),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }),
          fc.option(fc.nat(), { nil: undefined }),
          fc.integer({ min: 0, max: 4 }),
          (which, edits, cut, box) => {
            const seed = seeds[which % seeds.length]!;
            const b = seed.slice(0, cut === undefined ? seed.length : cut % (seed.length + 1));
            for (const [at, v] of edits) if (b.length) b[at % b.length] = v;
            let probed: { width: number; height: number };
            try {
              probed = probe(b); // the probe stands in front of the decoder in the Worker
            } catch (err) {
              if (err instanceof ProbeError) return;
              throw err;
            }
            // box 0: scaled to half the probed size by the module (its decoder freed first).
            const half = {
              width: Math.max(1, probed.width >> 1),
              height: Math.max(1, probed.height >> 1),
            };
            const opts = box === 0 ? { size: half } : { box };
            try {
              const img = decodeAvif(b, { ...opts, maxPixels: 1 << 22 });
              expect(img.data.length).toBe(img.width * img.height * 4);
            } catch (err) {
              if (!(err instanceof DecodeError)) throw err;
            }
          },
        ),
        runs(100),
      );
      // The instance that decoded (or trapped on) the last input still works, or was replaced.
      expect(decodeAvif(seeds[0]!).width).toBe(64);
    },
  );
});

const OPTION_NAMES = [
  'w',
  'width',
  'h',
  'height',
  'fit',
  'g',
  'gravity',
  'dpr',
  'q',
  'quality',
  'f',
  'format',
  'rotate',
  'flip',
  'background',
  'blur',
  'sharpen',
  'zoom',
  'trim',
  'trim.left',
  'trim.width',
  'trim.border.tolerance',
  'brightness',
  'saturation',
  'border.color',
  'border.width',
  'border.top',
  '',
];
const VALUES = fc.oneof(
  fc.integer({ min: -10, max: 10_000 }).map(String),
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom(
    'cover',
    'contain',
    'pad',
    'crop',
    'scale-down',
    'auto',
    'avif',
    'webp',
    'jpeg',
    'jpg',
    'png',
    'json',
    'left',
    'top-right',
    '0.5x0.5',
    '1x0',
    '2x2',
    'h',
    'v',
    'hv',
    'vh',
    '#fff',
    '%23ff0000',
    '00000000',
    '90',
    '180',
    '270',
    '',
    '1e3',
    '0x10',
    '١٢٣',
    'border',
    '1;2;3;4',
    '0;0;0;0',
    '1%3B2%3b3;4',
  ),
  fc.string({ maxLength: 12 }),
);

describe('fuzz: transform-option parser', () => {
  it(
    'grammar-shaped and random strings: a spec that round-trips, or a 400',
    { timeout: TIMEOUT },
    async () => {
      const grammar = fc
        .array(fc.tuple(fc.constantFrom(...OPTION_NAMES), VALUES), { maxLength: 18 })
        .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join(','));
      await fuzz(
        'transform',
        fc.property(
          fc.oneof(grammar, fc.string({ maxLength: 80 }), fc.string({ maxLength: 600 })),
          (text) => {
            let canonical: string;
            try {
              canonical = canonicalTransform(parseTransform(text));
            } catch (err) {
              expect(err instanceof HttpError && err.status === 400, String(err)).toBe(true);
              return;
            }
            expect(canonicalTransform(parseTransform(canonical))).toBe(canonical);
          },
        ),
        runs(500),
      );
    },
  );
});

describe('fuzz: signature verifier', () => {
  let set: SigningKeySet;
  let good: URL;
  beforeAll(async () => {
    set = await signingKeySet(JSON.stringify([SIGNING.k2, SIGNING.k1]));
    good = new URL(
      await signPath('/img/AbCdEfGhIjKlMnOp/w=800', SIGNING.k2, 99_999_999_999),
      'http://x',
    );
  });

  it(
    'random presentations and URLs never throw and never verify',
    { timeout: TIMEOUT },
    async () => {
      const text = fc.option(fc.string({ maxLength: 60 }), { nil: null });
      const b64 = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);
      await fuzz(
        'signature',
        fc.asyncProperty(
          fc.string({ maxLength: 80 }),
          fc.oneof(text, fc.integer({ min: 0, max: 99_999_999_999 }).map(String)),
          fc.oneof(text, fc.constantFrom('k1', 'k2')),
          fc.oneof(text, b64),
          fc.string({ maxLength: 120 }),
          async (path, exp, kid, sig, url) => {
            expect(await verifySignature(set, { path, exp, kid, sig }, 0)).toBe(false);
            let parsed: URL | null = null;
            try {
              parsed = new URL(url, 'http://x');
            } catch {
              return;
            }
            expect(await verifySignature(set, presentedSignature(parsed), 0)).toBe(false);
          },
        ),
        runs(200),
      );
    },
  );

  it('one-character changes to a valid URL never verify', { timeout: TIMEOUT }, async () => {
    const raw = good.pathname + good.search;
    await fuzz(
      'signature/mutated',
      fc.asyncProperty(fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), async (at, ch) => {
        const i = at % raw.length;
        fc.pre(raw[i] !== ch);
        const url = new URL(raw.slice(0, i) + ch + raw.slice(i + 1), 'http://x');
        const p = presentedSignature(url);
        // Equivalent spellings (a changed `kid` selects another key; `&`→`;` etc. drop a
        // parameter) must still fail; only the untouched URL verifies.
        const same =
          p.path === good.pathname &&
          p.sig === good.searchParams.get('sig') &&
          p.exp === good.searchParams.get('exp') &&
          p.kid === 'k2';
        expect(await verifySignature(set, p, 0)).toBe(same);
      }),
      runs(200),
    );
  });
});

describe('fuzz: PNG decoder (wasm/png_scaled.wasm)', () => {
  /** Small PNGs of every kind: 16-bit RGBA, iCCP, palette + tRNS, Adam7, grey 1-bit. */
  let seeds: Uint8Array[] = [];
  beforeAll(async () => {
    const made = async (file: string, kind: string) => {
      const res = await env.FIXTURES.fetch(`http://fixtures/sharp-png/${file}?kind=${kind}`);
      return new Uint8Array(await res.arrayBuffer());
    };
    seeds = [
      await fixture('images/deep/tbgn2c16.png'),
      await fixture('images/color/p3.png'),
      await fixture('bad-images/synthetic/png_control_1x1_rgba8_valid.png'),
      await made('images/trim/trim-mc.png', 'palette'),
      await made('images/trim/trim-mc.png', 'interlaced'),
      await made('images/deep/tbgn2c16.png', 'interlaced'),
    ];
  });

  it(
    'mutated and truncated PNGs give an image or a DecodeError, never a trap that sticks',
    { timeout: TIMEOUT },
    async () => {
      const good = seeds[0]!;
      await fuzz(
        'png/mutated',
        fc.property(
          fc.nat(),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }),
          fc.option(fc.nat(), { nil: undefined }),
          (which, edits, cut) => {
            const seed = seeds[which % seeds.length]!;
            const b = seed.slice(0, cut === undefined ? seed.length : cut % (seed.length + 1));
            // Edits after the 8-byte signature, mostly inside the first chunks.
            for (const [at, v] of edits) if (b.length > 8) b[8 + (at % (b.length - 8))] = v;
            let facts;
            try {
              facts = probe(b);
            } catch {
              return; // the probe in front refuses it: the decoder never sees it
            }
            if (facts.format !== 'png' || facts.width * facts.height > 1 << 22) return;
            const { width, height } = facts;
            const out = { w: Math.min(width, 17), h: Math.min(height, 13) };
            try {
              const img = decodePngResized(b, { left: 0, top: 0, width, height }, out.w, out.h);
              expect([img.width, img.height, img.data.length]).toEqual([
                out.w,
                out.h,
                out.w * out.h * 4,
              ]);
            } catch (err) {
              if (!(err instanceof DecodeError)) throw err;
            }
            // The module still works (a trapped instance is replaced).
            expect(
              decodePngResized(good, { left: 0, top: 0, width: 32, height: 32 }, 8, 8).width,
            ).toBe(8);
          },
        ),
        runs(200),
      );
    },
  );
});

describe('fuzz: JPEG decoder (wasm/jpeg_turbo.wasm: libjpeg-turbo)', () => {
  /**
   * Small JPEGs: baseline 4:4:4 and grey, YCCK (CMYK), and progressive 4:2:0 and 4:4:4 with
   * successive-approximation refinement (libjpeg-turbo's compact coefficient store below 8/8).
   */
  let seeds: Uint8Array[] = [];
  beforeAll(async () => {
    seeds = await Promise.all(
      [
        'images/exif/Landscape_1.jpg',
        'images/crop/concert.jpg',
        'bad-images/polyglot-metadata/pillow_invalid-exif.jpg',
        'local/cmyk.jpg',
        'local/progressive-420.jpg',
        'local/progressive-444.jpg',
      ].map((p) => fixture(p)),
    );
  });

  /** A seed cut and edited as fast-check drew it; null when the probe in front refuses it. */
  const mutated = (which: number, edits: [number, number][], cut: number | undefined) => {
    const seed = seeds[which % seeds.length]!;
    const b = seed.slice(0, cut === undefined ? seed.length : cut % (seed.length + 1));
    // Edits after SOI, mostly in the headers and the start of the scan.
    for (const [at, v] of edits) if (b.length > 2) b[2 + (at % Math.min(b.length - 2, 4096))] = v;
    let facts;
    try {
      facts = probe(b);
    } catch {
      return null; // the decoder never sees it
    }
    return facts.format === 'jpeg' && facts.width * facts.height <= 1 << 22 ? b : null;
  };
  /** The arbitraries of {@link mutated}, and a scale. */
  const draws = [
    fc.nat(),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }),
    fc.option(fc.nat(), { nil: undefined }),
    fc.integer({ min: 1, max: 8 }),
  ] as const;

  it(
    'mutated and truncated JPEGs give an image or a DecodeError, never a trap that sticks',
    { timeout: TIMEOUT },
    async () => {
      const good = seeds[0]!;
      await fuzz(
        'jpeg/mutated',
        fc.property(...draws, (which, edits, cut, m) => {
          const b = mutated(which, edits, cut);
          if (!b) return;
          try {
            const img = decodeJpegTurbo(b, m as JpegEighths, 1 << 22);
            expect(img.data.length).toBe(img.width * img.height * 4);
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
          }
          // The module still works (a trapped instance is replaced).
          expect(decodeJpegTurbo(good, 1).width).toBe(75);
        }),
        runs(200),
      );
    },
  );

  it(
    'the same JPEGs read as rows give the whole decode, or a DecodeError where it gives one',
    { timeout: TIMEOUT },
    async () => {
      const good = seeds[0]!;
      await fuzz(
        'jpeg/rows',
        fc.property(...draws, (which, edits, cut, m) => {
          const b = mutated(which, edits, cut);
          if (!b) return;
          const outcome = (read: () => Uint8ClampedArray) => {
            try {
              return read();
            } catch (err) {
              if (!(err instanceof DecodeError)) throw err;
              return 'DecodeError';
            }
          };
          const whole = outcome(() => decodeJpegTurbo(b, m as JpegEighths, 1 << 22).data);
          const rows = outcome(() =>
            openJpegTurboRows(b, m as JpegEighths, 1 << 22, (r) => {
              const out = new Uint8ClampedArray(r.width * r.height * 4);
              for (let y = 0; y < r.height; y++) out.set(r.row(y), y * r.width * 4);
              return out;
            }),
          );
          expect(rows).toEqual(whole);
          expect(decodeJpegTurbo(good, 1).width).toBe(75);
        }),
        runs(40),
      );
    },
  );
});

describe('fuzz: lossless WebP decoder read as rows (wasm/libwebp.wasm: VP8L)', () => {
  /** Small lossless WebPs: opaque, with alpha (kept exactly), and at method 6. */
  let seeds: Uint8Array[] = [];
  beforeAll(async () => {
    const photo = await decodeImage(await fixture('images/kodak/kodim03.png'), 'png');
    const small = await resizeImage(photo, 96, 64);
    const tall = await resizeImage(photo, 33, 300);
    for (let i = 3; i < tall.data.length; i += 4) tall.data[i] = i % 251;
    seeds = [
      encodeWebp(small, { lossless: true }),
      encodeWebp(tall, { lossless: true, exact: true }),
      encodeWebp(small, { lossless: true, quality: 100, method: 6 }),
    ];
  });

  it(
    'mutated and truncated files read as rows, cropped and scaled, give the whole decode, or a DecodeError where it gives one',
    { timeout: TIMEOUT },
    async () => {
      const good = seeds[0]!;
      await fuzz(
        'webp/rows',
        fc.property(
          fc.nat(),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }),
          fc.option(fc.nat(), { nil: undefined }),
          fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.boolean()),
          (which, edits, cut, [a, b2, c, d, scaled]) => {
            const seed = seeds[which % seeds.length]!;
            const b = seed.slice(
              0,
              cut === undefined ? seed.length : 12 + (cut % (seed.length - 11)),
            );
            // Edits past the RIFF header, mostly in the VP8L header, transforms and codes.
            for (const [at, v] of edits) b[12 + (at % Math.min(b.length - 12, 2048))] = v;
            let facts;
            try {
              facts = probe(b);
            } catch {
              return; // the decoder never sees it
            }
            if (facts.format !== 'webp' || !facts.webpVp8l || facts.width * facts.height > 1 << 22)
              return;
            const outcome = (read: () => Uint8ClampedArray) => {
              try {
                return read();
              } catch (err) {
                if (!(err instanceof DecodeError)) throw err;
                return 'DecodeError';
              }
            };
            // A crop inside the probed size, scaled down or not.
            const width = 1 + (a % facts.width);
            const height = 1 + (b2 % facts.height);
            const crop = {
              left: c % (facts.width - width + 1),
              top: d % (facts.height - height + 1),
              width,
              height,
            };
            const target = scaled
              ? { width: 1 + (a % width), height: 1 + (b2 % height) }
              : undefined;
            const whole = outcome(() => decodeWebp(b, target, 1 << 22, crop).data);
            const rows = outcome(() =>
              openWebpRows(
                b,
                1 << 22,
                (r) => {
                  const out = new Uint8ClampedArray(r.width * r.height * 4);
                  for (let y = 0; y < r.height; y++) out.set(r.row(y), y * r.width * 4);
                  return out;
                },
                crop,
                target,
              ),
            );
            expect(rows).toEqual(whole);
            // The module still works (a trapped instance is replaced).
            expect(openWebpRows(good, 0, (r) => r.row(63).length)).toBe(96 * 4);
          },
        ),
        runs(200),
      );
    },
  );
});
