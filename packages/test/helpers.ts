/** Shared helpers of the packages' tests: the service from the global setup, fixture paths. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { inject } from 'vitest';
import { ImageEdge } from '../client/src/index';

/** The repository root and the shared fixtures beside it. */
export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const IMAGES = path.resolve(ROOT, '..', 'shared', 'images');

/** The service the global setup started (see ./service.ts). */
export const service = () => inject('service');

/** A client for the test service with the first API key and signing key. */
export function testClient(): ImageEdge {
  const s = service();
  return new ImageEdge({ baseUrl: s.url, apiKey: s.keys[0], signingKey: s.signingKeys[0] });
}

/** Uploads a shared fixture and returns its id. */
export async function uploadFixture(client: ImageEdge, rel: string): Promise<string> {
  const image = await client.uploadImage(await readFile(path.join(IMAGES, rel)));
  return image.id;
}
