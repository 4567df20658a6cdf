/**
 * Object keys of sources, from URL paths: the one place that decides what a source key may
 * look like, before anything is fetched.
 */
import { badRequest, HttpError } from '../errors';
import type { Source } from './config';

/** Longest accepted key, characters. */
export const MAX_KEY_LENGTH = 1024;

/**
 * The object key for raw (percent-encoded) path segments: each segment decoded, joined by `/`.
 * @throws HttpError 400 for an empty key, an empty, `.` or `..` segment, a segment that decodes
 *   to `/` or `\` or a control character, malformed percent-encoding, or a key over
 *   {@link MAX_KEY_LENGTH}.
 */
export function keyFromSegments(segments: readonly string[]): string {
  const bad = (detail: string) => badRequest(detail, { option: 'path' });
  if (segments.length === 0) throw bad('The URL names no object of the source.');
  const parts = segments.map((raw) => {
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      throw bad('The path holds malformed percent-encoding.');
    }
    if (s === '' || s === '.' || s === '..' || /[/\\\u0000-\u001f\u007f]/.test(s))
      throw bad(
        'The path must not hold empty, "." or ".." segments, slashes or control characters.',
      );
    return s;
  });
  const key = parts.join('/');
  if (key.length > MAX_KEY_LENGTH)
    throw bad(`The path is longer than ${MAX_KEY_LENGTH} characters.`);
  return key;
}

/**
 * Checks that `key` is inside the source's allowed prefix.
 * @throws HttpError 403 (`outside-prefix`) when it is not.
 */
export function checkPrefix(source: Source, key: string): void {
  if (!key.startsWith(source.prefix))
    throw new HttpError(
      403,
      'outside-prefix',
      'Outside the source',
      `The source ${source.name} serves only paths starting with "${source.prefix}".`,
      { source: source.name, prefix: source.prefix },
    );
}
