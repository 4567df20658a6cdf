/**
 * `@image-edge/client`: the image-edge client for browsers, Workers and Node 20+ (fetch and
 * Web Crypto only). One object holds the URL builder (typed Cloudflare Images options,
 * validated and canonicalised by the Worker's own parser), `srcset` helpers, URL signing and
 * the typed API calls:
 *
 *     const edge = new ImageEdge({ baseUrl: 'https://img.example.com', apiKey });
 *     const { id } = await edge.uploadImage(file, { onProgress: (p) => … });
 *     edge.url(id, { width: 800, format: 'auto' }); // …/img/{id}/width=800,format=auto
 */
import { ApiClient, type ApiClientOptions } from './api';
import {
  createUrlBuilder,
  type Expiry,
  type ImageUrls,
  type SigningKey,
  type SrcsetOptions,
  type Variant,
} from './url';

export * from './api';
export * from './url';

/** Settings of {@link ImageEdge}. */
export interface ImageEdgeOptions extends ApiClientOptions {
  /** Signs URLs in {@link ImageEdge.signedUrl}; keep secrets on the server. */
  signingKey?: SigningKey;
}

/** The client: URL builder and API calls for one service. */
export class ImageEdge extends ApiClient implements ImageUrls {
  private readonly urls: ImageUrls;

  constructor(options: ImageEdgeOptions) {
    super(options);
    this.urls = createUrlBuilder(options);
  }

  /** Absolute URL of a variant (unsigned). @throws TransformError */
  url(id: string, variant?: Variant): string {
    return this.urls.url(id, variant);
  }

  /** Absolute signed URL. @throws Error without a signing key; TransformError */
  signed(id: string, variant?: Variant, expiry?: Expiry): Promise<string> {
    return this.urls.signed(id, variant, expiry);
  }

  /** A `srcset` value (see {@link ImageUrls.srcset}). @throws TransformError */
  srcset(id: string, options: SrcsetOptions): string {
    return this.urls.srcset(id, options);
  }
}
