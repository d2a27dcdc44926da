import { createHash } from 'node:crypto';
import { isError } from '../../common/errors.js';
import {
  createHeContext,
  createHeParams,
  generateHeSecretKey,
  heParamsDigest,
  loadHeSecretKey,
  parseHeParams,
  planHePrecision,
  serializeHeParams,
  serializeHeSecretKey,
} from '../../privacy/he-context.js';
import type { HeContext, HeParams, HeSecretKey } from '../../privacy/he-context.js';
import {
  createHeDecryptor,
  createHeEncryptor,
  loadHeCiphertext,
  saveHeCiphertext,
} from '../../privacy/he-cipher.js';
import { packSealCiphertext, unpackSealCiphertext } from '../../privacy/he-wire.js';
import { createSeededRandom } from '../../privacy/he-tag.js';

let params: HeParams;
let ctx: HeContext;
let sk: HeSecretKey;

beforeAll(async () => {
  params = await createHeParams();
  ctx = await createHeContext(params);
  sk = generateHeSecretKey(ctx);
});

afterAll(() => {
  sk.delete();
  ctx.delete();
});

function expectCode(fn: () => unknown, code: 'INVALID_ARGUMENT' | 'VERIFICATION_FAILED'): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isError(caught, code)).toBe(true);
}

describe('HE parameters', () => {
  test('default: N = 4096 and one 60-bit NTT-friendly prime, deterministic', async () => {
    expect(params.polyModulusDegree).toBe(4096);
    expect(params.coeffModulus).toHaveLength(1);
    const q = BigInt(params.coeffModulus[0] ?? '0');
    expect(q.toString(2)).toHaveLength(60);
    expect(q % 8192n).toBe(1n);
    expect(await createHeParams()).toEqual(params);
    expect(ctx.slotCount).toBe(2048);
    expect(ctx.singleLevel).toBe(true);
  });

  test('serialize/parse round trip and a stable digest', () => {
    const bytes = serializeHeParams(params);
    expect(parseHeParams(bytes)).toEqual(params);
    expect(heParamsDigest(params)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  test('parse rejects malformed kit bytes', () => {
    expectCode(() => parseHeParams(new TextEncoder().encode('{')), 'INVALID_ARGUMENT');
    const twoPrimes = { ...params, coeffModulus: [...params.coeffModulus, ...params.coeffModulus] };
    expectCode(() => parseHeParams(serializeHeParams(twoPrimes)), 'INVALID_ARGUMENT');
    const badN = { ...params, polyModulusDegree: 1000 };
    expectCode(() => parseHeParams(serializeHeParams(badN)), 'INVALID_ARGUMENT');
  });

  test('a prime SEAL cannot use is refused', async () => {
    await expect(createHeContext({ ...params, coeffModulus: ['1000000007'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('secret key custody', () => {
  test('round trip through kit bytes; the loaded key decrypts', () => {
    const bytes = serializeHeSecretKey(ctx, sk);
    const loaded = loadHeSecretKey(ctx, bytes);
    const enc = createHeEncryptor(ctx, sk, 14);
    const dec = createHeDecryptor(ctx, loaded, 14);
    try {
      const slots = Float64Array.from({ length: ctx.slotCount }, (_, i) => i - 1000);
      const out = dec.decrypt(enc.encrypt(slots));
      const wrong = slots.filter((v, i) => Math.round(out[i] ?? NaN) !== v).length;
      expect(wrong).toBe(0);
    } finally {
      enc.delete();
      dec.delete();
      loaded.delete();
    }
  });

  test('another key decrypts to noise, and garbage is not a key', () => {
    const other = generateHeSecretKey(ctx);
    const enc = createHeEncryptor(ctx, sk, 14);
    const dec = createHeDecryptor(ctx, other, 14);
    try {
      const slots = new Float64Array(ctx.slotCount).fill(7);
      const out = dec.decrypt(enc.encrypt(slots));
      const close = out.filter((v) => Math.abs(v - 7) < 1).length;
      expect(close).toBeLessThan(5);
    } finally {
      enc.delete();
      dec.delete();
      other.delete();
    }
    expectCode(() => loadHeSecretKey(ctx, new Uint8Array(100)), 'INVALID_ARGUMENT');
  });
});

describe('precision budget', () => {
  test('defaults: scale 2^14, 40-bit slots as two 20-bit digits of 16-bit values for 16 workers', () => {
    const plan = planHePrecision(params, { valueBound: 1 });
    expect(plan).toMatchObject({
      maxWorkers: 16,
      valuesPerSlot: 2,
      scaleBits: 14,
      slotBits: 40,
      digitBits: 20,
      quantBits: 16,
    });
    expect(plan.step).toBeCloseTo(2 / 65535, 12);
  });

  test.each([
    [16, 1],
    [16, 2],
    [16, 3],
    [64, 2],
    [5, 2],
  ] as const)('invariants hold for maxWorkers %i, valuesPerSlot %i', (maxWorkers, valuesPerSlot) => {
    const plan = planHePrecision(params, { valueBound: 0.5, maxWorkers, valuesPerSlot });
    const workerBits = Math.ceil(Math.log2(maxWorkers));
    // Noise 12 sigma below the rounding threshold.
    expect(plan.noiseSigma * 12).toBeLessThanOrEqual(0.5);
    // A full sum, times the scale, stays below q / 4 (coefficients below q / 2 with a bit of margin).
    expect(plan.scaleBits + workerBits + plan.slotBits - 1).toBeLessThanOrEqual(58);
    // Digits never carry: maxWorkers digits of quantBits bits fit in digitBits.
    expect(maxWorkers * (2 ** plan.quantBits - 1)).toBeLessThan(2 ** plan.digitBits);
    expect(plan.slotBits).toBe(plan.digitBits * valuesPerSlot);
  });

  test('a sum of 16 full-range encryptions decodes to the exact integers (noise as planned)', () => {
    const plan = planHePrecision(params, { valueBound: 1 });
    const random = createSeededRandom('precision');
    const enc = createHeEncryptor(ctx, sk, plan.scaleBits);
    const dec = createHeDecryptor(ctx, sk, plan.scaleBits);
    const evaluator = ctx.seal.Evaluator(ctx.context);
    const truth = new Float64Array(ctx.slotCount);
    const slots = new Float64Array(ctx.slotCount);
    const bytes = new Uint32Array(ctx.slotCount * 2);
    const sum = ctx.seal.CipherText();
    try {
      for (let w = 0; w < plan.maxWorkers; w++) {
        random(new Uint8Array(bytes.buffer));
        for (let j = 0; j < slots.length; j++) {
          // Uniform in [-2^(slotBits-1), 2^(slotBits-1)): the widest a worker's slot can be.
          const v =
            ((bytes[2 * j] ?? 0) % 2 ** (plan.slotBits - 32)) * 2 ** 32 +
            (bytes[2 * j + 1] ?? 0) -
            2 ** (plan.slotBits - 1);
          slots[j] = v;
          truth[j] = (truth[j] ?? 0) + v;
        }
        const ct = loadHeCiphertext(ctx, enc.encrypt(slots), plan.scaleBits);
        if (w === 0) sum.move(ct);
        else {
          evaluator.add(sum, ct, sum);
          ct.delete();
        }
      }
      const out = dec.decryptCiphertext(sum);
      let maxErr = 0;
      let sq = 0;
      let wrong = 0;
      for (let j = 0; j < out.length; j++) {
        const e = (out[j] ?? NaN) - (truth[j] ?? 0);
        maxErr = Math.max(maxErr, Math.abs(e));
        sq += e * e;
        if (Math.round(out[j] ?? NaN) !== truth[j]) wrong++;
      }
      expect(wrong).toBe(0);
      const rms = Math.sqrt(sq / out.length);
      expect(maxErr).toBeLessThan(0.25);
      expect(rms).toBeLessThan(plan.noiseSigma * 1.5);
      expect(rms).toBeGreaterThan(plan.noiseSigma * 0.5);
    } finally {
      sum.delete();
      evaluator.delete();
      enc.delete();
      dec.delete();
    }
  });
});

describe('wire codec and ciphertext checks', () => {
  test('bit-packing is lossless and saves the idle bits', () => {
    const enc = createHeEncryptor(ctx, sk, 14);
    try {
      const wire = enc.encrypt(new Float64Array(ctx.slotCount).fill(3));
      const seal = unpackSealCiphertext(wire);
      expect(packSealCiphertext(seal, 60)).toEqual(wire);
      // Seeded: one polynomial of 4096 coefficients at 60 bits, plus SEAL's header and 81-byte seed.
      expect(wire.length).toBeLessThan(4096 * 7.5 + 250);
      expect(seal.length).toBeGreaterThan(4096 * 8);
      const ct = loadHeCiphertext(ctx, wire, 14);
      const full = saveHeCiphertext(ctx, ct);
      ct.delete();
      expect(full.length).toBeLessThan(2 * 4096 * 7.5 + 250);
    } finally {
      enc.delete();
    }
  });

  test('truncated, corrupted or foreign bytes are rejected with a reason', async () => {
    const enc = createHeEncryptor(ctx, sk, 14);
    const wire = enc.encrypt(new Float64Array(ctx.slotCount).fill(1));
    enc.delete();
    expectCode(() => loadHeCiphertext(ctx, wire.subarray(0, wire.length - 10), 14), 'VERIFICATION_FAILED');
    expectCode(() => loadHeCiphertext(ctx, new Uint8Array(64), 14), 'VERIFICATION_FAILED');
    // The right parameters at the wrong scale.
    expectCode(() => loadHeCiphertext(ctx, wire, 20), 'VERIFICATION_FAILED');

    for (const other of [
      await createHeParams({ polyModulusDegree: 8192 }),
      await createHeParams({ primeBits: 50 }),
    ]) {
      const octx = await createHeContext(other);
      const osk = generateHeSecretKey(octx);
      const oenc = createHeEncryptor(octx, osk, 14);
      try {
        const foreign = oenc.encrypt(new Float64Array(octx.slotCount).fill(1));
        expectCode(() => loadHeCiphertext(ctx, foreign, 14), 'VERIFICATION_FAILED');
      } finally {
        oenc.delete();
        osk.delete();
        octx.delete();
      }
    }
  });
});
