/**
 * Reading a byte stream into memory with a bound: what an upload without a length and an
 * origin's answer both need. Chunks are counted as they arrive, so at most one chunk past the
 * bound is ever held.
 */

/** Concatenates chunks into one array of `total` bytes. */
function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Reads from `reader` until at least `want` bytes (or the end).
 * @returns the bytes read, and whether the stream has ended.
 */
export async function readAtLeast(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  want: number,
): Promise<{ bytes: Uint8Array; done: boolean }> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < want) {
    const { value, done } = await reader.read();
    if (done) return { bytes: concat(chunks, total), done: true };
    chunks.push(value);
    total += value.byteLength;
  }
  return { bytes: concat(chunks, total), done: false };
}

/**
 * Reads the whole stream when it holds at most `maxBytes`; otherwise cancels it as soon as
 * the count passes `maxBytes`.
 * @returns the bytes, or null when the stream is longer than `maxBytes`.
 */
export async function readAtMost(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array | null> {
  const { bytes, done } = await readAtLeast(reader, maxBytes + 1);
  if (done && bytes.byteLength <= maxBytes) return bytes;
  await reader.cancel().catch(() => undefined);
  return null;
}
