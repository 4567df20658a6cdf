/** format=auto candidates and Accept classes (src/transform/negotiate.ts). */
import { describe, expect, it } from 'vitest';
import {
  acceptClass,
  autoCandidates,
  bestEffort,
  resolveFormat,
} from '../../src/transform/negotiate';

const photo = { format: 'jpeg', hasAlpha: false } as const;
const alpha = { format: 'png', hasAlpha: true } as const;

describe('autoCandidates', () => {
  it('offers AVIF and WebP first, JPEG last for an opaque source', () => {
    expect(autoCandidates('avif', photo)).toEqual(['avif', 'webp', 'jpeg']);
    expect(autoCandidates('webp', photo)).toEqual(['webp', 'jpeg']);
    expect(autoCandidates('basic', photo)).toEqual(['jpeg']);
  });

  it('offers PNG to a source with alpha only after AVIF and WebP, when acceptable', () => {
    expect(autoCandidates('avif', alpha)).toEqual(['avif', 'webp', 'png']);
    expect(autoCandidates('webp', alpha)).toEqual(['webp', 'png']);
    expect(autoCandidates('basic', alpha)).toEqual(['png']);
    expect(resolveFormat('auto', acceptClass('image/avif,image/webp'), alpha)).toBe('avif');
    expect(resolveFormat('auto', acceptClass('image/webp,*/*'), alpha)).toBe('webp');
  });

  it('keeps animation in WebP when accepted, else GIF', () => {
    const anim = { format: 'gif', hasAlpha: true, frames: 3 } as const;
    expect(autoCandidates('avif', anim)).toEqual(['webp', 'gif']);
    expect(autoCandidates('basic', anim)).toEqual(['gif']);
    expect(autoCandidates('webp', anim, { anim: false })).toEqual(['webp', 'png']);
  });
});

describe('bestEffort', () => {
  it('lets an explicit AVIF fall back to WebP, and nothing else', () => {
    expect(bestEffort('avif', { format: 'avif' })).toEqual(['avif', 'webp']);
    expect(bestEffort('avif', { format: 'auto' })).toEqual(['avif']);
    for (const f of ['webp', 'jpeg', 'png', 'gif'] as const)
      expect(bestEffort(f, { format: f })).toEqual([f]);
    // `compression=fast` made the explicit AVIF a JPEG: made or refused as asked.
    expect(bestEffort('jpeg', { format: 'avif' })).toEqual(['jpeg']);
  });
});
