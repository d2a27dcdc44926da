/**
 * `aidoc ledger ...` and `aidoc owner ...` against an embedded ledger state file, run through the
 * command objects the CLI dispatches to (flags as the parser would deliver them).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { CliCommand, FlagValues } from '../../cli/command.js';
import {
  ledgerBalanceCommand,
  ledgerEventsCommand,
  ledgerJobCommand,
  ledgerVersionsCommand,
} from '../../cli/commands/ledger.js';
import {
  ownerClaimCommand,
  ownerConsentGrantCommand,
  ownerConsentListCommand,
  ownerConsentRevokeCommand,
} from '../../cli/commands/owner.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import { createEmbeddedLedger } from '../../ledger/ledger-embedded.js';
import { buildOwnerShares, splitRebate } from '../../ledger/owner-shares.js';
import { parseAidoc } from '../../ledger/units.js';

let dir: string;
let state: string;
let ticketFile: string;
const hA = devAccount('hospital-a');

async function run(cmd: CliCommand, flags: FlagValues, positionals: string[] = []) {
  const out: string[] = [];
  const code = await cmd.run({
    flags: { 'ledger-state': state, ...flags },
    positionals,
    io: { out: (l) => out.push(l), err: () => undefined },
    signal: new AbortController().signal,
  });
  return {
    code: code ?? 0,
    out,
    json: flags.json ? (JSON.parse(out[0]!) as Record<string, unknown>) : undefined,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aidoc-ledger-cli-'));
  state = join(dir, 'ledger.jsonl');
  const l = await createEmbeddedLedger({ stateFile: state });
  const op = l.withSigner(devAccount('operator').privateKey);
  await op.registerWorker({ address: hA.address, certFingerprint: 'aa'.repeat(32), name: 'Hospital A' });
  await op.registerDataset({
    datasetId: 'ds-a',
    worker: hA.address,
    schemaId: 'wdbc',
    records: 3,
    epsilonCap: 5,
  });
  await op.mint(devAccount('vendor').address, parseAidoc('100'));
  await l
    .withSigner(devAccount('vendor').privateKey)
    .openJob({ jobId: 'cli-job', budget: parseAidoc('30'), feePerRound: parseAidoc('10'), rounds: 2 });
  await l.whenRecorded(
    await l.recordRound({
      jobId: 'cli-job',
      round: 1,
      version: {
        contentId: 'bafy-cli-1',
        sha256: createHash('sha256').update('m').digest('hex'),
        parent: null,
        metrics: { accuracy: 0.9 },
        epsilonPerDataset: { 'ds-a': 0.5 },
      },
      settlement: { participants: [{ worker: hA.address, records: 3 }] },
      epsilonSpends: [{ datasetId: 'ds-a', epsilon: 0.5 }],
    }),
    { timeoutMs: 20_000 },
  );
  await l.whenRecorded(await l.finishJob('cli-job'), { timeoutMs: 20_000 });
  // Hospital A passes half its 10-AIDOC rebate to its two owners, by records (2 and 1).
  const shares = splitRebate(parseAidoc('5'), [
    { account: devAccount('owner-1').address, records: 2 },
    { account: devAccount('owner-2').address, records: 1 },
  ]);
  const tree = buildOwnerShares({ hospital: hA.address, jobId: 'cli-job', round: 1, shares });
  await l
    .withSigner(hA.privateKey)
    .postOwnerShares({ jobId: 'cli-job', round: 1, root: tree.root, total: tree.total });
  ticketFile = join(dir, 'owner-1-ticket.json');
  writeFileSync(ticketFile, JSON.stringify(tree.tickets[0]));
  await l.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('ledger job prints the books, versions and rebates', async () => {
  const { json } = await run(ledgerJobCommand, { json: true }, ['cli-job']);
  expect(json).toMatchObject({
    jobId: 'cli-job',
    status: 'finished',
    unit: 'AIDOC',
    escrowed: '30.0',
    paidOut: '10.0',
    refunded: '20.0',
    held: '0.0',
    rebates: [{ hospital: 'Hospital A', amount: '10.0', rounds: 1 }],
    versions: [{ round: 1, contentId: 'bafy-cli-1', epsilon: { 'ds-a': 0.5 }, revoked: false }],
  });
  const text = await run(ledgerJobCommand, {}, ['cli-job']);
  expect(text.out.join('\n')).toMatch(/escrowed 30\.0 {2}paid out 10\.0 {2}refunded 20\.0 {2}held 0\.0/);
  const list = await run(ledgerJobCommand, { json: true });
  expect((list.json!.jobs as { jobId: string }[]).map((j) => j.jobId)).toEqual(['cli-job']);
});

test('ledger balance, versions and events', async () => {
  const bal = await run(ledgerBalanceCommand, { json: true });
  const byName = Object.fromEntries(
    (bal.json!.balances as { name: string; balance: string }[]).map((b) => [b.name, b.balance]),
  );
  expect(byName).toMatchObject({
    'market escrow': '0.0',
    'Hospital A': '5.0',
    vendor: '90.0',
    'owner claims pool': '5.0',
  });
  const one = await run(ledgerBalanceCommand, { json: true }, ['vendor']);
  expect(one.json!.balances).toEqual([
    { name: 'vendor', address: devAccount('vendor').address, balance: '90.0' },
  ]);

  const versions = await run(ledgerVersionsCommand, { json: true, job: 'cli-job' });
  expect((versions.json!.versions as { contentId: string; txHash: string }[])[0]).toMatchObject({
    contentId: 'bafy-cli-1',
    txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) as string,
  });
  const events = await run(ledgerEventsCommand, { json: true, job: 'cli-job' });
  const names = (events.json!.events as { name: string }[]).map((e) => e.name);
  expect(names).toEqual(
    expect.arrayContaining([
      'JobOpened',
      'EpsilonSpent',
      'VersionRecorded',
      'RoundSettled',
      'Rebate',
      'JobClosed',
    ]),
  );
  const last = await run(ledgerEventsCommand, { limit: '2' });
  expect(last.out).toHaveLength(2);
});

test('owner consent grant, revoke, list', async () => {
  const g = await run(ownerConsentGrantCommand, { account: 'owner-1', purpose: 'oncology', json: true });
  expect(g.json).toMatchObject({ owner: devAccount('owner-1').address, purpose: 'oncology', granted: true });
  await run(ownerConsentGrantCommand, { account: 'owner-1', purpose: 'genomics' });
  await run(ownerConsentRevokeCommand, { account: 'owner-1', purpose: 'genomics' });
  const list = await run(ownerConsentListCommand, { owner: devAccount('owner-1').address, json: true });
  expect(list.json!.purposes).toEqual({ oncology: true, genomics: false });
  expect(list.json!.history).toHaveLength(3);
  await expect(run(ownerConsentGrantCommand, { purpose: 'x' })).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
  });
});

test('owner claim pays the ticket once', async () => {
  const first = await run(ownerClaimCommand, { account: 'owner-1', ticket: ticketFile, json: true });
  expect(first.json!.claims).toEqual([
    expect.objectContaining({
      account: devAccount('owner-1').address,
      amount: '3.333333333333333333',
      status: 'claimed',
    }),
  ]);
  const again = await run(ownerClaimCommand, { account: 'owner-1', ticket: ticketFile, json: true });
  expect((again.json!.claims as { status: string }[])[0]!.status).toBe('already-claimed');
  const bal = await run(ledgerBalanceCommand, { json: true }, ['owner-1']);
  expect((bal.json!.balances as { balance: string }[])[0]!.balance).toBe('3.333333333333333333');
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ jobId: 'x' }));
  await expect(run(ownerClaimCommand, { account: 'owner-1', ticket: join(dir, 'bad.json') })).rejects.toThrow(
    /not a claim ticket/,
  );
});

test('a missing state file is a clear error', async () => {
  await expect(run(ledgerJobCommand, { 'ledger-state': join(dir, 'nope.jsonl') })).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
});
