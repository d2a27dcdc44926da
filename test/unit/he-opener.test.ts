/**
 * The opener's three properties, each with the attacks it stops. The "coordinator" here is the
 * test itself: it holds every ciphertext and no key, and builds forged aggregates with the only
 * operations available without a key (add, subtract, reorder, substitute, replay).
 */
import type { KeyObject } from 'node:crypto';
import { isError } from '../../common/errors.js';
import { createHeAggregator } from '../../privacy/he-aggregate.js';
import { loadHeCiphertext, saveHeCiphertext } from '../../privacy/he-cipher.js';
import {
  createHeContext,
  createHeParams,
  generateHeSecretKey,
  planHePrecision,
} from '../../privacy/he-context.js';
import type { HeContext, HePrecisionPlan, HeSecretKey } from '../../privacy/he-context.js';
import {
  encryptHeContribution,
  generateWorkerSigningKeyPair,
  signContribution,
} from '../../privacy/he-contribution.js';
import type { HeEncryptedContribution, HeOpenRequest } from '../../privacy/he-contribution.js';
import { createCiphertextQueue, createMemoryOpenerLedger, verifyAndOpen } from '../../privacy/he-opener.js';
import type { HeOpenerLedger, HeOpenRefusal, HeStreamedOpenRequest } from '../../privacy/he-opener.js';
import { createHeLayout } from '../../privacy/he-pack.js';
import type { HeLayout } from '../../privacy/he-pack.js';
import { createSeededRandom, generateOpenerKeyPair } from '../../privacy/he-tag.js';

const JOB = 'job-wdbc';
const VALUE_COUNT = 10000; // two ciphertexts, so position attacks are possible
const OPENER = 'hospital-a';

let ctx: HeContext;
let sk: HeSecretKey;
let plan: HePrecisionPlan;
let layout: HeLayout;
const opener = generateOpenerKeyPair();
const workers = ['hospital-a', 'hospital-b', 'hospital-c', 'hospital-d'];
const signing = new Map(workers.map((w) => [w, generateWorkerSigningKeyPair()]));
const registered = new Set(['hospital-a', 'hospital-b', 'hospital-c']);
const workerKey = (id: string): KeyObject | undefined =>
  registered.has(id) ? signing.get(id)?.publicKey : undefined;
const random = createSeededRandom('he-opener');

function update(worker: string, round: number): Float32Array {
  const bytes = new Uint8Array(VALUE_COUNT);
  createSeededRandom(`${worker}/${round}`)(bytes);
  return Float32Array.from(bytes, (b) => (b - 127.5) / 300);
}

async function contribute(worker: string, round: number): Promise<HeEncryptedContribution> {
  return encryptHeContribution({
    ctx,
    secretKey: sk,
    plan,
    layout,
    values: update(worker, round),
    jobId: JOB,
    round,
    workerId: worker,
    openerId: OPENER,
    openerPublicKey: opener.publicKey,
    signingKey: signing.get(worker)?.privateKey as KeyObject,
    random,
  });
}

/** The honest coordinator path: stream every contribution into a keyless aggregator. */
function aggregate(round: number, contributions: HeEncryptedContribution[]): HeOpenRequest {
  const agg = createHeAggregator({ ctx, plan, layout, jobId: JOB, round, openerId: OPENER, workerKey });
  try {
    for (const c of contributions) {
      const sink = agg.begin(c.contribution);
      c.ciphertexts.forEach((wire, i) => sink.add(i, wire));
      sink.commit();
    }
    return agg.openRequest();
  } finally {
    agg.delete();
  }
}

/** A malicious coordinator's combination: sum of coefficient * ciphertext vector, per position. */
function combine(terms: [readonly Uint8Array[], 1 | -1][]): Uint8Array[] {
  const evaluator = ctx.seal.Evaluator(ctx.context);
  try {
    return Array.from({ length: layout.ciphertextCount }, (_, i) => {
      const [first, ...rest] = terms;
      const acc = loadHeCiphertext(ctx, first?.[0][i] ?? new Uint8Array());
      try {
        for (const [wires, sign] of rest) {
          const ct = loadHeCiphertext(ctx, wires[i] ?? new Uint8Array());
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

function open(
  request: HeStreamedOpenRequest,
  ledger: HeOpenerLedger = createMemoryOpenerLedger(),
  openerId = OPENER,
  minWorkers = 3,
) {
  return verifyAndOpen(request, {
    ctx,
    secretKey: sk,
    plan,
    layout,
    openerId,
    openerPrivateKey: opener.privateKey,
    workerKey,
    minWorkers,
    ledger,
  });
}

async function expectRefusal(promise: Promise<unknown>, reason: HeOpenRefusal): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(isError(caught, 'VERIFICATION_FAILED') || isError(caught, 'QUORUM_NOT_MET')).toBe(true);
  expect((caught as { info: { reason: string } }).info.reason).toBe(reason);
}

let a: HeEncryptedContribution;
let b: HeEncryptedContribution;
let c: HeEncryptedContribution;
let honest: HeOpenRequest;

beforeAll(async () => {
  const params = await createHeParams();
  ctx = await createHeContext(params);
  sk = generateHeSecretKey(ctx);
  plan = planHePrecision(params, { valueBound: 0.5 });
  layout = createHeLayout(plan, ctx.slotCount, VALUE_COUNT);
  [a, b, c] = await Promise.all([
    contribute('hospital-a', 1),
    contribute('hospital-b', 1),
    contribute('hospital-c', 1),
  ]);
  honest = aggregate(1, [a, b, c]);
});

afterAll(() => {
  sk.delete();
  ctx.delete();
});

describe('opening the exact claimed sum', () => {
  test('returns the plain sum to within the precision budget (n * step per value)', async () => {
    expect(layout.ciphertextCount).toBe(2);
    const result = await open(honest);
    expect(result.contributors).toEqual(['hospital-a', 'hospital-b', 'hospital-c']);
    const ua = update('hospital-a', 1);
    const ub = update('hospital-b', 1);
    const uc = update('hospital-c', 1);
    let maxErr = 0;
    for (let i = 0; i < VALUE_COUNT; i++) {
      maxErr = Math.max(
        maxErr,
        Math.abs((result.sum[i] ?? NaN) - ((ua[i] ?? 0) + (ub[i] ?? 0) + (uc[i] ?? 0))),
      );
    }
    expect(maxErr).toBeLessThan(3 * plan.step);
  });

  test('the signed headers carry no update: each is small and fixed-size', () => {
    const header = JSON.stringify(a.contribution);
    expect(header.length).toBeLessThan(1000);
  });
});

describe('an aggregate that streams in (opened while the rest is in flight)', () => {
  /** Feeds `wires` one per event-loop turn, then ends (or fails) the stream. */
  function streamed(count: number, wires: readonly Uint8Array[], end: 'end' | Error = 'end') {
    const queue = createCiphertextQueue(count);
    void (async () => {
      for (const w of wires) {
        await new Promise((r) => setImmediate(r));
        queue.push(w);
      }
      await new Promise((r) => setImmediate(r));
      if (end === 'end') queue.end();
      else queue.fail(end);
    })();
    return queue;
  }

  test('gives exactly what the whole aggregate gives', async () => {
    const whole = await open(honest);
    const stream = await open({ ...honest, aggregate: streamed(2, honest.aggregate) });
    expect(stream.contributors).toEqual(whole.contributors);
    expect(Array.from(stream.sum)).toEqual(Array.from(whole.sum));
  });

  test('a stream that ends early, or runs past its declared count, is refused and uses up the round', async () => {
    const ledger = createMemoryOpenerLedger();
    await expectRefusal(
      open({ ...honest, aggregate: streamed(2, honest.aggregate.slice(0, 1)) }, ledger),
      'ciphertext-count',
    );
    await expectRefusal(open(honest, ledger), 'already-opened');
    const extra = [...honest.aggregate, honest.aggregate[0] ?? new Uint8Array()];
    await expectRefusal(open({ ...honest, aggregate: streamed(2, extra) }), 'ciphertext-count');
  });

  test('a declared count other than the layout is refused before anything is decrypted', async () => {
    const ledger = createMemoryOpenerLedger();
    await expectRefusal(
      open({ ...honest, aggregate: streamed(3, honest.aggregate) }, ledger),
      'ciphertext-count',
    );
    await expect(open(honest, ledger)).resolves.toBeDefined(); // the round was not used up
  });

  test('a transport failure mid-stream rejects with that failure and returns no sum', async () => {
    const broken = new Error('the SHA-256 of the fetched aggregate does not match');
    await expect(open({ ...honest, aggregate: streamed(2, honest.aggregate, broken) })).rejects.toBe(broken);
  });
});

describe('property 1: only the exact sum of >= minWorkers registered, signed contributions opens', () => {
  test("one worker's ciphertext presented as the aggregate", async () => {
    await expectRefusal(open({ ...honest, aggregate: a.ciphertexts }), 'tag-mismatch');
  });

  test('a doubled contribution (A counted twice)', async () => {
    await expectRefusal(
      open({
        ...honest,
        aggregate: combine([
          [honest.aggregate, 1],
          [a.ciphertexts, 1],
        ]),
      }),
      'tag-mismatch',
    );
  });

  test('a scaled sum (the aggregate doubled)', async () => {
    await expectRefusal(
      open({
        ...honest,
        aggregate: combine([
          [honest.aggregate, 1],
          [honest.aggregate, 1],
        ]),
      }),
      'tag-mismatch',
    );
  });

  test('a dropped contribution (A + B claimed as A + B + C)', async () => {
    await expectRefusal(
      open({
        ...honest,
        aggregate: combine([
          [a.ciphertexts, 1],
          [b.ciphertexts, 1],
        ]),
      }),
      'tag-mismatch',
    );
  });

  test('the difference attack (sum - B - C = A alone, claimed as the sum)', async () => {
    const forged = combine([
      [honest.aggregate, 1],
      [b.ciphertexts, -1],
      [c.ciphertexts, -1],
    ]);
    await expectRefusal(open({ ...honest, aggregate: forged }), 'tag-mismatch');
  });

  test("a substituted contribution (C replaced by C's update from another round)", async () => {
    const c0 = await contribute('hospital-c', 0);
    const forged = combine([
      [a.ciphertexts, 1],
      [b.ciphertexts, 1],
      [c0.ciphertexts, 1],
    ]);
    await expectRefusal(open({ ...honest, aggregate: forged }), 'tag-mismatch');
  });

  test('positions mixed (ciphertext 0 of A alone, ciphertext 1 of the true sum)', async () => {
    await expectRefusal(
      open({
        ...honest,
        aggregate: [a.ciphertexts[0] ?? new Uint8Array(), honest.aggregate[1] ?? new Uint8Array()],
      }),
      'tag-mismatch',
    );
    await expectRefusal(open({ ...honest, aggregate: [...honest.aggregate].reverse() }), 'tag-mismatch');
  });

  test('fewer than minWorkers signatures', async () => {
    await expectRefusal(open(aggregate(1, [a, b])), 'quorum');
  });

  test('the same worker claimed twice to reach the quorum', async () => {
    const request = { ...honest, contributions: [a.contribution, a.contribution, b.contribution] };
    await expectRefusal(open(request), 'duplicate-worker');
  });

  test('a signature from an unregistered key', async () => {
    const d = await contribute('hospital-d', 1);
    const request = { ...honest, contributions: [...honest.contributions, d.contribution] };
    await expectRefusal(open(request), 'unregistered');
  });

  test("a header signed with another worker's key", async () => {
    const forgedHeader = signContribution(
      { ...a.contribution.header },
      signing.get('hospital-b')?.privateKey as KeyObject,
    );
    const request = { ...honest, contributions: [forgedHeader, b.contribution, c.contribution] };
    await expectRefusal(open(request), 'signature');
  });

  test('a tampered header (sealed tag swapped between workers)', async () => {
    const swapped = {
      ...a.contribution,
      header: { ...a.contribution.header, sealedTag: b.contribution.header.sealedTag },
    };
    await expectRefusal(
      open({ ...honest, contributions: [swapped, b.contribution, c.contribution] }),
      'signature',
    );
  });
});

describe('property 2: the opener verifies without any individual ciphertext', () => {
  test('the request holds only the aggregate and signed headers', () => {
    expect(Object.keys(honest).sort()).toEqual(['aggregate', 'contributions', 'jobId', 'round']);
    for (const wire of honest.aggregate) {
      for (const single of [a, b, c].flatMap((x) => x.ciphertexts))
        expect(Buffer.compare(wire, single)).not.toBe(0);
    }
  });

  test('a request naming another opener is refused by everyone else', async () => {
    await expectRefusal(open(honest, createMemoryOpenerLedger(), 'hospital-b'), 'wrong-opener');
  });
});

describe('property 3: an update is in at most one opened sum', () => {
  test('a second sum over the same updates is refused', async () => {
    const ledger = createMemoryOpenerLedger();
    await open(honest, ledger);
    await expectRefusal(open(honest, ledger), 'already-opened');
    // An honest-looking sum without C would differ from the first by C's update: refused even
    // by an opener whose quorum it meets.
    const partial = {
      ...honest,
      aggregate: combine([
        [a.ciphertexts, 1],
        [b.ciphertexts, 1],
      ]),
      contributions: [a.contribution, b.contribution],
    };
    await expectRefusal(open(partial, ledger, OPENER, 2), 'already-opened');
    await expect(open(partial, createMemoryOpenerLedger(), OPENER, 2)).resolves.toBeDefined();
  });

  test('a refusal before decryption leaves the round open; one after decryption uses it up', async () => {
    const ledger = createMemoryOpenerLedger();
    await expectRefusal(open(aggregate(1, [a, b]), ledger), 'quorum');
    await expect(open(honest, ledger)).resolves.toMatchObject({
      contributors: ['hospital-a', 'hospital-b', 'hospital-c'],
    });

    // A forged aggregate was decrypted and refused: no second (oracle) attempt in that round.
    const burnt = createMemoryOpenerLedger();
    await expectRefusal(open({ ...honest, aggregate: a.ciphertexts }, burnt), 'tag-mismatch');
    await expectRefusal(open(honest, burnt), 'already-opened');
  });

  test('a replay from an earlier round is refused', async () => {
    const ledger = createMemoryOpenerLedger();
    const [a2, b2] = await Promise.all([contribute('hospital-a', 2), contribute('hospital-b', 2)]);
    // Round-1 header of C claimed in round 2.
    const replayHeader: HeOpenRequest = {
      ...aggregate(2, [a2, b2]),
      contributions: [a2.contribution, b2.contribution, c.contribution],
    };
    await expectRefusal(open(replayHeader, ledger), 'wrong-job-or-round');
    // Round-1 ciphertexts of C summed in while claiming a fresh round-2 header of C.
    const c2 = await contribute('hospital-c', 2);
    const forged: HeOpenRequest = {
      jobId: JOB,
      round: 2,
      aggregate: combine([
        [a2.ciphertexts, 1],
        [b2.ciphertexts, 1],
        [c.ciphertexts, 1],
      ]),
      contributions: [a2.contribution, b2.contribution, c2.contribution],
    };
    await expectRefusal(open(forged, ledger), 'tag-mismatch');
    await expect(open(aggregate(2, [a2, b2, c2]))).resolves.toBeDefined();
  });
});
