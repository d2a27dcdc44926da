import type { KeyObject } from 'node:crypto';
import { isError } from '../../common/errors.js';
import { createHeAggregator } from '../../privacy/he-aggregate.js';
import {
  createHeContext,
  createHeParams,
  generateHeSecretKey,
  planHePrecision,
} from '../../privacy/he-context.js';
import type { HeContext, HeParams, HePrecisionPlan, HeSecretKey } from '../../privacy/he-context.js';
import { encryptHeContribution, generateWorkerSigningKeyPair } from '../../privacy/he-contribution.js';
import { createMemoryOpenerLedger, verifyAndOpen } from '../../privacy/he-opener.js';
import { createHeLayout, createHePacker, unpackSum } from '../../privacy/he-pack.js';
import type { HeLayout } from '../../privacy/he-pack.js';
import {
  createPadStream,
  createSeededRandom,
  generateOpenerKeyPair,
  generateTagSeed,
} from '../../privacy/he-tag.js';

let params: HeParams;

beforeAll(async () => {
  params = await createHeParams();
});

function seededValues(seed: string, count: number, bound: number): Float32Array {
  const words = new Uint32Array(count);
  createSeededRandom(seed)(new Uint8Array(words.buffer));
  return Float32Array.from(words, (w) => (w / 2 ** 32 - 0.5) * 2 * bound);
}

/**
 * Packs n workers' vectors and sums their slot vectors mod t in plain integer arithmetic: exactly
 * what a BGV sum decrypts to. Isolates the packing algebra from the encryption.
 */
function plainRoundTrip(
  plan: HePrecisionPlan,
  layout: HeLayout,
  vectors: Float32Array[],
): { sum: Float64Array; checks: ReturnType<typeof unpackSum>[]; clamped: number } {
  const random = createSeededRandom('plain');
  const seeds = vectors.map(() => generateTagSeed(random));
  const packers = vectors.map((_, w) =>
    createHePacker(
      plan,
      layout,
      createPadStream(seeds[w] ?? new Uint8Array(), `w${w}`, plan.plainModulus),
      random,
    ),
  );
  const openerPads = seeds.map((s, w) => createPadStream(s, `w${w}`, plan.plainModulus));
  const sum = new Float64Array(layout.valueCount);
  const checks: ReturnType<typeof unpackSum>[] = [];
  const t = plan.plainModulus;
  let clamped = 0;
  const slots = new Float64Array(layout.slotCount);
  const pad = new Float64Array(layout.slotCount);
  for (let c = 0; c < layout.ciphertextCount; c++) {
    const decoded = new Float64Array(layout.slotCount);
    vectors.forEach((v, w) => {
      clamped += packers[w]?.pack(v, c, slots) ?? 0;
      for (let j = 0; j < slots.length; j++) decoded[j] = ((decoded[j] ?? 0) + (slots[j] ?? 0)) % t;
    });
    const padSum = new Float64Array(layout.slotCount);
    for (const p of openerPads) {
      p.next(pad);
      for (let j = 0; j < pad.length; j++) padSum[j] = ((padSum[j] ?? 0) + (pad[j] ?? 0)) % t;
    }
    checks.push(unpackSum(plan, layout, c, vectors.length, decoded, padSum, sum));
  }
  return { sum, checks, clamped };
}

describe('layout', () => {
  test('4092 data coefficients of 2 values per N=4096 ciphertext', () => {
    const plan = planHePrecision(params, { valueBound: 1 });
    expect(createHeLayout(plan, 4096, 1).ciphertextCount).toBe(1);
    expect(createHeLayout(plan, 4096, 8184).ciphertextCount).toBe(1);
    expect(createHeLayout(plan, 4096, 8185).ciphertextCount).toBe(2);
    expect(createHeLayout(plan, 4096, 1_000_000).ciphertextCount).toBe(123);
  });
});

describe('packing algebra (no encryption)', () => {
  test.each([1, 2, 3] as const)(
    'valuesPerSlot %i: sums within n * step, tags exactly zero',
    (valuesPerSlot) => {
      const plan = planHePrecision(params, { valueBound: 0.25, valuesPerSlot });
      const layout = createHeLayout(plan, 4096, 10000);
      const vectors = [0, 1, 2, 3, 4].map((w) => seededValues(`v${w}`, 10000, 0.25));
      const { sum, checks, clamped } = plainRoundTrip(plan, layout, vectors);
      expect(clamped).toBe(0);
      for (const c of checks) expect(c).toEqual({ badTagSlots: 0, badDigits: 0 });
      let maxErr = 0;
      for (let i = 0; i < 10000; i++) {
        const plain = vectors.reduce((a, v) => a + (v[i] ?? 0), 0);
        maxErr = Math.max(maxErr, Math.abs((sum[i] ?? NaN) - plain));
      }
      expect(maxErr).toBeLessThan(5 * plan.step);
    },
  );

  test('scale multiplies each value before clamping and quantizing (no scaled copy needed)', () => {
    const plan = planHePrecision(params, { valueBound: 0.25 });
    const layout = createHeLayout(plan, 4096, 9000);
    const values = seededValues('scaled', 9000, 0.5); // half of them beyond the bound until scaled
    const scale = 0.37;
    const slotsOf = (
      v: Float32Array | Float64Array,
      s?: number,
    ): { slots: Float64Array[]; clamped: number } => {
      const random = createSeededRandom('same');
      const packer = createHePacker(
        plan,
        layout,
        createPadStream(new Uint8Array(32).fill(7), 'w', plan.plainModulus),
        random,
        ...(s === undefined ? [] : [s]),
      );
      let clamped = 0;
      const slots = Array.from({ length: layout.ciphertextCount }, (_, c) => {
        const out = new Float64Array(layout.slotCount);
        clamped += packer.pack(v, c, out);
        return out;
      });
      return { slots, clamped };
    };
    const scaled = slotsOf(values, scale);
    const copied = slotsOf(Float64Array.from(values, (x) => x * scale));
    expect(scaled.slots).toEqual(copied.slots);
    expect(scaled.clamped).toBe(copied.clamped);
    // and the scale is applied: without it, the out-of-bound half is clamped
    expect(slotsOf(values).clamped).toBeGreaterThan(1000);
    expect(scaled.clamped).toBe(0);
  });

  test('out-of-range and NaN values are clamped and counted', () => {
    const plan = planHePrecision(params, { valueBound: 1 });
    const layout = createHeLayout(plan, 4096, 4);
    const { sum, clamped } = plainRoundTrip(plan, layout, [Float32Array.from([5, -5, NaN, 0.5])]);
    expect(clamped).toBe(3);
    expect(sum[0]).toBeCloseTo(1, 6);
    expect(sum[1]).toBeCloseTo(-1, 6);
    expect(sum[2]).toBeCloseTo(-1, 6);
    expect(Math.abs((sum[3] ?? NaN) - 0.5)).toBeLessThan(plan.step);
  });

  test('stochastic rounding is unbiased', () => {
    const plan = planHePrecision(params, { valueBound: 1, valuesPerSlot: 3 }); // coarse: 12-bit steps
    const count = 4000;
    const x = 0.123456;
    const layout = createHeLayout(plan, 4096, count);
    const { sum } = plainRoundTrip(plan, layout, [new Float32Array(count).fill(x)]);
    const mean = sum.reduce((a, v) => a + v, 0) / count;
    expect(Math.abs(Math.fround(x) - mean)).toBeLessThan((4 * plan.step) / Math.sqrt(count));
    // and it does round: values differ from x by up to a step
    expect(Math.max(...Array.from(sum, (v) => Math.abs(v - x)))).toBeGreaterThan(plan.step / 4);
  });

  test('ciphertexts must be packed in order', () => {
    const plan = planHePrecision(params, { valueBound: 1 });
    const layout = createHeLayout(plan, 4096, 10000);
    const random = createSeededRandom('order');
    const packer = createHePacker(
      plan,
      layout,
      createPadStream(generateTagSeed(random), 'x', plan.plainModulus),
      random,
    );
    let caught: unknown;
    try {
      packer.pack(new Float32Array(10000), 1, new Float64Array(4096));
    } catch (e) {
      caught = e;
    }
    expect(isError(caught, 'INTERNAL')).toBe(true);
  });
});

describe('pads and the opener checks mod t', () => {
  test('pad values are uniform in [0, t) and differ per binding', () => {
    const plan = planHePrecision(params, { valueBound: 1 });
    const seed = generateTagSeed(createSeededRandom('pads'));
    const a = new Float64Array(4096);
    const b = new Float64Array(4096);
    createPadStream(seed, 'one', plan.plainModulus).next(a);
    createPadStream(seed, 'two', plan.plainModulus).next(b);
    expect(a.every((v) => Number.isInteger(v) && v >= 0 && v < plan.plainModulus)).toBe(true);
    expect(a.filter((v, i) => v === b[i]).length).toBe(0);
    // Top half of [0, t) hit about half the time (far beyond 2^48, below t).
    const high = a.filter((v) => v >= plan.plainModulus / 2).length;
    expect(high).toBeGreaterThan(4096 * 0.45);
    expect(high).toBeLessThan(4096 * 0.55);
  });

  test('addNext adds exactly what next yields, mod t, and advances the stream the same way', () => {
    const t = planHePrecision(params, { valueBound: 1 }).plainModulus;
    const seeds = [0, 1, 2].map((i) => generateTagSeed(createSeededRandom(`add${i}`)));
    const viaNext = new Float64Array(4096);
    const viaAdd = new Float64Array(4096);
    const pad = new Float64Array(4096);
    const a = seeds.map((seed) => createPadStream(seed, 'b', t));
    const b = seeds.map((seed) => createPadStream(seed, 'b', t));
    for (let round = 0; round < 2; round++) {
      viaNext.fill(0);
      viaAdd.fill(0);
      for (const s of a) {
        s.next(pad);
        for (let j = 0; j < 4096; j++) viaNext[j] = ((viaNext[j] ?? 0) + (pad[j] ?? 0)) % t;
      }
      for (const s of b) s.addNext(viaAdd);
      expect(viaAdd).toEqual(viaNext);
    }
  });

  test('a slot at or above 2^slotBits, or a nonzero tag, is flagged', () => {
    const plan = planHePrecision(params, { valueBound: 1 });
    const layout = createHeLayout(plan, 4096, 8184);
    const decoded = new Float64Array(4096);
    const padSum = new Float64Array(4096);
    const out = new Float64Array(8184);
    expect(unpackSum(plan, layout, 0, 1, decoded, padSum, out)).toEqual({ badTagSlots: 0, badDigits: 0 });
    decoded[5] = 2 ** plan.slotBits; // digits in range, but more than the packed width
    decoded[4095] = 1; // a tag slot
    expect(unpackSum(plan, layout, 0, 1, decoded, padSum, out)).toEqual({ badTagSlots: 1, badDigits: 1 });
    // Pads are subtracted mod t: decoded = pad - 1 wraps to t - 1, far out of range.
    decoded.fill(0);
    padSum[7] = 1;
    expect(unpackSum(plan, layout, 0, 1, decoded, padSum, out).badDigits).toBeGreaterThan(0);
  });
});

describe('end to end at the precision budget', () => {
  let ctx: HeContext;
  let sk: HeSecretKey;
  beforeAll(async () => {
    ctx = await createHeContext(params);
    sk = generateHeSecretKey(ctx);
  });
  afterAll(() => {
    sk.delete();
    ctx.delete();
  });

  test('16 workers (the plan maximum) at full range: decrypted sum = plain sum within 16 * step', async () => {
    const bound = 0.05;
    const plan = planHePrecision(params, { valueBound: bound, maxWorkers: 16 });
    const layout = createHeLayout(plan, ctx.slotCount, 8200);
    const opener = generateOpenerKeyPair();
    const ids = Array.from({ length: 16 }, (_, w) => `w${w}`);
    const keys = new Map(ids.map((id) => [id, generateWorkerSigningKeyPair()]));
    const vectors = ids.map((id) => seededValues(id, layout.valueCount, bound));
    // Put every extreme in: a slot of maxima and a slot of minima must not carry or wrap.
    for (const v of vectors) {
      v[0] = bound;
      v[1] = bound;
      v[2] = -bound;
      v[3] = -bound;
    }
    const random = createSeededRandom('e2e');
    const agg = createHeAggregator({
      ctx,
      plan,
      layout,
      jobId: 'j',
      round: 0,
      openerId: 'w0',
      workerKey: (id) => keys.get(id)?.publicKey,
    });
    try {
      for (const [w, id] of ids.entries()) {
        const enc = await encryptHeContribution({
          ctx,
          secretKey: sk,
          plan,
          layout,
          values: vectors[w] ?? new Float32Array(),
          jobId: 'j',
          round: 0,
          workerId: id,
          openerId: 'w0',
          openerPublicKey: opener.publicKey,
          signingKey: keys.get(id)?.privateKey as KeyObject,
          random,
        });
        const sink = agg.begin(enc.contribution);
        enc.ciphertexts.forEach((wire, i) => sink.add(i, wire));
        sink.commit();
      }
      const result = await verifyAndOpen(agg.openRequest(), {
        ctx,
        secretKey: sk,
        plan,
        layout,
        openerId: 'w0',
        openerPrivateKey: opener.privateKey,
        workerKey: (id) => keys.get(id)?.publicKey,
        minWorkers: 16,
        ledger: createMemoryOpenerLedger(),
      });
      let maxErr = 0;
      let meanErr = 0;
      for (let i = 0; i < layout.valueCount; i++) {
        const plain = vectors.reduce((a, v) => a + (v[i] ?? 0), 0);
        const e = (result.sum[i] ?? NaN) - plain;
        maxErr = Math.max(maxErr, Math.abs(e));
        meanErr += e / layout.valueCount;
      }
      expect(maxErr).toBeLessThan(16 * plan.step);
      expect(Math.abs(meanErr)).toBeLessThan(plan.step);
      expect(result.sum[0]).toBeCloseTo(16 * bound, 5);
      expect(result.sum[2]).toBeCloseTo(-16 * bound, 5);
    } finally {
      agg.delete();
    }
  });
});
