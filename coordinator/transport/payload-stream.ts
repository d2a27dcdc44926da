/**
 * Payloads over gRPC streams: a header, then numbered chunks of at most 1 MiB, then a trailer
 * (aidoc.v1 `PayloadPart`, `PushUpdateRequest`, `PushOpenResultRequest` all have this shape).
 *
 * Sending side: {@link describePayload} computes the `PayloadHeader` (length, SHA-256, chunking) and the
 * chunks; {@link chunkedMessages} yields the stream's messages for any header type.
 * Receiving side: {@link receiveChunked} checks the order header → chunks → trailer, lets the caller
 * vet the header before a single chunk is buffered (`onHeader`: unknown task, closed round, wrong
 * length ...), and returns the verified bytes or throws VERIFICATION_FAILED with `info.reason`.
 */
import { makeError, throwIfAborted } from '../../common/errors.js';
import type { PayloadChunk } from '../../protos/generated/aidoc/v1/PayloadChunk.js';
import type { PayloadEncoding } from '../../protos/generated/aidoc/v1/PayloadEncoding.js';
import type { PayloadHeader__Output } from '../../protos/generated/aidoc/v1/PayloadHeader.js';
import type {
  PayloadTrailer,
  PayloadTrailer__Output,
} from '../../protos/generated/aidoc/v1/PayloadTrailer.js';
import {
  createPayloadAssembler,
  splitPayload,
  type AssemblerOptions,
  type Chunk,
  type SplitOptions,
} from './chunks.js';

export interface PayloadMeta {
  /** @defaultValue `'PAYLOAD_ENCODING_PLAIN_F32'` */
  encoding?: Exclude<PayloadEncoding, number>;
  /** @defaultValue byteLength / 4 for PLAIN_F32, else 0 */
  elementCount?: number;
  /** @defaultValue `''` */
  contentType?: string;
  /** @defaultValue empty */
  encodingParams?: Buffer;
}

/** The header and chunks for sending `data`. Chunks are views into `data`: keep it unchanged until sent. */
export function describePayload(
  data: Uint8Array,
  meta: PayloadMeta = {},
  options: SplitOptions = {},
): { header: PayloadHeader__Output; chunks: Chunk[] } {
  const { digest, chunks } = splitPayload(data, options);
  const encoding = meta.encoding ?? 'PAYLOAD_ENCODING_PLAIN_F32';
  if (encoding === 'PAYLOAD_ENCODING_PLAIN_F32' && digest.byteLength % 4 !== 0) {
    throw makeError(
      `a PLAIN_F32 payload needs a multiple of 4 bytes, got ${digest.byteLength}`,
      'INVALID_ARGUMENT',
    );
  }
  return {
    header: {
      encoding,
      byteLength: digest.byteLength,
      sha256: digest.sha256,
      chunkCount: digest.chunkCount,
      chunkSize: digest.chunkSize,
      elementCount:
        meta.elementCount ?? (encoding === 'PAYLOAD_ENCODING_PLAIN_F32' ? digest.byteLength / 4 : 0),
      contentType: meta.contentType ?? '',
      encodingParams: meta.encodingParams ?? Buffer.alloc(0),
    },
    chunks,
  };
}

/** One message of a chunked stream with header type `H`. */
export type ChunkedMessage<H> = { header: H } | { chunk: PayloadChunk } | { trailer: PayloadTrailer };

/** The messages of a chunked stream: `header`, every chunk, then a trailer (signature fields optional). */
export function* chunkedMessages<H>(
  header: H,
  chunks: Chunk[],
  trailer: Omit<PayloadTrailer, 'chunkCount'> = {},
): Generator<ChunkedMessage<H>> {
  yield { header };
  for (const c of chunks) yield { chunk: { seq: c.seq, data: c.data } };
  yield { trailer: { ...trailer, chunkCount: chunks.length } };
}

/** A received message of a chunked stream, as decoded (with the `part` oneof discriminator). */
export interface ReceivedChunkedMessage<H> {
  header?: H | null;
  chunk?: { seq: number; data: Buffer } | null;
  trailer?: PayloadTrailer__Output | null;
  part?: 'header' | 'chunk' | 'trailer';
}

export interface ReceiveChunkedOptions<H> extends AssemblerOptions {
  /** Where the stream's header keeps its `PayloadHeader` (e.g. `(h) => h.payload` for an UpdateHeader). */
  payloadOf: (header: H) => PayloadHeader__Output | null | undefined;
  /**
   * Vets the header before any chunk is accepted; throw (e.g. NOT_FOUND, VERIFICATION_FAILED) to reject.
   * Returning a function streams the payload instead of buffering it: each chunk, once its order
   * and size are checked, is handed to that function and not kept (the digest is still checked at
   * the end, and the returned `data` is empty).
   * @defaultValue accept
   */
  onHeader?: (header: H) => void | ChunkConsumer | Promise<void | ChunkConsumer>;
  /** Stops receiving (throws ABORTED). */
  signal?: AbortSignal;
}

/** Takes each verified chunk of a streamed payload, in order. */
export type ChunkConsumer = (data: Buffer) => void;

export interface ReceivedPayload<H> {
  header: H;
  payload: PayloadHeader__Output;
  data: Buffer;
  trailer: PayloadTrailer__Output;
}

function protocolError(message: string): Error {
  return makeError(message, 'VERIFICATION_FAILED', { reason: 'protocol' });
}

/**
 * Receives one chunked payload from a stream of messages and verifies it (see chunks.ts for the rules;
 * a message out of the header → chunks → trailer order fails with `info.reason === 'protocol'`).
 */
export async function receiveChunked<H>(
  messages: AsyncIterable<ReceivedChunkedMessage<H>>,
  options: ReceiveChunkedOptions<H>,
): Promise<ReceivedPayload<H>> {
  let header: H | undefined;
  let payload: PayloadHeader__Output | undefined;
  let assembler: ReturnType<typeof createPayloadAssembler> | undefined;
  let trailer: PayloadTrailer__Output | undefined;
  let consumer: ChunkConsumer | undefined;
  for await (const m of messages) {
    throwIfAborted(options.signal, 'receiving a payload');
    const part = m.part ?? (m.header ? 'header' : m.chunk ? 'chunk' : m.trailer ? 'trailer' : undefined);
    if (trailer) throw protocolError(`a ${part ?? 'message'} arrived after the trailer`);
    if (part === 'header' && m.header) {
      if (header !== undefined) throw protocolError('a second header arrived');
      header = m.header;
      const p = options.payloadOf(header);
      if (!p)
        throw makeError('the header carries no payload description', 'VERIFICATION_FAILED', {
          reason: 'bad_header',
        });
      payload = p;
      consumer = (await options.onHeader?.(header)) ?? undefined;
      assembler = createPayloadAssembler(p, { ...options, retain: consumer === undefined });
    } else if (part === 'chunk' && m.chunk) {
      if (!assembler) throw protocolError('a chunk arrived before the header');
      assembler.push({ seq: m.chunk.seq, data: m.chunk.data });
      consumer?.(m.chunk.data);
    } else if (part === 'trailer' && m.trailer) {
      if (!assembler || !payload) throw protocolError('the trailer arrived before the header');
      if (m.trailer.chunkCount !== payload.chunkCount) {
        throw makeError(
          `trailer counts ${m.trailer.chunkCount} chunks, the header announced ${payload.chunkCount}`,
          'VERIFICATION_FAILED',
          { reason: 'truncated' },
        );
      }
      trailer = m.trailer;
    } else {
      throw protocolError('an empty message arrived');
    }
  }
  throwIfAborted(options.signal, 'receiving a payload');
  if (header === undefined || !assembler || !payload)
    throw protocolError('the stream ended before its header');
  if (!trailer) {
    throw makeError(
      `the stream ended without a trailer after ${assembler.received} of ${payload.byteLength} bytes`,
      'VERIFICATION_FAILED',
      {
        reason: 'truncated',
      },
    );
  }
  return { header, payload, data: assembler.finish(), trailer };
}

/** The bytes of a float32 vector in the wire's little-endian order (a view on little-endian hosts). */
export function float32ToBytes(values: Float32Array): Buffer {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return isLittleEndian ? bytes : Buffer.from(bytes).swap32();
}

/** A float32 vector from wire bytes (little-endian); copies only when alignment or byte order need it. */
export function bytesToFloat32(bytes: Buffer): Float32Array {
  if (bytes.byteLength % 4 !== 0) {
    throw makeError(
      `a float32 payload needs a multiple of 4 bytes, got ${bytes.byteLength}`,
      'VERIFICATION_FAILED',
      {
        reason: 'bad_length',
      },
    );
  }
  const aligned = bytes.byteOffset % 4 === 0 && isLittleEndian ? bytes : Buffer.from(bytes);
  if (!isLittleEndian) aligned.swap32();
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}

const isLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
