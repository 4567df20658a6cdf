/**
 * The cost planner: estimates from header facts and the bench's cost table, shrink-on-load,
 * and where a variant may be made.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import {
  combine,
  COST_TABLE,
  decodeScale,
  estimateVariant,
  fits,
  inlineBudget,
  overBudget,
  placement,
  queueBudget,
  BANDED_WEBP_MB_PER_MP,
  STREAMED_WEBP_MB_PER_MP,
  STREAMED_WEBP_FIXED_MB,
  type CostTable,
  type PlanSource,
  vp8lWindowMB,
} from '../../src/transform/cost';
import { turboPaysOff } from '../../src/transform/jpeg-cost';
import { feasibleFormat } from '../../src/transform/negotiate';
import { shapeVariant } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';

const carrie: PlanSource = {
  format: 'jpeg',
  width: 3000,
  height: 4000,
  orientation: 1,
  hasAlpha: false,
};
const kodak: PlanSource = {
  format: 'png',
  width: 768,
  height: 512,
  orientation: 1,
  hasAlpha: false,
};
const config = loadConfig({});
const spec = (s: string) => parseTransform(s);

describe('cost table', () => {
  it('says when and where it was measured, and has every figure the planner reads', () => {
    expect(COST_TABLE.measured).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(COST_TABLE.machine).toMatch(/nproc/);
    for (const f of ['jpeg', 'png', 'webp', 'avif'] as const) {
      expect(COST_TABLE.decodeMsPerMP[f]).toBeGreaterThan(0);
      expect(COST_TABLE.encodeMsPerMP[f]).toBeGreaterThan(0);
      expect(COST_TABLE.memoryMBPerMP.encode[f]).toBeGreaterThan(0);
    }
    expect(COST_TABLE.resizeMsPerMP).toBeGreaterThan(0);
  });
});

describe('estimateVariant', () => {
  it('adds decode, resize and encode time from the table', () => {
    const est = estimateVariant(kodak, spec('w=384,f=webp'), 'webp');
    const t = COST_TABLE;
    const srcMP = (768 * 512) / 1e6;
    const outMP = (384 * 256) / 1e6;
    expect(est.decodeScale).toBe(1);
    expect(est.cpuMs).toBeCloseTo(
      t.decodeMsPerMP.png! * srcMP +
        t.resizeMsPerMP! * srcMP +
        est.stages.colour.ms +
        t.encodeMsPerMP.webp! * outMP,
      6,
    );
    expect(est.outputPixels).toBe(384 * 256);
    expect(est.memoryMB).toBeGreaterThan(0);
  });

  it('charges a shrink-on-load decode for baseline JPEGs reduced 2x or more', () => {
    // (Widths where no M/8 of libjpeg-turbo decodes fewer pixels: 1200 needs 4/8 = 1/2.)
    expect(decodeScale(carrie, spec('w=1200'))).toBe(2);
    expect(decodeScale(carrie, spec('w=300'))).toBe(8);
    expect(decodeScale(carrie, spec('w=2700'))).toBe(1);
    expect(decodeScale({ ...carrie, format: 'png' }, spec('w=300'))).toBe(1);
    const scaled = estimateVariant(carrie, spec('w=1200,f=webp'), 'webp');
    const full = estimateVariant(carrie, spec('w=2700,f=webp'), 'webp');
    expect(scaled.decodedPixels).toBe(1500 * 2000);
    expect(scaled.stages.decode.ms).toBeCloseTo(
      COST_TABLE.jpegScaledDecodeMsPerMPByDenom!['2']! * 12,
      6,
    );
    expect(scaled.stages.resize.ms).toBeLessThan(full.stages.resize.ms / 3);
    // w=800: libjpeg-turbo at 3/8 (1125x1500) rather than the module at 1/2 (jpeg-cost.ts).
    const eighths = estimateVariant(carrie, spec('w=800,f=webp'), 'webp');
    expect(eighths.decodedPixels).toBe(1125 * 1500);
    expect(eighths.stages.decode.ms).toBeCloseTo(3.5 * 12 + 10.5 * ((1125 * 1500) / 1e6), 6);
    // Progressive JPEGs do all the entropy decoding: the decode's CPU is charged in full.
    const progressive = estimateVariant({ ...carrie, progressive: true }, spec('w=800'), 'webp');
    expect(progressive.stages.decode.ms).toBeCloseTo(COST_TABLE.decodeMsPerMP.jpeg! * 12, 6);
    expect(progressive.decodedPixels).toBe(1500 * 2000);
  });

  it('charges a progressive JPEG the coefficients its decode scale keeps between scans', () => {
    // 12 MP at 4:2:0 = 281,250 blocks; bytes per block at 1/8, 1/4, 1/2, 1/1: 10, 16, 40, 128
    // (k x k i16 plus an 8-byte non-zero bitmap below 1/1; wasm/README.md).
    const extra = (t: string) =>
      estimateVariant({ ...carrie, progressive: true }, spec(t), 'webp').stages.decode.mb -
      estimateVariant(carrie, spec(t), 'webp').stages.decode.mb;
    const blocks = (12e6 * 1.5) / 64;
    for (const [t, denom, bytes] of [
      ['w=300', 8, 10],
      ['w=700', 4, 16],
      ['w=1200', 2, 40],
      ['w=2700', 1, 128],
    ] as const) {
      expect(decodeScale(carrie, spec(t))).toBe(denom);
      expect(extra(t)).toBeCloseTo((blocks * bytes) / 1_048_576, 6); // MiB
    }
  });

  it('charges the module at 1/1 for JPEGs reduced less than 2x, and libjpeg-turbo when not reduced', () => {
    const srcMP = 12;
    // 2700 px of 3000: 7/8 would not cover it, so no M/8 decodes fewer pixels.
    const module = estimateVariant(carrie, spec('w=2700,f=webp'), 'webp');
    const outMP = (2700 * 3600) / 1e6;
    expect(module.decodeScale).toBe(1);
    expect(module.stages.decode.ms).toBeCloseTo(
      COST_TABLE.jpegScaledDecodeMsPerMPByDenom!['1']! * srcMP,
      6,
    );
    // The module's RGB image and its output; no resize buffers (the module resamples).
    expect(module.stages.decode.mb).toBeCloseTo(5 * srcMP + 7 * outMP, 6);
    expect(module.stages.resize.mb).toBe(0);
    // A format change of a baseline JPEG decodes through libjpeg-turbo at 8/8, 3.5 + 10.5 ms
    // per MP (src/transform/jpeg-cost.ts): into a WebP (streamed) as rows, holding two copies
    // of the input (0.25 MB per MP when its size is unknown) and 2 MiB of state and rows; into
    // an AVIF (not streamed) whole, two RGBA images (the module's and the JS copy) instead.
    const same = estimateVariant(carrie, spec('f=webp'), 'webp');
    expect(same.stages.decode.ms).toBeCloseTo(14 * srcMP, 6);
    expect(same.stages.decode.mb).toBeCloseTo(2 * 0.25 * srcMP + 2, 6);
    const whole = estimateVariant(carrie, spec('f=avif'), 'avif');
    expect(whole.stages.decode.mb).toBeCloseTo(2 * 0.25 * srcMP + 2 * (4 / 1.048576) * srcMP, 6);
    // Nothing changes size, so the pipeline skips the resize: nothing charged for it. Read as
    // rows, libjpeg-turbo adds nothing fixed (jpeg-cost.ts TURBO_FIXED_MB is the whole decode's):
    // the request, the input, colour management (3) and the encoder.
    expect(same.stages.resize).toEqual({ ms: 0, mb: 0 });
    expect(same.stages.fixedMB).toBeCloseTo(
      COST_TABLE.memoryFixedMB.request! +
        (COST_TABLE.memoryMBPerInputMB! * (carrie.bytes ?? 0)) / 1_048_576 +
        3 +
        // The streamed WebP encode's own fixed figure (cost.ts), not the table's.
        STREAMED_WEBP_FIXED_MB,
      6,
    );
    // A progressive one too, with all its coefficients (2 bytes per coded sample at 4:2:0)
    // and all the entropy decoding (the full decode's CPU per source MP).
    const prog = estimateVariant({ ...carrie, progressive: true }, spec('f=webp'), 'webp');
    expect(prog.stages.decode.mb).toBeCloseTo(same.stages.decode.mb + (3 / 1.048576) * srcMP, 6);
    expect(prog.stages.decode.ms).toBeCloseTo((COST_TABLE.decodeMsPerMP.jpeg! + 10.5) * srcMP, 6);
    // Measured (node bench/grid-memory.mjs, 12 MP → 1600x2133 WebP, the module at 1/1):
    // 113.6 MB above idle; the old mozjpeg + @jsquash/resize path peaked 339 MB above idle.
    const large = estimateVariant(carrie, spec('w=1600,f=webp'), 'webp');
    expect(large.decodeScale).toBe(1);
    expect(large.memoryMB).toBeGreaterThanOrEqual(113.6);
    expect(large.memoryMB).toBeLessThan(113.6 * 1.35);
  });

  it('prices libjpeg-turbo at M/8 + resize against the module at 1/d for a baseline reduction', () => {
    // 12 MP → 800x1067: 3/8 (1125x1500) against 1/2 (1500x2000) with the streaming resample.
    const args = [12e6, 1125 * 1500, 1500 * 2000, 2] as const;
    // wasm/resize.wasm holds rows only: 3/8's two RGBA images (12.9 MB) against the module's
    // 7 MB per decoded MP (21 MB), and less CPU (measured: 155-164 against 174-184 ms).
    expect(turboPaysOff(...args, COST_TABLE)).toBe(true);
    // Not when M/8 decodes as many pixels as 1/d (the resize is then pure extra CPU).
    expect(turboPaysOff(12e6, 1500 * 2000, 1500 * 2000, 2, COST_TABLE)).toBe(false);
    // Unmeasured 1/d: keep the known path.
    expect(turboPaysOff(...args, { ...COST_TABLE, jpegScaledDecodeMsPerMPByDenom: {} })).toBe(
      false,
    );
  });

  it('grows encode memory along the measured curve: the 800w ratio, then the 800w→1600w slope', () => {
    const t = COST_TABLE.memoryMBPerMP;
    const knee = (800 * 1067) / 1e6;
    for (const f of ['jpeg', 'png', 'webp', 'avif'] as const) {
      // (A WebP that is only resized is streamed into libwebp: priced apart, below.)
      const small = estimateVariant(kodak, spec('w=400,sharpen=1'), f);
      expect(small.stages.encode.mb).toBeCloseTo(t.encode[f]! * ((400 * 267) / 1e6), 6);
      const big = estimateVariant(carrie, spec('w=1600,sharpen=1'), f);
      const outMP = (1600 * 2133) / 1e6;
      expect(big.stages.encode.mb).toBeCloseTo(
        t.encode[f]! * knee + t.encodeAbove800w![f]! * (outMP - knee),
        6,
      );
      expect(t.encodeAbove800w![f]).toBeGreaterThan(0);
    }
  });

  it('prices a streamed WebP as what libwebp holds, without the copies it no longer makes', () => {
    const outMP = (1600 * 2133) / 1e6;
    const streamed = estimateVariant(carrie, spec('w=1600'), 'webp');
    const buffered = estimateVariant(carrie, spec('w=1600,sharpen=1'), 'webp');
    expect(streamed.stages.encode.mb).toBeCloseTo(BANDED_WEBP_MB_PER_MP * outMP, 6);
    expect(streamed.stages.resize.mb).toBe(0);
    // A quarter turn writes the whole RGBA into libwebp (its rows need every stored row).
    const turned = estimateVariant(carrie, spec('w=1600,rotate=90'), 'webp');
    const turnedMP = (1600 * 1200) / 1e6;
    expect(turned.stages.encode.mb).toBeCloseTo(STREAMED_WEBP_MB_PER_MP * turnedMP, 6);
    expect(BANDED_WEBP_MB_PER_MP).toBeLessThan(STREAMED_WEBP_MB_PER_MP);
    expect(streamed.memoryMB).toBeLessThan(buffered.memoryMB);
    // With transparency the table's alpha figures stand.
    const alpha = estimateVariant({ ...carrie, hasAlpha: true }, spec('w=1600'), 'webp');
    expect(alpha.stages.encode.mb).toBeGreaterThan(streamed.stages.encode.mb);
  });

  it("charges libwebp's VP8L decoder its window of rows for lossless WebP sources, scaled to the target", () => {
    const webpSrc = { ...kodak, format: 'webp' as const };
    const lossy = estimateVariant(webpSrc, spec('w=384'), 'webp');
    // Off the streamed path (AVIF output): libwebp crops and scales to the target.
    const lossless = estimateVariant(
      { ...webpSrc, webpLossless: true, webpVp8l: true },
      spec('w=384'),
      'avif',
    );
    const srcMP = (768 * 512) / 1e6;
    expect(lossy.stages.decode.ms).toBeCloseTo(COST_TABLE.decodeMsPerMP.webp! * srcMP, 6);
    expect(lossless.stages.decode.ms).toBeCloseTo(COST_TABLE.webpLosslessDecodeMsPerMP! * srcMP, 6);
    // Its tables per source MP, the window (here the whole 512 rows: the window is 2^20
    // pixels deep), the input twice (no size known: 4 bytes per pixel) and the output RGBA
    // twice, which libwebp scales to the target itself (384x256): no resize stage.
    const MiB = 1_048_576;
    expect(vp8lWindowMB(768, 512)).toBeCloseTo((4 * 768 * (512 + 17)) / MiB, 6);
    expect(lossless.stages.decode.mb).toBeCloseTo(
      0.1 * srcMP + vp8lWindowMB(768, 512) + (2 * 768 * 512 * 4) / MiB + (2 * 4 * 384 * 256) / MiB,
      6,
    );
    expect(lossless.stages.resize).toEqual({ ms: 0, mb: 0 });
    // On the streamed path (WebP output) its rows are pulled, cropped and scaled by libwebp,
    // a band of up to 32 at a time: no output held, no copy out, no decode fixed figure
    // (codecs/webp.ts `openWebpRows`).
    const rows = estimateVariant(
      { ...webpSrc, webpLossless: true, webpVp8l: true },
      spec('w=384'),
      'webp',
    );
    expect(rows.stages.decode.mb).toBeCloseTo(
      0.1 * srcMP + vp8lWindowMB(768, 512) + (2 * 768 * 512 * 4) / MiB + (32 * 768 * 4) / MiB,
      6,
    );
    expect(rows.stages.resize).toEqual({ ms: 0, mb: 0 });
    expect(rows.decodedPixels).toBe(768 * (512 + 17) + 32 * 768);
    // A 12 MP photo keeps 399 of its 3024 rows: 2^20 pixels back, a copy ahead, half again.
    expect(vp8lWindowMB(4032, 3024)).toBeCloseTo((4 * 4032 * (399 + 17)) / MiB, 6);
    // A lossless alpha plane (or a record that does not tell): the whole ARGB image, decoded
    // at 1/2 by libwebp and resized by wasm/resize.wasm.
    const alpha = estimateVariant({ ...webpSrc, webpLossless: true }, spec('w=384'), 'webp');
    expect(alpha.stages.decode.mb).toBeCloseTo(
      COST_TABLE.memoryMBPerMP.webpLosslessDecode! * srcMP +
        (2 * 768 * 512 * 4) / MiB +
        (2 * 4 * 384 * 256) / MiB,
      6,
    );
  });

  it('maps the crop through EXIF orientation before choosing the scale', () => {
    // Stored 4000x3000, shown 3000x4000 (orientation 6): w=1200 needs 1600 rows of the stored width.
    const turned = { ...carrie, width: 4000, height: 3000, orientation: 6 };
    expect(decodeScale(turned, spec('w=1200'))).toBe(2);
    expect(estimateVariant(turned, spec('w=1200'), 'webp').outputPixels).toBe(1200 * 1600);
  });

  it('makes AVIF dearer at slower speeds, and falls back to the largest figure when one is missing', () => {
    const fast = estimateVariant(kodak, spec('w=400'), 'avif');
    const slow = estimateVariant(kodak, spec('w=400'), 'avif', COST_TABLE.avifSpeed - 1);
    expect(slow.stages.encode.ms).toBeCloseTo(fast.stages.encode.ms * 4, 6);
    const gap: CostTable = {
      ...COST_TABLE,
      encodeMsPerMP: { ...COST_TABLE.encodeMsPerMP, webp: null },
    };
    const worst = Math.max(
      ...Object.values(COST_TABLE.encodeMsPerMP).filter((v): v is number => v !== null),
    );
    const est = estimateVariant(kodak, spec('w=400'), 'webp', undefined, gap);
    expect(est.stages.encode.ms).toBeCloseTo(worst * ((400 * 267) / 1e6), 6);
  });

  it('charges the colour transform on the smaller of crop and output, unless there is no profile', () => {
    // Reduced: the output's pixels (30 ms per MP, plus 5 ms to build the transform).
    const small = estimateVariant(kodak, spec('w=384,f=webp'), 'webp');
    expect(small.stages.colour.ms).toBeCloseTo(5 + 30 * ((384 * 256) / 1e6), 6);
    // Enlarged: the source's pixels, converted before the resize.
    const big = estimateVariant(kodak, spec('w=1536,f=webp'), 'webp');
    expect(big.stages.colour.ms).toBeCloseTo(5 + 30 * ((768 * 512) / 1e6), 6);
    // Known to be untagged (or sRGB): nothing.
    const none = estimateVariant({ ...kodak, colourManaged: false }, spec('w=384'), 'webp');
    expect(none.stages.colour).toEqual({ ms: 0, mb: 0 });
    expect(small.stages.fixedMB - none.stages.fixedMB).toBe(3);
  });

  it('combines formats made one after another: CPU adds up, memory is the largest', () => {
    const list = (['avif', 'webp', 'jpeg'] as const).map((f) =>
      estimateVariant(carrie, spec('w=800,f=auto'), f),
    );
    const all = combine(list);
    expect(all.cpuMs).toBeCloseTo(
      list.reduce((s, e) => s + e.cpuMs, 0),
      6,
    );
    expect(all.memoryMB).toBe(Math.max(...list.map((e) => e.memoryMB)));
  });
});

describe('placement', () => {
  it('keeps small work inline, offloads heavy work, and refuses what nobody can do', () => {
    expect(placement(estimateVariant(kodak, spec('w=300,f=avif'), 'avif'), config)).toBe('inline');
    expect(placement(estimateVariant(carrie, spec('w=800,f=webp'), 'webp'), config)).toBe('inline');
    expect(placement(estimateVariant(carrie, spec('w=800,f=avif'), 'avif'), config)).toBe('inline');
    expect(placement(estimateVariant(carrie, spec('w=1000,f=avif'), 'avif'), config)).toBe('queue');
    const huge = estimateVariant(carrie, spec('w=3000,f=avif'), 'avif');
    expect(placement(huge, config)).toBe('refuse');
    expect(overBudget(huge, queueBudget(config)).join(' ')).toMatch(/MB of memory/);
  });

  it('offloads a variant that decodes more pixels than the inline ceiling', () => {
    // A JPEG that is not reduced is decoded whole (mozjpeg); a PNG streams, so only its
    // output counts (src/transform/png-cost.ts).
    expect(estimateVariant(kodak, spec('w=300'), 'webp').decodedPixels).toBe(300 * 200);
    const est = estimateVariant({ ...kodak, format: 'jpeg' }, spec('f=webp'), 'webp');
    const tight = loadConfig({ MAX_INLINE_PIXELS: '100000' });
    expect(fits(est, inlineBudget(config))).toBe(true);
    expect(overBudget(est, inlineBudget(tight))).toEqual([
      `${768 * 512} decoded pixels (ceiling 100000 pixels)`,
    ]);
    expect(placement(est, tight)).toBe('queue');
  });

  it('reads the budgets from config, the queue one larger than the inline one', () => {
    expect(inlineBudget(config)).toEqual({
      cpuMs: 1000,
      memoryMB: 96,
      maxDecodedPixels: 6_000_000,
    });
    expect(queueBudget(config).cpuMs).toBeGreaterThan(inlineBudget(config).cpuMs);
    expect(queueBudget(config).memoryMB).toBeGreaterThan(inlineBudget(config).memoryMB);
    const custom = loadConfig({ INLINE_BUDGET_MS: '5', INLINE_BUDGET_MB: '7' });
    expect(inlineBudget(custom)).toMatchObject({ cpuMs: 5, memoryMB: 7 });
  });
});

describe('format=auto falls back to what can be made', () => {
  it('picks the next format when an AVIF of a 3 MP PNG at 800 px is over every budget', () => {
    const bug = {
      format: 'png',
      width: 2048,
      height: 1536,
      orientation: 1,
      hasAlpha: true,
    } as const;
    const spec = parseTransform('w=800,f=auto');
    // A consumer budget between the WebP and AVIF estimates (the PNG streams, so the default
    // budgets make either).
    const webpMB = Math.ceil(estimateVariant(bug, spec, 'webp').memoryMB);
    const config = loadConfig({
      INLINE_BUDGET_MB: String(webpMB),
      QUEUE_BUDGET_MB: String(webpMB),
    });
    expect(placement(estimateVariant(bug, spec, 'avif'), config)).toBe('refuse');
    const chosen = feasibleFormat(shapeVariant(bug, spec), ['avif', 'webp', 'png'], config).format;
    expect(chosen).not.toBe('avif');
    expect(placement(estimateVariant(bug, spec, chosen), config)).not.toBe('refuse');
    // Nothing feasible: the first candidate, so the 422 names its estimate.
    const huge = { ...bug, width: 8000, height: 6000 };
    expect(feasibleFormat(shapeVariant(huge, spec), ['avif', 'webp', 'png'], config).format).toBe(
      'avif',
    );
  });
});
