import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isError } from '../../common/errors.js';
import { calibrateNoiseMultiplier } from '../../privacy/calibrate.js';
import type { FractionalSeries, SampledGaussianSteps } from '../../privacy/rdp-accountant.js';
import {
  DEFAULT_RDP_ORDERS,
  DP_ACCOUNTING_DEFAULT_ORDERS,
  OPACUS_DEFAULT_ORDERS,
  TF_PRIVACY_DP_SGD_ORDERS,
  computeEpsilon,
  computeLogA,
  computeRdp,
  createRdpAccountant,
  deltaFromRdp,
  epsilonFromRdp,
  erfc,
  logErfc,
} from '../../privacy/rdp-accountant.js';

// ------------------------------------------------------------------------------------------------
// Fixture plumbing
// ------------------------------------------------------------------------------------------------

type Num = number | 'Infinity';
type OrdersSpec = string | Num[] | { range: [number, number]; scale?: number };
interface Tolerance {
  relative?: number;
  absolute?: number;
}
interface FixtureCase {
  id: string;
  kind: string;
  source: { repo: string; path: string; commit: string; test: string; quote: string };
  orders?: OrdersSpec;
  fractionalSeries?: FractionalSeries;
  events?: SampledGaussianSteps[];
  delta?: number;
  epsilon?: number;
  deltaAtEpsilon?: number;
  rdpConstant?: number;
  search?: 'epsilon-tolerance' | 'sigma-precision';
  targetEpsilon?: number;
  sampleRate?: number;
  steps?: number;
  expected: {
    epsilon?: Num;
    order?: number;
    delta?: number;
    rdp?: Num[];
    noiseMultiplier?: number;
    epsilonAtMost?: number;
  };
  tolerance: Tolerance;
}
interface Fixture {
  defaultOrders: { orders: number[]; source: { quote: string } };
  cases: FixtureCase[];
}

const fixtureDir = fileURLToPath(new URL('../fixtures/privacy/', import.meta.url));
const load = <T>(name: string): T => JSON.parse(readFileSync(fixtureDir + name, 'utf8')) as T;

const num = (x: Num): number => (x === 'Infinity' ? Infinity : x);

const PRESETS: Record<string, readonly number[]> = {
  opacus: OPACUS_DEFAULT_ORDERS,
  'dp-accounting': DP_ACCOUNTING_DEFAULT_ORDERS,
  'tf-privacy-dp-sgd': TF_PRIVACY_DP_SGD_ORDERS,
};

function resolveOrders(spec: OrdersSpec | undefined): readonly number[] {
  if (spec === undefined) return DEFAULT_RDP_ORDERS;
  if (typeof spec === 'string') {
    const preset = PRESETS[spec];
    if (!preset) throw new Error(`unknown order preset ${spec}`);
    return preset;
  }
  if (Array.isArray(spec)) return spec.map(num);
  const [start, stop] = spec.range;
  const out: number[] = [];
  // Same float expression as Python's `scale * i` (or plain `i`), so the orders are bit-identical.
  for (let i = start; i < stop; i++) out.push(spec.scale === undefined ? i : spec.scale * i);
  return out;
}

/** |actual - expected| <= max(absolute, relative * |expected|); Infinity must match exactly. */
function expectClose(actual: number, expected: number, tol: Tolerance, label: string): void {
  if (!Number.isFinite(expected)) {
    expect({ label, actual }).toEqual({ label, actual: expected });
    return;
  }
  const allowed = Math.max(tol.absolute ?? 0, (tol.relative ?? 0) * Math.abs(expected));
  const err = Math.abs(actual - expected);
  if (!(err <= allowed)) {
    throw new Error(`${label}: got ${actual}, expected ${expected} (error ${err}, allowed ${allowed})`);
  }
}

function composed(c: FixtureCase) {
  const accountant = createRdpAccountant({
    orders: resolveOrders(c.orders),
    fractionalSeries: c.fractionalSeries,
  });
  for (const e of c.events ?? []) accountant.compose(e);
  return accountant;
}

/** Opacus's get_noise_multiplier searches, run on our epsilon (see the fixture's searchNote). */
function opacusNoiseSearch(c: FixtureCase): number {
  const orders = resolveOrders(c.orders);
  const target = c.targetEpsilon as number;
  const eps = (sigma: number) =>
    computeEpsilon({
      noiseMultiplier: sigma,
      sampleRate: c.sampleRate as number,
      steps: c.steps as number,
      delta: c.delta as number,
      orders,
      fractionalSeries: c.fractionalSeries,
    }).epsilon;
  if (c.search === 'epsilon-tolerance') {
    let epsHigh = Infinity;
    let lo = 0;
    let hi = 10;
    while (epsHigh > target) {
      hi = 2 * hi;
      epsHigh = eps(hi);
      if (hi > 1e6) throw new Error('The privacy budget is too low.');
    }
    while (target - epsHigh > 0.01) {
      const sigma = (lo + hi) / 2;
      const e = eps(sigma);
      if (e < target) {
        hi = sigma;
        epsHigh = e;
      } else lo = sigma;
    }
    return hi;
  }
  let e = Infinity;
  let sigmaMin = 0.01;
  let sigmaMax = 10;
  let sigma = NaN;
  while (e > target) {
    sigmaMax = 2 * sigmaMax;
    e = eps(sigmaMax);
    if (sigmaMax > 2000) throw new Error('The privacy budget is too low.');
  }
  while (sigmaMax - sigmaMin > 0.01) {
    sigma = (sigmaMin + sigmaMax) / 2;
    e = eps(sigma);
    if (e < target) sigmaMax = sigma;
    else sigmaMin = sigma;
  }
  return sigma;
}

function runCase(c: FixtureCase): void {
  const tol = c.tolerance;
  const exp = c.expected;
  switch (c.kind) {
    case 'epsilon': {
      const accountant = composed(c);
      const { epsilon, order } = accountant.getEpsilon(c.delta as number);
      expectClose(epsilon, num(exp.epsilon as Num), tol, `${c.id} epsilon`);
      if (exp.order !== undefined) expect(order).toBe(exp.order);
      if (exp.delta !== undefined) {
        expectClose(accountant.getDelta(c.deltaAtEpsilon as number).delta, exp.delta, tol, `${c.id} delta`);
      }
      return;
    }
    case 'epsilon-upper-bound': {
      const { epsilon } = composed(c).getEpsilon(c.delta as number);
      expect(epsilon).toBeLessThanOrEqual(exp.epsilonAtMost as number);
      return;
    }
    case 'delta': {
      expectClose(composed(c).getDelta(c.epsilon as number).delta, exp.delta as number, tol, `${c.id} delta`);
      return;
    }
    case 'rdp': {
      const rdp = composed(c).rdp;
      const want = (exp.rdp as Num[]).map(num);
      expect(rdp).toHaveLength(want.length);
      want.forEach((w, k) => expectClose(rdp[k] as number, w, tol, `${c.id} rdp[${k}]`));
      return;
    }
    case 'epsilon-from-rdp': {
      const orders = resolveOrders(c.orders);
      const { epsilon, order } = epsilonFromRdp(
        orders,
        orders.map(() => c.rdpConstant as number),
        c.delta as number,
      );
      expectClose(epsilon, num(exp.epsilon as Num), tol, `${c.id} epsilon`);
      expect(order).toBe(exp.order);
      return;
    }
    case 'delta-from-rdp': {
      const orders = resolveOrders(c.orders);
      const { delta, order } = deltaFromRdp(
        orders,
        orders.map(() => c.rdpConstant as number),
        c.epsilon as number,
      );
      expectClose(delta, exp.delta as number, tol, `${c.id} delta`);
      expect(order).toBe(exp.order);
      return;
    }
    case 'opacus-noise-search': {
      expectClose(opacusNoiseSearch(c), exp.noiseMultiplier as number, tol, `${c.id} noise multiplier`);
      return;
    }
    default:
      throw new Error(`unknown fixture kind ${c.kind}`);
  }
}

// ------------------------------------------------------------------------------------------------
// Published test values of Opacus, dp_accounting and TensorFlow Privacy
// ------------------------------------------------------------------------------------------------

describe.each([
  ['opacus.json', OPACUS_DEFAULT_ORDERS],
  ['dp-accounting.json', DP_ACCOUNTING_DEFAULT_ORDERS],
  ['tensorflow-privacy.json', TF_PRIVACY_DP_SGD_ORDERS],
] as const)('fixture %s', (file, ourOrders) => {
  const fixture = load<Fixture>(file);

  test('our order preset equals the upstream default orders', () => {
    expect([...ourOrders]).toEqual(fixture.defaultOrders.orders);
  });

  test('every case names its source', () => {
    expect(fixture.cases.length).toBeGreaterThan(0);
    for (const c of fixture.cases) {
      expect(c.source.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(c.source.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(c.source.test.length).toBeGreaterThan(0);
      expect(c.source.quote.length).toBeGreaterThan(0);
    }
  });

  test.each(fixture.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    runCase(c);
  });
});

test('the default orders are dp_accounting\u2019s', () => {
  expect(DEFAULT_RDP_ORDERS).toBe(DP_ACCOUNTING_DEFAULT_ORDERS);
  expect([
    OPACUS_DEFAULT_ORDERS.length,
    DP_ACCOUNTING_DEFAULT_ORDERS.length,
    TF_PRIVACY_DP_SGD_ORDERS.length,
  ]).toEqual([151, 156, 72]);
});

// ------------------------------------------------------------------------------------------------
// log(A_alpha) against multi-precision integration
// ------------------------------------------------------------------------------------------------

describe('log(A_alpha) vs mpmath integration (log-a-mpmath.json)', () => {
  const fixture = load<{
    tolerance: Tolerance;
    cases: {
      q: number;
      sigma: number;
      order: number;
      logA: number;
      tolerance?: Tolerance;
      upperBound?: boolean;
    }[];
  }>('log-a-mpmath.json');

  test.each(fixture.cases.map((c) => [`q=${c.q} sigma=${c.sigma} order=${c.order}`, c] as const))(
    '%s',
    (label, c) => {
      const logA = computeLogA(c.q, c.sigma, c.order);
      expectClose(logA, c.logA, c.tolerance ?? fixture.tolerance, label);
      if (c.upperBound) expect(logA).toBeGreaterThanOrEqual(c.logA);
    },
  );

  test('the absolute-value series is an upper bound, strictly looser at order 1.5', () => {
    for (const c of fixture.cases) {
      if (Number.isInteger(c.order)) continue;
      expect(computeLogA(c.q, c.sigma, c.order, 'absolute')).toBeGreaterThanOrEqual(
        c.logA * (1 - 1e-12) - 1e-13,
      );
    }
    const exact = computeLogA(0.01, 2.5, 1.5);
    expect(computeLogA(0.01, 2.5, 1.5, 'absolute') / exact).toBeGreaterThan(1.03);
  });
});

// ------------------------------------------------------------------------------------------------
// erfc / log erfc
// ------------------------------------------------------------------------------------------------

describe('erfc and logErfc', () => {
  // Reference values from mpmath (40 digits), rounded to the nearest double.
  const ref: [number, number, number][] = [
    [-3, 1.9999779095030015, 0.6931361352504468],
    [-1, 1.8427007929497148, 0.6112323176780705],
    [-0.25, 1.276326390168237, 0.24398594388138442],
    [0, 1, 0],
    [1e-8, 0.9999999887162083, -1.1283791734617103e-8],
    [0.5, 0.4795001221869535, -0.7350111298370844],
    [0.99, 0.1614919304446302, -1.823300103854902],
    [1, 0.15729920705028513, -1.8496055099332482],
    [1.0000001, 0.15729916553953954, -1.849605773830008],
    [2, 0.004677734981047266, -5.364941264616638],
    [5, 1.537459794428035e-12, -27.200889545537436],
    [10, 2.088487583762545e-45, -102.87988902484489],
    [26, 5.663192408856143e-296, -679.8311997631943],
    [27.5, 0, -760.1372110153482],
    [100, 0, -10005.177585122665],
    [1e5, 0, -10000000012.08529],
  ];
  test.each(ref)('x = %p', (x, e, l) => {
    expectClose(erfc(x), e, { relative: 1e-14 }, `erfc(${x})`);
    expectClose(logErfc(x), l, { relative: 1e-14, absolute: 1e-300 }, `logErfc(${x})`);
  });
  test('edge values', () => {
    expect(logErfc(Infinity)).toBe(-Infinity);
    expect(logErfc(-Infinity)).toBeCloseTo(Math.LN2, 15);
    expect(Number.isNaN(erfc(NaN))).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

/**
 * A coarse order grid (fractional and integer orders) for the property and calibration tests: Jest's
 * VM runs this numeric code several times slower than plain Node, and these tests need many curves.
 */
const SMALL_ORDERS = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 128, 256];

describe('accountant properties', () => {
  const q = 0.01;
  const delta = 1e-5;

  test('epsilon decreases as noise grows and grows with steps and sample rate', () => {
    const eps = (sigma: number, steps: number, rate = q) =>
      computeEpsilon({ noiseMultiplier: sigma, sampleRate: rate, steps, delta, orders: SMALL_ORDERS })
        .epsilon;
    const sigmas = [0.4, 0.7, 1.1, 2, 4, 8, 20];
    const bySigma = sigmas.map((s) => eps(s, 1000));
    for (let k = 1; k < bySigma.length; k++) expect(bySigma[k]).toBeLessThan(bySigma[k - 1] as number);
    const bySteps = [1, 100, 10000].map((t) => eps(1.1, t));
    for (let k = 1; k < bySteps.length; k++) expect(bySteps[k]).toBeGreaterThan(bySteps[k - 1] as number);
    const byRate = [0.001, 0.05, 1].map((r) => eps(1.1, 100, r));
    for (let k = 1; k < byRate.length; k++) expect(byRate[k]).toBeGreaterThan(byRate[k - 1] as number);
  });

  test('RDP is non-decreasing in the order, across integer and fractional orders', () => {
    for (const [rate, sigma] of [
      [0.01, 1.1],
      [0.5, 2],
    ] as const) {
      const rdp = computeRdp(rate, sigma, 1, DEFAULT_RDP_ORDERS);
      const sorted = DEFAULT_RDP_ORDERS.map((a, k) => [a, rdp[k] as number] as const).sort(
        (x, y) => x[0] - y[0],
      );
      for (let k = 1; k < sorted.length; k++) {
        const [, prev] = sorted[k - 1] as readonly [number, number];
        const [, cur] = sorted[k] as readonly [number, number];
        expect(cur).toBeGreaterThanOrEqual(prev * (1 - 1e-9));
      }
    }
  });

  test('RDP adds over steps and rounds; compositions of different stretches add', () => {
    const one = createRdpAccountant().compose({ noiseMultiplier: 1.1, sampleRate: q, steps: 300 });
    const split = createRdpAccountant()
      .compose({ noiseMultiplier: 1.1, sampleRate: q, steps: 100 })
      .compose({ noiseMultiplier: 1.1, sampleRate: q, steps: 200 });
    one.rdp.forEach((r, k) => expectClose(split.rdp[k] as number, r, { relative: 1e-12 }, `order ${k}`));

    const mixed = createRdpAccountant()
      .compose({ noiseMultiplier: 1.1, sampleRate: q, steps: 100 })
      .compose({ noiseMultiplier: 2, sampleRate: 0.05, steps: 50 });
    const a = computeRdp(q, 1.1, 100, DEFAULT_RDP_ORDERS);
    const b = computeRdp(0.05, 2, 50, DEFAULT_RDP_ORDERS);
    mixed.rdp.forEach((r, k) =>
      expectClose(r, (a[k] as number) + (b[k] as number), { relative: 1e-12 }, `order ${k}`),
    );

    // Resuming from a persisted curve gives the same state.
    const resumed = createRdpAccountant({ orders: one.orders, rdp: one.rdp });
    expect(resumed.getEpsilon(delta)).toEqual(one.getEpsilon(delta));
  });

  test('epsilon and delta conversions are consistent (dp_accounting test_epsilon_delta_consistency)', () => {
    const orders = Array.from({ length: 48 }, (_, i) => i + 2);
    for (const rate of [0, 0.01, 0.1, 0.8, 1]) {
      for (const sigma of [0, 0.1, 1, 10, 100]) {
        const accountant = createRdpAccountant({ orders }).compose({
          noiseMultiplier: sigma,
          sampleRate: rate,
          steps: 1,
        });
        for (const d of [0.99, 0.9, 0.1, 0.01, 1e-3, 1e-5, 1e-9, 1e-12]) {
          const { epsilon } = accountant.getEpsilon(d);
          const { delta: d2 } = accountant.getDelta(epsilon);
          if (epsilon === Infinity) expect(d2).toBe(1);
          else if (epsilon === 0) expect(d2).toBeLessThanOrEqual(d);
          else expectClose(d2, d, { relative: 1e-6 }, `q=${rate} sigma=${sigma} delta=${d}`);
        }
      }
    }
  });

  test('delta lies between the exact Gaussian delta and the standard bound (dp_accounting test_delta_bounds_gaussian)', () => {
    const orders = Array.from({ length: 495 }, (_, i) => 0.1 * (i + 10));
    const rdp = computeRdp(1, 1, 1, orders);
    for (let x = 0; x < 500; x++) {
      const eps = 0.1 * x;
      const { delta: d } = deltaFromRdp(orders, rdp, eps);
      // Balle & Wang 2018, Theorem 8: the exact delta of the Gaussian mechanism with sensitivity 1, sigma 1.
      const exact = erfc((eps - 0.5) / Math.SQRT2) / 2 - (Math.exp(eps) * erfc((eps + 0.5) / Math.SQRT2)) / 2;
      expect(exact).toBeLessThanOrEqual(d + 1e-300);
      const standard = eps >= 0.5 ? Math.exp(-0.5 * (eps - 0.5) ** 2) : 1;
      expect(d).toBeLessThanOrEqual(standard + 1e-300);
    }
  });

  test('no noise means infinite epsilon; no sampling means zero', () => {
    expect(computeEpsilon({ noiseMultiplier: 0, sampleRate: 0.1, steps: 10, delta }).epsilon).toBe(Infinity);
    expect(computeEpsilon({ noiseMultiplier: 0, sampleRate: 0, steps: 10, delta }).epsilon).toBe(0);
  });

  test('bad arguments are INVALID_ARGUMENT errors', () => {
    const bad: (() => unknown)[] = [
      () => computeRdp(1.5, 1, 1, [2]),
      () => computeRdp(0.1, -1, 1, [2]),
      () => computeRdp(0.1, 1, 1, [0.5]),
      () => computeRdp(0.1, 1, 1, []),
      () => epsilonFromRdp([2, 3], [1], 1e-5),
      () => epsilonFromRdp([2], [1], 2),
      () => createRdpAccountant().compose({ noiseMultiplier: 1, sampleRate: 0.1, steps: 1.5 }),
      () => createRdpAccountant({ orders: [2, 3], rdp: [1] }),
    ];
    for (const f of bad) {
      let caught: unknown;
      try {
        f();
      } catch (e) {
        caught = e;
      }
      expect(isError(caught, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});

// ------------------------------------------------------------------------------------------------
// Calibration
// ------------------------------------------------------------------------------------------------

describe('calibrateNoiseMultiplier', () => {
  test.each([
    [0.01, 1000, 1, 1e-5, 1.1, 'default'],
    [0.001, 50, 20, 1e-6, 0.8, 'small'],
    [0.2, 10, 5, 1e-5, 4, 'small'],
    [1, 5, 1, 1e-5, 10, 'small'],
  ] as const)(
    'round trip q=%p steps=%p rounds=%p delta=%p sigma=%p (%s orders)',
    (rate, steps, rounds, d, sigma0, grid) => {
      const orders = grid === 'default' ? DEFAULT_RDP_ORDERS : SMALL_ORDERS;
      const target = computeEpsilon({
        noiseMultiplier: sigma0,
        sampleRate: rate,
        steps: steps * rounds,
        delta: d,
        orders,
      }).epsilon;
      // The RDP calibration (q = 1 would otherwise take the exact Gaussian path: gaussian-accounting.test.ts).
      const r = calibrateNoiseMultiplier({
        targetEpsilon: target,
        delta: d,
        sampleRate: rate,
        steps,
        rounds,
        orders,
        accounting: 'rdp',
      });
      expect(r.accounting).toBe('rdp');
      expect(r.totalSteps).toBe(steps * rounds);
      expect(r.epsilon).toBeLessThanOrEqual(target);
      expectClose(r.noiseMultiplier, sigma0, { relative: 2e-6 }, 'calibrated sigma');
      // Smallest: a little less noise (just past the bisection tolerance) overspends.
      const less = computeEpsilon({
        noiseMultiplier: r.noiseMultiplier * (1 - 1.01e-6),
        sampleRate: rate,
        steps: steps * rounds,
        delta: d,
        orders,
      }).epsilon;
      expect(less).toBeGreaterThan(target);
    },
  );

  test('is monotone in the target epsilon', () => {
    const sigmas = [0.5, 2, 8].map(
      (e) =>
        calibrateNoiseMultiplier({
          targetEpsilon: e,
          delta: 1e-5,
          sampleRate: 0.01,
          steps: 1000,
          orders: SMALL_ORDERS,
        }).noiseMultiplier,
    );
    for (let k = 1; k < sigmas.length; k++) expect(sigmas[k]).toBeLessThan(sigmas[k - 1] as number);
  });

  test('agrees with Opacus get_noise_multiplier (1.416 for eps 8, q 0.04, 90 epochs) within its 0.01 search tolerance', () => {
    const r = calibrateNoiseMultiplier({
      targetEpsilon: 8,
      delta: 1e-5,
      sampleRate: 0.04,
      steps: Math.trunc(90 / 0.04),
      orders: OPACUS_DEFAULT_ORDERS,
      relativeTolerance: 1e-4,
    });
    // Opacus stops early and returns a sigma that fits, so ours (the smallest that fits) is no larger.
    expect(r.noiseMultiplier).toBeLessThanOrEqual(1.416015625);
    expect(r.noiseMultiplier).toBeGreaterThan(1.4);
  });

  test('an unreachable target is a clear INVALID_ARGUMENT error', () => {
    let caught: unknown;
    try {
      calibrateNoiseMultiplier({
        targetEpsilon: 0.001,
        delta: 1e-5,
        sampleRate: 0.5,
        steps: 1000,
        orders: SMALL_ORDERS,
      });
    } catch (e) {
      caught = e;
    }
    expect(isError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect((caught as Error).message).toMatch(/cannot be reached/);
    expect((caught as Error).message).toMatch(/noise multiplier 1000000/);
  });

  test('bad options are rejected', () => {
    const base = { targetEpsilon: 1, delta: 1e-5, sampleRate: 0.01, steps: 100 };
    for (const patch of [
      { targetEpsilon: 0 },
      { delta: 1 },
      { sampleRate: 0 },
      { steps: 0 },
      { rounds: 1.5 },
    ]) {
      let caught: unknown;
      try {
        calibrateNoiseMultiplier({ ...base, ...patch });
      } catch (e) {
        caught = e;
      }
      expect(isError(caught, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  test('honours an aborted signal', () => {
    const controller = new AbortController();
    controller.abort();
    let caught: unknown;
    try {
      calibrateNoiseMultiplier({
        targetEpsilon: 1,
        delta: 1e-5,
        sampleRate: 0.01,
        steps: 100,
        signal: controller.signal,
      });
    } catch (e) {
      caught = e;
    }
    expect(isError(caught, 'ABORTED')).toBe(true);
  });
});
