// Original file: protos/aidoc/v1/common.proto


/**
 * Differential-privacy parameters of a job.
 */
export interface PrivacySpec {
  /**
   * "record" (DP-SGD on each worker, the default when empty), "client" (clipped, noised updates) or "none".
   */
  'mode'?: (string);
  /**
   * Target epsilon over the whole job; 0 means "use noise_multiplier as given".
   */
  'targetEpsilon'?: (number | string);
  'targetDelta'?: (number | string);
  /**
   * Clipping norm C (per example for "record", per update for "client").
   */
  'clipNorm'?: (number | string);
  /**
   * Noise multiplier sigma; 0 means "calibrate from target_epsilon".
   */
  'noiseMultiplier'?: (number | string);
}

/**
 * Differential-privacy parameters of a job.
 */
export interface PrivacySpec__Output {
  /**
   * "record" (DP-SGD on each worker, the default when empty), "client" (clipped, noised updates) or "none".
   */
  'mode': (string);
  /**
   * Target epsilon over the whole job; 0 means "use noise_multiplier as given".
   */
  'targetEpsilon': (number);
  'targetDelta': (number);
  /**
   * Clipping norm C (per example for "record", per update for "client").
   */
  'clipNorm': (number);
  /**
   * Noise multiplier sigma; 0 means "calibrate from target_epsilon".
   */
  'noiseMultiplier': (number);
}
