/**
 * The upload state file: which contents (by SHA-256) this service and API key already have,
 * so a later run skips them without sending a byte, and an interrupted run resumes. Written
 * after every finished file (to a temporary file, then renamed, so a crash never leaves half
 * a file). Default: `$XDG_STATE_HOME/image-edge/uploads.json` (else `~/.local/state/…`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, EXIT } from './errors';

/** What the state remembers about one uploaded content. */
export interface Uploaded {
  id: string;
  /** The file it was last uploaded from. */
  file: string;
  bytes: number;
  at: string;
}

interface StateFile {
  version: 1;
  /** By service key ({@link serviceKey}), then by SHA-256 (hex). */
  services: Record<string, Record<string, Uploaded>>;
}

/** The default state file path. */
export function defaultStatePath(env = process.env): string {
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'image-edge', 'uploads.json');
}

/**
 * Dedup is per owner, so the state is kept per service URL and API key (the key itself is
 * never written: only 16 hex digits of its SHA-256).
 */
export function serviceKey(url: string, apiKey: string): string {
  return `${url} ${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;
}

/** The state of one service and key, loaded from `file` (or kept in memory when null). */
export class UploadState {
  private readonly data: StateFile;
  private readonly entries: Record<string, Uploaded>;

  constructor(
    private readonly file: string | null,
    key: string,
  ) {
    this.data = { version: 1, services: {} };
    if (file && existsSync(file)) {
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
        if (parsed.version !== 1 || typeof parsed.services !== 'object') throw new Error();
        this.data = parsed;
      } catch {
        throw new CliError(
          `The state file ${file} is not readable; move it away or pass --no-state.`,
          EXIT.config,
        );
      }
    }
    this.entries = this.data.services[key] ??= {};
  }

  /** The record for a content hash, if this service already has it. */
  get(sha256: string): Uploaded | undefined {
    return this.entries[sha256];
  }

  /** Records a finished upload and saves at once. */
  set(sha256: string, entry: Uploaded): void {
    this.entries[sha256] = entry;
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 1));
    renameSync(tmp, this.file);
  }
}
