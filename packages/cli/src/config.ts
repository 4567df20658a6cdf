/**
 * Settings from flags, then the environment (`IMAGE_EDGE_URL`, `IMAGE_EDGE_API_KEY`,
 * `IMAGE_EDGE_SIGNING_KEYS`), then a JSON config file (`--config`, `IMAGE_EDGE_CONFIG`, or
 * `$XDG_CONFIG_HOME/image-edge/config.json`): `{ "url", "apiKey", "signingKeys" }`.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSigningKeys, type SigningKey } from '../../../src/security/signature';
import { CliError, EXIT } from './errors';

/** Resolved settings. */
export interface Config {
  /** Service origin without a trailing slash. */
  url: string;
  apiKey: string | undefined;
  /** Signing keys (`SIGNING_KEYS` format); the first signs unless `--kid` names another. */
  signingKeys: SigningKey[];
}

/** Global flags as commander parses them. */
export interface GlobalFlags {
  url?: string;
  apiKey?: string;
  config?: string;
}

/** The default config file path (under `$XDG_CONFIG_HOME`, else `~/.config`). */
export function defaultConfigPath(env = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'image-edge', 'config.json');
}

/** Reads the config file; `explicit` must exist, the default path may be absent. */
function readFile(file: string, explicit: boolean): Record<string, unknown> {
  if (!existsSync(file)) {
    if (explicit) throw new CliError(`Config file ${file} does not exist.`, EXIT.config);
    return {};
  }
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error();
    return value as Record<string, unknown>;
  } catch {
    throw new CliError(`Config file ${file} is not a JSON object.`, EXIT.config);
  }
}

/**
 * Resolves the settings. `needKey`: the command calls the API.
 * @throws CliError (exit 3) when the URL (or a needed API key) is missing or malformed.
 */
export function loadConfig(flags: GlobalFlags, needKey: boolean, env = process.env): Config {
  const explicit = flags.config ?? env.IMAGE_EDGE_CONFIG;
  const file = readFile(explicit ?? defaultConfigPath(env), explicit !== undefined);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const url = flags.url ?? str(env.IMAGE_EDGE_URL) ?? str(file.url);
  const apiKey = flags.apiKey ?? str(env.IMAGE_EDGE_API_KEY) ?? str(file.apiKey);
  if (!url)
    throw new CliError(
      'No service URL: pass --url, set IMAGE_EDGE_URL, or put "url" in the config file.',
      EXIT.config,
    );
  if (!/^https?:\/\/[^/]+/i.test(url))
    throw new CliError(`The service URL must be http(s)://host[:port], got ${url}.`, EXIT.config);
  if (needKey && !apiKey)
    throw new CliError(
      'No API key: pass --api-key, set IMAGE_EDGE_API_KEY, or put "apiKey" in the config file.',
      EXIT.config,
    );
  let signingKeys: SigningKey[] = [];
  const rawKeys =
    str(env.IMAGE_EDGE_SIGNING_KEYS) ??
    (file.signingKeys === undefined ? undefined : JSON.stringify(file.signingKeys));
  try {
    signingKeys = parseSigningKeys(rawKeys);
  } catch (err) {
    throw new CliError(`Signing keys: ${(err as Error).message}`, EXIT.config);
  }
  return { url: url.replace(/\/+$/, ''), apiKey, signingKeys };
}
