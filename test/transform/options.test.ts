/**
 * The Cloudflare options beyond geometry, as parsed and canonicalised (transform/spec.ts),
 * resolved from client hints (transform/hints.ts) and read as CSS colours
 * (transform/css-colour.ts). Through the Worker: test/routes/options.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseCssColour } from '../../src/transform/css-colour';
import { autoWidth, resolveHints, slowConnection } from '../../src/transform/hints';
import { canonicalTransform, parseTransform } from '../../src/transform/spec';

const canon = (text: string) => canonicalTransform(parseTransform(text));

describe('canonical form of the new options', () => {
  it('writes one spelling per request', () => {
    expect(canon('scq=low,q=high')).toBe('quality=high,slow-connection-quality=low');
    expect(canon('slow-connection-quality=40')).toBe('slow-connection-quality=40');
    expect(canon('metadata=none')).toBe('');
    expect(canon('metadata=keep,compression=fast')).toBe('compression=fast,metadata=keep');
    expect(canon('g=face,zoom=0.3')).toBe('gravity=auto');
    expect(canon('face-zoom=1')).toBe('');
    expect(canon('w=auto,h=100')).toBe('width=auto,height=100');
    expect(canon('f=baseline-jpeg')).toBe('format=baseline-jpeg');
    expect(canon('fit=squeeze,w=1,h=2')).toBe('width=1,height=2,fit=squeeze');
    expect(canon('background=red')).toBe(canon('background=ff0000'));
    expect(canon('background=rgba(255,0,0,0.5)')).toBe('background=ff000080');
    expect(canon('upscale=interpolate,w=5')).toBe('width=5');
    expect(canon('onerror=redirect')).toBe('onerror=redirect');
    for (const c of [
      'quality=medium-low,slow-connection-quality=20',
      'width=auto,onerror=redirect',
    ])
      expect(canon(c)).toBe(c);
  });

  it('refuses repeats across aliases of the new options', () => {
    expect(() => parseTransform('scq=1,slow-connection-quality=2')).toThrow(/repeats/);
    expect(() => parseTransform('zoom=1,face-zoom=1')).toThrow(/repeats/);
    expect(() => parseTransform('upscale=interpolate,upscale=interpolate')).toThrow(/twice/);
  });
});

describe('parseCssColour', () => {
  it('reads names, rgb() and rgba() in both syntaxes, clamping', () => {
    expect(parseCssColour('RebeccaPurple')).toEqual({ r: 102, g: 51, b: 153, a: 255 });
    expect(parseCssColour('transparent')).toEqual({ r: 0, g: 0, b: 0, a: 0 });
    expect(parseCssColour('rgb(240,40,145)')).toEqual({ r: 240, g: 40, b: 145, a: 255 });
    expect(parseCssColour('rgb%28240%2C40%2C145%29')).toEqual({ r: 240, g: 40, b: 145, a: 255 });
    expect(parseCssColour('rgba(240,40,145,0)')).toEqual({ r: 240, g: 40, b: 145, a: 0 });
    expect(parseCssColour('rgb(255 255 0)')).toEqual({ r: 255, g: 255, b: 0, a: 255 });
    expect(parseCssColour('rgb(100% 0% 50% / 25%)')).toEqual({ r: 255, g: 0, b: 128, a: 64 });
    expect(parseCssColour('rgb(300,-5,0)')).toEqual({ r: 255, g: 0, b: 0, a: 255 });
    for (const bad of ['rgb(1,2)', 'rgb(a,b,c)', 'hsl(0,0%,0%)', 'toString', 'rgb(1 2 3 / 4 / 5)'])
      expect(parseCssColour(bad), bad).toBeNull();
  });
});

describe('client hints', () => {
  const h = (init: Record<string, string>) => new Headers(init);

  it('width=auto snaps the device width up to 320, 768, 960 or 1200', () => {
    expect(autoWidth(h({ 'Sec-CH-Width': '1' }), 1)).toBe(320);
    expect(autoWidth(h({ 'Sec-CH-Width': '321' }), 1)).toBe(768);
    expect(autoWidth(h({ Width: '960' }), 1)).toBe(960);
    expect(autoWidth(h({ 'Sec-CH-Width': '5000' }), 1)).toBe(1200);
    expect(autoWidth(h({ 'Viewport-Width': '400', DPR: '2' }), 1)).toBe(960);
    expect(autoWidth(h({ 'Sec-CH-Viewport-Width': '400' }), 2)).toBe(960);
    expect(autoWidth(h({ 'Sec-CH-Width': 'wide' }), 1)).toBe(1200);
    expect(autoWidth(h({}), 1)).toBe(1200);
  });

  it('slow-connection-quality follows Cloudflare’s four conditions', () => {
    expect(slowConnection(h({ RTT: '151' }))).toBe(true);
    expect(slowConnection(h({ RTT: '150' }))).toBe(false);
    expect(slowConnection(h({ 'Save-Data': 'on' }))).toBe(true);
    expect(slowConnection(h({ ECT: 'slow-2g' }))).toBe(true);
    expect(slowConnection(h({ ECT: '4g' }))).toBe(false);
    expect(slowConnection(h({ Downlink: '4.9' }))).toBe(true);
    expect(slowConnection(h({ Downlink: '10' }))).toBe(false);
    expect(slowConnection(h({}))).toBe(false);
  });

  it('resolves to a plain spec, device pixels at dpr 1', () => {
    const { spec, acceptCh } = resolveHints(
      parseTransform('w=auto,h=100,dpr=2,q=90,scq=30'),
      h({ 'Sec-CH-Width': '700', ECT: '2g' }),
    );
    expect(canonicalTransform(spec)).toBe('width=768,height=200,quality=30');
    expect(acceptCh).toContain('Sec-CH-Width');
    expect(acceptCh).toContain('ECT');
    expect(resolveHints(parseTransform('w=5'), undefined).acceptCh).toEqual([]);
  });
});
