import { makeError } from '../common/errors.js';
import type { AggregateInput, AggregationStrategy, LocalTrainConfig, StrategyState } from './strategy.js';

export type ServerOptimizer = 'fedadam' | 'fedyogi' | 'fedadagrad';

export interface FedOptOptions {
  /** Server learning rate η. @defaultValue 0.01 */
  eta?: number;
  /** First-moment decay β₁ (0 for FedAdagrad as in the paper's Algorithm 2 is allowed). @defaultValue 0.9 */
  beta1?: number;
  /** Second-moment decay β₂ (unused by FedAdagrad). @defaultValue 0.99 */
  beta2?: number;
  /** Adaptivity τ, keeps the step bounded where v is tiny. @defaultValue 1e-3 */
  tau?: number;
}

/**
 * Adaptive server optimizers of Reddi et al., "Adaptive Federated Optimization" (ICLR 2021),
 * Algorithm 2. The mean client delta Δ acts as a pseudo-gradient:
 *   m ← β₁m + (1−β₁)Δ
 *   v ← v + Δ²                          (FedAdagrad)
 *   v ← β₂v + (1−β₂)Δ²                  (FedAdam)
 *   v ← v − (1−β₂)Δ²·sign(v − Δ²)       (FedYogi)
 *   x ← x + η·m / (√v + τ)
 * Defaults follow the paper's recommended ranges (τ = 1e-3, β₁ = 0.9, β₂ = 0.99). v starts at τ².
 */
export class FedOptStrategy implements AggregationStrategy {
  readonly name: ServerOptimizer;
  readonly #eta: number;
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #tau: number;
  #m: Float64Array | undefined;
  #v: Float64Array | undefined;

  constructor(name: ServerOptimizer, options: FedOptOptions = {}) {
    this.name = name;
    this.#eta = options.eta ?? 0.01;
    this.#beta1 = options.beta1 ?? 0.9;
    this.#beta2 = options.beta2 ?? 0.99;
    this.#tau = options.tau ?? 1e-3;
    const bad: string[] = [];
    if (!(this.#eta > 0)) bad.push(`eta must be > 0, got ${this.#eta}`);
    if (!(this.#beta1 >= 0 && this.#beta1 < 1)) bad.push(`beta_1 must be in [0, 1), got ${this.#beta1}`);
    if (!(this.#beta2 >= 0 && this.#beta2 < 1)) bad.push(`beta_2 must be in [0, 1), got ${this.#beta2}`);
    if (!(this.#tau > 0)) bad.push(`tau must be > 0, got ${this.#tau}`);
    if (bad.length) throw makeError(`${name}: ${bad.join('; ')}`, 'INVALID_JOB_SPEC', { problems: bad });
  }

  configureTrain(_round: number, base: LocalTrainConfig): LocalTrainConfig {
    return { ...base, proximalMu: 0 };
  }

  aggregateTrain(_round: number, { global, meanDelta }: AggregateInput): Float32Array {
    const n = global.length;
    if (!this.#m || this.#m.length !== n) {
      this.#m = new Float64Array(n);
      this.#v = new Float64Array(n).fill(this.#tau * this.#tau);
    }
    const m = this.#m;
    const v = this.#v!;
    const b1 = this.#beta1;
    const b2 = this.#beta2;
    const next = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const d = meanDelta[i]!;
      const d2 = d * d;
      m[i] = b1 * m[i]! + (1 - b1) * d;
      if (this.name === 'fedadagrad') v[i] = v[i]! + d2;
      else if (this.name === 'fedadam') v[i] = b2 * v[i]! + (1 - b2) * d2;
      else v[i] = v[i]! - (1 - b2) * d2 * Math.sign(v[i]! - d2);
      next[i] = global[i]! + (this.#eta * m[i]!) / (Math.sqrt(v[i]!) + this.#tau);
    }
    return next;
  }

  saveState(): StrategyState {
    return { name: this.name, vectors: this.#m ? { m: Array.from(this.#m), v: Array.from(this.#v!) } : {} };
  }

  restoreState(state: StrategyState): void {
    if (state.vectors.m && state.vectors.v) {
      this.#m = Float64Array.from(state.vectors.m);
      this.#v = Float64Array.from(state.vectors.v);
    }
  }
}
