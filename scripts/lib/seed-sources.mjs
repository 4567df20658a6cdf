/**
 * Seeds the local R2 bucket of the `local` source (binding SOURCE_BUCKET in wrangler.toml;
 * SOURCES in .dev.vars.example) with ../shared/images, so that after `npm start`
 *   curl http://127.0.0.1:8787/cdn-cgi/image/w=400,f=auto/local/kodak/kodim01.png
 * serves a variant (docs/sources.md). Writes through Miniflare into the state `wrangler dev`
 * uses (.wrangler/state/v3), only objects that are missing; no network.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { parse } from 'smol-toml';
import { readFileSync } from 'node:fs';

/** Every file below `dir`, relative to it. */
async function walk(dir, prefix = '') {
  const out = [];
  for (const e of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.posix.join(prefix, e.name);
    if (e.isDirectory()) out.push(...(await walk(dir, rel)));
    else if (/\.(jpe?g|png|webp|gif|avif)$/i.test(e.name)) out.push(rel);
  }
  return out;
}

/**
 * Puts each image of `imagesDir` missing from the bucket bound as `binding` in wrangler.toml.
 * @returns how many objects were written.
 */
export async function seedSourceBucket(imagesDir, binding = 'SOURCE_BUCKET') {
  const config = parse(readFileSync('wrangler.toml', 'utf8'));
  const bucket = config.r2_buckets?.find((b) => b.binding === binding);
  if (!bucket) return 0;
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
    defaultPersistRoot: path.join('.wrangler', 'state', 'v3'),
    r2Buckets: { [binding]: bucket.bucket_name },
  });
  let written = 0;
  try {
    const r2 = await mf.getR2Bucket(binding);
    for (const rel of await walk(imagesDir)) {
      if (await r2.head(rel)) continue;
      await r2.put(rel, new Uint8Array(await readFile(path.join(imagesDir, rel))));
      written++;
    }
  } finally {
    await mf.dispose();
  }
  return written;
}
