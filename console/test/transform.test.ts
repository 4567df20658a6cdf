/** The playground's options → `/img` transform string, and focal points from clicks. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, focalFromClick, toTransform } from '../src/lib/transform';

describe('toTransform', () => {
  it('gives only the options that differ from the defaults', () => {
    expect(toTransform(DEFAULT_OPTIONS)).toBe('w=800,f=auto');
    expect(toTransform({ ...DEFAULT_OPTIONS, width: null })).toBe('f=auto');
  });

  it('writes every option with its URL name, in a fixed order', () => {
    const t = toTransform({
      width: 400.4,
      height: 300,
      fit: 'cover',
      gravity: 'focal',
      focalX: 0.25,
      focalY: 0.6004,
      dpr: 2,
      quality: 70,
      format: 'webp',
      rotate: 90,
      flip: 'h',
      blur: 1.5,
      sharpen: 2,
      background: '#FFAA00',
    });
    expect(t).toBe(
      'w=400,h=300,dpr=2,fit=cover,g=0.25x0.6,rotate=90,flip=h,background=ffaa00,blur=1.5,sharpen=2,q=70,f=webp',
    );
  });

  it('names a named gravity and leaves out center', () => {
    expect(toTransform({ ...DEFAULT_OPTIONS, gravity: 'top' })).toBe('w=800,g=top,f=auto');
    expect(toTransform({ ...DEFAULT_OPTIONS, gravity: 'center', focalX: 0.1 })).toBe(
      'w=800,f=auto',
    );
  });
});

describe('focalFromClick', () => {
  it('gives fractions of the displayed image, clamped and rounded', () => {
    expect(focalFromClick(50, 150, 200, 200)).toEqual({ x: 0.25, y: 0.75 });
    expect(focalFromClick(-5, 250, 200, 200)).toEqual({ x: 0, y: 1 });
    expect(focalFromClick(1, 2, 3, 3)).toEqual({ x: 0.333, y: 0.667 });
  });

  it('falls back to the centre for an image with no size', () => {
    expect(focalFromClick(10, 10, 0, 0)).toEqual({ x: 0.5, y: 0.5 });
  });
});
