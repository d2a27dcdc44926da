// Original file: protos/aidoc/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface RegisterResponse {
  /**
   * The worker id the coordinator knows this worker by (its certificate identity).
   */
  'workerId'?: (string);
  /**
   * Names this registration; echoed in every later call so a stale process is recognised.
   */
  'sessionId'?: (string);
  'heartbeatIntervalMs'?: (number);
  /**
   * The largest chunk the coordinator accepts, in bytes (at most 1048576).
   */
  'maxChunkBytes'?: (number);
  'serverTimeUnixMs'?: (number | string | Long);
}

export interface RegisterResponse__Output {
  /**
   * The worker id the coordinator knows this worker by (its certificate identity).
   */
  'workerId': (string);
  /**
   * Names this registration; echoed in every later call so a stale process is recognised.
   */
  'sessionId': (string);
  'heartbeatIntervalMs': (number);
  /**
   * The largest chunk the coordinator accepts, in bytes (at most 1048576).
   */
  'maxChunkBytes': (number);
  'serverTimeUnixMs': (number);
}
