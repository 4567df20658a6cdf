/**
 * Worker for bench/avif-memory.mjs: runs the production pipeline (src/transform/pipeline.ts)
 * on an AVIF kept in module memory, so the measured request carries no image bytes.
 *
 *   PUT  /input                     store the source bytes
 *   POST /pipeline?t=<transform>&f=<format>
 *        → JSON { width, height, format, bytes, wasm } (wasm: bytes per codec instance)
 */
import { probe } from '../src/codecs/probe';
import { runPipeline } from '../src/transform/pipeline';
import { parseTransform } from '../src/transform/spec';
import { wasmMemory } from '../wasm/instances';

/** @type {Uint8Array | undefined} */
let input;

export default {
  /** @param {Request} request */
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/noop') return new Response('ok');
    if (url.pathname === '/input') {
      input = new Uint8Array(await request.arrayBuffer());
      return new Response('stored');
    }
    if (url.pathname === '/pipeline' && input) {
      const spec = parseTransform(url.searchParams.get('t') ?? '');
      const format = /** @type {any} */ (url.searchParams.get('f'));
      const r = await runPipeline(input, probe(input), spec, format);
      const wasm = wasmMemory();
      return Response.json({
        width: r.width,
        height: r.height,
        format: r.format,
        bytes: r.bytes.length,
        wasm,
      });
    }
    return new Response('not found', { status: 404 });
  },
};
