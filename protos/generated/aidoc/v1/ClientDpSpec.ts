// Original file: protos/aidoc/v1/common.proto


/**
 * Client-level DP (DP-FedAvg with distributed noise under secure aggregation, docs/privacy.md): each
 * worker clips its round update and adds its share of Gaussian noise before it is encrypted.
 */
export interface ClientDpSpec {
  /**
   * S: the L2 clip of a delta for a worker holding an equal share of the round's records (> 0).
   */
  'clipNorm'?: (number | string);
  /**
   * sigma of every opened sum; 0 means "calibrate from target_epsilon for the job's rounds".
   */
  'noiseMultiplier'?: (number | string);
  /**
   * Epsilon the whole job may spend at client level; 0 means "use noise_multiplier as given".
   */
  'targetEpsilon'?: (number | string);
  /**
   * 0 means the default (1e-5).
   */
  'targetDelta'?: (number | string);
  /**
   * k: the fewest contributions a round opens (0: every worker selected for the round).
   */
  'minContributors'?: (number);
}

/**
 * Client-level DP (DP-FedAvg with distributed noise under secure aggregation, docs/privacy.md): each
 * worker clips its round update and adds its share of Gaussian noise before it is encrypted.
 */
export interface ClientDpSpec__Output {
  /**
   * S: the L2 clip of a delta for a worker holding an equal share of the round's records (> 0).
   */
  'clipNorm': (number);
  /**
   * sigma of every opened sum; 0 means "calibrate from target_epsilon for the job's rounds".
   */
  'noiseMultiplier': (number);
  /**
   * Epsilon the whole job may spend at client level; 0 means "use noise_multiplier as given".
   */
  'targetEpsilon': (number);
  /**
   * 0 means the default (1e-5).
   */
  'targetDelta': (number);
  /**
   * k: the fewest contributions a round opens (0: every worker selected for the round).
   */
  'minContributors': (number);
}
