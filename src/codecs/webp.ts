/**
 * WebP through our own build of libwebp 1.5.0 (wasm/libwebp.wasm; source, ABI and provenance
 * in wasm/libwebp/ and wasm/README.md): still decode (lossy, lossless, alpha), decode scaled
 * by libwebp's rescaler (shrink-on-load), a lossless image's rows a band at a time
 * ({@link openWebpRows}), animated decode frame by frame (WebPAnimDecoder:
 * canvas-composited RGBA frames), still encode and animated encode (WebPAnimEncoder).
 * libwebp ≥ 1.3.2 carries the CVE-2023-4863 fix, so lossless files need no other decoder.
 *
 * Still calls share one instance per isolate (each call is synchronous). An animation keeps
 * state in its module between frames while the caller awaits other work, so every animated
 * decode or encode gets an instance of its own, dropped at the end.
 */
import { ENCODE_YIELD_PIXELS, WEBP_DROP_ABOVE_BYTES } from '../config';
import wasmModule from '../../wasm/libwebp.wasm';
import {
  afterLend,
  copyImage,
  OwnDecoder,
  WasmPause,
  type Lend,
  type OwnHeader,
  type OwnModuleExports,
} from './own-wasm';
import {
  DecodeError,
  type AnimationFrame,
  type AnimationInfo,
  type PixelRect,
  type RawImage,
  type RowStream,
} from './types';
import { pulledRows } from './row-stream';

/** The module's exports (wasm/libwebp/glue.c). Pointers are i32; `>>> 0` for addresses. */
interface LibwebpExports extends OwnModuleExports {
  _initialize(): void;
  webp_alloc(len: number): number;
  webp_free(ptr: number): void;
  webp_release(): void;
  webp_decode(
    ptr: number,
    len: number,
    tw: number,
    th: number,
    maxPixels: number,
    cropLeft: number,
    cropTop: number,
    cropWidth: number,
    cropHeight: number,
  ): number;
  webp_anim_open(ptr: number, len: number, maxPixels: number): number;
  webp_anim_next(): number;
  webp_anim_close(): void;
  webp_rows_open(
    ptr: number,
    len: number,
    maxPixels: number,
    cropLeft: number,
    cropTop: number,
    cropWidth: number,
    cropHeight: number,
    tw: number,
    th: number,
  ): number;
  webp_rows_read(): number;
  webp_rows_close(): void;
  webp_encode(ptr: number, w: number, h: number, q: number, method: number, flags: number): number;
  webp_band_begin(
    w: number,
    h: number,
    q: number,
    method: number,
    flags: number,
    bandRows: number,
  ): number;
  webp_band_put(y0: number, rows: number): number;
  webp_band_finish(): number;
  webp_yield_every(percent: number): void;
  webp_band_abort(): void;
  webp_anim_enc_new(
    w: number,
    h: number,
    loops: number,
    q: number,
    method: number,
    flags: number,
  ): number;
  webp_anim_enc_add(ptr: number, timestampMs: number): number;
  webp_anim_enc_finish(endTimestampMs: number): number;
}

/** Encoder flag bits (glue.c). */
const F_LOSSLESS = 1;
const F_EXACT = 2;
const F_NO_ALPHA_COMPRESSION = 4;

/** Thrown by encoders on failure (a server fault unless the input was malformed). */
export class WebpEncodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebpEncodeError';
  }
}

/**
 * The module's imports: emscripten's memory-growth notice, and the three WASI stdio calls
 * that libc links in (libwebp prints nothing in this build; output is discarded). An
 * `abort()` would trap (`unreachable`), which the instance manager handles.
 */
function imports(): WebAssembly.Imports {
  const ok = () => 0;
  return {
    env: { emscripten_notify_memory_growth: () => undefined, webp_yield: encodePause.import },
    wasi_snapshot_preview1: { fd_close: ok, fd_write: ok, fd_seek: ok },
  };
}

/** `env.webp_yield`: libwebp's pause point during an encode ({@link yieldingEncode}). */
const encodePause = new WasmPause();

/**
 * Runs `encode` (an export of `e` that ends in libwebp's `WebPEncode`) so that, where the
 * runtime has JSPI and a `pause` is given, the encode suspends and awaits `pause` each time
 * libwebp's progress advances by ENCODE_YIELD_PIXELS of the `pixels` (config.ts): the thread
 * serves other requests meanwhile. The caller keeps other users off the instance until it
 * settles (transform/yield.ts `inLane`). Without JSPI or `pause`, one plain call.
 * @returns the export's result (a header pointer).
 */
async function yieldingEncode<A extends number[]>(
  e: LibwebpExports,
  encode: (...args: A) => number,
  args: A,
  pixels: number,
  pause: (() => Promise<void>) | undefined,
): Promise<number> {
  if (!pause || !WasmPause.available) return encode(...args);
  e.webp_yield_every(Math.max(1, Math.floor((100 * ENCODE_YIELD_PIXELS) / pixels)));
  return encodePause.call(encode, args, pause);
}

/** The encoded file of header `h` (a fresh copy), and the module's output released. */
function encoded(e: LibwebpExports, h: OwnHeader): Uint8Array {
  try {
    return new Uint8Array(OwnDecoder.data(e, h).buffer);
  } finally {
    e.webp_release();
  }
}

/**
 * The module's shared still-image instance for decoding or encoding (`webpDec`, `webpEnc` in
 * the memory report); animations take a {@link OwnDecoder.fresh} instance of their own.
 */
function codec(what: 'decode' | 'encode'): OwnDecoder<LibwebpExports> {
  return new OwnDecoder<LibwebpExports>({
    module: wasmModule,
    what: 'WebP',
    name: what === 'decode' ? 'webpDec' : 'webpEnc',
    alloc: (e, len) => e.webp_alloc(len),
    release: (e) => e.webp_release(),
    error: (code, message, options) =>
      what === 'decode'
        ? new DecodeError(`webp (${code}): ${message}`, options)
        : new WebpEncodeError(`webp encode (${code}): ${message}`, options),
    dropAboveBytes: WEBP_DROP_ABOVE_BYTES,
    imports,
    start: (e) => e._initialize(),
  });
}

const stillDecoder = codec('decode');
const stillEncoder = codec('encode');

/**
 * Decodes a still WebP (lossy, lossless, or extended with alpha) to RGBA8. With `crop`
 * (pixels of the coded image), libwebp decodes only that rectangle (a lossy image's crop
 * origin is snapped to even coordinates by libwebp, so crop lossless images only); with
 * `target` (at most the crop, or the coded size, in each axis), libwebp's rescaler reduces
 * it to exactly that size while decoding: the full-size RGBA never exists. (A lossless
 * image is decoded in a window of rows by our libwebp patch: wasm/README.md.)
 * @param maxPixels refuse (before decoding) a coded width × height above this; 0 = none.
 * @param lend takes the output (default: a copy is returned; see {@link Lend}).
 * @throws DecodeError for a corrupt, truncated, animated or too large file, and when the
 *   module traps (that instance is discarded; the next call makes a new one).
 * @throws RangeError for a `target` or `crop` that is not a positive integer size (a
 *   `target` larger than the crop, or a crop outside the image, is a DecodeError from libwebp).
 */
export function decodeWebp<R = RawImage>(
  bytes: Uint8Array,
  target?: { width: number; height: number },
  maxPixels = 0,
  crop?: PixelRect,
  lend: Lend<R> = copyImage as Lend<R>,
): R {
  const { width = 0, height = 0 } = target ?? {};
  if (target && !(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
    throw new RangeError(`webp decode: bad target ${width}x${height}`);
  const c = crop ?? { left: 0, top: 0, width: 0, height: 0 };
  if (
    crop &&
    ![c.left, c.top, c.width - 1, c.height - 1].every((n) => Number.isInteger(n) && n >= 0)
  )
    throw new RangeError(`webp decode: bad crop ${c.width}x${c.height} at ${c.left},${c.top}`);
  return asDecodeError(() =>
    stillDecoder.lend(
      bytes,
      maxPixels,
      (e, ptr, cap) =>
        e.webp_decode(ptr, bytes.length, width, height, cap, c.left, c.top, c.width, c.height),
      lend,
    ),
  );
}

/**
 * Decodes a still lossless (VP8L) WebP as a stream of its rows handed to `use`: the pixels of
 * {@link decodeWebp} with the same `target` and `crop` (cropped by libwebp; scaled by its
 * rescaler to `target`, at most the crop), decoded 16 source rows at a time as they are pulled
 * (wasm/libwebp/glue.c `webp_rows_read`; our patch wasm/libwebp/vp8l-rows.patch), so only
 * the input, the VP8L decoder's tables and window of rows
 * (wasm/libwebp/vp8l-sliding-window.patch), the rescaler and one band are held, never the
 * image or the output. Rows are pulled top to bottom ({@link RowStream}); source rows below
 * the last asked for are never decoded. The stream holds the module's instance until `use`
 * returns, or until the promise it returns settles; meanwhile nothing else may decode with
 * the module (the caller runs in transform/yield.ts `inLane`).
 * @param maxPixels refuse (before decoding) a coded width × height above this; 0 = none.
 * @returns what `use` returns.
 * @throws DecodeError for a corrupt, truncated (at the start or from `row`), lossy, animated
 *   or too large file, a crop outside the image or a `target` larger than it, and when the
 *   module traps (that instance is discarded); RangeError for a `target` or `crop` that is not
 *   a positive integer size, or a row asked for out of order; whatever `use` throws.
 */
export function openWebpRows<R>(
  bytes: Uint8Array,
  maxPixels: number,
  use: (rows: RowStream) => R,
  crop?: PixelRect,
  target?: { width: number; height: number },
): R {
  const { width: tw = 0, height: th = 0 } = target ?? {};
  if (target && !(Number.isInteger(tw) && Number.isInteger(th) && tw > 0 && th > 0))
    throw new RangeError(`webp rows: bad target ${tw}x${th}`);
  const c = crop ?? { left: 0, top: 0, width: 0, height: 0 };
  if (
    crop &&
    ![c.left, c.top, c.width - 1, c.height - 1].every((n) => Number.isInteger(n) && n >= 0)
  )
    throw new RangeError(`webp rows: bad crop ${c.width}x${c.height} at ${c.left},${c.top}`);
  if (bytes.length === 0) throw new DecodeError('webp (malformed): empty input');
  return stillDecoder.use((e) => {
    const opened = asDecodeError(() =>
      stillDecoder.header(
        e,
        e.webp_rows_open(
          stillDecoder.copyIn(e, bytes),
          bytes.length,
          maxPixels,
          c.left,
          c.top,
          c.width,
          c.height,
          tw,
          th,
        ),
      ),
    );
    const [, width = 0, height = 0] = opened;
    let open = true;
    const rows = pulledRows(
      'webp',
      width,
      height,
      () => e.memory.buffer,
      () => {
        try {
          return asDecodeError(() => stillDecoder.header(e, e.webp_rows_read()));
        } catch (err) {
          open = false; // the module closed the decode on its error
          if (!(err instanceof WebAssembly.RuntimeError)) throw err;
          // A trap after `use` may have yielded: the slot no longer sees it, so the instance
          // is dropped here and the trap becomes the DecodeError it would be.
          stillDecoder.drop();
          throw new DecodeError(`webp (trap): WebP codec aborted: ${err.message}`, { cause: err });
        }
      },
    );
    const close = () => {
      if (open) e.webp_rows_close();
    };
    let out: R;
    try {
      out = use(rows);
    } catch (err) {
      close();
      throw err;
    }
    return afterLend(out, close);
  });
}

/**
 * Runs a decode; a "bad argument" from the module (which libwebp also reports for some
 * inconsistent files) is the input's fault there, so it becomes a DecodeError, not a 500.
 */
function asDecodeError<R>(call: () => R): R {
  try {
    return call();
  } catch (err) {
    if (err instanceof RangeError) throw new DecodeError(`webp (malformed): ${err.message}`);
    throw err;
  }
}

/**
 * Decodes every frame of a WebP (animated or still: a still file is one frame of duration
 * 0) composited onto its canvas, one at a time (the first `count` frames; default all):
 * `onInfo` first (it may throw to refuse the
 * animation before any frame is decoded), then `onFrame` for each frame in order, awaited
 * before the next is decoded, so at most one canvas is held here.
 * @param maxPixels refuse a canvas above this many pixels (0 = no limit).
 * @throws DecodeError for a corrupt or truncated file or a trap, and whatever the callbacks throw.
 */
export async function decodeWebpFrames(
  bytes: Uint8Array,
  maxPixels: number,
  onInfo: (info: AnimationInfo) => void,
  onFrame: (frame: AnimationFrame, index: number) => Promise<void> | void,
  count = Infinity,
): Promise<void> {
  if (bytes.length === 0) throw new DecodeError('webp (malformed): empty input');
  const dec = stillDecoder.fresh(); // an instance of its own (state lives across awaits)
  try {
    const info = asDecodeError(() =>
      dec.use((e) => {
        const h = dec.header(e, e.webp_anim_open(dec.copyIn(e, bytes), bytes.length, maxPixels));
        return { width: h[1]!, height: h[2]!, frames: h[5]!, loopCount: h[6]! };
      }),
    );
    onInfo(info);
    let last = 0;
    for (let i = 0; i < Math.min(info.frames, count); i++) {
      const frame = asDecodeError(() =>
        dec.use((e) => {
          const h: OwnHeader = dec.header(e, e.webp_anim_next());
          const ts = h[5]!;
          const duration = Math.max(0, ts - last);
          last = ts;
          return { data: OwnDecoder.data(e, h), width: h[1]!, height: h[2]!, duration };
        }),
      );
      await onFrame(frame, i);
    }
  } finally {
    dec.drop();
  }
}

/** Options for {@link encodeWebp} and {@link WebpAnimationEncoder}. */
export interface WebpEncodeOptions {
  /** 0..100 (lossy: quality; lossless: effort). Default 75, libwebp's. */
  quality?: number;
  /** 0 (fast) .. 6 (slow, smaller). Default 4, libwebp's. */
  method?: number;
  lossless?: boolean;
  /** Keep the RGB values of fully transparent pixels (default: libwebp may change them). */
  exact?: boolean;
  /** Store the alpha plane uncompressed (default: compressed losslessly). */
  alphaUncompressed?: boolean;
  /**
   * When the pixels' writer returns a promise (encodeWebpRows' `produce`, encodeWebpFilled's
   * `fill`): what libwebp's own encode then awaits between its steps where the runtime has
   * JSPI (see `yieldingEncode`), e.g. transform/yield.ts `yieldToLoop`. Ignored otherwise.
   */
  pause?: () => Promise<void>;
}

function flags(o: WebpEncodeOptions): number {
  return (
    (o.lossless ? F_LOSSLESS : 0) |
    (o.exact ? F_EXACT : 0) |
    (o.alphaUncompressed ? F_NO_ALPHA_COMPRESSION : 0)
  );
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`webp encode: bad size ${width}x${height}`);
  if (width > 16383 || height > 16383)
    throw new RangeError(`webp encode: ${width}x${height} too large for WebP`);
}

function checkImage({ width, height, data }: RawImage): void {
  checkSize(width, height);
  if (data.length !== width * height * 4)
    throw new RangeError(`webp encode: ${data.length} bytes for ${width}x${height} RGBA`);
}

const asBytes = (d: Uint8ClampedArray) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/**
 * Encodes RGBA8 as a still WebP with libwebp's defaults (`WebPConfigInit`: method 4, alpha
 * kept and compressed losslessly at alpha_quality 100) and the given options. Lossy: the
 * rows go to libwebp band by band ({@link encodeWebpRows}), so no copy of the image is made.
 * With `pause` the encode may suspend between its steps (JSPI; see `yieldingEncode`).
 * @returns the .webp file (a fresh array; a promise of it with `pause`).
 * @throws RangeError for a malformed image or one over 16383 px a side; WebpEncodeError
 *   when libwebp fails.
 */
export function encodeWebp(
  img: RawImage,
  opts: WebpEncodeOptions & { pause: () => Promise<void> },
): Promise<Uint8Array>;
export function encodeWebp(img: RawImage, opts?: Omit<WebpEncodeOptions, 'pause'>): Uint8Array;
export function encodeWebp(
  img: RawImage,
  opts: WebpEncodeOptions = {},
): Uint8Array | Promise<Uint8Array> {
  checkImage(img);
  const { data, width, height } = img;
  // With `pause`, the pixels' writer returns a promise, so libwebp's encode may suspend.
  const settled = <T>(write: (into: T) => void) =>
    opts.pause ? async (into: T) => write(into) : write;
  if (opts.lossless)
    return encodeWebpFilled(
      width,
      height,
      settled((px: Uint8ClampedArray) => px.set(data)),
      opts,
    );
  const n = width * 4;
  return encodeWebpRows(
    width,
    height,
    settled((rowAt: (y: number) => Uint8ClampedArray) => {
      for (let y = 0; y < height; y++) rowAt(y).set(data.subarray(y * n, (y + 1) * n));
    }),
    opts,
  );
}

/** Rows per band of {@link encodeWebpRows} (even: libwebp converts row pairs): 32. */
export const WEBP_BAND_ROWS = 32;

/** Options of {@link encodeWebpRows}. */
export interface WebpRowsOptions extends WebpEncodeOptions {
  /** Rows per band, even, ≥ 2. Default {@link WEBP_BAND_ROWS}. */
  bandRows?: number;
  /** Runs on each finished band (its rows as RGBA8, in libwebp's memory) before conversion. */
  onBand?: (band: RawImage, top: number) => void;
}

/**
 * Encodes a lossy still WebP whose RGBA8 rows `produce` writes, a band at a time, into
 * libwebp's memory: `rowAt(y)` is the buffer for output row `y` (`width` × 4 bytes), valid
 * until the next `rowAt` call. libwebp converts each band to its YUV 4:2:0 (+ alpha) picture
 * as soon as the rows of another band are asked for, with WebPPictureImportRGBA's own
 * arithmetic (wasm/libwebp/yuva-rows.patch), making an alpha plane only once a band has
 * transparency, so the bytes are those of the whole-buffer import (`webp_encode`) of the
 * image, while libwebp holds the planes and one band instead of the RGBA image too. Bands
 * are rows [k × bandRows, (k + 1) × bandRows); they may come in any order, each band's rows
 * together (e.g. bottom to top). `produce` must not call this module. It may return a
 * promise (a transform that yields between bands, transform/yield.ts): the encode then
 * finishes when it settles, and the result is a promise; until then nothing else may use
 * this module's shared instance (yield.ts `inLane`).
 * @throws RangeError for a bad size or band height, for `lossless`, and when a band is left
 *   before all its rows were asked for or a row is asked for twice; WebpEncodeError when
 *   libwebp fails; whatever `produce` or `onBand` throws (the encode is abandoned).
 */
export function encodeWebpRows(
  width: number,
  height: number,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => Promise<void>,
  opts?: WebpRowsOptions,
): Promise<Uint8Array>;
export function encodeWebpRows(
  width: number,
  height: number,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => void,
  opts?: WebpRowsOptions,
): Uint8Array;
export function encodeWebpRows(
  width: number,
  height: number,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => void | Promise<void>,
  opts?: WebpRowsOptions,
): Uint8Array | Promise<Uint8Array>;
export function encodeWebpRows(
  width: number,
  height: number,
  produce: (rowAt: (y: number) => Uint8ClampedArray) => void | Promise<void>,
  opts: WebpRowsOptions = {},
): Uint8Array | Promise<Uint8Array> {
  checkSize(width, height);
  const { quality = 75, method = 4, bandRows = WEBP_BAND_ROWS, onBand } = opts;
  if (opts.lossless) throw new RangeError('webp encode: banded encode is lossy only');
  if (!Number.isInteger(bandRows) || bandRows < 2 || bandRows % 2 !== 0)
    throw new RangeError(`webp encode: band height ${bandRows} is not even`);
  return stillEncoder.use((e) => {
    const begun = e.webp_band_begin(width, height, quality, method, flags(opts), bandRows);
    const ptr = OwnDecoder.view(e, stillEncoder.header(e, begun)).byteOffset;
    const rowBytes = width * 4;
    let band = -1; // the band being filled
    let filled = new Set<number>();
    const rowsOf = (k: number) => Math.min(bandRows, height - k * bandRows);
    const flush = () => {
      if (band < 0) return;
      const rows = rowsOf(band);
      if (filled.size !== rows)
        throw new RangeError(`webp encode: band ${band} left with ${filled.size}/${rows} rows`);
      onBand?.(
        { data: new Uint8ClampedArray(e.memory.buffer, ptr, rows * rowBytes), width, height: rows },
        band * bandRows,
      );
      stillEncoder.header(e, e.webp_band_put(band * bandRows, rows));
      band = -1;
    };
    const done = new Set<number>();
    const rowAt = (y: number) => {
      if (!Number.isInteger(y) || y < 0 || y >= height)
        throw new RangeError(`webp encode: row ${y} outside 0..${height - 1}`);
      const k = Math.floor(y / bandRows);
      if (k !== band) {
        flush();
        if (done.has(k)) throw new RangeError(`webp encode: band ${k} filled twice`);
        done.add(k);
        band = k;
        filled = new Set();
      }
      if (filled.has(y)) throw new RangeError(`webp encode: row ${y} asked for twice`);
      filled.add(y);
      const at = ptr + (y - k * bandRows) * rowBytes;
      return new Uint8ClampedArray(e.memory.buffer, at, rowBytes);
    };
    // A trapped instance is discarded by `use` (after a yield too); any other failure frees
    // the encode's buffers.
    const fail = (err: unknown): never => {
      if (!(err instanceof WebAssembly.RuntimeError)) e.webp_band_abort();
      throw err;
    };
    const flushed = () => {
      try {
        flush();
      } catch (err) {
        fail(err);
      }
    };
    const collect = (h: number) => encoded(e, stillEncoder.header(e, h));
    let made: void | Promise<void>;
    try {
      made = produce(rowAt);
    } catch (err) {
      return fail(err);
    }
    if (!(made instanceof Promise)) {
      flushed();
      return collect(e.webp_band_finish());
    }
    return made.then(async () => {
      flushed();
      return collect(await yieldingEncode(e, e.webp_band_finish, [], width * height, opts.pause));
    }, fail);
  });
}

/**
 * As {@link encodeWebp}, for pixels that `fill` writes straight into libwebp's input buffer
 * (RGBA8, `width` × `height`, rows top to bottom), so the image to encode exists once, inside
 * the encoder's memory, instead of being made elsewhere and copied in. `fill` must not call
 * this module; its view is valid until it returns, or, when it returns a promise (a
 * transform that yields, transform/yield.ts), until that settles: the result is then a
 * promise, and nothing else may use this module's shared instance meanwhile (yield.ts
 * `inLane`).
 * @returns the .webp file (a fresh array): the same bytes as encodeWebp of those pixels.
 * @throws RangeError for a bad size; WebpEncodeError when libwebp fails (`out-of-memory`
 *   when the buffer cannot be allocated); whatever `fill` throws (the buffer is freed).
 */
export function encodeWebpFilled(
  width: number,
  height: number,
  fill: (px: Uint8ClampedArray) => Promise<void>,
  opts?: WebpEncodeOptions,
): Promise<Uint8Array>;
export function encodeWebpFilled(
  width: number,
  height: number,
  fill: (px: Uint8ClampedArray) => void,
  opts?: WebpEncodeOptions,
): Uint8Array;
export function encodeWebpFilled(
  width: number,
  height: number,
  fill: (px: Uint8ClampedArray) => void | Promise<void>,
  opts?: WebpEncodeOptions,
): Uint8Array | Promise<Uint8Array>;
export function encodeWebpFilled(
  width: number,
  height: number,
  fill: (px: Uint8ClampedArray) => void | Promise<void>,
  opts: WebpEncodeOptions = {},
): Uint8Array | Promise<Uint8Array> {
  checkSize(width, height);
  const { quality = 75, method = 4 } = opts;
  return stillEncoder.use((e) => {
    const len = width * height * 4;
    const ptr = e.webp_alloc(len) >>> 0;
    if (ptr === 0)
      throw new WebpEncodeError('webp encode (out-of-memory): cannot allocate the input');
    const freed = (err: unknown) => {
      e.webp_free(ptr);
      throw err;
    };
    // webp_encode takes (and frees) the input.
    const args: [number, number, number, number, number, number] = [
      ptr,
      width,
      height,
      quality,
      method,
      flags(opts),
    ];
    let filled: void | Promise<void>;
    try {
      filled = fill(new Uint8ClampedArray(e.memory.buffer, ptr, len));
    } catch (err) {
      return freed(err);
    }
    if (!(filled instanceof Promise))
      return encoded(e, stillEncoder.header(e, e.webp_encode(...args)));
    return filled.then(
      async () =>
        encoded(
          e,
          stillEncoder.header(
            e,
            await yieldingEncode(e, e.webp_encode, args, width * height, opts.pause),
          ),
        ),
      freed,
    );
  });
}

/**
 * Animated WebP encoder (WebPAnimEncoder): add frames of one size with their durations, then
 * `finish()`. Holds an instance of its own until `finish()` or `abandon()`.
 */
export class WebpAnimationEncoder {
  private readonly enc = stillEncoder.fresh();
  private time = 0;

  /**
   * @param loopCount 0 = forever.
   * @throws RangeError for a bad size or options.
   */
  constructor(
    readonly width: number,
    readonly height: number,
    loopCount: number,
    opts: WebpEncodeOptions = {},
  ) {
    checkSize(width, height);
    const { quality = 75, method = 4 } = opts;
    this.enc.use((e) =>
      this.enc.header(
        e,
        e.webp_anim_enc_new(width, height, loopCount, quality, method, flags(opts)),
      ),
    );
  }

  /**
   * Adds a frame shown for `durationMs`.
   * @throws RangeError for a frame of another size; WebpEncodeError when libwebp fails.
   */
  add(frame: RawImage, durationMs: number): void {
    if (frame.width !== this.width || frame.height !== this.height)
      throw new RangeError(
        `webp animation: frame ${frame.width}x${frame.height} is not ${this.width}x${this.height}`,
      );
    this.enc.use((e) =>
      this.enc.header(e, e.webp_anim_enc_add(this.enc.copyIn(e, asBytes(frame.data)), this.time)),
    );
    this.time += Math.max(0, Math.round(durationMs));
  }

  /** Assembles the file and frees the instance. @throws WebpEncodeError when libwebp fails. */
  finish(): Uint8Array {
    try {
      return this.enc.use((e) => {
        const h = this.enc.header(e, e.webp_anim_enc_finish(this.time));
        return new Uint8Array(OwnDecoder.data(e, h).buffer);
      });
    } finally {
      this.enc.drop();
    }
  }

  /** Frees the instance without assembling. */
  abandon(): void {
    this.enc.drop();
  }
}
