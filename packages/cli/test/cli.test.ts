/**
 * The `image-edge` bin (node_modules/.bin/image-edge, what `npx image-edge` runs) against the
 * running service, without a terminal (CI's case: progress lines instead of a redrawn bar).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGES, ROOT, service } from '../../test/helpers';

const BIN = path.join(ROOT, 'node_modules', '.bin', 'image-edge');

/** Runs the bin with `args` and the service's URL and key in the environment. */
function run(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const s = service();
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        IMAGE_EDGE_URL: s.url,
        IMAGE_EDGE_API_KEY: s.keys[1],
        IMAGE_EDGE_CONFIG: undefined,
        XDG_CONFIG_HOME: tmp,
        XDG_STATE_HOME: tmp,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'image-edge-cli-test-'));
const dirs = [path.join(IMAGES, 'phone'), path.join(IMAGES, 'kodak')];

describe('image-edge upload', () => {
  it('uploads phone and kodak with a progress bar, then a second run uploads nothing', async () => {
    const state = path.join(tmp, 'state.json');
    const first = await run(['upload', ...dirs, '--state', state, '-c', '3']);
    expect(first.stderr).not.toContain('image-edge:');
    expect(first.code).toBe(0);
    // Progress lines (not a terminal): bytes, bytes/s and ETA, ending at 100 % of 14 files.
    const lines = first.stderr.split('\n').filter((l) => l.startsWith('upload ['));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(
      /100% \| 1[23]\.\d MB\/1[23]\.\d MB \| 14\/14 files \| .*B\/s \| ETA /,
    );
    expect(first.stdout).toMatch(/│ uploaded\s+│ 1[0-4]\s+│/);
    expect(first.stdout).toMatch(/│ failed\s+│ 0\s+│/);

    const second = await run(['--json', 'upload', ...dirs, '--state', state]);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as {
      summary: Record<string, number>;
      files: { status: string; id: string }[];
    };
    expect(report.summary).toMatchObject({
      files: 14,
      uploaded: 0,
      exists: 0,
      skipped: 14,
      failed: 0,
    });

    // Without the state file, the service's dedup answers: nothing new is stored.
    const fresh = await run(['--json', 'upload', ...dirs, '--no-state', '--no-progress']);
    expect(fresh.code).toBe(0);
    const again = JSON.parse(fresh.stdout) as typeof report;
    expect(again.summary).toMatchObject({ uploaded: 0, exists: 14, skipped: 0, failed: 0 });
    expect(again.files.map((f) => f.id).sort()).toEqual(report.files.map((f) => f.id).sort());
  });

  it('redraws one bar in place under a terminal', async () => {
    // `script` gives the bin a pseudo-terminal; its output is what the terminal received.
    const command = `${BIN} upload ${path.join(IMAGES, 'kodak', 'kodim09.png')} --no-state`;
    const res = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const s = service();
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        env: { ...process.env, IMAGE_EDGE_URL: s.url, IMAGE_EDGE_API_KEY: s.keys[1] },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(res.code).toBe(0);
    expect(res.out).toContain('\x1b[?25l'); // cursor hidden while the bar is drawn
    expect(res.out).toMatch(/upload \[=+\] 100% \| .* \| 1\/1 files \| .*B\/s \| ETA /);
    expect(res.out).toMatch(/│ already on the service\s+│ 1\s+│/);
  });

  it('resumes: a run that stopped part-way leaves a state the next run continues from', async () => {
    const state = path.join(tmp, 'resume.json');
    const part = await run([
      '--json',
      'upload',
      path.join(IMAGES, 'kodak', 'kodim01.png'),
      '--state',
      state,
    ]);
    expect(JSON.parse(part.stdout).summary).toMatchObject({ files: 1, failed: 0 });
    const rest = await run(['--json', 'upload', path.join(IMAGES, 'kodak'), '--state', state]);
    expect(JSON.parse(rest.stdout).summary).toMatchObject({ files: 12, skipped: 1, failed: 0 });
  });
});

describe('image-edge jobs, sign, presets, images', () => {
  it('jobs create --watch follows a job to 100 %', async () => {
    const res = await run([
      'jobs',
      'create',
      '--all',
      '--variant',
      'w=48,f=webp',
      '--watch',
      '--interval',
      '300',
    ]);
    expect(res.stderr).not.toContain('image-edge:');
    expect(res.code).toBe(0);
    const lines = res.stderr.split('\n').filter((l) => l.startsWith('job '));
    expect(lines.at(-1)).toMatch(/100% \| (\d+)\/\1 items .*\| succeeded/);
    expect(res.stdout).toMatch(/│ succeeded │/);
  });

  it('sign prints a URL the Worker accepts', async () => {
    const list = await run(['--json', 'images', 'ls', '--limit', '1']);
    const [image] = JSON.parse(list.stdout) as { id: string }[];
    const res = await run(['sign', `/img/${image!.id}/w=32,f=jpeg`, '--expires-in', '300'], {
      IMAGE_EDGE_SIGNING_KEYS: JSON.stringify(service().signingKeys),
    });
    expect(res.code).toBe(0);
    const url = res.stdout.trim();
    expect(url).toMatch(/\?exp=\d+&kid=k1&sig=/);
    const fetched = await fetch(url);
    expect(fetched.status).toBe(200);
    await fetched.arrayBuffer();
    // The canonical URL command, signed with the second key.
    const canon = await run(['url', image!.id, 'f=png,w=20', '--sign'], {
      IMAGE_EDGE_SIGNING_KEYS: JSON.stringify(service().signingKeys.slice(1)),
    });
    expect(canon.stdout).toContain(`/img/${image!.id}/width=20,format=png?kid=k0&sig=`);
    expect((await fetch(canon.stdout.trim())).status).toBe(200);
  });

  it('presets set, list and rm; images ls and rm', async () => {
    expect((await run(['presets', 'set', 'cli-hero', 'w=640,h=360,fit=cover,f=auto'])).stdout).toBe(
      'cli-hero = width=640,height=360,fit=cover,format=auto\n',
    );
    const list = await run(['--json', 'presets', 'list']);
    expect(JSON.parse(list.stdout)).toContainEqual(
      expect.objectContaining({ name: 'cli-hero', builtin: false }),
    );
    expect((await run(['presets', 'ls'])).stdout).toMatch(/│ cli-hero\s+│ width=640/);
    expect((await run(['presets', 'rm', 'cli-hero'])).code).toBe(0);
    const again = await run(['presets', 'rm', 'cli-hero']);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/image-edge: 404 Not found: No preset named cli-hero/);

    const images = JSON.parse((await run(['--json', 'images', 'ls', '--all'])).stdout) as {
      id: string;
    }[];
    expect(images.length).toBeGreaterThanOrEqual(14);
    const victim = images.at(-1)!.id;
    expect((await run(['images', 'rm', victim])).stdout).toBe(`deleted ${victim}\n`);
    expect((await run(['images', 'info', victim])).code).toBe(4);
  });

  it('exits with the documented codes', async () => {
    expect((await run(['bogus'])).code).toBe(2);
    expect((await run(['upload'])).code).toBe(2);
    expect((await run(['upload', '/nonexistent-dir'])).code).toBe(2);
    const noUrl = await run(['images', 'ls'], { IMAGE_EDGE_URL: undefined });
    expect(noUrl.code).toBe(3);
    expect(noUrl.stderr).toContain('No service URL');
    expect((await run(['images', 'ls'], { IMAGE_EDGE_API_KEY: 'wrong' })).code).toBe(4);
    const down = await run(['images', 'ls'], { IMAGE_EDGE_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(5);
    expect((await run(['--help'])).code).toBe(0);
  });

  it('reads the URL and key from a config file', async () => {
    const file = path.join(tmp, 'config.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify({ url: service().url, apiKey: service().keys[0] }));
    const res = await run(['--config', file, '--json', 'images', 'ls', '--limit', '2'], {
      IMAGE_EDGE_URL: undefined,
      IMAGE_EDGE_API_KEY: undefined,
    });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toHaveLength(2);
  });
});
