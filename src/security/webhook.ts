/**
 * Job webhooks: signing, verification, and which callback URLs are allowed.
 *
 * Signature header (the Stripe/Standard Webhooks pattern):
 *   `Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
 * A receiver recomputes the HMAC over the timestamp and the raw body, compares in constant
 * time, and rejects timestamps outside its tolerance (replays). Several `v1=` values may be
 * present (secret rotation); any match verifies.
 *
 * Callback hosts must be on `WEBHOOK_ALLOWED_HOSTS` (exact names, or `*.suffix` for any
 * subdomain) and use https. Outside local development (`WEBHOOK_ALLOW_PRIVATE=true`),
 * loopback, private, link-local and other non-public addresses are refused, as IP literals
 * and as the names that mean them (`localhost`, `*.localhost`, `*.local`, `*.internal`).
 * Names are not resolved here (Workers cannot resolve DNS), so the allow-list is the control
 * that matters for names; deployed Workers cannot reach private networks anyway.
 */
import type { Config } from '../config';
import { toHex } from '../hash';
import { badRequest } from '../errors';

const encoder = new TextEncoder();

async function hmac(secret: string, text: string): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return crypto.subtle.sign('HMAC', key, encoder.encode(text));
}

/**
 * The `Webhook-Signature` value for `body` at `timestamp` (unix seconds).
 * @throws Error when `secret` is empty.
 */
export async function signWebhook(
  secret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Promise<string> {
  if (!secret) throw new Error('webhook: no signing secret');
  return `t=${timestamp},v1=${toHex(await hmac(secret, `${timestamp}.${body}`))}`;
}

/**
 * Verifies a `Webhook-Signature` header against the raw body: a well-formed header, a
 * timestamp within `toleranceS` of `now` (unix seconds), and a matching `v1` HMAC (constant
 * time comparison).
 */
export async function verifyWebhook(
  secret: string,
  header: string | null,
  body: string,
  { toleranceS = 300, now = Math.floor(Date.now() / 1000) } = {},
): Promise<boolean> {
  if (!secret || !header) return false;
  let t: number | undefined;
  const sigs: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && v && /^[0-9a-f]{64}$/.test(v)) sigs.push(v);
  }
  if (t === undefined || sigs.length === 0 || Math.abs(now - t) > toleranceS) return false;
  const expected = new Uint8Array(await hmac(secret, `${t}.${body}`));
  let ok = false;
  for (const s of sigs) {
    const got = new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
    if (crypto.subtle.timingSafeEqual(got, expected)) ok = true;
  }
  return ok;
}

/** True for an IPv4 literal in a non-public range (RFC 6890 special-purpose blocks). */
function privateIPv4(host: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

/** True for an IPv6 literal (with or without brackets) that is not a public unicast address. */
function privateIPv6(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (!h.includes(':')) return false;
  if (h === '::' || h === '::1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped) return privateIPv4(mapped[1]!);
  if (/^::ffff:/.test(h)) return true; // hex-form mapped addresses: refuse rather than decode
  return /^(fc|fd|fe[89ab]|ff)/.test(h); // unique local, link-local, multicast
}

/** True when a host names a loopback, private, link-local or otherwise internal address. */
export function isPrivateHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    h.endsWith('.local') ||
    h.endsWith('.internal') ||
    privateIPv4(h) ||
    privateIPv6(h) ||
    /^\d+$/.test(h) || // a bare integer is an IPv4 address to URL parsers
    /^0x/.test(h)
  );
}

/** True when `host` matches an allow-list entry (`name` exactly or `*.suffix`). */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowed.some((entry) =>
    entry.startsWith('*.')
      ? h.endsWith(entry.slice(1)) && h.length > entry.length - 1
      : h === entry,
  );
}

/**
 * Validates a job's callback URL against the configuration.
 * @returns the normalised URL.
 * @throws HttpError 400 naming `callback_url` when it is malformed, not https (http only in
 *   local development), has credentials, names a host off the allow-list, or a private address.
 */
export function checkCallbackUrl(raw: string, config: Config): URL {
  const fail = (detail: string) => badRequest(detail, { option: 'callback_url' });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fail('callback_url must be an absolute URL.');
  }
  if (raw.length > 2048) throw fail('callback_url is longer than 2048 characters.');
  const schemes = config.webhookAllowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) throw fail('callback_url must use https.');
  if (url.username || url.password) throw fail('callback_url must not carry credentials.');
  if (!hostAllowed(url.hostname, config.webhookAllowedHosts))
    throw fail(
      config.webhookAllowedHosts.length === 0
        ? 'Webhooks are not enabled here (WEBHOOK_ALLOWED_HOSTS is empty).'
        : `The host ${url.hostname} is not on the webhook allow-list.`,
    );
  if (!config.webhookAllowPrivate && isPrivateHost(url.hostname))
    throw fail(`The host ${url.hostname} is a loopback or private address.`);
  url.hash = '';
  return url;
}
