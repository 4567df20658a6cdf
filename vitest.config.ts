/**
 * Test configuration: every test runs inside workerd (vitest-pool-workers) with the
 * bindings from wrangler.toml, the queue consumers of wrangler.consumer.toml (delivered to
 * src/index.ts, which exports the consumer's handlers too), the D1 migrations, and a
 * FIXTURES service binding that serves ../shared/images and ../shared/bad-images from Node
 * (test code in workerd has no filesystem).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import sharp from 'sharp';
import { configDefaults, defineConfig } from 'vitest/config';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

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

/**
 * The Worker's outbound fetches (test/work/webhook.test.ts):
 * GET  http://hooks.test/__log  → JSON list of the requests captured so far
 * POST https://hooks.test/<path> → captured; answers 500 when the path contains `fail`, else 204
 * anything else                 → 502 (no network in tests)
 */
async function captureOutbound(request: Request): Promise<Response> {
  const url = new URL(request.url);
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
