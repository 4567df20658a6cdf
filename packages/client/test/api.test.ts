/**
 * The typed API calls against the running Worker: upload with progress and dedup, info,
 * list, direct-upload URLs, presets, delete, problems as ImageEdgeError, and a job followed
 * with the progress iterator.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageEdge, ImageEdgeError, type UploadProgress } from '../src/index';
import { IMAGES, service, testClient } from '../../test/helpers';

describe('API client', () => {
  it('uploads with progress, then the same bytes again as a deduplicated answer', async () => {
    const client = testClient();
    const bytes = await readFile(path.join(IMAGES, 'color', 'Shoes-sRGB.jpg'));
    const seen: UploadProgress[] = [];
    const first = await client.uploadImage(bytes, {
      metadata: { source: 'api test' },
      onProgress: (p) => seen.push(p),
    });
    expect(first).toMatchObject({ format: 'jpeg', bytes: bytes.length, deduplicated: false });
    expect(first.metadata).toEqual({ source: 'api test' });
    // More than one step for a 0.45 MB body, never going back, ending at the total.
    expect(seen.length).toBeGreaterThan(3);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]!.loaded).toBeGreaterThanOrEqual(seen[i - 1]!.loaded);
    expect(seen.at(-1)).toEqual({ loaded: bytes.length, total: bytes.length });

    const again = await client.uploadImage(new Blob([bytes]));
    expect(again.deduplicated).toBe(true);
    expect(again.id).toBe(first.id);

    expect((await client.getImage(first.id)).sha256).toBe(first.sha256);
    const ids: string[] = [];
    for await (const img of client.images(2)) ids.push(img.id);
    expect(ids).toContain(first.id);
  });

  it('makes a direct-upload URL that a key-less client can use once', async () => {
    const client = testClient();
    const direct = await client.createDirectUpload({ formats: ['png'], expires_in: 300 });
    expect(direct.upload_url).toMatch(/\/v1\/uploads\/[^/]+$/);
    const browser = new ImageEdge({ baseUrl: service().url }); // no API key
    const bytes = await readFile(path.join(IMAGES, 'alpha', 'blackbug.png'));
    const image = await browser.uploadToUrl(direct.upload_url, bytes);
    expect(image.format).toBe('png');
    const reuse = await browser.uploadToUrl(direct.upload_url, bytes).catch((e: unknown) => e);
    expect(reuse).toBeInstanceOf(ImageEdgeError);
    expect((reuse as ImageEdgeError).status).toBe(403);
  });

  it('sets, lists and deletes presets; reports problems with their option', async () => {
    const client = testClient();
    const set = await client.setPreset('client-test', { options: 'f=webp,w=200' });
    expect(set).toMatchObject({ name: 'client-test', options: 'width=200,format=webp' });
    expect((await client.listPresets()).map((p) => p.name)).toContain('client-test');
    await client.deletePreset('client-test');
    expect((await client.listPresets()).map((p) => p.name)).not.toContain('client-test');

    const bad = await client.setPreset('client-bad', { options: 'w=0' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ImageEdgeError);
    expect((bad as ImageEdgeError).status).toBe(400);
    expect((bad as ImageEdgeError).problem.option).toBe('w');
  });

  it('follows a job to its end with the progress iterator, and deletes an image', async () => {
    const client = testClient();
    const bytes = await readFile(path.join(IMAGES, 'color', 'rgb-to-gbr-test.jpg'));
    const { id } = await client.uploadImage(bytes);
    const job = await client.createJob(
      { images: [id], variants: ['w=40,f=webp', 'w=30,f=jpeg'] },
      { idempotencyKey: `client-test-${id}` },
    );
    const states = [];
    for await (const state of client.watchJob(job.id, { intervalMs: 250 })) states.push(state);
    const last = states.at(-1)!;
    expect(last.status).toBe('succeeded');
    expect(last.progress).toMatchObject({ total: 2, succeeded: 2, percent: 100 });
    const items = await client.jobItems(job.id);
    expect(items.items.map((i) => i.status)).toEqual(['succeeded', 'succeeded']);

    await client.deleteImage(id);
    const gone = await client.getImage(id).catch((e: unknown) => e);
    expect((gone as ImageEdgeError).status).toBe(404);
  });
});
