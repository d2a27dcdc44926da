import { makeError } from '../common/errors.js';
import type { AggregationStrategy } from './strategy.js';
import { FedAvgStrategy } from './strategy-fedavg.js';
import { FedOptStrategy } from './strategy-fedopt.js';

export const STRATEGIES = ['fedavg', 'fedprox', 'fedadam', 'fedyogi', 'fedadagrad'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

const KNOWN_PARAMS: Record<StrategyName, string[]> = {
  fedavg: [],
  fedprox: ['mu'],
  fedadam: ['eta', 'beta_1', 'beta_2', 'tau'],
  fedyogi: ['eta', 'beta_1', 'beta_2', 'tau'],
  fedadagrad: ['eta', 'beta_1', 'tau'],
};

/** Problems with a strategy spec (empty when valid): unknown name, unknown or non-finite params. */
export function checkStrategySpec(name: string, params: Record<string, number> = {}): string[] {
  if (!(STRATEGIES as readonly string[]).includes(name)) {
    return [`strategy '${name}' is unknown; choose one of: ${STRATEGIES.join(', ')}`];
  }
  const known = KNOWN_PARAMS[name as StrategyName];
  const problems: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (!known.includes(k))
      problems.push(
        `strategy ${name} has no parameter '${k}'${known.length ? ` (it takes: ${known.join(', ')})` : ''}`,
      );
    else if (!Number.isFinite(v)) problems.push(`strategy parameter ${k} must be a finite number`);
  }
  if (name === 'fedprox' && params.mu !== undefined && !(params.mu >= 0))
    problems.push(`fedprox mu must be >= 0, got ${params.mu}`);
  return problems;
}

export function createStrategy(name: string, params: Record<string, number> = {}): AggregationStrategy {
  const problems = checkStrategySpec(name, params);
  if (problems.length) throw makeError(problems.join('; '), 'INVALID_JOB_SPEC', { problems });
  switch (name as StrategyName) {
    case 'fedavg':
      return new FedAvgStrategy();
    case 'fedprox':
      return new FedAvgStrategy({ proximalMu: params.mu ?? 0.01 });
    case 'fedadam':
    case 'fedyogi':
    case 'fedadagrad':
      return new FedOptStrategy(name as 'fedadam', {
        eta: params.eta,
        beta1: params.beta_1,
        beta2: params.beta_2,
        tau: params.tau,
      });
  }
}
