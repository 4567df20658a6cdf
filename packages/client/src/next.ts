/**
 * A `next/image` custom loader (Next.js calls it once per width of the `srcset`):
 *
 *     // image-loader.ts, named by `images: { loader: 'custom', loaderFile: './image-loader.ts' }`
 *     import { createNextLoader } from '@image-edge/client/next';
 *     export default createNextLoader({ baseUrl: process.env.NEXT_PUBLIC_IMAGE_EDGE_URL! });
 *
 *     <Image src={imageId} width={800} height={600} alt="" />
 *
 * `src` is an image id (or a `/img/{id}/…` URL); the URL asks for `width`, `quality` when
 * Next passes one, and `format=auto` unless the defaults say otherwise.
 */
import { createUrlBuilder, type TransformOptions } from './url';
import { imageIdOf } from './source';

/** What Next.js passes to a loader. */
export interface NextLoaderProps {
  src: string;
  width: number;
  quality?: number;
}

/** Creates the loader for one service; `defaults` apply to every URL (e.g. `fit`). */
export function createNextLoader(
  options: { baseUrl: string } & TransformOptions,
): (props: NextLoaderProps) => string {
  const { baseUrl, ...defaults } = options;
  const urls = createUrlBuilder({ baseUrl });
  return ({ src, width, quality }) =>
    urls.url(imageIdOf(src), {
      format: 'auto',
      ...defaults,
      width,
      ...(quality !== undefined && { quality }),
    });
}
