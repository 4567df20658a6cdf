/**
 * Typed calls for the HTTP API (`/v1/images`, `/v1/uploads`, `/v1/presets`, `/v1/jobs`), with
 * `fetch` only (browsers, Workers, Node 20+). Failures throw {@link ImageEdgeError} carrying the
 * service's RFC 9457 problem document. Response shapes are the API's JSON (snake_case).
 */
/** A job's or an item's status, as the API writes it. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** An image as the API describes it (`GET /v1/images/{id}`). */
export interface ImageInfo {
  id: string;
  sha256: string;
  format: 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';
  width: number;
  height: number;
  /** Bytes of the original. */
  bytes: number;
  orientation: number;
  has_alpha: boolean;
  frames: number;
  progressive: boolean;
  metadata: Record<string, unknown>;
  thumbhash: string | null;
  colour: string | null;
  created_at: string;
  /** The attention point (fractions of the upright image) `g=auto` crops around; null until made. */
  focal_point: { x: number; y: number } | null;
  urls: { original: string; info: string; placeholder: string };
}

/** The answer to an upload: the image, and whether the owner already had these bytes. */
export interface UploadResult extends ImageInfo {
  /** True when the service already had these bytes for this owner (nothing new stored). */
  deduplicated: boolean;
}

/** One page of a list. */
export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

/** A preset (`GET /v1/presets`). */
export interface Preset {
  name: string;
  /** Canonical transform string. */
  options: string;
  public: boolean;
  eager: boolean;
  builtin: boolean;
}

/** Policy of a direct-upload URL (`POST /v1/uploads`); every member is optional. */
export interface UploadPolicy {
  /** Accepted formats, e.g. `['jpeg', 'png']`. */
  formats?: string[];
  max_bytes?: number;
  /** Seconds until the URL expires. */
  expires_in?: number;
  /** Metadata stored with the image. */
  metadata?: Record<string, unknown>;
  /** Presets generated right after the upload. */
  eager?: string[];
  [member: string]: unknown;
}

/** A one-time upload URL that needs no API key. */
export interface DirectUpload {
  upload_url: string;
  expires_at: string;
  policy: Record<string, unknown>;
}

/** A job's progress as the service computes it. */
export interface JobProgress {
  total: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  done: number;
  /** 0..100, one decimal. */
  percent: number;
  rate_per_second: number | null;
  eta_seconds: number | null;
  fanout_complete: boolean;
}

/** A bulk job (`GET /v1/jobs/{id}`). */
export interface Job {
  id: string;
  status: JobStatus;
  /** Null for an import job. */
  images:
    { ids: number } | { all: true; created_after: string | null; created_before: string } | null;
  /** An import job's source and prefix or number of paths (docs/sources.md); null otherwise. */
  import: { source: string; prefix: string } | { source: string; paths: number } | null;
  variants: string[];
  specs: string[];
  progress: JobProgress;
  error: string | null;
  callback_url: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  urls: { self: string; items: string; cancel: string };
}

/** One item of a job. */
export interface JobItem {
  image_id: string;
  spec: string;
  status: JobStatus;
  attempts: number;
  last_error: string | null;
  updated_at: string;
}

/** A job request: images (ids, or all of the owner's) × variants (presets or options). */
export interface JobRequest {
  images: string[] | { all: true; created_after?: string | number };
  variants: string[];
  callback_url?: string;
}

/** Statuses after which a job never changes. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/** An RFC 9457 problem document as the service sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  /** The option or member at fault, when there is one. */
  option?: string;
  [member: string]: unknown;
}

/** A refused or failed API call: `status` is the HTTP status, `problem` the service's body. */
export class ImageEdgeError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ImageEdgeError';
  }
}

/** Upload progress: bytes handed to the network so far, of `total`. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** What an upload accepts: bytes in memory or a Blob/File. */
export type UploadBody = Blob | ArrayBuffer | Uint8Array;

/** Options of an upload. */
export interface UploadOptions {
  /** Stored with the image (a JSON object). */
  metadata?: Record<string, unknown>;
  /** Called as bytes are sent (and once more at the end). */
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

/** Client settings. */
export interface ApiClientOptions {
  /** The service's origin, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** API key sent as `Authorization: Bearer …` (server side or CLI; never ship it to browsers). */
  apiKey?: string;
  /** A `fetch` to use instead of the global one (tests, service bindings). */
  fetch?: typeof fetch;
  /**
   * Retries of a repeat-safe call (GET, PUT, DELETE, uploads — content-addressed —, and job
   * creation with an idempotency key) after a 429, a 503 or a network error; default 2.
   */
  retries?: number;
}

/** Statuses after which a repeat-safe call is tried again. */
const RETRY_STATUSES = new Set([429, 503]);
/** Longest wait between two tries, ms. */
const MAX_RETRY_WAIT_MS = 5000;

/** The wait before try `attempt` (1-based): `Retry-After` when given, else 250 ms doubling. */
function retryWait(attempt: number, res: Response | undefined): number {
  const header = res?.headers.get('Retry-After');
  const seconds = header !== null && header !== undefined ? Number(header) : NaN;
  const ms = Number.isFinite(seconds) ? seconds * 1000 : 250 * 2 ** (attempt - 1);
  return Math.min(MAX_RETRY_WAIT_MS, Math.max(0, ms));
}

/** Bytes sent per chunk when an upload reports progress. */
const CHUNK = 64 * 1024;

/** The body as bytes. */
async function toBytes(body: UploadBody): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return new Uint8Array(await body.arrayBuffer());
}

/** A stream over `bytes` that reports each chunk as it is pulled by the network layer. */
function progressStream(
  bytes: Uint8Array,
  onProgress: (p: UploadProgress) => void,
): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      const end = Math.min(offset + CHUNK, bytes.byteLength);
      controller.enqueue(bytes.subarray(offset, end));
      offset = end;
      onProgress({ loaded: offset, total: bytes.byteLength });
    },
  });
}

/** The typed API client (see {@link createApiClient}). */
export class ApiClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly doFetch: typeof fetch;
  private readonly retries: number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.retries = options.retries ?? 2;
  }

  /**
   * Fetches `url` with the init that `make` builds for each try (a streamed body cannot be
   * sent twice); repeat-safe calls are tried again after a 429, 503 or network error.
   */
  private async fetchRetrying(
    url: string,
    make: () => RequestInit,
    repeatSafe: boolean,
  ): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      const last = !repeatSafe || attempt > this.retries;
      let res: Response | undefined;
      try {
        res = await this.doFetch(url, make());
      } catch (err) {
        const aborted = err instanceof DOMException && err.name === 'AbortError';
        if (last || aborted || !(err instanceof TypeError)) throw err;
      }
      if (res && (last || !RETRY_STATUSES.has(res.status))) return res;
      await res?.body?.cancel();
      await new Promise((r) => setTimeout(r, retryWait(attempt, res)));
    }
  }

  /**
   * Sends one API request and parses the JSON answer (undefined for 204).
   * @throws ImageEdgeError for any non-2xx answer; TypeError when the service is unreachable.
   */
  async request<T>(
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
    if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    let body: BodyInit | undefined;
    if (init.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    const repeatSafe =
      method === 'GET' || method === 'PUT' || method === 'DELETE' || 'Idempotency-Key' in headers;
    const res = await this.fetchRetrying(
      this.baseUrl + path,
      () => ({ method, headers, body, signal: init.signal }),
      repeatSafe,
    );
    return this.parse<T>(res);
  }

  /** Parses a response: JSON on 2xx, {@link ImageEdgeError} otherwise. */
  private async parse<T>(res: Response): Promise<T> {
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const problem: Problem =
        typeof json === 'object' && json !== null
          ? (json as Problem)
          : { status: res.status, title: res.statusText, detail: text.slice(0, 200) };
      throw new ImageEdgeError(res.status, problem);
    }
    return json as T;
  }

  /**
   * Uploads bytes to `url` (raw body). With `onProgress`, browsers use XMLHttpRequest's upload
   * events; elsewhere the body streams in 64 KiB chunks that are counted as they are sent.
   */
  private async send(
    url: string,
    body: UploadBody,
    options: UploadOptions,
    auth: boolean,
  ): Promise<UploadResult> {
    const bytes = await toBytes(body);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'Content-Type': 'application/octet-stream',
    };
    if (auth && this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    const { onProgress, signal } = options;
    if (onProgress && typeof XMLHttpRequest !== 'undefined')
      return this.sendXhr(url, bytes, headers, onProgress, signal);
    // Key uploads are content-addressed: sending the same bytes twice stores them once.
    const res = await this.fetchRetrying(
      url,
      () =>
        ({
          method: 'POST',
          headers,
          body: onProgress ? progressStream(bytes, onProgress) : bytes,
          signal,
          // Required by fetch for a streamed request body.
          ...(onProgress ? { duplex: 'half' } : {}),
        }) as RequestInit,
      // A one-time upload URL may have been spent by a try whose answer was lost.
      auth,
    );
    const result = await this.parse<UploadResult>(res);
    onProgress?.({ loaded: bytes.byteLength, total: bytes.byteLength });
    return result;
  }

  /** The browser path of {@link send}: XMLHttpRequest reports upload progress. */
  private sendXhr(
    url: string,
    bytes: Uint8Array,
    headers: Record<string, string>,
    onProgress: (p: UploadProgress) => void,
    signal: AbortSignal | undefined,
  ): Promise<UploadResult> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: bytes.byteLength });
      xhr.onerror = () => reject(new TypeError('Network error during upload.'));
      xhr.onabort = () => reject(new DOMException('Upload aborted.', 'AbortError'));
      xhr.onload = () => {
        const res = new Response(xhr.responseText, { status: xhr.status });
        this.parse<UploadResult>(res).then(resolve, reject);
      };
      signal?.addEventListener('abort', () => xhr.abort());
      xhr.send(new Blob([bytes as BlobPart]));
    });
  }

  /**
   * Uploads an original (`POST /v1/images`). Uploading bytes the owner already has stores
   * nothing and answers the existing image with `deduplicated: true`.
   * @throws ImageEdgeError 413 (too large), 415 (not an image), 422 (over the pixel limits).
   */
  uploadImage(body: UploadBody, options: UploadOptions = {}): Promise<UploadResult> {
    const query = options.metadata
      ? `?metadata=${encodeURIComponent(JSON.stringify(options.metadata))}`
      : '';
    return this.send(`${this.baseUrl}/v1/images${query}`, body, options, true);
  }

  /** Creates a one-time direct-upload URL (`POST /v1/uploads`) for a browser to use. */
  createDirectUpload(policy: UploadPolicy = {}): Promise<DirectUpload> {
    return this.request('POST', '/v1/uploads', { body: policy });
  }

  /** Uploads to a direct-upload URL (no API key is sent; the URL is the credential). */
  uploadToUrl(
    uploadUrl: string,
    body: UploadBody,
    options: Omit<UploadOptions, 'metadata'> = {},
  ): Promise<UploadResult> {
    return this.send(uploadUrl, body, options, false);
  }

  /** An image's info. @throws ImageEdgeError 404 */
  getImage(id: string): Promise<ImageInfo> {
    return this.request('GET', `/v1/images/${encodeURIComponent(id)}`);
  }

  /** GETs one page of a list: `member` names the array in the answer. */
  private async page<T>(
    path: string,
    member: string,
    params: Record<string, string | number | undefined>,
  ): Promise<Page<T>> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params))
      if (v !== undefined && v !== '') q.set(k, String(v));
    const answer = await this.request<Record<string, unknown>>(
      'GET',
      `${path}${q.size ? `?${q}` : ''}`,
    );
    return { items: answer[member] as T[], next_cursor: answer.next_cursor as string | null };
  }

  /** One page of the owner's images, newest first (`limit` 1..100, default 50). */
  listImages(options: { limit?: number; cursor?: string } = {}): Promise<Page<ImageInfo>> {
    return this.page('/v1/images', 'images', options);
  }

  /** Every image of the owner, page by page. */
  async *images(pageSize = 100): AsyncGenerator<ImageInfo> {
    let cursor: string | undefined;
    do {
      const page = await this.listImages({ limit: pageSize, cursor });
      yield* page.items;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  /** Deletes an image (its variants follow through the queue). @throws ImageEdgeError 404 */
  async deleteImage(id: string): Promise<void> {
    await this.request('DELETE', `/v1/images/${encodeURIComponent(id)}`);
  }

  /** Built-in and stored presets. */
  async listPresets(): Promise<Preset[]> {
    return (await this.request<{ presets: Preset[] }>('GET', '/v1/presets')).presets;
  }

  /** Creates or replaces a stored preset (admin scope). `options` is a transform string. */
  setPreset(
    name: string,
    preset: { options: string; public?: boolean; eager?: boolean },
  ): Promise<Preset> {
    return this.request('PUT', `/v1/presets/${encodeURIComponent(name)}`, { body: preset });
  }

  /** Deletes a stored preset (admin scope). @throws ImageEdgeError 404, 409 (built-in) */
  async deletePreset(name: string): Promise<void> {
    await this.request('DELETE', `/v1/presets/${encodeURIComponent(name)}`);
  }

  /**
   * Creates a bulk job. With `idempotencyKey`, repeating the same request returns the same job.
   * @throws ImageEdgeError 400 (`problem.errors` lists bad variants), 409 (key reused).
   */
  createJob(job: JobRequest, options: { idempotencyKey?: string } = {}): Promise<Job> {
    return this.request('POST', '/v1/jobs', {
      body: job,
      headers: options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {},
    });
  }

  /** A job and its progress. */
  getJob(id: string, signal?: AbortSignal): Promise<Job> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(id)}`, { signal });
  }

  /** One page of the owner's jobs, newest first. */
  listJobs(options: { limit?: number; cursor?: string } = {}): Promise<Page<Job>> {
    return this.page('/v1/jobs', 'jobs', options);
  }

  /** One page of a job's items, optionally only those with `status`. */
  jobItems(
    id: string,
    options: { status?: JobStatus; limit?: number; cursor?: string } = {},
  ): Promise<Page<JobItem>> {
    return this.page(`/v1/jobs/${encodeURIComponent(id)}/items`, 'items', options);
  }

  /** Cancels a job: queued items are dropped; the job answers its final state. */
  cancelJob(id: string): Promise<Job> {
    return this.request('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  /**
   * Follows a job: yields its state every `intervalMs` (default 1000) until it is
   * succeeded, failed or cancelled (the last state yielded is the terminal one).
   *
   *     for await (const job of client.watchJob(id)) console.log(job.progress.percent);
   */
  async *watchJob(
    id: string,
    options: { intervalMs?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<Job> {
    const interval = options.intervalMs ?? 1000;
    for (;;) {
      const job = await this.getJob(id, options.signal);
      yield job;
      if (TERMINAL_STATUSES.includes(job.status)) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, interval);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(options.signal?.reason ?? new DOMException('Aborted', 'AbortError'));
        });
      });
    }
  }
}
