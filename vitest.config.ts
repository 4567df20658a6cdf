/**
 * Test configuration: every test runs inside workerd (vitest-pool-workers) with the
 * bindings from wrangler.toml, the queue consumers of wrangler.consumer.toml (delivered to
 * src/index.ts, which exports the consumer's handlers too), the D1 migrations, and a
 * FIXTURES service binding that serves ../shared/images and ../shared/bad-images from Node
 * (test code in workerd has no filesystem).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import sharp from 'sharp';
import { configDefaults, defineConfig } from 'vitest/config';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { GRID_SOURCES, LARGE_UPLOAD, sourcePath } from './scripts/lib/grid-sources.mjs';

/**
 * workerd reaches every Node-side binding (FIXTURES, outboundService, the module fallback,
 * snapshots) through Miniflare's loopback HTTP server and pools those keep-alive connections.
 * Miniflare 4.20260426.0 (pinned by vitest-pool-workers 0.15.1) leaves that server at Node's
 * default `keepAliveTimeout` of 5 s, so Node closes a pooled connection after 5 s idle; when
 * workerd reuses it before noticing the close (the isolate was busy — e.g. encoding an AVIF in
 * a test — and never went idle since), the next request fails at once with `Error: Network
 * connection lost.` (kj: "stream disconnected prematurely"). Whether a gap between two FIXTURES
 * calls exceeds 5 s depends on machine load, so tests failed only on a loaded machine.
 * Upstream fix: cloudflare/workers-sdk#14848 / PR #14850 (`keepAliveTimeout = 0` on the
 * loopback server); do the same here for every HTTP server this process creates (only
 * Miniflare's: vitest itself listens on none). Remove once the pool ships a Miniflare with it.
 */
const createServer = http.createServer.bind(http);
http.createServer = ((...args: Parameters<typeof http.createServer>) => {
  const server = createServer(...args);
  server.keepAliveTimeout = 0;
  return server;
}) as typeof http.createServer;

const shared = path.resolve(import.meta.dirname, '..', 'shared');
/** Small fixtures made for this project (provenance in test/fixtures/README.md). */
const local = path.resolve(import.meta.dirname, 'test', 'fixtures');
/** Our WebAssembly modules, so tests can check their recorded hashes. */
const wasmDir = path.resolve(import.meta.dirname, 'wasm');

/** Lists every file below `dir`, relative to it, sorted. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.posix.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

/**
 * GET http://fixtures/<folder>/            → JSON list of files below ../shared/<folder>
 * GET http://fixtures/<folder>/<file path> → the file's bytes
 * GET http://fixtures/grid/                 → JSON [{label, path}]: the 15 grid sources
 *     (scripts/lib/grid-sources.mjs), each `path` readable through this service
 * GET http://fixtures/grid/<file>            → a generated grid source or the large upload
 *     (made with sharp on first use, cached in node_modules/.cache/image-edge-grid)
 * GET http://fixtures/local/<file>          → a file from test/fixtures
 * GET http://fixtures/wasm/<file>           → a file from wasm/
 * GET http://fixtures/sharp/<file path>?w=W&h=H[&icc=ignore]
 *   → sharp's rendering of a ../shared file as raw RGBA8 (W·H·4 bytes): EXIF orientation
 *     applied, the embedded ICC profile converted to sRGB (libvips/Little CMS; with
 *     `icc=ignore` the profile is ignored, as if untagged), then resized to exactly WxH
 *     (lanczos3). The colour-management reference (test/transform/colour.test.ts).
 * POST http://fixtures/sharp/?w=W&h=H       → the same for the image in the request body
 * GET http://fixtures/sharp-p3/<file path>?f=png|webp|avif
 *   → the ../shared file converted by sharp to Display P3 and saved with that profile
 *     embedded (PNG iCCP, WebP ICCP, AVIF colr), quality 95.
 * GET http://fixtures/avif/<name>         → an AVIF made here (not committed; see avifFixture):
 *     `12mp.avif` (phone/IMG_1063.JPG, 4032x3024, 8-bit 4:4:4: sharp's default), `alpha.avif` (the same at
 *     2016x1512 with a gradient alpha), `p3-nclx.avif` (1600x1200, Display P3 pixels tagged by `nclx`
 *     primaries 12, no ICC profile), `10bit.avif` (1024 px wide, 10-bit, libavif via
 *     @jsquash/avif's encoder, 4:2:0: sharp's prebuilt libheif writes 8-bit only), `10bit-444.avif`
 *     (the same, 4:4:4), `tiny.avif`
 *     (64x48 with alpha, the AVIF decoder's fuzz seed)
 * GET http://fixtures/sharp-png/<file path>?kind=rgb8|rgb16|palette|interlaced|alpha
 *   → the ../shared file (upright) re-saved by sharp as a PNG of that kind, at its own size:
 *     8-bit RGB; 16-bit RGB; palette with a tRNS chunk (alpha ramp, 256 colours); Adam7
 *     interlaced 8-bit RGB; 8-bit RGBA (alpha ramp). The large PNG sources
 *     (test/codecs/png-scaled.test.ts); made on first request and kept in memory.
 *     With `&w=W&h=H[&icc=ignore]`: that PNG rendered as `sharp/` does (raw RGBA8).
 * GET http://fixtures/sharp-attention/<file path>?w=W&h=H
 *   → JSON {left, top, width, height}: the window of the upright ../shared file (source
 *     pixels) that sharp's `resize(W, H, {fit: 'cover', position: 'attention'})` keeps
 *     (libvips' attention smartcrop; the g=auto reference, test/transform/attention.test.ts).
 * GET http://fixtures/sharp-trim/<file path>?threshold=T[&background=rrggbb]
 *   → JSON {left, top, width, height}: the box sharp's `trim({threshold, background})` keeps
 *     (libvips' find_trim; the trim=border reference, test/transform/trim.test.ts).
 * GET http://fixtures/sharp-adjust/<file path>?op=linear&a=A&b=B | op=gamma&in=G&out=G2 |
 *     op=recomb&m=m00,m01,…,m22
 *   → sharp's `linear(A, B)`, `gamma(G, G2)` or `recomb(3x3)` of a ../shared file, raw RGBA8
 *     (the colour-adjustment reference, test/transform/adjust.test.ts).
 */
async function serveFixture(request: Request): Promise<Response> {
  const { pathname, searchParams } = new URL(request.url);
  let rel = decodeURIComponent(pathname).replace(/^\/+/, '');
  if (rel.startsWith('sharp/')) {
    const input =
      request.method === 'POST'
        ? Buffer.from(await request.arrayBuffer())
        : sharedPath(rel.slice('sharp/'.length));
    return input ? sharpReference(input, searchParams) : new Response('outside', { status: 400 });
  }
  if (rel.startsWith('sharp-attention/')) {
    const input = sharedPath(rel.slice('sharp-attention/'.length));
    return input
      ? Response.json(await attentionWindow(input, searchParams))
      : new Response('outside', { status: 400 });
  }
  if (rel.startsWith('sharp-trim/')) {
    const input = sharedPath(rel.slice('sharp-trim/'.length));
    if (!input) return new Response('outside', { status: 400 });
    const bg = searchParams.get('background');
    const { info } = await sharp(input)
      .trim({
        threshold: Number(searchParams.get('threshold')),
        ...(bg && { background: `#${bg}` }),
      })
      .toBuffer({ resolveWithObject: true });
    return Response.json({
      left: -(info.trimOffsetLeft ?? 0), // sharp reports the offsets negated
      top: -(info.trimOffsetTop ?? 0),
      width: info.width,
      height: info.height,
    });
  }
  if (rel.startsWith('sharp-adjust/')) {
    const input = sharedPath(rel.slice('sharp-adjust/'.length));
    if (!input) return new Response('outside', { status: 400 });
    const n = (k: string) => Number(searchParams.get(k));
    const op = searchParams.get('op');
    let img = sharp(input);
    if (op === 'linear') img = img.linear(n('a'), n('b'));
    else if (op === 'gamma') img = img.gamma(n('in'), n('out'));
    else if (op === 'recomb') {
      const m = (searchParams.get('m') ?? '').split(',').map(Number);
      img = img.recomb([m.slice(0, 3), m.slice(3, 6), m.slice(6, 9)] as sharp.Matrix3x3);
    } else return new Response('bad op', { status: 400 });
    return new Response(new Uint8Array(await img.ensureAlpha().raw().toBuffer()));
  }
  if (rel.startsWith('sharp-png/')) {
    const input = sharedPath(rel.slice('sharp-png/'.length));
    const kind = searchParams.get('kind') ?? '';
    if (!input || !PNG_KINDS.includes(kind)) return new Response('bad request', { status: 400 });
    const png = await pngOfKind(input, kind);
    return searchParams.has('w')
      ? sharpReference(png, searchParams)
      : new Response(new Uint8Array(png));
  }
  if (rel.startsWith('sharp-p3/')) {
    const input = sharedPath(rel.slice('sharp-p3/'.length));
    const f = searchParams.get('f');
    if (!input || (f !== 'png' && f !== 'webp' && f !== 'avif'))
      return new Response('bad request', { status: 400 });
    const out = await sharp(input).withIccProfile('p3')[f]({ quality: 95 }).toBuffer();
    return new Response(new Uint8Array(out));
  }
  if (rel === 'grid/')
    return Response.json(
      GRID_SOURCES.map((s) => ({
        label: s.label,
        path: s.shared ? `images/${s.shared}` : `grid/${s.generated}`,
      })),
    );
  if (rel.startsWith('grid/')) {
    const source = [...GRID_SOURCES, LARGE_UPLOAD].find((s) => s.generated === rel.slice(5));
    return source
      ? new Response(await readFile(await sourcePath(source)))
      : new Response('not found', { status: 404 });
  }
  if (rel.startsWith('avif/')) {
    const made = avifFixture(rel.slice('avif/'.length));
    return made
      ? new Response(new Uint8Array(await made))
      : new Response('not found', { status: 404 });
  }
  let root = shared;
  if (rel.startsWith('local/')) [root, rel] = [local, rel.slice('local/'.length)];
  else if (rel.startsWith('wasm/')) [root, rel] = [wasmDir, rel.slice('wasm/'.length)];
  const full = path.resolve(root, rel);
  if (!full.startsWith(root + path.sep))
    return new Response('outside the fixtures', { status: 400 });
  if (rel.endsWith('/')) return Response.json(await walk(full));
  try {
    return new Response(await readFile(full));
  } catch {
    return new Response('not found', { status: 404 });
  }
}

/** AVIF fixtures by name, made once per test run (sharp, libheif + aom; see serveFixture). */
const avifFixtures = new Map<string, Promise<Uint8Array>>();

/** See serveFixture: the AVIF fixture `name`, or null when there is no such fixture. */
function avifFixture(name: string): Promise<Uint8Array> | null {
  const make = AVIF_FIXTURES[name];
  if (!make) return null;
  let made = avifFixtures.get(name);
  if (!made) avifFixtures.set(name, (made = make()));
  return made;
}

const PHONE = () => path.join(shared, 'images', 'phone', 'IMG_1063.JPG');
const AVIF_FIXTURES: Record<string, () => Promise<Uint8Array>> = {
  '12mp.avif': async () =>
    new Uint8Array(await sharp(PHONE()).avif({ quality: 50, effort: 2 }).toBuffer()),
  'tiny.avif': async () =>
    new Uint8Array(
      await sharp(PHONE())
        .resize(64, 48)
        .ensureAlpha(0.5)
        .avif({ quality: 60, effort: 2 })
        .toBuffer(),
    ),
  'alpha.avif': async () => {
    // RGB of the photo with a left-to-right alpha gradient, from raw RGBA (sharp keeps alpha).
    const { data, info } = await sharp(PHONE())
      .resize(2016)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { width, height } = info;
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0, j = 0; i < width * height; i++, j += 3) {
      rgba[i * 4] = data[j]!;
      rgba[i * 4 + 1] = data[j + 1]!;
      rgba[i * 4 + 2] = data[j + 2]!;
      rgba[i * 4 + 3] = Math.round((255 * (i % width)) / (width - 1));
    }
    const img = sharp(rgba, { raw: { width, height, channels: 4 } });
    return new Uint8Array(await img.avif({ quality: 50, effort: 2 }).toBuffer());
  },
  'p3-nclx.avif': async () => {
    // Display P3 pixels, encoded by libavif (@jsquash/avif), which writes an nclx colr box
    // (2/2/6, unspecified): its primaries and transfer are then set to P3 (12) and sRGB (13).
    const { data, info } = await sharp(PHONE())
      .resize(800, 600)
      .withIccProfile('p3')
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const out = await jsquashAvif(new Uint8ClampedArray(data), info.width, info.height, 8);
    const at = Buffer.from(out).indexOf('colrnclx');
    if (at < 0) throw new Error('p3-nclx.avif: no nclx colr box');
    out.set([0, 12, 0, 13], at + 8);
    return out;
  },
  '10bit.avif': () => tenBitAvif(1),
  '10bit-444.avif': () => tenBitAvif(3),
};

/** The phone photo 1024 px wide as a 10-bit AVIF, 4:2:0 (`subsample` 1) or 4:4:4 (3). */
async function tenBitAvif(subsample: 1 | 3): Promise<Uint8Array> {
  const { data, info } = await sharp(PHONE())
    .resize(1024)
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const d16 = Uint16Array.from(data, (v) => v * 4 + (v >> 6)); // 8 → 10 bits
  return jsquashAvif(d16, info.width, info.height, 10, subsample);
}

/**
 * Encodes RGBA with libavif + aom (@jsquash/avif's encoder, run in Node), speed 8; `subsample`
 * is libavif's pixel format as @jsquash takes it (1 = 4:2:0, 3 = 4:4:4).
 */
async function jsquashAvif(
  data: Uint8ClampedArray | Uint16Array,
  width: number,
  height: number,
  bitDepth: 8 | 10,
  subsample: 1 | 3 = 1,
): Promise<Uint8Array> {
  const { default: encode, init } = await import('@jsquash/avif/encode.js');
  const wasm = 'node_modules/@jsquash/avif/codec/enc/avif_enc.wasm';
  await init(new WebAssembly.Module(await readFile(path.join(import.meta.dirname, wasm))));
  const options = { quality: 70, speed: 8, subsample };
  // 8-bit takes ImageData (Uint8ClampedArray), 10-bit ImageData16bit (Uint16Array).
  const out =
    bitDepth === 10
      ? await encode({ data: data as Uint16Array, width, height }, { ...options, bitDepth })
      : await encode({ data, width, height } as unknown as ImageData, options);
  return new Uint8Array(out);
}

/** The absolute path of a file below ../shared, or null when `rel` leaves it. */
function sharedPath(rel: string): string | null {
  const full = path.resolve(shared, rel);
  return full.startsWith(shared + path.sep) ? full : null;
}

/** See serveFixture: sharp's sRGB rendering of an image, raw RGBA8. */
async function sharpReference(input: string | Buffer, q: URLSearchParams): Promise<Response> {
  const width = Number(q.get('w'));
  const height = Number(q.get('h'));
  const ignoreIcc = q.get('icc') === 'ignore';
  const { data } = await sharp(input, { ignoreIcc })
    .rotate()
    .toColourspace('srgb')
    .resize(width, height, { fit: 'fill' })
    .ensureAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return new Response(new Uint8Array(data));
}

const PNG_KINDS = ['rgb8', 'rgb16', 'palette', 'interlaced', 'alpha'];
const pngCache = new Map<string, Promise<Buffer>>();

/** See serveFixture (`sharp-png/`): a PNG of `kind` made from `input`, memoised. */
function pngOfKind(input: string, kind: string): Promise<Buffer> {
  const key = `${input}?${kind}`;
  let made = pngCache.get(key);
  if (!made) {
    made = (async () => {
      const upright = sharp(input).rotate();
      if (kind === 'rgb8') return upright.removeAlpha().png().toBuffer();
      if (kind === 'interlaced') return upright.removeAlpha().png({ progressive: true }).toBuffer();
      if (kind === 'rgb16') return upright.removeAlpha().toColourspace('rgb16').png().toBuffer();
      // An alpha ramp from transparent (left) to opaque (right).
      const { data, info } = await upright
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const ramp = Buffer.alloc(info.width * info.height);
      for (let y = 0; y < info.height; y++)
        for (let x = 0; x < info.width; x++)
          ramp[y * info.width + x] = Math.round((255 * x) / (info.width - 1));
      const raw = { width: info.width, height: info.height, channels: 3 as const };
      const rgba = sharp(data, { raw }).joinChannel(ramp, { raw: { ...raw, channels: 1 } });
      return kind === 'palette'
        ? rgba.png({ palette: true, colours: 256, effort: 1 }).toBuffer()
        : rgba.png().toBuffer();
    })();
    pngCache.set(key, made);
  }
  return made;
}

/** See serveFixture: sharp's attention crop window, in upright source pixels. */
async function attentionWindow(input: string, q: URLSearchParams) {
  const width = Number(q.get('w'));
  const height = Number(q.get('h'));
  const upright = await sharp(input).rotate().toBuffer({ resolveWithObject: true });
  const { info } = await sharp(upright.data)
    .resize(width, height, { fit: 'cover', position: 'attention' })
    .toBuffer({ resolveWithObject: true });
  // The offsets are in the image scaled to cover the box; scale them back to the source.
  const s = Math.max(width / upright.info.width, height / upright.info.height);
  return {
    left: Math.abs(info.cropOffsetLeft ?? 0) / s, // sharp reports the offsets negated
    top: Math.abs(info.cropOffsetTop ?? 0) / s,
    width: width / s,
    height: height / s,
  };
}

/** Requests the Worker sent to http(s)://hooks.test, oldest first (webhook tests read them). */
const captured: { url: string; method: string; headers: Record<string, string>; body: string }[] =
  [];

/** Fixture served at each `https://origin.test/mutable/<name>` (set by `POST /__set`). */
const mutable = new Map<string, string>();
/** Requests the test origin answered, oldest first (`GET https://origin.test/__log`). */
const originLog: { path: string; conditional: boolean; status: number }[] = [];

/**
 * The test HTTP origin of the source tests (test/sources/), at https://origin.test:
 * /images/<file>          a ../shared/images file with a strong ETag (sha-1) and Last-Modified;
 *                         `If-None-Match` with that ETag → 304
 * /stream/<file>          the same, streamed without Content-Length
 * /slow/<file>            the same after 3 s (past the test source's time limit)
 * /mutable/<name>         the file last set with POST /__set {"name","file"}
 * /text/<any>             a text/plain body
 * /redirect-away/<any>    302 to https://elsewhere.test/<any>
 * /redirect-home/<file>   302 to /images/<file>
 * GET /__log              the requests answered so far
 */
async function serveOrigin(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const p = decodeURIComponent(url.pathname);
  if (p === '/__set' && request.method === 'POST') {
    const { name, file } = (await request.json()) as { name: string; file: string };
    mutable.set(name, file);
    return new Response(null, { status: 204 });
  }
  if (p === '/__log') return Response.json(originLog);
  const [, kind = '', ...rest] = p.split('/');
  const tail = rest.join('/');
  const answer = (res: Response) => {
    originLog.push({
      path: p,
      conditional: request.headers.has('If-None-Match'),
      status: res.status,
    });
    return res;
  };
  if (kind === 'text')
    return answer(new Response('not an image', { headers: { 'Content-Type': 'text/plain' } }));
  if (kind === 'redirect-away')
    return answer(
      new Response(null, { status: 302, headers: { Location: `https://elsewhere.test/${tail}` } }),
    );
  if (kind === 'redirect-home')
    return answer(new Response(null, { status: 302, headers: { Location: `/images/${tail}` } }));
  if (kind === 'slow') await new Promise((r) => setTimeout(r, 3000));
  const rel = kind === 'mutable' ? mutable.get(tail) : tail;
  const file = rel ? sharedPath(`images/${rel}`) : null;
  let bytes: Buffer;
  try {
    if (!file || !['images', 'stream', 'slow', 'mutable'].includes(kind)) throw new Error('none');
    bytes = await readFile(file);
  } catch {
    return answer(new Response('not found', { status: 404 }));
  }
  const etag = `"${createHash('sha1').update(bytes).digest('hex')}"`;
  const headers = { ETag: etag, 'Last-Modified': 'Wed, 01 Jan 2025 00:00:00 GMT' };
  if (request.headers.get('If-None-Match') === etag)
    return answer(new Response(null, { status: 304, headers }));
  const body =
    kind === 'stream'
      ? new ReadableStream({
          start(c) {
            c.enqueue(new Uint8Array(bytes));
            c.close();
          },
        })
      : new Uint8Array(bytes);
  return answer(new Response(body, { headers }));
}

/**
 * The Worker's outbound fetches (test/work/webhook.test.ts; https://origin.test: serveOrigin):
 * GET  http://hooks.test/__log  → JSON list of the requests captured so far
 * POST https://hooks.test/<path> → captured; answers 500 when the path contains `fail`, else 204
 * anything else                 → 502 (no network in tests)
 */
async function captureOutbound(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.hostname === 'origin.test') return serveOrigin(request);
  if (url.hostname !== 'hooks.test') return new Response('no network in tests', { status: 502 });
  if (url.pathname === '/__log') return Response.json(captured);
  captured.push({
    url: request.url,
    method: request.method,
    headers: Object.fromEntries(request.headers),
    body: await request.text(),
  });
  return new Response(null, { status: url.pathname.includes('fail') ? 500 : 204 });
}

/**
 * The pool needs wrangler.toml's assets directory (the built console): build it once when it is
 * missing (`npm test` always builds it first, so it is never stale there).
 */
if (!existsSync(path.join(import.meta.dirname, 'console', 'dist', 'index.html')))
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'console/vite.config.ts'],
    { cwd: import.meta.dirname, stdio: 'inherit' },
  );

/** CI asks for a JSON summary too (.ci/run prints its "N passed, N failed" line). */
const summary = process.env.VITEST_SUMMARY;

/**
 * The consumer Worker's queue consumers, after checking that both Workers read the same
 * [vars] (they share src/config.ts).
 */
function consumerQueues() {
  const delivery = unstable_getMiniflareWorkerOptions('./wrangler.toml').workerOptions;
  const consumer = unstable_getMiniflareWorkerOptions('./wrangler.consumer.toml').workerOptions;
  const vars = (o: { bindings?: Record<string, unknown> }) => JSON.stringify(o.bindings ?? {});
  if (vars(delivery) !== vars(consumer))
    throw new Error('wrangler.toml and wrangler.consumer.toml must hold the same [vars]');
  return consumer.queueConsumers;
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  const queueConsumers = consumerQueues();
  return {
    plugins: [
      cloudflareTest({
        main: './src/index.ts',
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            API_KEYS: JSON.stringify([
              { key: 'test-key-alice', owner: 'alice', scopes: ['read', 'upload', 'admin'] },
              { key: 'test-key-bob', owner: 'bob', scopes: ['read', 'upload'] },
              { key: 'test-key-reader', owner: 'alice', scopes: ['read'] },
              // A second tenant with every scope (test/security/tenancy.test.ts).
              { key: 'test-key-mallory', owner: 'mallory', scopes: ['read', 'upload', 'admin'] },
            ]),
            // Signing off by default (a developer's .dev.vars must not change the tests);
            // test/security/signature.test.ts turns it on with its own env.
            SIGNING_KEYS: '[]',
            // No background card/eager work after uploads (test/work turns it on per call);
            // webhooks to the capturing host below, signed with a test secret.
            QUEUE_UPLOAD_WORK: 'false',
            WEBHOOK_SECRET: 'test-webhook-secret',
            WEBHOOK_ALLOWED_HOSTS: 'hooks.test',
            // Origin sources (test/sources/): the test origin above and the second bucket.
            SOURCES: JSON.stringify([
              {
                name: 'web',
                type: 'http',
                base_url: 'https://origin.test/',
                owner: 'alice',
                ttl_seconds: 1,
                timeout_ms: 1000,
                max_bytes: 1_000_000,
              },
              {
                name: 'kodak',
                type: 'http',
                base_url: 'https://origin.test/images/',
                prefix: 'kodak/',
                owner: 'alice',
              },
              { name: 'bucket', type: 'r2', binding: 'SOURCE_BUCKET', owner: 'alice' },
            ]),
          },
          queueConsumers,
          serviceBindings: { FIXTURES: serveFixture },
          // Every outbound fetch from the Worker lands here: nothing reaches the network.
          outboundService: captureOutbound,
        },
      }),
    ],
    test: {
      // Node-side tests run in Node, not in workerd: scripts and wasm (vitest.node.config.ts),
      // packages/ (vitest.packages.config.ts) and console/ (vitest.console.config.ts).
      exclude: [
        ...configDefaults.exclude,
        'test/scripts/**',
        'test/wasm/**',
        'packages/**',
        'console/**',
      ],
      setupFiles: ['./test/setup.ts'],
      testTimeout: 60_000,
      reporters: summary ? ['default', 'json'] : ['default'],
      ...(summary ? { outputFile: { json: summary } } : {}),
      // The Worker's structured request logs (one JSON line each) would drown the output.
      onConsoleLog: (log: string) => !log.startsWith('{"kind":'),
      hookTimeout: 60_000,
    },
  };
});
