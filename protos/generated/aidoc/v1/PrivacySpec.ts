// Original file: protos/aidoc/v1/common.proto

import type { ClientDpSpec as _aidoc_v1_ClientDpSpec, ClientDpSpec__Output as _aidoc_v1_ClientDpSpec__Output } from '../../aidoc/v1/ClientDpSpec.js';

/**
 * Differential-privacy parameters of a job.
 */
export interface PrivacySpec {
  /**
   * Record-level DP: "record" (DP-SGD on each worker, the default when empty) or "none".
   */
  'mode'?: (string);
  /**
   * Record level: target epsilon over the whole job; 0 means "use noise_multiplier as given".
   */
  'targetEpsilon'?: (number | string);
  'targetDelta'?: (number | string);
  /**
   * Record level: per-example clipping norm C.
   */
  'clipNorm'?: (number | string);
  /**
   * Record level: noise multiplier sigma; 0 means "calibrate from target_epsilon".
   */
  'noiseMultiplier'?: (number | string);
  /**
   * Client-level DP, on top of (or, with mode "none", instead of) record-level DP; absent: off.
   */
  'client'?: (_aidoc_v1_ClientDpSpec | null);
}

/**
 * Differential-privacy parameters of a job.
 */
export interface PrivacySpec__Output {
  /**
   * Record-level DP: "record" (DP-SGD on each worker, the default when empty) or "none".
   */
  'mode': (string);
  /**
   * Record level: target epsilon over the whole job; 0 means "use noise_multiplier as given".
   */
  'targetEpsilon': (number);
  'targetDelta': (number);
  /**
   * Record level: per-example clipping norm C.
   */
  'clipNorm': (number);
  /**
   * Record level: noise multiplier sigma; 0 means "calibrate from target_epsilon".
   */
  'noiseMultiplier': (number);
  /**
   * Client-level DP, on top of (or, with mode "none", instead of) record-level DP; absent: off.
   */
  'client': (_aidoc_v1_ClientDpSpec__Output | null);
}
