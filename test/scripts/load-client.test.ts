/**
 * The load tests' autocannon clients (scripts/lib/load-client.mjs): bodies received and counted
 * but never decoded, statuses and headers still seen (docs/performance.md, "The hit/floor gap
 * was in the load generator"). Against a loopback Node server answering a binary body.
 */
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardBodies } from '../../scripts/lib/load-client.mjs';

/** The part of autocannon's API used here (the package has no type declarations). */
type Autocannon = (opts: {
  url: string;
  connections: number;
  amount: number;
  setupClient?: (client: never) => void;
  requests: {
    onResponse: (
      status: number,
      body: string,
      ctx: unknown,
      headers: Record<string, unknown>,
    ) => void;
  }[];
}) => Promise<{ '2xx': number; throughput: { total: number } }>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const BODY = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 151 + 7) & 255));
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'image/webp', 'X-Cache': 'HIT' });
    res.end(BODY);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** 20 requests on one connection; what onResponse saw, and autocannon's result. */
async function run(setupClient?: (client: never) => void) {
  const seen: { status: number; bodyLength: number; cache: unknown }[] = [];
  const result = await autocannon({
    url,
    connections: 1,
    amount: 20,
    setupClient,
    requests: [
      {
        onResponse(status, body, _ctx, headers) {
          seen.push({ status, bodyLength: body.length, cache: headers['X-Cache'] });
        },
      },
    ],
  });
  return { seen, result };
}

describe('discardBodies', () => {
  it('keeps statuses, headers and byte counts, and leaves the body undecoded', async () => {
    const { seen, result } = await run(discardBodies);
    expect(result['2xx']).toBe(20);
    expect(seen).toHaveLength(20);
    expect(seen.every((s) => s.status === 200 && s.cache === 'HIT' && s.bodyLength === 0)).toBe(
      true,
    );
    expect(result.throughput.total).toBeGreaterThanOrEqual(20 * BODY.length);
  });

  it('without it, autocannon decodes every body into a string', async () => {
    const { seen } = await run();
    expect(seen).toHaveLength(20);
    expect(seen.every((s) => s.bodyLength > 0)).toBe(true);
  });

  it('throws when the client is not what autocannon 8 passes', () => {
    expect(() => discardBodies({})).toThrow(/autocannon changed/);
  });
});
