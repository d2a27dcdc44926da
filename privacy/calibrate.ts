/**
 * Noise calibration: the smallest noise multiplier sigma such that a whole DP-SGD job
 * (rounds x local steps at sampling rate q) stays within a target (epsilon, delta).
 *
 * Privacy argument: epsilon(sigma) from the RDP accountant is non-increasing in sigma (the RDP of
 * the sampled Gaussian decreases in sigma at every order, and epsilon is a minimum over orders of
 * increasing functions of the RDP), so bisection is sound. The search only ever returns a sigma whose
 * epsilon was actually evaluated and found <= the target: the answer errs towards more noise, by at
 * most `relativeTolerance`.
 *
 * Full-batch jobs (q = 1) are calibrated exactly instead (`accounting: 'auto'`, the default): their
 * steps are plain Gaussian mechanisms, whose composition is one Gaussian mechanism with
 * mu = sqrt(steps)/sigma and an exact (epsilon, delta) curve (privacy/gaussian-accounting.ts). That
 * needs about 8% less noise than the RDP bound for the same guarantee. `accounting: 'rdp'` keeps the
 * RDP accountant for q = 1 too.
 */
import { assertArgument, makeError, throwIfAborted } from '../common/errors.js';
import { fullBatchMu, gaussianEpsilon, gaussianMuFor } from './gaussian-accounting.js';
import { computeEpsilon, createRdpAccountant } from './rdp-accountant.js';
import type { FractionalSeries } from './rdp-accountant.js';

export interface CalibrateNoiseOptions {
  /** Epsilon the whole job may spend; finite and > 0. */
  targetEpsilon: number;
  /** Delta of the guarantee, in (0, 1); typically below 1 / (number of records). */
  delta: number;
  /** Poisson sampling probability of a record per step, in (0, 1] (batch size / records). */
  sampleRate: number;
  /** DP-SGD steps per round (local steps); an integer >= 1. */
  steps: number;
  /**
   * Rounds in which the same dataset trains; the job composes `rounds * steps` steps.
   * @defaultValue 1
   */
  rounds?: number;
  /**
   * RDP orders to optimise over.
   * @defaultValue the accountant's `DEFAULT_RDP_ORDERS`
   */
  orders?: readonly number[];
  /**
   * How fractional orders sum their series (see `FractionalSeries`).
   * @defaultValue `'signed'`
   */
  fractionalSeries?: FractionalSeries;
  /**
   * Bisection stops when the bracket on sigma is narrower than this fraction of sigma.
   * @defaultValue 1e-6
   */
  relativeTolerance?: number;
  /**
   * The largest noise multiplier considered; a target that needs more is refused.
   * @defaultValue 1e6
   */
  maxNoiseMultiplier?: number;
  /**
   * Privacy already spent (an RDP curve, e.g. a job's earlier rounds at another sample rate): the
   * search then finds the noise for which that curve composed with the new steps stays within the
   * target. Its orders replace `orders`.
   * @defaultValue nothing spent
   */
  spent?: { orders: readonly number[]; rdp: readonly number[] };
  /**
   * `'auto'`: the exact Gaussian accounting when `sampleRate` is 1, the RDP accountant otherwise;
   * `'rdp'`: the RDP accountant always.
   * @defaultValue `'auto'`
   */
  accounting?: 'auto' | 'rdp';
  /**
   * Cancels the search between evaluations.
   * @defaultValue none
   */
  signal?: AbortSignal;
}

export interface CalibrationResult {
  /** The noise multiplier to use: epsilon at it is <= the target. */
  noiseMultiplier: number;
  /** Epsilon the job spends at that noise multiplier. */
  epsilon: number;
  /** The RDP order that gives that epsilon; NaN with the exact Gaussian accounting. */
  order: number;
  /** Total steps composed (rounds * steps). */
  totalSteps: number;
  /**
   * How epsilon was computed: `'rdp'` (RDP accountant, sampled Gaussian) or `'gaussian'` (exact:
   * full-batch steps composed as one Gaussian mechanism, mu = sqrt(totalSteps)/noiseMultiplier).
   */
  accounting: 'rdp' | 'gaussian';
}

const DEFAULTS = { rounds: 1, relativeTolerance: 1e-6, maxNoiseMultiplier: 1e6, accounting: 'auto' } as const;

/** Finds the smallest noise multiplier (to `relativeTolerance`) that keeps the job within (targetEpsilon, delta). */
export function calibrateNoiseMultiplier(options: CalibrateNoiseOptions): CalibrationResult {
  const o = { ...DEFAULTS, ...stripUndefined(options) };
  assertArgument(
    Number.isFinite(o.targetEpsilon) && o.targetEpsilon > 0,
    `target epsilon must be a finite number > 0, got ${o.targetEpsilon}`,
    { targetEpsilon: o.targetEpsilon },
  );
  assertArgument(o.delta > 0 && o.delta < 1, `delta must be in (0, 1), got ${o.delta}`, { delta: o.delta });
  assertArgument(
    o.sampleRate > 0 && o.sampleRate <= 1,
    `sample rate must be in (0, 1], got ${o.sampleRate}`,
    {
      sampleRate: o.sampleRate,
    },
  );
  assertArgument(Number.isInteger(o.steps) && o.steps >= 1, `steps must be an integer >= 1, got ${o.steps}`, {
    steps: o.steps,
  });
  assertArgument(
    Number.isInteger(o.rounds) && o.rounds >= 1,
    `rounds must be an integer >= 1, got ${o.rounds}`,
    {
      rounds: o.rounds,
    },
  );
  assertArgument(
    o.relativeTolerance > 0 && o.relativeTolerance < 1,
    `relativeTolerance must be in (0, 1), got ${o.relativeTolerance}`,
    {},
  );
  assertArgument(
    Number.isFinite(o.maxNoiseMultiplier) && o.maxNoiseMultiplier > 0,
    `maxNoiseMultiplier must be a finite number > 0, got ${o.maxNoiseMultiplier}`,
    {},
  );

  assertArgument(
    o.accounting === 'auto' || o.accounting === 'rdp',
    `accounting must be 'auto' or 'rdp', got ${String(o.accounting)}`,
    {},
  );

  const totalSteps = o.steps * o.rounds;
  const spent = o.spent;
  // Exact for full-batch steps; with privacy already spent (an RDP curve) the RDP accountant composes it.
  if (!spent && o.sampleRate === 1 && o.accounting === 'auto') return calibrateFullBatch(o, totalSteps);
  const epsilonAt = (sigma: number) => {
    throwIfAborted(o.signal, 'noise calibration');
    const event = { noiseMultiplier: sigma, sampleRate: o.sampleRate, steps: totalSteps };
    if (spent) {
      return createRdpAccountant({ ...spent, fractionalSeries: o.fractionalSeries })
        .compose(event)
        .getEpsilon(o.delta);
    }
    return computeEpsilon({
      ...event,
      delta: o.delta,
      orders: o.orders,
      fractionalSeries: o.fractionalSeries,
    });
  };
  const fits = (sigma: number) => epsilonAt(sigma).epsilon <= o.targetEpsilon;

  const atMax = epsilonAt(o.maxNoiseMultiplier);
  if (!(atMax.epsilon <= o.targetEpsilon)) {
    throw makeError(
      `epsilon ${o.targetEpsilon} at delta ${o.delta} cannot be reached over ${totalSteps} ${spent ? 'more ' : ''}steps at sample rate ` +
        `${o.sampleRate}: even noise multiplier ${o.maxNoiseMultiplier} gives epsilon ${atMax.epsilon}. ` +
        'Raise the target epsilon or delta, or lower the sample rate or the number of steps.',
      'INVALID_ARGUMENT',
      {
        targetEpsilon: o.targetEpsilon,
        delta: o.delta,
        sampleRate: o.sampleRate,
        totalSteps,
        maxNoiseMultiplier: o.maxNoiseMultiplier,
        epsilonAtMax: atMax.epsilon,
      },
    );
  }

  // Bracket: lo does not fit, hi fits, hi = 2 lo (or hi = max).
  let hi = Math.min(1, o.maxNoiseMultiplier);
  let lo: number;
  if (fits(hi)) {
    lo = hi / 2;
    // epsilon -> Infinity as sigma -> 0 (q > 0), so this ends; the bound only guards against a bug.
    for (let k = 0; fits(lo); k++) {
      if (k >= 2000)
        throw makeError('noise calibration found no lower bracket; report this', 'INTERNAL', { lo });
      hi = lo;
      lo /= 2;
    }
  } else {
    lo = hi;
    hi = Math.min(2 * hi, o.maxNoiseMultiplier);
    while (!fits(hi)) {
      lo = hi;
      hi = Math.min(2 * hi, o.maxNoiseMultiplier);
    }
  }
  while (hi - lo > o.relativeTolerance * hi) {
    const mid = lo + (hi - lo) / 2;
    if (fits(mid)) hi = mid;
    else lo = mid;
  }
  const { epsilon, order } = epsilonAt(hi);
  return { noiseMultiplier: hi, epsilon, order, totalSteps, accounting: 'rdp' };
}

/**
 * q = 1: sigma = sqrt(T)/mu for the largest mu whose exact curve meets (epsilon, delta), checked by
 * recomputing epsilon from sigma (as a budget does) and nudged up if rounding took it past the target.
 */
function calibrateFullBatch(
  o: { targetEpsilon: number; delta: number; maxNoiseMultiplier: number; signal?: AbortSignal },
  totalSteps: number,
): CalibrationResult {
  throwIfAborted(o.signal, 'noise calibration');
  let sigma = Math.sqrt(totalSteps) / gaussianMuFor(o.targetEpsilon, o.delta);
  let epsilon = gaussianEpsilon(fullBatchMu(sigma, totalSteps), o.delta);
  for (let k = 0; epsilon > o.targetEpsilon; k++) {
    if (k >= 100)
      throw makeError('exact noise calibration did not converge; report this', 'INTERNAL', { sigma });
    sigma *= 1 + 1e-12;
    epsilon = gaussianEpsilon(fullBatchMu(sigma, totalSteps), o.delta);
  }
  if (!(sigma <= o.maxNoiseMultiplier)) {
    throw makeError(
      `epsilon ${o.targetEpsilon} at delta ${o.delta} over ${totalSteps} full-batch steps needs noise multiplier ` +
        `${sigma}, above the largest allowed ${o.maxNoiseMultiplier}. Raise the target epsilon or delta, or take fewer steps.`,
      'INVALID_ARGUMENT',
      {
        targetEpsilon: o.targetEpsilon,
        delta: o.delta,
        totalSteps,
        maxNoiseMultiplier: o.maxNoiseMultiplier,
      },
    );
  }
  return { noiseMultiplier: sigma, epsilon, order: NaN, totalSteps, accounting: 'gaussian' };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
