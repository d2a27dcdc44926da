/**
 * Client-level differential privacy (DP-FedAvg with distributed noise): each worker clips its whole
 * round update and adds its share of Gaussian noise before the update leaves the hospital, so the
 * sum that secure aggregation opens carries noise sigma times the sum's sensitivity. Protects one
 * hospital's entire contribution (all its records at once), where DP-SGD (dp-sgd.ts) protects one
 * patient's record. docs/privacy.md states the guarantee and its assumptions.
 *
 * Units. The round sums w_i·Δ_i with w_i = n_i / D (n_i the worker's training examples, D the round's
 * weight denominator: the selected workers' registered records), then divides by Σ n_i / D. So the
 * sensitivity must be bounded in those summed units, not in raw delta units:
 *
 *   u_i   = (n_i / D) · Δ_i                               the worker's term of the sum
 *   u_i  <- u_i · min(1, (S/m) / ‖u_i‖₂)                  clip: ‖u_i‖ ≤ S/m  (m = workers selected)
 *   ũ_i   = u_i + N(0, (σ·(S/m))² / k · I)                k = the fewest contributions the round opens
 *   Δ'_i  = ũ_i · D / n_i                                 handed to the usual encoding, which sends
 *                                                         Δ'·n/D (secure) or Δ' weighted by n (plain)
 *
 * A worker holding an equal share of the records (n_i = D/m) thus has its delta clipped at S; one
 * holding twice that at S/2: every hospital's influence on the sum is capped at S/m, whatever its
 * size. The sum of c ≥ k contributions carries noise of stddev σ·(S/m)·√(c/k) per coordinate, and
 * adding or removing (zeroing) one hospital's contribution moves the sum by at most S/m: the
 * released sum is the Gaussian mechanism with noise multiplier σ·√(c/k) ≥ σ. Dividing by the public
 * total weight and the server optimizer are post-processing.
 *
 * Who knows part of the noise sees less of it: a participant (the opener, say) knows its own share
 * and can subtract it, leaving σ·√((c−1)/k); a party that sees one update alone (the coordinator
 * without secure aggregation, or a key holder colluding with it) sees σ/√k. The accountant below
 * reports all three.
 */
import { assertArgument, makeError } from '../common/errors.js';
import { calibrateNoiseMultiplier } from './calibrate.js';
import { createRdpAccountant, type RdpAccountant } from './rdp-accountant.js';
import { MAX_GAUSSIAN_ABS, type SecureRandom } from './secure-random.js';

/** What one worker needs to know to clip and noise its update in one attempt of a round. */
export interface ClientDpRound {
  /** S: the L2 clip of a delta for a worker holding an equal share D/m of the round's records. */
  clipNorm: number;
  /** sigma: noise stddev of the opened sum over its sensitivity, with k contributions. */
  noiseMultiplier: number;
  /** m: workers selected for the attempt. */
  selected: number;
  /** k: the fewest contributions the attempt opens; each worker adds the noise share of 1/k. */
  minContributors: number;
  /** D: the attempt's weight denominator (Σ of the selected workers' registered records). */
  weightDenominator: number;
}

/** The worker feature a hospital advertises when it applies client-level DP to its updates. */
export const CLIENT_DP_FEATURE = 'dp-client';

/** Throws INVALID_ARGUMENT unless `r` is a usable round setting (all of it finite and in range). */
export function checkClientDpRound(r: ClientDpRound): void {
  const problems: string[] = [];
  if (!(Number.isFinite(r.clipNorm) && r.clipNorm > 0)) problems.push(`clipNorm ${r.clipNorm} is not > 0`);
  if (!(Number.isFinite(r.noiseMultiplier) && r.noiseMultiplier > 0))
    problems.push(`noiseMultiplier ${r.noiseMultiplier} is not > 0 (client-level DP without noise is none)`);
  if (!(Number.isInteger(r.selected) && r.selected >= 1))
    problems.push(`selected ${r.selected} is not an integer >= 1`);
  if (!(Number.isInteger(r.minContributors) && r.minContributors >= 1 && r.minContributors <= r.selected))
    problems.push(`minContributors ${r.minContributors} is not an integer in 1..selected (${r.selected})`);
  if (!(Number.isFinite(r.weightDenominator) && r.weightDenominator >= 1))
    problems.push(`weightDenominator ${r.weightDenominator} is not >= 1`);
  if (problems.length > 0) {
    throw makeError(`invalid client-level DP setting: ${problems.join('; ')}`, 'INVALID_ARGUMENT', {
      problems,
    });
  }
}

/** S/m: the bound on the L2 norm of one worker's term of the sum (the sum's sensitivity). */
export function clientDpSensitivity(r: ClientDpRound): number {
  return r.clipNorm / r.selected;
}

/** σ·(S/m)/√k: the stddev of the noise one worker adds to each coordinate of its term. */
export function clientDpNoiseStddev(r: ClientDpRound): number {
  return (r.noiseMultiplier * clientDpSensitivity(r)) / Math.sqrt(r.minContributors);
}

/**
 * A bound on |one coordinate| of a worker's noised term: S/m for the clipped term plus the largest
 * Gaussian the secure source can draw times the stddev, with a relative margin for float32 rounding.
 * Secure aggregation must quantize with a value bound at least this, or it would clamp — and a
 * clamped noisy term is no longer "sum plus Gaussian" (the guarantee would fall back to σ/√k).
 */
export function clientDpValueBound(r: ClientDpRound): number {
  return (clientDpSensitivity(r) + MAX_GAUSSIAN_ABS * clientDpNoiseStddev(r)) * (1 + 1e-5);
}

export interface ClientDpApplied {
  /** Δ': the clipped and noised update in delta units, for the usual encoding (see the file comment). */
  delta: Float32Array;
  /** ‖(n/D)·Δ‖₂ before clipping. Data-dependent: keep it local (logs), never send it. */
  norm: number;
  /** Whether clipping scaled the update down. */
  clipped: boolean;
  /** The stddev of the noise added to each coordinate of the summed term. */
  noiseStddev: number;
}

/**
 * Clips the worker's term (n/D)·Δ to S/m, adds N(0, σ²(S/m)²/k) per coordinate from `random`, and
 * returns it in delta units (Δ' = ũ·D/n). Throws for a non-finite update or a bad setting.
 */
export function applyClientDp(
  delta: Float32Array,
  numExamples: number,
  round: ClientDpRound,
  random: SecureRandom,
): ClientDpApplied {
  checkClientDpRound(round);
  assertArgument(
    Number.isInteger(numExamples) && numExamples >= 1 && numExamples <= round.weightDenominator,
    `numExamples must be an integer in 1..${round.weightDenominator} (the round's weight denominator), got ${numExamples}`,
  );
  const w = numExamples / round.weightDenominator;
  const bound = clientDpSensitivity(round);
  const u = new Float64Array(delta.length);
  let sq = 0;
  for (let i = 0; i < delta.length; i++) {
    const v = (delta[i] as number) * w;
    u[i] = v;
    sq += v * v;
  }
  const norm = Math.sqrt(sq);
  if (!Number.isFinite(norm)) {
    throw makeError(
      'the local update is not finite (training diverged?); client-level DP cannot bound it',
      'INVALID_ARGUMENT',
    );
  }
  const clipped = norm > bound;
  if (clipped) {
    const scale = bound / norm;
    for (let i = 0; i < u.length; i++) u[i] = (u[i] as number) * scale;
  }
  const noiseStddev = clientDpNoiseStddev(round);
  random.addGaussian(u, noiseStddev);
  const out = new Float32Array(delta.length);
  for (let i = 0; i < u.length; i++) out[i] = (u[i] as number) / w;
  u.fill(0);
  return { delta: out, norm, clipped, noiseStddev };
}

/**
 * Noise multipliers of one opened sum of `contributors` (c) updates, each noised for k: for anyone
 * who knows none of the noise (`aggregate`, σ√(c/k)), for a participant who subtracts its own share
 * (`participant`, σ√((c−1)/k), 0 when c = 1), and for one update on its own (`update`, σ/√k).
 */
export function clientDpNoiseMultipliers(
  noiseMultiplier: number,
  minContributors: number,
  contributors: number,
): { aggregate: number; participant: number; update: number } {
  assertArgument(
    Number.isInteger(contributors) && contributors >= minContributors,
    `an opened sum needs at least ${minContributors} contributions, got ${contributors}: client-level DP does not hold for it`,
  );
  return {
    aggregate: noiseMultiplier * Math.sqrt(contributors / minContributors),
    participant: noiseMultiplier * Math.sqrt((contributors - 1) / minContributors),
    update: noiseMultiplier / Math.sqrt(minContributors),
  };
}

/**
 * The smallest noise multiplier (to 1e-6 relative) keeping `rounds` releases of the Gaussian
 * mechanism (no subsampling: sample rate 1) within (targetEpsilon, delta).
 */
export function calibrateClientDp(o: { targetEpsilon: number; delta: number; rounds: number }): number {
  return calibrateNoiseMultiplier({
    targetEpsilon: o.targetEpsilon,
    delta: o.delta,
    sampleRate: 1,
    steps: 1,
    rounds: o.rounds,
    // The job's client-level spend is composed by the RDP accountant (releases may differ in their
    // effective noise), so it is calibrated with the same accountant.
    accounting: 'rdp',
  }).noiseMultiplier;
}

/** Epsilons spent so far, per adversary (see `clientDpNoiseMultipliers`). */
export interface ClientDpEpsilons {
  /** Against everyone who sees the models or opened sums and knows no contributor's noise. */
  aggregate: number;
  /** Against one participating hospital (e.g. the opener) that subtracts its own noise share. */
  participant: number;
  /** Against a party that sees single updates (the coordinator without secure aggregation). */
  update: number;
}

/**
 * Composes client-level DP over a job: one Gaussian mechanism (sample rate 1 — worker selection is
 * seeded, not secret, so no amplification is claimed) per opened sum, and, for the per-update view,
 * one per attempt in which a worker may have sent an update.
 */
export class ClientDpAccountant {
  readonly delta: number;
  readonly #aggregate: RdpAccountant = createRdpAccountant();
  readonly #participant: RdpAccountant = createRdpAccountant();
  readonly #update: RdpAccountant = createRdpAccountant();
  #releases = 0;

  constructor(delta: number) {
    assertArgument(delta > 0 && delta < 1, `delta must be in (0, 1), got ${delta}`);
    this.delta = delta;
  }

  get releases(): number {
    return this.#releases;
  }

  /** An attempt handed out tasks: each selected worker may send one update, noised for k. */
  attempted(noiseMultiplier: number, minContributors: number): void {
    this.#update.compose({
      noiseMultiplier: noiseMultiplier / Math.sqrt(minContributors),
      sampleRate: 1,
      steps: 1,
    });
  }

  /** A sum of `contributors` updates was opened (released). */
  released(noiseMultiplier: number, minContributors: number, contributors: number): void {
    const s = clientDpNoiseMultipliers(noiseMultiplier, minContributors, contributors);
    this.#aggregate.compose({ noiseMultiplier: s.aggregate, sampleRate: 1, steps: 1 });
    this.#participant.compose({ noiseMultiplier: s.participant, sampleRate: 1, steps: 1 });
    this.#releases++;
  }

  epsilons(): ClientDpEpsilons {
    return {
      aggregate: this.#aggregate.getEpsilon(this.delta).epsilon,
      participant: this.#participant.getEpsilon(this.delta).epsilon,
      update: this.#update.getEpsilon(this.delta).epsilon,
    };
  }
}
