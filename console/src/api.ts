/**
 * The console's HTTP client: JSON calls to /v1 with the API key as a Bearer token, and
 * direct uploads (one-time URLs from `POST /v1/uploads`, sent without the key, with upload
 * progress). Same origin as the page, so no CORS.
 */
import type {
  Job as JobView,
  JobItem,
  JobProgress,
  Preset as PresetView,
} from '@image-edge/client';
import { ApiError, parseProblem, uploadOutcome, type UploadOutcome } from './lib/http';

/** An image as `GET /v1/images` lists it (src/images/view.ts). */
export interface ImageView {
  id: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  orientation: number;
  has_alpha: boolean;
  frames: number;
  progressive: boolean;
  thumbhash: string | null;
  colour: string | null;
  created_at: string;
  metadata: Record<string, unknown>;
  /** The attention point (fractions of the upright image), once the card is made. */
  focal_point: { x: number; y: number } | null;
  urls: { original: string; info: string; placeholder: string };
}

/** API shapes shared with the client package (one definition, `packages/client/src/api.ts`). */
export type { JobItem, JobProgress, JobView, PresetView };

/** An API key as listed (no secret). */
export interface KeyView {
  id: string;
  scopes: string[];
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

/** Who the key belongs to and what it may do (`GET /v1/whoami`). */
export interface WhoAmI {
  owner: string;
  scopes: string[];
  signing: boolean;
}

/** A client bound to one API key. */
export class Api {
  constructor(private readonly key: string) {}

  /** Sends a request to the API; resolves with the JSON body (undefined for 204). */
  async call<T>(method: string, path: string, body?: unknown, headers?: HeadersInit): Promise<T> {
    const h = new Headers(headers);
    h.set('Authorization', `Bearer ${this.key}`);
    if (body !== undefined) h.set('Content-Type', 'application/json');
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError({ title: 'Network error', status: 0, detail: String(err) });
    }
    if (!res.ok) throw new ApiError(parseProblem(res.status, res.statusText, await res.text()));
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  whoami = () => this.call<WhoAmI>('GET', '/v1/whoami');
  listImages = (cursor: string | null, limit = 24) =>
    this.call<{ images: ImageView[]; next_cursor: string | null }>(
      'GET',
      `/v1/images?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
  image = (id: string) => this.call<ImageView>('GET', `/v1/images/${encodeURIComponent(id)}`);
  deleteImage = (id: string) => this.call<void>('DELETE', `/v1/images/${encodeURIComponent(id)}`);
  presets = () => this.call<{ presets: PresetView[] }>('GET', '/v1/presets');
  putPreset = (name: string, options: string, isPublic: boolean) =>
    this.call<PresetView>('PUT', `/v1/presets/${encodeURIComponent(name)}`, {
      options,
      public: isPublic,
    });
  deletePreset = (name: string) =>
    this.call<void>('DELETE', `/v1/presets/${encodeURIComponent(name)}`);
  jobs = () => this.call<{ jobs: JobView[] }>('GET', '/v1/jobs?limit=20');
  job = (id: string) => this.call<JobView>('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  failedItems = (id: string) =>
    this.call<{ items: JobItem[] }>(
      'GET',
      `/v1/jobs/${encodeURIComponent(id)}/items?status=failed&limit=50`,
    );
  createJob = (images: string[] | { all: true }, variants: string[]) =>
    this.call<JobView>(
      'POST',
      '/v1/jobs',
      { images, variants },
      {
        'Idempotency-Key': crypto.randomUUID(),
      },
    );
  cancelJob = (id: string) =>
    this.call<JobView>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  /** A signed absolute URL for a delivery path (`/img/…`); only when signing is on. */
  sign = (path: string) =>
    this.call<{ url: string; expires_at: string }>('POST', '/v1/signatures', {
      path,
      expires_in: 3600,
    });
  keys = () => this.call<{ keys: KeyView[] }>('GET', '/v1/keys');
  createKey = (scopes: string[], label: string) =>
    this.call<KeyView & { key: string }>('POST', '/v1/keys', {
      scopes,
      ...(label ? { label } : {}),
    });
  revokeKey = (id: string) => this.call<void>('DELETE', `/v1/keys/${encodeURIComponent(id)}`);

  /**
   * Uploads one file: asks for a one-time upload URL, then posts the file to it without the
   * API key (XMLHttpRequest, for upload progress). `onProgress` gets fractions 0..1. A 503
   * (the service or a dependency briefly unavailable) is tried again, at most twice, each time
   * with a fresh upload URL (an interrupted upload may have used up the first).
   */
  async upload(file: File, onProgress: (fraction: number) => void): Promise<UploadOutcome> {
    for (let attempt = 0; ; attempt++) {
      const { upload_url } = await this.call<{ upload_url: string }>('POST', '/v1/uploads', {});
      const xhr = await new Promise<XMLHttpRequest>((resolve) => {
        const req = new XMLHttpRequest();
        req.open('POST', upload_url);
        req.upload.onprogress = (e) => {
          if (e.lengthComputable) onProgress(e.loaded / e.total);
        };
        req.onload = () => resolve(req);
        req.onerror = () => resolve(req);
        const form = new FormData();
        form.append('file', file, file.name);
        req.send(form);
      });
      if (xhr.status === 503 && attempt < 2) {
        const wait = Math.min(5, Number(xhr.getResponseHeader('Retry-After')) || 1);
        await new Promise((r) => setTimeout(r, wait * 1000));
        continue;
      }
      return uploadOutcome(
        xhr.status,
        xhr.status === 0 ? 'Network error' : xhr.statusText,
        xhr.responseText,
      );
    }
  }
}
