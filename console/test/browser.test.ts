/**
 * The console in a real browser: Debian's chromium (scripts/ensure-chromium.sh installs it)
 * driven by playwright-core, against the service started the README's way by
 * scripts/lib/local-service.mjs (wrangler dev with local R2, D1 and Queues, console/dist as
 * its static assets; `npm run build:console` runs first). Sign in, upload three photos and
 * a refused file, see them in the gallery, change width and format in the playground, run a
 * job to completion, delete an image; no CSP violation or script error on the way.
 *
 * With CONSOLE_SCREENSHOTS=<dir> it saves screenshots of the main pages there
 * (`npm run screenshots` writes docs/screenshots).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService } from '../../scripts/lib/local-service.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const shared = path.resolve(root, '..', 'shared');
const PHOTOS = [
  'images/small/Giunchedi_Filippo_January_2015_01.jpg',
  'images/kodak/kodim01.png',
  'images/crop/concert.jpg',
];
const REFUSED = 'bad-images/svg/imgproxy_test1.svg';
const shots = process.env.CONSOLE_SCREENSHOTS;

let service: Awaited<ReturnType<typeof startLocalService>>;
let browser: Browser;
let page: Page;
const problems: string[] = [];

/** Saves a screenshot of the page when CONSOLE_SCREENSHOTS names a directory. */
async function shot(name: string, p: Page = page) {
  if (!shots) return;
  fs.mkdirSync(shots, { recursive: true });
  await p.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

/** Asks the API directly (Node side) with the service's key. */
async function api(pathname: string, init: RequestInit = {}) {
  return fetch(service.url + pathname, {
    ...init,
    headers: { Authorization: `Bearer ${service.keys[0]}`, ...init.headers },
  });
}

beforeAll(async () => {
  service = await startLocalService({ root, keyCount: 1 });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 860 },
    reducedMotion: 'reduce',
  });
  // The machine may be busy (wrangler's one workerd also runs the queue's encodes): be patient.
  context.setDefaultTimeout(90_000);
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (err) => problems.push(String(err)));
});

afterEach(async (ctx) => {
  // On a failure, say what the page showed.
  if (ctx.task.result?.state !== 'fail' || !page) return;
  const text = await page
    .locator('body')
    .innerText()
    .catch(() => '(no page)');
  console.error(`page at ${page.url()} showed:\n${text.slice(0, 2000)}`);
  const log = fs.readFileSync(service.logFile, 'utf8').split('\n').slice(-30).join('\n');
  console.error(`wrangler's log ends:\n${log}`);
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('the console in chromium', () => {
  it('shows the sign-in form at / with a strict CSP, and signs in with a key', async () => {
    const res = await page.goto(service.url + '/');
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByLabel('API key').waitFor();
    await shot('sign-in');
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Forbidden');
    await page.getByLabel('API key').fill(service.keys[0]!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Gallery', exact: true }).waitFor();
    // The key lives in this tab's session storage, not in a cookie.
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(service.keys[0]);
    expect(await page.context().cookies()).toEqual([]);
  });

  it('uploads three photos with progress, refuses a bad file, and says so for a duplicate', async () => {
    await page.getByRole('link', { name: 'Upload' }).click();
    await page.getByRole('heading', { name: 'Upload', exact: true }).waitFor();
    await page
      .getByLabel('Choose files')
      .setInputFiles([...PHOTOS, REFUSED].map((f) => path.join(shared, f)));
    await page.waitForFunction(
      () => document.querySelectorAll('.upload.created, .upload.refused').length === 4,
      undefined,
      { timeout: 60_000 },
    );
    expect(await page.locator('.upload.created').count()).toBe(3);
    const refused = page.locator('.upload.refused');
    expect(await refused.getAttribute('data-name')).toBe(path.basename(REFUSED));
    expect(await refused.locator('.outcome').textContent()).toMatch(/^Unsupported media type: .+/);
    for (const bar of await page.locator('.upload.created progress').all())
      expect(await bar.evaluate((el) => (el as HTMLProgressElement).value)).toBe(1);
    await shot('upload');

    await page.getByLabel('Choose files').setInputFiles(path.join(shared, PHOTOS[0]!));
    await page.locator('.upload.duplicate').waitFor();
    expect(await page.locator('.upload.duplicate .outcome').textContent()).toContain(
      'Already uploaded',
    );
  });

  it('lists the three images in the gallery, newest first, with thumbnails', async () => {
    await page.getByRole('link', { name: 'Gallery' }).click();
    await page.getByRole('heading', { name: 'Gallery', exact: true }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.tile').length === 3);
    const listed = (await (await api('/v1/images')).json()) as { images: { id: string }[] };
    const ids = await page
      .locator('.tile')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    expect(ids).toEqual(listed.images.map((i) => i.id));
    await page.waitForFunction(
      () => document.querySelectorAll('.tile img.real.loaded').length === 3,
      undefined,
      {
        timeout: 90_000,
      },
    );
    await shot('gallery');
  });

  it('makes variants in the playground: width and format change the image', async () => {
    const tile = page.locator('.tile').first();
    const id = (await tile.getAttribute('data-id'))!;
    await tile.getByRole('link').click();
    await page.getByRole('heading', { name: `Image ${id}` }).waitFor();

    const check = async (width: number, format: 'webp' | 'png') => {
      const url = `/img/${id}/w=${width},f=${format}`;
      const response = page.waitForResponse((r) => r.url() === service.url + url, {
        timeout: 60_000,
      });
      await page.getByLabel('Width').fill(String(width));
      await page.getByLabel('Format').selectOption(format);
      const res = await response;
      expect(res.status()).toBe(200);
      expect(res.headers()['content-type']).toBe(`image/${format}`);
      const img = page.locator(`img.after[data-variant-url="${url}"]`);
      await img.waitFor();
      await expect
        .poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth))
        .toBe(width);
      await expect.poll(() => page.locator('#variant-type').textContent()).toBe(`image/${format}`);
      await expect
        .poll(() => page.locator('#variant-dimensions').textContent())
        .toMatch(new RegExp(`^${width} × \\d+$`));
    };
    await check(200, 'webp');
    await check(120, 'png');
    expect(await page.getByLabel('URL').inputValue()).toBe(`${service.url}/img/${id}/w=120,f=png`);
    await page.getByLabel('Width').fill('480');
    await page.getByLabel('Format').selectOption('webp');
    await page.locator(`img.after[data-variant-url="/img/${id}/w=480,f=webp"]`).waitFor({
      timeout: 60_000,
    });
    await shot('playground');
  });

  it('runs a small job to completion and shows its progress', async () => {
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
    await page.getByLabel('Option strings (one per line)').fill('w=64,f=webp');
    await page.getByRole('button', { name: 'Start job' }).click();
    const job = page.locator('.job');
    await job.waitFor();
    await page.waitForFunction(
      () => document.querySelector('.job')?.getAttribute('data-status') === 'succeeded',
      undefined,
      { timeout: 120_000 },
    );
    // thumbnail (checked by default) and w=64,f=webp for each of the three images.
    expect(await job.textContent()).toContain('6 of 6 done (100%) · 6 succeeded · 0 failed');
    await shot('jobs');
  });

  it('shows the presets and the keys pages', async () => {
    await page.getByRole('link', { name: 'Presets' }).click();
    await page.getByRole('heading', { name: 'Presets', exact: true }).waitFor();
    await page.getByRole('rowheader', { name: 'thumbnail' }).waitFor();
    await shot('presets');
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
    await page.getByLabel('Label').fill('gallery viewer');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByLabel('Key', { exact: true }).inputValue();
    const who = await fetch(`${service.url}/v1/whoami`, {
      headers: { Authorization: `Bearer ${secret}` },
    });
    expect(await who.json()).toMatchObject({ scopes: ['read'] });
    await shot('keys');
  });

  it('deletes an image after confirmation', async () => {
    await page.getByRole('link', { name: 'Gallery' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.tile').length === 3);
    const id = (await page.locator('.tile').last().getAttribute('data-id'))!;
    await page.getByRole('button', { name: `Delete ${id}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('.tile').count()).toBe(3);
    await page.getByRole('button', { name: `Delete ${id}` }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.tile').length === 2);
    expect((await api(`/v1/images/${id}`)).status).toBe(404);
    expect(await page.getByRole('status').first().textContent()).toBe(`Deleted ${id}.`);
  });

  it('works on a narrow screen too', async () => {
    const narrow = await browser.newContext({
      viewport: { width: 390, height: 844 },
      reducedMotion: 'reduce',
    });
    narrow.setDefaultTimeout(90_000);
    const p = await narrow.newPage();
    await p.goto(service.url + '/console');
    await p.getByLabel('API key').fill(service.keys[0]!);
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.querySelectorAll('.tile img.real.loaded').length === 2);
    const overflow = await p.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('gallery-narrow', p);
    await narrow.close();
  });

  it('met no script error and no Content-Security-Policy violation', () => {
    expect(problems).toEqual([]);
  });
});

describe('the console in chromium, with signing on', () => {
  let signed: Awaited<ReturnType<typeof startLocalService>>;
  beforeAll(async () => {
    signed = await startLocalService({
      root,
      keyCount: 1,
      signingKeys: [{ kid: 'k1', key: `console-test-${'x'.repeat(32)}` }],
    });
  });
  afterAll(async () => {
    await signed?.stop();
  });

  it('shows signed variant URLs in the playground', async () => {
    const context = await browser.newContext({ reducedMotion: 'reduce' });
    context.setDefaultTimeout(90_000);
    const p = await context.newPage();
    p.on('pageerror', (err) => problems.push(String(err)));
    await p.goto(signed.url + '/console/upload');
    await p.getByLabel('API key').fill(signed.keys[0]!);
    await p.keyboard.press('Enter');
    await p.getByLabel('Choose files').setInputFiles(path.join(shared, PHOTOS[2]!));
    await p.locator('.upload.created a').click();
    const id = p.url().split('/').pop()!;
    await p.getByText('Signing is on').waitFor();
    const variant = p.waitForResponse((r) => r.url().includes(`/img/${id}/w=96,f=jpeg?`), {
      timeout: 60_000,
    });
    await p.getByLabel('Width').fill('96');
    await p.getByLabel('Format').selectOption('jpeg');
    const res = await variant;
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('image/jpeg');
    const img = p.locator(`img.after[data-variant-url="/img/${id}/w=96,f=jpeg"]`);
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(96);
    expect(await p.getByLabel('URL').inputValue()).toMatch(
      new RegExp(`^${signed.url}/img/${id}/w=96,f=jpeg\\?exp=\\d+&kid=k1&sig=[\\w-]{43}$`),
    );
    // The unsigned URL is refused: the signature is what opens it.
    expect((await fetch(`${signed.url}/img/${id}/w=96,f=jpeg`)).status).toBe(403);
    await context.close();
    expect(problems).toEqual([]);
  });
});
