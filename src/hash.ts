/**
 * SHA-256 and hex: the one place that turns digests into strings (content addresses, spec
 * hashes, key hashes, signatures).
 */

const encoder = new TextEncoder();

/** Lowercase hex of bytes (two digits per byte). */
export const toHex = (bytes: Uint8Array | ArrayBuffer): string =>
  Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

/** SHA-256 (FIPS 180-4) of bytes, or of a string's UTF-8 encoding: 32 bytes. */
export const sha256 = async (data: Uint8Array | string): Promise<Uint8Array> =>
  new Uint8Array(
    await crypto.subtle.digest('SHA-256', typeof data === 'string' ? encoder.encode(data) : data),
  );

/** Lowercase hex SHA-256 (64 digits) of bytes or of a string's UTF-8 encoding. */
export const sha256Hex = async (data: Uint8Array | string): Promise<string> =>
  toHex(await sha256(data));
