#!/usr/bin/env node
/**
 * `npm run hostile -- [base URL] [API key]`: against a running service (`npm start`), uploads
 * every file in ../shared/bad-images (BAD_IMAGES_DIR overrides) and, for each one stored,
 * requests a matrix of transforms (every output format × a few widths and fits, plus the
 * original, a preset and f=json). Prints one line per file and the counts by status; exits 1
 * when any response was a 5xx (or the service could not be reached).
 *
 * Defaults: http://127.0.0.1:8787 and the API key from $API_KEY, else the first key of
 * API_KEYS in .dev.vars (it needs the upload scope). When SIGNING_KEYS is set (env or
 * .dev.vars), /img URLs are signed with its first key. A 429 is waited out (Retry-After) and
 * retried, up to 5 times per request.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readDevVar, signingKeys, signUrl } from './sign.mjs';

const root = path.resolve(import.meta.dirname, '..');
const base = (process.argv[2] ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
const dir = process.env.BAD_IMAGES_DIR ?? path.resolve(root, '..', 'shared', 'bad-images');

function apiKey() {
  if (process.argv[3]) return process.argv[3];
  if (process.env.API_KEY) return process.env.API_KEY;
  const raw = readDevVar('API_KEYS');
  const first = raw ? JSON.parse(raw)[0] : undefined;
  const key = typeof first === 'string' ? first : first?.key;
  if (!key) throw new Error('no API key: pass one, set API_KEY, or create .dev.vars (npm start)');
  return key;
}

/** Every file below `d`, relative, sorted. */
function walk(d, prefix = '') {
  return readdirSync(path.join(d, prefix))
    .flatMap((name) => {
      const rel = path.posix.join(prefix, name);
      return statSync(path.join(d, rel)).isDirectory() ? walk(d, rel) : [rel];
    })
    .sort();
}

const FORMATS = ['jpeg', 'png', 'webp', 'avif'];
const SHAPES = ['w=1', 'w=64,h=64,fit=cover', 'w=300,h=200,fit=pad,g=left'];
const TRANSFORMS = [
  'original',
  'thumbnail',
  'f=json',
  ...FORMATS.flatMap((f) => SHAPES.map((s) => `${s},f=${f}`)),
];

const counts = { upload: new Map(), transform: new Map() };
const serverErrors = [];
let retried429 = 0;

const bump = (map, status) => map.set(status, (map.get(status) ?? 0) + 1);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** fetch with 429 handling; returns the final response (body read). */
async function request(url, init = {}) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, init);
    const body = new Uint8Array(await res.arrayBuffer());
    if (res.status !== 429 || attempt >= 5) return { status: res.status, body };
    retried429++;
    await sleep(Math.min(60, Number(res.headers.get('Retry-After')) || 1) * 1000 + 200);
  }
}

async function main() {
  const key = apiKey();
  const signing = (await signingKeys())[0];
  const img = (id, t) => {
    const url = `${base}/img/${id}/${t}`;
    return signing ? signUrl(url, signing) : url;
  };
  const files = walk(dir);
  console.log(
    `hostile: ${files.length} files from ${dir} against ${base}${signing ? ` (signing with ${signing.kid})` : ''}`,
  );
  for (const file of files) {
    const bytes = readFileSync(path.join(dir, file));
    const up = await request(`${base}/v1/images`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}` },
      body: bytes,
    });
    bump(counts.upload, up.status);
    if (up.status >= 500) serverErrors.push(`upload ${file}: ${up.status}`);
    if (up.status >= 300) {
      console.log(`${file}: upload ${up.status}`);
      continue;
    }
    const { id } = JSON.parse(new TextDecoder().decode(up.body));
    const seen = new Map();
    for (const t of TRANSFORMS) {
      const res = await request(await img(id, t), {
        headers: { Accept: 'image/avif,image/webp,*/*' },
      });
      bump(counts.transform, res.status);
      bump(seen, res.status);
      if (res.status >= 500) serverErrors.push(`${file} ${t}: ${res.status}`);
    }
    const summary = [...seen].map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(`${file}: upload ${up.status}; transforms ${summary}`);
  }
  const show = (m) =>
    [...m]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ');
  const total = (m) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`\nuploads:    ${total(counts.upload)} (${show(counts.upload)})`);
  console.log(`transforms: ${total(counts.transform)} (${show(counts.transform)})`);
  console.log(`429 retries: ${retried429}`);
  console.log(`5xx: ${serverErrors.length}`);
  for (const e of serverErrors) console.log(`  ${e}`);
  process.exit(serverErrors.length ? 1 : 0);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
