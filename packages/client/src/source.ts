/**
 * Image references as the loaders receive them: an image id, a delivery path
 * (`/img/{id}/…`) or an absolute delivery URL.
 */

/** The image id in `src`: the segment after `/img/` in a path or URL, else `src` itself. */
export function imageIdOf(src: string): string {
  const match = /(?:^|\/)img\/([^/?#]+)/.exec(src);
  return match ? decodeURIComponent(match[1] as string) : src;
}
