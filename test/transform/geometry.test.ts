import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { planGeometry, type Geometry } from '../../src/transform/geometry';
import {
  DEFAULT_SPEC,
  deviceSide,
  MAX_SIDE,
  parseTransform,
  type Fit,
  type Gravity,
  type TransformSpec,
} from '../../src/transform/spec';

const plan = (w: number, h: number, transform: string) =>
  planGeometry({ width: w, height: h }, parseTransform(transform));
const size = (width: number, height: number) => ({ width, height });
const rect = (left: number, top: number, width: number, height: number) => ({
  left,
  top,
  width,
  height,
});

describe('planGeometry: Cloudflare examples (1080×720 source)', () => {
  it('scale-down never enlarges and keeps the aspect ratio', () => {
    expect(plan(1080, 720, 'w=2000,h=2000').resize).toEqual(size(1080, 720));
    const g = plan(1080, 720, 'w=500,h=500');
    expect(g).toEqual({
      crop: rect(0, 0, 1080, 720),
      resize: size(500, 333),
      canvas: size(500, 333),
      offset: { left: 0, top: 0 },
    });
  });

  it('cover fills the box and crops the overflow around the centre', () => {
    expect(plan(1080, 720, 'w=500,h=500,fit=cover')).toEqual({
      crop: rect(180, 0, 720, 720),
      resize: size(500, 500),
      canvas: size(500, 500),
      offset: { left: 0, top: 0 },
    });
  });

  it('crop keeps a smaller source at its size', () => {
    const g = plan(1080, 720, 'w=1296,h=1296,fit=crop');
    expect(g.crop).toEqual(rect(0, 0, 1080, 720));
    expect(g.resize).toEqual(size(1080, 720));
  });

  it('crop acts as cover for a larger source', () => {
    expect(plan(1080, 720, 'w=500,h=500,fit=crop')).toEqual(
      plan(1080, 720, 'w=500,h=500,fit=cover'),
    );
  });

  it('pad letterboxes onto the exact box', () => {
    expect(plan(1080, 720, 'w=1080,h=1080,fit=pad')).toEqual({
      crop: rect(0, 0, 1080, 720),
      resize: size(1080, 720),
      canvas: size(1080, 1080),
      offset: { left: 0, top: 180 },
    });
  });
});

describe('planGeometry: fits', () => {
  it('contain enlarges to the box', () => {
    expect(plan(100, 50, 'w=400,h=400,fit=contain').resize).toEqual(size(400, 200));
    expect(plan(100, 50, 'w=400,h=400').resize).toEqual(size(100, 50));
  });

  it('cover enlarges', () => {
    const g = plan(100, 50, 'w=400,h=400,fit=cover');
    expect(g.resize).toEqual(size(400, 400));
    expect(g.crop).toEqual(rect(25, 0, 50, 50));
  });

  it('crop shrinks on one axis and crops without enlarging the other', () => {
    const g = plan(1000, 300, 'w=500,h=500,fit=crop');
    expect(g.resize).toEqual(size(500, 300));
    expect(g.crop).toEqual(rect(250, 0, 500, 300));
    expect(plan(1000, 300, 'w=500,h=500,fit=crop,g=left').crop).toEqual(rect(0, 0, 500, 300));
  });

  it('pad enlarges and places by gravity', () => {
    const g = plan(100, 50, 'w=400,h=400,fit=pad');
    expect(g.resize).toEqual(size(400, 200));
    expect(g.canvas).toEqual(size(400, 400));
    expect(g.offset).toEqual({ left: 0, top: 100 });
    expect(plan(100, 50, 'w=400,h=400,fit=pad,g=top').offset).toEqual({ left: 0, top: 0 });
    expect(plan(100, 50, 'w=400,h=400,fit=pad,g=bottom').offset).toEqual({ left: 0, top: 200 });
    expect(plan(50, 100, 'w=400,h=400,fit=pad,g=right').offset).toEqual({ left: 200, top: 0 });
    expect(plan(50, 100, 'w=400,h=400,fit=pad,g=0.25x0').offset).toEqual({ left: 50, top: 0 });
  });
});

describe('planGeometry: one or no dimension', () => {
  it('follows the aspect ratio from width or height', () => {
    expect(plan(1000, 500, 'w=200').resize).toEqual(size(200, 100));
    expect(plan(1000, 500, 'h=100').resize).toEqual(size(200, 100));
    expect(plan(1000, 500, 'w=200,fit=cover').resize).toEqual(size(200, 100));
    const pad = plan(1000, 500, 'w=200,fit=pad');
    expect(pad.canvas).toEqual(pad.resize);
    expect(pad.crop).toEqual(rect(0, 0, 1000, 500));
  });

  it('scale-down and crop do not enlarge; contain, cover and pad do', () => {
    expect(plan(1000, 500, 'w=2000').resize).toEqual(size(1000, 500));
    expect(plan(1000, 500, 'w=2000,fit=crop').resize).toEqual(size(1000, 500));
    expect(plan(1000, 500, 'w=2000,fit=contain').resize).toEqual(size(2000, 1000));
    expect(plan(1000, 500, 'h=1000,fit=cover').resize).toEqual(size(2000, 1000));
    expect(plan(1000, 500, 'h=1000,fit=pad').canvas).toEqual(size(2000, 1000));
  });

  it('uses the source size when neither is given (dpr does nothing)', () => {
    expect(plan(640, 480, 'f=webp').resize).toEqual(size(640, 480));
    expect(plan(640, 480, 'dpr=2,fit=cover').resize).toEqual(size(640, 480));
  });

  it('never exceeds the side limit', () => {
    expect(plan(10000, 5000, '').resize).toEqual(size(8192, 4096));
    expect(plan(8192, 1, 'h=8192,fit=contain').resize).toEqual(size(8192, 1));
  });
});

describe('planGeometry: dpr and gravity', () => {
  it('multiplies the box by dpr', () => {
    expect(plan(3000, 2000, 'w=300,h=200,dpr=2,fit=cover').resize).toEqual(size(600, 400));
    expect(plan(3000, 2000, 'w=301,dpr=1.5').resize).toEqual(size(452, 301));
  });

  it('moves the crop window with gravity', () => {
    const at = (g: string) => plan(1000, 2000, `w=100,h=100,fit=cover,g=${g}`).crop;
    expect(at('center')).toEqual(rect(0, 500, 1000, 1000));
    expect(at('auto')).toEqual(rect(0, 500, 1000, 1000));
    expect(at('top')).toEqual(rect(0, 0, 1000, 1000));
    expect(at('top-left')).toEqual(rect(0, 0, 1000, 1000));
    expect(at('bottom')).toEqual(rect(0, 1000, 1000, 1000));
    expect(at('0.5x0.3')).toEqual(rect(0, 100, 1000, 1000));
    expect(at('0.5x0.9')).toEqual(rect(0, 1000, 1000, 1000));
    const wide = (g: string) => plan(2000, 1000, `w=100,h=100,fit=cover,g=${g}`).crop;
    expect(wide('left')).toEqual(rect(0, 0, 1000, 1000));
    expect(wide('right')).toEqual(rect(1000, 0, 1000, 1000));
    expect(wide('bottom-right')).toEqual(rect(1000, 0, 1000, 1000));
    expect(wide('0.6x0')).toEqual(rect(700, 0, 1000, 1000));
  });

  it('handles extreme aspect ratios without zero sizes', () => {
    const g = plan(1, 8000, 'w=8192,h=1,fit=cover');
    expect(g.resize).toEqual(size(8192, 1));
    expect(g.crop.width).toBe(1);
    expect(g.crop.height).toBe(1);
    expect(plan(8000, 1, 'w=10,h=10').resize).toEqual(size(10, 1));
  });

  it('rejects a source size that is not a positive integer', () => {
    for (const [w, h] of [
      [0, 10],
      [10, -1],
      [1.5, 2],
      [Number.NaN, 1],
      [Infinity, 1],
    ] as const)
      expect(() => planGeometry(size(w, h), DEFAULT_SPEC)).toThrow(RangeError);
  });
});

// ---- properties ----

const fits: Fit[] = ['scale-down', 'contain', 'cover', 'crop', 'pad'];
const gravityArb: fc.Arbitrary<Gravity> = fc.oneof(
  fc.constantFrom<Gravity>(
    { kind: 'center' },
    { kind: 'auto' },
    { kind: 'top' },
    { kind: 'bottom-right' },
    { kind: 'left' },
  ),
  fc
    .tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }))
    .map(([x, y]): Gravity => ({ kind: 'focal', x: x / 100, y: y / 100 })),
);
const sideArb = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 10_000 }));
const boxSideArb = fc.option(
  fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: MAX_SIDE })),
  { nil: undefined },
);
const specArb: fc.Arbitrary<TransformSpec> = fc
  .record({
    width: boxSideArb,
    height: boxSideArb,
    fit: fc.constantFrom(...fits),
    gravity: gravityArb,
    dpr: fc.constantFrom(1, 1.5, 2, 3, 4),
  })
  .map(({ width, height, dpr, ...rest }) => {
    const ok = [width, height].every((s) => s === undefined || deviceSide(s, dpr) <= MAX_SIDE);
    return {
      ...DEFAULT_SPEC,
      ...rest,
      dpr: ok ? dpr : 1,
      ...(width !== undefined && { width }),
      ...(height !== undefined && { height }),
    };
  });

function checkCommon(src: { width: number; height: number }, g: Geometry) {
  const ints = [
    g.crop.left,
    g.crop.top,
    g.crop.width,
    g.crop.height,
    g.resize.width,
    g.resize.height,
    g.canvas.width,
    g.canvas.height,
    g.offset.left,
    g.offset.top,
  ];
  for (const n of ints) expect(Number.isInteger(n)).toBe(true);
  for (const n of [g.crop.width, g.crop.height, g.resize.width, g.resize.height])
    expect(n).toBeGreaterThanOrEqual(1);
  for (const n of [g.resize.width, g.resize.height, g.canvas.width, g.canvas.height])
    expect(n).toBeLessThanOrEqual(MAX_SIDE);
  // crop rect inside the source
  expect(g.crop.left).toBeGreaterThanOrEqual(0);
  expect(g.crop.top).toBeGreaterThanOrEqual(0);
  expect(g.crop.left + g.crop.width).toBeLessThanOrEqual(src.width);
  expect(g.crop.top + g.crop.height).toBeLessThanOrEqual(src.height);
  // resized image on the canvas
  expect(g.offset.left).toBeGreaterThanOrEqual(0);
  expect(g.offset.top).toBeGreaterThanOrEqual(0);
  expect(g.offset.left + g.resize.width).toBeLessThanOrEqual(g.canvas.width);
  expect(g.offset.top + g.resize.height).toBeLessThanOrEqual(g.canvas.height);
}

describe('planGeometry properties', () => {
  it('holds the invariants for every fit', () => {
    fc.assert(
      fc.property(sideArb, sideArb, specArb, (w, h, spec) => {
        const src = size(w, h);
        const g = planGeometry(src, spec);
        checkCommon(src, g);
        const both = spec.width !== undefined && spec.height !== undefined;
        const box = both
          ? size(deviceSide(spec.width!, spec.dpr), deviceSide(spec.height!, spec.dpr))
          : undefined;
        if (spec.fit !== 'pad' || !box) {
          expect(g.canvas).toEqual(g.resize);
          expect(g.offset).toEqual({ left: 0, top: 0 });
        }
        if (spec.fit !== 'cover' && spec.fit !== 'crop') expect(g.crop).toEqual(rect(0, 0, w, h));
        if (spec.fit === 'scale-down' || spec.fit === 'crop') {
          // never enlarges
          expect(g.resize.width).toBeLessThanOrEqual(g.crop.width);
          expect(g.resize.height).toBeLessThanOrEqual(g.crop.height);
        }
        if (!box) return;
        // every fit stays inside the box
        expect(g.canvas.width).toBeLessThanOrEqual(box.width);
        expect(g.canvas.height).toBeLessThanOrEqual(box.height);
        switch (spec.fit) {
          case 'contain':
          case 'pad':
            // fits inside, touching the box on at least one axis
            expect(g.resize.width === box.width || g.resize.height === box.height).toBe(true);
            if (spec.fit === 'pad') expect(g.canvas).toEqual(box);
            break;
          case 'cover':
            expect(g.resize).toEqual(box);
            // the largest window: full width or full height of the source
            expect(g.crop.width === w || g.crop.height === h).toBe(true);
            break;
          case 'crop':
            expect(g.resize.width).toBe(Math.min(box.width, g.crop.width));
            expect(g.resize.height).toBe(Math.min(box.height, g.crop.height));
            break;
          case 'scale-down':
            expect(
              g.resize.width === box.width ||
                g.resize.height === box.height ||
                g.resize.width === w,
            ).toBe(true);
            break;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('crop equals cover when the source is at least the cover size', () => {
    fc.assert(
      fc.property(sideArb, sideArb, specArb, (w, h, spec) => {
        fc.pre(spec.width !== undefined && spec.height !== undefined);
        const bw = deviceSide(spec.width!, spec.dpr);
        const bh = deviceSide(spec.height!, spec.dpr);
        fc.pre(w >= bw && h >= bh);
        const src = size(w, h);
        expect(planGeometry(src, { ...spec, fit: 'crop' })).toEqual(
          planGeometry(src, { ...spec, fit: 'cover' }),
        );
      }),
      { numRuns: 200 },
    );
  });
});
