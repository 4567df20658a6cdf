/**
 * autocannon's clients as the load tests use them: responses counted, timed and their headers
 * read, their bodies received but never decoded.
 *
 * autocannon 8 appends every response body to a string (its `PipelinedRequestsQueue.addBody`,
 * `req.body += data`), i.e. decodes each body as UTF-8 in the load generator, for `onResponse`,
 * `verifyBody` and `expectBody`, which our load tests do not use. What that costs depends on the
 * bytes: ~0.2 ms of the generator's CPU per answer for the hits' ~15 KB WebP bodies, nothing for
 * the floor Worker's zero bytes (ASCII), measured with bench/floor-ab.mjs (docs/performance.md,
 * "The hit/floor gap found in the load generator"). On the 2-core machine the generator shares
 * with workerd, that alone held the hits at ~0.75x the floor.
 */

/**
 * Makes an autocannon client (as passed to `setupClient`) drop response bodies instead of
 * decoding them; `onResponse` then receives `''` as the body. Status, headers, byte counts and
 * latencies are unchanged (the body is still read off the socket and parsed).
 * @param {{ pipelinedRequests?: { addBody?: unknown } }} client an autocannon 8 `Client`
 * @throws Error when the client has no `pipelinedRequests.addBody` (autocannon changed)
 */
export function discardBodies(client) {
  const queue = client.pipelinedRequests;
  if (typeof queue?.addBody !== 'function')
    throw new Error('autocannon changed: its client has no pipelinedRequests.addBody');
  queue.addBody = () => {};
}
