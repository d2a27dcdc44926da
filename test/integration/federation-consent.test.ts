/**
 * Workers check the ledger before training, in real rounds: hospital workers are separate
 * `aidoc worker start --rpc … --deployment … --dev-owners` processes over gRPC + mutual TLS, the
 * chain is the real contracts (embedded, in this process) served to them over read-only JSON-RPC.
 *
 * - An owner who revokes consent between rounds is left out of the next round: the records the
 *   worker trains on shrink by exactly that owner's training records, and the job still ends within
 *   its epsilon target (the worker recalibrates its noise for the smaller set).
 * - A dataset whose on-chain budget cannot cover the round is refused before training (and before
 *   the worker's local budget is charged); the coordinator shows the reason as the round failure.
 * - A job without a fee still has every committed version on chain (and no escrow).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLedgerHooks } from '../../coordinator/ledger-hooks.js';
import type { CoordinatorHooks } from '../../coordinator/coordinator.js';
import { createGrpcClient } from '../../coordinator/transport/grpc-client.js';
import { trainTestSplit } from '../../datasets/dataset.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import { ensureDevParticipants, grantDevConsent } from '../../ledger/dev-setup.js';
import { createEmbeddedLedger, type EmbeddedLedger } from '../../ledger/ledger-embedded.js';
import { serveJsonRpc, type JsonRpcServer } from '../../ledger/rpc-server.js';
import { loadWorkerDataset } from '../../worker/worker-dataset.js';
import { startTestFederation, waitForWorkers, type TestFederation } from '../helpers/federation.js';

const PURPOSE = 'research/consent-test';
let f: TestFederation | undefined;
let ledger: EmbeddedLedger;
let rpc: JsonRpcServer | undefined;
/** Runs after the ledger's own hook when a round of the given job committed. */
let afterRound: ((jobId: string, round: number) => Promise<void>) | undefined;

afterAll(async () => {
  await f?.close();
  await rpc?.close();
  await ledger?.close();
});

const spec = {
  model: { builtin: 'wdbc-mlp' },
  datasetSchemaId: 'wdbc-v1',
  rounds: 3,
  localEpochs: 1,
  batchSize: 16,
  learningRate: 0.05,
  purpose: PURPOSE,
  privacy: { mode: 'record', targetEpsilon: 1, targetDelta: 1e-5, clipNorm: 1 },
};

beforeAll(async () => {
  ledger = await createEmbeddedLedger();
  const hooks = createLedgerHooks({ ledger, vendorAddress: (v) => devAccount(`consent-test-${v}`).address });
  const withRevocations: CoordinatorHooks = {
    ...hooks,
    async roundCommitted(r) {
      await hooks.roundCommitted!(r);
      await afterRound?.(r.job.jobId, r.round);
    },
  };
  // Calibrating the noise takes a worker's event loop for about half a second: heartbeats every
  // 500 ms leave it 3 s before it counts as dropped.
  f = await startTestFederation({ hooks: withRevocations, heartbeatMs: 500 });
  await ensureDevParticipants(ledger, {
    workers: f.fed.workers.map((w, i) => ({
      account: `consent-test-${w.name}`,
      name: w.name,
      certFingerprint: w.fingerprint,
      datasets: [{ datasetId: `${w.name}/wdbc`, schemaId: 'wdbc-v1', records: 190 - i, epsilonCap: 10 }],
    })),
  });
  rpc = await serveJsonRpc(ledger.rpc);
  const deployment = join(f.dir, 'deployment.json');
  await writeFile(deployment, JSON.stringify(ledger.deployment));
  // Hospital A reads the chain; B and C run as before (nothing checked on chain).
  f.startWorker(0, ['--rpc', rpc.url, '--deployment', deployment, '--dev-owners']);
  f.startWorker(1);
  f.startWorker(2);
  await waitForWorkers(f.coordinator, 3);
});

test("an owner who revokes is left out of the next round; a free job's versions are on chain", async () => {
  const a = await loadWorkerDataset(f!.files[0]!.csv, f!.files[0]!.schema);
  await grantDevConsent(ledger, a.dataset.ownerIds!, PURPOSE);
  // Hospital A's training records, split as its worker splits them (validation 0.2, seed 0).
  const { train } = trainTestSplit(a.dataset, { testFraction: 0.2, seed: 0, stratify: true });
  const revoking = train.ownerIds!.slice(0, 3);
  const revokedRecords = train.ownerIds!.filter((o) => revoking.includes(o)).length;
  afterRound = async (_jobId, round) => {
    if (round !== 1) return;
    for (const o of revoking) await ledger.withSigner(devAccount(o).privateKey).revokeConsent(PURPOSE);
  };

  const vendor = createGrpcClient(await f!.kit('vendor'), 'JobService');
  const { job } = await vendor.SubmitJob({ spec: { ...spec, minWorkers: 3 } });
  vendor.close();
  const done = await f!.coordinator.finished(job!.jobId);
  afterRound = undefined;
  expect({ state: done.state, reason: done.reason }).toEqual({ state: 'completed', reason: undefined });
  for (const r of done.rounds)
    expect({ round: r.round, failures: r.failures }).toEqual({ round: r.round, failures: [] });
  const [r1, r2, r3] = done.rounds;
  expect(r1!.numExamples - r2!.numExamples).toBe(revokedRecords);
  expect(r3!.numExamples).toBe(r2!.numExamples);
  expect(f!.logs[0]).toContain(
    `consent to '${PURPOSE}' read from the ledger: ${a.dataset.n} of ${a.dataset.n} owners; training on ${train.n} of ${train.n} records`,
  );
  expect(f!.logs[0]).toContain(
    `consent to '${PURPOSE}' read from the ledger: ${a.dataset.n - 3} of ${a.dataset.n} owners; training on ${train.n - revokedRecords} of ${train.n} records`,
  );
  // Fewer records means a higher sampling rate: the worker recalibrated, and the job stayed within target.
  expect(r3!.epsilon['hospital-a/wdbc']).toBeLessThanOrEqual(1);
  expect(r3!.epsilon['hospital-a/wdbc']).toBeGreaterThan(0.95);

  // No fee: no escrow, but every committed version (and the epsilon spends) went on chain.
  await ledger.flush({ timeoutMs: 60_000 });
  expect(await ledger.job(job!.jobId)).toBeUndefined();
  const versions = await ledger.versions({ jobId: job!.jobId });
  expect(versions.map((v) => [v.jobId, v.round])).toEqual([
    [job!.jobId, 1],
    [job!.jobId, 2],
    [job!.jobId, 3],
  ]);
  const spentA = (await ledger.epsilonBudget('hospital-a/wdbc')).spent;
  expect(spentA).toBeCloseTo(r3!.epsilon['hospital-a/wdbc']!, 6);
});

test('a dataset past its on-chain cap is refused before training; the coordinator shows why', async () => {
  // Hospital A's on-chain cap: what it has spent plus a sliver, far under its local cap of 10.
  const before = await ledger.epsilonBudget('hospital-a/wdbc');
  await ledger
    .withSigner(devAccount('operator').privateKey)
    .updateDataset({ datasetId: 'hospital-a/wdbc', records: 190, epsilonCap: before.spent + 0.01 });
  const budgetFile = join(f!.dir, 'state', 'hospital-a', 'privacy-budget.json');
  const localBefore = await readFile(budgetFile, 'utf8');

  const vendor = createGrpcClient(await f!.kit('vendor'), 'JobService');
  const { job } = await vendor.SubmitJob({ spec: { ...spec, rounds: 2, minWorkers: 2 } });
  vendor.close();
  const done = await f!.coordinator.finished(job!.jobId);
  expect({ state: done.state, reason: done.reason }).toEqual({ state: 'completed', reason: undefined });
  for (const r of done.rounds) {
    expect(r.participants.sort()).toEqual(['hospital-b', 'hospital-c']);
    expect(r.failures).toEqual([
      {
        workerId: 'hospital-a',
        kind: 'error',
        detail: expect.stringMatching(
          /^PRIVACY_BUDGET_EXHAUSTED: dataset hospital-a\/wdbc has spent epsilon \d\.\d{3} of its on-chain cap [\d.]+ \(ledger PrivacyLedger\); this round would add \d\.\d{3}, so it is refused before training$/,
        ),
      },
    ]);
  }
  // Refused before the local budget was charged: the worker's budget file is as it was.
  expect(await readFile(budgetFile, 'utf8')).toBe(localBefore);
  await ledger.flush({ timeoutMs: 60_000 });
  expect((await ledger.epsilonBudget('hospital-a/wdbc')).spent).toBe(before.spent);
});
