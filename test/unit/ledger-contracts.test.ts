/**
 * Every revert path of the ledger's contracts, on the real bytecode in Hardhat 2's in-process EVM:
 * unauthorized callers, double settlement, settlement after the job ended, spend past the cap,
 * revoked versions, and the rest of each contract's refusals. Each expectation names the custom
 * error, decoded from the revert data, never a message string.
 */
import { Wallet } from 'ethers';
import { openEmbeddedChain, type EmbeddedChain } from '../../ledger/embedded-chain.js';
import { deployLedger, type LedgerDeployment } from '../../ledger/deployment.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import { EthersLedger } from '../../ledger/ledger-ethers.js';
import { interfaces, type ContractName } from '../../ledger/artifacts.js';
import { TxSender } from '../../ledger/tx-sender.js';
import { buildOwnerShares } from '../../ledger/owner-shares.js';
import { datasetKey, jobKey, parseAidoc, toNanoEpsilon } from '../../ledger/units.js';

let chain: EmbeddedChain;
let deployment: LedgerDeployment;
const ledgers = new Map<string, EthersLedger>();
const senders = new Map<string, TxSender>();

/** A client signing as dev account `name`. */
function as(name: string): EthersLedger {
  let l = ledgers.get(name);
  if (!l) {
    l = new EthersLedger({ provider: chain.provider, deployment, privateKey: devAccount(name).privateKey });
    ledgers.set(name, l);
  }
  return l;
}

/** A raw contract call as dev account `name`, for paths the client API guards against. */
function raw(name: string, contract: ContractName, fn: string, args: unknown[]) {
  let s = senders.get(name);
  if (!s) {
    s = new TxSender(chain.provider, new Wallet(devAccount(name).privateKey), BigInt(chain.chainId));
    senders.set(name, s);
  }
  return s.send({
    to: deployment.contracts[contract],
    data: interfaces[contract].encodeFunctionData(fn, args),
    label: `${contract}.${fn}`,
  });
}

function reverts(p: Promise<unknown>, name: string) {
  return expect(p).rejects.toMatchObject({ code: 'LEDGER_TX_FAILED', info: { revert: name } });
}

const addr = (name: string) => devAccount(name).address;
/** Ascending by address, as settleRound requires. */
const sorted = (...names: string[]) => names.map(addr).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
const unauthorized = 'AccessControlUnauthorizedAccount';

beforeAll(async () => {
  chain = await openEmbeddedChain();
  deployment = await deployLedger({
    sender: new TxSender(
      chain.provider,
      new Wallet(devAccount('operator').privateKey),
      BigInt(chain.chainId),
    ),
    chainId: chain.chainId,
    coordinator: addr('coordinator'),
    governance: addr('review-board'),
  });
  const op = as('operator');
  for (const h of ['h1', 'h2', 'h3'])
    await op.registerWorker({ address: addr(h), certFingerprint: '11'.repeat(32), name: h });
  await op.registerDataset({
    datasetId: 'd1',
    worker: addr('h1'),
    schemaId: 's',
    records: 10,
    epsilonCap: 1,
  });
  await op.registerDataset({
    datasetId: 'd2',
    worker: addr('h2'),
    schemaId: 's',
    records: 10,
    epsilonCap: 1,
  });
  await op.mint(addr('vendor'), parseAidoc('1000'));
});

afterAll(() => {
  chain.provider.destroy();
  chain.close();
});

describe('roles', () => {
  test('only the minter mints', async () => {
    await reverts(as('stranger').mint(addr('stranger'), 1n), unauthorized);
  });
  test('only the operator admits workers and datasets', async () => {
    await reverts(
      as('stranger').registerWorker({ address: addr('x'), certFingerprint: '00'.repeat(32), name: 'x' }),
      unauthorized,
    );
    await reverts(
      as('coordinator').registerDataset({
        datasetId: 'dx',
        worker: addr('h1'),
        schemaId: 's',
        records: 1,
        epsilonCap: 1,
      }),
      unauthorized,
    );
  });
  test('governance is the review board alone once it is another account', async () => {
    const models = deployment.contracts.ModelRegistry;
    expect(models).toBeDefined();
    await reverts(as('operator').revokeVersion('job-x', 1, 'no'), unauthorized);
  });
});

describe('WorkerRegistry', () => {
  test('refuses duplicates, unknown workers, and other hospitals changing a dataset', async () => {
    await reverts(
      as('operator').registerWorker({ address: addr('h1'), certFingerprint: '00'.repeat(32), name: 'again' }),
      'WorkerExists',
    );
    await reverts(
      as('operator').registerDataset({
        datasetId: 'dz',
        worker: addr('nobody'),
        schemaId: 's',
        records: 1,
        epsilonCap: 1,
      }),
      'UnknownWorker',
    );
    await reverts(
      as('operator').registerDataset({
        datasetId: 'd1',
        worker: addr('h1'),
        schemaId: 's',
        records: 1,
        epsilonCap: 1,
      }),
      'DatasetExists',
    );
    await reverts(
      as('h2').updateDataset({ datasetId: 'd1', records: 5, epsilonCap: 9 }),
      'NotDatasetController',
    );
    await reverts(as('h1').updateDataset({ datasetId: 'nope', records: 5, epsilonCap: 9 }), 'UnknownDataset');
    await reverts(as('operator').setWorkerActive(addr('nobody'), false), 'UnknownWorker');
    // The hospital itself may lower its own cap.
    await as('h1').updateDataset({ datasetId: 'd1', records: 10, epsilonCap: 1 });
    expect((await as('h1').dataset('d1'))?.epsilonCap).toBe(1);
  });
});

describe('TrainingMarket', () => {
  beforeAll(async () => {
    await as('vendor').openJob({
      jobId: 'm1',
      budget: parseAidoc('30'),
      feePerRound: parseAidoc('10'),
      rounds: 3,
    });
  });

  test('opening: terms, budget, existence, who may open', async () => {
    await raw('vendor', 'AidocToken', 'approve', [deployment.contracts.TrainingMarket, parseAidoc('1000')]);
    await reverts(
      raw('vendor', 'TrainingMarket', 'openJob', ['m0', addr('vendor'), 10n, 0n, 3]),
      'InvalidJobTerms',
    );
    await reverts(
      raw('vendor', 'TrainingMarket', 'openJob', ['m0', addr('vendor'), 10n, 5n, 0]),
      'InvalidJobTerms',
    );
    await reverts(
      raw('vendor', 'TrainingMarket', 'openJob', ['m0', addr('vendor'), 14n, 5n, 3]),
      'InsufficientBudget',
    );
    await reverts(
      raw('vendor', 'TrainingMarket', 'openJob', ['m1', addr('vendor'), 30n, 10n, 3]),
      'JobExists',
    );
    await reverts(
      raw('stranger', 'TrainingMarket', 'openJob', ['m0', addr('vendor'), 30n, 10n, 3]),
      'NotVendorOrCoordinator',
    );
    // The coordinator may open on the vendor's behalf: the vendor's allowance is its consent.
    await raw('coordinator', 'TrainingMarket', 'openJob', ['m-coord', addr('vendor'), 30n, 10n, 3]);
    expect((await as('vendor').job('m-coord'))?.escrowed).toBe(30n);
  });

  test('settlement: only the coordinator, once per round, well-formed, funded', async () => {
    const key = jobKey('m1');
    const ws = sorted('h1', 'h2');
    await reverts(raw('vendor', 'TrainingMarket', 'settleRound', [key, 1, ws, [1, 1]]), unauthorized);
    await reverts(raw('coordinator', 'TrainingMarket', 'settleRound', [key, 1, [], []]), 'EmptySettlement');
    await reverts(raw('coordinator', 'TrainingMarket', 'settleRound', [key, 1, ws, [1]]), 'LengthMismatch');
    await reverts(
      raw('coordinator', 'TrainingMarket', 'settleRound', [key, 1, [...ws].reverse(), [1, 1]]),
      'WorkersNotSorted',
    );
    await reverts(
      raw('coordinator', 'TrainingMarket', 'settleRound', [key, 1, [ws[0], ws[0]], [1, 1]]),
      'WorkersNotSorted',
    );
    await reverts(
      raw('coordinator', 'TrainingMarket', 'settleRound', [key, 1, sorted('h1', 'nobody'), [1, 1]]),
      'InactiveWorker',
    );
    await reverts(raw('coordinator', 'TrainingMarket', 'settleRound', [key, 1, ws, [0, 0]]), 'NoRecords');
    await reverts(
      raw('coordinator', 'TrainingMarket', 'settleRound', [jobKey('nope'), 1, ws, [1, 1]]),
      'UnknownJob',
    );

    await raw('coordinator', 'TrainingMarket', 'settleRound', [key, 1, ws, [1, 3]]);
    // Double settlement.
    await reverts(
      raw('coordinator', 'TrainingMarket', 'settleRound', [key, 1, ws, [1, 3]]),
      'AlreadyRecorded',
    );
    await raw('coordinator', 'TrainingMarket', 'settleRound', [key, 2, ws, [1, 3]]);
    await raw('coordinator', 'TrainingMarket', 'settleRound', [key, 3, ws, [1, 3]]);
    // Budget for exactly three rounds: a fourth is unfunded until the vendor tops up.
    await reverts(
      raw('coordinator', 'TrainingMarket', 'settleRound', [key, 4, ws, [1, 3]]),
      'InsufficientEscrow',
    );
    await reverts(raw('stranger', 'TrainingMarket', 'topUp', [key, 10n]), 'NotVendor');
    await raw('vendor', 'TrainingMarket', 'topUp', [key, parseAidoc('10')]);
    await raw('coordinator', 'TrainingMarket', 'settleRound', [key, 4, ws, [1, 3]]);
    const j = (await as('vendor').job('m1'))!;
    expect([j.escrowed, j.paidOut, j.held, j.settledRounds]).toEqual([
      parseAidoc('40'),
      parseAidoc('40'),
      0n,
      4,
    ]);
  });

  test('a deactivated worker is refused', async () => {
    await as('operator').setWorkerActive(addr('h3'), false);
    await reverts(
      raw('coordinator', 'TrainingMarket', 'settleRound', [jobKey('m-coord'), 1, sorted('h1', 'h3'), [1, 1]]),
      'InactiveWorker',
    );
    await as('operator').setWorkerActive(addr('h3'), true);
  });

  test('settlement after the job ended, and closing rules', async () => {
    await reverts(as('vendor').cancelJob('nope'), 'UnknownJob');
    await reverts(raw('vendor', 'TrainingMarket', 'finishJob', [jobKey('m-coord')]), unauthorized);
    await reverts(as('stranger').cancelJob('m-coord'), 'NotVendorOrCoordinator');
    await raw('coordinator', 'TrainingMarket', 'finishJob', [jobKey('m1')]);
    await reverts(
      raw('coordinator', 'TrainingMarket', 'settleRound', [jobKey('m1'), 5, sorted('h1'), [1]]),
      'JobNotOpen',
    );
    await reverts(raw('coordinator', 'TrainingMarket', 'finishJob', [jobKey('m1')]), 'JobNotOpen');
    await as('vendor').cancelJob('m-coord');
    await reverts(
      raw('coordinator', 'TrainingMarket', 'settleRound', [jobKey('m-coord'), 1, sorted('h1'), [1]]),
      'JobNotOpen',
    );
    await reverts(raw('vendor', 'TrainingMarket', 'topUp', [jobKey('m-coord'), 1n]), 'JobNotOpen');
    const j = (await as('vendor').job('m-coord'))!;
    expect([j.status, j.refunded, j.held]).toEqual(['cancelled', 30n, 0n]);
  });
});

describe('ModelRegistry', () => {
  const version = (round: number, contentId: string, parent = '') => ({
    jobKey: jobKey('mv'),
    round,
    contentId,
    sha256: '0x' + '22'.repeat(32),
    parent,
    metrics: '{}',
    datasetIds: [datasetKey('d1')],
    epsilon: [1n],
  });

  test('records once per (job, round), only from the coordinator', async () => {
    await reverts(raw('stranger', 'ModelRegistry', 'recordVersion', [version(1, 'cid-1')]), unauthorized);
    await reverts(raw('coordinator', 'ModelRegistry', 'recordVersion', [version(1, '')]), 'EmptyContentId');
    await reverts(
      raw('coordinator', 'ModelRegistry', 'recordVersion', [{ ...version(1, 'cid-1'), epsilon: [] }]),
      'LengthMismatch',
    );
    await raw('coordinator', 'ModelRegistry', 'recordVersion', [version(1, 'cid-1')]);
    await reverts(
      raw('coordinator', 'ModelRegistry', 'recordVersion', [version(1, 'cid-1b')]),
      'AlreadyRecorded',
    );
  });

  test('a revoked version: revoked once, no children, not usable', async () => {
    await raw('coordinator', 'ModelRegistry', 'recordVersion', [version(2, 'cid-2', 'cid-1')]);
    await reverts(as('coordinator').revokeVersion('mv', 2, 'leaks'), unauthorized);
    await reverts(as('review-board').revokeVersion('mv', 99, 'none'), 'UnknownVersion');
    await as('review-board').revokeVersion('mv', 2, 'memorizes training records');
    await reverts(as('review-board').revokeVersion('mv', 2, 'again'), 'VersionIsRevoked');
    await reverts(
      raw('coordinator', 'ModelRegistry', 'recordVersion', [version(3, 'cid-3', 'cid-2')]),
      'VersionIsRevoked',
    );
    await expect(as('stranger').requireUsableVersion('cid-2')).rejects.toMatchObject({
      code: 'VERIFICATION_FAILED',
    });
    await expect(as('stranger').requireUsableVersion('cid-none')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await as('stranger').requireUsableVersion('cid-1')).round).toBe(1);
    const v = await as('stranger').versionByContent('cid-2');
    expect([v?.revoked, v?.parent]).toEqual([true, 'cid-1']);
  });
});

describe('PrivacyLedger', () => {
  test('refuses a spend past the cap, atomically for the whole round', async () => {
    const key = jobKey('p1');
    const spend = (round: number, ids: string[], eps: number[]) =>
      raw('coordinator', 'PrivacyLedger', 'spendRound', [
        key,
        round,
        ids.map(datasetKey),
        eps.map(toNanoEpsilon),
      ]);
    await reverts(raw('stranger', 'PrivacyLedger', 'spendRound', [key, 1, [], []]), unauthorized);
    await reverts(spend(1, ['d1'], []), 'LengthMismatch');
    await reverts(spend(1, ['unknown'], [0.1]), 'UnknownDataset');
    await spend(1, ['d1', 'd2'], [0.6, 0.5]);
    await reverts(spend(1, ['d1'], [0.1]), 'AlreadyRecorded');
    // d2 fits (0.5 + 0.4 <= 1), d1 does not (0.6 + 0.5 > 1): nothing of round 2 is recorded.
    await reverts(spend(2, ['d2', 'd1'], [0.4, 0.5]), 'BudgetExceeded');
    expect((await as('stranger').epsilonBudget('d2')).spent).toBe(0.5);
    await spend(3, ['d1'], [0.4]); // exactly to the cap is allowed
    const b = await as('stranger').epsilonBudget('d1');
    expect([b.spent, b.remaining]).toEqual([1, 0]);
    await reverts(spend(4, ['d1'], [0.000000001]), 'BudgetExceeded');
    await expect(as('stranger').epsilonBudget('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('RebateClaims', () => {
  test('posting and claiming owner shares', async () => {
    const h1 = as('h1');
    await as('operator').mint(addr('h1'), 1000n);
    const tree = buildOwnerShares({
      hospital: addr('h1'),
      jobId: 'r1',
      round: 1,
      shares: [
        { account: addr('owner-1'), amount: 300n },
        { account: addr('owner-2'), amount: 200n },
      ],
    });
    await reverts(
      as('stranger').postOwnerShares({ jobId: 'r1', round: 1, root: tree.root, total: 0n }),
      'InactiveWorker',
    );
    await reverts(
      h1.postOwnerShares({ jobId: 'r1', round: 1, root: '0x' + '00'.repeat(32), total: 500n }),
      'EmptyRoot',
    );
    await h1.postOwnerShares({ jobId: 'r1', round: 1, root: tree.root, total: tree.total });
    await reverts(
      h1.postOwnerShares({ jobId: 'r1', round: 1, root: tree.root, total: tree.total }),
      'AlreadyRecorded',
    );

    const [t1, t2] = tree.tickets as [(typeof tree.tickets)[0], (typeof tree.tickets)[0]];
    await reverts(as('owner-1').claimOwnerShare({ ...t1, amount: '301' }), 'InvalidProof');
    await reverts(as('owner-1').claimOwnerShare({ ...t1, account: addr('thief') }), 'InvalidProof');
    await reverts(as('owner-1').claimOwnerShare({ ...t1, proof: t2.proof }), 'InvalidProof');
    await reverts(as('owner-1').claimOwnerShare({ ...t1, round: 2 }), 'UnknownPool');
    await as('owner-1').claimOwnerShare(t1);
    await reverts(as('owner-1').claimOwnerShare(t1), 'AlreadyClaimed');
    // A relayer may submit owner 2's claim; the tokens still go to owner 2.
    await as('relayer').claimOwnerShare(t2);
    expect(await as('stranger').balanceOf(addr('owner-1'))).toBe(300n);
    expect(await as('stranger').balanceOf(addr('owner-2'))).toBe(200n);
    expect(await as('stranger').balanceOf(addr('relayer'))).toBe(0n);
    expect(await as('stranger').isClaimed(t2)).toBe(true);
  });
});

describe('ConsentRegistry', () => {
  test('each owner sets only its own consent; history is kept', async () => {
    const owner = as('owner-7');
    await owner.grantConsent('cancer-research');
    await owner.grantConsent('ads');
    await owner.revokeConsent('ads');
    expect(await as('stranger').consentOf(addr('owner-7'), 'cancer-research')).toBe(true);
    expect(await as('stranger').consentOf(addr('owner-7'), 'ads')).toBe(false);
    expect(await as('stranger').consentMany([addr('owner-7'), addr('owner-8')], 'cancer-research')).toEqual([
      true,
      false,
    ]);
    const h = await as('stranger').consentHistory(addr('owner-7'));
    expect(h.map((c) => [c.purpose, c.granted])).toEqual([
      ['cancer-research', true],
      ['ads', true],
      ['ads', false],
    ]);
    expect(h[2]!.at).toBeGreaterThanOrEqual(h[0]!.at);
  });
});
