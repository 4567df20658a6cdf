/**
 * Limits and settings, read from `[vars]` (wrangler.toml) and secrets, validated once per
 * isolate. The only module that reads limit names from `env`.
 */

/** Validated limits. Units are in the names. */
export interface Config {
  /**
   * Largest accepted upload body, bytes (default 100 MiB). Raw bodies stream to R2 while they
   * are hashed (src/images/upload-body.ts); multipart bodies are parsed in memory and limited
   * to `UPLOAD_IN_MEMORY_BYTES` there.
   */
  maxUploadBytes: number;
  /**
   * Largest accepted width or height of an original, pixels (default 12,000, as Cloudflare
   * Images). Outputs have their own limit, `MAX_SIDE` (8192) in src/transform/spec.ts.
   */
  maxSourceSidePx: number;
  /** Largest accepted width × height of an original, pixels (default 100 MP, as Cloudflare). */
  maxSourcePixels: number;
  /**
   * Largest animation a variant keeps animated: canvas width × height × frames, pixels
   * ({@link MAX_ANIMATION_PIXELS}, Cloudflare's published 50 MP per animation). Over it, an
   * animated variant is a 422 that suggests `anim=false`.
   */
  maxAnimationPixels: number;
  /** Largest accepted user metadata, bytes of JSON (default 1 KiB). */
  maxMetadataBytes: number;
  /**
   * Inline ceiling: the most pixels a request decodes (after shrink-on-load), default 6 MP.
   * A backstop behind the memory budget, which is the binding limit for full decodes: by the
   * memory table in docs/performance.md a PNG or AVIF source fits inline up to ~2 MP.
   */
  maxInlinePixels: number;
  /**
   * Inline budget (src/transform/cost.ts): a variant miss is computed in the request when its
   * estimated CPU time (ms) and peak memory (MiB, the cost table's units) fit; otherwise it is
   * offloaded to the queue and a stand-in is served. Defaults 1000 ms and 96 MB: the 128 MB
   * isolate less ~32 MB kept for the Worker's own heap and a concurrent request's buffers
   * (the estimate is RSS above an idle isolate, and reads 0-50 % high; docs/performance.md).
   */
  inlineBudgetMs: number;
  inlineBudgetMb: number;
  /**
   * What the queue consumer may spend on one message (it works on one message at a time, with
   * no concurrent requests to leave room for): defaults 10000 ms (10x) and 112 MB (the 128 MB
   * isolate less ~16 MB for the Worker's own heap). A variant over this is refused with a 422
   * (nobody can make it). Keep `queueBudgetMs × max_batch_size` under the consumer's CPU
   * limit (`[limits] cpu_ms` in wrangler.consumer.toml: 120 s; 30 s by default, 300 s at most).
   */
  queueBudgetMs: number;
  queueBudgetMb: number;
  /**
   * The last resort of a miss sent to the queue (delivery/stand-in.ts): when no stand-in fits
   * the inline budget, the one that takes the least CPU is still made in the request if it
   * fits this much CPU, ms (default 4000), the inline memory and no decoded-pixel ceiling,
   * rather than answer a `503` problem that a browser shows as a broken image. A Worker's
   * request may use 30 s of CPU; the cost is the first request's latency.
   */
  standInBudgetMs: number;
  /** The orphan sweep deletes originals without a row once they are this old, s (24 h). */
  orphanGraceSeconds: number;
  /**
   * Enqueue the image card and eager presets after each new upload (default true; the test
   * configuration turns it off so that background work does not disturb unrelated tests).
   */
  queueUploadWork: boolean;
  /** Retries before a message is dead-lettered; must equal `max_retries` in wrangler.toml (3). */
  queueMaxRetries: number;
  /**
   * Per-owner caps on stored presets (PUT /v1/presets/:name answers 409 over them): how many
   * an owner may store (default 100), how many of those may be public, served unsigned for
   * the owner's images (default 20), and how many eager, made on every upload of the owner
   * (default 5). The list of presets is paginated whatever the cap.
   */
  maxPresetsPerOwner: number;
  maxPublicPresetsPerOwner: number;
  maxEagerPresetsPerOwner: number;
  /**
   * Quick attempts of one `send`/`sendBatch` before the messages are recorded in D1
   * (`pending_sends`) for the reconciler (default 3; 50 ms, then 200 ms between them).
   */
  queueSendAttempts: number;
  /**
   * Reconciler (src/work/reconcile.ts): an open job item or fan-out page with no progress for
   * this long is re-sent, s (default 600). It must exceed a message's whole retry budget: the
   * backoffs of `max_retries` retries (2 + 4 + 8 s, ±20 %), as many batch timeouts, and
   * `queueBudgetMs` per delivery of a full batch (10 × 10 s) — about 420 s with the defaults.
   */
  reconcileStaleSeconds: number;
  /** Re-sends of one item or fan-out page before it is failed for good (default 2). */
  reconcileMaxRedrives: number;
  /** An image still without a card this long after upload gets its card message again, s (300). */
  reconcileCardAfterSeconds: number;
  /** Card re-sends per image (default 3); an image over the queue budget never gets a card. */
  reconcileCardMaxRedrives: number;
  /** Most rows of each kind one reconciler run handles (default 500). */
  reconcileBatch: number;
  /**
   * Admission control (src/transform/admission.ts): `Retry-After` of a `503` for an inline miss
   * that does not fit the isolate's free share of `inlineBudgetMb` and has no stand-in, s (2).
   */
  admissionRetryAfterSeconds: number;
  /**
   * Most inline transforms running at once in one isolate (default 1), whatever their memory:
   * an isolate has one thread and runs one transform's wasm at a time, so a second one only
   * makes every request in it (hits and `/healthz` included) wait longer (the spike in
   * docs/performance.md); misses beyond it get `503` with `Retry-After` at once.
   */
  admissionMaxTransforms: number;
  /**
   * Inline misses that may wait in line for a transform slot (default 8), each for at most
   * `admissionMaxWaitMs` (default 10000): the misses of one page load (a gallery's thumbnails;
   * browsers do not retry an image on `503`) are served one after
   * the other; beyond that, `503` with `Retry-After` at once.
   */
  admissionMaxWaiting: number;
  admissionMaxWaitMs: number;
  /**
   * Under a miss flood (a refusal in the last ADMISSION_FLOOD_WINDOW_MS), the largest share
   * of the isolate's thread that inline transforms may take, percent (default 25; 100: no
   * cap): after each, the slot rests for (100 - p) / p of its time, so the refusals, cache
   * hits and `/healthz` keep the rest. Outside a flood (a page load's misses) no rest.
   */
  admissionFloodSharePercent: number;
  /**
   * Request log lines for successful edge-cache hits: one per this many, counted per isolate
   * (default 100; 1 logs every hit). Misses, errors and every other request are always logged;
   * the metrics data point is written for every request (src/observability/sampling.ts).
   */
  logHitSampleEvery: number;
  /** Hosts a job's `callback_url` may name: exact names or `*.suffix`; empty = no webhooks. */
  webhookAllowedHosts: readonly string[];
  /** Allow loopback and private callback addresses (local development only; default false). */
  webhookAllowPrivate: boolean;
}

/** Total frame pixels of an animation we keep animated: 50 MP, as Cloudflare Images. */
export const MAX_ANIMATION_PIXELS = 50_000_000;

/** The vars this module reads (all strings, as wrangler passes them). */
export type ConfigVars = Partial<
  Record<
    | 'MAX_UPLOAD_BYTES'
    | 'MAX_SOURCE_SIDE_PX'
    | 'MAX_SOURCE_PIXELS'
    | 'MAX_METADATA_BYTES'
    | 'MAX_INLINE_PIXELS'
    | 'INLINE_BUDGET_MS'
    | 'INLINE_BUDGET_MB'
    | 'QUEUE_BUDGET_MS'
    | 'QUEUE_BUDGET_MB'
    | 'STAND_IN_BUDGET_MS'
    | 'QUEUE_MAX_RETRIES'
    | 'ORPHAN_GRACE_SECONDS'
    | 'QUEUE_UPLOAD_WORK'
    | 'WEBHOOK_ALLOWED_HOSTS'
    | 'MAX_PRESETS_PER_OWNER'
    | 'MAX_PUBLIC_PRESETS_PER_OWNER'
    | 'MAX_EAGER_PRESETS_PER_OWNER'
    | 'QUEUE_SEND_ATTEMPTS'
    | 'RECONCILE_STALE_SECONDS'
    | 'RECONCILE_MAX_REDRIVES'
    | 'RECONCILE_CARD_AFTER_SECONDS'
    | 'RECONCILE_CARD_MAX_REDRIVES'
    | 'RECONCILE_BATCH'
    | 'ADMISSION_RETRY_AFTER_SECONDS'
    | 'ADMISSION_MAX_TRANSFORMS'
    | 'LOG_HIT_SAMPLE_EVERY'
    | 'ADMISSION_MAX_WAITING'
    | 'ADMISSION_MAX_WAIT_MS'
    | 'ADMISSION_FLOOD_SHARE_PERCENT'
    | 'WEBHOOK_ALLOW_PRIVATE',
    string
  >
>;

/** Parses a positive integer var; throws (a deploy-time mistake, so a 500) when invalid. */
function positiveInt(vars: ConfigVars, name: keyof ConfigVars, fallback: number): number {
  const raw = vars[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new Error(`config: ${name} must be a positive integer, got ${raw}`);
  return n;
}

/** Parses a non-negative integer var; throws (a deploy-time mistake, so a 500) when invalid. */
function nonNegativeInt(vars: ConfigVars, name: keyof ConfigVars, fallback: number): number {
  const raw = vars[name];
  return raw === '0' ? 0 : positiveInt(vars, name, fallback);
}

let cached: { vars: ConfigVars; config: Config } | undefined;

/**
 * Returns the validated config for these bindings, memoised per isolate (the env object is
 * stable across requests in production; tests with a different env get a fresh parse).
 * @throws Error when a var is not a positive integer.
 */
export function loadConfig(vars: ConfigVars): Config {
  if (cached?.vars === vars) return cached.config;
  const config: Config = {
    maxUploadBytes: positiveInt(vars, 'MAX_UPLOAD_BYTES', 100 * 1024 * 1024),
    maxSourceSidePx: positiveInt(vars, 'MAX_SOURCE_SIDE_PX', 12_000),
    maxSourcePixels: positiveInt(vars, 'MAX_SOURCE_PIXELS', 100_000_000),
    maxAnimationPixels: MAX_ANIMATION_PIXELS,
    maxMetadataBytes: positiveInt(vars, 'MAX_METADATA_BYTES', 1024),
    maxInlinePixels: positiveInt(vars, 'MAX_INLINE_PIXELS', 6_000_000),
    inlineBudgetMs: positiveInt(vars, 'INLINE_BUDGET_MS', 1000),
    inlineBudgetMb: positiveInt(vars, 'INLINE_BUDGET_MB', 96),
    queueBudgetMs: positiveInt(vars, 'QUEUE_BUDGET_MS', 10000),
    queueBudgetMb: positiveInt(vars, 'QUEUE_BUDGET_MB', 112),
    standInBudgetMs: positiveInt(vars, 'STAND_IN_BUDGET_MS', 4000),
    queueMaxRetries: positiveInt(vars, 'QUEUE_MAX_RETRIES', 3),
    orphanGraceSeconds: positiveInt(vars, 'ORPHAN_GRACE_SECONDS', 86_400),
    queueUploadWork: vars.QUEUE_UPLOAD_WORK !== 'false',
    maxPresetsPerOwner: positiveInt(vars, 'MAX_PRESETS_PER_OWNER', 100),
    maxPublicPresetsPerOwner: positiveInt(vars, 'MAX_PUBLIC_PRESETS_PER_OWNER', 20),
    maxEagerPresetsPerOwner: positiveInt(vars, 'MAX_EAGER_PRESETS_PER_OWNER', 5),
    queueSendAttempts: positiveInt(vars, 'QUEUE_SEND_ATTEMPTS', 3),
    reconcileStaleSeconds: positiveInt(vars, 'RECONCILE_STALE_SECONDS', 600),
    reconcileMaxRedrives: positiveInt(vars, 'RECONCILE_MAX_REDRIVES', 2),
    reconcileCardAfterSeconds: positiveInt(vars, 'RECONCILE_CARD_AFTER_SECONDS', 300),
    reconcileCardMaxRedrives: positiveInt(vars, 'RECONCILE_CARD_MAX_REDRIVES', 3),
    reconcileBatch: positiveInt(vars, 'RECONCILE_BATCH', 500),
    admissionRetryAfterSeconds: positiveInt(vars, 'ADMISSION_RETRY_AFTER_SECONDS', 2),
    admissionMaxTransforms: positiveInt(vars, 'ADMISSION_MAX_TRANSFORMS', 1),
    logHitSampleEvery: positiveInt(vars, 'LOG_HIT_SAMPLE_EVERY', 100),
    admissionMaxWaiting: nonNegativeInt(vars, 'ADMISSION_MAX_WAITING', 8),
    admissionMaxWaitMs: positiveInt(vars, 'ADMISSION_MAX_WAIT_MS', 10_000),
    admissionFloodSharePercent: Math.min(
      100,
      positiveInt(vars, 'ADMISSION_FLOOD_SHARE_PERCENT', 25),
    ),
    webhookAllowedHosts: (vars.WEBHOOK_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    webhookAllowPrivate: vars.WEBHOOK_ALLOW_PRIVATE === 'true',
  };
  cached = { vars, config };
  return config;
}

/*
 * Fixed tunables: module constants of every layer (routes/, services, transform/, sources/,
 * security/, http/, storage/), kept here so that every number that shapes behaviour is in one
 * place. Not read from `env`. Format constants (header sizes, spec limits of a file format)
 * and the cost model's measured figures stay with the code they describe.
 */

// jobs/lifecycle.ts
/** A replayed request re-sends a job's first fan-out when it has not started after this. */
export const JOB_RESTART_AFTER_MS = 60_000;

// jobs/request.ts
/** Most image ids in a request (use `{ all: true }` beyond that). */
export const MAX_JOB_IDS = 1000;
/** Most variants in a request. */
export const MAX_JOB_VARIANTS = 20;
/** Longest accepted `Idempotency-Key`. */
export const MAX_IDEMPOTENCY_KEY = 255;

// work/consumer.ts
/** Backoff of the first retry, seconds; each further retry doubles it. */
export const RETRY_BASE_SECONDS = 2;
/** Longest backoff, seconds. */
export const RETRY_MAX_SECONDS = 300;

// work/fan-out.ts
/** Most items one fan-out message creates and enqueues. */
export const FANOUT_PAGE_ITEMS = 500;

// work/producer.ts
/** Most messages per `sendBatch` call (a Queues limit). */
export const SEND_BATCH_MAX = 100;
/** Waits between quick attempts, ms (the last one repeats). */
export const SEND_QUICK_RETRY_MS = [50, 200];

// work/webhook.ts
/** How long one delivery attempt may take. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

// delivery/stand-in.ts
/** `max-age` of a stand-in, seconds: short, so the real variant replaces it soon. */
export const STAND_IN_MAX_AGE = 10;
/** A `pending` claim older than this is assumed lost and may be claimed again. */
export const PENDING_STALE_MS = 10 * 60_000;
/** Largest relative aspect-ratio difference of a "nearest existing variant" stand-in. */
export const STAND_IN_ASPECT_TOLERANCE = 0.02;
/** Reductions tried, in order, for a low-resolution stand-in (JPEG/WebP shrink-on-load). */
export const STAND_IN_LOW_RES_FACTORS = [2, 4, 8] as const;
/** Stored neighbours considered for a stand-in (nearest first). */
export const STAND_IN_MAX_NEIGHBOURS = 4;
/**
 * A low-resolution stand-in's encoder settings (transform/pipeline.ts `runShape` with
 * `enlargeTo`): the cheapest the codecs offer, for an image shown a few seconds. WebP: libwebp
 * at method 0 (fastest) and quality 50; JPEG: libjpeg-turbo's rows encoder, baseline, quality
 * 60 (not mozjpeg). Priced by transform/cost.ts `estimateEnlarged`.
 */
export const STAND_IN_QUALITY = { webp: 50, jpeg: 60 } as const;
/** libwebp's `method` for a stand-in (0 fast .. 6 slow; 4 for variants). */
export const STAND_IN_WEBP_METHOD = 0;

// routes/uploads.ts
/** Room for multipart framing on top of a policy's `max_bytes` in the body limit, bytes. */
export const MULTIPART_SLACK = 16 * 1024;
/** Expired tokens are deleted this long after expiry, ms. */
export const UPLOAD_TOKEN_RETENTION_MS = 24 * 3600 * 1000;
/** Largest policy request body, bytes. */
export const MAX_POLICY_BYTES = 16 * 1024;

// jobs/imports.ts
/** Most paths in one import request (use a prefix beyond that). */
export const MAX_IMPORT_PATHS = 1000;
/** Objects listed, items created and messages sent per import fan-out page. */
export const IMPORT_PAGE = 500;

// images/retire.ts
/** A deletion older than this is taken as abandoned, ms (a request never runs this long). */
export const RETIRE_LEASE_MS = 60_000;
/** How long an upload waits for a deletion of its bytes to end, ms. */
export const RETIRE_WAIT_MS = 3_000;
/** How often that wait looks again, ms. */
export const RETIRE_POLL_MS = 100;

// images/ingest.ts
/** Attempts at storing bytes whose deletion was in progress (src/images/retire.ts). */
export const INGEST_STORE_ATTEMPTS = 3;

// sources/
/** Revalidation age of a source object when its source sets no `ttl_seconds`, s (1 h). */
export const SOURCE_DEFAULT_TTL_SECONDS = 3600;
/** Time limit of one origin fetch, when its source sets no `timeout_ms`, ms. */
export const SOURCE_DEFAULT_TIMEOUT_MS = 10_000;
/** Most redirects followed within a source. */
export const SOURCE_MAX_REDIRECTS = 3;

// http/body.ts, http/upload-body.ts and the routes' body limits
/** Largest job request body, bytes (1000 ids and 20 variants fit easily). */
export const JOBS_BODY_MAX_BYTES = 64 * 1024;
/** Largest preset request body, bytes. */
export const PRESETS_BODY_MAX_BYTES = 4096;
/** Largest API key request body, bytes. */
export const KEYS_BODY_MAX_BYTES = 4096;
/** Longest API key label, characters. */
export const KEY_LABEL_MAX_CHARS = 100;
/** Largest signing request body, bytes. */
export const SIGNATURES_BODY_MAX_BYTES = 4096;
/** Largest body read into memory (multipart, or raw without a length), bytes (16 MiB). */
export const UPLOAD_IN_MEMORY_BYTES = 16 * 1024 * 1024;
/** What the header probe of a streamed upload sees, bytes (1 MiB; JPEG APPn segments first). */
export const UPLOAD_HEAD_BYTES = 1024 * 1024;

// routes/signatures.ts
/** Shortest lifetime of a signed URL, seconds (1 minute). */
export const SIGNATURE_MIN_EXPIRES_S = 60;
/** Longest lifetime of a signed URL, seconds (7 days). */
export const SIGNATURE_MAX_EXPIRES_S = 7 * 24 * 3600;
/** Lifetime of a signed URL when the request names none, seconds (1 hour). */
export const SIGNATURE_DEFAULT_EXPIRES_S = 3600;

// security/upload-tokens.ts, storage/upload-tokens-db.ts
/** Shortest upload token lifetime, seconds (2 minutes). */
export const UPLOAD_TOKEN_MIN_EXPIRES_S = 120;
/** Longest upload token lifetime, seconds (6 hours). */
export const UPLOAD_TOKEN_MAX_EXPIRES_S = 6 * 3600;
/** Upload token lifetime when the request names none, seconds (1 hour). */
export const UPLOAD_TOKEN_DEFAULT_EXPIRES_S = 3600;
/** Most eager presets one upload may ask for. */
export const UPLOAD_TOKEN_MAX_EAGER_PRESETS = 8;
/** How long a claim holds a token, ms; an attempt that died unanswered frees it after this. */
export const UPLOAD_TOKEN_CLAIM_LEASE_MS = 120_000;

// security/signed-delivery.ts
/** How long the public preset names, and each (image, name) answer, are reused, ms. */
export const PUBLIC_PRESETS_TTL_MS = 10_000;
/** Most distinct public names memoised; past it every name gets the owner-scoped read. */
export const PUBLIC_PRESETS_MAX_NAMES = 10_000;
/** Most (image, name) answers memoised per isolate (oldest dropped first). */
export const PUBLIC_PRESETS_MAX_ANSWERS = 5_000;

// security/rate-limit.ts
/** Window length of both limiters, seconds (must match `period` in wrangler.toml). */
export const RATE_LIMIT_PERIOD_S = 60;

// transform/admission.ts
/**
 * A hold older than this is dropped, ms: a request whose client went away can be cancelled
 * mid-transform by the runtime without its `finally` ever running, and its share must not be
 * lost for the isolate's lifetime. Far above any inline transform (budget ~1 s).
 */
export const ADMISSION_HOLD_EXPIRY_MS = 30_000;
/** How often a waiting request looks for a free share, ms. */
export const ADMISSION_POLL_MS = 10;
/** How long after its last refusal an isolate counts as under a miss flood, ms. */
export const ADMISSION_FLOOD_WINDOW_MS = 2_000;

// transform/yield.ts, transform/streamed.ts
/**
 * Output pixels a streamed transform writes into libwebp's bands between two yields to the
 * event loop (rounded to whole bands): the copy and YUV conversion of 64 Ki pixels take about
 * a millisecond, so a hit waits for at most that much of this stage (256 Ki until session 12:
 * with hits served first, transform/yield.ts, the slice in progress is what a hit waits for).
 */
export const YIELD_SLICE_PIXELS = 64 * 1024;
/**
 * Sets how often libwebp's own encode yields when it may suspend (JSPI: codecs/webp.ts
 * `yieldingEncode`): every ⌊100 × this / output pixels⌋ % of its progress, at least 1 %.
 * Its progress is not linear in time: in workerd (one run, 768x512, load ~3) the analysis
 * takes 0-20 % in ~10 ms, the macroblock loop (VP8EncTokenLoop) 20-38 % in 70-80 % of the
 * time, then 38-100 % in ~10 ms. So 4 Ki pixels (1 % from 0.41 MP) cuts a 0.4-1 MP encode
 * into slices of about 1-10 ms; a 0.1 MP one yields every 4 %.
 */
export const ENCODE_YIELD_PIXELS = 4 * 1024;
/**
 * Longest a transform's yield waits for the requests served in the foreground
 * (transform/yield.ts `inForeground`: cache hits, `/healthz`, refusals), ms: under a flood of
 * such requests a transform still gets a slice at least this often.
 */
export const FOREGROUND_MAX_WAIT_MS = 25;
/**
 * Age after which a request in the foreground no longer holds transforms back, ms: a slow
 * upload or a long API call must not stall them (a cache hit takes a few ms).
 */
export const FOREGROUND_MAX_AGE_MS = 250;

// storage/ (jobs-db.ts, variants-db.ts, pending-sends-db.ts)
/** Longest error text stored in a D1 row, characters. */
export const STORED_ERROR_MAX_CHARS = 500;

// codecs/: when the instance manager (wasm/instances.ts) drops a module's shared instance.
// Wasm memory never shrinks: an instance whose memory is above its threshold after a call is
// dropped, so the isolate can reclaim that memory.
/**
 * jpeg_scaled.wasm (codecs/jpeg-scaled.ts), bytes: an isolate keeps at most this much for JPEG
 * decoding between requests. Not lower: a new instance is cheap to create (0.4 ms) but its
 * first large call pays for growing and touching fresh memory, measured +10-14 ms CPU on
 * Carrie.jpg (12 MP) 1/2 → 800x1067 (90 → 100-104 ms; `node bench/jpeg-scaled-node.mjs
 * --instance-cost`). That call needs 17 MiB (decodeJpegResized) or 20 MiB (decodeJpegScaled),
 * so it keeps its instance; a 1/1 decode of the same file (67 MiB) does not.
 */
export const JPEG_SCALED_DROP_ABOVE_BYTES = 32 * 1024 * 1024;
/**
 * jpeg_turbo.wasm (codecs/jpeg-turbo.ts), bytes: Carrie.jpg (12 MP) at 3/8 needs 9.5 MiB and
 * keeps its instance; a full-size decode of it (48.9 MiB) does not.
 */
export const JPEG_TURBO_DROP_ABOVE_BYTES = 32 * 1024 * 1024;
/**
 * png_scaled.wasm (codecs/png-scaled.ts), bytes: a 12 MP PNG → 1600x1200 needs about 9 MiB
 * (the 7.3 MiB output, a few rows, the code); a full-size or large interlaced decode is above it.
 */
export const PNG_SCALED_DROP_ABOVE_BYTES = 24 * 1024 * 1024;
/**
 * avif.wasm (codecs/avif.ts), bytes: a 1 MP AVIF decode stays resident; a 12 MP one (about
 * 48 MiB of dav1d buffers) does not.
 */
export const AVIF_DEC_DROP_ABOVE_BYTES = 24 * 1024 * 1024;
/**
 * avif_enc.wasm (codecs/avif-enc.ts), bytes: an 800x1067 encode needs about 22 MiB and keeps
 * its instance; larger outputs (1600 px: about 60 MiB) do not stay resident.
 */
export const AVIF_ENC_DROP_ABOVE_BYTES = 32 * 1024 * 1024;
/**
 * libwebp.wasm's shared still decoder and encoder (codecs/webp.ts), bytes each: a 2 MP still
 * decode fits; a 12 MP one (48 MiB of RGBA) does not stay resident. Animations have instances
 * of their own, dropped when they end.
 */
export const WEBP_DROP_ABOVE_BYTES = 32 * 1024 * 1024;
/**
 * lcms.wasm (codecs/lcms.ts), bytes: a few MiB at most are used (the chunk buffer, one
 * transform, a print profile's tables).
 */
export const LCMS_DROP_ABOVE_BYTES = 16 * 1024 * 1024;
/**
 * resize.wasm (codecs/resize.ts), bytes: the module holds rows only (about 1.5 MiB for a
 * 3000-pixel-wide source), so this is a guard against a runaway row size.
 */
export const RESIZE_DROP_ABOVE_BYTES = 8 * 1024 * 1024;
/** Pixels per call into lcms.wasm: 256 Ki pixels = 1 MiB of wasm memory, reused. */
export const LCMS_CHUNK_PIXELS = 256 * 1024;

// transform/pipeline.ts
/** Largest box-shrunk AVIF crop handed to lanczos3 (see avifBoxFactor), pixels. */
export const AVIF_LANCZOS_MAX_PIXELS = 1_000_000;
