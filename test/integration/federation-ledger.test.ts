/**
 * The ledger around real rounds: escrow at submission (refused without budget), one settlement
 * and one version per round on the chain, the unused budget refunded when a job is cancelled.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLedgerHooks } from '../../coordinator/ledger-hooks.js';
import { createGrpcClient } from '../../coordinator/transport/grpc-client.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import { ensureDevParticipants } from '../../ledger/dev-setup.js';
import { createEmbeddedLedger, type EmbeddedLedger } from '../../ledger/ledger-embedded.js';
import { startTestFederation, waitForWorkers, type TestFederation } from '../helpers/federation.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const AIDOC = 10n ** 18n;
let f: TestFederation | undefined;
let ledger: EmbeddedLedger;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aidoc-ledger-fed-'));
  await mkdir(join(dir, 'chain'), { recursive: true });
  ledger = await createEmbeddedLedger({ stateFile: join(dir, 'chain', 'chain.jsonl') });
});

afterAll(async () => {
  await f?.close();
  await ledger.close();
  await rm(dir, { recursive: true, force: true });
});

test('escrow at submission, one settlement and version per round, refusal without budget', async () => {
  f = await startTestFederation({
    hooks: createLedgerHooks({ ledger, vendorAddress: (v) => devAccount(`ledger-test-${v}`).address }),
  });
  await ensureDevParticipants(ledger, {
    workers: f.fed.workers.map((w) => ({
      account: `ledger-test-${w.name}`,
      name: w.name,
      certFingerprint: w.fingerprint,
      datasets: [],
    })),
    vendors: [{ account: 'ledger-test-acme', amount: 10n * AIDOC }],
  });
  await ledger.withSigner(devAccount('ledger-test-acme').privateKey).approveEscrow(10n * AIDOC);
  [0, 1, 2].forEach((i) => f!.startWorker(i));
  await waitForWorkers(f.coordinator, 3);

  const acme = createGrpcClient(await f.kit('vendor', 0), 'JobService');
  const poor = createGrpcClient(await f.kit('vendor', 1), 'JobService');
  const spec = {
    model: { builtin: 'wdbc-mlp' },
    datasetSchemaId: 'wdbc-v1',
    rounds: 3,
    minWorkers: 3,
    localEpochs: 1,
    batchSize: 16,
    learningRate: 0.05,
  };
  try {
    // other-vendor holds no tokens and approved nothing: refused before anything runs, with the reason.
    await expect(poor.SubmitJob({ spec: { ...spec, feePerRound: AIDOC.toString() } })).rejects.toMatchObject({
      code: 'LEDGER_TX_FAILED',
      message: expect.stringMatching(
        /refused: vendor 0x[0-9a-fA-F]{40} (holds less than the budget|has not approved the market)/,
      ),
    });

    const { job } = await acme.SubmitJob({ spec: { ...spec, feePerRound: (2n * AIDOC).toString() } });
    const done = await f.coordinator.finished(job!.jobId);
    expect(done.state).toBe('completed');
    await ledger.flush({ timeoutMs: 60_000 });
    const report = await ledger.jobReport(job!.jobId);
    expect(report.job).toMatchObject({
      escrowed: 6n * AIDOC,
      paidOut: 6n * AIDOC,
      refunded: 0n,
      held: 0n,
      settledRounds: 3,
    });
    expect(report.versions.map((v) => v.round)).toEqual([1, 2, 3]);
    const paid = report.rebates.reduce((a, r) => a + r.amount, 0n);
    expect(paid).toBe(6n * AIDOC);
    // Rebates follow the records each hospital contributed.
    const recordsA = done.rounds.reduce((a, r) => a + r.numExamples, 0);
    expect(report.rebates.reduce((a, r) => a + Number(r.records), 0)).toBe(recordsA);

    // A cancelled job gets its unused budget back.
    const { job: second } = await acme.SubmitJob({
      spec: { ...spec, rounds: 4, feePerRound: AIDOC.toString() },
    });
    await acme.CancelJob({ jobId: second!.jobId, reason: 'changed our mind' });
    const cancelled = await f.coordinator.finished(second!.jobId);
    expect(cancelled.state).toBe('cancelled');
    await ledger.flush({ timeoutMs: 60_000 });
    const books = (await ledger.jobReport(second!.jobId)).job;
    expect(books.escrowed).toBe(4n * AIDOC);
    expect(books.paidOut + books.refunded + books.held).toBe(books.escrowed);
    expect(books.held).toBe(0n);
    expect(books.refunded).toBe(4n * AIDOC - books.paidOut);
  } finally {
    acme.close();
    poor.close();
  }
});
