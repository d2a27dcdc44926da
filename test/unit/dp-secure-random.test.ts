import { erfc } from '../../privacy/rdp-accountant.js';
import { createSecureRandom } from '../../privacy/secure-random.js';

const normalCdf = (x: number) => 0.5 * erfc(-x / Math.SQRT2);

/** Kolmogorov–Smirnov statistic of `sample` against `cdf`. */
function ksStatistic(sample: ArrayLike<number>, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(sample).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

function moments(values: ArrayLike<number>) {
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    m1 += v;
    m2 += v * v;
    m3 += v * v * v;
    m4 += v * v * v * v;
  }
  const n = values.length;
  return { mean: m1 / n, second: m2 / n, third: m3 / n, fourth: m4 / n };
}

describe('secure random: Gaussian noise', () => {
  test('seeded streams are reproducible and distinct per seed; the default one is not seeded', () => {
    const a = createSecureRandom({ seed: 7 }).fillGaussian(new Float32Array(64));
    const b = createSecureRandom({ seed: 7 }).fillGaussian(new Float32Array(64));
    const c = createSecureRandom({ seed: 8 }).fillGaussian(new Float32Array(64));
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
    expect(createSecureRandom().seeded).toBe(false);
    expect(createSecureRandom({ seed: 'x' }).seeded).toBe(true);
    const x = createSecureRandom().fillGaussian(new Float32Array(64));
    const y = createSecureRandom().fillGaussian(new Float32Array(64));
    expect(Buffer.from(x.buffer).equals(Buffer.from(y.buffer))).toBe(false);
  });

  test('moments of N(0, s^2) within 5 standard errors, KS distance below the 0.1% critical value', () => {
    const n = 200_000;
    const s = 2.5;
    const v = createSecureRandom({ seed: 1 }).fillGaussian(new Float32Array(n), s);
    const m = moments(v);
    // Standard errors: mean s/sqrt(n); E[x^2] s^2*sqrt(2/n); E[x^3] s^3*sqrt(15/n); E[x^4] s^4*sqrt(96/n).
    expect(Math.abs(m.mean)).toBeLessThan((5 * s) / Math.sqrt(n));
    expect(Math.abs(m.second - s * s)).toBeLessThan(5 * s * s * Math.sqrt(2 / n));
    expect(Math.abs(m.third)).toBeLessThan(5 * s ** 3 * Math.sqrt(15 / n));
    expect(Math.abs(m.fourth - 3 * s ** 4)).toBeLessThan(5 * s ** 4 * Math.sqrt(96 / n));
    // KS critical value at alpha = 0.001: 1.95 / sqrt(n).
    expect(ksStatistic(v.subarray(0, 30_000), (x) => normalCdf(x / s))).toBeLessThan(
      1.95 / Math.sqrt(30_000),
    );
    // Odd lengths fill the last element too, and never leave NaN.
    const odd = createSecureRandom({ seed: 2 }).fillGaussian(new Float64Array(3));
    expect(odd.every((z) => Number.isFinite(z) && z !== 0)).toBe(true);
  });

  test('the crypto stream passes the same KS test; tails appear at the right rate', () => {
    const n = 100_000;
    const v = createSecureRandom().fillGaussian(new Float64Array(n));
    expect(ksStatistic(v.subarray(0, 30_000), normalCdf)).toBeLessThan(1.95 / Math.sqrt(30_000));
    // P(|z| > 3) = 0.0027: expect 270 with sd ~16.4; allow 6 sd.
    const tails = v.filter((z) => Math.abs(z) > 3).length;
    expect(Math.abs(tails - 270)).toBeLessThan(6 * 16.4);
  });

  test('addGaussian adds noise in place; scalar draws agree with the vector ones in law', () => {
    const r = createSecureRandom({ seed: 3 });
    const v = new Float32Array(100_000).fill(10);
    r.addGaussian(v, 0.5);
    const m = moments(v);
    expect(Math.abs(m.mean - 10)).toBeLessThan(0.01);
    expect(Math.abs(m.second - m.mean ** 2 - 0.25)).toBeLessThan(0.01);
    const scalars = Float64Array.from({ length: 20_000 }, () => r.gaussian());
    expect(ksStatistic(scalars, normalCdf)).toBeLessThan(1.95 / Math.sqrt(20_000));
    const u = Float64Array.from({ length: 20_000 }, () => r.uniform());
    expect(u.every((x) => x > 0 && x <= 1)).toBe(true);
    expect(ksStatistic(u, (x) => x)).toBeLessThan(1.95 / Math.sqrt(20_000));
  });
});

describe('secure random: Poisson sampling', () => {
  test.each([0.01, 0.1, 0.3, 0.9])(
    'q = %p: batch size ~ Binomial(n, q), every record equally likely',
    (q) => {
      const r = createSecureRandom({ seed: Math.round(q * 1000) });
      const n = 500;
      const trials = 2000;
      const counts = new Float64Array(n);
      const sizes: number[] = [];
      let ascending = true;
      for (let t = 0; t < trials; t++) {
        const idx = r.poissonSample(n, q);
        sizes.push(idx.length);
        for (let k = 0; k < idx.length; k++) {
          if (k > 0 && idx[k]! <= idx[k - 1]!) ascending = false;
          counts[idx[k]!]! += 1;
        }
      }
      expect(ascending).toBe(true);
      const mean = sizes.reduce((a, b) => a + b, 0) / trials;
      const variance = sizes.reduce((a, b) => a + (b - mean) ** 2, 0) / (trials - 1);
      const expMean = n * q;
      const expVar = n * q * (1 - q);
      expect(Math.abs(mean - expMean)).toBeLessThan(5 * Math.sqrt(expVar / trials));
      expect(Math.abs(variance / expVar - 1)).toBeLessThan(5 * Math.sqrt(2 / (trials - 1)));
      // Per-record inclusion frequencies: a chi-square over the n records with n-1 degrees of freedom.
      const p = q;
      let chi = 0;
      for (let i = 0; i < n; i++) chi += (counts[i]! - trials * p) ** 2 / (trials * p * (1 - p));
      // chi2(499) has mean 499 and sd 31.6; 5 sd either side.
      expect(Math.abs(chi - (n - 1))).toBeLessThan(5 * Math.sqrt(2 * (n - 1)));
    },
  );

  test('edge cases: q = 0, q = 1, n = 0, and invalid arguments', () => {
    const r = createSecureRandom({ seed: 4 });
    expect(r.poissonSample(10, 0)).toHaveLength(0);
    expect(Array.from(r.poissonSample(4, 1))).toEqual([0, 1, 2, 3]);
    expect(r.poissonSample(0, 0.5)).toHaveLength(0);
    expect(() => r.poissonSample(10, 1.5)).toThrow(/probability/);
    expect(() => r.poissonSample(-1, 0.5)).toThrow(/integer/);
    expect(() => r.fillGaussian(new Float32Array(2), -1)).toThrow(/stddev/);
  });
});
