import { createHash } from 'node:crypto';
import { isError, makeError } from '../../common/errors.js';
import {
  MAX_CHUNK_BYTES,
  createPayloadAssembler,
  joinPayload,
  splitPayload,
  type Chunk,
  type PayloadDigest,
} from '../../coordinator/transport/chunks.js';
import {
  bytesToFloat32,
  chunkedMessages,
  describePayload,
  float32ToBytes,
  receiveChunked,
  type ReceivedChunkedMessage,
} from '../../coordinator/transport/payload-stream.js';

/** Deterministic bytes (a fixed-seed xorshift), so failures reproduce. */
function bytes(n: number, seed = 7): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    if (isError(e, 'VERIFICATION_FAILED')) return e.info.reason;
    throw e;
  }
  throw new Error('expected VERIFICATION_FAILED');
}

async function asyncReasonOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    if (isError(e, 'VERIFICATION_FAILED')) return e.info.reason;
    throw e;
  }
  throw new Error('expected VERIFICATION_FAILED');
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const i of items) yield await Promise.resolve(i); // an asynchronous source, like a gRPC stream
}

describe('chunks', () => {
  const data = bytes(3 * MAX_CHUNK_BYTES + 12_345);
  const { digest, chunks } = splitPayload(data);

  test('split gives full 1 MiB chunks, a short last one, and the SHA-256 of the whole', () => {
    expect(chunks.map((c) => c.data.length)).toEqual([
      MAX_CHUNK_BYTES,
      MAX_CHUNK_BYTES,
      MAX_CHUNK_BYTES,
      12_345,
    ]);
    expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2, 3]);
    expect(digest).toEqual({
      byteLength: data.length,
      sha256: createHash('sha256').update(data).digest(),
      chunkCount: 4,
      chunkSize: MAX_CHUNK_BYTES,
    });
    expect(joinPayload(digest, chunks).equals(data)).toBe(true);
  });

  test('empty and odd-sized payloads round-trip with small chunks', () => {
    const empty = splitPayload(Buffer.alloc(0));
    expect(empty.digest.chunkCount).toBe(0);
    expect(joinPayload(empty.digest, empty.chunks).length).toBe(0);
    const small = bytes(1001, 3);
    const s = splitPayload(small, { chunkSize: 100 });
    expect(s.chunks).toHaveLength(11);
    expect(joinPayload(s.digest, s.chunks).equals(small)).toBe(true);
  });

  test('reordered, duplicated, truncated and tampered chunks are rejected, each with its reason', () => {
    const [c0, c1, c2, c3] = chunks as [Chunk, Chunk, Chunk, Chunk];
    expect(reasonOf(() => joinPayload(digest, [c0, c2, c1, c3]))).toBe('reordered');
    expect(reasonOf(() => joinPayload(digest, [c0, c0, c1, c2, c3]))).toBe('duplicate');
    expect(reasonOf(() => joinPayload(digest, [c0, c1, c2]))).toBe('truncated');
    const tampered = Buffer.from(c2.data);
    tampered[500] = (tampered[500] as number) ^ 1;
    expect(reasonOf(() => joinPayload(digest, [c0, c1, { seq: 2, data: tampered }, c3]))).toBe(
      'digest_mismatch',
    );
    expect(
      reasonOf(() =>
        joinPayload(digest, [c0, c1, c2, { seq: 3, data: Buffer.concat([c3.data, Buffer.from([1])]) }]),
      ),
    ).toBe('oversize');
    expect(reasonOf(() => joinPayload(digest, [c0, { seq: 1, data: c1.data.subarray(1) }, c2, c3]))).toBe(
      'truncated',
    );
    expect(reasonOf(() => joinPayload(digest, [c0, c1, c2, c3, { seq: 4, data: Buffer.alloc(0) }]))).toBe(
      'oversize',
    );
    const tooBig: PayloadDigest = { ...digest, byteLength: 8 * MAX_CHUNK_BYTES, chunkCount: 8 };
    expect(
      reasonOf(() =>
        createPayloadAssembler(tooBig).push({ seq: 0, data: Buffer.alloc(MAX_CHUNK_BYTES + 1) }),
      ),
    ).toBe('chunk_too_large');
  });

  test('a header is checked before any memory is taken', () => {
    expect(reasonOf(() => createPayloadAssembler({ ...digest, chunkCount: 5 }))).toBe('bad_header');
    expect(reasonOf(() => createPayloadAssembler({ ...digest, sha256: Buffer.alloc(31) }))).toBe(
      'bad_header',
    );
    expect(
      reasonOf(() => createPayloadAssembler({ ...digest, chunkSize: 2 * MAX_CHUNK_BYTES, chunkCount: 2 })),
    ).toBe('bad_header');
    expect(reasonOf(() => createPayloadAssembler(digest, { maxBytes: MAX_CHUNK_BYTES }))).toBe('bad_header');
    expect(reasonOf(() => createPayloadAssembler({ ...digest, byteLength: -1 }))).toBe('bad_header');
    expect(() => splitPayload(data, { chunkSize: MAX_CHUNK_BYTES + 1 })).toThrow(/chunkSize/);
  });

  test('float32 vectors go to little-endian bytes and back, also from an unaligned buffer', () => {
    const v = new Float32Array([1.5, -2.25, 3e-8, Number.MAX_VALUE > 1 ? 65504 : 0]);
    const b = float32ToBytes(v);
    expect(b.readFloatLE(4)).toBe(-2.25);
    const unaligned = Buffer.concat([Buffer.from([9]), b]).subarray(1);
    expect(Array.from(bytesToFloat32(unaligned))).toEqual(Array.from(v));
    expect(reasonOf(() => bytesToFloat32(Buffer.alloc(7)))).toBe('bad_length');
  });
});

describe('chunked streams', () => {
  interface Head {
    taskId: string;
    payload: ReturnType<typeof describePayload>['header'];
  }
  const data = float32ToBytes(new Float32Array(70_000).map((_, i) => Math.sin(i)));
  const { header: payload, chunks } = describePayload(data, {}, { chunkSize: 64 * 1024 });
  const messages = [
    ...chunkedMessages<Head>({ taskId: 't1', payload }, chunks),
  ] as ReceivedChunkedMessage<Head>[];
  const options = { payloadOf: (h: Head) => h.payload };

  test('header, chunks and trailer are received and verified', async () => {
    expect(payload.elementCount).toBe(70_000);
    expect(payload.encoding).toBe('PAYLOAD_ENCODING_PLAIN_F32');
    expect(messages).toHaveLength(chunks.length + 2);
    const got = await receiveChunked(from(messages), options);
    expect(got.header.taskId).toBe('t1');
    expect(got.data.equals(data)).toBe(true);
    expect(got.trailer.chunkCount).toBe(chunks.length);
  });

  test('messages out of order are protocol violations; a missing trailer is truncation', async () => {
    const [head, first, ...rest] = messages as [
      ReceivedChunkedMessage<Head>,
      ReceivedChunkedMessage<Head>,
      ...ReceivedChunkedMessage<Head>[],
    ];
    const trailer = rest[rest.length - 1] as ReceivedChunkedMessage<Head>;
    expect(await asyncReasonOf(receiveChunked(from([first, head, ...rest]), options))).toBe('protocol');
    expect(await asyncReasonOf(receiveChunked(from([head, head, first, ...rest]), options))).toBe('protocol');
    expect(await asyncReasonOf(receiveChunked(from([...messages, first]), options))).toBe('protocol');
    expect(await asyncReasonOf(receiveChunked(from(messages.slice(0, -1)), options))).toBe('truncated');
    expect(await asyncReasonOf(receiveChunked(from([head, ...rest.slice(0, -1), trailer]), options))).toBe(
      'reordered',
    );
    const lying = { trailer: { chunkCount: 1, signature: Buffer.alloc(0), signatureAlgorithm: '' } };
    expect(await asyncReasonOf(receiveChunked(from([...messages.slice(0, -1), lying]), options))).toBe(
      'truncated',
    );
  });

  test('onHeader can refuse a stream before any chunk is read', async () => {
    let chunksPulled = 0;
    async function* counting(): AsyncGenerator<ReceivedChunkedMessage<Head>> {
      for (const m of messages) {
        if (m.chunk) chunksPulled++;
        yield await Promise.resolve(m);
      }
    }
    await expect(
      receiveChunked(counting(), {
        ...options,
        onHeader: (h) => {
          throw makeError(`task ${h.taskId} belongs to a closed round`, 'NOT_FOUND');
        },
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(chunksPulled).toBe(0);
  });

  test('a PLAIN_F32 payload must be whole float32 values', () => {
    expect(() => describePayload(Buffer.alloc(6))).toThrow(/multiple of 4/);
    expect(
      describePayload(Buffer.alloc(6), { encoding: 'PAYLOAD_ENCODING_OPAQUE' }).header.elementCount,
    ).toBe(0);
  });
});
