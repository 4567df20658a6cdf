/**
 * The Worker secrets a deployment needs: strong values generated on first deploy, and checks
 * that refuse the example values of `.dev.vars.example` (publicly known) or weak ones.
 */
import { randomBytes } from 'node:crypto';

/** Secrets every deployed Worker gets (formats in .dev.vars.example). */
export const SECRET_NAMES = ['API_KEYS', 'SIGNING_KEYS', 'WEBHOOK_SECRET'];

/** Shortest key or secret accepted, characters (signature.ts asks 32 for signing keys). */
const MIN_SECRET_CHARS = 32;

/** 32 random bytes as base64url (43 characters, 256 bits). */
const random = () => randomBytes(32).toString('base64url');

/**
 * Fresh values for `names`: one admin API key (all scopes), one signing key (kid `k` + today's
 * date), one webhook secret.
 * @returns `{ values: { NAME: string }, apiKey }` (apiKey: the plain key, to print once, or null)
 */
export function generateSecrets(names, now = new Date()) {
  const values = {};
  let apiKey = null;
  if (names.includes('API_KEYS')) {
    apiKey = `ie_${random()}`;
    values.API_KEYS = JSON.stringify([
      { key: apiKey, owner: 'admin', scopes: ['read', 'upload', 'admin'] },
    ]);
  }
  if (names.includes('SIGNING_KEYS')) {
    const kid = `k${now.toISOString().slice(0, 10).replaceAll('-', '')}`;
    values.SIGNING_KEYS = JSON.stringify([{ kid, key: random() }]);
  }
  if (names.includes('WEBHOOK_SECRET')) values.WEBHOOK_SECRET = random();
  return { values, apiKey };
}

/** The secret strings inside a value: each key of a JSON list (strings or `{ key }`), else it. */
function secretStrings(name, value) {
  if (name === 'WEBHOOK_SECRET') return [value];
  let list;
  try {
    list = JSON.parse(value);
  } catch {
    throw new Error(`${name} is not JSON (a list, see .dev.vars.example)`);
  }
  if (!Array.isArray(list)) throw new Error(`${name} must be a JSON list (see .dev.vars.example)`);
  return list.map((e) => (typeof e === 'string' ? e : String(e?.key ?? '')));
}

/**
 * Every secret string written in `.dev.vars.example`, commented examples included: the values
 * a deployment must never use.
 */
export function exampleSecrets(exampleText) {
  const out = new Set();
  for (const m of exampleText.matchAll(/^[#\s]*(?:Example:\s*)?([A-Z_]+)=(.+)$/gm)) {
    const [, name, value] = m;
    if (!SECRET_NAMES.includes(name)) continue;
    try {
      for (const s of secretStrings(name, value.trim())) if (s) out.add(s);
    } catch {
      out.add(value.trim());
    }
  }
  return out;
}

/**
 * Checks values given for a deployment (e.g. CI secrets in the environment).
 * @param provided `{ NAME: value }`, only the names that were given
 * @throws Error naming the secret and the reason: not JSON, an empty list (SIGNING_KEYS: signing
 *   would silently turn off), a value from .dev.vars.example, or shorter than 32 characters
 */
export function checkProvidedSecrets(provided, examples) {
  for (const [name, value] of Object.entries(provided)) {
    const strings = secretStrings(name, value);
    if (!strings.length)
      throw new Error(
        `${name} is an empty list: ${name === 'SIGNING_KEYS' ? 'URL signing would be off' : 'nobody could call the API'}`,
      );
    for (const s of strings) {
      if (examples.has(s))
        throw new Error(`${name} holds the example value "${s}" from .dev.vars.example`);
      if (s.length < MIN_SECRET_CHARS)
        throw new Error(`${name} holds a key shorter than ${MIN_SECRET_CHARS} characters`);
    }
  }
}
