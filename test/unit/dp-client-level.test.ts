/**
 * Client-level DP (privacy/client-dp.ts, worker/client-dp.ts, coordinator/client-dp.ts): clipping in
 * the summed units, the noise share's scale measured on draws from the secure source, the bound
 * secure aggregation must not clamp below, the accounting against the RDP accountant, the job-spec
 * option and the worker's checks against the round setup.
 */
import { compileJobSpec } from '../../coordinator/job-spec.js';
import { specFromWire, wireJob } from '../../coordinator/job-service.js';
import { JobClientDp, planClientDpAttempt } from '../../coordinator/client-dp.js';
import {
  ClientDpAccountant,
  applyClientDp,
  calibrateClientDp,
  clientDpNoiseStddev,
  clientDpValueBound,
  type ClientDpRound,
} from '../../privacy/client-dp.js';
import { encodeHeRoundSetup } from '../../privacy/he-protocol.js';
import { computeEpsilon, erfc } from '../../privacy/rdp-accountant.js';
import { MAX_GAUSSIAN_ABS, createSecureRandom, type SecureRandom } from '../../privacy/secure-random.js';
import { applyClientDpToUpdate } from '../../worker/client-dp.js';

const ROUND: ClientDpRound = {
  clipNorm: 1,
  noiseMultiplier: 1.2,
  selected: 4,
  minContributors: 3,
  weightDenominator: 1000,
};

/** Adds nothing: isolates clipping from noise (never used for privacy). */
const noNoise: SecureRandom = {
  ...createSecureRandom({ seed: 'unused' }),
  addGaussian: (values) => values,
};

const norm = (v: ArrayLike<number>, scale = 1) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! * scale) ** 2;
  return Math.sqrt(s);
};

describe('clipping in the units that are summed', () => {
  test('the term (n/D)·Δ is clipped to S/m; a small one passes unchanged; Δ comes back in delta units', () => {
    const n = 250; // an equal share: D/m = 1000/4
    const big = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i + 1)); // ‖Δ‖ ≈ 7
    const out = applyClientDp(big, n, ROUND, noNoise);
    expect(out.clipped).toBe(true);
    expect(out.norm).toBeCloseTo(norm(big, n / 1000), 6);
    // The summed term (n/D)·Δ' has norm exactly S/m; Δ' itself is clipped at S for an equal share.
    expect(norm(out.delta, n / 1000)).toBeCloseTo(1 / 4, 6);
    expect(norm(out.delta)).toBeCloseTo(1, 5);
    // Direction kept.
    const cos = out.delta.reduce((a, v, i) => a + v * big[i]!, 0) / (norm(out.delta) * norm(big));
    expect(cos).toBeCloseTo(1, 6);

    const small = big.map((v) => v * 0.05); // ‖Δ‖ ≈ 0.35 < S
    const kept = applyClientDp(small, n, ROUND, noNoise);
    expect(kept.clipped).toBe(false);
    for (let i = 0; i < small.length; i++) expect(kept.delta[i]).toBeCloseTo(small[i]!, 6);
  });

  test('a hospital with twice the equal share has its delta clipped at S/2: its term is bounded the same', () => {
    const delta = new Float32Array(10).fill(1); // ‖Δ‖ = 3.16
    const out = applyClientDp(delta, 500, ROUND, noNoise);
    expect(norm(out.delta, 500 / 1000)).toBeCloseTo(0.25, 6);
    expect(norm(out.delta)).toBeCloseTo(0.5, 5);
  });

  test('non-finite updates and bad settings are refused with the reason', () => {
    expect(() => applyClientDp(Float32Array.of(1, NaN), 10, ROUND, noNoise)).toThrow(/not finite/);
    expect(() => applyClientDp(Float32Array.of(1), 1001, ROUND, noNoise)).toThrow(/1\.\.1000/);
    expect(() => applyClientDp(Float32Array.of(1), 10, { ...ROUND, noiseMultiplier: 0 }, noNoise)).toThrow(
      /noiseMultiplier 0 is not > 0/,
    );
    expect(() => applyClientDp(Float32Array.of(1), 10, { ...ROUND, minContributors: 5 }, noNoise)).toThrow(
      /minContributors 5 is not an integer in 1..selected \(4\)/,
    );
  });
});

describe('the noise share', () => {
  const normalCdf = (x: number) => 0.5 * erfc(-x / Math.SQRT2);

  test('each worker adds N(0, (σ·S/m)²/k) per coordinate of its term (moments and KS on 200k draws)', () => {
    const n = 250;
    const w = n / ROUND.weightDenominator;
    const count = 200_000;
    const out = applyClientDp(new Float32Array(count), n, ROUND, createSecureRandom({ seed: 11 }));
    const s = (ROUND.noiseMultiplier * (ROUND.clipNorm / ROUND.selected)) / Math.sqrt(ROUND.minContributors);
    expect(out.noiseStddev).toBeCloseTo(s, 12);
    let m1 = 0;
    let m2 = 0;
    for (const v of out.delta) {
      m1 += v * w;
      m2 += (v * w) ** 2;
    }
    m1 /= count;
    m2 /= count;
    // 5 standard errors: mean s/sqrt(n), second moment s²·sqrt(2/n).
    expect(Math.abs(m1)).toBeLessThan((5 * s) / Math.sqrt(count));
    expect(Math.abs(m2 - s * s)).toBeLessThan(5 * s * s * Math.sqrt(2 / count));
    const sorted = Float64Array.from(out.delta.subarray(0, 20_000), (v) => v * w).sort();
    let ks = 0;
    for (let i = 0; i < sorted.length; i++) {
      const f = normalCdf(sorted[i]! / s);
      ks = Math.max(ks, (i + 1) / sorted.length - f, f - i / sorted.length);
    }
    expect(ks).toBeLessThan(1.95 / Math.sqrt(sorted.length)); // KS at alpha = 0.001
  });

  test('k shares sum to noise of stddev σ·S/m: the sum carries σ times its sensitivity', () => {
    const k = ROUND.minContributors;
    const count = 100_000;
    const random = createSecureRandom({ seed: 12 });
    const sum = new Float64Array(count);
    for (let j = 0; j < k; j++) {
      const out = applyClientDp(new Float32Array(count), 250, ROUND, random);
      for (let i = 0; i < count; i++) sum[i] = sum[i]! + out.delta[i]! * 0.25;
    }
    const target = ROUND.noiseMultiplier * (ROUND.clipNorm / ROUND.selected);
    const second = sum.reduce((a, v) => a + v * v, 0) / count;
    expect(Math.abs(second - target * target)).toBeLessThan(5 * target * target * Math.sqrt(2 / count));
  });

  test('the noise comes from node:crypto by default: two workers never add the same noise', () => {
    const task = {
      config: { clientDp: { ...ROUND } },
      extension: null,
      updateEncoding: 'PAYLOAD_ENCODING_PLAIN_F32' as const,
      jobId: 'j',
      round: 1,
    };
    const a = applyClientDpToUpdate(task as never, new Float32Array(64), 250, () => {});
    const b = applyClientDpToUpdate(task as never, new Float32Array(64), 250, () => {});
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(false);
    expect(a.some((v) => v !== 0)).toBe(true);
  });

  test('no noised coordinate exceeds the value bound secure aggregation is given (so nothing is clamped)', () => {
    expect(MAX_GAUSSIAN_ABS).toBeCloseTo(8.5717, 4);
    const bound = clientDpValueBound(ROUND);
    expect(bound).toBeCloseTo((0.25 + 8.5717 * clientDpNoiseStddev(ROUND)) * (1 + 1e-5), 4);
    // Worst case for the clipped part: all of S/m on one coordinate.
    const delta = new Float32Array(50_000);
    delta[0] = 100;
    const out = applyClientDp(delta, 250, ROUND, createSecureRandom({ seed: 13 }));
    let max = 0;
    for (const v of out.delta) max = Math.max(max, Math.abs(v * 0.25));
    expect(max).toBeLessThan(bound);
    expect(max).toBeGreaterThan(0.25); // the big coordinate really was there
  });
});

describe('accounting: the Gaussian mechanism per opened sum, through the RDP accountant', () => {
  test('k contributions: r rounds compose to the accountant’s epsilon at sample rate 1', () => {
    const acc = new ClientDpAccountant(1e-5);
    for (let r = 1; r <= 5; r++) {
      acc.attempted(1.2, 3);
      acc.released(1.2, 3, 3);
      const expected = computeEpsilon({ noiseMultiplier: 1.2, sampleRate: 1, steps: r, delta: 1e-5 }).epsilon;
      expect(acc.epsilons().aggregate).toBeCloseTo(expected, 10);
    }
    expect(acc.releases).toBe(5);
    const e = acc.epsilons();
    // A participant removes its own share: σ·sqrt(2/3); one update alone: σ/sqrt(3).
    expect(e.participant).toBeCloseTo(
      computeEpsilon({ noiseMultiplier: 1.2 * Math.sqrt(2 / 3), sampleRate: 1, steps: 5, delta: 1e-5 })
        .epsilon,
      10,
    );
    expect(e.update).toBeCloseTo(
      computeEpsilon({ noiseMultiplier: 1.2 / Math.sqrt(3), sampleRate: 1, steps: 5, delta: 1e-5 }).epsilon,
      10,
    );
    expect(e.aggregate).toBeLessThan(e.participant);
    expect(e.participant).toBeLessThan(e.update);
  });

  test('more contributors than k carry more noise; fewer than k are refused', () => {
    const acc = new ClientDpAccountant(1e-5);
    acc.released(1, 2, 3);
    acc.released(1, 2, 2);
    // Heterogeneous rounds add their RDP curves: σ√(3/2) then σ.
    const direct = new ClientDpAccountant(1e-5);
    direct.released(Math.sqrt(3 / 2), 1, 1);
    direct.released(1, 1, 1);
    expect(acc.epsilons().aggregate).toBeCloseTo(direct.epsilons().aggregate, 12);
    expect(acc.epsilons().aggregate).toBeLessThan(
      computeEpsilon({ noiseMultiplier: 1, sampleRate: 1, steps: 2, delta: 1e-5 }).epsilon,
    );
    expect(() => acc.released(1, 3, 2)).toThrow(/at least 3 contributions, got 2/);
  });

  test('the Gaussian RDP at sample rate 1 is α/(2σ²) (closed form), and calibration hits the target', () => {
    // One release at σ: epsilon = min over α of α/(2σ²) + log1p(-1/α) - (ln δ + ln α)/(α-1).
    const sigma = 2;
    const delta = 1e-5;
    const orders = [
      ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
      ...Array.from({ length: 53 }, (_, i) => 11 + i),
      128,
      256,
      512,
      1024,
    ];
    const closed = Math.min(
      ...orders
        .filter((a) => a > 1.01)
        .map((a) => a / (2 * sigma * sigma) + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1)),
    );
    const acc = new ClientDpAccountant(delta);
    acc.released(sigma, 1, 1);
    expect(acc.epsilons().aggregate).toBeCloseTo(closed, 10);

    const s = calibrateClientDp({ targetEpsilon: 2, delta, rounds: 10 });
    const at = (x: number) => computeEpsilon({ noiseMultiplier: x, sampleRate: 1, steps: 10, delta }).epsilon;
    expect(at(s)).toBeLessThanOrEqual(2);
    expect(at(s * (1 - 1e-4))).toBeGreaterThan(2);
  });
});

describe('job spec: privacy.clientLevel', () => {
  const base = { model: { builtin: 'wdbc-mlp' }, schemaId: 'wdbc-v1', rounds: 10 };

  test('sigma is calibrated from a target for the job’s rounds, or taken as given', () => {
    const calibrated = compileJobSpec({
      ...base,
      privacy: { mode: 'none', clientLevel: { clipNorm: 0.5, targetEpsilon: 2 } },
    });
    expect(calibrated.privacy.clientLevel).toEqual({
      clipNorm: 0.5,
      targetEpsilon: 2,
      delta: 1e-5,
      noiseMultiplier: calibrateClientDp({ targetEpsilon: 2, delta: 1e-5, rounds: 10 }),
    });
    const fixed = compileJobSpec({
      ...base,
      privacy: { clientLevel: { clipNorm: 1, noiseMultiplier: 0.8, minContributors: 2 } },
    });
    // Record-level DP stays on by default: the two combine.
    expect(fixed.privacy).toMatchObject({
      mode: 'record',
      clientLevel: { clipNorm: 1, noiseMultiplier: 0.8, delta: 1e-5, minContributors: 2 },
    });
    expect(compileJobSpec(base).privacy.clientLevel).toBeUndefined();
  });

  test('problems are listed with what to do', () => {
    const problems = (clientLevel: unknown) => {
      try {
        compileJobSpec({ ...base, privacy: { clientLevel } });
      } catch (e) {
        return (e as { info: { problems: string[] } }).info.problems;
      }
      return [];
    };
    expect(problems({ clipNorm: 1 })).toEqual([
      "privacy.clientLevel: give noiseMultiplier (sigma), or targetEpsilon to have sigma calibrated for the job's 10 round(s)",
    ]);
    expect(problems({ clipNorm: 0, noiseMultiplier: 1 })).toEqual([
      'privacy.clientLevel.clipNorm: must be > 0 (the L2 norm an update is clipped to)',
    ]);
    expect(problems({ clipNorm: 1, noiseMultiplier: 0 })).toEqual([
      'privacy.clientLevel.noiseMultiplier: must be > 0 (client-level DP without noise protects nothing)',
    ]);
    expect(problems({ clipNorm: 1, noiseMultiplier: 1, minContributors: 1.5 })).toEqual([
      'privacy.clientLevel.minContributors: must be a whole number',
    ]);
    expect(problems({ clipNorm: 1, noiseMultiplier: 1, extra: 1 })[0]).toMatch(
      /privacy.clientLevel: .*extra/,
    );
    const [tooLittle] = problems({ clipNorm: 1, noiseMultiplier: 0.5, targetEpsilon: 1 });
    expect(tooLittle).toMatch(
      /^privacy.clientLevel: noiseMultiplier 0.5 spends epsilon \d+\.?\d* over 10 round\(s\), above targetEpsilon 1; raise it to at least \d/,
    );
    expect(problems({ clipNorm: 1, noiseMultiplier: 50, targetEpsilon: 1 })).toEqual([]);
  });

  test('the wire carries it both ways', () => {
    const input = specFromWire({
      name: '',
      model: { builtin: 'wdbc-mlp', source: 'builtin' },
      datasetSchemaId: 'wdbc-v1',
      rounds: 4,
      privacy: {
        mode: 'none',
        targetEpsilon: 0,
        targetDelta: 0,
        clipNorm: 0,
        noiseMultiplier: 0,
        client: {
          clipNorm: 0.7,
          noiseMultiplier: 0,
          targetEpsilon: 3,
          targetDelta: 1e-6,
          minContributors: 0,
        },
      },
    } as never);
    const spec = compileJobSpec(input);
    expect(spec.privacy.clientLevel).toMatchObject({ clipNorm: 0.7, targetEpsilon: 3, delta: 1e-6 });
    const job = wireJob({
      jobId: 'j',
      vendor: 'v',
      spec,
      state: 'queued',
      currentRound: 0,
      roundsCompleted: 0,
      createdAt: 0,
      updatedAt: 0,
      rounds: [],
    });
    expect(job.spec?.privacy?.client).toEqual({
      clipNorm: 0.7,
      noiseMultiplier: spec.privacy.clientLevel!.noiseMultiplier,
      targetEpsilon: 3,
      targetDelta: 1e-6,
      minContributors: 0,
    });
  });
});

describe('coordinator plan and worker checks', () => {
  const spec = compileJobSpec({
    model: { builtin: 'wdbc-mlp' },
    schemaId: 'wdbc-v1',
    privacy: { mode: 'none', clientLevel: { clipNorm: 1, noiseMultiplier: 1 } },
  });

  test('k is every selected worker by default, the job’s minContributors (at least the quorum) if set', () => {
    expect(planClientDpAttempt(spec, 3, 2, 600)!.round).toEqual({
      clipNorm: 1,
      noiseMultiplier: 1,
      selected: 3,
      minContributors: 3,
      weightDenominator: 600,
    });
    const withK = {
      ...spec,
      privacy: { ...spec.privacy, clientLevel: { ...spec.privacy.clientLevel!, minContributors: 2 } },
    };
    expect(planClientDpAttempt(withK, 5, 3, 600)!.round.minContributors).toBe(3);
    expect(planClientDpAttempt(withK, 5, 1, 600)!.round.minContributors).toBe(2);
    expect(
      planClientDpAttempt(compileJobSpec({ model: { builtin: 'wdbc-mlp' }, schemaId: 'x' }), 3, 1, 9),
    ).toBeUndefined();
  });

  test('a secure round whose setup does not deliver the promised noise is refused by the worker', () => {
    const round: ClientDpRound = {
      clipNorm: 1,
      noiseMultiplier: 1,
      selected: 3,
      minContributors: 3,
      weightDenominator: 600,
    };
    const setup = {
      version: 1 as const,
      paramsDigest: 'a'.repeat(64),
      openerId: 'hospital-a',
      minWorkers: 3,
      maxWorkers: 3,
      valuesPerSlot: 2,
      valueBound: clientDpValueBound(round),
      valueCount: 10,
      weightDenominator: 600,
    };
    const task = (s: object) => ({
      config: { clientDp: { ...round } },
      extension: encodeHeRoundSetup({ ...setup, ...s } as never),
      updateEncoding: 'PAYLOAD_ENCODING_CKKS' as const,
      jobId: 'j',
      round: 1,
    });
    const delta = new Float32Array(10).fill(0.1);
    const ok = applyClientDpToUpdate(task({}) as never, delta, 200, () => {});
    expect(ok).toHaveLength(10);
    expect(() => applyClientDpToUpdate(task({ minWorkers: 2 }) as never, delta, 200, () => {})).toThrow(
      /the opener would open a sum of 2 contribution\(s\), the noise is split over 3/,
    );
    expect(() =>
      applyClientDpToUpdate(task({ weightDenominator: 500 }) as never, delta, 200, () => {}),
    ).toThrow(/weighs updates by n\/500, the DP setting by n\/600/);
    expect(() => applyClientDpToUpdate(task({ valueBound: 1 }) as never, delta, 200, () => {})).toThrow(
      /value bound 1 would clamp noised values/,
    );
    // No client-level DP in the task: the update goes out as it is.
    expect(
      applyClientDpToUpdate({ ...task({}), config: { clientDp: null } } as never, delta, 200, () => {}),
    ).toBe(delta);
  });
});

describe('the job book across a resume', () => {
  const spec = compileJobSpec({
    model: { builtin: 'wdbc-mlp' },
    schemaId: 'wdbc-v1',
    rounds: 5,
    privacy: { mode: 'none', clientLevel: { clipNorm: 1, noiseMultiplier: 1.5, minContributors: 2 } },
  });
  const round = {
    clipNorm: 1,
    noiseMultiplier: 1.5,
    selected: 3,
    minContributors: 2,
    weightDenominator: 300,
  };

  test('a book replayed from its checkpoint goes on exactly as the original would', () => {
    const original = new JobClientDp(spec);
    original.attempted(round);
    original.released(round, 3);
    original.attempted(round);
    original.released(round, 2);
    const resumed = new JobClientDp(spec, original.events());
    resumed.attempted(round);
    original.attempted(round);
    expect(resumed.released(round, 3)).toEqual(original.released(round, 3));
  });

  test('after a lost attempt the first round counts one more opened sum, at its least noise', () => {
    const checkpoint = new JobClientDp(spec);
    checkpoint.attempted(round);
    checkpoint.released(round, 3);
    const resumed = new JobClientDp(spec, checkpoint.events(), true);
    resumed.attempted(round);
    const reported = resumed.released(round, 3);
    // The checkpointed sum, the lost one counted at k = 2 contributions, and this round's sum.
    const exact = new JobClientDp(spec);
    for (const c of [3, 2]) {
      exact.attempted(round);
      exact.released(round, c);
    }
    exact.attempted(round);
    const expected = exact.released(round, 3);
    expect(reported).toEqual(expected);
    const unaware = new JobClientDp(spec, checkpoint.events());
    unaware.attempted(round);
    expect(reported.client_epsilon!).toBeGreaterThan(unaware.released(round, 3).client_epsilon!);
  });
});
