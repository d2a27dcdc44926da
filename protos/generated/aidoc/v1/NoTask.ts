// Original file: protos/aidoc/v1/worker.proto


/**
 * "Nothing for you now."
 */
export interface NoTask {
  'retryAfterMs'?: (number);
  'reason'?: (string);
}

/**
 * "Nothing for you now."
 */
export interface NoTask__Output {
  'retryAfterMs': (number);
  'reason': (string);
}
