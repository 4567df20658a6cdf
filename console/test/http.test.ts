/** Reading the service's answers in the console: problems, timings, sources, uploads, lists. */
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  appendPage,
  formatBytes,
  formatDuration,
  jobEnded,
  parseProblem,
  parseServerTiming,
  parseVariantLines,
  uploadOutcome,
  variantSource,
} from '../src/lib/http';
import { parseRoute } from '../src/router';

describe('parseProblem', () => {
  it('reads an RFC 9457 problem', () => {
    const body = JSON.stringify({
      type: '/problems/x',
      title: 'Bad request',
      status: 400,
      detail: 'w is bad',
    });
    const p = parseProblem(400, 'Bad Request', body);
    expect(p).toMatchObject({ title: 'Bad request', status: 400, detail: 'w is bad' });
    expect(new ApiError(p).message).toBe('Bad request: w is bad');
  });

  it('makes a problem of a body that is not one', () => {
    expect(parseProblem(502, 'Bad Gateway', '<html>oops</html>')).toEqual({
      title: 'Bad Gateway',
      status: 502,
    });
    expect(parseProblem(0, '', '')).toEqual({ title: 'Network error', status: 0 });
    expect(parseProblem(500, '', 'plain text')).toEqual({
      title: 'HTTP 500',
      status: 500,
      detail: 'plain text',
    });
  });
});

describe('parseServerTiming', () => {
  it('reads names, durations and descriptions', () => {
    expect(parseServerTiming('decode;dur=12.5;desc="Decode", encode;dur=30, cache')).toEqual([
      { name: 'decode', dur: 12.5, desc: 'Decode' },
      { name: 'encode', dur: 30 },
      { name: 'cache' },
    ]);
    expect(parseServerTiming(null)).toEqual([]);
    expect(parseServerTiming('a;dur=x')).toEqual([{ name: 'a' }]);
  });
});

describe('variantSource', () => {
  it('tells edge cache, R2, made now and stand-in apart', () => {
    expect(variantSource('HIT', null)).toBe('edge cache');
    expect(variantSource('MISS', 'r2')).toBe('R2');
    expect(variantSource('MISS', 'computed')).toBe('made now');
    expect(variantSource('MISS', 'stand-in')).toBe('stand-in');
    expect(variantSource(null, null)).toBe('unknown');
  });
});

describe('formatting', () => {
  it('formats bytes in powers of 1000', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(12_345)).toBe('12.3 KB');
    expect(formatBytes(4_560_000)).toBe('4.56 MB');
    expect(formatBytes(-1)).toBe('–');
  });

  it('formats durations', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(44.6)).toBe('45 s');
    expect(formatDuration(200)).toBe('3 min 20 s');
    expect(formatDuration(3900)).toBe('1 h 5 min');
  });
});

describe('uploadOutcome', () => {
  const img = JSON.stringify({ id: 'abcdefghijklmnop', format: 'jpeg', width: 4, height: 3 });
  it('tells a new image from a duplicate', () => {
    expect(uploadOutcome(201, 'Created', img)).toEqual({
      kind: 'created',
      id: 'abcdefghijklmnop',
      message: 'Uploaded: 4×3 jpeg',
    });
    expect(uploadOutcome(200, 'OK', img)).toMatchObject({
      kind: 'duplicate',
      message: 'Already uploaded (same bytes): 4×3 jpeg',
    });
  });

  it("shows a refusal's title and detail", () => {
    const problem = JSON.stringify({
      title: 'Unsupported media type',
      status: 415,
      detail: 'Not an image we accept.',
    });
    expect(uploadOutcome(415, 'Unsupported Media Type', problem)).toEqual({
      kind: 'refused',
      message: 'Unsupported media type: Not an image we accept.',
    });
    expect(uploadOutcome(0, 'Network error', '')).toEqual({
      kind: 'refused',
      message: 'Network error',
    });
  });
});

describe('lists and forms', () => {
  it('appends a page without repeating ids', () => {
    const a = [{ id: '1' }, { id: '2' }];
    expect(appendPage(a, [{ id: '2' }, { id: '3' }]).map((x) => x.id)).toEqual(['1', '2', '3']);
  });

  it('splits variant lines', () => {
    expect(parseVariantLines(' thumbnail\n\nw=64,f=webp\nthumbnail ')).toEqual([
      'thumbnail',
      'w=64,f=webp',
    ]);
  });

  it('knows the terminal job statuses', () => {
    expect(['queued', 'running', 'succeeded', 'failed', 'cancelled'].map(jobEnded)).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
  });
});

describe('parseRoute', () => {
  it('maps console paths to pages', () => {
    expect(parseRoute('/')).toEqual({ page: 'gallery' });
    expect(parseRoute('/console/')).toEqual({ page: 'gallery' });
    expect(parseRoute('/console/images/abcdefghijklmnop')).toEqual({
      page: 'image',
      id: 'abcdefghijklmnop',
    });
    expect(parseRoute('/console/jobs')).toEqual({ page: 'jobs' });
    expect(parseRoute('/console/keys/')).toEqual({ page: 'keys' });
    expect(parseRoute('/console/nope')).toEqual({ page: 'missing' });
  });
});
