import type { AggregateInput, AggregationStrategy, LocalTrainConfig, StrategyState } from './strategy.js';

/**
 * FedAvg (McMahan et al. 2017): the new global model is the records-weighted mean of the clients'
 * models, i.e. global + mean delta. With `proximalMu > 0` it is FedProx (Li et al. 2020): the same
 * server step, and clients add (mu/2)·||w − w_global||² to their local loss.
 */
export class FedAvgStrategy implements AggregationStrategy {
  readonly name: string;
  readonly #mu: number;

  constructor(options: { proximalMu?: number } = {}) {
    this.#mu = options.proximalMu ?? 0;
    this.name = this.#mu > 0 ? 'fedprox' : 'fedavg';
  }

  configureTrain(_round: number, base: LocalTrainConfig): LocalTrainConfig {
    return { ...base, proximalMu: this.#mu };
  }

  aggregateTrain(_round: number, { global, meanDelta }: AggregateInput): Float32Array {
    const next = new Float32Array(global.length);
    for (let i = 0; i < global.length; i++) next[i] = global[i]! + meanDelta[i]!;
    return next;
  }

  saveState(): StrategyState {
    return { name: this.name, vectors: {} };
  }

  restoreState(): void {}
}
