// Original file: protos/aidoc/v1/common.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Client-level DP of one attempt of a round, as a TRAIN task carries it: the worker clips its term of
 * the sum (n/D)·delta to clip_norm/selected and adds N(0, (noise_multiplier·clip_norm/selected)^2 /
 * min_contributors) per coordinate before encoding. With secure aggregation, weight_denominator and
 * min_contributors must agree with the round setup (the opener enforces that quorum).
 */
export interface ClientDpRound {
  'clipNorm'?: (number | string);
  'noiseMultiplier'?: (number | string);
  /**
   * m: workers selected for the attempt.
   */
  'selected'?: (number);
  /**
   * k: the fewest contributions the attempt opens.
   */
  'minContributors'?: (number);
  /**
   * D: the attempt's weight denominator (the selected workers' registered records).
   */
  'weightDenominator'?: (number | string | Long);
}

/**
 * Client-level DP of one attempt of a round, as a TRAIN task carries it: the worker clips its term of
 * the sum (n/D)·delta to clip_norm/selected and adds N(0, (noise_multiplier·clip_norm/selected)^2 /
 * min_contributors) per coordinate before encoding. With secure aggregation, weight_denominator and
 * min_contributors must agree with the round setup (the opener enforces that quorum).
 */
export interface ClientDpRound__Output {
  'clipNorm': (number);
  'noiseMultiplier': (number);
  /**
   * m: workers selected for the attempt.
   */
  'selected': (number);
  /**
   * k: the fewest contributions the attempt opens.
   */
  'minContributors': (number);
  /**
   * D: the attempt's weight denominator (the selected workers' registered records).
   */
  'weightDenominator': (number);
}
