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
  test('default: BGV, N = 4096, one 60-bit prime q and a 49-bit prime t, deterministic', async () => {
    expect(params.scheme).toBe('bgv');
    expect(params.polyModulusDegree).toBe(4096);
    expect(params.coeffModulus).toHaveLength(1);
    const q = BigInt(params.coeffModulus[0] ?? '0');
    expect(q.toString(2)).toHaveLength(60);
    expect(q % 8192n).toBe(1n);
    const t = BigInt(params.plainModulus);
    expect(t.toString(2)).toHaveLength(49);
    expect(t % 8192n).toBe(1n);
    expect(await createHeParams()).toEqual(params);
    expect(ctx.slotCount).toBe(4096);
    expect(ctx.plainModulus).toBe(Number(t));
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
    // A kit provisioned for CKKS (params version 1) is refused with what to do.
    const legacy = { scheme: 'ckks', version: 1, polyModulusDegree: 4096, coeffModulus: params.coeffModulus };
    expect(() => parseHeParams(new TextEncoder().encode(JSON.stringify(legacy)))).toThrow(/re-provision/);
  });

  test('a prime SEAL cannot use, or a plain modulus that is not an NTT-friendly prime, is refused', async () => {
    await expect(createHeContext({ ...params, coeffModulus: ['1000000007'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const t = BigInt(params.plainModulus);
    // 1 mod 2N but composite (t + 2N * t); a prime that is not 1 mod 2N; one too close to q.
    for (const plainModulus of [
      (t * (8192n + 1n)).toString(),
      '1099511627791',
      params.coeffModulus[0] ?? '',
    ]) {
      await expect(createHeContext({ ...params, plainModulus })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
  });
});

describe('secret key custody', () => {
  test('round trip through kit bytes; the loaded key decrypts', () => {
    const bytes = serializeHeSecretKey(ctx, sk);
    const loaded = loadHeSecretKey(ctx, bytes);
    const enc = createHeEncryptor(ctx, sk);
    const dec = createHeDecryptor(ctx, loaded);
    try {
      const slots = Float64Array.from(
        { length: ctx.slotCount },
        (_, i) => (i * 7919 * 2 ** 30) % ctx.plainModulus,
      );
      const out = dec.decrypt(enc.encrypt(slots));
      const wrong = slots.filter((v, i) => out[i] !== v).length;
      expect(wrong).toBe(0);
    } finally {
      enc.delete();
      dec.delete();
      loaded.delete();
    }
  });

  test('another key decrypts to noise, and garbage is not a key', () => {
    const other = generateHeSecretKey(ctx);
    const enc = createHeEncryptor(ctx, sk);
    const dec = createHeDecryptor(ctx, other);
    try {
      const slots = new Float64Array(ctx.slotCount).fill(7);
      const out = dec.decrypt(enc.encrypt(slots));
      const same = out.filter((v) => v === 7).length;
      expect(same).toBeLessThan(5);
    } finally {
      enc.delete();
      dec.delete();
      other.delete();
    }
    expectCode(() => loadHeSecretKey(ctx, new Uint8Array(100)), 'INVALID_ARGUMENT');
  });

  test('the encryptor takes only integers in [0, t)', () => {
    const enc = createHeEncryptor(ctx, sk);
    try {
      for (const bad of [-1, ctx.plainModulus, 0.5, NaN]) {
        const slots = new Float64Array(ctx.slotCount);
        slots[17] = bad;
        expectCode(() => enc.encrypt(slots), 'INVALID_ARGUMENT');
      }
      expectCode(() => enc.encrypt(new Float64Array(ctx.slotCount - 1)), 'INVALID_ARGUMENT');
    } finally {
      enc.delete();
    }
  });
});

describe('precision budget', () => {
  test('defaults: 48-bit coefficients as two 24-bit digits of 20-bit values for 16 workers', () => {
    const plan = planHePrecision(params, { valueBound: 1 });
    expect(plan).toMatchObject({
      maxWorkers: 16,
      valuesPerSlot: 2,
      plainModulus: ctx.plainModulus,
      slotBits: 48,
      digitBits: 24,
      quantBits: 20,
      exactWorstCase: true,
    });
    expect(plan.step).toBeCloseTo(2 / (2 ** 20 - 1), 12);
    // q / 2t ~ 2^10: the worst-case noise of 16 contributions (16 * 21) fits with room to spare.
    expect(plan.noiseLimit).toBeGreaterThan(16 * 21 * 2);
  });

  test.each([
    [16, 1],
    [16, 2],
    [16, 3],
    [64, 2],
    [5, 2],
    [256, 2],
  ] as const)('invariants hold for maxWorkers %i, valuesPerSlot %i', (maxWorkers, valuesPerSlot) => {
    const plan = planHePrecision(params, { valueBound: 0.5, maxWorkers, valuesPerSlot });
    // A full sum of packed slots stays below t: recovered exactly from its value mod t.
    expect(2 ** plan.slotBits).toBeLessThanOrEqual(plan.plainModulus);
    // Digits never carry: maxWorkers digits of quantBits bits fit in digitBits.
    expect(maxWorkers * (2 ** plan.quantBits - 1)).toBeLessThan(2 ** plan.digitBits);
    expect(plan.slotBits).toBe(plan.digitBits * valuesPerSlot);
    // Decryption stays exact: worst-case noise below the limit, or 12 sigmas of it.
    const q = Number(BigInt(params.coeffModulus[0] ?? '0'));
    expect(plan.noiseLimit).toBeLessThanOrEqual(q / (2 * plan.plainModulus) - maxWorkers / 2);
    expect(plan.exactWorstCase).toBe(21 * maxWorkers < plan.noiseLimit);
    expect(12 * Math.sqrt(10.5 * maxWorkers)).toBeLessThan(plan.noiseLimit);
  });

  test('more contributions than the noise room allows are refused (default t: about 400)', async () => {
    expectCode(() => planHePrecision(params, { valueBound: 1, maxWorkers: 1024 }), 'INVALID_ARGUMENT');
    // A smaller t leaves more room.
    const smallT = await createHeParams({ plainBits: 44 });
    expect(planHePrecision(smallT, { valueBound: 1, maxWorkers: 1024 }).quantBits).toBe(11);
  });

  test('a sum of 16 full-range encryptions decrypts to the exact sum mod t', () => {
    const plan = planHePrecision(params, { valueBound: 1 });
    const t = ctx.plainModulus;
    const random = createSeededRandom('precision');
    const enc = createHeEncryptor(ctx, sk);
    const dec = createHeDecryptor(ctx, sk);
    const evaluator = ctx.seal.Evaluator(ctx.context);
    const truth = new Float64Array(ctx.slotCount);
    const slots = new Float64Array(ctx.slotCount);
    const bytes = new Uint32Array(ctx.slotCount * 2);
    const sum = ctx.seal.CipherText();
    try {
      for (let w = 0; w < plan.maxWorkers; w++) {
        random(new Uint8Array(bytes.buffer));
        for (let j = 0; j < slots.length; j++) {
          // Uniform in [0, t): the widest a padded slot can be.
          const v = (((bytes[2 * j] ?? 0) % 2 ** 17) * 2 ** 32 + (bytes[2 * j + 1] ?? 0)) % t;
          slots[j] = v;
          truth[j] = ((truth[j] ?? 0) + v) % t;
        }
        const ct = loadHeCiphertext(ctx, enc.encrypt(slots));
        if (w === 0) sum.move(ct);
        else {
          evaluator.add(sum, ct, sum);
          ct.delete();
        }
      }
      const out = dec.decryptCiphertext(sum);
      const wrong = truth.filter((v, j) => out[j] !== v).length;
      expect(wrong).toBe(0);
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
    const enc = createHeEncryptor(ctx, sk);
    try {
      const wire = enc.encrypt(new Float64Array(ctx.slotCount).fill(3));
      const seal = unpackSealCiphertext(wire);
      expect(packSealCiphertext(seal, 60)).toEqual(wire);
      // Seeded: one polynomial of 4096 coefficients at 60 bits, plus SEAL's header and 81-byte seed.
      expect(wire.length).toBeLessThan(4096 * 7.5 + 250);
      expect(seal.length).toBeGreaterThan(4096 * 8);
      const ct = loadHeCiphertext(ctx, wire);
      const full = saveHeCiphertext(ctx, ct);
      ct.delete();
      expect(full.length).toBeLessThan(2 * 4096 * 7.5 + 250);
    } finally {
      enc.delete();
    }
  });

  test('truncated, corrupted or foreign bytes are rejected with a reason', async () => {
    const enc = createHeEncryptor(ctx, sk);
    const wire = enc.encrypt(new Float64Array(ctx.slotCount).fill(1));
    enc.delete();
    expectCode(() => loadHeCiphertext(ctx, wire.subarray(0, wire.length - 10)), 'VERIFICATION_FAILED');
    expectCode(() => loadHeCiphertext(ctx, new Uint8Array(64)), 'VERIFICATION_FAILED');
    // The right parameters with another scale or BGV correction factor (SEAL would rescale the sum).
    const seal = unpackSealCiphertext(wire);
    for (const [at, value] of [
      [16 + 32 + 1 + 24, 2],
      [16 + 32 + 1 + 32, 3],
    ] as const) {
      const edited = seal.slice();
      const view = new DataView(edited.buffer);
      if (at === 16 + 32 + 1 + 24) view.setFloat64(at, value, true);
      else view.setBigUint64(at, BigInt(value), true);
      expectCode(() => loadHeCiphertext(ctx, packSealCiphertext(edited, 60)), 'VERIFICATION_FAILED');
    }

    for (const other of [
      await createHeParams({ polyModulusDegree: 8192 }),
      await createHeParams({ primeBits: 50 }),
      await createHeParams({ plainBits: 45 }),
    ]) {
      const octx = await createHeContext(other);
      const osk = generateHeSecretKey(octx);
      const oenc = createHeEncryptor(octx, osk);
      try {
        const foreign = oenc.encrypt(new Float64Array(octx.slotCount).fill(1));
        expectCode(() => loadHeCiphertext(ctx, foreign), 'VERIFICATION_FAILED');
      } finally {
        oenc.delete();
        osk.delete();
        octx.delete();
      }
    }
  });
});
