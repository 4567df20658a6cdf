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
 * (parsed and classified by ipaddr.js, IPv6 forms that embed an IPv4 address included) and as
 * the names that mean them (`localhost`, `*.localhost`, `*.local`, `*.internal`).
 * Names are not resolved here (Workers cannot resolve DNS), so the allow-list is the control
 * that matters for names; deployed Workers cannot reach private networks anyway.
 */
import ipaddr from 'ipaddr.js';
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

/** IPv4 from two 16-bit IPv6 parts (the embedded address of 6to4 and NAT64 forms). */
const embeddedV4 = (hi: number, lo: number) =>
  new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);

/** Global unicast IPv6 (2000::/3), the only block with public addresses. */
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');
/** NAT64 well-known prefix (RFC 6052); 64:ff9b:1::/48 (RFC 8215) is for local use. */
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

/**
 * True unless `addr` is a public unicast address. IPv4: anything ipaddr.js files under a
 * special range (RFC 6890: this-network, private, CGNAT, loopback, link-local, reserved,
 * documentation, benchmarking, multicast, broadcast). IPv6: anything outside 2000::/3 (which
 * covers ::1, ::, IPv4-compatible ::a.b.c.d such as `::7f00:1`, unique local fc00::/7,
 * link-local fe80::/10, multicast, discard) or inside one of its special ranges (Teredo,
 * documentation, ORCHID, …), except the forms that embed an IPv4 address, which are judged
 * by that address: IPv4-mapped `::ffff:a.b.c.d`, 6to4 `2002:AABB:CCDD::/48` and NAT64
 * `64:ff9b::a.b.c.d`.
 */
function nonPublic(addr: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (addr.kind() === 'ipv4') return addr.range() !== 'unicast';
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return nonPublic(v6.toIPv4Address());
  if (v6.match(NAT64)) return nonPublic(embeddedV4(v6.parts[6]!, v6.parts[7]!));
  const range = v6.range();
  if (range === '6to4') return nonPublic(embeddedV4(v6.parts[1]!, v6.parts[2]!));
  return !v6.match(GLOBAL_UNICAST) || range !== 'unicast';
}

/** True when a host names a loopback, private, link-local or otherwise internal address. */
export function isPrivateHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  const bare = h.replace(/^\[(.*)\]$/, '$1');
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    h.endsWith('.local') ||
    h.endsWith('.internal') ||
    /^\d+$/.test(h) || // a bare integer is an IPv4 address to URL parsers
    /^0x/.test(h) ||
    (ipaddr.isValid(bare) && nonPublic(ipaddr.parse(bare)))
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
