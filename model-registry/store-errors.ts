/**
 * Turns what the IPFS libraries throw into our coded errors. Helia's stores and the Kubo RPC
 * client give each condition an error class with a stable `name` (NotFoundError, AbortError,
 * TimeoutError, HTTPError); we branch on those names, never on message text, except where noted.
 */
import { AidocError, makeError } from '../common/errors.js';

/** The error's `name`, read without `instanceof` (errors may come from another realm). */
export function errorName(e: unknown): string {
  const name = (e as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' ? name : '';
}

/** Maps a failure of a store call on `cid` to a coded error; coded errors pass through. */
export function storeError(
  e: unknown,
  what: string,
  cid: string | undefined,
  signal?: AbortSignal,
): AidocError {
  if (e instanceof AidocError) return e;
  const info = cid === undefined ? {} : { cid };
  if (signal?.aborted || errorName(e) === 'AbortError') {
    return makeError(
      `${what} was cancelled`,
      'ABORTED',
      { ...info, reason: String(signal?.reason ?? 'aborted') },
      e,
    );
  }
  if (errorName(e) === 'NotFoundError') {
    return makeError(`${what}: the store does not hold ${cid ?? 'this content'}`, 'NOT_FOUND', info, e);
  }
  return makeError(`${what} failed: ${e instanceof Error ? e.message : String(e)}`, 'INTERNAL', info, e);
}

export function concatChunks(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]?.byteLength === total) return chunks[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

export function tooLarge(cid: string, maxBytes: number): AidocError {
  return makeError(
    `${cid} is larger than the ${maxBytes} bytes expected; refusing to read further`,
    'VERIFICATION_FAILED',
    { cid, maxBytes, reason: 'size' },
  );
}
