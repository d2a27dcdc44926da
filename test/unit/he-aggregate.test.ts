/**
 * The coordinator's keyless streaming sum: each bad input is rejected with a clear reason and the
 * round goes on with the others (the sum holds exactly the committed contributions).
 */
import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isError } from '../../common/errors.js';
import { createHeAggregator } from '../../privacy/he-aggregate.js';
import type { HeAggregator } from '../../privacy/he-aggregate.js';
import {
  createHeContext,
  createHeParams,
  generateHeSecretKey,
  planHePrecision,
} from '../../privacy/he-context.js';
import type { HeContext, HePrecisionPlan, HeSecretKey } from '../../privacy/he-context.js';
import { encryptHeContribution, generateWorkerSigningKeyPair } from '../../privacy/he-contribution.js';
import type { HeEncryptedContribution } from '../../privacy/he-contribution.js';
import { createMemoryOpenerLedger, verifyAndOpen } from '../../privacy/he-opener.js';
import { createHeLayout } from '../../privacy/he-pack.js';
import type { HeLayout } from '../../privacy/he-pack.js';
import { createSeededRandom, generateOpenerKeyPair } from '../../privacy/he-tag.js';

const JOB = 'job-agg';
const OPENER = 'w0';
const VALUE_COUNT = 12000;
let ctx: HeContext;
let sk: HeSecretKey;
let plan: HePrecisionPlan;
let layout: HeLayout;
const opener = generateOpenerKeyPair();
const keys = new Map(
  ['w0', 'w1', 'w2', 'w3', 'w4', 'intruder'].map((w) => [w, generateWorkerSigningKeyPair()]),
);
// One worker registered with an ECDSA P-256 key instead of Ed25519.
keys.set('w3', generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const workerKey = (id: string): KeyObject | undefined =>
  id === 'intruder' ? undefined : keys.get(id)?.publicKey;
const random = createSeededRandom('he-aggregate');

function values(worker: string): Float32Array {
  const bytes = new Uint8Array(VALUE_COUNT);
  createSeededRandom(worker)(bytes);
  return Float32Array.from(bytes, (b) => (b - 128) / 256);
}

function contribute(
  worker: string,
  round = 1,
  overrides: Partial<Parameters<typeof encryptHeContribution>[0]> = {},
) {
  return encryptHeContribution({
    ctx,
    secretKey: sk,
    plan,
    layout,
    values: values(worker),
    jobId: JOB,
    round,
    workerId: worker,
    openerId: OPENER,
    openerPublicKey: opener.publicKey,
    signingKey: keys.get(worker)?.privateKey as KeyObject,
    random,
    ...overrides,
  });
}

function newAggregator(): HeAggregator {
  return createHeAggregator({ ctx, plan, layout, jobId: JOB, round: 1, openerId: OPENER, workerKey });
}

function stream(agg: HeAggregator, c: HeEncryptedContribution): void {
  const sink = agg.begin(c.contribution);
  c.ciphertexts.forEach((wire, i) => sink.add(i, wire));
  sink.commit();
}

function rejected(
  fn: () => unknown,
  pattern: RegExp,
  code: 'VERIFICATION_FAILED' | 'PERMISSION_DENIED' = 'VERIFICATION_FAILED',
): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isError(caught, code)).toBe(true);
  expect((caught as Error).message).toMatch(pattern);
}

async function openSum(agg: HeAggregator, minWorkers = 2): Promise<Float64Array> {
  const result = await verifyAndOpen(agg.openRequest(), {
    ctx,
    secretKey: sk,
    plan,
    layout,
    openerId: OPENER,
    openerPrivateKey: opener.privateKey,
    workerKey,
    minWorkers,
    ledger: createMemoryOpenerLedger(),
  });
  return result.sum;
}

function expectSumOf(sum: Float64Array, workers: string[]): void {
  const vs = workers.map(values);
  let maxErr = 0;
  for (let i = 0; i < VALUE_COUNT; i++) {
    const plain = vs.reduce((acc, v) => acc + (v[i] ?? 0), 0);
    maxErr = Math.max(maxErr, Math.abs((sum[i] ?? NaN) - plain));
  }
  expect(maxErr).toBeLessThan(workers.length * plan.step);
}

let w0: HeEncryptedContribution;
let w1: HeEncryptedContribution;
let w2: HeEncryptedContribution;

beforeAll(async () => {
  const params = await createHeParams();
  ctx = await createHeContext(params);
  sk = generateHeSecretKey(ctx);
  plan = planHePrecision(params, { valueBound: 0.5, maxWorkers: 4 });
  layout = createHeLayout(plan, ctx.slotCount, VALUE_COUNT);
  [w0, w1, w2] = await Promise.all([contribute('w0'), contribute('w1'), contribute('w2')]);
});

afterAll(() => {
  sk.delete();
  ctx.delete();
});

test('interleaved streams are summed as they arrive, and the sum opens', async () => {
  expect(layout.ciphertextCount).toBe(2);
  const agg = newAggregator();
  try {
    const sinks = [w0, w1, w2].map((c) => agg.begin(c.contribution));
    for (let i = 0; i < layout.ciphertextCount; i++) {
      [w0, w1, w2].forEach((c, k) => sinks[k]?.add(i, c.ciphertexts[i] ?? new Uint8Array()));
    }
    expect(agg.pending).toBe(3);
    sinks.forEach((s) => s.commit());
    expect(agg.committed.map((c) => c.header.workerId)).toEqual(['w0', 'w1', 'w2']);
    expectSumOf(await openSum(agg), ['w0', 'w1', 'w2']);
  } finally {
    agg.delete();
  }
});

describe('bad input is rejected and the round goes on with the others', () => {
  let agg: HeAggregator;
  beforeEach(() => {
    agg = newAggregator();
  });
  afterEach(() => {
    agg.delete();
  });

  test('a ciphertext made under other parameters', async () => {
    const otherParams = await createHeParams({ polyModulusDegree: 8192 });
    const octx = await createHeContext(otherParams);
    const osk = generateHeSecretKey(octx);
    try {
      const oplan = planHePrecision(otherParams, { valueBound: 0.5, maxWorkers: 4 });
      const foreign = await encryptHeContribution({
        ctx: octx,
        secretKey: osk,
        plan: oplan,
        layout: createHeLayout(oplan, octx.slotCount, VALUE_COUNT),
        values: values('w1'),
        jobId: JOB,
        round: 1,
        workerId: 'w1',
        openerId: OPENER,
        openerPublicKey: opener.publicKey,
        signingKey: keys.get('w1')?.privateKey as KeyObject,
        random,
      });
      // Its header names other parameters: refused at the door.
      rejected(() => agg.begin(foreign.contribution), /other HE parameters/);
      // A valid header with foreign ciphertexts behind it: refused at the first ciphertext.
      const sink = agg.begin(w1.contribution);
      rejected(
        () => sink.add(0, foreign.ciphertexts[0] ?? new Uint8Array()),
        /does not load|other HE parameters|rejected/,
      );
      expect(sink.state).toBe('aborted');
    } finally {
      osk.delete();
      octx.delete();
    }
    stream(agg, w0);
    stream(agg, w2);
    expectSumOf(await openSum(agg), ['w0', 'w2']);
  });

  test('a reordered stream, rolled back after its first ciphertext was added', async () => {
    const sink = agg.begin(w1.contribution);
    sink.add(0, w1.ciphertexts[0] ?? new Uint8Array());
    stream(agg, w0);
    rejected(() => sink.add(2, w1.ciphertexts[1] ?? new Uint8Array()), /reordered/);
    expect(sink.state).toBe('aborted');
    stream(agg, w2);
    expectSumOf(await openSum(agg), ['w0', 'w2']);
  });

  test('a truncated stream', async () => {
    stream(agg, w0);
    const sink = agg.begin(w1.contribution);
    sink.add(0, w1.ciphertexts[0] ?? new Uint8Array());
    rejected(() => sink.commit(), /truncated: 1 of 2/);
    stream(agg, w2);
    expectSumOf(await openSum(agg), ['w0', 'w2']);
  });

  test('the wrong number of ciphertexts, and ciphertexts not matching the signed digest', () => {
    const sink = agg.begin(w1.contribution);
    w1.ciphertexts.forEach((wire, i) => sink.add(i, wire));
    rejected(() => sink.add(2, w1.ciphertexts[0] ?? new Uint8Array()), /more than 2 ciphertexts/);
    const swapped = agg.begin(w2.contribution);
    swapped.add(0, w0.ciphertexts[0] ?? new Uint8Array());
    swapped.add(1, w0.ciphertexts[1] ?? new Uint8Array());
    rejected(() => swapped.commit(), /do not match the signed digest/);
  });

  test("a replay of an earlier round's update", async () => {
    const old = await contribute('w1', 0);
    rejected(() => agg.begin(old.contribution), /round 0, this is job job-agg round 1/);
  });

  test("a signature from an unregistered key, or from another worker's key", async () => {
    const intruder = await contribute('intruder');
    rejected(() => agg.begin(intruder.contribution), /not a registered worker/, 'PERMISSION_DENIED');
    const impostor = await contribute('w3', 1, { workerId: 'w1' });
    rejected(() => agg.begin(impostor.contribution), /does not verify with w1's registered key/);
  });

  test('a second update from the same worker in a round', async () => {
    stream(agg, w1);
    const again = await contribute('w1');
    rejected(() => agg.begin(again.contribution), /second update from w1/);
  });

  test('a contribution naming another opener, and more than the plan allows', async () => {
    const elsewhere = await contribute('w1', 1, { openerId: 'w2' });
    rejected(() => agg.begin(elsewhere.contribution), /names opener w2/);
    for (const c of [w0, w1, w2]) stream(agg, c);
    const w3 = await contribute('w3');
    stream(agg, w3);
    const fifth = await contribute('w4');
    rejected(() => agg.begin(fifth.contribution), /at most 4 contributions/);
  });

  test('an ECDSA P-256 worker key works like an Ed25519 one', async () => {
    const ec = await contribute('w3');
    stream(agg, ec);
    stream(agg, w0);
    expectSumOf(await openSum(agg), ['w3', 'w0']);
  });

  test('a malformed header', () => {
    rejected(() => agg.begin({ header: { jobId: JOB }, signature: 'x' }), /malformed header/);
  });
});
