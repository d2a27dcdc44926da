/**
 * Splitting a byte payload (weights, an update, a ciphertext) into numbered chunks and joining it back
 * with verification. gRPC refuses messages above 4 MiB by default; chunks of at most 1 MiB keep every
 * message far below that, so a 10M-parameter model (40 MB of float32) goes through unchanged limits.
 *
 * Receiving contract (what {@link createPayloadAssembler} enforces, each with its own `info.reason`):
 * - the header is checked before any chunk (`bad_header`): size within `maxBytes`, chunk size within
 *   `MAX_CHUNK_BYTES`, a 32-byte digest, a chunk count that matches length / chunk size;
 * - chunks arrive with seq 0, 1, 2 ... : a seq already seen is `duplicate`, any other gap is `reordered`;
 * - a chunk larger than the header's chunk size is `chunk_too_large`; more bytes or chunks than announced
 *   is `oversize`; a short chunk before the last one is `truncated`;
 * - finishing early is `truncated`; a SHA-256 over the joined bytes that differs is `digest_mismatch`.
 * All of these are VERIFICATION_FAILED errors: the receiver drops the payload, never a partial one.
 */
import { createHash, type Hash } from 'node:crypto';
import { assertArgument, makeError, type AidocError } from '../../common/errors.js';

/** Largest chunk this transport sends or accepts: 1 MiB. */
export const MAX_CHUNK_BYTES = 1 << 20;

/** The part of a `PayloadHeader` (aidoc.v1) that describes the bytes. */
export interface PayloadDigest {
  byteLength: number;
  /** SHA-256 of the joined payload, 32 bytes. */
  sha256: Buffer;
  chunkCount: number;
  chunkSize: number;
}

/** One `PayloadChunk` (aidoc.v1). */
export interface Chunk {
  seq: number;
  data: Buffer;
}

export interface SplitOptions {
  /**
   * Bytes per chunk (every chunk but the last has exactly this size).
   * @defaultValue {@link MAX_CHUNK_BYTES}
   */
  chunkSize?: number;
}

export type ChunkRejection =
  'bad_header' | 'duplicate' | 'reordered' | 'chunk_too_large' | 'oversize' | 'truncated' | 'digest_mismatch';

function reject(message: string, reason: ChunkRejection, info: Record<string, unknown> = {}): AidocError {
  return makeError(message, 'VERIFICATION_FAILED', { reason, ...info });
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * Describes `data` as a chunked payload and returns its chunks. The chunks are views into `data`
 * (no copy); keep `data` unchanged until they are sent.
 */
export function splitPayload(
  data: Uint8Array,
  options: SplitOptions = {},
): { digest: PayloadDigest; chunks: Chunk[] } {
  const chunkSize = options.chunkSize ?? MAX_CHUNK_BYTES;
  assertArgument(
    Number.isInteger(chunkSize) && chunkSize > 0 && chunkSize <= MAX_CHUNK_BYTES,
    `chunkSize must be an integer in [1, ${MAX_CHUNK_BYTES}], got ${chunkSize}`,
  );
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const chunks: Chunk[] = [];
  for (let offset = 0, seq = 0; offset < buf.length; offset += chunkSize, seq++) {
    chunks.push({ seq, data: buf.subarray(offset, Math.min(offset + chunkSize, buf.length)) });
  }
  return {
    digest: { byteLength: buf.length, sha256: sha256(buf), chunkCount: chunks.length, chunkSize },
    chunks,
  };
}

export interface AssemblerOptions {
  /**
   * Largest payload accepted, in bytes; a header announcing more is refused before any memory is taken.
   * @defaultValue 256 MiB
   */
  maxBytes?: number;
  /**
   * Keep the bytes (false: only verify order, sizes and digest, for a receiver that consumes each
   * chunk as it arrives; `finish` then returns an empty buffer).
   * @defaultValue true
   */
  retain?: boolean;
}

export interface PayloadAssembler {
  /** Adds the next chunk; throws VERIFICATION_FAILED (see the module comment) on any deviation. */
  push(chunk: Chunk): void;
  /** Bytes received so far. */
  readonly received: number;
  /** Checks completeness and the digest, and returns the payload. */
  finish(): Buffer;
}

/** Checks a header and prepares to receive its chunks into one preallocated buffer. */
export function createPayloadAssembler(
  digest: PayloadDigest,
  options: AssemblerOptions = {},
): PayloadAssembler {
  const maxBytes = options.maxBytes ?? 256 * MAX_CHUNK_BYTES;
  const { byteLength, chunkCount, chunkSize } = digest;
  if (!Number.isSafeInteger(byteLength) || byteLength < 0 || byteLength > maxBytes) {
    throw reject(`payload of ${byteLength} bytes is outside [0, ${maxBytes}]`, 'bad_header', {
      byteLength,
      maxBytes,
    });
  }
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_BYTES) {
    throw reject(`chunk size ${chunkSize} is outside [1, ${MAX_CHUNK_BYTES}]`, 'bad_header', { chunkSize });
  }
  if (chunkCount !== Math.ceil(byteLength / chunkSize)) {
    throw reject(
      `header announces ${chunkCount} chunks, but ${byteLength} bytes in chunks of ${chunkSize} make ${Math.ceil(byteLength / chunkSize)}`,
      'bad_header',
      { chunkCount, byteLength, chunkSize },
    );
  }
  if (digest.sha256.length !== 32) {
    throw reject(`header digest has ${digest.sha256.length} bytes, expected a 32-byte SHA-256`, 'bad_header');
  }
  const out = options.retain === false ? undefined : Buffer.allocUnsafe(byteLength);
  const hash: Hash = createHash('sha256');
  let next = 0;
  let received = 0;
  let finished = false;

  return {
    get received() {
      return received;
    },
    push(chunk: Chunk): void {
      if (finished) throw reject('chunk after the payload was finished', 'oversize', { seq: chunk.seq });
      if (chunk.seq !== next) {
        throw chunk.seq < next
          ? reject(`chunk ${chunk.seq} arrived twice`, 'duplicate', { seq: chunk.seq, expected: next })
          : reject(`chunk ${chunk.seq} arrived where chunk ${next} was expected`, 'reordered', {
              seq: chunk.seq,
              expected: next,
            });
      }
      if (chunk.seq >= chunkCount) {
        throw reject(`chunk ${chunk.seq} is beyond the announced ${chunkCount} chunks`, 'oversize', {
          seq: chunk.seq,
        });
      }
      if (chunk.data.length > chunkSize) {
        throw reject(
          `chunk ${chunk.seq} has ${chunk.data.length} bytes, more than the chunk size ${chunkSize}`,
          'chunk_too_large',
          {
            seq: chunk.seq,
          },
        );
      }
      if (received + chunk.data.length > byteLength) {
        throw reject(`chunk ${chunk.seq} goes past the announced ${byteLength} bytes`, 'oversize', {
          seq: chunk.seq,
        });
      }
      // Every chunk but the last must be full, so a sender cannot shift bytes across chunk boundaries.
      if (chunk.seq < chunkCount - 1 && chunk.data.length !== chunkSize) {
        throw reject(
          `chunk ${chunk.seq} has ${chunk.data.length} bytes; all but the last must have ${chunkSize}`,
          'truncated',
          {
            seq: chunk.seq,
          },
        );
      }
      if (out) chunk.data.copy(out, received);
      hash.update(chunk.data);
      received += chunk.data.length;
      next++;
    },
    finish(): Buffer {
      if (finished) throw makeError('payload already finished', 'INTERNAL');
      finished = true;
      if (received !== byteLength || next !== chunkCount) {
        throw reject(
          `payload truncated: ${received} of ${byteLength} bytes in ${next} of ${chunkCount} chunks`,
          'truncated',
          {
            received,
            byteLength,
          },
        );
      }
      const actual = hash.digest();
      if (!actual.equals(digest.sha256)) {
        throw reject(
          `payload SHA-256 ${actual.toString('hex').slice(0, 16)}… does not match the announced ${digest.sha256.toString('hex').slice(0, 16)}…`,
          'digest_mismatch',
        );
      }
      return out ?? Buffer.alloc(0);
    },
  };
}

/** Joins chunks into the payload, verifying them against `digest` (see {@link createPayloadAssembler}). */
export function joinPayload(
  digest: PayloadDigest,
  chunks: Iterable<Chunk>,
  options: AssemblerOptions = {},
): Buffer {
  const assembler = createPayloadAssembler(digest, options);
  for (const c of chunks) assembler.push(c);
  return assembler.finish();
}
