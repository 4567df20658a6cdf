/**
 * Benchmark Worker (built from wrangler.bench.toml, driven by bench/run.mjs). It runs the
 * production codec adapters and transform pipeline from src/ inside workerd, exactly as the
 * service Worker bundles them, and times them from inside the isolate.
 *
 * Inputs are uploaded once per case and kept in module memory, so a timed request carries no
 * image bytes unless `out=1` asks for the result.
 *
 *   GET  /noop                               round-trip overhead probe
 *   PUT  /input?key=K[&w=W&h=H]              store bytes (with w/h: raw RGBA8 pixels)
 *   POST /run?key=K&op=OP&reps=N[&out=1]...  run OP N times back to back; time them
 *        op=decode   &format=jpeg|png|webp|avif|gif[&tw=W&th=H]  (tw/th: WebP scaled decode)
 *                    [&scaled=1]  (PNG: png_scaled.wasm at full size, the decoder of every PNG
 *                    source, src/codecs/png-scaled.ts, instead of decodeImage's @jsquash/png)
 *        op=decode-scaled &denom=1|2|4|8   (src/codecs/jpeg-scaled.ts)
 *        op=decode-turbo &m=1..8           (src/codecs/jpeg-turbo.ts, at m/8)
 *                    [&rows=1]  (read as rows, `openJpegTurboRows`, every row pulled and
 *                    dropped: the streamed path's decode alone)
 *        op=resize   &w=W&h=H
 *        op=encode   &format=jpeg|png|webp|avif[&quality=Q][&speed=S][&rows=1]
 *                    (rows=1, JPEG only: libjpeg-turbo fed the rows band by band through the
 *                    streamed path's row sink, codecs/row-sink.ts, instead of mozjpeg)
 *        op=pipeline &t=<transform>&f=<format>[&m8=1][&jr=1|&jo=1]   (probe + parseTransform
 *                    + the planner's shape, transform/fallback.ts, or with m8=1 its decode
 *                    fallback forced, with jr=1 its JPEG encoded from rows, with jo=1 from
 *                    rows in libjpeg-turbo's single pass, + runShape)
 *        op=standin  &t=<transform>&f=webp|jpeg|png&factor=2|4|8   a low-resolution stand-in
 *                    (delivery/stand-in.ts choice 3: the spec at 1/factor of the size,
 *                    enlarged to its canvas into the cheapest encoder, runShape `enlargeTo`)
 *   GET  /mem                                wasm memory per codec instance, bytes
 *   GET  /defaults                           encoder defaults (quality per format, AVIF speed)
 *   GET  /clock?ms=N                         busy-wait N ms by Date.now(); report what
 *                                            performance.now() and Date.now() saw
 *   POST /clear                              drop stored inputs
 *
 * /run answers with the last result's bytes (encode, pipeline; raw RGBA for decode and resize
 * when out=1) and headers: x-ms (ms for all reps, from performance.now(), which advances
 * during CPU work in local workerd, at 1 ms resolution), x-width, x-height, x-wasm (JSON of
 * wasm memory bytes per codec), x-timings (pipeline stage ms, JSON, last rep), x-plan (pipeline:
 * the shape run, JSON: its placement, decode plan and whether the rows encoder is used).
 *
 * Plain JavaScript on purpose: tsconfig.node.json type-checks bench/ with Node's types, and the
 * Worker code it imports is checked by the root tsconfig.
 */
import { decodeImage } from '../src/codecs/decode';
import { DEFAULT_AVIF_SPEED, DEFAULT_QUALITY, encodeImage } from '../src/codecs/encode';
import { decodeJpegScaled } from '../src/codecs/jpeg-scaled';
import { decodeJpegTurbo, openJpegTurboRows } from '../src/codecs/jpeg-turbo';
import { decodePngResized } from '../src/codecs/png-scaled';
import { probe } from '../src/codecs/probe';
import { resizeImage } from '../src/codecs/resize';
import { rowSink } from '../src/codecs/row-sink';
import { loadConfig } from '../src/config';
import { reducedSpec } from '../src/delivery/stand-in';
import { decodeFallback, placeShape } from '../src/transform/fallback';
import { runShape, shapeVariant } from '../src/transform/pipeline';
import { parseTransform } from '../src/transform/spec';
import { wasmMemory } from '../wasm/instances';

/** @type {Map<string, { bytes: Uint8Array, raw?: { data: Uint8ClampedArray, width: number, height: number } }>} */
const inputs = new Map();

/** Wasm memory of every codec instance, bytes (wasm/instances.ts). */
const memory = wasmMemory;

/** @param {URLSearchParams} q @param {string} name */
function num(q, name) {
  const v = q.get(name);
  return v === null ? undefined : Number(v);
}

/**
 * One operation on a stored input, as a function to repeat.
 * @param {URLSearchParams} q
 * @returns {() => Promise<{ bytes?: Uint8Array, raw?: { data: Uint8ClampedArray, width: number, height: number }, timings?: unknown, plan?: unknown }>}
 */
function operation(q) {
  const key = q.get('key') ?? '';
  const input = inputs.get(key);
  if (!input) throw new Error(`no input ${key}`);
  const op = q.get('op');
  switch (op) {
    case 'decode': {
      const format = /** @type {any} */ (q.get('format'));
      const tw = num(q, 'tw');
      const th = num(q, 'th');
      const target = tw && th ? { width: tw, height: th } : undefined;
      if (format === 'png' && q.get('scaled') === '1') {
        const { width, height } = probe(input.bytes);
        const whole = { left: 0, top: 0, width, height };
        return async () => ({ raw: decodePngResized(input.bytes, whole, width, height) });
      }
      return async () => ({ raw: await decodeImage(input.bytes, format, target) });
    }
    case 'decode-scaled': {
      const denom = /** @type {any} */ (num(q, 'denom') ?? 1);
      return async () => ({ raw: decodeJpegScaled(input.bytes, denom) });
    }
    case 'decode-turbo': {
      const m = /** @type {any} */ (num(q, 'm') ?? 8);
      if (q.get('rows') === '1')
        return async () => ({
          raw: openJpegTurboRows(input.bytes, m, Infinity, (rows) => {
            let sum = 0;
            for (let y = 0; y < rows.height; y++) sum += rows.row(y)[0] ?? 0;
            return { data: new Uint8ClampedArray(sum & 0), width: rows.width, height: rows.height };
          }),
        });
      return async () => ({ raw: decodeJpegTurbo(input.bytes, m) });
    }
    case 'resize': {
      const raw = input.raw;
      if (!raw) throw new Error(`${key} is not raw`);
      const w = num(q, 'w') ?? 0;
      const h = num(q, 'h') ?? 0;
      return async () => ({ raw: await resizeImage(raw, w, h) });
    }
    case 'encode': {
      const raw = input.raw;
      if (!raw) throw new Error(`${key} is not raw`);
      const format = /** @type {any} */ (q.get('format'));
      const opts = { quality: num(q, 'quality'), avifSpeed: num(q, 'speed') };
      const size = { data: new Uint8ClampedArray(0), width: raw.width, height: raw.height };
      if (q.get('rows') === '1') {
        if (format !== 'jpeg') throw new Error('rows=1 is for format=jpeg');
        // As the streamed path feeds it (progressive, the default quality), rows copied in.
        const sink = rowSink({ format: 'jpeg', progressive: true }, opts.quality);
        const n = raw.width * 4;
        /** @param {(y: number) => Uint8ClampedArray} rowAt */
        const copy = (rowAt) => {
          for (let y = 0; y < raw.height; y++) rowAt(y).set(raw.data.subarray(y * n, (y + 1) * n));
        };
        return async () => ({ bytes: await sink.rows(raw.width, raw.height, copy), raw: size });
      }
      return async () => ({ bytes: await encodeImage(raw, format, opts), raw: size });
    }
    case 'pipeline': {
      const facts = { ...probe(input.bytes), bytes: input.bytes.byteLength, focal: null };
      const spec = parseTransform(q.get('t') ?? '');
      const format = /** @type {any} */ (q.get('f'));
      // The shape production makes it from (its decode fallback when only that fits a
      // budget: libjpeg-turbo at M/8, or libwebp's scaled decode); m8=1: that fallback, forced.
      const planned = shapeVariant(facts, spec);
      // jr=1: the JPEG encoded from rows by libjpeg-turbo (src/codecs/jpeg-rows.ts), forced.
      const placed = placeShape(planned, format, loadConfig({}));
      // m8=1&jr=1: both (the fallback's decode, encoded from rows).
      const forced = q.get('m8') === '1' ? decodeFallback(planned) : planned;
      // jo=1: the same in libjpeg-turbo's single pass (`jpegOnePass`), forced.
      const shape =
        q.get('jo') === '1'
          ? forced && { ...forced, jpegRows: true, jpegOnePass: true }
          : q.get('jr') === '1'
            ? forced && { ...forced, jpegRows: true }
            : q.get('m8') === '1'
              ? forced
              : placed.shape;
      if (!shape) throw new Error('no decode fallback for this variant');
      const plan = {
        placement: shape === placed.shape ? placed.placement : 'forced',
        decode: shape.decode,
        jpegRows: shape.jpegRows === true,
        jpegOnePass: shape.jpegOnePass === true,
      };
      return async () => {
        const r = await runShape(input.bytes, shape, format);
        return {
          bytes: r.bytes,
          raw: { data: new Uint8ClampedArray(0), width: r.width, height: r.height },
          timings: r.timings,
          plan,
        };
      };
    }
    case 'standin': {
      const facts = { ...probe(input.bytes), bytes: input.bytes.byteLength, focal: null };
      const spec = parseTransform(q.get('t') ?? '');
      const format = /** @type {any} */ (q.get('f'));
      const { canvas } = shapeVariant(facts, spec).geometry;
      const small = shapeVariant(facts, reducedSpec(spec, canvas, num(q, 'factor') ?? 8));
      return async () => {
        const r = await runShape(input.bytes, small, format, 0, canvas);
        return {
          bytes: r.bytes,
          raw: { data: new Uint8ClampedArray(0), width: r.width, height: r.height },
          timings: r.timings,
        };
      };
    }
    default:
      throw new Error(`unknown op ${String(op)}`);
  }
}

export default {
  /** @param {Request} request */
  async fetch(request) {
    const url = new URL(request.url);
    const q = url.searchParams;
    try {
      if (url.pathname === '/noop') return new Response('ok');
      if (url.pathname === '/mem') return Response.json(memory());
      if (url.pathname === '/defaults')
        return Response.json({ quality: DEFAULT_QUALITY, avifSpeed: DEFAULT_AVIF_SPEED });
      if (url.pathname === '/clock') {
        // Do the clocks advance during pure CPU work? (Deployed Workers: no. Local: check.)
        const want = num(q, 'ms') ?? 50;
        const p0 = performance.now();
        const d0 = Date.now();
        let spins = 0;
        let x = 0;
        while (Date.now() - d0 < want && spins < 20000) {
          for (let i = 0; i < 1e4; i++) x = (x * 31 + i) % 1000003;
          spins++;
        }
        return Response.json({ perfMs: performance.now() - p0, dateMs: Date.now() - d0, spins, x });
      }
      if (url.pathname === '/clear') {
        inputs.clear();
        return new Response('ok');
      }
      if (url.pathname === '/input') {
        const bytes = new Uint8Array(await request.arrayBuffer());
        const w = num(q, 'w');
        const h = num(q, 'h');
        const raw =
          w && h
            ? { data: new Uint8ClampedArray(bytes.buffer, 0, bytes.length), width: w, height: h }
            : undefined;
        inputs.set(q.get('key') ?? '', { bytes, raw });
        return new Response('ok');
      }
      if (url.pathname === '/run') {
        const run = operation(q);
        const reps = Math.max(1, num(q, 'reps') ?? 1);
        let last;
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) last = await run();
        const ms = performance.now() - t0;
        const headers = new Headers({
          'x-ms': String(ms),
          'x-wasm': JSON.stringify(memory()),
        });
        if (last?.raw) {
          headers.set('x-width', String(last.raw.width));
          headers.set('x-height', String(last.raw.height));
        }
        if (last?.timings) headers.set('x-timings', JSON.stringify(last.timings));
        if (last?.plan) headers.set('x-plan', JSON.stringify(last.plan));
        const body = last?.bytes ?? (q.get('out') === '1' ? last?.raw?.data : undefined);
        return new Response(body ?? null, { headers });
      }
      return new Response('not found', { status: 404 });
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return new Response(message, { status: 500 });
    }
  },
};
