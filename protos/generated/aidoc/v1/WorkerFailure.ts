// Original file: protos/aidoc/v1/common.proto

import type { FailureReason as _aidoc_v1_FailureReason, FailureReason__Output as _aidoc_v1_FailureReason__Output } from '../../aidoc/v1/FailureReason.js';

/**
 * A worker that failed in a round, and why. Failures are data, not errors.
 */
export interface WorkerFailure {
  'workerId'?: (string);
  'reason'?: (_aidoc_v1_FailureReason);
  /**
   * Human-readable detail, e.g. "update sha256 mismatch" or "deadline 30000 ms passed".
   */
  'detail'?: (string);
}

/**
 * A worker that failed in a round, and why. Failures are data, not errors.
 */
export interface WorkerFailure__Output {
  'workerId': (string);
  'reason': (_aidoc_v1_FailureReason__Output);
  /**
   * Human-readable detail, e.g. "update sha256 mismatch" or "deadline 30000 ms passed".
   */
  'detail': (string);
}
