/**
 * probe(): header facts for every shared fixture, the hostile inputs in bad-images, small
 * hand-built headers for each rule, and fast-check properties (random bytes, mutated real
 * headers) proving that only ProbeResult or ProbeError ever comes out.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readExifOrientation } from '../../../src/codecs/exif';
import { fixture, fixtureList, imagesTable } from '../../helpers';
import {
  MAX_DIMENSION,
  ProbeError,
  type ProbeResult,
  displaySize,
  probe,
  sniffFormat,
} from '../../../src/codecs/probe';

// ---------------------------------------------------------------------------------------
// Fixture access (workerd has no filesystem; FIXTURES serves ../shared, see vitest.config.ts)

/** Fixture files of a shared folder, without its README. */
const fixtureFiles = async (folder: 'images' | 'bad-images') =>
  (await fixtureList(folder)).filter((p) => !p.endsWith('README.md'));

/** Runs probe and returns the result or the ProbeError; anything else fails the test. */
function outcome(bytes: Uint8Array): ProbeResult | ProbeError {
  try {
    return probe(bytes);
  } catch (e) {
    if (e instanceof ProbeError) return e;
    throw e;
  }
}

function expectError(bytes: Uint8Array, kind: 'malformed' | 'unsupported'): void {
  const out = outcome(bytes);
  expect(out).toBeInstanceOf(ProbeError);
  expect((out as ProbeError).kind).toBe(kind);
}

// ---------------------------------------------------------------------------------------
// Byte builders for hand-made headers

type Bytes = number[] | Uint8Array;
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const be16 = (n: number): number[] => [(n >>> 8) & 255, n & 255];
const be24 = (n: number): number[] => [(n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const be32 = (n: number): number[] => [
  (n >>> 24) & 255,
  (n >>> 16) & 255,
  (n >>> 8) & 255,
  n & 255,
];
const le16 = (n: number): number[] => [n & 255, (n >>> 8) & 255];
const le24 = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255];
const le32 = (n: number): number[] => [
  n & 255,
  (n >>> 8) & 255,
  (n >>> 16) & 255,
  (n >>> 24) & 255,
];
function bytes(...parts: Bytes[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) out.push(...p);
  return Uint8Array.from(out);
}
const b64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** TIFF with one IFD0 entry (Orientation by default), in either byte order. */
function tiff(
  value: number,
  { little = false, tag = 0x0112, type = 3, count = 1 } = {},
): Uint8Array {
  const u16 = little ? le16 : be16;
  const u32 = little ? le32 : be32;
  const valueField = little ? [...le16(value), 0, 0] : [...be16(value), 0, 0];
  return bytes(
    ascii(little ? 'II' : 'MM'),
    u16(42),
    u32(8),
    u16(1),
    u16(tag),
    u16(type),
    u32(count),
    valueField,
    u32(0),
  );
}

// JPEG
const seg = (marker: number, payload: Bytes): number[] => [
  0xff,
  marker,
  ...be16(payload.length + 2),
  ...payload,
];
const sof = (marker: number, w: number, h: number, nf = 3): number[] => {
  const comps: number[] = [];
  for (let i = 0; i < nf; i++) comps.push(i + 1, 0x11, 0);
  return seg(marker, [8, ...be16(h), ...be16(w), nf, ...comps]);
};
const jpeg = (...segments: Bytes[]): Uint8Array => bytes([0xff, 0xd8], ...segments, [0xff, 0xd9]);
const app1Exif = (t: Uint8Array): number[] => seg(0xe1, [...ascii('Exif\0\0'), ...t]);

// PNG (CRCs are zero: probe does not verify them)
const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const chunk = (type: string, data: Bytes): number[] => [
  ...be32(data.length),
  ...ascii(type),
  ...data,
  0,
  0,
  0,
  0,
];
const ihdr = (w: number, h: number, depth = 8, ct = 6, interlace = 0): number[] =>
  chunk('IHDR', [...be32(w), ...be32(h), depth, ct, 0, 0, interlace]);
const png = (...chunks: Bytes[]): Uint8Array => bytes(PNG_SIG, ...chunks, chunk('IEND', []));
const idat = chunk('IDAT', [0x78, 0x9c, 0x63, 0, 0, 0, 0, 0]);

// GIF
const gifHeader = (w: number, h: number): number[] => [
  ...ascii('GIF89a'),
  ...le16(w),
  ...le16(h),
  0,
  0,
  0,
];
const gifFrame = (left: number, top: number, w: number, h: number): number[] => [
  0x2c,
  ...le16(left),
  ...le16(top),
  ...le16(w),
  ...le16(h),
  0, // no local colour table
  2, // LZW minimum code size
  2,
  0x4c,
  0x01, // one data sub-block
  0, // block terminator
];
const gce = (transparent: boolean): number[] => [0x21, 0xf9, 4, transparent ? 1 : 0, 0, 0, 0, 0];
const netscape = [0x21, 0xff, 11, ...ascii('NETSCAPE2.0'), 3, 1, 0, 0, 0];

// WebP (RIFF, little-endian sizes, chunks padded to even length)
const riffChunk = (type: string, data: Bytes): number[] => [
  ...ascii(type),
  ...le32(data.length),
  ...data,
  ...(data.length & 1 ? [0] : []),
];
const webp = (...chunks: Bytes[]): Uint8Array => {
  const body = bytes(ascii('WEBP'), ...chunks);
  return bytes(ascii('RIFF'), le32(body.length), body);
};
const vp8x = (flags: number, w: number, h: number): number[] =>
  riffChunk('VP8X', [flags, 0, 0, 0, ...le24(w - 1), ...le24(h - 1)]);
const vp8l = (w: number, h: number, alpha = false, version = 0): number[] =>
  riffChunk('VP8L', [
    0x2f,
    ...le32((w - 1) | ((h - 1) << 14) | (alpha ? 1 << 28 : 0) | (version << 29)),
    0,
    0,
  ]);
const vp8 = (w: number, h: number, tag0 = 0x10): number[] =>
  riffChunk('VP8 ', [tag0, 0, 0, 0x9d, 0x01, 0x2a, ...le16(w), ...le16(h), 0, 0]);
const anmf = (x: number, y: number, w: number, h: number): number[] =>
  riffChunk('ANMF', [
    ...le24(x / 2),
    ...le24(y / 2),
    ...le24(w - 1),
    ...le24(h - 1),
    ...le24(100),
    0,
    ...vp8l(w, h),
  ]);

// ISOBMFF / AVIF
const box = (type: string, ...payload: Bytes[]): number[] => {
  const body = bytes(...payload);
  return [...be32(8 + body.length), ...ascii(type), ...body];
};
const fullBox = (type: string, version: number, flags: number, ...payload: Bytes[]): number[] =>
  box(type, [version, ...be24(flags)], ...payload);
const ftyp = (major: string, ...compatible: string[]): number[] =>
  box('ftyp', ascii(major), be32(0), ...compatible.map(ascii));
const ispe = (w: number, h: number): number[] => fullBox('ispe', 0, 0, be32(w), be32(h));

interface AvifSpec {
  brands?: [string, ...string[]];
  width?: number;
  height?: number;
  irot?: number;
  imir?: number;
  /** Alpha auxiliary item (id 2) with this aux_type. */
  alpha?: string;
  /** Whether iref links the alpha item to the primary (auxl); default true. */
  auxl?: boolean;
  omitIspe?: boolean;
  omitPitm?: boolean;
  /** An extra ipma index pointing past ipco. */
  badIndex?: boolean;
  moov?: number[];
}

const ALPHA_URN = 'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha';

/** A minimal AVIF-shaped file: ftyp, meta (hdlr, pitm, iprp, iref), optional moov, mdat. */
function avif(spec: AvifSpec = {}): Uint8Array {
  const { width = 64, height = 48 } = spec;
  const props: number[][] = [];
  const primaryIdx: number[] = [];
  const alphaIdx: number[] = [];
  const add = (p: number[], to: number[]): void => {
    props.push(p);
    to.push(props.length);
  };
  if (!spec.omitIspe) add(ispe(width, height), primaryIdx);
  if (spec.irot !== undefined) add(box('irot', [spec.irot]), primaryIdx);
  if (spec.imir !== undefined) add(box('imir', [spec.imir]), primaryIdx);
  if (spec.badIndex) primaryIdx.push(99);
  if (spec.alpha) {
    add(ispe(width, height), alphaIdx);
    add(fullBox('auxC', 0, 0, ascii(spec.alpha), [0]), alphaIdx);
  }
  const entry = (item: number, idx: number[]): number[] => [
    ...be16(item),
    idx.length,
    ...idx.map((i) => 0x80 | i),
  ];
  const entries = [entry(1, primaryIdx), ...(spec.alpha ? [entry(2, alphaIdx)] : [])];
  const meta = fullBox(
    'meta',
    0,
    0,
    fullBox('hdlr', 0, 0, be32(0), ascii('pict'), new Array(12).fill(0), [0]),
    spec.omitPitm ? [] : fullBox('pitm', 0, 0, be16(1)),
    box('iprp', box('ipco', ...props), fullBox('ipma', 0, 0, be32(entries.length), ...entries)),
    spec.alpha && spec.auxl !== false
      ? fullBox('iref', 0, 0, box('auxl', be16(2), be16(1), be16(1)))
      : [],
  );
  const [major, ...compatible] = spec.brands ?? ['avif', 'mif1', 'miaf'];
  return bytes(ftyp(major, ...compatible), meta, spec.moov ?? [], box('mdat', [0x12, 0, 0x0a, 0]));
}

const stszMoov = (sampleSize: number, count: number, entries: number): number[] =>
  box(
    'moov',
    box(
      'trak',
      box(
        'mdia',
        box(
          'minf',
          box(
            'stbl',
            fullBox(
              'stsz',
              0,
              0,
              be32(sampleSize),
              be32(count),
              ...new Array(entries).fill(be32(100)),
            ),
          ),
        ),
      ),
    ),
  );

// ---------------------------------------------------------------------------------------
// Generated with ImageMagick 6.9.11 (libwebp 1.2.4, libheif 1.15.1) for this test; no
// WebP/AVIF files exist in shared/images. anim.webp carries 68 bytes after its RIFF size
// (ImageMagick appends a second RIFF), which must be ignored.
const GENERATED: Record<string, { data: string; expect: Partial<ProbeResult> }> = {
  'lossy.webp': {
    data: 'UklGRkwAAABXRUJQVlA4IEAAAADQAQCdASoQAAgAAsBMJagCdGuA/gAGwAD+8i2f419PN/StLg7/qb9frp/pJ+gSEdh//SsfvBf/BMKf8TCjy8AA',
    expect: { format: 'webp', width: 16, height: 8, hasAlpha: false, frames: 1, orientation: 1 },
  },
  'lossless.webp': {
    data: 'UklGRkgAAABXRUJQVlA4TDsAAAAvD8ABAD8AEIT/bRMCgRQO0wKBxJ/xXJ5/gkmaajtGB+cDTEOykkIKKaSQQgop5P+xDhH9z+dYhqZIAgA=',
    expect: { format: 'webp', width: 16, height: 8, hasAlpha: false, frames: 1 },
  },
  'lossless_alpha.webp': {
    data: 'UklGRjgAAABXRUJQVlA4TCsAAAAvD8ABED8QMf8CgRQO06GMMTANyUoKKaSQQgoppJD/xzpE9D+DpGiG5XgAAA==',
    expect: { format: 'webp', width: 16, height: 8, hasAlpha: true, frames: 1 },
  },
  'lossy_alpha.webp': {
    data: 'UklGRnoAAABXRUJQVlA4WAoAAAAQAAAADwAABwAAQUxQSCUAAAABPyAQSOEwHRGRbTANyUoKKaSQQgoppJD/xzpE9D+DpGiG5XgAAFZQOCAuAAAAsAEAnQEqEAAIAALATCWgAnQBDv4C7AD++EcqP/bQ//9tD//20P+o7wbJFOSAAA==',
    expect: { format: 'webp', width: 16, height: 8, hasAlpha: true, frames: 1 },
  },
  'anim.webp': {
    data: 'UklGRgwBAABXRUJQVlA4WAoAAAACAAAACwAACQAAQU5JTQYAAAD/////AABBTk1GSAAAAAAAAAAAAAsAAAkAAGQAAAJWUDggMAAAANABAJ0BKgwACgACADQloAJ0ugH4AAOwAP7wxAv/ILlhdcjX/yA/5Af8gP/48gAAAEFOTUZEAAAAAAAAAAAACwAACQAAZAAAAFZQOCAsAAAAlAEAnQEqDAAKAAAANCWgAnS6AAOYAP75k2//kB//kB//kB//ID/iF3sgMABBTk1GRAAAAAAAAAAAAAsAAAkAAGQAAABWUDggLAAAANQBAJ0BKgwACgAAADQloAJ0ugH4AAOwAP7w6Pf/ILlhdcjX/mwK5rn5qAAAUklGRjwAAABXRUJQVlA4IDAAAADQAQCdASoMAAoAAgA0JaACdLoB+AADsAD+8MQL/yC5YXXI1/8gP+QH/ID/+PIAAAA=',
    expect: { format: 'webp', width: 12, height: 10, hasAlpha: false, frames: 3 },
  },
  'exif6.webp': {
    // Landscape_6.jpg resized to 6x8 (pixels as stored) keeping its EXIF (orientation 6).
    data: 'UklGRtAAAABXRUJQVlA4WAoAAAAIAAAABQAABwAAVlA4IDIAAACwAQCdASoGAAgABABoJYwAAudjqatMAP6J/f7qcAmlFF1Gr2lmIqojUmjJaaGSp9RQAEVYSUZ4AAAATU0AKgAAAAgABQESAAMAAAABAAYAAAEaAAUAAAABAAAASgEbAAUAAAABAAAAUgEoAAMAAAABAAIAAIdpAAQAAAABAAAAWgAAAAAAAABIAAAAAQAAAEgAAAABAAKgAgAEAAAAAQAAAcKgAwAEAAAAAQAAAlgAAAAA',
    expect: { format: 'webp', width: 6, height: 8, orientation: 6, hasAlpha: false, frames: 1 },
  },
  'plain.avif': {
    data: 'AAAAHGZ0eXBhdmlmAAAAAGF2aWZtaWYxbWlhZgAAAOptZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAAAA5waXRtAAAAAAABAAAAImlsb2MAAAAAREAAAQABAAAAAAEOAAEAAAAAAAAAHQAAACNpaW5mAAAAAAABAAAAFWluZmUCAAAAAAEAAGF2MDEAAAAAamlwcnAAAABLaXBjbwAAABNjb2xybmNseAACAAIABoAAAAAMYXYxQ4EADAAAAAAUaXNwZQAAAAAAAAAQAAAACAAAABBwaXhpAAAAAAMICAgAAAAXaXBtYQAAAAAAAAABAAEEgYIDhAAAACVtZGF0EgAKBRgMv7AhMhIbABpppoQAAOHOODce3yXSF1Y=',
    expect: { format: 'avif', width: 16, height: 8, orientation: 1, hasAlpha: false, frames: 1 },
  },
};

// A HEIC (ftyp heic/mif1, no avif brand): must be refused by magic.
const HEIC =
  'AAAAHGZ0eXBoZWljAAAAAG1pZjFoZWljbWlhZgAAAaptZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAAAA5waXRtAAAAAAACAAAAEGlkYXQAAAAAABAACAAAADhpbG9jAQAAAERAAAIAAQAAAAAAAAHOAAEAAAAAAAAAMgACAAEAAAAAAAAAAQAAAAAAAAAIAAAAOGlpbmYAAAAAAAIAAAAVaW5mZQIAAAEAAQAAaHZjMQAAAAAVaW5mZQIAAAAAAgAAZ3JpZAAAAADVaXBycAAAALNpcGNvAAAAc2h2Y0MBA3AAAAAAAAAAAAAe8AD8/fj4AAAPAyAAAQAYQAEMAf//A3AAAAMAkAAAAwAAAwAeugJAIQABACdCAQEDcAAAAwCQAAADAAADAB6gIIEFluqumubAgAAAAwCAAAADAIQiAAEABkQBwXPBiQAAABRpc3BlAAAAAAAAAEAAAABAAAAAFGlzcGUAAAAAAAAAEAAAAAgAAAAQcGl4aQAAAAADCAgIAAAAGmlwbWEAAAAAAAAAAgABAoECAAICA4QAAAAaaXJlZgAAAAAAAAAOZGltZwACAAEAAQAAADptZGF0AAAALigBrxkhYqJA95czb86eowfknGesIaaFb69A6slXf93T0kTYtAWXzio2YIyeLtI=';

// ---------------------------------------------------------------------------------------
// bad-images: what probe says about each file (see shared/bad-images/README.md).

type BadExpect = { error: 'malformed' | 'unsupported' } | { result: Partial<ProbeResult> };
const unsupported: BadExpect = { error: 'unsupported' };
const malformed: BadExpect = { error: 'malformed' };

const BAD_IMAGES: Record<string, BadExpect> = {
  // Declared sizes come back as declared (huge) so the caller's pixel limit rejects them.
  // GIF size = max(logical screen, every frame rectangle's right/bottom edge).
  'bombs/pillow_decompression_bomb.gif': {
    result: { format: 'gif', width: 65535, height: 65280 + 1321, frames: 1, hasAlpha: true },
  },
  'bombs/pillow_decompression_bomb_extents.gif': {
    result: { format: 'gif', width: 65635, height: 65635, frames: 2 },
  },
  'bombs/sharp_65536-uint32-limit.png': { result: { format: 'png', width: 65536, height: 65536 } },
  // acTL says 3 frames, only 2 fcTL chunks exist: report what is present.
  'frames/pillow_apng_syntax_num_frames_high.png': {
    result: { format: 'png', width: 128, height: 64, frames: 2, hasAlpha: true },
  },
  'frames/sharp_big-height.webp': {
    result: { format: 'webp', width: 13, height: 169, frames: 97 },
  },
  'malformed/imgproxy_bmp-invalid-bpp.bmp': unsupported,
  // Sane header; the iCCP chunk is ancillary (the decoder may still refuse the file).
  'malformed/libpng_bad_iCCP.png': { result: { format: 'png', width: 8363, height: 1 } },
  // CRC / Adler-32 are not verified by probe.
  'malformed/libpng_badadler.png': { result: { format: 'png', width: 1, height: 1 } },
  'malformed/libpng_badcrc.png': { result: { format: 'png', width: 1, height: 1 } },
  'malformed/libpng_empty_ancillary_chunks.png': {
    result: { format: 'png', width: 1, height: 1, orientation: 1, hasAlpha: false },
  },
  // Chunk lengths past the end stop the walk; the IHDR facts stand (decoder fails later).
  'malformed/libpng_huge_IDAT.png': { result: { format: 'png', width: 2, height: 2 } },
  'malformed/libpng_huge_eXIf_chunk.png': {
    result: { format: 'png', width: 1, height: 1, orientation: 1 },
  },
  'malformed/libpng_huge_iCCP_chunk.png': { result: { format: 'png', width: 1, height: 1 } },
  'malformed/pillow_broken.png': malformed, // no IHDR after the signature
  // Header complete (SOF2 present), scan data truncated: a decoder matter.
  'malformed/pillow_truncated_jpeg.jpg': {
    result: { format: 'jpeg', width: 100, height: 100, progressive: true },
  },
  'malformed/pillow_zero_width.gif': malformed,
  'malformed/sharp_truncated.png': { result: { format: 'png', width: 294, height: 240 } },
  'malformed/synthetic_empty.bin': unsupported,
  'malformed/synthetic_png_signature_only.png': malformed,
  'polyglot-metadata/patt_CVE-2021-22204_exiftool_djvu.jpg': unsupported,
  'polyglot-metadata/patt_CVE-2022-44268_profile_text.png': {
    result: { format: 'png', width: 1, height: 1 },
  },
  'polyglot-metadata/patt_php_in_png_idat.png': {
    result: { format: 'png', width: 32, height: 32 },
  },
  'polyglot-metadata/pillow_invalid-exif.jpg': {
    result: { format: 'jpeg', width: 200, height: 200, orientation: 1 },
  },
  'polyglot-metadata/pillow_truncated_exif_dpi.jpg': {
    result: { format: 'jpeg', width: 480, height: 640, orientation: 1 },
  },
  'polyglot-metadata/synthetic_jpeg_magic_then_html.jpg': malformed,
  'polyglot-metadata/synthetic_png_with_trailing_html.png': {
    result: { format: 'png', width: 1, height: 1, hasAlpha: true },
  },
  'svg/imgproxy_test1.sanitized.expected.svg': unsupported,
  'svg/imgproxy_test1.svg': unsupported,
  'svg/patt_SVG_XSS1_cdata.svg': unsupported,
  'svg/patt_SVG_XSS_nested_use_xlink.svg': unsupported,
  'svg/patt_billion_laughs.xml': unsupported,
  'svg/patt_convert_local_etc_passwd.svg': unsupported,
  'svg/patt_ssrf_svg_css_import.svg': unsupported,
  'svg/patt_ssrf_svg_image.svg': unsupported,
  'svg/synthetic_billion_laughs.svg': unsupported,
  'svg/synthetic_huge_canvas_100000x100000.svg': unsupported,
  'synthetic/png_boundary_4096x4096_gray1_valid.png': {
    result: { format: 'png', width: 4096, height: 4096 },
  },
  'synthetic/png_control_1x1_rgba8_valid.png': {
    result: { format: 'png', width: 1, height: 1, hasAlpha: true },
  },
  'synthetic/png_header_100000x100000_rgba8_truncated.png': {
    result: { format: 'png', width: 100_000, height: 100_000, hasAlpha: true },
  },
};

// ---------------------------------------------------------------------------------------

// Expected facts for shared/images: its README table ("W x H" as stored, "orient=", "alpha",
// "N frames", "progressive"), loaded before the tests are collected.
const IMAGES = await imagesTable();

describe('probe: shared/images (README table)', () => {
  it('has a table row for every fixture file', async () => {
    expect(await fixtureFiles('images')).toEqual([...IMAGES.keys()].sort());
  });

  it.each([...IMAGES])('%s', async (path, { icc: tagged, ...want }) => {
    const data = await fixture(`images/${path}`);
    expect(sniffFormat(data)).toBe(want.format);
    const { icc, webpLossless: _lossless, webpVp8l: _vp8l, ...got } = probe(data);
    expect(got).toEqual({ ...want, cmyk: false });
    // The README marks files with an embedded profile "ICC" (sharp reads the same profiles).
    expect(icc !== undefined, 'embedded ICC profile').toBe(tagged);
    if (path.startsWith('exif/')) expect(displaySize(got)).toEqual({ width: 600, height: 450 });
  });
});

describe('probe: shared/bad-images', () => {
  it('has an expectation for every fixture file', async () => {
    expect(await fixtureFiles('bad-images')).toEqual(Object.keys(BAD_IMAGES).sort());
  });

  it.each(Object.entries(BAD_IMAGES))('%s', async (path, want) => {
    const out = outcome(await fixture(`bad-images/${path}`));
    if ('error' in want) {
      expect(out).toBeInstanceOf(ProbeError);
      expect((out as ProbeError).kind).toBe(want.error);
    } else {
      expect(out).not.toBeInstanceOf(ProbeError);
      expect(out).toMatchObject(want.result);
    }
  });
});

describe('probe: generated WebP / AVIF / HEIC', () => {
  it.each(Object.entries(GENERATED))('%s', (_name, { data, expect: want }) => {
    expect(probe(b64(data))).toMatchObject(want);
  });

  it('refuses HEIC (heic/mif1 brands without avif) as unsupported', () => {
    expect(sniffFormat(b64(HEIC))).toBeNull();
    expectError(b64(HEIC), 'unsupported');
  });
});

describe('sniffFormat and displaySize', () => {
  it('decides by magic bytes only', () => {
    expect(sniffFormat(bytes([0xff, 0xd8, 0xff]))).toBe('jpeg');
    expect(sniffFormat(bytes(PNG_SIG))).toBe('png');
    expect(sniffFormat(bytes(ascii('RIFF'), le32(4), ascii('WEBP')))).toBe('webp');
    expect(sniffFormat(bytes(ascii('RIFF'), le32(4), ascii('WAVE')))).toBeNull();
    expect(sniffFormat(bytes(ascii('GIF87a')))).toBe('gif');
    expect(sniffFormat(bytes(ascii('GIF89a')))).toBe('gif');
    expect(sniffFormat(bytes(ascii('GIF90a')))).toBeNull();
    expect(sniffFormat(bytes(ftyp('avif')))).toBe('avif');
    expect(sniffFormat(bytes(ftyp('avis')))).toBe('avif');
    expect(sniffFormat(bytes(ftyp('mif1', 'miaf', 'avif')))).toBe('avif');
    expect(sniffFormat(bytes(ftyp('heic', 'mif1', 'heic')))).toBeNull();
    expect(sniffFormat(bytes(ftyp('mif1', 'miaf')))).toBeNull();
    expect(sniffFormat(bytes(ascii('BM'), new Array(40).fill(0)))).toBeNull();
    expect(sniffFormat(bytes(ascii('<svg xmlns="http://www.w3.org/2000/svg"/>')))).toBeNull();
    expect(sniffFormat(bytes(ascii('AT&TFORM')))).toBeNull();
    expect(sniffFormat(new Uint8Array(0))).toBeNull();
    expect(sniffFormat(bytes([0xff, 0xd8]))).toBeNull();
  });

  it('refuses non-images as unsupported', () => {
    expectError(new Uint8Array(0), 'unsupported');
    expectError(bytes(ascii('<!DOCTYPE html><html>')), 'unsupported');
    expectError(bytes(ftyp('heic', 'mif1', 'heic'), box('meta')), 'unsupported');
  });

  it('swaps sides for orientations 5..8 only', () => {
    for (let o = 1; o <= 8; o++) {
      expect(displaySize({ width: 30, height: 20, orientation: o })).toEqual(
        o >= 5 ? { width: 20, height: 30 } : { width: 30, height: 20 },
      );
    }
  });
});

describe('readExifOrientation (TIFF IFD0)', () => {
  it('reads both byte orders, with or without the Exif\\0\\0 prefix', () => {
    for (let o = 1; o <= 8; o++) {
      expect(readExifOrientation(tiff(o))).toBe(o);
      expect(readExifOrientation(tiff(o, { little: true }))).toBe(o);
      expect(readExifOrientation(bytes(ascii('Exif\0\0'), tiff(o)))).toBe(o);
    }
  });

  it('falls back to 1 for anything invalid', () => {
    expect(readExifOrientation(tiff(0))).toBe(1);
    expect(readExifOrientation(tiff(9))).toBe(1);
    expect(readExifOrientation(tiff(6, { type: 4 }))).toBe(1); // LONG, not SHORT
    expect(readExifOrientation(tiff(6, { count: 2 }))).toBe(1);
    expect(readExifOrientation(tiff(6, { tag: 0x0113 }))).toBe(1);
    expect(readExifOrientation(tiff(6).subarray(0, 20))).toBe(1); // entry cut off
    expect(readExifOrientation(bytes(ascii('MM'), be16(43), be32(8), be16(0)))).toBe(1);
    expect(readExifOrientation(bytes(ascii('MM'), be16(42), be32(0xfffffff0)))).toBe(1);
    expect(readExifOrientation(bytes(ascii('XX'), be16(42), be32(8), be16(0)))).toBe(1);
    // IFD0 declaring 65535 entries but holding one: only the present entry is read.
    const many = tiff(3);
    many.set(be16(0xffff), 8);
    expect(readExifOrientation(many)).toBe(3);
    expect(readExifOrientation(new Uint8Array(0))).toBe(1);
  });
});

describe('probe: JPEG', () => {
  it('reads SOF0 size, EXIF orientation, progressive and CMYK', () => {
    expect(probe(jpeg(seg(0xe0, ascii('JFIF\0')), sof(0xc0, 640, 480)))).toEqual({
      format: 'jpeg',
      width: 640,
      height: 480,
      orientation: 1,
      hasAlpha: false,
      frames: 1,
      progressive: false,
      cmyk: false,
    });
    expect(probe(jpeg(app1Exif(tiff(6, { little: true })), sof(0xc0, 8, 4))).orientation).toBe(6);
    for (const m of [0xc2, 0xc6, 0xca, 0xce])
      expect(probe(jpeg(sof(m, 8, 8))).progressive).toBe(true);
    for (const m of [0xc0, 0xc1, 0xc3, 0xc9])
      expect(probe(jpeg(sof(m, 8, 8))).progressive).toBe(false);
    expect(probe(jpeg(sof(0xc0, 8, 8, 4))).cmyk).toBe(true);
    expect(probe(jpeg(sof(0xc0, 8, 8, 1))).cmyk).toBe(false);
  });

  it('uses the first Exif APP1 only and ignores broken EXIF', () => {
    const two = jpeg(app1Exif(tiff(3)), app1Exif(tiff(8)), sof(0xc0, 8, 8));
    expect(probe(two).orientation).toBe(3);
    const xmpFirst = jpeg(
      seg(0xe1, ascii('http://ns.adobe.com/xap/1.0/\0<x/>')),
      app1Exif(tiff(8)),
      sof(0xc0, 8, 8),
    );
    expect(probe(xmpFirst).orientation).toBe(8);
    expect(probe(jpeg(app1Exif(tiff(6).subarray(0, 12)), sof(0xc0, 8, 8))).orientation).toBe(1);
    expect(probe(jpeg(seg(0xe1, ascii('Exif\0\0')), sof(0xc0, 8, 8))).orientation).toBe(1);
  });

  it('skips fill bytes, stray bytes and marker-less RSTn like libjpeg', () => {
    const data = bytes(
      [0xff, 0xd8, 0xff, 0xff, 0xff],
      seg(0xfe, ascii('c')).slice(1),
      [0x00, 0x12],
      [0xff, 0xd0],
      sof(0xc0, 9, 7),
    );
    expect(probe(data)).toMatchObject({ width: 9, height: 7 });
  });

  it('is malformed without a sane frame header', () => {
    expectError(bytes([0xff, 0xd8, 0xff]), 'malformed');
    expectError(jpeg(seg(0xe0, ascii('JFIF\0'))), 'malformed'); // EOI before SOF
    expectError(jpeg(seg(0xda, [1, 1, 0, 0, 63, 0]), sof(0xc0, 8, 8)), 'malformed'); // SOS first
    expectError(jpeg(sof(0xc0, 8, 0)), 'malformed'); // height 0 (DNL) refused
    expectError(jpeg(sof(0xc0, 0, 8)), 'malformed');
    expectError(jpeg(seg(0xc0, [8, 0, 8, 0, 8, 3, 1, 0x11, 0])), 'malformed'); // Lf ≠ 8 + 3·Nf
    expectError(jpeg(seg(0xc0, [8, 0, 8, 0, 8, 0])), 'malformed'); // Nf = 0
    expectError(jpeg(seg(0xc0, [8, 0, 8])), 'malformed'); // too short
    expectError(bytes([0xff, 0xd8, 0xff, 0xe0, 0x40, 0x00, 1, 2, 3]), 'malformed'); // length past end
    expectError(bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01]), 'malformed'); // length < 2
    expectError(bytes([0xff, 0xd8, 0xff, 0xe0, 0x00]), 'malformed'); // truncated length
    expectError(bytes([0xff, 0xd8, 0xff, 0xd8], sof(0xc0, 8, 8)), 'malformed'); // two SOI
    const sofCut = jpeg(sof(0xc0, 8, 8));
    expectError(sofCut.subarray(0, sofCut.length - 4), 'malformed');
  });
});

describe('probe: PNG', () => {
  it('reads IHDR, colour-type alpha, tRNS, Adam7 and eXIf before IDAT', () => {
    expect(probe(png(ihdr(300, 200, 8, 2), idat))).toEqual({
      format: 'png',
      width: 300,
      height: 200,
      orientation: 1,
      hasAlpha: false,
      frames: 1,
      progressive: false,
      cmyk: false,
    });
    expect(probe(png(ihdr(1, 1, 8, 4), idat)).hasAlpha).toBe(true);
    expect(probe(png(ihdr(1, 1, 16, 6), idat)).hasAlpha).toBe(true);
    expect(probe(png(ihdr(1, 1, 8, 2), chunk('tRNS', [0, 1, 0, 2, 0, 3]), idat)).hasAlpha).toBe(
      true,
    );
    expect(
      probe(png(ihdr(1, 1, 4, 3), chunk('PLTE', [0, 0, 0]), chunk('tRNS', [0]), idat)).hasAlpha,
    ).toBe(true);
    expect(probe(png(ihdr(1, 1, 8, 2), chunk('tRNS', []), idat)).hasAlpha).toBe(false); // empty: ignored
    expect(probe(png(ihdr(1, 1, 8, 2), idat, chunk('tRNS', [0, 1, 0, 2, 0, 3]))).hasAlpha).toBe(
      false,
    );
    expect(probe(png(ihdr(1, 1, 8, 6, 1), idat)).progressive).toBe(true);
    expect(probe(png(ihdr(1, 1), chunk('eXIf', tiff(8)), idat)).orientation).toBe(8);
    expect(probe(png(ihdr(1, 1), chunk('eXIf', tiff(5, { little: true })), idat)).orientation).toBe(
      5,
    );
    expect(probe(png(ihdr(1, 1), idat, chunk('eXIf', tiff(8)))).orientation).toBe(1); // after IDAT: ignored
    expect(probe(png(ihdr(1, 1), chunk('eXIf', [1, 2, 3]), idat)).orientation).toBe(1);
  });

  it('counts APNG frames from fcTL chunks present, never from acTL alone', () => {
    const fctl = chunk('fcTL', new Array(26).fill(0));
    const fdat = chunk('fdAT', [0, 0, 0, 1, 0]);
    const actl = (n: number): number[] => chunk('acTL', [...be32(n), ...be32(0)]);
    expect(probe(png(ihdr(4, 4), actl(3), fctl, idat, fctl, fdat, fctl, fdat)).frames).toBe(3);
    expect(probe(png(ihdr(4, 4), actl(0x7fffffff), fctl, idat, fctl, fdat)).frames).toBe(2);
    expect(
      probe(png(ihdr(4, 4), actl(2), fctl, idat, fctl, fdat, fctl, fdat, fctl, fdat)).frames,
    ).toBe(2);
    expect(probe(png(ihdr(4, 4), actl(5), idat)).frames).toBe(1);
    expect(probe(png(ihdr(4, 4), actl(0), fctl, idat, fctl, fdat)).frames).toBe(1); // num_frames 0: still
    expect(probe(png(ihdr(4, 4), idat, actl(3), fctl, fdat, fctl, fdat)).frames).toBe(1); // acTL after IDAT
  });

  it('stops at chunks running past the end (truncation or huge ancillary lengths)', () => {
    // Decision: a length past the data (or above 2^31-1) ends the walk; IHDR facts stand.
    const huge = bytes(PNG_SIG, ihdr(7, 5), be32(0x3fffffff), ascii('eXIf'), tiff(6));
    expect(probe(huge)).toMatchObject({ width: 7, height: 5, orientation: 1 });
    const over = bytes(PNG_SIG, ihdr(7, 5), be32(0x80000000), ascii('tEXt'), [0, 0]);
    expect(probe(over)).toMatchObject({ width: 7, height: 5 });
    const garbageType = bytes(PNG_SIG, ihdr(7, 5, 8, 2), chunk('t\0NS', [0, 1, 0, 2, 0, 3]));
    expect(probe(garbageType).hasAlpha).toBe(false);
    expect(probe(png(ihdr(3, 3)))).toMatchObject({ width: 3, height: 3 }); // no IDAT at all
  });

  it('is malformed without a complete, valid IHDR first', () => {
    const ok = png(ihdr(4, 4), idat);
    for (const n of [8, 16, 24, 29, 32]) expectError(ok.subarray(0, n), 'malformed');
    expect(probe(ok.subarray(0, 33))).toMatchObject({ width: 4, height: 4 });
    expectError(
      bytes(PNG_SIG, chunk('IHDR', [...be32(4), ...be32(4), 8, 6, 0, 0]), idat),
      'malformed',
    ); // length 12
    expectError(
      bytes(PNG_SIG, chunk('IHDX', [...be32(4), ...be32(4), 8, 6, 0, 0, 0])),
      'malformed',
    );
    expectError(bytes(PNG_SIG, chunk('tEXt', ascii('a\0b')), ihdr(4, 4)), 'malformed');
    expectError(png(ihdr(0, 4)), 'malformed');
    expectError(png(ihdr(4, 0)), 'malformed');
    expectError(png(ihdr(0x80000000, 1)), 'malformed'); // above 2^31-1
    expectError(png(ihdr(MAX_DIMENSION + 1, 1)), 'malformed'); // above our cap
    expect(probe(png(ihdr(MAX_DIMENSION, 1))).width).toBe(MAX_DIMENSION);
    expectError(png(ihdr(4, 4, 8, 5)), 'malformed'); // colour type 5
    expectError(png(ihdr(4, 4, 4, 2)), 'malformed'); // RGB at 4 bits
    expectError(png(ihdr(4, 4, 16, 3)), 'malformed'); // palette at 16 bits
    expectError(png(ihdr(4, 4, 8, 6, 2)), 'malformed'); // interlace method 2
    expectError(png(ihdr(4, 4), ihdr(8, 8), idat), 'malformed'); // second IHDR
  });
});

describe('probe: GIF', () => {
  it('counts frames, sees transparency, and grows the size to cover every frame', () => {
    const g = bytes(
      gifHeader(10, 10),
      netscape,
      gce(false),
      gifFrame(0, 0, 10, 10),
      gce(true),
      gifFrame(2, 2, 4, 4),
      [0x3b],
    );
    expect(probe(g)).toEqual({
      format: 'gif',
      width: 10,
      height: 10,
      orientation: 1,
      hasAlpha: true,
      frames: 2,
      progressive: false,
      cmyk: false,
    });
    expect(probe(bytes(gifHeader(10, 10), gifFrame(0, 0, 10, 10), [0x3b])).hasAlpha).toBe(false);
    expect(probe(bytes(gifHeader(10, 10), gifFrame(5, 8, 20, 30), [0x3b]))).toMatchObject({
      width: 25,
      height: 38,
    });
    expect(probe(bytes(gifHeader(0, 0), gifFrame(0, 0, 3, 2), [0x3b]))).toMatchObject({
      width: 3,
      height: 2,
    });
    const max = probe(bytes(gifHeader(1, 1), gifFrame(65535, 65535, 65535, 65535)));
    expect(max).toMatchObject({ width: 131070, height: 131070 });
    // Global colour table of 2^(7+1) entries is skipped.
    const gct = bytes(
      ascii('GIF87a'),
      le16(4),
      le16(4),
      [0x87, 0, 0],
      new Array(768).fill(7),
      gifFrame(0, 0, 4, 4),
      [0x3b],
    );
    expect(probe(gct).frames).toBe(1);
  });

  it('is transparent only where a frame with the transparency flag uses its transparent index', () => {
    // LZW codes of 3 bits (minimum code size 2: clear 4, end 5), packed LSB first; a clear
    // before each literal keeps the code size at 3.
    const lzw = (indices: number[]): number[] => {
      const codes = [...indices.flatMap((i) => [4, i]), 5];
      const out: number[] = [];
      let acc = 0;
      let bits = 0;
      for (const c of codes) {
        acc |= c << bits;
        bits += 3;
        while (bits >= 8) {
          out.push(acc & 0xff);
          acc >>= 8;
          bits -= 8;
        }
      }
      if (bits > 0) out.push(acc & 0xff);
      return [2, out.length, ...out, 0];
    };
    const frame = [0x2c, ...le16(0), ...le16(0), ...le16(2), ...le16(2), 0];
    const gif = (transparentIndex: number, indices: number[]) =>
      bytes(
        gifHeader(2, 2),
        [0x21, 0xf9, 4, 1, 0, 0, transparentIndex, 0],
        frame,
        lzw(indices),
        [0x3b],
      );
    // The flag set (as cgif sets it on opaque images) but index 0 unused: opaque.
    expect(probe(gif(0, [1, 2, 3, 1])).hasAlpha).toBe(false);
    expect(probe(gif(3, [1, 2, 0, 1])).hasAlpha).toBe(false);
    expect(probe(gif(0, [1, 2, 0, 1])).hasAlpha).toBe(true);
    // Data that ends before the frame's 4 pixels leaves pixels transparent.
    expect(probe(gif(0, [1, 2, 3])).hasAlpha).toBe(true);
  });

  it('keeps frames whose descriptor is complete when the data is cut', () => {
    const g = bytes(gifHeader(10, 10), gifFrame(0, 0, 10, 10), gifFrame(0, 0, 10, 10));
    expect(probe(g.subarray(0, g.length - 3)).frames).toBe(2);
    expect(probe(g.subarray(0, 13 + 14 + 9)).frames).toBe(1); // second descriptor incomplete
    expect(probe(bytes(gifHeader(10, 10), gifFrame(0, 0, 10, 10), [0x99, 1, 2, 3])).frames).toBe(1);
  });

  it('is malformed without a complete frame, or with a zero-size frame', () => {
    expectError(bytes(ascii('GIF89a'), [1, 0]), 'malformed');
    expectError(bytes(gifHeader(10, 10), [0x3b]), 'malformed');
    expectError(bytes(gifHeader(10, 10), netscape), 'malformed');
    expectError(bytes(gifHeader(10, 10), [0x2c, 0, 0, 0, 0, 10, 0]), 'malformed');
    expectError(bytes(gifHeader(10, 10), gifFrame(0, 0, 0, 10)), 'malformed');
    expectError(
      bytes(gifHeader(10, 10), gifFrame(0, 0, 10, 10), gifFrame(0, 0, 10, 0)),
      'malformed',
    );
  });
});

describe('probe: WebP', () => {
  it('reads VP8, VP8L (alpha hint) and VP8X (canvas, flags, ALPH, EXIF, ANMF)', () => {
    expect(probe(webp(vp8(100, 50)))).toMatchObject({
      width: 100,
      height: 50,
      hasAlpha: false,
      frames: 1,
    });
    expect(probe(webp(vp8(0x4000 | 100, 0xc000 | 50)))).toMatchObject({ width: 100, height: 50 }); // scale bits
    expect(probe(webp(vp8l(16384, 3, true)))).toMatchObject({
      width: 16384,
      height: 3,
      hasAlpha: true,
    });
    expect(probe(webp(vp8x(0x00, 30, 20), vp8(30, 20)))).toMatchObject({
      width: 30,
      height: 20,
      hasAlpha: false,
    });
    expect(probe(webp(vp8x(0x10, 30, 20), vp8(30, 20))).hasAlpha).toBe(true);
    expect(probe(webp(vp8x(0x00, 30, 20), riffChunk('ALPH', [0]), vp8(30, 20))).hasAlpha).toBe(
      true,
    );
    expect(probe(webp(vp8x(0x00, 30, 20), vp8l(30, 20, true))).hasAlpha).toBe(true);
    const exif = webp(
      vp8x(0x08, 30, 20),
      vp8(30, 20),
      riffChunk('EXIF', tiff(7, { little: true })),
    );
    expect(probe(exif).orientation).toBe(7);
    expect(probe(webp(vp8(30, 20), riffChunk('EXIF', tiff(7)))).orientation).toBe(1); // simple format: no EXIF
    const anim = webp(
      vp8x(0x02, 40, 30),
      riffChunk('ANIM', [0, 0, 0, 0, 0, 0]),
      anmf(0, 0, 40, 30),
      anmf(10, 10, 30, 20),
    );
    expect(probe(anim)).toMatchObject({ width: 40, height: 30, frames: 2 });
    expect(probe(webp(vp8x(0, MAX_DIMENSION, 1)))).toMatchObject({
      width: MAX_DIMENSION,
      height: 1,
    });
  });

  it('ignores bytes past the RIFF size and stops at truncated chunks', () => {
    const anim = webp(vp8x(0x02, 40, 30), anmf(0, 0, 40, 30), anmf(0, 0, 40, 30));
    expect(probe(bytes(anim, ascii('RIFF'), anmf(0, 0, 40, 30))).frames).toBe(2);
    expect(probe(anim.subarray(0, anim.length - 10)).frames).toBe(2); // second frame header intact
    // Header 12 + VP8X 18 = 30; then the first ANMF chunk header (8) and frame header (16).
    expect(probe(anim.subarray(0, 30 + 8 + 16)).frames).toBe(1);
    expectError(anim.subarray(0, 30 + 8 + 10), 'malformed'); // no complete frame
  });

  it('is malformed for broken or inconsistent headers', () => {
    expectError(bytes(ascii('RIFF'), le32(4), ascii('WEBP')), 'malformed'); // no chunk
    expectError(webp(riffChunk('ALPH', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), 'malformed'); // wrong first chunk
    expectError(webp(vp8(100, 50, 0x11)), 'malformed'); // inter frame
    expectError(webp(vp8(100, 50, 0x00)), 'malformed'); // not shown
    expectError(webp(vp8(0, 50)), 'malformed');
    expectError(webp(riffChunk('VP8 ', [0x10, 0, 0, 0x9d, 0x01, 0x2b, 1, 0, 1, 0])), 'malformed'); // start code
    expectError(webp(vp8l(10, 10, false, 1)), 'malformed'); // version 1
    expectError(webp(riffChunk('VP8L', [0x2e, 0, 0, 0, 0])), 'malformed'); // signature
    expectError(webp(riffChunk('VP8X', [0, 0, 0, 0, 1, 0, 0, 1, 0])), 'malformed'); // 9 bytes
    expectError(webp(vp8x(0, 30, 20), vp8(31, 20)), 'malformed'); // bitstream ≠ canvas
    expectError(webp(vp8x(0, 0x10000, 0x10000)), 'malformed'); // area ≥ 2^32
    expectError(webp(vp8x(0x02, 40, 30), riffChunk('ANIM', [0, 0, 0, 0, 0, 0])), 'malformed'); // no frames
    expectError(webp(vp8x(0x02, 40, 30), anmf(20, 0, 30, 30)), 'malformed'); // frame outside canvas
    const lossy = webp(vp8(100, 50));
    expectError(lossy.subarray(0, 25), 'malformed'); // VP8 header cut
    expectError(bytes(ascii('RIFF'), le32(2), ascii('WEBP'), vp8(1, 1)), 'malformed'); // RIFF size < 12
  });
});

describe('probe: AVIF', () => {
  it('reads the primary item ispe, ignoring other items', () => {
    expect(probe(avif({ width: 640, height: 360 }))).toEqual({
      format: 'avif',
      width: 640,
      height: 360,
      orientation: 1,
      hasAlpha: false,
      frames: 1,
      progressive: false,
      cmyk: false,
    });
    expect(probe(avif({ brands: ['mif1', 'miaf', 'avif'] })).format).toBe('avif');
  });

  it('maps irot/imir to EXIF orientation like libavif', () => {
    const table: [number | undefined, number | undefined, number][] = [
      [undefined, undefined, 1],
      [0, undefined, 1],
      [1, undefined, 8],
      [2, undefined, 3],
      [3, undefined, 6],
      [undefined, 1, 2],
      [undefined, 0, 4],
      [1, 1, 7],
      [1, 0, 5],
      [2, 1, 4],
      [2, 0, 2],
      [3, 1, 5],
      [3, 0, 7],
    ];
    for (const [irot, imir, want] of table)
      expect(probe(avif({ irot, imir })).orientation).toBe(want);
  });

  it('sees an alpha auxiliary item only when auxl links it to the primary', () => {
    expect(probe(avif({ alpha: ALPHA_URN })).hasAlpha).toBe(true);
    expect(probe(avif({ alpha: 'urn:mpeg:hevc:2015:auxid:1' })).hasAlpha).toBe(true);
    expect(probe(avif({ alpha: ALPHA_URN, auxl: false })).hasAlpha).toBe(false);
    expect(probe(avif({ alpha: 'urn:mpeg:mpegB:cicp:systems:auxiliary:depth' })).hasAlpha).toBe(
      false,
    );
  });

  it('counts sequence frames from stsz, bounded by the sample table present', () => {
    expect(probe(avif({ brands: ['avis', 'avif'], moov: stszMoov(0, 5, 5) })).frames).toBe(5);
    expect(probe(avif({ brands: ['avis', 'avif'], moov: stszMoov(0, 1_000_000, 2) })).frames).toBe(
      2,
    );
    const constant = avif({ brands: ['avis'], moov: stszMoov(4, 0xffffffff, 0) });
    expect(probe(constant).frames).toBeLessThanOrEqual(constant.length);
    expect(probe(avif({ brands: ['avis'], moov: box('moov', box('mvhd')) })).frames).toBe(1);
  });

  it('is malformed without a readable primary item size', () => {
    expectError(bytes(ftyp('avif', 'mif1')), 'malformed'); // no meta
    expectError(avif({ omitIspe: true }), 'malformed');
    expectError(avif({ omitPitm: true }), 'malformed');
    expectError(avif({ badIndex: true }), 'malformed');
    expectError(avif({ width: 0 }), 'malformed');
    expectError(avif({ width: MAX_DIMENSION + 1 }), 'malformed');
    expectError(avif({ width: 0xffffffff, height: 0xffffffff }), 'malformed');
    const full = avif();
    const metaEnd = full.length - 12; // mdat is the last 12 bytes
    for (const cut of [40, 100, metaEnd - 1]) expectError(full.subarray(0, cut), 'malformed');
    expect(probe(full.subarray(0, metaEnd))).toMatchObject({ width: 64, height: 48 });
  });
});

// ---------------------------------------------------------------------------------------
// Properties

/** Largest side each format's header fields can express (GIF: u16 offset + u16 size). */
const FORMAT_MAX: Record<ProbeResult['format'], number> = {
  jpeg: 65535,
  png: MAX_DIMENSION,
  webp: MAX_DIMENSION,
  avif: MAX_DIMENSION,
  gif: 131070,
};

/** Invariants every ProbeResult satisfies, whatever the input. */
function checkResult(r: ProbeResult, input: Uint8Array): void {
  expect(sniffFormat(input)).toBe(r.format);
  for (const side of [r.width, r.height]) {
    expect(Number.isInteger(side)).toBe(true);
    expect(side).toBeGreaterThan(0);
    expect(side).toBeLessThanOrEqual(Math.min(FORMAT_MAX[r.format], 2 ** 24));
  }
  expect(Number.isInteger(r.orientation) && r.orientation >= 1 && r.orientation <= 8).toBe(true);
  expect(Number.isInteger(r.frames) && r.frames >= 1 && r.frames <= Math.max(1, input.length)).toBe(
    true,
  );
  expect(typeof r.hasAlpha).toBe('boolean');
  expect(typeof r.progressive).toBe('boolean');
  expect(typeof r.cmyk).toBe('boolean');
}

/** The property body: a result that passes the invariants, or a ProbeError. */
function probeIsTotal(input: Uint8Array): ProbeResult | ProbeError {
  const out = outcome(input); // rethrows anything that is not a ProbeError
  if (!(out instanceof ProbeError)) checkResult(out, input);
  return out;
}

const MAGICS: number[][] = [
  [0xff, 0xd8, 0xff],
  PNG_SIG,
  [...PNG_SIG, ...ihdr(3, 3)],
  [...ascii('RIFF'), 0xff, 0xff, 0, 0, ...ascii('WEBP')],
  [...ascii('RIFF'), 0xff, 0xff, 0, 0, ...ascii('WEBPVP8X'), 10, 0, 0, 0],
  ascii('GIF89a'),
  ascii('GIF87a'),
  ftyp('avif', 'mif1'),
  [...ftyp('avif'), ...be32(200), ...ascii('meta'), 0, 0, 0, 0],
];

interface Seed {
  name: string;
  data: Uint8Array;
  original: ProbeResult;
  /** Shortest prefix that already probes to the original size. */
  stable: number;
}

/** Mutations of a seed: overwrites, truncation, insertion, deletion. */
type Mutation =
  | { kind: 'overwrite'; edits: { at: number; value: number }[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; data: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

/** Byte positions, biased towards the first bytes where the size fields live. */
const positionArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 63 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 2047 }) },
  { weight: 1, arbitrary: fc.nat() },
);
/** Byte values, biased towards the extremes that break size and length fields. */
const byteArb = fc.oneof(
  fc.constantFrom(0, 1, 0x7f, 0x80, 0xfe, 0xff),
  fc.integer({ min: 0, max: 255 }),
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('overwrite' as const),
    edits: fc.array(fc.record({ at: positionArb, value: byteArb }), {
      minLength: 1,
      maxLength: 8,
    }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    data: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 16 }),
  }),
);

function applyMutation(seed: Uint8Array, m: Mutation): Uint8Array {
  const n = seed.length;
  switch (m.kind) {
    case 'overwrite': {
      const out = seed.slice();
      for (const e of m.edits) out[e.at % n] = e.value;
      return out;
    }
    case 'truncate':
      return seed.slice(0, m.at % (n + 1));
    case 'insert': {
      const at = m.at % (n + 1);
      return bytes(seed.subarray(0, at), m.data, seed.subarray(at));
    }
    case 'delete': {
      const at = m.at % n;
      return bytes(seed.subarray(0, at), seed.subarray(Math.min(n, at + m.count)));
    }
  }
}

describe('probe: properties (fast-check)', () => {
  const seeds: Seed[] = [];

  beforeAll(async () => {
    const sources: [string, Uint8Array][] = [];
    for (const path of [
      'images/exif/Landscape_6.jpg',
      'images/large/2569067123_aca715a2ee_o.jpg',
      'images/progressive/Cerkiew.jpg',
      'images/kodak/kodim01.png',
      'images/alpha/blackbug.png',
      'bad-images/frames/pillow_apng_syntax_num_frames_high.png',
      'images/animated/animated-loop-3.gif',
      'images/animated/rotating-squares.gif',
      'bad-images/frames/sharp_big-height.webp',
    ]) {
      sources.push([path, await fixture(path)]);
    }
    for (const [name, g] of Object.entries(GENERATED)) sources.push([name, b64(g.data)]);
    sources.push(['synthetic alpha+irot avif', avif({ alpha: ALPHA_URN, irot: 1, imir: 0 })]);
    sources.push(['synthetic avis', avif({ brands: ['avis', 'avif'], moov: stszMoov(0, 4, 4) })]);

    for (const [name, full] of sources) {
      const original = probe(full);
      // The header region: the first ~2 KB, or more when the size fields come later.
      let stable = 1;
      while (stable <= full.length) {
        const r = outcome(full.subarray(0, stable));
        if (
          !(r instanceof ProbeError) &&
          r.width === original.width &&
          r.height === original.height
        )
          break;
        stable++;
      }
      const data = full.slice(0, Math.max(2048, stable + 256));
      seeds.push({ name, data, original: probe(data), stable });
    }
  });

  it('random bytes give a ProbeResult or a ProbeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (input) => {
        probeIsTotal(input);
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes behind each magic give a ProbeResult or a ProbeError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MAGICS), fc.uint8Array({ maxLength: 1024 }), (magic, tail) => {
        probeIsTotal(bytes(magic, tail));
      }),
      { numRuns: 1000 },
    );
  });

  it('mutated real headers give a ProbeResult or a ProbeError within the format bounds', () => {
    fc.assert(
      fc.property(fc.nat(), mutationArb, (i, m) => {
        const seed = seeds[i % seeds.length]!;
        probeIsTotal(applyMutation(seed.data, m));
      }),
      { numRuns: 1000 },
    );
  });

  it('truncated headers never report more than the full header', () => {
    fc.assert(
      fc.property(fc.nat(), positionArb, (i, at) => {
        const seed = seeds[i % seeds.length]!;
        const out = probeIsTotal(seed.data.subarray(0, at % (seed.data.length + 1)));
        if (out instanceof ProbeError) return;
        expect(out.format).toBe(seed.original.format);
        expect(out.frames).toBeLessThanOrEqual(seed.original.frames);
        if (out.format === 'gif') {
          // Fewer frames can only shrink the covering rectangle.
          expect(out.width).toBeLessThanOrEqual(seed.original.width);
          expect(out.height).toBeLessThanOrEqual(seed.original.height);
        } else {
          expect([out.width, out.height]).toEqual([seed.original.width, seed.original.height]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('overwrites after the size fields never change the size (except GIF frame growth)', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        (i, edits) => {
          const seed = seeds[i % seeds.length]!;
          const span = seed.data.length - seed.stable;
          if (span <= 0) return;
          const mutated = seed.data.slice();
          for (const e of edits) mutated[seed.stable + (e.at % span)] = e.value;
          const out = probeIsTotal(mutated);
          if (out instanceof ProbeError) return;
          // A GIF's later frame descriptors legitimately enlarge its covering rectangle, so
          // for GIF only the format bound (checked in probeIsTotal) applies.
          if (out.format !== 'gif') {
            expect([out.width, out.height]).toEqual([seed.original.width, seed.original.height]);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
