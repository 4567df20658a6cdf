/**
 * ThumbHash placeholders (the image card's `thumbhash`, standard base64) as data: URLs, drawn
 * at once while the thumbnail loads. Uses the `thumbhash` package, as the Worker does.
 */
import { thumbHashToDataURL } from 'thumbhash';

const cache = new Map<string, string>();

/** The placeholder data: URL for a base64 ThumbHash, or null when there is none or it is bad. */
export function placeholderUrl(thumbhash: string | null): string | null {
  if (!thumbhash) return null;
  const hit = cache.get(thumbhash);
  if (hit) return hit;
  try {
    const bytes = Uint8Array.from(atob(thumbhash), (c) => c.charCodeAt(0));
    const url = thumbHashToDataURL(bytes);
    cache.set(thumbhash, url);
    return url;
  } catch {
    return null;
  }
}
