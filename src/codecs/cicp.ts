/**
 * ICC profiles for CICP colour descriptions (ITU-T H.273 code points, as an AVIF `nclx` colr
 * box or its AV1 sequence header gives them), so the colour step (src/codecs/lcms.ts) can
 * convert a Display P3 or BT.2020 AVIF without an embedded profile to sRGB, as browsers do.
 *
 * The profile is an ICC v4 RGB matrix/TRC display profile (ICC.1:2022 §9.2): colorants from
 * the primaries and the D65 white point, adapted to the D50 PCS with the Bradford transform
 * (ICC.1:2022 Annex E), `chad` holding that adaptation, and one `para` curve (function type
 * 3, §10.18) for the transfer characteristics.
 */
import type { IccProfile } from './icc';

/** Chromaticities (x, y) of R, G, B by colour_primaries code point (H.273 Table 2); D65 white. */
const PRIMARIES: Record<number, [number, number][]> = {
  9: [
    [0.708, 0.292],
    [0.17, 0.797],
    [0.131, 0.046],
  ], // BT.2020 / BT.2100
  12: [
    [0.68, 0.32],
    [0.265, 0.69],
    [0.15, 0.06],
  ], // SMPTE EG 432-1: Display P3
};
const D65: [number, number] = [0.3127, 0.329];
/** The ICC PCS white (D50), XYZ. */
const D50 = [0.9642, 1, 0.8249];

/**
 * Parametric curve (g, a, b, c, d) of type 3, Y = (aX + b)^g for X ≥ d, else cX, by
 * transfer_characteristics code point (H.273 Table 3): the inverse OETFs of BT.709 (also
 * used for 6, 14, 15: BT.601, BT.2020 10- and 12-bit) and IEC 61966-2-1 (sRGB), linear, and
 * the pure gammas 2.2 and 2.8. PQ and HLG (16, 18) have no such curve: not converted.
 */
const BT709: number[] = [1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 0.081];
const TRANSFERS: Record<number, number[]> = {
  1: BT709,
  4: [2.2, 1, 0, 0, 0],
  5: [2.8, 1, 0, 0, 0],
  6: BT709,
  8: [1, 1, 0, 0, 0],
  13: [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045],
  14: BT709,
  15: BT709,
};

type M3 = number[][];
const mul = (a: M3, b: M3): M3 =>
  a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
function inv(m: M3): M3 {
  const v = (r: number, c: number) => m[r]![c]!;
  const cof = (r: number, c: number) => {
    const rs = [0, 1, 2].filter((x) => x !== r);
    const cs = [0, 1, 2].filter((x) => x !== c);
    const det2 = v(rs[0]!, cs[0]!) * v(rs[1]!, cs[1]!) - v(rs[0]!, cs[1]!) * v(rs[1]!, cs[0]!);
    return (r + c) % 2 ? -det2 : det2;
  };
  const det = v(0, 0) * cof(0, 0) + v(0, 1) * cof(0, 1) + v(0, 2) * cof(0, 2);
  return [0, 1, 2].map((r) => [0, 1, 2].map((c) => cof(c, r) / det));
}
const xyz = ([x, y]: [number, number]) => [x / y, 1, (1 - x - y) / y];

/** RGB → XYZ (D50 PCS) matrix of `primaries` with a D65 white, and the D65 → D50 adaptation. */
function colorants(primaries: [number, number][]): { rgb: M3; chad: M3 } {
  const p = primaries.map((c) => xyz(c as [number, number]));
  const P: M3 = [0, 1, 2].map((r) => p.map((col) => col[r]!));
  const w = xyz(D65);
  const s = mul(inv(P), [[w[0]!], [w[1]!], [w[2]!]]).map((r) => r[0]!);
  const rgbD65 = P.map((row) => row.map((v, j) => v * s[j]!));
  const bradford: M3 = [
    [0.8951, 0.2664, -0.1614],
    [-0.7502, 1.7135, 0.0367],
    [0.0389, -0.0685, 1.0296],
  ];
  const cone = (v: number[]) =>
    mul(
      bradford,
      v.map((x) => [x]),
    ).map((r) => r[0]!);
  const src = cone(w);
  const dst = cone(D50);
  const scale: M3 = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? dst[i]! / src[i]! : 0)));
  const chad = mul(inv(bradford), mul(scale, bradford));
  return { rgb: mul(chad, rgbD65), chad };
}

/** Big-endian writer for the profile. */
class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u32(at: number, v: number) {
    this.view.setUint32(at, v >>> 0);
  }
  s15f16(at: number, v: number) {
    this.view.setInt32(at, Math.round(v * 65536));
  }
  ascii(at: number, s: string) {
    for (let i = 0; i < s.length; i++) this.bytes[at + i] = s.charCodeAt(i);
  }
}

/**
 * An ICC profile describing RGB in the given CICP primaries and transfer characteristics, or
 * null when no conversion is needed or possible: BT.709/sRGB (1) and unspecified (2)
 * primaries are taken as sRGB; other primaries than BT.2020 (9) and Display P3 (12), and
 * transfers without a parametric curve (PQ, HLG, unspecified), are left as they are.
 */
export function cicpProfile(cicp: { primaries: number; transfer: number }): IccProfile | null {
  const primaries = PRIMARIES[cicp.primaries];
  const curve = TRANSFERS[cicp.transfer];
  if (!primaries || !curve) return null;
  const { rgb, chad } = colorants(primaries);
  // Tags: desc, wtpt, chad, rXYZ, gXYZ, bXYZ, and rTRC/gTRC/bTRC sharing one curve.
  const desc = `CICP ${cicp.primaries}/${cicp.transfer}`;
  const descSize = 28 + desc.length * 2;
  const tags: [string, number][] = [
    ['desc', descSize],
    ['wtpt', 20],
    ['chad', 44],
    ['rXYZ', 20],
    ['gXYZ', 20],
    ['bXYZ', 20],
    ['rTRC', 32],
  ];
  const table = 128 + 4 + 12 * (tags.length + 2);
  const offsets: number[] = [];
  let at = table;
  for (const [, size] of tags) {
    offsets.push(at);
    at += (size + 3) & ~3;
  }
  const w = new Writer(at);
  // Header (ICC.1:2022 §7.2).
  w.u32(0, at);
  w.u32(8, 0x04300000); // version 4.3
  w.ascii(12, 'mntrRGB XYZ ');
  w.ascii(36, 'acsp');
  w.u32(64, 0); // perceptual
  w.s15f16(68, D50[0]!);
  w.s15f16(72, D50[1]!);
  w.s15f16(76, D50[2]!);
  // Tag table: the three TRC tags point at one curve.
  const entries: [string, number, number][] = tags.map(([sig, size], i) => [
    sig,
    offsets[i]!,
    size,
  ]);
  const trc = entries.at(-1)!;
  entries.push(['gTRC', trc[1], trc[2]], ['bTRC', trc[1], trc[2]]);
  w.u32(128, entries.length);
  entries.forEach(([sig, offset, size], i) => {
    w.ascii(132 + i * 12, sig);
    w.u32(136 + i * 12, offset);
    w.u32(140 + i * 12, size);
  });
  // desc: multiLocalizedUnicodeType with one en-US record.
  const [d, wt, ch, rx, gx, bx, tr] = offsets as [number, ...number[]];
  w.ascii(d, 'mluc');
  w.u32(d + 8, 1);
  w.u32(d + 12, 12);
  w.ascii(d + 16, 'enUS');
  w.u32(d + 20, desc.length * 2);
  w.u32(d + 24, 28);
  for (let i = 0; i < desc.length; i++) w.bytes[d + 29 + i * 2] = desc.charCodeAt(i);
  const xyzTag = (o: number, v: number[]) => {
    w.ascii(o, 'XYZ ');
    v.forEach((c, i) => w.s15f16(o + 8 + i * 4, c));
  };
  xyzTag(wt!, D50);
  w.ascii(ch!, 'sf32');
  chad.flat().forEach((v, i) => w.s15f16(ch! + 8 + i * 4, v));
  xyzTag(rx!, [rgb[0]![0]!, rgb[1]![0]!, rgb[2]![0]!]);
  xyzTag(gx!, [rgb[0]![1]!, rgb[1]![1]!, rgb[2]![1]!]);
  xyzTag(bx!, [rgb[0]![2]!, rgb[1]![2]!, rgb[2]![2]!]);
  w.ascii(tr!, 'para');
  w.bytes[tr! + 9] = 3; // function type 3: g, a, b, c, d
  curve.forEach((v, i) => w.s15f16(tr! + 12 + i * 4, v));
  return { bytes: w.bytes, model: 'rgb' };
}
