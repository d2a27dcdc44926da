/**
 * The wire contract over a real gRPC server and real clients, mutual TLS on 127.0.0.1: handshake
 * refusal for a foreign CA, authorization by certificate role, vendors confined to their own jobs, and
 * a 10M-parameter (40 MB) payload in both directions with default message limits.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AidocError, isError, makeError } from '../../common/errors.js';
import { provisionFederation } from '../../common/pki-federation.js';
import { loadKit, type Kit } from '../../common/pki-kit.js';
import { assertCanSeeJob } from '../../coordinator/transport/auth.js';
import { createGrpcClient } from '../../coordinator/transport/grpc-client.js';
import { createGrpcServer, type GrpcServer } from '../../coordinator/transport/grpc-server.js';
import { sha256 } from '../../coordinator/transport/chunks.js';
import {
  bytesToFloat32,
  chunkedMessages,
  describePayload,
  float32ToBytes,
  receiveChunked,
} from '../../coordinator/transport/payload-stream.js';
import type { Job } from '../../protos/generated/aidoc/v1/Job.js';
import type { UpdateHeader } from '../../protos/generated/aidoc/v1/UpdateHeader.js';
import { loadAidocProtos } from '../../protos/load.js';

const PARAMS = 10_000_000;

/** 10M float32 values, deterministic. */
function weights(seed: number): Float32Array {
  const v = new Float32Array(PARAMS);
  for (let i = 0; i < PARAMS; i++) v[i] = ((i * 2654435761 + seed) % 1_000_003) / 1_000_003 - 0.5;
  return v;
}

async function expectError(p: Promise<unknown>): Promise<AidocError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AidocError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('gRPC transport with mutual TLS', () => {
  let dir: string;
  let kits: Record<
    'coordinator' | 'worker' | 'worker2' | 'vendor' | 'vendor2' | 'operator' | 'foreignWorker',
    Kit
  >;
  let server: GrpcServer;
  let address: string;
  const globalWeights = float32ToBytes(weights(1));
  const received: { header?: UpdateHeader; data?: Buffer } = {};
  const jobs = new Map<string, Job>();
  const calls = { register: 0, fetchAborted: false };
  let fetchAbortedResolve: () => void = () => undefined;
  const fetchAbortedPromise = new Promise<void>((resolve) => (fetchAbortedResolve = resolve));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aidoc-grpc-'));
    await provisionFederation({
      out: join(dir, 'fed'),
      workers: ['hospital-a', 'hospital-b'],
      vendors: ['acme', 'globex'],
    });
    await provisionFederation({ out: join(dir, 'other'), workers: ['hospital-a'], vendors: [] });
    kits = {
      coordinator: await loadKit(join(dir, 'fed', 'coordinator')),
      worker: await loadKit(join(dir, 'fed', 'workers', 'hospital-a')),
      worker2: await loadKit(join(dir, 'fed', 'workers', 'hospital-b')),
      vendor: await loadKit(join(dir, 'fed', 'vendors', 'acme')),
      vendor2: await loadKit(join(dir, 'fed', 'vendors', 'globex')),
      operator: await loadKit(join(dir, 'fed', 'operators', 'operator')),
      foreignWorker: await loadKit(join(dir, 'other', 'workers', 'hospital-a')),
    };
    server = await createGrpcServer({
      kit: kits.coordinator,
      address: '127.0.0.1:0',
      services: {
        WorkerService: {
          Register: (_req, ctx) => {
            calls.register++;
            return {
              workerId: ctx.caller.name,
              sessionId: `s-${ctx.caller.fingerprint.slice(0, 8)}`,
              maxChunkBytes: 1 << 20,
            };
          },
          PullTask: () => ({ none: { retryAfterMs: 1000, reason: 'no job' } }),
          *FetchPayload(req, ctx) {
            ctx.signal.addEventListener('abort', () => {
              calls.fetchAborted = true;
              fetchAbortedResolve();
            });
            if (req.ref !== 'weights-1') throw makeError(`unknown payload ${req.ref}`, 'NOT_FOUND');
            const { header, chunks } = describePayload(globalWeights);
            yield* chunkedMessages(header, chunks);
          },
          PushUpdate: async (requests, ctx) => {
            const got = await receiveChunked(requests, {
              payloadOf: (h) => h.payload,
              signal: ctx.signal,
              maxBytes: 64 << 20,
              onHeader: (h) => {
                if (h.taskId !== 'task-1')
                  throw makeError(`task ${h.taskId} is not open`, 'NOT_FOUND', { taskId: h.taskId });
              },
            });
            received.header = got.header;
            received.data = got.data;
            return { sha256: got.payload.sha256, byteLength: got.data.length };
          },
        },
        JobService: {
          SubmitJob: (req, ctx) => {
            const job: Job = {
              jobId: `job-${jobs.size + 1}`,
              vendor: ctx.caller.name,
              spec: req.spec,
              state: 'JOB_STATE_QUEUED',
            };
            jobs.set(job.jobId as string, job);
            return { job };
          },
          GetJob: (req, ctx) => {
            const job = jobs.get(req.jobId);
            if (!job) throw makeError(`job ${req.jobId} not found`, 'NOT_FOUND');
            assertCanSeeJob(ctx.caller, { jobId: req.jobId, vendor: job.vendor as string });
            return job;
          },
          *WatchJob(req) {
            for (let round = 1; round <= 3; round++) {
              yield { jobId: req.jobId, sequence: round, roundStarted: { round, workers: ['hospital-a'] } };
            }
          },
        },
        AdminService: {
          ListWorkers: () => ({ workers: [{ workerId: 'hospital-a', roundsServed: 2 }] }),
        },
      },
    });
    address = server.address;
  }, 30_000);

  afterAll(async () => {
    await server?.close(500);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a worker registers; the handler sees its certificate identity', async () => {
    const client = createGrpcClient(kits.worker, 'WorkerService', { address });
    try {
      const res = await client.Register(
        { capabilities: { cores: 2, backend: 'wasm' } },
        { deadlineMs: 5000 },
      );
      expect(res.workerId).toBe('hospital-a');
      expect(res.sessionId).toBe(`s-${kits.worker.identity.fingerprint.slice(0, 8)}`);
      expect(res.maxChunkBytes).toBe(1 << 20);
    } finally {
      client.close();
    }
  });

  test('a certificate from another CA is refused at the handshake; no handler runs', async () => {
    const before = calls.register;
    // The client trusts the coordinator (right CA root) but presents a certificate another CA signed:
    // only the server's check can stop it.
    const impostor = { ...kits.foreignWorker, caPem: kits.worker.caPem };
    const client = createGrpcClient(impostor, 'WorkerService', { address });
    // And a client presenting no certificate at all.
    const Ctor = loadAidocProtos().WorkerService;
    const anonymous = new Ctor(
      address,
      grpc.credentials.createSsl(Buffer.from(kits.worker.caPem), null, null, {
        checkServerIdentity: () => undefined,
      }),
    );
    try {
      const err = await expectError(client.Register({}, { deadlineMs: 5000 }));
      expect(err.info.grpcStatus).toBe('UNAVAILABLE');
      expect(err.info.retryable).toBe(true);
      const anonErr = await new Promise<grpc.ServiceError | null>((resolve) =>
        anonymous.register({}, { deadline: Date.now() + 5000 }, (e) => resolve(e)),
      );
      expect(anonErr?.code).toBe(grpc.status.UNAVAILABLE);
      expect(calls.register).toBe(before);
    } finally {
      client.close();
      anonymous.close();
    }
  });

  test('a client refuses a server that is not the coordinator named in its kit', async () => {
    const kit = {
      ...kits.worker,
      manifest: { ...kits.worker.manifest, coordinatorName: 'another-coordinator' },
    };
    const before = calls.register;
    const client = createGrpcClient(kit, 'WorkerService', { address });
    try {
      const err = await expectError(client.Register({}, { deadlineMs: 5000 }));
      expect(err.info.grpcStatus).toBe('UNAVAILABLE');
      expect(calls.register).toBe(before);
    } finally {
      client.close();
    }
  });

  test('a worker certificate calling JobService gets PERMISSION_DENIED', async () => {
    const client = createGrpcClient(kits.worker, 'JobService', { address });
    try {
      const err = await expectError(client.SubmitJob({ spec: { name: 'sneaky' } }, { deadlineMs: 5000 }));
      expect(err.code).toBe('PERMISSION_DENIED');
      expect(err.info.grpcStatus).toBe('PERMISSION_DENIED');
      expect(err.message).toContain('worker hospital-a may not call JobService');
      expect(jobs.size).toBe(0);
    } finally {
      client.close();
    }
  });

  test('a vendor certificate calling WorkerService or AdminService gets PERMISSION_DENIED', async () => {
    const worker = createGrpcClient(kits.vendor, 'WorkerService', { address });
    const admin = createGrpcClient(kits.vendor, 'AdminService', { address });
    try {
      expect((await expectError(worker.PullTask({ waitMs: 10 }, { deadlineMs: 5000 }))).code).toBe(
        'PERMISSION_DENIED',
      );
      expect((await expectError(worker.Register({}, { deadlineMs: 5000 }))).code).toBe('PERMISSION_DENIED');
      const parts = worker.FetchPayload({ ref: 'weights-1' }, { deadlineMs: 5000 });
      const err = await expectError(
        (async () => {
          for await (const _ of parts) throw new Error('a vendor received weights');
        })(),
      );
      expect(err.code).toBe('PERMISSION_DENIED');
      expect((await expectError(admin.ListWorkers({}, { deadlineMs: 5000 }))).code).toBe('PERMISSION_DENIED');
    } finally {
      worker.close();
      admin.close();
    }
  });

  test('an operator may call AdminService; a worker may not', async () => {
    const op = createGrpcClient(kits.operator, 'AdminService', { address });
    const w = createGrpcClient(kits.worker, 'AdminService', { address });
    try {
      const res = await op.ListWorkers({}, { deadlineMs: 5000 });
      expect(res.workers.map((x) => [x.workerId, x.roundsServed])).toEqual([['hospital-a', 2]]);
      expect((await expectError(w.ListWorkers({}, { deadlineMs: 5000 }))).code).toBe('PERMISSION_DENIED');
    } finally {
      op.close();
      w.close();
    }
  });

  test('a vendor sees its own jobs only; another vendor gets NOT_FOUND; the operator sees all', async () => {
    const acme = createGrpcClient(kits.vendor, 'JobService', { address });
    const globex = createGrpcClient(kits.vendor2, 'JobService', { address });
    const op = createGrpcClient(kits.operator, 'JobService', { address });
    try {
      const { job } = await acme.SubmitJob(
        {
          spec: {
            name: 'wdbc',
            model: { builtin: 'wdbc-mlp' },
            rounds: 5,
            secureAggregation: 'SECURE_AGGREGATION_MODE_OFF',
          },
        },
        { deadlineMs: 5000 },
      );
      expect(job?.vendor).toBe('acme');
      expect(job?.spec?.model?.source).toBe('builtin');
      const jobId = job?.jobId as string;
      expect((await acme.GetJob({ jobId }, { deadlineMs: 5000 })).spec?.rounds).toBe(5);
      const err = await expectError(globex.GetJob({ jobId }, { deadlineMs: 5000 }));
      expect(err.code).toBe('NOT_FOUND');
      expect(err.info.jobId).toBe(jobId); // info travels in metadata
      expect((await op.GetJob({ jobId }, { deadlineMs: 5000 })).vendor).toBe('acme');
      const events = [];
      for await (const e of acme.WatchJob({ jobId }, { deadlineMs: 5000 })) events.push(e);
      expect(events.map((e) => [e.sequence, e.event, e.roundStarted?.round])).toEqual([
        [1, 'roundStarted', 1],
        [2, 'roundStarted', 2],
        [3, 'roundStarted', 3],
      ]);
    } finally {
      acme.close();
      globex.close();
      op.close();
    }
  });

  test('a 10M-parameter update (40 MB) goes up in 1 MiB chunks and arrives intact', async () => {
    const update = weights(2);
    const bytes = float32ToBytes(update);
    const client = createGrpcClient(kits.worker, 'WorkerService', { address });
    try {
      const t0 = performance.now();
      const { header: payload, chunks } = describePayload(bytes);
      const header: UpdateHeader = {
        taskId: 'task-1',
        jobId: 'job-1',
        round: 1,
        numExamples: 190,
        nonce: Buffer.from('n0'),
        payload,
      };
      const res = await client.PushUpdate(chunkedMessages(header, chunks), { deadlineMs: 60_000 });
      const ms = performance.now() - t0;
      process.stderr.write(
        `PushUpdate: ${bytes.length} bytes in ${chunks.length} chunks, ${ms.toFixed(0)} ms (${(bytes.length / 1e6 / (ms / 1000)).toFixed(0)} MB/s)\n`,
      );
      expect(chunks).toHaveLength(39);
      expect(res.byteLength).toBe(40_000_000);
      expect(res.sha256.equals(sha256(bytes))).toBe(true);
      expect(received.header?.numExamples).toBe(190);
      const back = bytesToFloat32(received.data as Buffer);
      expect(back.length).toBe(PARAMS);
      expect(back[9_999_999]).toBe(update[9_999_999]);
      expect(Buffer.compare(received.data as Buffer, bytes)).toBe(0);
      expect(ms).toBeLessThan(20_000);
    } finally {
      client.close();
    }
  }, 60_000);

  test('the 40 MB global weights come down through FetchPayload and verify', async () => {
    const client = createGrpcClient(kits.worker2, 'WorkerService', { address });
    try {
      const t0 = performance.now();
      const got = await receiveChunked(client.FetchPayload({ ref: 'weights-1' }, { deadlineMs: 60_000 }), {
        payloadOf: (h) => h,
      });
      const ms = performance.now() - t0;
      process.stderr.write(`FetchPayload: ${got.data.length} bytes, ${ms.toFixed(0)} ms\n`);
      expect(got.payload.elementCount).toBe(PARAMS);
      expect(got.data.equals(globalWeights)).toBe(true);
      expect(ms).toBeLessThan(20_000);
    } finally {
      client.close();
    }
  }, 60_000);

  test('breaking out of a server stream cancels it on the server', async () => {
    const client = createGrpcClient(kits.worker, 'WorkerService', { address });
    try {
      let n = 0;
      for await (const _ of client.FetchPayload({ ref: 'weights-1' })) if (++n === 2) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([fetchAbortedPromise, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      expect(calls.fetchAborted).toBe(true);
    } finally {
      client.close();
    }
  });

  test('tampered, reordered or unannounced chunks are rejected by the server with the reason', async () => {
    const bytes = float32ToBytes(weights(3).subarray(0, 1_000_000)); // 4 MB
    const { header: payload, chunks } = describePayload(bytes);
    const header: UpdateHeader = { taskId: 'task-1', jobId: 'job-1', round: 1, numExamples: 10, payload };
    const client = createGrpcClient(kits.worker, 'WorkerService', { address });
    try {
      const tampered = chunks.map((c) =>
        c.seq === 2 ? { seq: 2, data: Buffer.from(c.data).fill(0, 10, 11) } : c,
      );
      const e1 = await expectError(
        client.PushUpdate(chunkedMessages(header, tampered), { deadlineMs: 10_000 }),
      );
      expect([e1.code, e1.info.reason]).toEqual(['VERIFICATION_FAILED', 'digest_mismatch']);
      expect(e1.info.grpcStatus).toBe('INVALID_ARGUMENT');

      const swapped = [chunks[0], chunks[2], chunks[1], chunks[3]].map((c) => c as (typeof chunks)[number]);
      const e2 = await expectError(
        client.PushUpdate(chunkedMessages(header, swapped), { deadlineMs: 10_000 }),
      );
      expect([e2.code, e2.info.reason, e2.message]).toEqual([
        'VERIFICATION_FAILED',
        'reordered',
        'chunk 2 arrived where chunk 1 was expected',
      ]);

      const e3 = await expectError(
        client.PushUpdate(chunkedMessages(header, chunks.slice(0, 3)), { deadlineMs: 10_000 }),
      );
      expect(e3.info.reason).toBe('truncated');

      const e4 = await expectError(
        client.PushUpdate(chunkedMessages({ ...header, taskId: 'task-closed' }, chunks), {
          deadlineMs: 10_000,
        }),
      );
      expect([e4.code, e4.message]).toEqual(['NOT_FOUND', 'task task-closed is not open']);
      expect(isError(e4, 'NOT_FOUND')).toBe(true);
    } finally {
      client.close();
    }
  }, 30_000);
});
