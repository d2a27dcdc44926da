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

/** One entry of a job's client-level DP book, JSON-safe (it travels in the queue's checkpoint). */
export type ClientDpEvent =
  | { kind: 'attempted'; noiseMultiplier: number; minContributors: number }
  | { kind: 'released'; noiseMultiplier: number; minContributors: number; contributors: number };

/** A job's client-level DP book: attempts and opened sums in, the round's metrics out. */
export class JobClientDp {
  readonly #accountant: ClientDpAccountant;
  readonly #events: ClientDpEvent[] = [];
  /** Set on resume: the replica that died may have released a sum it never checkpointed. */
  #unknownRelease: boolean;

  /**
   * @param restore - the book of an earlier attempt of the job (its last checkpoint), replayed.
   * @param lostRound - whether that attempt may have opened a sum after its checkpoint: if so the
   *   first attempt planned here also counts one opened sum at its least noise (k contributions),
   *   so a resumed job never reports less than it may have spent.
   */
  constructor(spec: JobSpec, restore: readonly ClientDpEvent[] = [], lostRound = false) {
    this.#accountant = new ClientDpAccountant(spec.privacy.clientLevel?.delta ?? 1e-5);
    for (const e of restore) this.#apply(e);
    this.#unknownRelease = lostRound;
  }

  /** The book so far, for a checkpoint. */
  events(): ClientDpEvent[] {
    return this.#events.map((e) => ({ ...e }));
  }

  #apply(e: ClientDpEvent): void {
    this.#events.push({ ...e });
    if (e.kind === 'attempted') this.#accountant.attempted(e.noiseMultiplier, e.minContributors);
    else this.#accountant.released(e.noiseMultiplier, e.minContributors, e.contributors);
  }

  /** Tasks went out for an attempt: each selected worker may have sent one noised update. */
  attempted(round: ClientDpRound): void {
    if (this.#unknownRelease) {
      // The lost round, counted as if its sum had been opened with the fewest contributions.
      this.#unknownRelease = false;
      const lost = { noiseMultiplier: round.noiseMultiplier, minContributors: round.minContributors };
      this.#apply({ kind: 'attempted', ...lost });
      this.#apply({ kind: 'released', ...lost, contributors: round.minContributors });
    }
    this.#apply({
      kind: 'attempted',
      noiseMultiplier: round.noiseMultiplier,
      minContributors: round.minContributors,
    });
  }

  /**
   * The attempt's sum of `contributors` updates was opened: compose it and return the metrics the
   * round records — epsilon at the job's delta spent so far against anyone who knows no noise
   * share (`client_epsilon`), against one participating hospital (`client_epsilon_participant`,
   * left out while infinite) and against whoever sees single updates (`client_epsilon_update`).
   */
  released(round: ClientDpRound, contributors: number): Record<string, number> {
    this.#apply({
      kind: 'released',
      noiseMultiplier: round.noiseMultiplier,
      minContributors: round.minContributors,
      contributors,
    });
    const e = this.#accountant.epsilons();
    return {
      client_epsilon: e.aggregate,
      ...(Number.isFinite(e.participant) ? { client_epsilon_participant: e.participant } : {}),
      client_epsilon_update: e.update,
      client_delta: this.#accountant.delta,
    };
  }
}
