/**
 * Federated rounds with real processes over real gRPC and mutual TLS: the coordinator in this
 * process, hospital workers as `aidoc worker start` child processes, misbehaving clients built from
 * real kits.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKit } from '../../common/pki-kit.js';
import { startCoordinator } from '../../coordinator/coordinator.js';
import { provisionFederation } from '../../common/pki-federation.js';
import type { JobRecord } from '../../coordinator/job-store.js';
import { createGrpcClient, type WorkerServiceClient } from '../../coordinator/transport/grpc-client.js';
import {
  chunkedMessages,
  describePayload,
  float32ToBytes,
} from '../../coordinator/transport/payload-stream.js';
import type { Task__Output } from '../../protos/generated/aidoc/v1/Task.js';
import { runAidoc } from '../helpers/aidoc-cli.js';
import {
  registerHandWorker,
  startTestFederation,
  waitForWorkers,
  type TestFederation,
} from '../helpers/federation.js';

jest.setTimeout(180_000);

const WDBC_JOB = {
  name: 'wdbc',
  model: { builtin: 'wdbc-mlp' },
  datasetSchemaId: 'wdbc-v1',
  localEpochs: 1,
  batchSize: 16,
  learningRate: 0.05,
  strategy: { name: 'fedavg', params: {} },
  seed: 1,
  // These tests are about the protocol; DP in rounds has its own test (federation-privacy).
  privacy: { mode: 'none' },
};

async function submit(f: TestFederation, spec: Record<string, unknown>): Promise<string> {
  const vendor = createGrpcClient(await f.kit('vendor'), 'JobService');
  try {
    const { job } = await vendor.SubmitJob({ spec: { ...WDBC_JOB, ...spec } });
    return job!.jobId;
  } finally {
    vendor.close();
  }
}

/** A client that registers as hospital `index` with a real kit, then does what the test says. */
async function rogueWorker(f: TestFederation, index: number) {
  const { client, sessionId, stopHeartbeats } = await registerHandWorker(f, index, {
    records: 150,
    heartbeatMs: 100,
  });
  return {
    client,
    sessionId,
    async nextTask(): Promise<Task__Output> {
      for (;;) {
        const r = await client.PullTask({ sessionId: sessionId, waitMs: 2000 });
        if (r.task?.kind === 'TASK_KIND_TRAIN') return r.task;
      }
    },
    stop() {
      stopHeartbeats();
      client.close();
    },
  };
}

function pushRaw(client: WorkerServiceClient, sessionId: string, task: Task__Output, values: Float32Array) {
  const { header, chunks } = describePayload(float32ToBytes(values));
  return client.PushUpdate(
    chunkedMessages(
      {
        sessionId,
        taskId: task.taskId,
        jobId: task.jobId,
        round: task.round,
        numExamples: 150,
        metrics: {},
        nonce: task.nonce,
        payload: header,
      },
      chunks,
    ),
  );
}

test('aidoc demo --no-dp: WDBC FedAvg over three worker processes reaches >= 95% test accuracy within 20 rounds', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aidoc-demo-test-'));
  try {
    const r = await runAidoc(['demo', '--json', '--no-dp', '--rounds', '20', '--dir', dir], {
      timeoutMs: 170_000,
    });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const s = JSON.parse(lines[0]!) as {
      state: string;
      rounds: { accuracy: number; participants: number; failures: number }[];
      finalAccuracy: number;
      model: string;
      ledger: {
        escrowed: string;
        paidOut: string;
        refunded: string;
        held: string;
        rebates: { hospital: string; amount: string }[];
        versions: { round: number; txHash: string }[];
      };
    };
    expect(s.state).toBe('completed');
    expect(s.rounds).toHaveLength(20);
    for (const round of s.rounds) expect(round).toMatchObject({ participants: 3, failures: 0 });
    expect(s.finalAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(s.model).toBe(join(dir, 'model'));
    // The books on the embedded chain: 20 rounds at 1 AIDOC, all paid out as rebates to the three hospitals.
    expect(s.ledger).toMatchObject({ escrowed: '20.0', paidOut: '20.0', refunded: '0.0', held: '0.0' });
    expect(s.ledger.rebates.map((r) => r.hospital).sort()).toEqual([
      'hospital-a',
      'hospital-b',
      'hospital-c',
    ]);
    expect(s.ledger.versions.map((v) => v.round)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(s.ledger.versions.every((v) => /^0x[0-9a-f]{64}$/.test(v.txHash))).toBe(true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe('faults', () => {
  let f: TestFederation;
  afterEach(async () => {
    await f?.close();
  });

  test('a worker killed with SIGKILL mid-round: the round completes with the others', async () => {
    f = await startTestFederation();
    const workers = [0, 1, 2].map((i) => f.startWorker(i));
    await waitForWorkers(f.coordinator, 3);
    // Enough local work per round that the kill lands while the round is open.
    const jobId = await submit(f, { rounds: 3, minWorkers: 2, localEpochs: 30, roundDeadlineMs: 30_000 });
    for await (const e of f.coordinator.store.watch(jobId)) {
      if (e.body.type === 'round_started' && e.body.round === 2) {
        workers[0]!.kill('SIGKILL');
        break;
      }
    }
    const job: JobRecord = await f.coordinator.finished(jobId);
    expect(job.state).toBe('completed');
    const r2 = job.rounds[1]!;
    expect(r2.participants.sort()).toEqual(['hospital-b', 'hospital-c']);
    expect(r2.failures).toEqual([
      { workerId: 'hospital-a', kind: 'dropped', detail: 'the worker stopped heartbeating' },
    ]);
    expect(job.rounds[2]!.participants.sort()).toEqual(['hospital-b', 'hospital-c']);
  });

  test('a worker that never answers is a timeout failure; the round closes at its deadline with the quorum', async () => {
    f = await startTestFederation();
    f.startWorker(0);
    f.startWorker(1);
    const silent = await rogueWorker(f, 2);
    try {
      await waitForWorkers(f.coordinator, 3);
      const jobId = await submit(f, { rounds: 1, minWorkers: 2, roundDeadlineMs: 3000 });
      const task = await silent.nextTask();
      expect(task.jobId).toBe(jobId);
      const job = await f.coordinator.finished(jobId);
      expect(job.state).toBe('completed');
      expect(job.rounds[0]!.participants.sort()).toEqual(['hospital-a', 'hospital-b']);
      expect(job.rounds[0]!.failures).toEqual([
        { workerId: 'hospital-c', kind: 'timeout', detail: expect.stringContaining('deadline of 3000 ms') },
      ]);
    } finally {
      silent.stop();
    }
  });

  test('a wrong-length update is rejected with a clear reason and the round goes on', async () => {
    f = await startTestFederation();
    f.startWorker(0);
    f.startWorker(1);
    const rogue = await rogueWorker(f, 2);
    try {
      await waitForWorkers(f.coordinator, 3);
      // Plain on purpose: this is the PLAIN_F32 path's length check (secure-aggregation tests cover CKKS).
      const jobId = await submit(f, {
        rounds: 1,
        minWorkers: 2,
        roundDeadlineMs: 8000,
        secureAggregation: 'SECURE_AGGREGATION_MODE_OFF',
      });
      const task = await rogue.nextTask();
      await expect(pushRaw(rogue.client, rogue.sessionId, task, new Float32Array(10))).rejects.toMatchObject({
        code: 'VERIFICATION_FAILED',
        message: expect.stringContaining(
          "update announces 40 bytes; the model's 1554 float32 values take 6216",
        ),
      });
      const job = await f.coordinator.finished(jobId);
      expect(job.state).toBe('completed');
      expect(job.rounds[0]!.participants.sort()).toEqual(['hospital-a', 'hospital-b']);
      expect(job.rounds[0]!.failures).toEqual([
        { workerId: 'hospital-c', kind: 'rejected', detail: expect.stringContaining('announces 40 bytes') },
      ]);
      // A second update for the same task, now well-formed, is refused: the task already failed.
      await expect(
        pushRaw(rogue.client, rogue.sessionId, task, new Float32Array(1554)),
      ).rejects.toMatchObject({ code: 'VERIFICATION_FAILED' });
    } finally {
      rogue.stop();
    }
  });

  test('a certificate from another CA is rejected at the handshake; a worker certificate cannot use the vendor API', async () => {
    f = await startTestFederation({ workers: 1 });
    const other = await provisionFederation({
      out: join(f.dir, 'other'),
      workers: ['hospital-a'],
      vendors: ['acme'],
      coordinatorAddress: f.fed.coordinatorAddress,
    });
    const foreign = createGrpcClient(await loadKit(other.workers[0]!.dir), 'WorkerService');
    await expect(foreign.Register({ capabilities: {} }, { deadlineMs: 5000 })).rejects.toBeTruthy();
    foreign.close();
    expect(f.coordinator.registry.list()).toHaveLength(0);

    const asVendor = createGrpcClient(await f.kit('worker'), 'JobService');
    await expect(asVendor.SubmitJob({ spec: { ...WDBC_JOB, rounds: 1 } })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    asVendor.close();
    const vendorAsWorker = createGrpcClient(await f.kit('vendor'), 'WorkerService');
    await expect(vendorAsWorker.Register({ capabilities: {} })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    vendorAsWorker.close();
  });

  test('a vendor sees only its own jobs', async () => {
    f = await startTestFederation({ workers: 1 });
    const jobId = await submit(f, { rounds: 1, minWorkers: 1 });
    const other = createGrpcClient(await f.kit('vendor', 1), 'JobService');
    await expect(other.GetJob({ jobId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await other.ListJobs({})).jobs).toEqual([]);
    other.close();
    const own = createGrpcClient(await f.kit('vendor', 0), 'JobService');
    expect((await own.GetJob({ jobId })).vendor).toBe('acme');
    await own.CancelJob({ jobId, reason: 'test over' });
    own.close();
  });
});

test('a worker reconnects with backoff when the coordinator restarts, and trains for the new one', async () => {
  const f = await startTestFederation({ workers: 1 });
  let second: Awaited<ReturnType<typeof startCoordinator>> | undefined;
  try {
    f.startWorker(0);
    await waitForWorkers(f.coordinator, 1);
    await f.coordinator.server.close(0);
    second = await startCoordinator({
      kit: await loadKit(f.fed.coordinator.dir),
      registry: { heartbeatIntervalMs: 500 },
      pollMs: 50,
    });
    await waitForWorkers(second, 1);
    expect(f.logs[0]).toMatch(/connection to the coordinator at \S+ lost .*retrying in \d+ ms/);
    const vendor = createGrpcClient(await f.kit('vendor'), 'JobService');
    // One hospital: secure aggregation needs at least two (a sum of one is that hospital's update).
    const { job } = await vendor.SubmitJob({
      spec: { ...WDBC_JOB, rounds: 2, minWorkers: 1, secureAggregation: 'SECURE_AGGREGATION_MODE_OFF' },
    });
    vendor.close();
    const done = await second.finished(job!.jobId);
    expect({ state: done.state, reason: done.reason }).toEqual({ state: 'completed', reason: undefined });
    expect(done.rounds.map((r) => r.participants)).toEqual([['hospital-a'], ['hospital-a']]);
  } finally {
    await second?.close();
    await f.close();
  }
});
