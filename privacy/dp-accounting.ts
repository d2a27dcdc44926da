/**
 * Accounting glue between a federated job's schedule and the RDP accountant: how many DP-SGD
 * steps a worker takes on its dataset, what epsilon a whole job spends, and which noise multiplier
 * keeps the whole job (every round, every local step) within a target epsilon.
 *
 * Privacy argument: each worker's update is a post-processing of its own DP-SGD run, and the rounds
 * a dataset takes part in compose. So one dataset's epsilon is the sampled Gaussian mechanism with
 * rate q = B/N composed over rounds × stepsPerRound steps, whatever the other hospitals do and
 * whatever the coordinator does with the updates. Each worker accounts its own dataset (its own N,
 * so its own q and steps); datasets of different sizes get different noise multipliers.
 * Full-batch schedules (q = 1) are accounted exactly as one Gaussian mechanism
 * (privacy/gaussian-accounting.ts); subsampled ones with the RDP accountant.
 */
import { assertArgument } from '../common/errors.js';
import { calibrateNoiseMultiplier } from './calibrate.js';
import { fullBatchMu, gaussianEpsilon } from './gaussian-accounting.js';
import { computeEpsilon } from './rdp-accountant.js';

export interface DpSgdScheduleOptions {
  /** Records in the worker's dataset (after the consent filter). */
  datasetSize: number;
  /** Expected records per step B; the sampling rate is B / datasetSize. Give this or `sampleRate`. */
  expectedBatchSize?: number;
  /** Poisson sampling rate q in (0, 1]; overrides `expectedBatchSize`. */
  sampleRate?: number;
  /** Local passes over the data per round; steps per round = round(localEpochs / q). @defaultValue 1 */
  localEpochs?: number;
  /** DP-SGD steps per round; overrides `localEpochs`. */
  stepsPerRound?: number;
}

export interface DpSgdSchedule {
  sampleRate: number;
  stepsPerRound: number;
}

/** The sampling rate and local steps per round of a worker, from its dataset size and the job's settings. */
export function dpSgdSchedule(o: DpSgdScheduleOptions): DpSgdSchedule {
  assertArgument(
    Number.isInteger(o.datasetSize) && o.datasetSize >= 1,
    `datasetSize must be an integer >= 1, got ${o.datasetSize}`,
  );
  let q: number;
  if (o.sampleRate !== undefined) {
    q = o.sampleRate;
  } else {
    assertArgument(
      o.expectedBatchSize !== undefined && o.expectedBatchSize > 0,
      `give an expectedBatchSize > 0 or a sampleRate, got ${o.expectedBatchSize}`,
    );
    q = Math.min(1, o.expectedBatchSize / o.datasetSize);
  }
  assertArgument(q > 0 && q <= 1, `sample rate must be in (0, 1], got ${q}`);
  let steps: number;
  if (o.stepsPerRound !== undefined) {
    steps = o.stepsPerRound;
  } else {
    const epochs = o.localEpochs ?? 1;
    assertArgument(epochs > 0 && Number.isFinite(epochs), `localEpochs must be > 0, got ${epochs}`);
    steps = Math.max(1, Math.round(epochs / q));
  }
  assertArgument(
    Number.isInteger(steps) && steps >= 1,
    `stepsPerRound must be an integer >= 1, got ${steps}`,
  );
  return { sampleRate: q, stepsPerRound: steps };
}

export interface DpSgdEpsilonOptions {
  noiseMultiplier: number;
  sampleRate: number;
  stepsPerRound: number;
  /** @defaultValue 1 */
  rounds?: number;
  delta: number;
}

export interface DpSgdEpsilon {
  epsilon: number;
  /** The RDP order giving that epsilon; NaN with the exact Gaussian accounting (q = 1). */
  order: number;
  totalSteps: number;
  /** `'gaussian'` (exact, q = 1) or `'rdp'`. */
  accounting: 'rdp' | 'gaussian';
}

/** Epsilon one dataset spends over `rounds` rounds of `stepsPerRound` DP-SGD steps each. */
export function dpSgdEpsilon(o: DpSgdEpsilonOptions): DpSgdEpsilon {
  const rounds = o.rounds ?? 1;
  assertArgument(Number.isInteger(rounds) && rounds >= 1, `rounds must be an integer >= 1, got ${rounds}`);
  assertArgument(
    Number.isInteger(o.stepsPerRound) && o.stepsPerRound >= 1,
    `stepsPerRound must be an integer >= 1, got ${o.stepsPerRound}`,
  );
  const totalSteps = rounds * o.stepsPerRound;
  if (o.sampleRate === 1) {
    const epsilon = gaussianEpsilon(fullBatchMu(o.noiseMultiplier, totalSteps), o.delta);
    return { epsilon, order: NaN, totalSteps, accounting: 'gaussian' };
  }
  const r = computeEpsilon({
    noiseMultiplier: o.noiseMultiplier,
    sampleRate: o.sampleRate,
    steps: totalSteps,
    delta: o.delta,
  });
  return { epsilon: r.epsilon, order: r.order, totalSteps, accounting: 'rdp' };
}

export interface PlanDpSgdOptions extends DpSgdScheduleOptions {
  /** Epsilon the whole job may spend on this dataset. */
  targetEpsilon: number;
  delta: number;
  /** Rounds this dataset takes part in (plan for all the job's rounds). @defaultValue 1 */
  rounds?: number;
  /** Cancels the calibration. */
  signal?: AbortSignal;
  /** See `CalibrateNoiseOptions.accounting`. @defaultValue `'auto'` (exact when q = 1) */
  accounting?: 'auto' | 'rdp';
}

export interface DpSgdPlan extends DpSgdSchedule {
  /** The smallest noise multiplier (to 1e-6 relative) keeping the job within the target. */
  noiseMultiplier: number;
  rounds: number;
  totalSteps: number;
  /** Epsilon actually spent at that noise multiplier (<= the target). */
  epsilon: number;
  /** The RDP order giving that epsilon; NaN with the exact Gaussian accounting. */
  order: number;
  delta: number;
  /** `'gaussian'` (exact, q = 1) or `'rdp'`. */
  accounting: 'rdp' | 'gaussian';
}

/**
 * Plans a worker's DP-SGD for a whole job: its schedule from the dataset size, and the noise
 * multiplier that keeps all rounds × local steps within (targetEpsilon, delta).
 */
export function planDpSgd(o: PlanDpSgdOptions): DpSgdPlan {
  const schedule = dpSgdSchedule(o);
  const rounds = o.rounds ?? 1;
  const c = calibrateNoiseMultiplier({
    targetEpsilon: o.targetEpsilon,
    delta: o.delta,
    sampleRate: schedule.sampleRate,
    steps: schedule.stepsPerRound,
    rounds,
    signal: o.signal,
    accounting: o.accounting,
  });
  return {
    ...schedule,
    noiseMultiplier: c.noiseMultiplier,
    rounds,
    totalSteps: c.totalSteps,
    epsilon: c.epsilon,
    order: c.order,
    delta: o.delta,
    accounting: c.accounting,
  };
}
