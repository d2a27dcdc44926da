/**
 * Client-level DP on the coordinator's side (privacy/client-dp.ts has the mechanism): per attempt,
 * the setting every selected worker gets (m, k, D with the job's S and sigma), and per job, the
 * accounting of the opened sums into the round's metrics.
 *
 * The guard against dropouts: an attempt opens only with at least k contributions (k = the job's
 * `minContributors`, by default every selected worker), because each worker adds only 1/k of the
 * noise variance. With secure aggregation k is also the round setup's quorum, which the opener
 * enforces itself, so a coordinator cannot open a sum with less noise than it promised.
 */
import {
  CLIENT_DP_FEATURE,
  ClientDpAccountant,
  clientDpValueBound,
  type ClientDpRound,
} from '../privacy/client-dp.js';
import type { JobSpec } from './job-spec.js';
import type { WorkerRecord } from './worker-registry.js';

/** The fewest eligible workers a round of this job needs: the mode's quorum, and at least k. */
export function clientDpQuorum(spec: JobSpec, modeQuorum: number): number {
  return Math.max(modeQuorum, spec.privacy.clientLevel?.minContributors ?? 0);
}

/** Whether a worker can take part in this job's rounds (it must apply client-level DP itself). */
export function clientDpAccepts(spec: JobSpec, worker: WorkerRecord): boolean {
  return !spec.privacy.clientLevel || worker.capabilities.features.includes(CLIENT_DP_FEATURE);
}

/**
 * The setting of one attempt, or undefined when the job has no client-level DP. `weightDenominator`
 * must be the one the aggregation mode uses (round-aggregator.ts `weightDenominator`).
 */
export function planClientDpAttempt(
  spec: JobSpec,
  selected: number,
  quorum: number,
  weightDenominator: number,
): { round: ClientDpRound; valueBound: number } | undefined {
  const c = spec.privacy.clientLevel;
  if (!c) return undefined;
  const k = Math.min(selected, Math.max(quorum, c.minContributors ?? selected));
  const round: ClientDpRound = {
    clipNorm: c.clipNorm,
    noiseMultiplier: c.noiseMultiplier,
    selected,
    minContributors: k,
    weightDenominator,
  };
  return { round, valueBound: clientDpValueBound(round) };
}

/** A job's client-level DP book: attempts and opened sums in, the round's metrics out. */
export class JobClientDp {
  readonly #accountant: ClientDpAccountant;

  constructor(spec: JobSpec) {
    this.#accountant = new ClientDpAccountant(spec.privacy.clientLevel?.delta ?? 1e-5);
  }

  /** Tasks went out for an attempt: each selected worker may have sent one noised update. */
  attempted(round: ClientDpRound): void {
    this.#accountant.attempted(round.noiseMultiplier, round.minContributors);
  }

  /**
   * The attempt's sum of `contributors` updates was opened: compose it and return the metrics the
   * round records — epsilon at the job's delta spent so far against anyone who knows no noise
   * share (`client_epsilon`), against one participating hospital (`client_epsilon_participant`,
   * left out while infinite) and against whoever sees single updates (`client_epsilon_update`).
   */
  released(round: ClientDpRound, contributors: number): Record<string, number> {
    this.#accountant.released(round.noiseMultiplier, round.minContributors, contributors);
    const e = this.#accountant.epsilons();
    return {
      client_epsilon: e.aggregate,
      ...(Number.isFinite(e.participant) ? { client_epsilon_participant: e.participant } : {}),
      client_epsilon_update: e.update,
      client_delta: this.#accountant.delta,
    };
  }
}
