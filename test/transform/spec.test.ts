import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { HttpError } from '../../src/errors';
import {
  canonicalTransform,
  DEFAULT_SPEC,
  isPresetName,
  MAX_OPTIONS,
  MAX_TRANSFORM_LENGTH,
  parseTransform,
  type TransformSpec,
} from '../../src/transform/spec';

/** The HttpError thrown by parsing `text` (fails the test if none). */
function errorOf(text: string): HttpError {
  try {
    parseTransform(text);
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

/** Asserts a 400 naming `option`. */
function expect400(text: string, option: string) {
  const err = errorOf(text);
  expect(err.status).toBe(400);
  expect(err.extras.option).toBe(option);
}

const canon = (text: string) => canonicalTransform(parseTransform(text));

describe('parseTransform: options and aliases', () => {
  it('returns defaults for unset options', () => {
    expect(parseTransform('w=800')).toEqual({ ...DEFAULT_SPEC, width: 800 });
    expect(parseTransform('')).toEqual(DEFAULT_SPEC);
  });

  it('parses width/w and height/h', () => {
    expect(parseTransform('width=1').width).toBe(1);
    expect(parseTransform('w=8192').width).toBe(8192);
    expect(parseTransform('height=600').height).toBe(600);
    expect(parseTransform('h=0600').height).toBe(600);
  });

  it('parses every fit', () => {
    for (const fit of ['scale-down', 'contain', 'cover', 'crop', 'pad'] as const)
      expect(parseTransform(`fit=${fit}`).fit).toBe(fit);
  });

  it('parses named gravities and g', () => {
    for (const g of [
      'center',
      'auto',
      'top',
      'bottom',
      'left',
      'right',
      'top-left',
      'top-right',
      'bottom-left',
      'bottom-right',
    ] as const) {
      expect(parseTransform(`gravity=${g}`).gravity).toEqual({ kind: g });
      expect(parseTransform(`g=${g}`).gravity).toEqual({ kind: g });
    }
  });

  it('parses focal points and folds named points', () => {
    expect(parseTransform('g=0.3x0.6').gravity).toEqual({ kind: 'focal', x: 0.3, y: 0.6 });
    expect(parseTransform('g=0.33333x1').gravity).toEqual({ kind: 'focal', x: 0.3333, y: 1 });
    expect(parseTransform('g=0.5x0.5').gravity).toEqual({ kind: 'center' });
    expect(parseTransform('g=0x1').gravity).toEqual({ kind: 'bottom-left' });
    expect(parseTransform('g=0.5x0').gravity).toEqual({ kind: 'top' });
    expect(canon('g=1.0x0.50')).toBe('gravity=right');
  });

  it('parses dpr with decimals', () => {
    expect(parseTransform('dpr=1.5').dpr).toBe(1.5);
    expect(parseTransform('dpr=4').dpr).toBe(4);
    expect(parseTransform('dpr=2.000').dpr).toBe(2);
  });

  it('parses quality/q', () => {
    expect(parseTransform('quality=1').quality).toBe(1);
    expect(parseTransform('q=100').quality).toBe(100);
  });

  it('parses format/f and jpg', () => {
    for (const f of ['auto', 'avif', 'webp', 'jpeg', 'png', 'json'] as const) {
      expect(parseTransform(`format=${f}`).format).toBe(f);
      expect(parseTransform(`f=${f}`).format).toBe(f);
    }
    expect(parseTransform('f=jpg').format).toBe('jpeg');
    expect(parseTransform('w=10').format).toBeUndefined();
  });

  it('parses rotate and flip', () => {
    for (const r of [0, 90, 180, 270]) expect(parseTransform(`rotate=${r}`).rotate).toBe(r);
    expect(parseTransform('flip=h').flip).toBe('h');
    expect(parseTransform('flip=v').flip).toBe('v');
    expect(parseTransform('flip=hv').flip).toBe('hv');
    expect(parseTransform('flip=vh').flip).toBe('hv');
  });

  it('parses background in every hex form', () => {
    const red = { r: 255, g: 0, b: 0, a: 255 };
    for (const v of ['#f00', 'f00', '%23f00', '#ff0000', 'FF0000', '%23ff0000ff', '#F00F'])
      expect(parseTransform(`background=${v}`).background).toEqual(red);
    expect(parseTransform('background=11223344').background).toEqual({
      r: 0x11,
      g: 0x22,
      b: 0x33,
      a: 0x44,
    });
    expect(canon('background=%23FF0000FF')).toBe('background=ff0000');
    expect(canon('background=#1234')).toBe('background=11223344');
  });

  it('parses blur and sharpen; zero drops out', () => {
    expect(parseTransform('blur=250').blur).toBe(250);
    expect(parseTransform('blur=0.5').blur).toBe(0.5);
    expect(parseTransform('sharpen=10').sharpen).toBe(10);
    expect(parseTransform('blur=0')).toEqual(DEFAULT_SPEC);
    expect(parseTransform('sharpen=0.0')).toEqual(DEFAULT_SPEC);
  });

  it('returns a frozen spec', () => {
    const spec = parseTransform('w=1,g=0.1x0.2');
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.gravity)).toBe(true);
  });

  it('allows dpr up to the side limit', () => {
    expect(parseTransform('w=4096,h=2048,dpr=2').width).toBe(4096);
    expect(parseTransform('w=2048,dpr=4').dpr).toBe(4);
  });
});

describe('canonicalTransform', () => {
  it('resolves aliases, sorts keys, drops defaults', () => {
    expect(canon('w=800,f=auto')).toBe('width=800,format=auto');
    expect(canon('f=auto,width=800')).toBe(canon('w=800,f=auto'));
    expect(canon('q=75,f=jpg,g=top,h=600,w=800,fit=cover,dpr=2')).toBe(
      'width=800,height=600,dpr=2,fit=cover,gravity=top,quality=75,format=jpeg',
    );
    expect(
      canon(
        'format=webp,quality=50,sharpen=1.50,blur=2,background=%23ABC,flip=vh,rotate=90,gravity=0.25x0.75,fit=pad,dpr=1.50,height=10,width=20',
      ),
    ).toBe(
      'width=20,height=10,dpr=1.5,fit=pad,gravity=0.25x0.75,rotate=90,flip=hv,background=aabbcc,blur=2,sharpen=1.5,quality=50,format=webp',
    );
  });

  it('drops every default', () => {
    expect(canon('fit=scale-down,g=center,dpr=1,rotate=0,blur=0,sharpen=0')).toBe('');
    expect(canonicalTransform(DEFAULT_SPEC)).toBe('');
    expect(canon('w=1,dpr=1.00')).toBe('width=1');
  });

  it('keeps auto gravity and format=auto (not defaults)', () => {
    expect(canon('g=auto,f=auto')).toBe('gravity=auto,format=auto');
  });

  it('normalises numbers', () => {
    expect(canon('w=0800,dpr=1.50,blur=010.250')).toBe('width=800,dpr=1.5,blur=10.25');
  });

  it('rounds hand-built specs the way the parser does', () => {
    const spec: TransformSpec = {
      ...DEFAULT_SPEC,
      dpr: 1.000001,
      blur: 0.00001,
      gravity: { kind: 'focal', x: 0.50000001, y: 0.5 },
    };
    expect(canonicalTransform(spec)).toBe('');
  });
});

describe('anim', () => {
  it('is true by default; anim=false is kept in the canonical form, anim=true is not', () => {
    expect(parseTransform('anim=true')).toEqual(DEFAULT_SPEC);
    expect(parseTransform('w=10,anim=false').anim).toBe(false);
    expect(canonicalTransform(parseTransform('anim=false,f=gif,w=10'))).toBe(
      'width=10,format=gif,anim=false',
    );
    expect(canonicalTransform(parseTransform('anim=true,w=10'))).toBe('width=10');
  });
});

describe('parseTransform: errors', () => {
  it('rejects unknown options', () => {
    expect400('width=1,foo=2', 'foo');
    expect400('Width=1', 'Width');
    expect400('anim=no', 'anim');
    expect400('__proto__=1', '__proto__');
  });

  it('rejects duplicates, including alias and full name', () => {
    expect400('w=1,w=2', 'w');
    expect400('w=1,width=2', 'width');
    expect400('format=png,f=png', 'f');
    expect400('g=top,gravity=left', 'gravity');
    expect(errorOf('w=1,width=2').detail).toContain('repeats');
  });

  it('rejects empty values and empty options', () => {
    expect400('w=', 'w');
    expect400('w=1,,h=2', 'transform');
    expect400('w=1,', 'transform');
    expect400(',w=1', 'transform');
  });

  it('rejects options without = or without a name', () => {
    expect400('w800', 'w800');
    expect400('thumbnail', 'thumbnail');
    expect400('=5', '=5');
  });

  it('rejects malformed values', () => {
    expect400('w=abc', 'w');
    expect400('w=8.5', 'w');
    expect400('w=-1', 'w');
    expect400('w=1e3', 'w');
    expect400('w= 1', 'w');
    expect400('h=0x10', 'h');
    expect400('fit=fill', 'fit');
    expect400('fit=COVER', 'fit');
    expect400('g=middle', 'g');
    expect400('gravity=0.5', 'gravity');
    expect400('g=0.5x', 'g');
    expect400('g=x0.5', 'g');
    expect400('g=0.5x0.5x0.5', 'g');
    expect400('g=-0.1x0.5', 'g');
    expect400('dpr=.5', 'dpr');
    expect400('dpr=2.', 'dpr');
    expect400('q=best', 'q');
    expect400('f=bmp', 'f');
    expect400('format=jpe', 'format');
    expect400('rotate=45', 'rotate');
    expect400('rotate=360', 'rotate');
    expect400('rotate=-90', 'rotate');
    expect400('flip=x', 'flip');
    expect400('background=reddish', 'background');
    expect400('background=#12', 'background');
    expect400('background=#12345', 'background');
    expect400('background=##fff', 'background');
    expect400('background=ggg', 'background');
    expect400('blur=x', 'blur');
    expect400('sharpen=1,5', '5');
    expect400(`w=${'1'.repeat(40)}`, 'w');
  });

  it('rejects out-of-range values', () => {
    expect400('w=0', 'w');
    expect400('width=8193', 'width');
    expect400('h=0', 'h');
    expect400('height=100000', 'height');
    expect400('g=1.1x0.5', 'g');
    expect400('g=0.5x2', 'g');
    expect400('dpr=0.5', 'dpr');
    expect400('dpr=0.99999', 'dpr');
    expect400('dpr=4.01', 'dpr');
    expect400('q=0', 'q');
    expect400('quality=101', 'quality');
    expect400('blur=250.5', 'blur');
    expect400('sharpen=11', 'sharpen');
  });

  it('rejects width or height × dpr over 8192, naming dpr', () => {
    expect400('w=4097,dpr=2', 'dpr');
    expect400('dpr=2,h=4097', 'dpr');
    expect400('w=8192,dpr=1.01', 'dpr');
  });

  it('caps length and option count', () => {
    const long = `w=1,${'x'.repeat(MAX_TRANSFORM_LENGTH)}`;
    expect400(long, 'transform');
    const many = Array.from({ length: MAX_OPTIONS + 1 }, () => 'w=1').join(',');
    expect400(many, 'transform');
  });

  it('does not echo long input back in full', () => {
    const err = errorOf(`${'k'.repeat(200)}=1`);
    expect(String(err.extras.option).length).toBeLessThanOrEqual(32);
    expect(err.detail!.length).toBeLessThan(100);
  });
});

describe('isPresetName', () => {
  it('accepts preset-shaped names and rejects transforms', () => {
    expect(isPresetName('thumbnail')).toBe(true);
    expect(isPresetName('hero_2x-wide')).toBe(true);
    expect(isPresetName('0')).toBe(true);
    expect(isPresetName('a'.repeat(64))).toBe(true);
    expect(isPresetName('a'.repeat(65))).toBe(false);
    expect(isPresetName('')).toBe(false);
    expect(isPresetName('-x')).toBe(false);
    expect(isPresetName('Thumb')).toBe(false);
    expect(isPresetName('w=800')).toBe(false);
    expect(isPresetName('w800,h1')).toBe(false);
  });
});

// ---- properties ----

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
/** Random valid [option spelling, value] pairs (one per option, random spellings). */
const optionArb = fc.record(
  {
    width: fc.tuple(pick(['w', 'width']), fc.integer({ min: 1, max: 2048 }).map(String)),
    height: fc.tuple(pick(['h', 'height']), fc.integer({ min: 1, max: 2048 }).map(String)),
    fit: fc.tuple(fc.constant('fit'), pick(['scale-down', 'contain', 'cover', 'crop', 'pad'])),
    gravity: fc.tuple(
      pick(['g', 'gravity']),
      fc.oneof(
        pick(['center', 'auto', 'top', 'bottom-right', 'left']),
        fc
          .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }))
          .map(([x, y]) => `${x / 1000}x${(y / 1000).toFixed(3)}`),
      ),
    ),
    dpr: fc.tuple(
      fc.constant('dpr'),
      fc.integer({ min: 100, max: 400 }).map((n) => (n / 100).toFixed(2)),
    ),
    quality: fc.tuple(pick(['q', 'quality']), fc.integer({ min: 1, max: 100 }).map(String)),
    format: fc.tuple(pick(['f', 'format']), pick(['auto', 'avif', 'webp', 'jpeg', 'jpg', 'png'])),
    rotate: fc.tuple(fc.constant('rotate'), pick(['0', '90', '180', '270'])),
    flip: fc.tuple(fc.constant('flip'), pick(['h', 'v', 'hv', 'vh'])),
    background: fc.tuple(
      fc.constant('background'),
      fc
        .tuple(pick(['', '#', '%23']), fc.stringMatching(/^(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6,8})$/))
        .filter(([, h]) => h.length !== 7)
        .map(([p, h]) => p + h),
    ),
    blur: fc.tuple(
      fc.constant('blur'),
      fc.integer({ min: 0, max: 25000 }).map((n) => String(n / 100)),
    ),
    sharpen: fc.tuple(
      fc.constant('sharpen'),
      fc.integer({ min: 0, max: 1000 }).map((n) => (n / 100).toFixed(2)),
    ),
  },
  { requiredKeys: [] },
);
const optionsArb = optionArb.chain((rec) =>
  fc.shuffledSubarray(Object.values(rec), { minLength: Object.values(rec).length }),
);
/** The other spelling of an option name (alias ↔ full name), or itself. */
const OTHER: Record<string, string> = {
  w: 'width',
  width: 'w',
  h: 'height',
  height: 'h',
  g: 'gravity',
  gravity: 'g',
  q: 'quality',
  quality: 'q',
  f: 'format',
  format: 'f',
};
const join = (opts: readonly (readonly [string, string])[]) =>
  opts.map(([k, v]) => `${k}=${v}`).join(',');

describe('properties', () => {
  it('parse throws nothing but HttpError 400 on arbitrary strings', () => {
    const alphabet = fc.constantFrom(...'wh=,.x#%23fitgqpdr0159-avcbolrn '.split(''));
    const tricky = fc.string({ unit: alphabet, maxLength: 60 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 600 }), tricky), (text) => {
        try {
          parseTransform(text);
        } catch (err) {
          expect(err).toBeInstanceOf(HttpError);
          expect((err as HttpError).status).toBe(400);
          expect(typeof (err as HttpError).extras.option).toBe('string');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('valid option lists parse; order and spelling do not change the canonical form', () => {
    const pair = optionsArb.chain((opts) =>
      fc.tuple(fc.constant(opts), fc.shuffledSubarray(opts, { minLength: opts.length })),
    );
    fc.assert(
      fc.property(pair, ([opts, shuffled]) => {
        const respelled = shuffled.map(([k, v]) => [OTHER[k] ?? k, v] as const);
        expect(canon(join(respelled))).toBe(canon(join(opts)));
      }),
      { numRuns: 300 },
    );
  });

  it('canonical round trip: canon(parse(canon(s))) === canon(s)', () => {
    fc.assert(
      fc.property(optionsArb, (opts) => {
        const spec = parseTransform(join(opts));
        const c = canonicalTransform(spec);
        const again = parseTransform(c);
        expect(canonicalTransform(again)).toBe(c);
        expect(again).toEqual(spec);
      }),
      { numRuns: 300 },
    );
  });
});
