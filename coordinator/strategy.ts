/**
 * The `AggregationStrategy` plug-in point, in the spirit of Flower's `Strategy`: the round engine
 * owns the loop; a strategy decides what local training each round asks for and how the round's
 * results become the next global model.
 *
 * The engine never hands a strategy individual updates. It hands it the records-weighted mean of
 * the clients' deltas (Σ nᵢ·Δᵢ / Σ nᵢ, where Δᵢ = local weights − global weights). That is all
 * FedAvg, FedProx and the server optimizers of Reddi et al. (2021) need, and it is exactly what
 * secure aggregation can produce without anyone seeing one hospital's Δᵢ: the homomorphic layer
 * wraps the accumulator, not the strategy. Dropouts and rejected updates reach the strategy as
 * data (`failures`), never as exceptions.
 */
import type { ClientDpRound } from '../privacy/client-dp.js';

/** Local training settings a round asks of each selected worker. */
export interface LocalTrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** FedProx proximal coefficient; 0 for plain local SGD. */
  proximalMu: number;
  seed: number;
  /** Record-level DP the workers must apply (see JobSpec.privacy); absent: train without DP. */
  privacy?: {
    targetEpsilon: number;
    delta: number;
    clipNorm: number;
    noiseMultiplier?: number;
    totalRounds: number;
  };
  /** Client-level DP of this attempt (privacy/client-dp.ts); absent: off. */
  clientDp?: ClientDpRound;
}

export interface ClientResult {
  workerId: string;
  /** Records the update was trained on: its weight in the mean. */
  numExamples: number;
  metrics: Record<string, number>;
}

export type FailureKind = 'dropped' | 'timeout' | 'error' | 'rejected' | 'cancelled';

export interface ClientFailure {
  workerId: string;
  kind: FailureKind;
  detail: string;
}

export interface AggregateInput {
  /** The global weights the round started from. */
  global: Float32Array;
  /** Records-weighted mean of the clients' deltas. */
  meanDelta: Float32Array;
  results: ClientResult[];
  failures: ClientFailure[];
}

export interface AggregationStrategy {
  /** e.g. 'fedavg'. */
  readonly name: string;
  /** The local training config for `round` (1-based), given the job's base config. */
  configureTrain(round: number, base: LocalTrainConfig): LocalTrainConfig;
  /** The next global weights. Must not modify its inputs. */
  aggregateTrain(round: number, input: AggregateInput): Float32Array;
  /** Server-side state (optimizer moments) so a resumed job continues exactly. */
  saveState(): StrategyState;
  restoreState(state: StrategyState): void;
}

export interface StrategyState {
  name: string;
  vectors: Record<string, number[]>;
}
