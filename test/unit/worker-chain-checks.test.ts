/**
 * A worker's checks against the ledger, on the real contracts (embedded chain) read over real
 * JSON-RPC (the read-only HTTP endpoint the demo serves): consent read fresh on every call, the
 * on-chain budget refusing a round past the cap, an unregistered dataset refused; the owner-id to
 * address file; the job spec's purpose; calibration on top of a spent curve.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileJobSpec, DEFAULT_PURPOSE } from '../../coordinator/job-spec.js';
import { isError } from '../../common/errors.js';
import type { Dataset } from '../../datasets/dataset.js';
import { devAccount } from '../../ledger/dev-accounts.js';
import { createEmbeddedLedger, type EmbeddedLedger } from '../../ledger/ledger-embedded.js';
import { connectLedger } from '../../ledger/ledger-rpc.js';
import type { Ledger } from '../../ledger/ledger.js';
import { serveJsonRpc, type JsonRpcServer } from '../../ledger/rpc-server.js';
import { calibrateNoiseMultiplier } from '../../privacy/calibrate.js';
import { createRdpAccountant } from '../../privacy/rdp-accountant.js';
import {
  createChainChecks,
  createConsentedSplits,
  onlyConsented,
  type ChainChecks,
} from '../../worker/chain-checks.js';
import { devOwnerAccounts, loadOwnerAccounts } from '../../worker/owner-accounts.js';

let dir: string;
let chain: EmbeddedLedger;
let server: JsonRpcServer;
let reader: Ledger;
let checks: ChainChecks;
const hospital = devAccount('chain-checks-hospital');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aidoc-chain-checks-'));
  chain = await createEmbeddedLedger();
  server = await serveJsonRpc(chain.rpc);
  const deployment = join(dir, 'deployment.json');
  await writeFile(deployment, JSON.stringify(chain.deployment));
  // What a worker opens: no key, the served URL and the manifest.
  reader = await connectLedger({ rpcUrl: server.url, deployment });
  checks = createChainChecks({ ledger: reader, owners: devOwnerAccounts(), minRecords: 2 });
  const operator = chain.withSigner(devAccount('operator').privateKey);
  await operator.registerWorker({ address: hospital.address, certFingerprint: 'cd'.repeat(32), name: 'h' });
  await operator.registerDataset({
    datasetId: 'h/wdbc',
    worker: hospital.address,
    schemaId: 'wdbc-v1',
    records: 4,
    epsilonCap: 1,
  });
});

afterAll(async () => {
  await reader.close();
  await server.close();
  await chain.close();
  await rm(dir, { recursive: true, force: true });
});

const owner = (id: string) => chain.withSigner(devAccount(id).privateKey);

function dataset(ownerIds: string[]): Dataset {
  const n = ownerIds.length;
  return {
    name: 'wdbc',
    x: Float32Array.from({ length: n * 2 }, (_, i) => i),
    y: Int32Array.from({ length: n }, (_, i) => i % 2),
    n,
    featureShape: [2],
    numClasses: 2,
    classes: ['a', 'b'],
    ownerIds,
  };
}

test('consent is read fresh on every call: a revocation shows at once', async () => {
  const ids = ['cc-owner-1', 'cc-owner-2', 'cc-owner-3'];
  await owner('cc-owner-1').grantConsent('oncology');
  await owner('cc-owner-2').grantConsent('oncology');
  await owner('cc-owner-3').grantConsent('another-purpose');
  const first = await checks.consent('oncology', [...ids, 'cc-owner-1']);
  expect([...first.consenting].sort()).toEqual(['cc-owner-1', 'cc-owner-2']);
  expect(first).toMatchObject({ purpose: 'oncology', owners: 3, unmapped: 0 });

  await owner('cc-owner-2').revokeConsent('oncology');
  const second = await checks.consent('oncology', ids);
  expect([...second.consenting]).toEqual(['cc-owner-1']);

  // Records follow their owners.
  const ds = dataset(['cc-owner-1', 'cc-owner-2', 'cc-owner-1', 'cc-owner-3']);
  const kept = onlyConsented(ds, second);
  expect(kept.ownerIds).toEqual(['cc-owner-1', 'cc-owner-1']);
  expect(Array.from(kept.x)).toEqual([0, 1, 4, 5]);
});

test('records of owners without an address are never used', async () => {
  const file = join(dir, 'owners.csv');
  await writeFile(file, `owner_id,address\n# a comment\ncc-owner-1,${devAccount('cc-owner-1').address}\n`);
  const mapped = createChainChecks({ ledger: reader, owners: await loadOwnerAccounts(file) });
  const s = await mapped.consent('oncology', ['cc-owner-1', 'cc-owner-2']);
  expect([...s.consenting]).toEqual(['cc-owner-1']);
  expect(s.unmapped).toBe(1);
});

test('the consented split refuses training on too few records, and rescales only on a change', async () => {
  const ds = dataset(['cs-1', 'cs-2', 'cs-3', 'cs-4']);
  await owner('cs-1').grantConsent('split-purpose');
  await owner('cs-2').grantConsent('split-purpose');
  let scaled = 0;
  const logs: string[] = [];
  const splits = createConsentedSplits({
    chain: checks,
    datasetId: 'h/wdbc',
    ownerIds: ds.ownerIds!,
    raw: () => ({ train: ds }),
    scale: (raw) => (scaled++, { train: raw.train, test: raw.test }),
    log: (l) => logs.push(l),
  });
  const a = await splits('split-purpose', 0);
  expect(a.train.n).toBe(2);
  expect(() => a.requireEnough()).not.toThrow();
  await splits('split-purpose', 0);
  expect(scaled).toBe(1);
  expect(logs).toEqual([
    "consent to 'split-purpose' read from the ledger: 2 of 4 owners; training on 2 of 4 records",
  ]);

  await owner('cs-2').revokeConsent('split-purpose');
  const b = await splits('split-purpose', 0);
  expect(b.train.n).toBe(1);
  expect(scaled).toBe(2);
  let err: unknown;
  try {
    b.requireEnough();
  } catch (e) {
    err = e;
  }
  expect(isError(err, 'PERMISSION_DENIED')).toBe(true);
  expect((err as Error).message).toMatch(
    /^only 1 of 4 training records of dataset h\/wdbc belong to owners who consent to 'split-purpose'.*at least 2, so the round is refused before training$/,
  );
});

test('the on-chain budget: spent + planned past the cap is refused before training', async () => {
  expect(await checks.checkBudget('h/wdbc', 0.9)).toMatchObject({ cap: 1, spent: 0 });
  // The coordinator (the embedded ledger's own account) records a spend of 0.6, as after a round.
  const t = await chain.recordRound({
    jobId: 'cc-job',
    round: 1,
    version: {
      contentId: 'cid-cc-1',
      sha256: 'ab'.repeat(32),
      parent: null,
      metrics: {},
      epsilonPerDataset: { 'h/wdbc': 0.6 },
    },
    epsilonSpends: [{ datasetId: 'h/wdbc', epsilon: 0.6 }],
  });
  await chain.whenRecorded(t, { timeoutMs: 20_000 });
  expect(await checks.checkBudget('h/wdbc', 0.4)).toMatchObject({ spent: 0.6 });
  const err = await checks.checkBudget('h/wdbc', 0.41).catch((e: unknown) => e);
  expect(isError(err, 'PRIVACY_BUDGET_EXHAUSTED')).toBe(true);
  expect((err as Error).message).toBe(
    'dataset h/wdbc has spent epsilon 0.600 of its on-chain cap 1 (ledger PrivacyLedger); this round would add 0.410, so it is refused before training',
  );
  const unknown = await checks.checkBudget('nobody/wdbc', 0.1).catch((e: unknown) => e);
  expect(isError(unknown, 'NOT_FOUND')).toBe(true);
  expect((unknown as Error).message).toMatch(/^dataset nobody\/wdbc is not registered on the ledger/);
  expect(await checks.budgetOf('nobody/wdbc')).toBeUndefined();
});

test('the served endpoint is read-only', async () => {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: ['0x00'] },
      { jsonrpc: '2.0', id: 2, method: 'evm_mine', params: [] },
      { jsonrpc: '2.0', id: 3, method: 'eth_chainId', params: [] },
    ]),
  });
  const out = (await res.json()) as {
    id: number;
    error?: { code: number; message: string };
    result?: string;
  }[];
  expect(out[0]!.error).toEqual({
    code: -32601,
    message: 'eth_sendRawTransaction is not served: this endpoint is read-only',
  });
  expect(out[1]!.error?.code).toBe(-32601);
  expect(out[2]!.result).toBe('0x7a69');
  const signer = await connectLedger({
    rpcUrl: server.url,
    deployment: chain.deployment,
    privateKey: devAccount('cc-owner-9').privateKey,
    requestTimeoutMs: 2000,
  });
  try {
    await expect(signer.grantConsent('oncology')).rejects.toThrow();
    expect(await checks.consent('oncology', ['cc-owner-9'])).toMatchObject({ consenting: new Set() });
  } finally {
    await signer.close();
  }
});

test('owner accounts files: JSON or CSV, every problem named', async () => {
  const a = devAccount('x').address;
  const json = join(dir, 'o.json');
  await writeFile(json, JSON.stringify({ 'owner-0001': a.toLowerCase() }));
  expect((await loadOwnerAccounts(json)).addressOf('owner-0001')).toBe(a);
  expect((await loadOwnerAccounts(json)).addressOf('owner-0002')).toBeUndefined();
  const cases: [string, RegExp][] = [
    [`owner-1,${a}\nowner-1,${a}\n`, /line 2: owner "owner-1" appears twice/],
    ['owner-1,0x1234\n', /line 1: owner "owner-1": "0x1234" is not an 0x address/],
    [`owner-1,${a},extra\n`, /line 1: expected two fields/],
    ['owner_id,address\n', /no owners in it/],
    ['{"a": 1}', /owner "a": 1 is not an 0x address/],
    ['{not json', /not valid JSON/],
  ];
  for (const [text, problem] of cases) {
    const f = join(dir, text.startsWith('{') ? 'bad.json' : 'bad.csv');
    await writeFile(f, text);
    await expect(loadOwnerAccounts(f)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(problem),
    });
  }
  await expect(loadOwnerAccounts(join(dir, 'missing.csv'))).rejects.toThrow(
    /cannot read the owner accounts file/,
  );
  expect(devOwnerAccounts().addressOf('owner-0001')).toBe(devAccount('owner-0001').address);
});

test("a job's purpose: a default, and validated", () => {
  const base = { model: { builtin: 'wdbc-mlp' }, schemaId: 'wdbc-v1' };
  expect(compileJobSpec(base).purpose).toBe(DEFAULT_PURPOSE);
  expect(compileJobSpec({ ...base, purpose: 'research/breast-cancer' }).purpose).toBe(
    'research/breast-cancer',
  );
  for (const bad of ['', 'Research', 'has space', '-leading', 'x'.repeat(129)]) {
    expect(() => compileJobSpec({ ...base, purpose: bad })).toThrow(/purpose: must be 1 to 128 characters/);
  }
});

test('calibration on top of a spent curve keeps the whole job within the target', () => {
  const delta = 1e-5;
  // Two rounds at q = 16/152 were spent; the records shrank to 140, three rounds remain.
  const first = calibrateNoiseMultiplier({
    targetEpsilon: 1,
    delta,
    sampleRate: 16 / 152,
    steps: 10,
    rounds: 5,
  });
  const spent = createRdpAccountant().compose({
    noiseMultiplier: first.noiseMultiplier,
    sampleRate: 16 / 152,
    steps: 20,
  });
  const rest = calibrateNoiseMultiplier({
    targetEpsilon: 1,
    delta,
    sampleRate: 16 / 140,
    steps: 9,
    rounds: 3,
    spent: { orders: spent.orders, rdp: spent.rdp },
  });
  const total = createRdpAccountant({ orders: spent.orders, rdp: spent.rdp })
    .compose({ noiseMultiplier: rest.noiseMultiplier, sampleRate: 16 / 140, steps: 27 })
    .getEpsilon(delta).epsilon;
  expect(total).toBeLessThanOrEqual(1);
  expect(total).toBeGreaterThan(0.999);
  expect(rest.epsilon).toBeCloseTo(total, 12);
  // Keeping the old noise at the higher sampling rate would have passed the target.
  const stale = createRdpAccountant({ orders: spent.orders, rdp: spent.rdp })
    .compose({ noiseMultiplier: first.noiseMultiplier, sampleRate: 16 / 140, steps: 27 })
    .getEpsilon(delta).epsilon;
  expect(stale).toBeGreaterThan(1);
});
