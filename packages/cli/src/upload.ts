/**
 * `image-edge upload <dir|files…>`: uploads originals with a bounded number in flight, a
 * progress bar (bytes, bytes/s, ETA), and a summary. Each file is hashed first (SHA-256):
 * contents the state file lists for this service and key are skipped without a request;
 * the rest are uploaded, and contents the service already had come back as `deduplicated`
 * (stored once, nothing new). The state is saved after every file, so an interrupted run
 * resumes where it stopped.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { ImageEdge } from '@image-edge/client';
import { CliError, describeError, EXIT } from './errors';
import { formatBytes, table } from './format';
import type { UploadState } from './state';

/** File name endings taken from a directory (explicitly named files are always taken). */
const IMAGE_EXT = /\.(jpe?g|png|webp|avif|gif)$/i;

/** One file's outcome. */
export interface FileResult {
  path: string;
  bytes: number;
  sha256: string;
  /** `uploaded` (new), `exists` (the service had it), `skipped` (in the state), `failed`. */
  status: 'uploaded' | 'exists' | 'skipped' | 'failed';
  id?: string;
  error?: string;
}

/** Options of a run. */
export interface UploadRun {
  client: ImageEdge;
  state: UploadState;
  concurrency: number;
  /** Draw the progress bar on stderr. */
  progress: boolean;
  /** Stop starting new files (SIGINT). */
  signal: AbortSignal;
}

/** Every image file below `dir`, sorted (dot files and folders skipped). */
async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full)));
    else if (e.isFile() && IMAGE_EXT.test(e.name)) out.push(full);
  }
  return out.sort();
}

/**
 * The files named by the arguments: directories are walked for images, files taken as they
 * are; duplicates dropped. @throws CliError (usage) for a path that does not exist.
 */
export async function collectFiles(args: string[]): Promise<{ path: string; bytes: number }[]> {
  const seen = new Set<string>();
  const out: { path: string; bytes: number }[] = [];
  for (const arg of args) {
    let info;
    try {
      info = await stat(arg);
    } catch {
      throw new CliError(`${arg}: no such file or directory.`, EXIT.usage);
    }
    const files = info.isDirectory() ? await walk(arg) : [arg];
    for (const f of files) {
      const abs = path.resolve(f);
      if (seen.has(abs)) continue;
      seen.add(abs);
      out.push({ path: f, bytes: (await stat(f)).size });
    }
  }
  return out;
}

/** A progress bar over bytes, with files done, bytes/s and ETA; null when disabled. */
function progressBar(enabled: boolean, totalBytes: number, files: number) {
  if (!enabled) return null;
  const bar = new cliProgress.SingleBar({
    format:
      'upload [{bar}] {percentage}% | {sent}/{size} | {done}/{files} files | {speed} | ETA {eta_formatted}',
    barsize: 24,
    stream: process.stderr,
    hideCursor: true,
    // Not a terminal (CI, a pipe): print a line every second instead of redrawing.
    noTTYOutput: true,
    notTTYSchedule: 1000,
    etaBuffer: 50,
  });
  bar.start(totalBytes, 0, {
    sent: formatBytes(0),
    size: formatBytes(totalBytes),
    done: 0,
    files,
    speed: '0 B/s',
  });
  return bar;
}

/** Runs the upload; resolves with every file's outcome and the seconds taken. */
export async function runUpload(
  files: { path: string; bytes: number }[],
  run: UploadRun,
): Promise<{ results: FileResult[]; seconds: number }> {
  const total = files.reduce((n, f) => n + f.bytes, 0);
  const bar = progressBar(run.progress, total, files.length);
  const started = Date.now();
  const results: FileResult[] = [];
  let done = 0;
  let sentDone = 0; // bytes of finished files (sent, skipped or failed)
  const inFlight = new Map<string, number>();
  const update = () => {
    const inProgress = [...inFlight.values()].reduce((a, b) => a + b, 0);
    const value = Math.min(total, sentDone + inProgress);
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    bar?.update(value, {
      sent: formatBytes(value),
      done,
      speed: `${formatBytes(Math.round(value / seconds))}/s`,
    });
  };

  let next = 0;
  const worker = async () => {
    while (next < files.length && !run.signal.aborted) {
      const file = files[next++] as { path: string; bytes: number };
      const result = await uploadOne(file, run, (loaded) => {
        inFlight.set(file.path, loaded);
        update();
      });
      inFlight.delete(file.path);
      sentDone += file.bytes;
      done++;
      results.push(result);
      update();
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(run.concurrency, files.length)) }, worker),
  );
  bar?.stop();
  const order = new Map(files.map((f, i) => [f.path, i]));
  results.sort((a, b) => (order.get(a.path) ?? 0) - (order.get(b.path) ?? 0));
  return { results, seconds: (Date.now() - started) / 1000 };
}

/** Hashes, checks the state, uploads one file and records it. Never throws. */
async function uploadOne(
  file: { path: string; bytes: number },
  run: UploadRun,
  onBytes: (loaded: number) => void,
): Promise<FileResult> {
  let sha256 = '';
  try {
    const bytes = await readFile(file.path);
    sha256 = createHash('sha256').update(bytes).digest('hex');
    const known = run.state.get(sha256);
    if (known)
      return { path: file.path, bytes: file.bytes, sha256, status: 'skipped', id: known.id };
    const image = await run.client.uploadImage(bytes, {
      onProgress: (p) => onBytes(p.loaded),
      signal: run.signal,
    });
    run.state.set(sha256, {
      id: image.id,
      file: path.resolve(file.path),
      bytes: file.bytes,
      at: new Date().toISOString(),
    });
    return {
      path: file.path,
      bytes: file.bytes,
      sha256,
      status: image.deduplicated ? 'exists' : 'uploaded',
      id: image.id,
    };
  } catch (err) {
    return {
      path: file.path,
      bytes: file.bytes,
      sha256,
      status: 'failed',
      error: describeError(err).message,
    };
  }
}

/** The summary: one row per outcome, then each failed file. */
export function summaryTable(results: FileResult[], seconds: number): string {
  const rows: (string | number)[][] = [];
  const labels: Record<FileResult['status'], string> = {
    uploaded: 'uploaded',
    exists: 'already on the service',
    skipped: 'skipped (in the state file)',
    failed: 'failed',
  };
  for (const status of ['uploaded', 'exists', 'skipped', 'failed'] as const) {
    const these = results.filter((r) => r.status === status);
    rows.push([labels[status], these.length, formatBytes(these.reduce((n, r) => n + r.bytes, 0))]);
  }
  const sent = results.filter((r) => r.status === 'uploaded' || r.status === 'exists');
  const bytes = sent.reduce((n, r) => n + r.bytes, 0);
  rows.push(['sent', sent.length, `${formatBytes(bytes)} in ${seconds.toFixed(1)} s`]);
  let out = table(['result', 'files', 'bytes'], rows);
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length)
    out += `\n${table(
      ['failed file', 'error'],
      failed.map((r) => [r.path, r.error ?? '']),
    )}`;
  return out;
}
