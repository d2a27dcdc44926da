/**
 * Secure aggregation under attack, through the real protocol (gRPC over mutual TLS, real kits):
 *
 * - A malicious coordinator (the coordinator's adversary hooks, which see every ciphertext it
 *   receives and may replace what it sends the opener) presents one worker's ciphertext as the
 *   aggregate, doubles the sum, drops a contribution, and asks for a second sum over the same
 *   updates. The opener (a real `aidoc worker start` process) refuses each; the coordinator learns
 *   only a generic refusal, and the round goes on with fresh training and another opener.
 * - A rogue hospital (a real kit, its real HE keys) sends bad input: a second update, ciphertexts
 *   under other parameters, a truncated and a reordered chunk stream, the wrong ciphertext count,
 *   a replay of an earlier round's update, another worker's identity and key, an unregistered key.
 *   Each is rejected with a clear reason and the round goes on with the others.
 */
import { jest } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { loadKit } from '../../common/pki-kit.js';
import type { JobRecord } from '../../coordinator/job-store.js';
import { createGrpcClient } from '../../coordinator/transport/grpc-client.js';
import { chunkedMessages, describePayload } from '../../coordinator/transport/payload-stream.js';
import { loadHeCiphertext, saveHeCiphertext } from '../../privacy/he-cipher.js';
import { createHeContext, createHeParams, generateHeSecretKey } from '../../privacy/he-context.js';
import type { HeContext } from '../../privacy/he-context.js';
import { encryptHeContribution, signContribution } from '../../privacy/he-contribution.js';
import type { HeOpenRequest, HeSignedContribution } from '../../privacy/he-contribution.js';
import { loadHeWorkerMaterial, readHePublicSetup } from '../../privacy/he-kit.js';
import {
  HE_CIPHERTEXTS_CONTENT_TYPE,
  decodeHeRoundSetup,
  encodeHeContribution,
  frameCiphertexts,
  heRoundGeometry,
  type HeRoundSetup,
  type HeTypedBlob,
} from '../../privacy/he-protocol.js';
import type { Task__Output } from '../../protos/generated/aidoc/v1/Task.js';
import { OPENER_REFUSAL, createHeWorker, serveOpenRequests } from '../../worker/he-worker.js';
import {
  registerHandWorker,
  startTestFederation,
  waitForWorkers,
  type TestFederation,
} from '../helpers/federation.js';

jest.setTimeout(240_000);

const JOB = {
  model: { builtin: 'wdbc-mlp' },
  datasetSchemaId: 'wdbc-v1',
  localEpochs: 1,
  batchSize: 16,
  learningRate: 0.05,
  minWorkers: 2,
  roundDeadlineMs: 30_000,
  seed: 3,
  secureAggregation: 'SECURE_AGGREGATION_MODE_ON' as const,
  // DP has its own tests (federation-privacy); these are about the aggregation protocol.
  privacy: { mode: 'none' },
};
const HOSPITALS = ['hospital-a', 'hospital-b', 'hospital-c'];

async function submit(f: TestFederation, spec: Record<string, unknown>): Promise<string> {
  const vendor = createGrpcClient(await f.kit('vendor'), 'JobService');
  try {
    const { job } = await vendor.SubmitJob({ spec: { ...JOB, ...spec } });
    return job!.jobId;
  } finally {
    vendor.close();
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Keyless ciphertext arithmetic, as any coordinator can do it: Σ sign · ciphertexts, per position. */
function combine(ctx: HeContext, terms: [readonly Uint8Array[], 1 | -1][]): Uint8Array[] {
  const evaluator = ctx.seal.Evaluator(ctx.context);
  try {
    return terms[0]![0].map((_, i) => {
      const acc = loadHeCiphertext(ctx, terms[0]![0][i]!);
      try {
        for (const [wires, sign] of terms.slice(1)) {
          const ct = loadHeCiphertext(ctx, wires[i]!);
          if (sign === 1) evaluator.add(acc, ct, acc);
          else evaluator.sub(acc, ct, acc);
          ct.delete();
        }
        return saveHeCiphertext(ctx, acc);
      } finally {
        acc.delete();
      }
    });
  } finally {
    evaluator.delete();
  }
}

let f: TestFederation | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

test('a malicious coordinator cannot get an opener to open anything but the exact claimed sum, once', async () => {
  type Captured = { contribution: HeSignedContribution; ciphertexts: readonly Uint8Array[] };
  const captured = new Map<string, Captured[]>(); // `${round}/${attempt}`
  const honestRequests = new Map<number, { request: HeOpenRequest; setup: HeRoundSetup; openerId: string }>();
  const attackedOpeners = new Map<number, string>();
  // Keyless arithmetic state for the attacks (the context exists once the federation does).
  const he: { ctx?: HeContext } = {};
  const attacks: Record<number, (request: HeOpenRequest, mine: Captured[]) => HeOpenRequest> = {
    // 1: one worker's own ciphertext as "the aggregate" of all three.
    1: (request, mine) => ({ ...request, aggregate: mine[0]!.ciphertexts }),
    // 2: the sum counted twice.
    2: (request) => ({
      ...request,
      aggregate: combine(he.ctx!, [
        [request.aggregate, 1],
        [request.aggregate, 1],
      ]),
    }),
    // 3: a contribution dropped from the sum but still claimed.
    3: (request, mine) => ({
      ...request,
      aggregate: combine(he.ctx!, [
        [mine[0]!.ciphertexts, 1],
        [mine[1]!.ciphertexts, 1],
      ]),
    }),
  };
  f = await startTestFederation({
    heartbeatMs: 500,
    secureAggregation: {
      adversary: {
        onContribution: ({ round, attempt, contribution, ciphertexts }) => {
          const key = `${round}/${attempt}`;
          captured.set(key, [...(captured.get(key) ?? []), { contribution, ciphertexts }]);
        },
        interceptOpen: (request, { round, attempt, openerId, setup }) => {
          const mine = captured.get(`${round}/${attempt}`) ?? [];
          // The honest coordinator sends the sum and the headers, never one worker's ciphertext.
          for (const c of mine) {
            for (const [i, ct] of request.aggregate.entries())
              expect(Buffer.from(ct).equals(Buffer.from(c.ciphertexts[i]!))).toBe(false);
          }
          expect(JSON.stringify(request.contributions).length).toBeLessThan(1000 * mine.length);
          const attack = attacks[round];
          if (attempt === 1 && attack) {
            attackedOpeners.set(round, openerId);
            return attack(request, mine);
          }
          honestRequests.set(round, { request, setup, openerId });
          return request;
        },
      },
    },
  });
  const setup = readHePublicSetup((await loadKit(f.fed.coordinator.dir)).manifest);
  const ctx = await createHeContext(setup.params);
  he.ctx = ctx;
  try {
    HOSPITALS.forEach((_, i) => f!.startWorker(i));
    await waitForWorkers(f.coordinator, 3);
    const jobId = await submit(f, { rounds: 4 });
    const job: JobRecord = await f.coordinator.finished(jobId);
    expect(job.state).toBe('completed');
    const logOf = (worker: string) => f!.logs[HOSPITALS.indexOf(worker)] ?? '';

    for (const round of [1, 2, 3]) {
      const opener = attackedOpeners.get(round)!;
      const r = job.rounds[round - 1]!;
      // Refused; the coordinator learns only the generic refusal; the round is retried without it.
      expect(r.attempts).toBe(2);
      expect(r.failures).toEqual([
        {
          workerId: opener,
          kind: 'error',
          detail: `the opener refused to open the aggregate: ${OPENER_REFUSAL}`,
        },
      ]);
      expect(r.participants.sort()).toEqual(HOSPITALS.filter((h) => h !== opener));
      await until(
        () => logOf(opener).includes(`refused to open job ${jobId} round ${round} (tag-mismatch)`),
        `${opener}'s refusal of round ${round}`,
      );
    }
    expect(job.rounds[3]!.attempts).toBe(1);

    // 4: after round 4 was opened, a second sum over the same updates (all but one of them).
    const honest = honestRequests.get(4)!;
    const round4 = captured.get('4/1')!;
    const partial: HeOpenRequest = {
      jobId,
      round: 4,
      aggregate: combine(ctx, [
        [round4[0]!.ciphertexts, 1],
        [round4[1]!.ciphertexts, 1],
      ]),
      contributions: [round4[0]!.contribution, round4[1]!.contribution],
    };
    for (const [request, target, reason] of [
      [partial, honest.openerId, 'already-opened'],
      [honest.request, honest.openerId, 'already-opened'],
      // Another hospital: the contributions name a different opener (and seal their tags to it).
      [partial, HOSPITALS.find((h) => h !== honest.openerId)!, 'wrong-opener'],
    ] as const) {
      await expect(
        f.coordinator.secure!.requestOpen(target, request, honest.setup, { deadlineMs: 20_000 }),
      ).rejects.toMatchObject({
        info: {
          failure: { workerId: target, kind: 'error', detail: expect.stringContaining(OPENER_REFUSAL) },
        },
      });
      await until(
        () => logOf(target).includes(`refused to open job ${jobId} round 4 (${reason})`),
        `${target}'s ${reason} refusal`,
      );
    }
  } finally {
    ctx.delete();
  }
});

/** A hospital with a real kit and its real HE keys that sends whatever the test says. */
async function rogueHospital(f: TestFederation, index: number) {
  const { kit, client, sessionId, stopHeartbeats } = await registerHandWorker(f, index, {
    records: 190,
    heartbeatMs: 200,
  });
  const material = await loadHeWorkerMaterial(kit);
  const logs: string[] = [];
  const he = await createHeWorker({
    material,
    stateDir: join(f.dir, 'rogue-state'),
    log: (l) => logs.push(l),
  });
  const stop = new AbortController();
  // It still answers open requests honestly when picked as opener, so rounds go on.
  const opening = serveOpenRequests({
    client,
    sessionId,
    he,
    signal: stop.signal,
    pollWaitMs: 2000,
    log: (l) => logs.push(l),
  }).catch(() => {});
  return {
    material,
    he,
    logs,
    async nextTask(): Promise<Task__Output> {
      for (;;) {
        const r = await client.PullTask({ sessionId: sessionId, waitMs: 2000 });
        if (r.task?.kind === 'TASK_KIND_TRAIN') return r.task;
        if (r.task) {
          // Evaluation: nothing held out here, so an empty answer (the round need not wait for it).
          const t = r.task;
          await client.ReportEvaluation({
            sessionId,
            taskId: t.taskId,
            jobId: t.jobId,
            round: t.round,
            numExamples: 0,
            metrics: {},
            nonce: t.nonce,
          });
        }
      }
    },
    push(
      task: Task__Output,
      update: { extension: HeTypedBlob; payload: Buffer },
      stream: { chunkSize?: number; order?: (seqs: number[]) => number[] } = {},
    ) {
      const { header, chunks } = describePayload(
        update.payload,
        { encoding: 'PAYLOAD_ENCODING_CKKS', contentType: HE_CIPHERTEXTS_CONTENT_TYPE },
        stream.chunkSize ? { chunkSize: stream.chunkSize } : {},
      );
      const order = stream.order ? stream.order(chunks.map((c) => c.seq)) : chunks.map((c) => c.seq);
      const sent = order.map((s) => chunks[s]!);
      return client.PushUpdate(
        chunkedMessages(
          {
            sessionId,
            taskId: task.taskId,
            jobId: task.jobId,
            round: task.round,
            numExamples: 100,
            metrics: {},
            nonce: task.nonce,
            payload: header,
            extension: update.extension,
          },
          sent,
        ),
      );
    },
    async stop() {
      stop.abort();
      stopHeartbeats();
      await opening;
      client.close();
      he.close();
    },
  };
}

test('a rogue hospital: each kind of bad update is rejected with its reason and the round goes on', async () => {
  f = await startTestFederation({ heartbeatMs: 500 });
  f.startWorker(0);
  f.startWorker(1);
  const rogue = await rogueHospital(f, 2);
  const stolenKey = (await loadHeWorkerMaterial(await f.kit('worker', 1))).signingKey; // hospital-b's
  const otherParams = await createHeParams({ primeBits: 59 });
  const otherCtx = await createHeContext(otherParams);
  const otherKey = generateHeSecretKey(otherCtx);
  try {
    await waitForWorkers(f.coordinator, 3);
    const jobId = await submit(f, { rounds: 8 });
    const delta = Float32Array.from({ length: 1554 }, (_, i) => Math.sin(i) / 100);
    const honestFor = (task: Task__Output) => rogue.he.encryptUpdate(task, delta, 100);
    const contributionOf = (u: { extension: HeTypedBlob }) =>
      JSON.parse(u.extension.data.toString('utf8')) as HeSignedContribution;
    const resigned = (
      c: HeSignedContribution,
      header: Partial<HeSignedContribution['header']>,
      key = rogue.material.signingKey,
    ) => encodeHeContribution(signContribution({ ...c.header, ...header }, key));
    const expected: Record<number, string> = {};
    let first: { extension: HeTypedBlob; payload: Buffer } | undefined;

    for (let round = 1; round <= 8; round++) {
      const task = await rogue.nextTask();
      expect(task.round).toBe(round);
      const honest = await honestFor(task);
      const c = contributionOf(honest);
      let attempt: Promise<unknown>;
      if (round === 1) {
        // A second update in the same round, after a first one was accepted.
        await rogue.push(task, honest);
        first = honest;
        attempt = rogue.push(task, await honestFor(task));
        expected[round] = 'already has a result';
      } else if (round === 2) {
        // Ciphertexts made under other parameters (other prime), under a header claiming this setup.
        const setup = decodeHeRoundSetup(task.extension);
        const { plan, layout } = heRoundGeometry(otherParams, setup);
        const other = await encryptHeContribution({
          ctx: otherCtx,
          secretKey: otherKey,
          plan,
          layout,
          values: delta,
          jobId,
          round,
          workerId: 'hospital-c',
          openerId: setup.openerId,
          openerPublicKey: rogue.material.registry.get(setup.openerId)!.openerKey,
          signingKey: rogue.material.signingKey,
        });
        attempt = rogue.push(task, {
          extension: resigned(other.contribution, { setupDigest: c.header.setupDigest }),
          payload: frameCiphertexts(other.ciphertexts),
        });
        expected[round] = 'ciphertext does not load under these HE parameters';
      } else if (round === 3) {
        // A chunk stream cut short: the last chunk never comes.
        attempt = rogue.push(task, honest, { chunkSize: 8192, order: (s) => s.slice(0, -1) });
        expected[round] = 'trailer counts 3 chunks, the header announced 4';
      } else if (round === 4) {
        attempt = rogue.push(task, honest, {
          chunkSize: 8192,
          order: ([a, b, ...rest]) => [b!, a!, ...rest],
        });
        expected[round] = 'chunk 1 arrived where chunk 0 was expected';
      } else if (round === 5) {
        attempt = rogue.push(task, { ...honest, extension: resigned(c, { ciphertextCount: 2 }) });
        expected[round] = 'announces 2 ciphertexts, the layout has 1';
      } else if (round === 6) {
        // Round 1's accepted update, replayed.
        attempt = rogue.push(task, first!);
        expected[round] = `made for job ${jobId} round 1, this is job ${jobId} round 6 (replay?)`;
      } else if (round === 7) {
        // Another registered hospital's identity, signed with that hospital's (stolen) key.
        attempt = rogue.push(task, {
          ...honest,
          extension: resigned(c, { workerId: 'hospital-b' }, stolenKey),
        });
        expected[round] = 'its header names hospital-b, but hospital-c sent it';
      } else {
        // Its own identity, signed with a key nobody registered.
        attempt = rogue.push(task, {
          ...honest,
          extension: resigned(c, {}, generateKeyPairSync('ed25519').privateKey),
        });
        expected[round] = "signature does not verify with hospital-c's registered key";
      }
      await expect(attempt).rejects.toMatchObject({ message: expect.stringContaining(expected[round]!) });
    }

    const job = await f.coordinator.finished(jobId);
    expect(job.state).toBe('completed');
    expect(job.rounds[0]!.participants.sort()).toEqual(HOSPITALS);
    expect(job.rounds[0]!.failures).toEqual([]);
    for (let round = 2; round <= 8; round++) {
      const r = job.rounds[round - 1]!;
      expect(r.participants.sort()).toEqual(['hospital-a', 'hospital-b']);
      expect(r.failures).toEqual([
        { workerId: 'hospital-c', kind: 'rejected', detail: expect.stringContaining(expected[round]!) },
      ]);
    }
  } finally {
    otherKey.delete();
    otherCtx.delete();
    await rogue.stop();
  }
});
