/**
 * Delivery details around a variant response: `onerror=redirect` (Cloudflare Images: "in case
 * of a fatal error that prevents the image from being resized, redirects to the unresized
 * source image URL") and the client-hint headers of hinted options (transform/hints.ts).
 */
import { httpErrorOf } from '../errors';
import type { HintedSpec } from '../transform/hints';

/**
 * True for failures that are not the client's fault: the image cannot be made (422: over
 * every budget, an original that does not decode, an animation over the limit), the service
 * is busy or down (5xx), or an unexpected error. Not: a bad request (400), an unknown image
 * (404: there is no original to redirect to), a missing signature (401/403) or a rate limit
 * (429).
 */
export function isRedirectable(err: unknown): boolean {
  const problem = httpErrorOf(err); // the one mapping of the error taxonomy (errors.ts)
  if (!problem) return true;
  return problem.status === 422 || problem.status >= 500;
}

/**
 * The `302 Found` to the original (`/img/{id}/original`), not cached, with the reason in
 * `X-Onerror` (the failed answer's problem title and status).
 */
export function redirectToOriginal(req: { origin: string; id: string }, err: unknown): Response {
  const problem = httpErrorOf(err);
  const why = problem ? `${problem.status} ${problem.title}` : 'internal error';
  return new Response(null, {
    status: 302,
    headers: {
      Location: `${req.origin}/img/${encodeURIComponent(req.id)}/original`,
      'Cache-Control': 'no-store',
      'X-Onerror': `redirect (${why})`,
    },
  });
}

/**
 * `res` with `Accept-CH` (the hints a hinted option reads) and those hints added to `Vary`;
 * unchanged when the spec reads no hints.
 */
export function withHintHeaders(res: Response, hinted: HintedSpec): Response {
  if (hinted.acceptCh.length === 0) return res;
  const out = new Response(res.body, res);
  out.headers.set('Accept-CH', hinted.acceptCh.join(', '));
  const vary = out.headers.get('Vary');
  out.headers.set('Vary', [...(vary ? [vary] : []), ...hinted.vary].join(', '));
  return out;
}
