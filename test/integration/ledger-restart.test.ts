/**
 * The embedded ledger survives a coordinator restart: its state file (a journal of signed
 * transactions) is replayed into a brand-new in-process chain, which must come back block for
 * block (same head hash), with the same contracts and the same books. Also: what a crash leaves on
 * disk (a torn journal line, an outbox entry not yet sent, an outbox lost altogether) is recovered
 * without losing or doubling a write, and a second writer is kept out.
 *
 * "Restart" here is a new chain instance in the same test process: nothing survives between the
 * two but the files (the in-process EVM is created anew from the journal).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createEmbeddedLedger, type EmbeddedLedger } from '../../ledger/ledger-embedded.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import type { RoundRecordInput } from '../../ledger/ledger.js';
import { parseAidoc } from '../../ledger/units.js';

const hA = devAccount('hospital-a');
const hB = devAccount('hospital-b');
let dir: string;
let stateFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aidoc-ledger-restart-'));
  stateFile = join(dir, 'ledger.jsonl');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function round(jobId: string, r: number): RoundRecordInput {
  return {
    jobId,
    round: r,
    version: {
      contentId: `cid-${jobId}-${r}`,
      sha256: createHash('sha256').update(`${jobId}${r}`).digest('hex'),
      parent: r > 1 ? `cid-${jobId}-${r - 1}` : null,
      metrics: { loss: 1 / r },
      epsilonPerDataset: { 'ds-a': 0.1 },
    },
    settlement: {
      participants: [
        { worker: hA.address, records: 30 },
        { worker: hB.address, records: 10 },
      ],
    },
    epsilonSpends: [{ datasetId: 'ds-a', epsilon: 0.1 }],
  };
}

async function books(l: EmbeddedLedger, jobId: string) {
  const r = await l.jobReport(jobId);
  return {
    job: r.job,
    rebates: r.rebates.map((x) => [x.name, x.amount]),
    versions: r.versions.map((v) => [v.round, v.contentId, v.txHash]),
    balances: [await l.balanceOf(hA.address), await l.balanceOf(hB.address)],
    epsilon: await l.epsilonBudget('ds-a'),
  };
}

test('state survives a restart, block for block', async () => {
  const first = await createEmbeddedLedger({ stateFile });
  const op = first.withSigner(devAccount('operator').privateKey);
  await op.registerWorker({ address: hA.address, certFingerprint: 'aa'.repeat(32), name: 'A' });
  await op.registerWorker({ address: hB.address, certFingerprint: 'bb'.repeat(32), name: 'B' });
  await op.registerDataset({
    datasetId: 'ds-a',
    worker: hA.address,
    schemaId: 'wdbc',
    records: 30,
    epsilonCap: 2,
  });
  await op.mint(devAccount('vendor').address, parseAidoc('500'));
  await first
    .withSigner(devAccount('vendor').privateKey)
    .openJob({ jobId: 'job-r', budget: parseAidoc('100'), feePerRound: parseAidoc('8'), rounds: 5 });
  for (const r of [1, 2])
    await first.whenRecorded(await first.recordRound(round('job-r', r)), { timeoutMs: 20_000 });
  await first.withSigner(devAccount('owner-1').privateKey).grantConsent('research');
  const before = await books(first, 'job-r');
  const headBefore = await first.head();
  const deployment = first.deployment;
  await first.close();

  const second = await createEmbeddedLedger({ stateFile });
  expect(second.deployment).toEqual(deployment);
  expect(await books(second, 'job-r')).toEqual(before);
  const headAfter = await second.head();
  expect([headAfter.blockNumber, headAfter.blockHash]).toEqual([
    headBefore.blockNumber,
    headBefore.blockHash,
  ]);
  expect(headBefore.blockNumber).toBeGreaterThan(20);
  expect(await second.consentOf(devAccount('owner-1').address, 'research')).toBe(true);
  expect(before.job.paidOut).toBe(parseAidoc('16'));

  // And it goes on from there.
  await second.whenRecorded(await second.recordRound(round('job-r', 3)), { timeoutMs: 20_000 });
  expect((await second.job('job-r'))?.settledRounds).toBe(3);
  await second.close();
});

test('only one writer; readers replay without the lock and cannot write', async () => {
  const writer = await createEmbeddedLedger({ stateFile });
  await expect(createEmbeddedLedger({ stateFile })).rejects.toThrow(/already open/);
  const reader = await createEmbeddedLedger({ stateFile, readOnly: true });
  expect((await reader.job('job-r'))?.settledRounds).toBe(3);
  await expect(reader.withSigner(devAccount('owner-2').privateKey).grantConsent('x')).rejects.toThrow(
    /read-only/,
  );
  await expect(reader.recordRound(round('job-r', 9))).rejects.toThrow(/no outbox/);
  await reader.close();
  await writer.close();
});

test('after a crash: a torn journal line is dropped, an unsent outbox entry is sent', async () => {
  // What a crash right after the outbox fsync (round 4 accepted, not yet sent) and in the middle
  // of a journal append leaves on disk:
  const outbox = `${stateFile}.outbox.jsonl`;
  appendFileSync(
    outbox,
    JSON.stringify({
      t: 'enqueue',
      id: 'settle:job-r:4',
      kind: 'settle',
      jobId: 'job-r',
      round: 4,
      payload: {
        workers: [hA.address, hB.address].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)),
        records: [30, 10],
      },
    }) + '\n',
  );
  appendFileSync(stateFile, '{"t":"tx","raw":"0x02f8');
  const l = await createEmbeddedLedger({ stateFile });
  await l.flush({ timeoutMs: 20_000 });
  expect(readFileSync(stateFile, 'utf8').endsWith('\n')).toBe(true);
  const j = (await l.job('job-r'))!;
  expect(j.settledRounds).toBe(4);
  expect(j.escrowed).toBe(j.paidOut + j.refunded + j.held);
  await l.close();
});

test('with the outbox lost, re-recording rounds finds them already on chain: none doubled', async () => {
  rmSync(`${stateFile}.outbox.jsonl`);
  const l = await createEmbeddedLedger({ stateFile });
  const results = await l.whenRecorded(await l.recordRound(round('job-r', 3)), { timeoutMs: 20_000 });
  expect(results.map((r) => r.status)).toEqual(['already-recorded', 'already-recorded', 'already-recorded']);
  const ev = await l.events({ jobId: 'job-r' });
  expect(ev.filter((e) => e.name === 'RoundSettled').map((e) => e.args.round)).toEqual([1, 2, 3, 4]);
  expect(ev.filter((e) => e.name === 'VersionRecorded').map((e) => e.args.round)).toEqual([1, 2, 3]);
  expect((await l.epsilonBudget('ds-a')).spent).toBeCloseTo(0.3, 9);
  await l.close();
});

test('a tampered journal is detected, not silently replayed', async () => {
  const lines = readFileSync(stateFile, 'utf8').trimEnd().split('\n');
  const i = lines.findIndex((l, k) => k > 20 && l.includes('"t":"tx"'));
  const tx = JSON.parse(lines[i]!) as { timestamp: number };
  tx.timestamp += 1;
  lines[i] = JSON.stringify(tx);
  const tampered = join(dir, 'tampered.jsonl');
  writeFileSync(tampered, lines.join('\n') + '\n');
  await expect(createEmbeddedLedger({ stateFile: tampered })).rejects.toMatchObject({ code: 'INTERNAL' });
  expect(existsSync(`${tampered}.lock`)).toBe(false);

  const header = JSON.parse(lines[0]!) as Record<string, unknown>;
  const other = join(dir, 'other-build.jsonl');
  writeFileSync(
    other,
    [JSON.stringify({ ...header, artifactsDigest: '0x00' }), ...lines.slice(1)].join('\n') + '\n',
  );
  await expect(createEmbeddedLedger({ stateFile: other })).rejects.toThrow(/another build/);
});
