// Original file: protos/aidoc/v1/common.proto

export const FailureReason = {
  FAILURE_REASON_UNSPECIFIED: 'FAILURE_REASON_UNSPECIFIED',
  /**
   * The worker stopped heartbeating or its stream broke.
   */
  FAILURE_REASON_DROPPED: 'FAILURE_REASON_DROPPED',
  /**
   * The round deadline passed before its update arrived.
   */
  FAILURE_REASON_TIMEOUT: 'FAILURE_REASON_TIMEOUT',
  /**
   * The worker reported an error (e.g. training failed).
   */
  FAILURE_REASON_ERROR: 'FAILURE_REASON_ERROR',
  /**
   * The update failed verification (wrong length, digest, nonce, round ...).
   */
  FAILURE_REASON_REJECTED_UPDATE: 'FAILURE_REASON_REJECTED_UPDATE',
  /**
   * The round was cancelled while the worker was working.
   */
  FAILURE_REASON_CANCELLED: 'FAILURE_REASON_CANCELLED',
} as const;

export type FailureReason =
  | 'FAILURE_REASON_UNSPECIFIED'
  | 0
  /**
   * The worker stopped heartbeating or its stream broke.
   */
  | 'FAILURE_REASON_DROPPED'
  | 1
  /**
   * The round deadline passed before its update arrived.
   */
  | 'FAILURE_REASON_TIMEOUT'
  | 2
  /**
   * The worker reported an error (e.g. training failed).
   */
  | 'FAILURE_REASON_ERROR'
  | 3
  /**
   * The update failed verification (wrong length, digest, nonce, round ...).
   */
  | 'FAILURE_REASON_REJECTED_UPDATE'
  | 4
  /**
   * The round was cancelled while the worker was working.
   */
  | 'FAILURE_REASON_CANCELLED'
  | 5

export type FailureReason__Output = typeof FailureReason[keyof typeof FailureReason]
