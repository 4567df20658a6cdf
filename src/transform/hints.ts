/**
 * Options answered from the request's client hints, resolved into a plain spec before the
 * cache lookup so the variant's identity is concrete (`width=auto` with `Sec-CH-Width: 700`
 * is the variant `width=768`, one cache entry with it):
 *
 * - `width=auto` (Cloudflare: one of four widths, 320, 768, 960 or 1200): the layout width
 *   in device pixels from `Sec-CH-Width` (or the older `Width`), else `Sec-CH-Viewport-Width`
 *   (or `Viewport-Width`) × `Sec-CH-DPR` (or `DPR`, else the URL's `dpr`); the smallest of the
 *   four that is at least that wide (1200 when wider). Without hints: 1200. The width is in
 *   device pixels, so the resolved spec has `dpr=1` (a `height` is multiplied by the URL's
 *   `dpr` first).
 * - `slow-connection-quality` (Cloudflare's conditions): replaces `quality` when `RTT` > 150
 *   (ms), `Save-Data: on`, `ECT` is `slow-2g`, `2g` or `3g`, or `Downlink` < 5 (Mbit/s).
 *
 * The response then asks for those hints (`Accept-CH`) and says it depends on them (`Vary`).
 */
import { deviceSide, type TransformSpec } from './spec';

/** Cloudflare's `width=auto` widths, device pixels, ascending. */
export const AUTO_WIDTHS: readonly number[] = [320, 768, 960, 1200];

/** Hints `width=auto` reads, in the order tried. */
const WIDTH_HINTS = ['Sec-CH-Width', 'Width', 'Sec-CH-Viewport-Width', 'Viewport-Width'];
const DPR_HINTS = ['Sec-CH-DPR', 'DPR'];
/** Hints `slow-connection-quality` reads. */
const NETWORK_HINTS = ['RTT', 'Save-Data', 'ECT', 'Downlink'];

/** A positive finite number from a header, or undefined. */
function positive(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null) return undefined;
  const n = Number(raw.trim());
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** The `width=auto` width for these request headers (see the module comment). */
export function autoWidth(headers: Headers, dpr: number): number {
  let device = positive(headers, 'Sec-CH-Width') ?? positive(headers, 'Width');
  if (device === undefined) {
    const viewport =
      positive(headers, 'Sec-CH-Viewport-Width') ?? positive(headers, 'Viewport-Width');
    const ratio = positive(headers, 'Sec-CH-DPR') ?? positive(headers, 'DPR') ?? dpr;
    if (viewport !== undefined) device = viewport * Math.min(ratio, 4);
  }
  const widest = AUTO_WIDTHS[AUTO_WIDTHS.length - 1]!;
  if (device === undefined) return widest;
  return AUTO_WIDTHS.find((w) => w >= device) ?? widest;
}

/** True when the network hints say the connection is slow (Cloudflare's four conditions). */
export function slowConnection(headers: Headers): boolean {
  const rtt = Number(headers.get('RTT'));
  const downlink = headers.get('Downlink');
  const ect = headers.get('ECT')?.trim().toLowerCase();
  return (
    rtt > 150 ||
    headers.get('Save-Data')?.trim().toLowerCase() === 'on' ||
    ect === 'slow-2g' ||
    ect === '2g' ||
    ect === '3g' ||
    (downlink !== null && downlink.trim() !== '' && Number(downlink) < 5)
  );
}

/** A spec resolved against client hints, and the response headers that go with it. */
export interface HintedSpec {
  spec: TransformSpec;
  /** Hints to ask for (`Accept-CH`); empty when the spec reads none. */
  acceptCh: string[];
  /** Request headers the answer depends on (`Vary`). */
  vary: string[];
}

/**
 * Resolves `width=auto` and `slow-connection-quality` in `spec` from `headers` (see the
 * module comment); other specs are returned as they are, with no hint headers.
 */
export function resolveHints(spec: TransformSpec, headers: Headers | undefined): HintedSpec {
  if (!spec.widthAuto && spec.slowConnectionQuality === undefined)
    return { spec, acceptCh: [], vary: [] };
  const h = headers ?? new Headers();
  const out: { -readonly [K in keyof TransformSpec]: TransformSpec[K] } = { ...spec };
  const acceptCh: string[] = [];
  if (spec.widthAuto) {
    out.width = autoWidth(h, spec.dpr);
    if (spec.height !== undefined) out.height = deviceSide(spec.height, spec.dpr);
    out.dpr = 1;
    delete out.widthAuto;
    acceptCh.push(...WIDTH_HINTS, ...DPR_HINTS);
  }
  if (spec.slowConnectionQuality !== undefined) {
    if (slowConnection(h)) out.quality = spec.slowConnectionQuality;
    delete out.slowConnectionQuality;
    acceptCh.push(...NETWORK_HINTS);
  }
  return { spec: Object.freeze(out), acceptCh, vary: acceptCh };
}
