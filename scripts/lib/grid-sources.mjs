/**
 * The sources of the issue-13 grid (15 sources × 10 variants: test/grid.test.ts,
 * scripts/grid.mjs) and the large upload of test/images/upload-stream.test.ts.
 *
 * Photos that exist in ../shared/images are used as they are; the others are made from them
 * with sharp on first use and cached (not committed) in `node_modules/.cache/image-edge-grid/`,
 * keyed by name, so a fresh clone makes them once (~30 s on two cores).
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared/images. */
export const SHARED_IMAGES = path.resolve(root, '..', 'shared', 'images');
/** Where generated sources are cached. */
export const GENERATED_DIR = path.resolve(root, 'node_modules', '.cache', 'image-edge-grid');

const shared = (rel) => path.join(SHARED_IMAGES, rel);
/** A 12 MP phone photo (4032x3024), the base of the generated 12 MP sources. */
const PHONE = shared('phone/IMG_1063.JPG');
/** A 12 MP camera photo (3000x4000), upscaled for the 24, 48 and 99.6 MP JPEGs. */
const CARRIE = shared('large/Carrie.jpg');

/**
 * One grid source: a label for the table, and either a ../shared/images path (`shared`) or
 * a generated file (`generated`: file name, and how to make it from sharp).
 * @typedef {{ label: string, shared?: string, generated?: string, make?: () => import('sharp').Sharp }} GridSource
 */

/** @type {GridSource[]} The 15 sources, in table order. */
export const GRID_SOURCES = [
  { label: '12 MP phone JPEG', shared: 'phone/IMG_1063.JPG' },
  { label: '8 MP phone JPEG (portrait, EXIF 6)', shared: 'phone/IMG_6556.JPG' },
  { label: '4.9 MP progressive JPEG', shared: 'progressive/Cerkiew.jpg' },
  { label: '6.1 MP JPEG', shared: 'large/2569067123_aca715a2ee_o.jpg' },
  { label: '12 MP JPEG (Carrie)', shared: 'large/Carrie.jpg' },
  {
    label: '24 MP progressive JPEG',
    generated: 'jpeg-24mp-progressive.jpg',
    make: () =>
      sharp(CARRIE).resize(4000, 6000).jpeg({ quality: 90, progressive: true, mozjpeg: false }),
  },
  {
    label: '12 MP PNG',
    generated: 'png-12mp.png',
    make: () => sharp(PHONE).png({ compressionLevel: 6 }),
  },
  {
    label: '12 MP WebP (lossy)',
    generated: 'webp-12mp-lossy.webp',
    make: () => sharp(PHONE).webp({ quality: 85 }),
  },
  {
    label: '12 MP WebP (lossless)',
    generated: 'webp-12mp-lossless.webp',
    make: () => sharp(PHONE).webp({ lossless: true, effort: 1 }),
  },
  {
    label: '12 MP AVIF',
    generated: 'avif-12mp.avif',
    make: () => sharp(PHONE).avif({ quality: 60, effort: 2 }),
  },
  {
    label: '4 MP 16-bit PNG',
    generated: 'png-4mp-16bit.png',
    make: () => sharp(PHONE).resize(2400, 1700).toColourspace('rgb16').png({ compressionLevel: 6 }),
  },
  {
    label: '2 MP GIF',
    generated: 'gif-2mp.gif',
    make: () => sharp(shared('crop/flowers.jpeg')).gif(),
  },
  { label: '3 MP alpha PNG', shared: 'alpha/blackbug.png' },
  {
    label: '48 MP JPEG',
    generated: 'jpeg-48mp.jpg',
    make: () => sharp(CARRIE).resize(6000, 8000).jpeg({ quality: 90, mozjpeg: false }),
  },
  {
    label: '99.6 MP JPEG',
    generated: 'jpeg-99.6mp.jpg',
    make: () => sharp(CARRIE).resize(8300, 12000).jpeg({ quality: 85, mozjpeg: false }),
  },
];

/**
 * A valid RGB PNG of noise, stored (zlib level 0), so its bytes are its pixels (3 per pixel):
 * large files under every metadata limit (no ancillary chunk at all).
 * @param {number} width
 * @param {number} height
 * @returns {GridSource}
 */
export function noisePng(width, height) {
  const mb = Math.round((width * height * 3) / 1e6);
  return {
    label: `${mb} MB PNG (${(width * height) / 1e6} MP noise, stored deflate)`,
    generated: `upload-${mb}mb.png`,
    make: () => {
      const raw = Buffer.alloc(width * height * 3);
      let x = 0x9e3779b9;
      for (let i = 0; i < raw.length; i++) {
        // xorshift32: cheap, deterministic noise.
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        raw[i] = x & 0xff;
      }
      return sharp(raw, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 });
    },
  };
}

/** The large upload of test/images/upload-stream.test.ts: a 60 MB, 5000x4000 PNG. */
export const LARGE_UPLOAD = noisePng(5000, 4000);

/** Makes `source` unless cached; returns its absolute path. */
export async function sourcePath(source) {
  if (source.shared) return shared(source.shared);
  const file = path.join(GENERATED_DIR, source.generated);
  if (!existsSync(file)) {
    mkdirSync(GENERATED_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await source.make().toFile(tmp);
    renameSync(tmp, file);
  }
  return file;
}

/** Makes every generated source (grid and large upload) that is not cached yet. */
export async function ensureGenerated() {
  for (const s of [...GRID_SOURCES, LARGE_UPLOAD]) await sourcePath(s);
}
