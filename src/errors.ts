/**
 * The one error taxonomy. Below the routes, failures are {@link DomainError}s with a
 * {@link ErrorKind}; they are mapped once to RFC 9457 problem details (`application/problem+json`,
 * {@link httpErrorOf}, used by app.ts's onError) and once to permanent/transient for the queue
 * (work/errors.ts `isPermanent`). Routes throw {@link HttpError}s directly. Anything else
 * becomes a 500 problem in app.ts with no internals in the body.
 */

/**
 * What went wrong, whatever the transport:
 * - `undecodable`: the original's bytes do not decode (corrupt, truncated, unsupported);
 * - `too-large`: over a limit that no retry changes (budgets, animation pixels);
 * - `gone`: what the work names does not exist (a deleted image);
 * - `invalid`: the work itself is invalid (not a variant, no webhook secret configured);
 * - `unavailable`: a dependency (D1, the queue) refused for now: retry.
 */
export type ErrorKind = 'undecodable' | 'too-large' | 'gone' | 'invalid' | 'unavailable';

/** A domain failure with a kind (see {@link ErrorKind}); `extras` go into a problem body. */
export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown; extras?: ProblemExtras },
  ) {
    super(message, options);
    this.name = 'DomainError';
    this.extras = options?.extras ?? {};
  }
  readonly extras: ProblemExtras;
}

/** Extra members of a problem body (RFC 9457 §3.2 extension members). */
export type ProblemExtras = Record<string, unknown>;

/** A failure with an HTTP status and a problem body. `slug` names the problem type. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extras: ProblemExtras = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpError';
  }
}

/** 400: malformed request or option; `extras.option` names the option when there is one. */
export const badRequest = (detail: string, extras?: ProblemExtras) =>
  new HttpError(400, 'bad-request', 'Bad request', detail, extras);
/** 401: no credentials. */
export const unauthorized = (detail = 'An API key is required: Authorization: Bearer <key>.') =>
  new HttpError(401, 'unauthorized', 'Unauthorized', detail, {}, { 'WWW-Authenticate': 'Bearer' });
/** 403: credentials present but not accepted. */
export const forbidden = (detail = 'This credential is not accepted here.') =>
  new HttpError(403, 'forbidden', 'Forbidden', detail);
/** 404: nothing here (also for other owners' images, so ids are not confirmed). */
export const notFound = (detail = 'Not found.') =>
  new HttpError(404, 'not-found', 'Not found', detail);
/** 409: conflicts with current state. */
export const conflict = (detail: string, extras?: ProblemExtras) =>
  new HttpError(409, 'conflict', 'Conflict', detail, extras);
/** 413: body over the byte limit; `limit` in bytes. */
export const tooLarge = (limit: number) =>
  new HttpError(413, 'payload-too-large', 'Payload too large', `The body exceeds ${limit} bytes.`, {
    limit,
  });
/** 415: not an accepted image format (decided from magic bytes only). */
export const unsupportedMedia = (detail: string, extras?: ProblemExtras) =>
  new HttpError(415, 'unsupported-media-type', 'Unsupported media type', detail, extras);
/** 422: a well-formed request whose image cannot be processed (limits, corrupt header). */
export const unprocessable = (detail: string, extras?: ProblemExtras) =>
  new HttpError(422, 'unprocessable-image', 'Unprocessable image', detail, extras);

/** 503: a dependency (the queue, storage) refused the work; safe to retry after 5 s. */
export const unavailable = (detail: string) =>
  new HttpError(503, 'unavailable', 'Service unavailable', detail, {}, { 'Retry-After': '5' });

/**
 * 503: this isolate has no room for the work now (admission control); retry after
 * `retryAfterSeconds`.
 */
export const busy = (detail: string, retryAfterSeconds: number, extras?: ProblemExtras) =>
  new HttpError(
    503,
    'busy',
    'Busy',
    detail,
    { retry_after: retryAfterSeconds, ...extras },
    { 'Retry-After': String(retryAfterSeconds) },
  );

/**
 * The problem for an error: an {@link HttpError} as it is, a {@link DomainError} by its kind
 * (`undecodable` → 422 naming the decoder's message, `too-large` → 422, `gone` → 404,
 * `invalid` → 400, `unavailable` → 503 with `Retry-After`); undefined for anything else (a 500).
 */
export function httpErrorOf(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (!(err instanceof DomainError)) return undefined;
  switch (err.kind) {
    case 'undecodable':
      return unprocessable(`The original could not be decoded: ${err.message}`, err.extras);
    case 'too-large':
      return unprocessable(err.message, err.extras);
    case 'gone':
      return notFound(err.message);
    case 'invalid':
      return badRequest(err.message, err.extras);
    case 'unavailable':
      return unavailable(err.message);
  }
}

/** Problem type URI for a slug (relative: resolvable against the service's docs). */
export const problemType = (slug: string) => `/problems/${slug}`;

/**
 * Builds the problem+json response for an error. Never cached (`Cache-Control: no-store`).
 * Extension members never replace the standard ones (`type`, `title`, `status`, `detail`,
 * `instance`; RFC 9457 §3.1): they are written first and the standard members over them.
 */
export function problemResponse(err: HttpError, instance?: string): Response {
  const body = {
    ...err.extras,
    type: problemType(err.slug),
    title: err.title,
    status: err.status,
    ...(err.detail ? { detail: err.detail } : {}),
    ...(instance ? { instance } : {}),
  };
  return new Response(JSON.stringify(body), {
    status: err.status,
    headers: {
      'Content-Type': 'application/problem+json',
      'Cache-Control': 'no-store',
      ...err.headers,
    },
  });
}
