// Original file: protos/aidoc/v1/common.proto


/**
 * An aggregation strategy and its numeric parameters.
 */
export interface StrategySpec {
  /**
   * "fedavg", "fedprox", "fedadam", "fedyogi", "fedadagrad".
   */
  'name'?: (string);
  /**
   * e.g. {"mu": 0.01} for FedProx; {"eta": 0.01, "beta_1": 0.9, "beta_2": 0.99, "tau": 1e-9} for FedAdam.
   */
  'params'?: ({[key: string]: number | string});
}

/**
 * An aggregation strategy and its numeric parameters.
 */
export interface StrategySpec__Output {
  /**
   * "fedavg", "fedprox", "fedadam", "fedyogi", "fedadagrad".
   */
  'name': (string);
  /**
   * e.g. {"mu": 0.01} for FedProx; {"eta": 0.01, "beta_1": 0.9, "beta_2": 0.99, "tau": 1e-9} for FedAdam.
   */
  'params': ({[key: string]: number});
}
