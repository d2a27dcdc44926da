/**
 * The Ledger client end to end on the embedded chain (the real contracts on Hardhat 2's
 * in-process EVM): a job's escrow, three recorded rounds, the report `aidoc demo` prints, and
 * idempotency of round writes.
 */
import { createHash } from 'node:crypto';
import { createEmbeddedLedger, type EmbeddedLedger } from '../../ledger/ledger-embedded.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import type { Ledger, RoundRecordInput } from '../../ledger/ledger.js';
import { parseAidoc } from '../../ledger/units.js';
import { isError } from '../../common/errors.js';
import { ensureDevParticipants } from '../../ledger/dev-setup.js';

const hospitalA = devAccount('hospital-a');
const hospitalB = devAccount('hospital-b');
const vendor = devAccount('vendor');

let coordinator: EmbeddedLedger;
let operator: Ledger;
let vendorLedger: Ledger;

function roundInput(jobId: string, round: number, parent: string | null): RoundRecordInput {
  return {
    jobId,
    round,
    version: {
      contentId: `bafy-${jobId}-${round}`,
      sha256: createHash('sha256').update(`${jobId}/${round}`).digest('hex'),
      parent,
      metrics: { loss: 1 / (round + 1), accuracy: 0.5 + round / 10 },
      epsilonPerDataset: { 'wdbc-a': 0.25, 'wdbc-b': 0.25 },
    },
    settlement: {
      participants: [
        { worker: hospitalB.address, records: 100 },
        { worker: hospitalA.address, records: 300 },
      ],
    },
    epsilonSpends: [
      { datasetId: 'wdbc-a', epsilon: 0.25 },
      { datasetId: 'wdbc-b', epsilon: 0.25 },
    ],
  };
}

beforeAll(async () => {
  coordinator = await createEmbeddedLedger();
  operator = coordinator.withSigner(devAccount('operator').privateKey);
  vendorLedger = coordinator.withSigner(vendor.privateKey);
  for (const [h, name] of [
    [hospitalA, 'Hospital A'],
    [hospitalB, 'Hospital B'],
  ] as const) {
    await operator.registerWorker({ address: h.address, certFingerprint: 'ab'.repeat(32), name });
  }
  await operator.registerDataset({
    datasetId: 'wdbc-a',
    worker: hospitalA.address,
    schemaId: 'wdbc',
    records: 300,
    epsilonCap: 3,
  });
  await operator.registerDataset({
    datasetId: 'wdbc-b',
    worker: hospitalB.address,
    schemaId: 'wdbc',
    records: 100,
    epsilonCap: 3,
  });
  await operator.mint(vendor.address, parseAidoc('1000'));
});

afterAll(async () => {
  await coordinator.close();
});

test('a job: escrow, three rounds, finish, report', async () => {
  await vendorLedger.openJob({
    jobId: 'job-1',
    budget: parseAidoc('100'),
    feePerRound: parseAidoc('20'),
    rounds: 3,
  });
  let parent: string | null = null;
  for (let r = 1; r <= 3; r++) {
    const ticket = await coordinator.recordRound(roundInput('job-1', r, parent));
    expect(ticket.ids).toEqual([`spend:job-1:${r}`, `version:job-1:${r}`, `settle:job-1:${r}`]);
    const results = await coordinator.whenRecorded(ticket, { timeoutMs: 20_000 });
    expect(results.map((x) => x.status)).toEqual(['mined', 'mined', 'mined']);
    parent = `bafy-job-1-${r}`;
  }
  await coordinator.whenRecorded(await coordinator.finishJob('job-1'), { timeoutMs: 20_000 });

  const report = await coordinator.jobReport('job-1');
  expect(report.job.status).toBe('finished');
  expect(report.job.escrowed).toBe(parseAidoc('100'));
  expect(report.job.paidOut).toBe(parseAidoc('60'));
  expect(report.job.refunded).toBe(parseAidoc('40'));
  expect(report.job.held).toBe(0n);
  const byName = Object.fromEntries(report.rebates.map((r) => [r.name, r.amount]));
  // 300 and 100 records: 3/4 and 1/4 of each 20-AIDOC round fee.
  expect(byName).toEqual({ 'Hospital A': parseAidoc('45'), 'Hospital B': parseAidoc('15') });
  expect(await coordinator.balanceOf(hospitalA.address)).toBe(parseAidoc('45'));
  expect(await coordinator.balanceOf(vendor.address)).toBe(parseAidoc('940'));
  expect(report.versions.map((v) => [v.round, v.contentId, v.parent, v.jobId])).toEqual([
    [1, 'bafy-job-1-1', null, 'job-1'],
    [2, 'bafy-job-1-2', 'bafy-job-1-1', 'job-1'],
    [3, 'bafy-job-1-3', 'bafy-job-1-2', 'job-1'],
  ]);
  for (const v of report.versions) expect(v.txHash).toMatch(/^0x[0-9a-f]{64}$/);
  expect(report.versions[2]!.epsilonPerDataset).toEqual([
    { datasetKey: expect.any(String) as string, datasetId: 'wdbc-a', epsilon: 0.25 },
    { datasetKey: expect.any(String) as string, datasetId: 'wdbc-b', epsilon: 0.25 },
  ]);
  expect(report.versions[0]!.metrics).toEqual({ loss: 0.5, accuracy: 0.6 });
  const budget = await coordinator.epsilonBudget('wdbc-a');
  expect(budget).toEqual({ datasetId: 'wdbc-a', cap: 3, spent: 0.75, pending: 0, remaining: 2.25 });
});

test('recording a round again is a no-op; only the coordinator client has an outbox', async () => {
  const again = await coordinator.recordRound(roundInput('job-1', 2, 'bafy-job-1-1'));
  // Same outbox: the ids are already done, nothing is sent.
  const same = await coordinator.whenRecorded(again);
  expect(same.map((r) => r.status)).toEqual(['mined', 'mined', 'mined']);

  // (A fresh outbox re-sending a recorded round gets `already-recorded` from the chain: see
  // test/integration/ledger-restart.test.ts.)
  const other = coordinator.withSigner(devAccount('coordinator').privateKey);
  await expect(other.recordRound(roundInput('job-1', 2, null))).rejects.toThrow(/no outbox/);
  const events = await coordinator.events({ jobId: 'job-1' });
  expect(events.filter((e) => e.name === 'RoundSettled')).toHaveLength(3);
  expect(events.filter((e) => e.name === 'VersionRecorded')).toHaveLength(3);
  expect(events.find((e) => e.name === 'JobOpened')?.args.jobId).toBe('job-1');
});

test('a job without a fee: its versions and epsilon spends go on chain, with no escrow or settlement', async () => {
  const { settlement: _none, ...free } = roundInput('job-free', 1, null);
  const ticket = await coordinator.recordRound(free);
  expect(ticket.ids).toEqual(['spend:job-free:1', 'version:job-free:1']);
  const results = await coordinator.whenRecorded(ticket, { timeoutMs: 20_000 });
  expect(results.map((x) => x.status)).toEqual(['mined', 'mined']);
  // A second round names the first as parent, as the coordinator's hooks do.
  const { settlement: _none2, ...second } = roundInput('job-free', 2, 'bafy-job-free-1');
  await coordinator.whenRecorded(await coordinator.recordRound(second), { timeoutMs: 20_000 });

  expect(await coordinator.job('job-free')).toBeUndefined();
  expect(await coordinator.isSettled('job-free', 1)).toBe(false);
  const versions = await coordinator.versions({ jobId: 'job-free' });
  expect(versions.map((v) => [v.jobId, v.round, v.contentId, v.parent])).toEqual([
    ['job-free', 1, 'bafy-job-free-1', null],
    ['job-free', 2, 'bafy-job-free-2', 'bafy-job-free-1'],
  ]);
  expect((await coordinator.requireUsableVersion('bafy-job-free-2')).round).toBe(2);
  const events = await coordinator.events({ jobId: 'job-free' });
  expect(events.filter((e) => e.name === 'EpsilonSpent')).toHaveLength(4);
  expect(events.filter((e) => e.name === 'RoundSettled' || e.name === 'Rebate')).toEqual([]);
});

test('a job without enough budget is refused with a clear error', async () => {
  const err = await vendorLedger
    .openJob({ jobId: 'job-poor', budget: parseAidoc('10'), feePerRound: parseAidoc('5'), rounds: 3 })
    .catch((e: unknown) => e);
  expect(isError(err, 'LEDGER_TX_FAILED')).toBe(true);
  expect((err as Error).message).toMatch(/does not cover 3 rounds/);

  const broke = coordinator.withSigner(devAccount('vendor-broke').privateKey);
  const err2 = await broke
    .openJob({ jobId: 'job-broke', budget: parseAidoc('10'), feePerRound: parseAidoc('5'), rounds: 2 })
    .catch((e: unknown) => e);
  expect(isError(err2, 'LEDGER_TX_FAILED') && err2.info.revert).toBe('ERC20InsufficientBalance');
  expect((err2 as Error).message).toMatch(/fund the vendor's account/);
  expect(await coordinator.job('job-broke')).toBeUndefined();
});

test('invalid round input is rejected before anything is written', async () => {
  const bad = roundInput('job-1', 9, null);
  bad.version.sha256 = 'nothex';
  await expect(coordinator.recordRound(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  const dup = roundInput('job-1', 9, null);
  dup.settlement!.participants.push({ worker: hospitalA.address, records: 1 });
  await expect(coordinator.recordRound(dup)).rejects.toThrow(/appears twice/);
  expect(coordinator.pendingWrites()).toEqual([]);
});

test('ensureDevParticipants registers and funds once, however often it runs', async () => {
  const setup = {
    workers: [
      {
        account: 'hospital-c',
        name: 'Hospital C',
        datasets: [{ datasetId: 'wdbc-c', schemaId: 'wdbc', records: 50, epsilonCap: 2 }],
      },
    ],
    vendors: [{ account: 'vendor-c', amount: parseAidoc('25') }],
  };
  await ensureDevParticipants(coordinator, setup);
  await ensureDevParticipants(coordinator, setup);
  const c = (await coordinator.workers()).filter((w) => w.name === 'Hospital C');
  expect(c).toHaveLength(1);
  expect((await coordinator.dataset('wdbc-c'))?.worker).toBe(devAccount('hospital-c').address);
  expect(await coordinator.balanceOf(devAccount('vendor-c').address)).toBe(parseAidoc('25'));
});
