/**
 * Exact accounting of full-batch (q = 1) DP-SGD as one Gaussian mechanism: the (epsilon, delta)
 * curve against 50-digit mpmath values, its inverses, the calibration, and where it must NOT be
 * used (q < 1 stays with the RDP accountant).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calibrateNoiseMultiplier } from '../../privacy/calibrate.js';
import { dpSgdEpsilon, planDpSgd } from '../../privacy/dp-accounting.js';
import {
  fullBatchMu,
  gaussianDelta,
  gaussianEpsilon,
  gaussianMuFor,
} from '../../privacy/gaussian-accounting.js';
import { computeEpsilon, createRdpAccountant } from '../../privacy/rdp-accountant.js';
import { PrivacyBudget } from '../../worker/privacy-budget.js';

interface Fixture {
  delta: { mu: number; epsilon: number; delta: number }[];
  epsilon: { mu: number; delta: number; epsilon: number }[];
  calibration: { epsilon: number; delta: number; steps: number; mu: number; noiseMultiplier: number }[];
}
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/privacy/gaussian-mpmath.json', import.meta.url)), 'utf8'),
) as Fixture;

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('the exact curve of a mu-GDP mechanism vs mpmath (50 digits)', () => {
  test.each(fixture.delta.map((c) => [c.mu, c.epsilon, c.delta] as const))(
    'delta(mu=%p, eps=%p) = %p',
    (mu, eps, expected) => {
      const got = gaussianDelta(mu, eps);
      if (expected < 1e-300) expect(got).toBeLessThan(1e-290);
      else expect(relErr(got, expected)).toBeLessThan(1e-10);
    },
  );

  test.each(fixture.epsilon.map((c) => [c.mu, c.delta, c.epsilon] as const))(
    'epsilon(mu=%p, delta=%p) = %p, never below',
    (mu, delta, expected) => {
      const got = gaussianEpsilon(mu, delta);
      expect(relErr(got, expected)).toBeLessThan(1e-9);
      expect(gaussianDelta(mu, got)).toBeLessThanOrEqual(delta);
    },
  );

  test('edge values: no noise, no steps, epsilon 0', () => {
    expect(fullBatchMu(0, 10)).toBe(Infinity);
    expect(gaussianEpsilon(Infinity, 1e-5)).toBe(Infinity);
    expect(fullBatchMu(5, 0)).toBe(0);
    expect(gaussianEpsilon(0, 1e-5)).toBe(0);
    // eps = 0: delta is the total variation 2 Phi(mu/2) - 1.
    expect(relErr(gaussianDelta(1, 0), 0.38292492254802624)).toBeLessThan(1e-12);
    expect(() => gaussianDelta(-1, 1)).toThrow(/mu must be/);
    expect(() => gaussianEpsilon(1, 0)).toThrow(/delta must be in/);
  });

  test('composition: T steps at sigma are one mechanism with mu = sqrt(T)/sigma', () => {
    expect(fullBatchMu(12, 9)).toBeCloseTo(0.25, 15);
    expect(gaussianEpsilon(fullBatchMu(11.797293077095892, 10), 1e-5)).toBeCloseTo(1, 9);
  });

  test('is never above the RDP bound for the same full-batch job, and is below it', () => {
    for (const sigma of [0.8, 2, 5, 12.79, 40]) {
      for (const steps of [1, 10, 100]) {
        const exact = gaussianEpsilon(fullBatchMu(sigma, steps), 1e-5);
        const rdp = computeEpsilon({ noiseMultiplier: sigma, sampleRate: 1, steps, delta: 1e-5 }).epsilon;
        expect(exact).toBeLessThan(rdp);
      }
    }
  });
});

describe('calibration of full-batch jobs', () => {
  test.each(fixture.calibration.map((c) => [c.epsilon, c.delta, c.steps, c.noiseMultiplier] as const))(
    'eps=%p delta=%p over %p steps: sigma %p (mpmath), epsilon within the target',
    (eps, delta, steps, sigma) => {
      const r = calibrateNoiseMultiplier({
        targetEpsilon: eps,
        delta,
        sampleRate: 1,
        steps: 1,
        rounds: steps,
      });
      expect(r.accounting).toBe('gaussian');
      expect(Number.isNaN(r.order)).toBe(true);
      expect(r.totalSteps).toBe(steps);
      expect(r.epsilon).toBeLessThanOrEqual(eps);
      // The smallest such sigma, to 1e-9: the bisections are 1e-12, the fixture is exact.
      expect(r.noiseMultiplier).toBeGreaterThanOrEqual(sigma * (1 - 1e-12));
      expect(relErr(r.noiseMultiplier, sigma)).toBeLessThan(1e-9);
      // Any less noise overspends.
      expect(gaussianEpsilon(fullBatchMu(r.noiseMultiplier * (1 - 1e-7), steps), delta)).toBeGreaterThan(eps);
      expect(relErr(gaussianMuFor(eps, delta), Math.sqrt(steps) / sigma)).toBeLessThan(1e-9);
    },
  );

  test('the WDBC job (eps 1, delta 1e-5, 10 full-batch steps): 7.8% less noise than RDP', () => {
    const exact = calibrateNoiseMultiplier({
      targetEpsilon: 1,
      delta: 1e-5,
      sampleRate: 1,
      steps: 1,
      rounds: 10,
    });
    const rdp = calibrateNoiseMultiplier({
      targetEpsilon: 1,
      delta: 1e-5,
      sampleRate: 1,
      steps: 1,
      rounds: 10,
      accounting: 'rdp',
    });
    expect(rdp.accounting).toBe('rdp');
    expect(exact.noiseMultiplier).toBeCloseTo(11.7973, 4);
    expect(rdp.noiseMultiplier).toBeCloseTo(12.7926, 4);
    // The RDP accountant, as a (valid, looser) bound, charges more for the exact sigma.
    expect(
      computeEpsilon({ noiseMultiplier: exact.noiseMultiplier, sampleRate: 1, steps: 10, delta: 1e-5 })
        .epsilon,
    ).toBeGreaterThan(1.05);
  });

  test('q < 1 is untouched: same sigma as the RDP calibration', () => {
    const orders = [1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
    const o = { targetEpsilon: 1, delta: 1e-5, sampleRate: 0.5, steps: 2, rounds: 10, orders };
    const auto = calibrateNoiseMultiplier(o);
    const rdp = calibrateNoiseMultiplier({ ...o, accounting: 'rdp' });
    expect(auto.accounting).toBe('rdp');
    expect(auto.noiseMultiplier).toBe(rdp.noiseMultiplier);
    expect(auto.epsilon).toBe(
      computeEpsilon({
        noiseMultiplier: auto.noiseMultiplier,
        sampleRate: 0.5,
        steps: 20,
        delta: 1e-5,
        orders,
      }).epsilon,
    );
  });

  test('planDpSgd and dpSgdEpsilon take the exact path exactly when q = 1', () => {
    const full = planDpSgd({
      targetEpsilon: 1,
      delta: 1e-5,
      datasetSize: 152,
      expectedBatchSize: 1000,
      rounds: 10,
    });
    expect(full).toMatchObject({ sampleRate: 1, stepsPerRound: 1, totalSteps: 10, accounting: 'gaussian' });
    const back = dpSgdEpsilon({
      noiseMultiplier: full.noiseMultiplier,
      sampleRate: 1,
      stepsPerRound: 1,
      rounds: 10,
      delta: 1e-5,
    });
    expect(back.accounting).toBe('gaussian');
    expect(back.epsilon).toBeLessThanOrEqual(1);
    expect(back.epsilon).toBeCloseTo(1, 9);
    const sub = dpSgdEpsilon({
      noiseMultiplier: 3,
      sampleRate: 0.5,
      stepsPerRound: 2,
      rounds: 10,
      delta: 1e-5,
    });
    const rdp = computeEpsilon({ noiseMultiplier: 3, sampleRate: 0.5, steps: 20, delta: 1e-5 });
    expect(sub).toMatchObject({ accounting: 'rdp', epsilon: rdp.epsilon, order: rdp.order });
  });
});

describe("the worker's budget with full-batch jobs", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aidoc-gdp-budget-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const sigma = calibrateNoiseMultiplier({
    targetEpsilon: 1,
    delta: 1e-5,
    sampleRate: 1,
    steps: 1,
    rounds: 10,
  }).noiseMultiplier;
  const round = {
    datasetId: 'h/wdbc',
    jobId: 'job-1',
    noiseMultiplier: sigma,
    sampleRate: 1,
    steps: 1,
    delta: 1e-5,
  };

  test('a calibrated full-batch job fits its target exactly, round by round, across a restart', async () => {
    const file = join(dir, 'budget.json');
    let b = await PrivacyBudget.open(file, 10);
    let last = { jobEpsilon: 0, datasetEpsilon: 0 };
    for (let r = 1; r <= 10; r++) {
      if (r === 6) b = await PrivacyBudget.open(file, 10);
      last = await b.charge(round, 1);
      expect(last.jobEpsilon).toBeCloseTo(gaussianEpsilon(fullBatchMu(sigma, r), 1e-5), 9);
    }
    expect(last.jobEpsilon).toBeCloseTo(1, 6);
    expect(last.jobEpsilon).toBeLessThanOrEqual(1 + 1e-9);
    // An 11th round would pass the job's target: refused before anything is charged.
    await expect(b.charge(round, 1)).rejects.toMatchObject({ code: 'PRIVACY_BUDGET_EXHAUSTED' });
    expect(b.spent('h/wdbc', 1e-5)).toBe(last.datasetEpsilon);
  });

  test('one subsampled round turns the exact accounting off for good (RDP from then on)', async () => {
    const b = await PrivacyBudget.open(join(dir, 'budget.json'), 100);
    await b.charge(round, 100);
    const sub = await b.charge({ ...round, sampleRate: 0.5 }, 100);
    const full = { noiseMultiplier: sigma, sampleRate: 1, steps: 1 };
    const half = { ...full, sampleRate: 0.5 };
    const rdp = createRdpAccountant().compose(full).compose(half);
    expect(sub.jobEpsilon).toBeCloseTo(rdp.getEpsilon(1e-5).epsilon, 9);
    const again = await b.charge(round, 100);
    expect(again.jobEpsilon).toBeCloseTo(rdp.compose(full).getEpsilon(1e-5).epsilon, 9);
    expect(again.datasetEpsilon).toBe(again.jobEpsilon);
  });

  test('a budget file from before the exact accounting is charged with RDP (conservative)', async () => {
    const file = join(dir, 'budget.json');
    const b = await PrivacyBudget.open(file, 100);
    await b.charge(round, 100);
    // Strip the new field, as in a file written by an older worker.
    const state = JSON.parse(await readFile(file, 'utf8')) as {
      datasets: Record<
        string,
        { total: Record<string, unknown>; jobs: Record<string, Record<string, unknown>> }
      >;
    };
    delete state.datasets['h/wdbc']!.total.gaussianMuSquared;
    delete state.datasets['h/wdbc']!.jobs['job-1']!.gaussianMuSquared;
    await writeFile(file, JSON.stringify(state));
    const old = await PrivacyBudget.open(file, 100);
    const rdpOne = computeEpsilon({ noiseMultiplier: sigma, sampleRate: 1, steps: 1, delta: 1e-5 }).epsilon;
    expect(old.spent('h/wdbc', 1e-5)).toBeCloseTo(rdpOne, 9);
    const next = await old.charge(round, 100);
    const rdpTwo = computeEpsilon({ noiseMultiplier: sigma, sampleRate: 1, steps: 2, delta: 1e-5 }).epsilon;
    expect(next.jobEpsilon).toBeCloseTo(rdpTwo, 9);
    expect(next.jobEpsilon).toBeGreaterThan(gaussianEpsilon(fullBatchMu(sigma, 2), 1e-5));
  });
});
